//! Words in a list query: the full-text conditions on both engines, the check of words in
//! memory for small circles, and the titles that rank first.

use sea_orm::sea_query::{Alias, Condition, Expr, Query};
use sea_orm::{DatabaseBackend, DbErr, Value};

use super::load::seq_in;
use super::{Hit, ListQuery, TableSpec};
use crate::domain::list::TEXT_IN_MEMORY_MAX_M;
use crate::store::Conn;

/// The hits whose text has every word of `text` (as a word's start, case and accents ignored,
/// as FTS5 matches), each marked [`Hit::in_title`] where its title alone has them; a coarse
/// hit never matches by its text.
pub(super) async fn with_words(db: &impl Conn, spec: TableSpec, hits: Vec<Hit>, text: &str) -> Result<Vec<Hit>, DbErr> {
    let words = crate::domain::text::query_words(text);
    let hits: Vec<Hit> = hits.into_iter().filter(|h| !h.coarse).collect();
    if words.is_empty() || hits.is_empty() {
        return Ok(if words.is_empty() { Vec::new() } else { hits });
    }
    let rows: Vec<i64> = hits.iter().map(|h| h.row).collect();
    let mut matching = std::collections::HashMap::new();
    for (seq, text) in texts(db, spec.table, &rows, spec.text_columns).await? {
        if crate::domain::text::contains_all(&text.join(" "), &words) {
            let title = text.first().is_some_and(|t| crate::domain::text::contains_all(t, &words));
            matching.insert(seq, title);
        }
    }
    Ok(hits.into_iter().filter_map(|h| matching.get(&h.row).map(|&in_title| Hit { in_title, ..h })).collect())
}

/// Marks the hits whose title has every word of `text` ([`Hit::in_title`]), where the words
/// were matched in SQL. A table without text of its own (volunteers) matched them by its
/// title alone.
pub(super) async fn mark_titles(db: &impl Conn, spec: TableSpec, hits: &mut [Hit], text: &str) -> Result<(), DbErr> {
    let Some(title) = title_column(spec) else {
        hits.iter_mut().for_each(|h| h.in_title = true);
        return Ok(());
    };
    let words = crate::domain::text::query_words(text);
    let rows: Vec<i64> = hits.iter().map(|h| h.row).collect();
    let titled: std::collections::HashSet<i64> = texts(db, spec.table, &rows, &[title])
        .await?
        .into_iter()
        .filter(|(_, t)| t.first().is_some_and(|t| crate::domain::text::contains_all(t, &words)))
        .map(|(seq, _)| seq)
        .collect();
    for h in hits {
        h.in_title = titled.contains(&h.row);
    }
    Ok(())
}

/// The text `columns` (column names or SQL expressions) of the rows `rows` of `table`, by
/// row number (NULL as empty): through the lean reader where there is one, else the driver.
pub(super) async fn texts(db: &impl Conn, table: &str, rows: &[i64], columns: &[&str]) -> Result<Vec<(i64, Vec<String>)>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let mut select = Query::select();
    select.column(Alias::new("seq")).from(Alias::new(table)).and_where(seq_in(backend, rows));
    for (i, c) in columns.iter().enumerate() {
        select.expr_as(Expr::cust(c.to_string()), Alias::new(format!("t{i}")));
    }
    if let Some(readers) = db.readers()
        && let Some(read) = readers.rows(&backend.build(&select), |r| {
            let texts: rusqlite::Result<Vec<String>> =
                (1..=columns.len()).map(|i| r.get::<_, Option<String>>(i).map(Option::unwrap_or_default)).collect();
            Ok((r.get(0)?, texts?))
        })?
    {
        return Ok(read);
    }
    let mut out = Vec::new();
    for row in db.query_all(&select).await? {
        let texts = (0..columns.len()).map(|i| row.try_get::<Option<String>>("", &format!("t{i}")).map(Option::unwrap_or_default));
        out.push((row.try_get("", "seq")?, texts.collect::<Result<_, _>>()?));
    }
    Ok(out)
}

/// Whether [`find`] checks `q`'s words against each candidate's text (see [`TEXT_IN_MEMORY_MAX_M`]).
pub(super) fn text_in_memory(backend: DatabaseBackend, spec: TableSpec, q: &ListQuery) -> bool {
    backend == DatabaseBackend::Sqlite
        && spec.full_text
        && q.filter.text.is_some()
        && q.filter.near.is_some_and(|n| n.radius.metres() <= TEXT_IN_MEMORY_MAX_M)
}

/// The rows whose text has every word of `text` as a word's start: all their indexed text, or
/// with `column` that column alone (FTS5 column filter; on PostgreSQL the column's own vector).
pub(super) fn text_condition(backend: DatabaseBackend, table: &str, text: &str, column: Option<&str>) -> Condition {
    let words = crate::domain::text::query_words(text);
    if words.is_empty() {
        // Only punctuation: nothing can match.
        return Condition::all().add(Expr::cust("1 = 0"));
    }
    match backend {
        DatabaseBackend::Postgres => {
            let query = words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & ");
            let vector = match column {
                Some(c) => format!("to_tsvector('dutch', bk_unaccent(coalesce({c}, '')))"),
                None => "search_vector".to_owned(),
            };
            Condition::all().add(Expr::cust_with_values(format!("{vector} @@ to_tsquery('dutch', bk_unaccent($1))"), [Value::from(query)]))
        }
        _ => {
            let query = words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ");
            let query = match column {
                Some(c) => format!("{c} : ({query})"),
                None => query,
            };
            Condition::all().add(Expr::cust_with_values(
                format!("seq IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?)"),
                [Value::from(query)],
            ))
        }
    }
}

/// The rows whose title (the first text column) has every word of `text`: the first group of
/// a list ranked by title ([`ListFilter::title_first`]). `None` for a table without text of its
/// own (volunteers), whose words matched its title alone, so every row is in the first group.
pub(super) fn title_condition(backend: DatabaseBackend, spec: TableSpec, text: &str) -> Option<Condition> {
    Some(text_condition(backend, spec.table, text, Some(title_column(spec)?)))
}

/// The title among a table's text columns; `None` for a table without text of its own.
pub(super) fn title_column(spec: TableSpec) -> Option<&'static str> {
    spec.text_columns.first().copied().filter(|_| spec.full_text)
}

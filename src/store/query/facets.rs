//! Facet counts over a list query: per category, ZRM domain, kind or area, over every match
//! (not only the page), the coarse rows counted through their coarse cell.

use sea_orm::DbErr;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};

use super::text::texts;
use super::{Hit, ListQuery, TableSpec, col, match_condition};
use crate::store::Conn;

/// What a facet counts by: a tag scheme, or a column of the table.
#[derive(Debug, Clone, Copy)]
pub enum FacetBy {
    /// Codes of this tag scheme (an item counts once for each of its codes).
    Tag(&'static str),
    /// Values of this column.
    Column(&'static str),
    /// One value for every row (a table whose rows are all of one kind).
    Constant(&'static str),
}

/// One value of a facet: how many matching items have it, and how many of those are a
/// person's (which decides whether the count may be shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The value (a code).
    pub value: String,
    /// Matching items with this value.
    pub count: u64,
    /// How many of them belong to a person.
    pub personal: u64,
}

/// What to count the loaded rows of [`count_rows`] by.
#[derive(Debug, Clone, Copy)]
pub enum RowFacet {
    /// The codes of a comma-separated code column (an item counts once for each).
    Codes(&'static str),
    /// The value of a column.
    Column(&'static str),
    /// One value for every row.
    Constant(&'static str),
}

/// Counts the hits of one query by each of `by`, from one read of the hits' rows: what
/// [`facet_counts`] does with SQL aggregates, for the bounded hit set of a radius query, where
/// one indexed read by row number beats one aggregate per facet. `personal` is a column that
/// is not NULL on a person's rows; `hide_coarse[i]` leaves coarse hits out of facet `i`.
pub async fn count_rows(
    db: &impl Conn,
    spec: TableSpec,
    hits: &[Hit],
    by: &[RowFacet],
    personal: Option<&'static str>,
    hide_coarse: &[bool],
) -> Result<Vec<Vec<Bucket>>, DbErr> {
    use std::collections::BTreeMap;
    let mut counts: Vec<BTreeMap<String, (u64, u64)>> = vec![BTreeMap::new(); by.len()];
    if hits.is_empty() || by.is_empty() {
        return Ok(Vec::new());
    }
    let mut columns: Vec<&str> = by
        .iter()
        .filter_map(|f| match f {
            RowFacet::Codes(c) | RowFacet::Column(c) => Some(*c),
            RowFacet::Constant(_) => None,
        })
        .collect();
    columns.sort_unstable();
    columns.dedup();
    let coarse: std::collections::HashSet<i64> = hits.iter().filter(|h| h.coarse).map(|h| h.row).collect();
    let rows: Vec<i64> = hits.iter().map(|h| h.row).collect();
    // (seq, then the values in `columns` order, then whether the row is a person's).
    let personal_flag = match personal {
        Some(c) => format!("CASE WHEN {c} IS NULL THEN '0' ELSE '1' END"),
        None => "'0'".into(),
    };
    let mut exprs = columns.clone();
    exprs.push(&personal_flag);
    let records = texts(db, spec.table, &rows, &exprs).await?.into_iter().map(|(seq, mut values)| {
        let p = i64::from(values.pop().as_deref() == Some("1"));
        (seq, p, values)
    });
    for (seq, p, values) in records {
        let is_coarse = coarse.contains(&seq);
        for (i, f) in by.iter().enumerate() {
            if is_coarse && hide_coarse.get(i).copied().unwrap_or(false) {
                continue;
            }
            let at = |c: &str| columns.iter().position(|x| *x == c).map(|i| values[i].as_str()).unwrap_or_default();
            let found: Vec<&str> = match f {
                RowFacet::Constant(v) => vec![v],
                RowFacet::Column(c) => Some(at(c)).filter(|v| !v.is_empty()).into_iter().collect(),
                RowFacet::Codes(c) => {
                    let mut codes: Vec<&str> = at(c).split(',').filter(|v| !v.is_empty()).collect();
                    codes.dedup();
                    codes
                }
            };
            for v in found {
                let e = counts[i].entry(v.to_owned()).or_default();
                e.0 += 1;
                e.1 += p as u64;
            }
        }
    }
    Ok(counts.into_iter().map(|m| m.into_iter().map(|(value, (count, personal))| Bucket { value, count, personal }).collect()).collect())
}

/// Counts the items `q` matches by `by`.
///
/// The query's own conditions select the rows, so this is for queries without exact checks
/// (no radius, no cell); for those, [`count_rows`] counts the hits. `personal` is a SQL condition on the table's columns saying
/// that a row is a person's; `except` drops rows that must not count for this facet.
pub async fn facet_counts(
    db: &impl Conn,
    spec: TableSpec,
    q: &ListQuery,
    by: FacetBy,
    personal: &str,
    except: Option<Condition>,
) -> Result<Vec<Bucket>, DbErr> {
    let backend = db.get_database_backend();
    let mut cond = match_condition(backend, spec, q);
    if let Some(e) = except {
        cond = cond.add(e.not());
    }
    let mut inner = Query::select();
    inner
        .from(Alias::new(spec.table))
        .column(Alias::new("id"))
        .expr_as(Expr::cust(format!("CASE WHEN {personal} THEN 1 ELSE 0 END")), Alias::new("p"))
        .cond_where(cond);
    let mut outer = Query::select();
    let value = match by {
        FacetBy::Column(c) => {
            inner.expr_as(col(c), Alias::new("v"));
            outer.from_subquery(inner, Alias::new("x"));
            Expr::col((Alias::new("x"), Alias::new("v")))
        }
        FacetBy::Constant(v) => {
            // A code of ours, never the caller's text.
            inner.expr_as(Expr::cust(format!("'{v}'")), Alias::new("v"));
            outer.from_subquery(inner, Alias::new("x"));
            Expr::col((Alias::new("x"), Alias::new("v")))
        }
        FacetBy::Tag(scheme) => {
            outer
                .from_as(Alias::new("tags"), Alias::new("t"))
                .join_subquery(
                    sea_orm::sea_query::JoinType::InnerJoin,
                    inner,
                    Alias::new("x"),
                    Expr::col((Alias::new("x"), Alias::new("id"))).equals((Alias::new("t"), Alias::new("entity_id"))),
                )
                .and_where(Expr::col((Alias::new("t"), Alias::new("scheme"))).eq(scheme));
            Expr::col((Alias::new("t"), Alias::new("code")))
        }
    };
    outer
        .expr_as(value.clone(), Alias::new("value"))
        .expr_as(Expr::cust("count(*)"), Alias::new("n"))
        .expr_as(Expr::cust("CAST(sum(x.p) AS BIGINT)"), Alias::new("np"))
        .group_by_col(Alias::new("value"));
    let mut out = Vec::new();
    for row in db.query_all(&outer).await? {
        let value: Option<String> = row.try_get("", "value")?;
        let n: i64 = row.try_get("", "n")?;
        let np: i64 = row.try_get("", "np")?;
        if let Some(value) = value {
            out.push(Bucket { value, count: n as u64, personal: np as u64 });
        }
    }
    Ok(out)
}

//! The list query every located resource shares: radius, cell, CBS area, tags, full text,
//! resource-specific conditions, and keyset pagination by newest or by distance.
//!
//! A query runs in two steps. The first selects only `(id, index_cell, cell, lat, lng)` of
//! matching rows; the second (in each resource's module) loads the full rows of one page.
//! With a radius the first step reads every candidate inside the cell cover and keeps those
//! within the radius by exact haversine distance, measured to the exact point where the item has
//! one and to the centre of its cell otherwise.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{DatabaseBackend, DbErr, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Conn;
use crate::domain::{CbsCode, CellId, Coordinates, Invalid, Radius};
use crate::geo::{STORAGE_RESOLUTION, covering_ranges};

/// How a located resource is laid out, for the shared query.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// Table name.
    pub table: &'static str,
    /// The column holding the item's own cell, when items are cell-located.
    pub cell_column: Option<&'static str>,
    /// Whether rows have exact `lat`/`lng` columns (nullable for mixed tables).
    pub has_point: bool,
    /// Whether the table has a full-text index (`{table}_fts` on SQLite, `search_vector` on PostgreSQL).
    pub full_text: bool,
    /// The columns that index covers.
    pub text_columns: &'static [&'static str],
}

/// Radius queries up to this size match words on SQLite against the candidates' own text
/// instead of through FTS5: a common word ("hulp") matches a large part of a big table, and
/// FTS5 hands over every match before the radius can narrow them, hundreds of milliseconds at
/// a million rows; the few hundred candidates of a small circle are read and checked faster.
pub const TEXT_IN_MEMORY_MAX_M: f64 = 5_000.0;

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest first (ids are UUID v7, so id order is creation order).
    Newest,
    /// Nearest first; needs a point.
    Distance,
}

/// A radius around a point.
#[derive(Debug, Clone, Copy)]
pub struct Near {
    /// The centre.
    pub centre: Coordinates,
    /// The radius.
    pub radius: Radius,
}

/// The position after the last item of a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    sort: Sort,
    #[serde(rename = "i")]
    id: Uuid,
    /// The distance as its IEEE-754 bits: decimal text would not round-trip exactly, and an
    /// inexact cursor would repeat the last item of a page forever.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    distance_bits: Option<u64>,
    /// In a list ranked by title ([`ListQuery::title_first`]): whether the item had every word
    /// in its title, the group the list continues in.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    in_title: Option<bool>,
}

impl Cursor {
    /// The opaque text form handed to clients, bound to the list of the request being answered
    /// ([`super::list_scope`]).
    pub fn encode(&self) -> String {
        super::list_scope::seal(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("cursor serialises")))
    }

    /// Reads a cursor a client sent back; one from another list is refused.
    pub fn decode(text: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("not a cursor this service issued");
        if text.len() > 200 {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(super::list_scope::open(text)?).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        match (cursor.sort, cursor.distance_m()) {
            (Sort::Newest, None) => Ok(cursor),
            (Sort::Distance, Some(d)) if d.is_finite() && d >= 0.0 => Ok(cursor),
            _ => Err(bad()),
        }
    }

    /// The position of an item in a list of `sort` order: a list merged from several tables
    /// continues after it in each of them, since ids are unique across tables.
    fn at(sort: Sort, id: Uuid, distance_m: Option<f64>) -> Self {
        Self { sort, id, distance_bits: distance_m.map(f64::to_bits), in_title: None }
    }

    /// The position of `hit` in the list `q` asks for (merged from several tables or not).
    pub fn after_hit(q: &ListQuery, hit: &Hit) -> Self {
        let distance = if q.sort == Sort::Distance { hit.distance_m } else { None };
        Self { in_title: q.ranks_titles().then_some(hit.in_title), ..Self::at(q.sort, hit.id, distance) }
    }

    fn distance_m(&self) -> Option<f64> {
        self.distance_bits.map(f64::from_bits)
    }
}

/// Rows a reader sees only coarsely: located by the centre of their cell at `resolution`,
/// matched by radius and cell filters through that cell alone, never by their text or wijk.
#[derive(Debug, Clone)]
pub struct Coarse {
    /// Which rows (a condition on the table's own columns).
    pub rows: Condition,
    /// The resolution they are seen at.
    pub resolution: h3o::Resolution,
}

/// The filters and page of one list request, already parsed.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Radius filter.
    pub near: Option<Near>,
    /// Only items inside this cell.
    pub cell: Option<CellId>,
    /// Only items in this gemeente or wijk.
    pub area: Option<CbsCode>,
    /// Tag filters: within one scheme any code matches; all schemes must match.
    pub tags: Vec<(&'static str, Vec<&'static str>)>,
    /// Resource-specific conditions (kind, status ...).
    pub condition: Condition,
    /// Full-text query.
    pub text: Option<String>,
    /// Order.
    pub sort: Sort,
    /// Page size (1..=200).
    pub limit: u64,
    /// Continue after this position.
    pub after: Option<Cursor>,
    /// Rows this reader sees only coarsely.
    pub coarse: Option<Coarse>,
    /// With `text`: the items with every word in their title (an initiative's name, a
    /// listing's title, a volunteer's skills) come first, then the others, each group in
    /// `sort` order. The embedded engine's relevance: plain, the same on both databases, and a
    /// reason a person can see.
    pub title_first: bool,
}

impl ListQuery {
    /// A query with no filters, newest first.
    pub fn new(limit: u64) -> Self {
        Self {
            near: None,
            cell: None,
            area: None,
            tags: Vec::new(),
            condition: Condition::all(),
            text: None,
            sort: Sort::Newest,
            limit,
            after: None,
            coarse: None,
            title_first: false,
        }
    }

    /// Whether this list is ranked by title: [`Self::title_first`] with words to look for.
    pub fn ranks_titles(&self) -> bool {
        self.title_first && self.text.as_deref().is_some_and(|t| !crate::domain::text::query_words(t).is_empty())
    }

    /// Checks combinations single fields cannot: a distance order needs a point, and a cursor
    /// must come from a list with the same order.
    pub fn check(&self) -> Result<(), (&'static str, Invalid)> {
        if self.sort == Sort::Distance && self.near.is_none() {
            return Err(("sort", Invalid::new("sorting by distance needs lat, lng and radius_m")));
        }
        if let Some(c) = &self.after
            && c.sort != self.sort
        {
            return Err(("cursor", Invalid::new("the cursor belongs to a list with another sort order")));
        }
        if let Some(c) = &self.after
            && c.in_title.is_some() != self.ranks_titles()
        {
            return Err(("cursor", Invalid::new("the cursor belongs to a list with another order (ranked by title or not)")));
        }
        Ok(())
    }
}

/// One matching item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The item.
    pub id: Uuid,
    /// Its row number (`seq`): the page is loaded by it, one b-tree descent per row instead of
    /// two through the `id` index.
    pub row: i64,
    /// Its distance from the query point, when one was given.
    pub distance_m: Option<f64>,
    /// Whether the reader sees it only coarsely ([`ListQuery::coarse`]).
    pub coarse: bool,
    /// Whether its title has every word of the query (see [`ListQuery::title_first`]); false
    /// when the list is not ranked so.
    pub in_title: bool,
}

/// One page of hits and the cursor for the next page, if there is one.
#[derive(Debug, Clone)]
pub struct HitPage {
    /// The hits, in order.
    pub hits: Vec<Hit>,
    /// Where the next page starts.
    pub next: Option<Cursor>,
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// `index_cell` in any of the ranges.
pub(crate) fn in_ranges(ranges: Vec<crate::geo::CellRange>) -> Condition {
    ranges.into_iter().fold(Condition::any(), |any, r| any.add(col("index_cell").between(r.lo, r.hi)))
}

/// Finds one page of matching ids.
pub async fn find(db: &impl Conn, spec: TableSpec, q: &ListQuery) -> Result<HitPage, DbErr> {
    let backend = db.get_database_backend();
    let mut select = Query::select();
    select.from(Alias::new(spec.table)).column(Alias::new("seq")).column(Alias::new("id"));
    let coarse_flag = match &q.coarse {
        Some(c) => Expr::case(c.rows.clone(), 1).finally(0),
        None => Expr::case(Expr::cust("1 = 0"), 1).finally(0),
    };
    select.expr_as(coarse_flag, Alias::new("coarse"));
    if let Some(c) = spec.cell_column {
        select.column(Alias::new(c));
    }
    if spec.has_point {
        select.column(Alias::new("lat")).column(Alias::new("lng"));
    }
    let cond = match_condition(backend, spec, q);
    let ranked = q.ranks_titles();
    let text = q.text.as_deref().unwrap_or_default();

    // Cell and radius filters end with an exact check per row, so they read every candidate;
    // the others read one page in SQL, newest first (by title first, then the rest, when ranked).
    let in_memory = q.near.is_some() || q.cell.is_some();
    let found: Vec<(Candidate, bool)> = if in_memory {
        select.cond_where(cond);
        candidates(db, spec, select).await?.into_iter().map(|c| (c, false)).collect()
    } else if ranked {
        newest_by_title(db, spec, q, select, cond).await?
    } else {
        let mut cond = cond;
        if let Some(after) = &q.after {
            cond = cond.add(col("id").lt(after.id));
        }
        select.order_by(Alias::new("id"), Order::Desc).limit(q.limit + 1).cond_where(cond);
        candidates(db, spec, select).await?.into_iter().map(|c| (c, false)).collect()
    };
    let mut hits = Vec::with_capacity(found.len());
    for (Candidate { row, id, mut own_cell, mut point, coarse }, in_title) in found {
        if coarse && let Some(c) = &q.coarse {
            // Seen as the coarse cell: its centre for distance, the cell itself for cell filters.
            point = None;
            own_cell = own_cell.and_then(CellId::from_db).and_then(|cell| cell.index().parent(c.resolution)).map(|p| u64::from(p) as i64);
        }
        let located = point.or_else(|| own_cell.and_then(CellId::from_db).map(|c| Coordinates::of_cell_centre(c.index())));
        if let Some(cell) = q.cell
            && !inside_cell(cell, own_cell, point)
        {
            continue;
        }
        let distance_m = match (q.near, located) {
            (Some(near), Some(p)) => {
                let d = near.centre.distance_m(p);
                if d > near.radius.metres() {
                    continue;
                }
                Some(d)
            }
            (Some(_), None) => continue,
            (None, _) => None,
        };
        hits.push(Hit { id, row, distance_m, coarse: coarse && q.coarse.is_some(), in_title });
    }

    if !in_memory {
        let next = (hits.len() as u64 > q.limit).then(|| {
            hits.truncate(q.limit as usize);
            Cursor::after_hit(q, hits.last().expect("non-empty"))
        });
        return Ok(HitPage { hits, next });
    }
    if text_in_memory(backend, spec, q) {
        hits = with_words(db, spec, hits, text).await?;
    } else if ranked {
        mark_titles(db, spec, &mut hits, text).await?;
    }
    Ok(paginate(hits, q))
}

/// The SQL path of a list ranked by title: the matches with every word in their title, newest
/// first, then the others, until a page is full; a cursor continues in its own group.
async fn newest_by_title(
    db: &impl Conn,
    spec: TableSpec,
    q: &ListQuery,
    select: SelectStatement,
    cond: Condition,
) -> Result<Vec<(Candidate, bool)>, DbErr> {
    let title = title_condition(db.get_database_backend(), spec, q.text.as_deref().unwrap_or_default());
    let mut found = Vec::new();
    for in_title in [true, false] {
        let after = q.after.as_ref().filter(|c| c.in_title.is_some());
        // A cursor among the others is past every title match.
        if in_title && after.is_some_and(|c| c.in_title == Some(false)) {
            continue;
        }
        let left = q.limit + 1 - found.len() as u64;
        let group = match (&title, in_title) {
            (Some(t), true) => t.clone(),
            (Some(t), false) => t.clone().not(),
            (None, true) => Condition::all(),
            (None, false) => break,
        };
        if left == 0 {
            break;
        }
        let mut c = cond.clone().add(group);
        if let Some(after) = after.filter(|c| c.in_title == Some(in_title)) {
            c = c.add(col("id").lt(after.id));
        }
        let mut s = select.clone();
        s.cond_where(c).order_by(Alias::new("id"), Order::Desc).limit(left);
        found.extend(candidates(db, spec, s).await?.into_iter().map(|c| (c, in_title)));
    }
    Ok(found)
}

/// A place in a list: (outside the title group, distance, id). The title group only counts in
/// a list ranked by title; distance only in one by distance.
type Position = (bool, f64, Uuid);

fn position(q: &ListQuery, in_title: bool, distance_m: Option<f64>, id: Uuid) -> Position {
    (q.ranks_titles() && !in_title, distance_m.unwrap_or(0.0), id)
}

/// How two places compare in the list `q` asks for: title matches first when ranked, then
/// nearest or newest, ties by id so that the order is total.
fn list_order(q: &ListQuery, a: Position, b: Position) -> std::cmp::Ordering {
    match q.sort {
        Sort::Newest => a.0.cmp(&b.0).then(b.2.cmp(&a.2)),
        Sort::Distance => a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)),
    }
}

/// Sorts items that hold hits, from one table or merged from several, in the order of the
/// list `q` asks for: the order in which a [`Cursor`] at the last continues each table.
pub fn sort_in_list_order<T>(items: &mut [T], q: &ListQuery, hit: impl Fn(&T) -> &Hit) {
    items.sort_by(|a, b| {
        let (a, b) = (hit(a), hit(b));
        list_order(q, position(q, a.in_title, a.distance_m, a.id), position(q, b.in_title, b.distance_m, b.id))
    });
}

/// Orders in-memory hits as `q` asks and cuts the page after `q`'s cursor.
fn paginate(mut hits: Vec<Hit>, q: &ListQuery) -> HitPage {
    sort_in_list_order(&mut hits, q, |h| h);
    if let Some(after) = &q.after {
        let at = position(q, after.in_title.unwrap_or(false), after.distance_m(), after.id);
        hits.retain(|h| list_order(q, position(q, h.in_title, h.distance_m, h.id), at).is_gt());
    }
    let more = hits.len() as u64 > q.limit;
    hits.truncate(q.limit as usize);
    let next = if more { hits.last().map(|h| Cursor::after_hit(q, h)) } else { None };
    HitPage { hits, next }
}

/// Every condition of `q` but the cursor: the rows [`find`] reads before its exact checks.
fn match_condition(backend: DatabaseBackend, spec: TableSpec, q: &ListQuery) -> Condition {
    let mut cond = q.condition.clone().add(filters(backend, spec, q, !text_in_memory(backend, spec, q)));
    if let Some(near) = q.near {
        let mut any = in_ranges(covering_ranges(near.centre, near.radius));
        // Coarse rows match through the centre of their coarse cell only: their candidates come
        // from the coarse cover too, and the exact check measures them to that centre. The
        // ranges stay one flat OR, each term led by an `index_cell` range, so that SQLite reads
        // every term through the index (nested under AND/NOT it scanned the whole table).
        if let Some(c) = &q.coarse {
            for r in crate::geo::coarse_ranges(near.centre, near.radius, c.resolution) {
                any = any.add(Condition::all().add(col("index_cell").between(r.lo, r.hi)).add(c.rows.clone()));
            }
        }
        cond = cond.add(any);
        // Exact points outside the circle's bounding box cannot match: the cover is wider than
        // the circle, so this drops a third of the point candidates before they are read.
        if spec.has_point
            && let Some((lat_lo, lat_hi, lng_lo, lng_hi)) = bounding_box(near)
        {
            cond = cond.add(
                Condition::any()
                    .add(col("lat").is_null())
                    .add(Condition::all().add(col("lat").between(lat_lo, lat_hi)).add(col("lng").between(lng_lo, lng_hi))),
            );
        }
    }
    cond
}

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

/// The hits whose text has every word of `text` (as a word's start, case and accents ignored,
/// as FTS5 matches), each marked [`Hit::in_title`] where its title alone has them; a coarse
/// hit never matches by its text.
async fn with_words(db: &impl Conn, spec: TableSpec, hits: Vec<Hit>, text: &str) -> Result<Vec<Hit>, DbErr> {
    let words = crate::domain::text::query_words(text);
    let hits: Vec<Hit> = hits.into_iter().filter(|h| !h.coarse).collect();
    if words.is_empty() || hits.is_empty() {
        return Ok(if words.is_empty() { Vec::new() } else { hits });
    }
    let rows: Vec<i64> = hits.iter().map(|h| h.row).collect();
    let mut matching = std::collections::HashMap::new();
    for (seq, text) in texts(db, spec.table, &rows, spec.text_columns).await? {
        if crate::search::highlight::contains_all(&text.join(" "), &words) {
            let title = text.first().is_some_and(|t| crate::search::highlight::contains_all(t, &words));
            matching.insert(seq, title);
        }
    }
    Ok(hits.into_iter().filter_map(|h| matching.get(&h.row).map(|&in_title| Hit { in_title, ..h })).collect())
}

/// Marks the hits whose title has every word of `text` ([`Hit::in_title`]), where the words
/// were matched in SQL. A table without text of its own (volunteers) matched them by its
/// title alone.
async fn mark_titles(db: &impl Conn, spec: TableSpec, hits: &mut [Hit], text: &str) -> Result<(), DbErr> {
    let Some(title) = title_column(spec) else {
        hits.iter_mut().for_each(|h| h.in_title = true);
        return Ok(());
    };
    let words = crate::domain::text::query_words(text);
    let rows: Vec<i64> = hits.iter().map(|h| h.row).collect();
    let titled: std::collections::HashSet<i64> = texts(db, spec.table, &rows, &[title])
        .await?
        .into_iter()
        .filter(|(_, t)| t.first().is_some_and(|t| crate::search::highlight::contains_all(t, &words)))
        .map(|(seq, _)| seq)
        .collect();
    for h in hits {
        h.in_title = titled.contains(&h.row);
    }
    Ok(())
}

/// The text `columns` (column names or SQL expressions) of the rows `rows` of `table`, by
/// row number (NULL as empty): through the lean reader where there is one, else the driver.
async fn texts(db: &impl Conn, table: &str, rows: &[i64], columns: &[&str]) -> Result<Vec<(i64, Vec<String>)>, DbErr> {
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

/// A latitude/longitude box that contains the whole circle, with a margin; `None` near the
/// poles or the antimeridian, where a box would need two parts.
fn bounding_box(near: Near) -> Option<(f64, f64, f64, f64)> {
    let dlat = (near.radius.metres() / 6_371_008.8).to_degrees() * 1.01 + 1e-6;
    let (lat, lng) = (near.centre.lat(), near.centre.lng());
    let lat_lo = lat - dlat;
    let lat_hi = lat + dlat;
    if lat_lo <= -85.0 || lat_hi >= 85.0 {
        return None;
    }
    let widest = lat_lo.abs().max(lat_hi.abs()).to_radians().cos();
    let dlng = dlat / widest;
    let (lng_lo, lng_hi) = (lng - dlng, lng + dlng);
    if lng_lo <= -180.0 || lng_hi >= 180.0 {
        return None;
    }
    Some((lat_lo, lat_hi, lng_lo, lng_hi))
}

/// What the first step needs of a row: its id and where it is.
struct Candidate {
    row: i64,
    id: Uuid,
    coarse: bool,
    own_cell: Option<i64>,
    point: Option<Coordinates>,
}

/// Runs the candidate select.
///
/// On SQLite outside a transaction the lean reader (see [`super::reader`]) reads the rows in
/// the calling thread; otherwise (PostgreSQL, or SQLite inside a transaction) the driver does.
async fn candidates(db: &impl Conn, spec: TableSpec, inner: SelectStatement) -> Result<Vec<Candidate>, DbErr> {
    if let Some(readers) = db.readers() {
        let stmt = db.get_database_backend().build(&inner);
        // By position, as [`find`] selects them: seq, id, coarse, then the cell, then the point.
        let lat_at = 3 + usize::from(spec.cell_column.is_some());
        let read = readers.rows(&stmt, |r| {
            let own_cell = if spec.cell_column.is_some() { Some(r.get::<_, i64>(3)?) } else { None };
            let point = if spec.has_point {
                let lat: Option<f64> = r.get(lat_at)?;
                let lng: Option<f64> = r.get(lat_at + 1)?;
                lat.zip(lng).and_then(|(a, b)| Coordinates::parse(a, b).ok())
            } else {
                None
            };
            let id: [u8; 16] = r.get(1)?;
            Ok(Candidate { row: r.get(0)?, id: Uuid::from_bytes(id), own_cell, point, coarse: r.get::<_, i64>(2)? != 0 })
        })?;
        if let Some(candidates) = read {
            return Ok(candidates);
        }
    }
    let rows = db.query_all(&inner).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let own_cell: Option<i64> = match spec.cell_column {
            Some(c) => Some(row.try_get("", c)?),
            None => None,
        };
        let point = if spec.has_point {
            let lat: Option<f64> = row.try_get("", "lat")?;
            let lng: Option<f64> = row.try_get("", "lng")?;
            lat.zip(lng).and_then(|(a, b)| Coordinates::parse(a, b).ok())
        } else {
            None
        };
        let coarse: i32 = row.try_get("", "coarse")?;
        out.push(Candidate { row: row.try_get("", "seq")?, id: row.try_get("", "id")?, own_cell, point, coarse: coarse != 0 });
    }
    Ok(out)
}

/// `seq` among `rows`, bound as one JSON value on both engines: the statement's text is the same
/// for any number of rows, so it stays prepared, and no list meets a limit on bound values.
fn seq_in(backend: DatabaseBackend, rows: &[i64]) -> Expr {
    let list = serde_json::to_string(rows).expect("integers serialise");
    match backend {
        DatabaseBackend::Postgres => {
            Expr::cust_with_values("seq IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)", [Value::from(list)])
        }
        _ => Expr::cust_with_values("seq IN (SELECT value FROM json_each(?))", [Value::from(list)]),
    }
}

/// Loads the full rows of one page by row number ([`Hit::row`]).
pub async fn load_page<E>(db: &impl Conn, rows: &[i64]) -> Result<Vec<E::Model>, DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: serde::de::DeserializeOwned,
{
    use sea_orm::QueryFilter;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // No entity maps `seq` (see the entities module), so it is named here.
    load_all(db, E::find().filter(seq_in(db.get_database_backend(), rows))).await
}

/// The rows `select` finds: on SQLite outside a transaction through the lean reader (see
/// [`super::reader`]), else through the driver.
pub async fn load_all<E>(db: &impl Conn, select: sea_orm::Select<E>) -> Result<Vec<E::Model>, DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: serde::de::DeserializeOwned,
{
    use sea_orm::sea_query::ColumnType;
    use sea_orm::{ColumnTrait, IdenStatic, Iterable, QueryTrait};
    let Some(readers) = db.readers() else { return select.all(db).await };
    let query = select.into_query();
    // The entity's columns in select order, which is the model's field order, and how each
    // reads in the model's serde form. A row becomes a JSON array, which serde reads into
    // the struct field by field (no map of names to build per row).
    let columns: Vec<(&'static str, bool, bool)> = E::Column::iter()
        .map(|c| {
            let t = c.def().get_column_type().clone();
            (c.as_str(), matches!(t, ColumnType::Uuid), matches!(t, ColumnType::Boolean))
        })
        .collect();
    let stmt = db.get_database_backend().build(&query);
    let read = readers.rows(&stmt, |r| {
        use rusqlite::types::ValueRef;
        let mut fields = Vec::with_capacity(columns.len());
        for (i, &(name, is_uuid, is_bool)) in columns.iter().enumerate() {
            let value = match r.get_ref(i)? {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(v) if is_bool => serde_json::Value::Bool(v != 0),
                ValueRef::Integer(v) => v.into(),
                ValueRef::Real(v) => serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                ValueRef::Blob(b) if is_uuid => {
                    let id = Uuid::from_slice(b)
                        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Blob, e.into()))?;
                    id.to_string().into()
                }
                ValueRef::Blob(_) => return Err(rusqlite::Error::InvalidColumnType(i, name.into(), rusqlite::types::Type::Blob)),
            };
            fields.push(value);
        }
        Ok(serde_json::Value::Array(fields))
    })?;
    if let Some(rows) = read {
        return rows.into_iter().map(|v| serde_json::from_value(v).map_err(|e| DbErr::Custom(format!("unreadable row: {e}")))).collect();
    }
    // A value the lean reader cannot bind: the driver reads the same statement.
    E::find().from_raw_sql(stmt).all(db).await
}

/// Whether an item lies inside `cell`. An exact point is inside when the cell holds it
/// geometrically (the cell a map shows). A cell-located item is inside when its own cell is the
/// query cell or one of its H3 descendants; one coarser than the query cell is not inside it.
fn inside_cell(cell: CellId, own_cell: Option<i64>, point: Option<Coordinates>) -> bool {
    let res = cell.index().resolution();
    if let Some(p) = point {
        return p.cell(res) == cell.index();
    }
    match own_cell.and_then(CellId::from_db) {
        Some(own) if own.index().resolution() >= res => own.index().parent(res) == Some(cell.index()),
        _ => false,
    }
}

/// Candidate storage ranges for a cell filter: its H3 descendants (cell-located items) and the
/// cover of the circle around it (exact points, which H3 does not nest geometrically).
fn cell_candidates(cell: CellId) -> Vec<crate::geo::CellRange> {
    let index = cell.index();
    let mut ranges = Vec::new();
    if index.resolution() <= STORAGE_RESOLUTION {
        let lo = index.center_child(STORAGE_RESOLUTION).expect("finer or equal resolution");
        let hi = index.child_at(index.children_count(STORAGE_RESOLUTION) - 1, STORAGE_RESOLUTION).expect("last child");
        ranges.push(crate::geo::CellRange { lo: u64::from(lo) as i64, hi: u64::from(hi) as i64 });
    }
    let centre = Coordinates::of_cell_centre(index);
    let reach =
        index.boundary().iter().map(|v| centre.distance_m(Coordinates::parse(v.lat(), v.lng()).expect("vertex"))).fold(0.0, f64::max);
    // Cells coarser than a 50 km circle (resolution 4 and below) keep to their descendants.
    if let Ok(radius) = Radius::parse((reach * 1.01).max(1.0)) {
        ranges.extend(covering_ranges(centre, radius));
    }
    ranges
}

/// Whether [`find`] checks `q`'s words against each candidate's text (see [`TEXT_IN_MEMORY_MAX_M`]).
fn text_in_memory(backend: DatabaseBackend, spec: TableSpec, q: &ListQuery) -> bool {
    backend == DatabaseBackend::Sqlite
        && spec.full_text
        && q.text.is_some()
        && q.near.is_some_and(|n| n.radius.metres() <= TEXT_IN_MEMORY_MAX_M)
}

/// Conditions that do not depend on the order: cell, area, tags, and text when `text_in_sql`.
fn filters(backend: DatabaseBackend, spec: TableSpec, q: &ListQuery, text_in_sql: bool) -> Condition {
    let mut cond = Condition::all();
    if let Some(cell) = q.cell {
        cond = cond.add(in_ranges(cell_candidates(cell)));
    }
    match &q.area {
        Some(CbsCode::Gemeente(code)) => cond = cond.add(col("gemeente_code").eq(code.as_str())),
        Some(CbsCode::Wijk(code)) => {
            cond = cond.add(col("wijk_code").eq(code.as_str()));
            // A coarse row's wijk is finer than what the reader may know of it.
            if let Some(c) = &q.coarse {
                cond = cond.add(c.rows.clone().not());
            }
        }
        None => {}
    }
    for (scheme, codes) in &q.tags {
        if codes.is_empty() {
            continue;
        }
        let sub: SelectStatement = Query::select()
            .column(Alias::new("entity_id"))
            .from(Alias::new("tags"))
            .and_where(col("scheme").eq(*scheme))
            .and_where(col("code").is_in(codes.iter().copied()))
            .to_owned();
        cond = cond.add(col("id").in_subquery(sub));
    }
    if let Some(text) = &q.text
        && spec.full_text
        && text_in_sql
    {
        cond = cond.add(text_condition(backend, spec.table, text, None));
        // Nor may its text decide whether it matches.
        if let Some(c) = &q.coarse {
            cond = cond.add(c.rows.clone().not());
        }
    }
    cond
}

/// The rows whose text has every word of `text` as a word's start: all their indexed text, or
/// with `column` that column alone (FTS5 column filter; on PostgreSQL the column's own vector).
fn text_condition(backend: DatabaseBackend, table: &str, text: &str, column: Option<&str>) -> Condition {
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
/// a list ranked by title ([`ListQuery::title_first`]). `None` for a table without text of its
/// own (volunteers), whose words matched its title alone, so every row is in the first group.
fn title_condition(backend: DatabaseBackend, spec: TableSpec, text: &str) -> Option<Condition> {
    Some(text_condition(backend, spec.table, text, Some(title_column(spec)?)))
}

/// The title among a table's text columns; `None` for a table without text of its own.
fn title_column(spec: TableSpec) -> Option<&'static str> {
    spec.text_columns.first().copied().filter(|_| spec.full_text)
}

/// A page of full rows of `E` in list order, each with its distance, and the next cursor:
/// [`find`] for the ids, then [`load_page`] for the rows.
pub async fn list<E>(
    db: &impl Conn,
    spec: TableSpec,
    q: &ListQuery,
    id_of: impl Fn(&E::Model) -> Uuid,
) -> Result<(Vec<(E::Model, Option<f64>)>, Option<Cursor>), DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: serde::de::DeserializeOwned,
{
    let (rows, next) = list_hits::<E>(db, spec, q, id_of).await?;
    Ok((rows.into_iter().map(|(r, h)| (r, h.distance_m)).collect(), next))
}

/// As [`list`], each row with its whole hit (distance, and whether its title matched).
pub async fn list_hits<E>(
    db: &impl Conn,
    spec: TableSpec,
    q: &ListQuery,
    id_of: impl Fn(&E::Model) -> Uuid,
) -> Result<(Vec<(E::Model, Hit)>, Option<Cursor>), DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: serde::de::DeserializeOwned,
{
    let page = find(db, spec, q).await?;
    let wanted: Vec<i64> = page.hits.iter().map(|h| h.row).collect();
    let rows = load_page::<E>(db, &wanted).await?;
    Ok((in_hit_order(&page.hits, rows, id_of), page.next))
}

/// As [`list_hits`], for a query with a radius or a cell, also returning every hit regardless
/// of cursor and page: what facet counts need, from one candidate read instead of two.
#[allow(clippy::type_complexity)]
pub async fn list_with_all_hits<E>(
    db: &impl Conn,
    spec: TableSpec,
    q: &ListQuery,
    id_of: impl Fn(&E::Model) -> Uuid,
) -> Result<(Vec<(E::Model, Hit)>, Option<Cursor>, Vec<Hit>), DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: serde::de::DeserializeOwned,
{
    debug_assert!(q.near.is_some() || q.cell.is_some(), "only in-memory queries hold all their hits");
    let mut all = q.clone();
    all.after = None;
    all.limit = u64::MAX / 2;
    let every = find(db, spec, &all).await?.hits;
    let page = paginate(every.clone(), q);
    let wanted: Vec<i64> = page.hits.iter().map(|h| h.row).collect();
    let rows = load_page::<E>(db, &wanted).await?;
    Ok((in_hit_order(&page.hits, rows, id_of), page.next, every))
}

/// Reorders loaded rows to the order of `hits`, dropping ids that vanished meanwhile.
fn in_hit_order<T>(hits: &[Hit], rows: Vec<T>, id_of: impl Fn(&T) -> Uuid) -> Vec<(T, Hit)> {
    let mut by_id: std::collections::HashMap<Uuid, T> = rows.into_iter().map(|r| (id_of(&r), r)).collect();
    hits.iter().filter_map(|h| by_id.remove(&h.id).map(|r| (r, *h))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_rejects_garbage() {
        let c = Cursor::at(Sort::Distance, Uuid::now_v7(), Some(1040.7968960514781));
        assert_eq!(Cursor::decode(&c.encode()).unwrap().distance_m(), Some(1040.7968960514781));
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "!!!", "eyJ4IjoxfQ", &URL_SAFE_NO_PAD.encode(br#"{"s":"distance","i":"00000000-0000-0000-0000-000000000000"}"#)] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Paging through hits ranked by title, page by page with the cursors, gives every hit
        /// once, in the order of one long page: title matches first, each group in its order.
        #[test]
        fn pages_ranked_by_title_cover_every_hit_once(
            hits in proptest::collection::vec((proptest::bool::ANY, 0u8..6), 0..40),
            page in 1u64..7,
            by_distance in proptest::bool::ANY,
        ) {
            let hits: Vec<Hit> = hits
                .iter()
                .enumerate()
                .map(|(i, &(in_title, d))| Hit { id: Uuid::from_u128(i as u128 + 1), row: i as i64, distance_m: by_distance.then_some(f64::from(d) * 10.0), coarse: false, in_title })
                .collect();
            let mut q = ListQuery::new(page);
            q.text = Some("taal".into());
            q.title_first = true;
            q.sort = if by_distance { Sort::Distance } else { Sort::Newest };
            let mut all = q.clone();
            all.limit = 1_000;
            let want: Vec<Uuid> = paginate(hits.clone(), &all).hits.iter().map(|h| h.id).collect();
            // Title matches first.
            let first_other = want.iter().position(|id| !hits.iter().any(|h| h.id == *id && h.in_title)).unwrap_or(want.len());
            proptest::prop_assert!(want[first_other..].iter().all(|id| hits.iter().any(|h| h.id == *id && !h.in_title)));
            let mut got = Vec::new();
            for _ in 0..100 {
                let p = paginate(hits.clone(), &q);
                got.extend(p.hits.iter().map(|h| h.id));
                match p.next {
                    Some(c) => {
                        let c = Cursor::decode(&c.encode()).unwrap();
                        proptest::prop_assert_eq!(c.in_title.is_some(), true);
                        q.after = Some(c);
                    }
                    None => break,
                }
            }
            proptest::prop_assert_eq!(got, want);
        }

        /// Every point of the circle lies inside its bounding box.
        #[test]
        fn bounding_box_holds_the_circle(lat in -80.0f64..80.0, lng in -170.0f64..170.0, r in 1.0f64..50_000.0, bearing in 0.0f64..360.0) {
            let near = Near { centre: Coordinates::parse(lat, lng).unwrap(), radius: Radius::parse(r).unwrap() };
            if let Some((lat_lo, lat_hi, lng_lo, lng_hi)) = bounding_box(near) {
                let p = crate::geo::cover::tests::destination(near.centre, bearing, near.radius.metres());
                proptest::prop_assert!((lat_lo..=lat_hi).contains(&p.lat()) && (lng_lo..=lng_hi).contains(&p.lng()), "{p:?} outside the box");
            }
        }
    }

    #[test]
    fn words_strip_syntax() {
        use crate::domain::text::query_words;
        assert_eq!(query_words("taal-café \"OR\" *NEAR(x)"), vec!["taal", "cafe", "or", "near", "x"]);
        assert!(query_words("*** ---").is_empty());
        assert_eq!(query_words(&"w ".repeat(20)).len(), 12, "at most 12 words reach the engine");
    }
}

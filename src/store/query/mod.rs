//! The list query every located resource shares: radius, cell, CBS area, tags, full text,
//! resource-specific conditions, and keyset pagination by newest or by distance.
//!
//! A query runs in two steps. The first selects only `(id, index_cell, cell, lat, lng)` of
//! matching rows; the second (in each resource's module) loads the full rows of one page.
//! With a radius the first step reads every candidate inside the cell cover and keeps those
//! within the radius by exact haversine distance, measured to the exact point where the item has
//! one and to the centre of its cell otherwise.

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{DatabaseBackend, DbErr};
use uuid::Uuid;

use super::Conn;
use crate::domain::list::{Cursor, ListFilter, Near, Sort};
use crate::domain::{CbsCode, CellId, Coordinates, Radius};
use crate::geo::{STORAGE_RESOLUTION, covering_ranges};

mod facets;
mod load;
mod text;

pub use facets::{Bucket, FacetBy, RowFacet, count_rows, facet_counts};
pub use load::{load_all, load_page};
use text::{mark_titles, text_condition, text_in_memory, title_condition, with_words};

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

/// Rows a reader sees only coarsely: located by the centre of their cell at `resolution`,
/// matched by radius and cell filters through that cell alone, never by their text or wijk.
#[derive(Debug, Clone)]
pub struct Coarse {
    /// Which rows (a condition on the table's own columns).
    pub rows: Condition,
    /// The resolution they are seen at.
    pub resolution: h3o::Resolution,
}

/// The filters and page of one list request, with what only the store adds: the
/// resource's own conditions and the rows the reader sees only coarsely.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// The shared filters and page.
    pub filter: ListFilter,
    /// Resource-specific conditions (kind, status ...).
    pub condition: Condition,
    /// Rows this reader sees only coarsely.
    pub coarse: Option<Coarse>,
}

impl ListQuery {
    /// The filter with no further conditions.
    pub fn new(filter: ListFilter) -> Self {
        Self { filter, condition: Condition::all(), coarse: None }
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
    /// Whether its title has every word of the query (see [`ListFilter::title_first`]); false
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

pub(super) fn col(name: &str) -> Expr {
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
    let ranked = q.filter.ranks_titles();
    let text = q.filter.text.as_deref().unwrap_or_default();

    // Cell and radius filters end with an exact check per row, so they read every candidate;
    // the others read one page in SQL, newest first (by title first, then the rest, when ranked).
    let in_memory = q.filter.near.is_some() || q.filter.cell.is_some();
    let found: Vec<(Candidate, bool)> = if in_memory {
        select.cond_where(cond);
        candidates(db, spec, select).await?.into_iter().map(|c| (c, false)).collect()
    } else if ranked {
        newest_by_title(db, spec, q, select, cond).await?
    } else {
        let mut cond = cond;
        if let Some(after) = &q.filter.after {
            cond = cond.add(col("id").lt(after.id()));
        }
        select.order_by(Alias::new("id"), Order::Desc).limit(q.filter.limit + 1).cond_where(cond);
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
        if let Some(cell) = q.filter.cell
            && !inside_cell(cell, own_cell, point)
        {
            continue;
        }
        let distance_m = match (q.filter.near, located) {
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
        let next = (hits.len() as u64 > q.filter.limit).then(|| {
            hits.truncate(q.filter.limit as usize);
            {
                let h = hits.last().expect("non-empty");
                Cursor::after(&q.filter, h.id, h.distance_m, h.in_title)
            }
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
    let title = title_condition(db.get_database_backend(), spec, q.filter.text.as_deref().unwrap_or_default());
    let mut found = Vec::new();
    for in_title in [true, false] {
        let after = q.filter.after.as_ref().filter(|c| c.in_title().is_some());
        // A cursor among the others is past every title match.
        if in_title && after.is_some_and(|c| c.in_title() == Some(false)) {
            continue;
        }
        let left = q.filter.limit + 1 - found.len() as u64;
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
        if let Some(after) = after.filter(|c| c.in_title() == Some(in_title)) {
            c = c.add(col("id").lt(after.id()));
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
    (q.filter.ranks_titles() && !in_title, distance_m.unwrap_or(0.0), id)
}

/// How two places compare in the list `q` asks for: title matches first when ranked, then
/// nearest or newest, ties by id so that the order is total.
fn list_order(q: &ListQuery, a: Position, b: Position) -> std::cmp::Ordering {
    match q.filter.sort {
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
    if let Some(after) = &q.filter.after {
        let at = position(q, after.in_title().unwrap_or(false), after.distance_m(), after.id());
        hits.retain(|h| list_order(q, position(q, h.in_title, h.distance_m, h.id), at).is_gt());
    }
    let more = hits.len() as u64 > q.filter.limit;
    hits.truncate(q.filter.limit as usize);
    let next = if more { hits.last().map(|h| Cursor::after(&q.filter, h.id, h.distance_m, h.in_title)) } else { None };
    HitPage { hits, next }
}

/// Every condition of `q` but the cursor: the rows [`find`] reads before its exact checks.
pub(super) fn match_condition(backend: DatabaseBackend, spec: TableSpec, q: &ListQuery) -> Condition {
    let mut cond = q.condition.clone().add(filters(backend, spec, q, !text_in_memory(backend, spec, q)));
    if let Some(near) = q.filter.near {
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

/// Conditions that do not depend on the order: cell, area, tags, and text when `text_in_sql`.
fn filters(backend: DatabaseBackend, spec: TableSpec, q: &ListQuery, text_in_sql: bool) -> Condition {
    let mut cond = Condition::all();
    if let Some(cell) = q.filter.cell {
        cond = cond.add(in_ranges(cell_candidates(cell)));
    }
    match &q.filter.area {
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
    for (scheme, codes) in &q.filter.tags {
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
    if let Some(text) = &q.filter.text
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
    debug_assert!(q.filter.near.is_some() || q.filter.cell.is_some(), "only in-memory queries hold all their hits");
    let mut all = q.clone();
    all.filter.after = None;
    all.filter.limit = u64::MAX / 2;
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
            let mut q = ListQuery::new(ListFilter::new(page));
            q.filter.text = Some("taal".into());
            q.filter.title_first = true;
            q.filter.sort = if by_distance { Sort::Distance } else { Sort::Newest };
            let mut all = q.clone();
            all.filter.limit = 1_000;
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
                        proptest::prop_assert_eq!(c.in_title().is_some(), true);
                        q.filter.after = Some(c);
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

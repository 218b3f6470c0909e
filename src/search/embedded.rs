//! The embedded engine: search answered from this service's own tables, through the same list
//! query as the list endpoints (H3 index for radius, FTS5 or PostgreSQL `dutch` full text for
//! words, tags for categories and domains) and the same visibility rules.
//!
//! Each type's table is asked for one page in the common order, and the pages are merged;
//! since ids are unique across tables, a cursor at the last hit continues every table.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

use super::highlight::snippet;
use super::{DocType, Facet, NextPage, SearchHit, SearchRequest, SearchResults, merge_buckets};
use crate::auth::policy::{self, ListingView};
use crate::auth::{Principal, Role};
use crate::domain::list::{Cursor, ListFilter};
use crate::domain::text::{fold, query_words};
use crate::domain::{ActivityCategory, CellId, ListingStatus};
use crate::store::Conn;
use crate::store::entities::{initiative, listing, volunteer};
use crate::store::query::{self, Bucket, FacetBy, Hit, ListQuery, RowFacet, TableSpec};
use crate::store::{StoreError, initiatives, listings, tags, volunteers};

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// Runs `req` for `p`.
pub async fn search(db: &impl Conn, p: &Principal, req: &SearchRequest, now: DateTime<Utc>) -> Result<SearchResults, StoreError> {
    let words = req.text.as_deref().map(query_words).unwrap_or_default();
    let mut hits = Vec::new();
    let mut more = false;
    let mut buckets: Vec<(Facet, Bucket)> = Vec::new();

    if req.wants(DocType::Initiative) {
        let mut q = base_query(req);
        q.condition = q.condition.add(col("status").ne("ended"));
        let (rows, next, every) = page::<initiative::Entity>(db, req, initiatives::SPEC, &q, |m| m.id).await?;
        more |= next.is_some();
        for (m, found) in rows {
            let d = found.distance_m;
            let Some(cell) = CellId::from_db(m.index_cell) else { continue };
            hits.push((
                found,
                SearchHit {
                    id: m.id,
                    doc_type: DocType::Initiative,
                    snippet: Some(snippet(&m.description, &words)),
                    title: Some(m.name),
                    distance_m: d,
                    cell,
                    kind: m.kind,
                    gemeente_code: m.gemeente_code,
                    audited_person: None,
                },
            ));
        }
        count_facets(db, req, initiatives::SPEC, &q, every, "1 = 0", None, &mut buckets).await?;
    }

    let kinds: Vec<&str> = [DocType::Offer, DocType::Request].into_iter().filter(|t| req.wants(*t)).map(DocType::code).collect();
    if !kinds.is_empty() {
        let mut q = base_query(req);
        let (visible, coarse) = listings::reader_conditions(p, now);
        q.condition = q.condition.add(col("kind").is_in(kinds)).add(listings::status_condition(&[ListingStatus::Open], now)).add(visible);
        let summarised = coarse.rows.clone();
        q.coarse = Some(coarse);
        let (rows, next, every) = page::<listing::Entity>(db, req, listings::SPEC, &q, |m| m.id).await?;
        more |= next.is_some();
        for (m, found) in rows {
            let d = found.distance_m;
            let view = policy::listing_view(p, &listings::facts(&m, now));
            let Some(own_cell) = CellId::from_db(m.cell) else { continue };
            let doc_type = if m.kind == "offer" { DocType::Offer } else { DocType::Request };
            let hit = match view {
                ListingView::Hidden => continue,
                ListingView::Summary => {
                    let Some(coarse) = policy::summary_cell(own_cell) else { continue };
                    SearchHit {
                        id: m.id,
                        doc_type,
                        title: None,
                        snippet: None,
                        distance_m: d,
                        cell: coarse,
                        kind: m.kind,
                        gemeente_code: m.gemeente_code,
                        audited_person: None,
                    }
                }
                ListingView::Public | ListingView::Full => SearchHit {
                    id: m.id,
                    doc_type,
                    snippet: Some(snippet(&m.description, &words)),
                    title: Some(m.title),
                    distance_m: d,
                    cell: own_cell,
                    kind: m.kind,
                    audited_person: m.owner_person_id.filter(|o| view == ListingView::Full && policy::audited_read(p, *o)),
                    gemeente_code: m.gemeente_code,
                },
            };
            hits.push((found, hit));
        }
        count_facets(db, req, listings::SPEC, &q, every, "owner_person_id IS NOT NULL", Some(summarised), &mut buckets).await?;
    }

    if req.wants(DocType::Volunteer)
        && let Some(mut q) = volunteer_query(p, req, &words)
    {
        let (rows, next, every) = page::<volunteer::Entity>(db, req, volunteers::SPEC, &q, |m| m.id).await?;
        more |= next.is_some();
        for (m, found) in rows {
            let d = found.distance_m;
            let Some(cell) = CellId::from_db(m.cell) else { continue };
            let skills: Vec<&str> = crate::domain::taxonomy::split_codes(&m.skills, ActivityCategory::from_code)
                .into_iter()
                .map(ActivityCategory::label_nl)
                .collect();
            let title = skills.join(", ");
            hits.push((
                found,
                SearchHit {
                    id: m.id,
                    doc_type: DocType::Volunteer,
                    snippet: Some(snippet(&title, &words)),
                    title: Some(title),
                    distance_m: d,
                    cell,
                    kind: "volunteer".into(),
                    gemeente_code: m.gemeente_code,
                    audited_person: policy::audited_read(p, m.person_id).then_some(m.person_id),
                },
            ));
        }
        q.filter.text = None;
        count_facets(db, req, volunteers::SPEC, &q, every, "1 = 1", None, &mut buckets).await?;
    }

    // The tables' pages merged in the order each was read in, so that a cursor at the last
    // hit continues each table.
    let order = base_query(req);
    query::sort_in_list_order(&mut hits, &order, |(found, _)| found);
    more |= hits.len() as u64 > req.limit;
    hits.truncate(req.limit as usize);
    let next = if more {
        hits.last().map(|(found, _)| NextPage::After(Cursor::after(&order.filter, found.id, found.distance_m, found.in_title)))
    } else {
        None
    };
    let hits: Vec<SearchHit> = hits.into_iter().map(|(_, h)| h).collect();
    let facets = req.facets.iter().map(|f| (*f, merge_buckets(buckets.iter().filter(|(g, _)| g == f).map(|(_, b)| b.clone())))).collect();
    Ok(SearchResults { hits, facets, next })
}

/// One page of a table; with facets asked around a point, also every hit, read once for both.
#[allow(clippy::type_complexity)]
async fn page<E>(
    db: &impl Conn,
    req: &SearchRequest,
    spec: TableSpec,
    q: &ListQuery,
    id_of: impl Fn(&E::Model) -> uuid::Uuid,
) -> Result<(Vec<(E::Model, Hit)>, Option<Cursor>, Option<Vec<Hit>>), StoreError>
where
    E: sea_orm::EntityTrait,
    E::Model: serde::de::DeserializeOwned,
{
    if !req.facets.is_empty() && q.filter.near.is_some() {
        let (rows, next, every) = query::list_with_all_hits::<E>(db, spec, q, id_of).await?;
        return Ok((rows, next, Some(every)));
    }
    let (rows, next) = query::list_hits::<E>(db, spec, q, id_of).await?;
    Ok((rows, next, None))
}

/// The list query every table shares.
fn base_query(req: &SearchRequest) -> ListQuery {
    let mut q = ListQuery::new(ListFilter::new(req.limit));
    q.filter.near = req.near;
    q.filter.area = req.area.clone();
    if !req.categories.is_empty() {
        q.filter.tags.push((tags::CATEGORY, req.categories.iter().map(|c| c.code()).collect()));
    }
    if !req.zrm.is_empty() {
        q.filter.tags.push((tags::ZRM, req.zrm.iter().map(|z| z.code()).collect()));
    }
    q.filter.text = req.text.clone();
    q.filter.sort = req.list_sort();
    q.filter.after = req.after.clone();
    q.filter.title_first = req.sort == super::SearchSort::Relevance;
    q
}

/// The query for volunteer profiles `p` may read (their own; a professional's gemeenten), or
/// `None` when there are none. A profile has no free text: each word must start one of its
/// skills' names, in Dutch or English.
fn volunteer_query(p: &Principal, req: &SearchRequest, words: &[String]) -> Option<ListQuery> {
    let mut scope = Condition::any();
    let mut any = false;
    if p.role == Role::Professional && !p.gemeenten.is_empty() {
        scope = scope.add(col("gemeente_code").is_in(p.gemeenten.clone()));
        any = true;
    }
    if let Some(me) = p.person_id {
        scope = scope.add(col("person_id").eq(me));
        any = true;
    }
    if !any {
        return None;
    }
    let mut q = base_query(req);
    q.condition = q.condition.add(scope).add(col("status").eq("active"));
    for w in words {
        let codes: Vec<&'static str> = ActivityCategory::ALL
            .iter()
            .filter(|c| [c.label_nl(), c.label_en()].iter().any(|l| query_words(&fold(l)).iter().any(|lw| lw.starts_with(w.as_str()))))
            .map(|c| c.code())
            .collect();
        if codes.is_empty() {
            return None;
        }
        q.filter.tags.push((tags::CATEGORY, codes));
    }
    Some(q)
}

/// Adds the counts of the asked facets over everything `q` matches in one table. With a
/// radius the hits themselves are counted (one read of their rows), so that the counts agree
/// with the exact distance check; otherwise SQL aggregates count what the conditions select.
#[allow(clippy::too_many_arguments)]
async fn count_facets(
    db: &impl Conn,
    req: &SearchRequest,
    spec: TableSpec,
    q: &ListQuery,
    every: Option<Vec<Hit>>,
    personal: &str,
    hidden_wijk: Option<Condition>,
    out: &mut Vec<(Facet, Bucket)>,
) -> Result<(), StoreError> {
    if req.facets.is_empty() {
        return Ok(());
    }
    let mut all = q.clone();
    all.filter.after = None;
    if let Some(hits) = every {
        let volunteers = spec.table == volunteers::SPEC.table;
        let by: Vec<RowFacet> = req
            .facets
            .iter()
            .map(|f| match f {
                Facet::Category if volunteers => RowFacet::Codes("skills"),
                Facet::Category => RowFacet::Codes("categories"),
                Facet::Zrm => RowFacet::Codes("zrm_domains"),
                Facet::Kind if volunteers => RowFacet::Constant("volunteer"),
                Facet::Kind => RowFacet::Column("kind"),
                Facet::Area => RowFacet::Column("wijk_code"),
            })
            .collect();
        // A summary's wijk is finer than its reader may know.
        let hide: Vec<bool> = req.facets.iter().map(|f| *f == Facet::Area).collect();
        let person_column = match spec.table {
            "listings" => Some("owner_person_id"),
            "volunteers" => Some("person_id"),
            _ => None,
        };
        for (facet, buckets) in req.facets.iter().zip(query::count_rows(db, spec, &hits, &by, person_column, &hide).await?) {
            out.extend(buckets.into_iter().map(|b| (*facet, b)));
        }
        return Ok(());
    }
    for facet in &req.facets {
        let (by, except) = match facet {
            Facet::Category => (FacetBy::Tag(tags::CATEGORY), None),
            Facet::Zrm => (FacetBy::Tag(tags::ZRM), None),
            Facet::Kind if spec.table == volunteers::SPEC.table => (FacetBy::Constant("volunteer"), None),
            Facet::Kind => (FacetBy::Column("kind"), None),
            // A summary's wijk is finer than its reader may know.
            Facet::Area => (FacetBy::Column("wijk_code"), hidden_wijk.clone()),
        };
        for b in query::facet_counts(db, spec, &all, by, personal, except).await? {
            out.push((*facet, b));
        }
    }
    Ok(())
}

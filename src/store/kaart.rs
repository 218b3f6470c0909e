//! What the kaart reads: the open listings of an area (and the offers just over its border),
//! the active initiatives and volunteers around it, and when each request was first helped.
//!
//! `listings.helped_at` is kept here, outside the listing model, so that no write through the
//! model (an edit of the listing) can touch it: it is set once, by [`mark_helped`], in the
//! transaction that accepts a match or a referral, and stays when that match or referral is
//! later removed: it is a fact about the request.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::QueryResult;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use uuid::Uuid;

use super::query::in_ranges;
use super::{Conn, StoreError};
use crate::geo::CellRange;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Records that request `id` was helped at `at`, unless it was before.
pub async fn mark_helped(db: &impl Conn, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
    let mut update = Query::update();
    update
        .table(a("listings"))
        .value(a("helped_at"), at)
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("helped_at")).is_null());
    db.execute(&update).await?;
    Ok(())
}

/// When request `id` was first helped; `None` when never (or no such listing).
pub async fn helped_at(db: &impl Conn, id: Uuid) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut select = Query::select();
    select.column(a("helped_at")).from(a("listings")).and_where(Expr::col(a("id")).eq(id));
    match db.query_one(&select).await? {
        Some(row) => Ok(row.try_get("", "helped_at")?),
        None => Ok(None),
    }
}

/// Which open listings to read.
#[derive(Debug, Clone, Default)]
pub struct OpenListings {
    /// Of these gemeenten (any, when empty and `wijk` is set).
    pub gemeenten: Vec<String>,
    /// Of this wijk only.
    pub wijk: Option<String>,
    /// Only this kind (`offer` or `request`).
    pub kind: Option<&'static str>,
    /// Only those whose storage cell lies in one of these ranges.
    pub ranges: Option<Vec<CellRange>>,
    /// Posted at or after.
    pub posted_from: Option<DateTime<Utc>>,
    /// Posted before.
    pub posted_before: Option<DateTime<Utc>>,
}

/// An open listing as the kaart counts it.
#[derive(Debug, Clone)]
pub struct OpenListing {
    /// Whether it is an offer (else a request).
    pub offer: bool,
    /// Storage cell.
    pub index_cell: i64,
    /// Comma-joined category codes.
    pub categories: String,
    /// Comma-joined ZRM codes.
    pub zrm_domains: String,
    /// CBS gemeente.
    pub gemeente_code: String,
    /// CBS wijk.
    pub wijk_code: String,
    /// Posted.
    pub created_at: DateTime<Utc>,
    /// First helped.
    pub helped_at: Option<DateTime<Utc>>,
}

/// The listings open at `now` that `q` names: `status = 'open'` and `valid_until > now`,
/// read with the few columns the kaart needs, on the area's `(…, status, valid_until)` index.
pub async fn open_listings(db: &impl Conn, q: &OpenListings, now: DateTime<Utc>) -> Result<Vec<OpenListing>, StoreError> {
    let mut select = Query::select();
    select
        .columns(["kind", "index_cell", "categories", "zrm_domains", "gemeente_code", "wijk_code", "created_at", "helped_at"].map(a))
        .from(a("listings"))
        .and_where(Expr::col(a("status")).eq("open"))
        .and_where(Expr::col(a("valid_until")).gt(now));
    match &q.wijk {
        Some(w) => select.and_where(Expr::col(a("wijk_code")).eq(w.as_str())),
        None => select.and_where(Expr::col(a("gemeente_code")).is_in(q.gemeenten.clone())),
    };
    if let Some(kind) = q.kind {
        select.and_where(Expr::col(a("kind")).eq(kind));
    }
    if let Some(ranges) = &q.ranges {
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        select.cond_where(in_ranges(ranges.clone()));
    }
    if let Some(t) = q.posted_from {
        select.and_where(Expr::col(a("created_at")).gte(t));
    }
    if let Some(t) = q.posted_before {
        select.and_where(Expr::col(a("created_at")).lt(t));
    }
    rows(db, &select, |r| {
        Ok(OpenListing {
            offer: r.try_get::<String>("", "kind")? == "offer",
            index_cell: r.try_get("", "index_cell")?,
            categories: r.try_get("", "categories")?,
            zrm_domains: r.try_get("", "zrm_domains")?,
            gemeente_code: r.try_get("", "gemeente_code")?,
            wijk_code: r.try_get("", "wijk_code")?,
            created_at: r.try_get("", "created_at")?,
            helped_at: r.try_get("", "helped_at")?,
        })
    })
    .await
}

async fn rows<T>(
    db: &impl Conn,
    select: &SelectStatement,
    read: impl Fn(&QueryResult) -> Result<T, sea_orm::DbErr>,
) -> Result<Vec<T>, StoreError> {
    let found = db.query_all(select).await?;
    Ok(found.iter().map(read).collect::<Result<Vec<T>, _>>()?)
}

/// An active initiative as the kaart counts it.
#[derive(Debug, Clone)]
pub struct ActiveInitiative {
    /// Identity.
    pub id: Uuid,
    /// Its exact point.
    pub lat: f64,
    /// Its exact point.
    pub lng: f64,
    /// Storage cell of the point.
    pub index_cell: i64,
    /// Comma-joined category codes.
    pub categories: String,
    /// Comma-joined ZRM codes.
    pub zrm_domains: String,
    /// CBS gemeente.
    pub gemeente_code: String,
    /// CBS wijk.
    pub wijk_code: String,
    /// Whether it has places left now: no capacity (unlimited), or a capacity above the
    /// places taken by matches in progress and accepted referrals, as the candidates list
    /// counts them ([`super::candidates::places_left`]).
    pub has_places: bool,
}

/// The active initiatives of `gemeenten`, with whether each has places left at `now`.
pub async fn active_initiatives(db: &impl Conn, gemeenten: &[String], now: DateTime<Utc>) -> Result<Vec<ActiveInitiative>, StoreError> {
    let mut select = Query::select();
    select
        .columns(["id", "lat", "lng", "index_cell", "categories", "zrm_domains", "gemeente_code", "wijk_code", "capacity"].map(a))
        .from(a("initiatives"))
        .and_where(Expr::col(a("status")).eq("active"))
        .and_where(Expr::col(a("gemeente_code")).is_in(gemeenten.to_vec()));
    let found: Vec<(ActiveInitiative, Option<i32>)> = rows(db, &select, |r| {
        Ok((
            ActiveInitiative {
                id: r.try_get("", "id")?,
                lat: r.try_get("", "lat")?,
                lng: r.try_get("", "lng")?,
                index_cell: r.try_get("", "index_cell")?,
                categories: r.try_get("", "categories")?,
                zrm_domains: r.try_get("", "zrm_domains")?,
                gemeente_code: r.try_get("", "gemeente_code")?,
                wijk_code: r.try_get("", "wijk_code")?,
                has_places: true,
            },
            r.try_get("", "capacity")?,
        ))
    })
    .await?;
    let limited: Vec<Uuid> = found.iter().filter(|(_, c)| c.is_some()).map(|(i, _)| i.id).collect();
    let mut taken: HashMap<Uuid, u32> = HashMap::new();
    for chunk in limited.chunks(5_000) {
        taken.extend(super::matches::helper_track_record(db, chunk, now).await?.1);
    }
    Ok(found
        .into_iter()
        .map(|(mut i, capacity)| {
            if let Some(c) = capacity {
                let places = u32::try_from(c).unwrap_or(0);
                i.has_places = super::candidates::places_left(places, taken.get(&i.id).copied().unwrap_or(0)) > 0;
            }
            i
        })
        .collect())
}

/// An active volunteer as the kaart counts them.
#[derive(Debug, Clone)]
pub struct ActiveVolunteer {
    /// The home cell at the precision they chose.
    pub cell: i64,
    /// How far they travel.
    pub max_travel_m: i32,
    /// Comma-joined category codes.
    pub skills: String,
    /// Comma-joined ZRM codes.
    pub zrm_domains: String,
}

/// The longest travel distance of any active volunteer: how far around an area to look.
pub async fn longest_travel_m(db: &impl Conn) -> Result<Option<i32>, StoreError> {
    let mut select = Query::select();
    select.expr_as(Func::max(Expr::col(a("max_travel_m"))), a("m")).from(a("volunteers")).and_where(Expr::col(a("status")).eq("active"));
    match db.query_one(&select).await? {
        Some(row) => Ok(row.try_get::<Option<i32>>("", "m")?),
        None => Ok(None),
    }
}

/// The active volunteers whose storage cell lies in `ranges`.
pub async fn active_volunteers(db: &impl Conn, ranges: &[CellRange]) -> Result<Vec<ActiveVolunteer>, StoreError> {
    let mut out = Vec::new();
    // Bounded statements: SQLite takes at most 32,766 bound values in one.
    for chunk in ranges.chunks(2_000) {
        let mut select = Query::select();
        select
            .columns(["cell", "max_travel_m", "skills", "zrm_domains"].map(a))
            .from(a("volunteers"))
            .and_where(Expr::col(a("status")).eq("active"))
            .cond_where(in_ranges(chunk.to_vec()));
        out.extend(
            rows(db, &select, |r| {
                Ok(ActiveVolunteer {
                    cell: r.try_get("", "cell")?,
                    max_travel_m: r.try_get("", "max_travel_m")?,
                    skills: r.try_get("", "skills")?,
                    zrm_domains: r.try_get("", "zrm_domains")?,
                })
            })
            .await?,
        );
    }
    Ok(out)
}

/// The gemeenten whose bounding box meets `[min_lng, min_lat, max_lng, max_lat]`.
pub async fn gemeenten_meeting(db: &impl Conn, bbox: [f64; 4]) -> Result<Vec<String>, StoreError> {
    let mut select = Query::select();
    select
        .column(a("code"))
        .from(a("areas"))
        .and_where(Expr::col(a("level")).eq(super::areas::GEMEENTE))
        .and_where(Expr::col(a("min_lng")).lte(bbox[2]))
        .and_where(Expr::col(a("max_lng")).gte(bbox[0]))
        .and_where(Expr::col(a("min_lat")).lte(bbox[3]))
        .and_where(Expr::col(a("max_lat")).gte(bbox[1]));
    rows(db, &select, |r| r.try_get("", "code")).await
}

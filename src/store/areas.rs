//! CBS gemeenten and wijken: import from GeoJSON, read back, and the in-memory locator.

use ::geo::BoundingRect;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde_json::Value;

use super::Conn;
use super::entities::area;
use crate::geo::geojson::parse_area_geometry;
use crate::geo::{AreaIndex, AreaShape};

/// `level` of a gemeente row.
pub const GEMEENTE: &str = "gemeente";
/// `level` of a wijk row.
pub const WIJK: &str = "wijk";

/// The CBS 2025 boundaries bundled with the service (CC BY 4.0, CBS / Kadaster).
pub const BUNDLED_GEMEENTEN: &str = include_str!("../../seed/cbs/gemeente_2025.geojson");
/// See [`BUNDLED_GEMEENTEN`].
pub const BUNDLED_WIJKEN: &str = include_str!("../../seed/cbs/wijk_2025.geojson");

/// Why an area file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not the GeoJSON we expect.
    #[error("{0}")]
    Format(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// One parsed feature, ready to store.
struct Feature {
    code: String,
    name: String,
    gemeente_code: Option<String>,
    geometry: Value,
    bbox: ::geo::Rect<f64>,
}

fn features(text: &str, level: &str) -> Result<Vec<Feature>, ImportError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| ImportError::Format(format!("not JSON: {e}")))?;
    let list = doc.get("features").and_then(Value::as_array).ok_or_else(|| ImportError::Format("not a FeatureCollection".into()))?;
    let mut out = Vec::with_capacity(list.len());
    for f in list {
        let props = f.get("properties").cloned().unwrap_or(Value::Null);
        let code = props.get("statcode").and_then(Value::as_str).ok_or_else(|| ImportError::Format("feature without statcode".into()))?;
        let code = crate::domain::CbsCode::parse(code).map_err(|e| ImportError::Format(format!("{code}: {e}")))?;
        let is_wijk = matches!(code, crate::domain::CbsCode::Wijk(_));
        if is_wijk != (level == WIJK) {
            return Err(ImportError::Format(format!("{code} is not a {level}")));
        }
        let name = props.get("statnaam").and_then(Value::as_str).unwrap_or(code.as_str()).to_owned();
        let gemeente_code = if is_wijk {
            Some(props.get("gmCode").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| code.gemeente()))
        } else {
            None
        };
        let geometry = f.get("geometry").cloned().unwrap_or(Value::Null);
        let shape = parse_area_geometry(&geometry).map_err(|e| ImportError::Format(format!("{code}: {e}")))?;
        let bbox = shape.bounding_rect().ok_or_else(|| ImportError::Format(format!("{code}: empty geometry")))?;
        out.push(Feature { code: code.to_string(), name, gemeente_code, geometry, bbox });
    }
    Ok(out)
}

/// Replaces all areas with the given gemeente and wijk GeoJSON FeatureCollections, in one
/// transaction: a broken file leaves the old areas in place.
pub async fn import(db: &sea_orm::DatabaseConnection, gemeenten: &str, wijken: &str) -> Result<usize, ImportError> {
    let mut all = features(gemeenten, GEMEENTE)?;
    all.extend(features(wijken, WIJK)?);
    let txn = super::locks::begin_write(db).await?;
    area::Entity::delete_many().exec(&txn).await?;
    let count = all.len();
    for chunk in all.chunks(200) {
        let rows = chunk.iter().map(|f| area::ActiveModel {
            code: Set(f.code.clone()),
            level: Set(if f.gemeente_code.is_some() { WIJK } else { GEMEENTE }.to_owned()),
            name: Set(f.name.clone()),
            gemeente_code: Set(f.gemeente_code.clone()),
            geometry: Set(f.geometry.to_string()),
            min_lat: Set(f.bbox.min().y),
            min_lng: Set(f.bbox.min().x),
            max_lat: Set(f.bbox.max().y),
            max_lng: Set(f.bbox.max().x),
        });
        area::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    Ok(count)
}

/// Imports the bundled CBS 2025 boundaries when the table is empty.
pub async fn ensure_loaded(db: &sea_orm::DatabaseConnection) -> Result<(), ImportError> {
    if area::Entity::find().count(db).await? == 0 {
        let n = import(db, BUNDLED_GEMEENTEN, BUNDLED_WIJKEN).await?;
        tracing::info!(areas = n, "imported bundled CBS 2025 boundaries");
    }
    Ok(())
}

/// Builds the point locator over all stored wijken.
pub async fn load_index(db: &impl Conn) -> Result<AreaIndex, ImportError> {
    let rows = area::Entity::find().filter(area::Column::Level.eq(WIJK)).all(db).await?;
    let mut shapes = Vec::with_capacity(rows.len());
    for r in rows {
        let geometry: Value = serde_json::from_str(&r.geometry).map_err(|e| ImportError::Format(format!("{}: {e}", r.code)))?;
        let geometry = parse_area_geometry(&geometry).map_err(|e| ImportError::Format(format!("{}: {e}", r.code)))?;
        shapes.push(AreaShape { code: r.code, gemeente_code: r.gemeente_code.unwrap_or_default(), geometry });
    }
    Ok(AreaIndex::new(shapes))
}

/// Filters for listing areas.
#[derive(Debug, Clone, Default)]
pub struct AreaFilter {
    /// `gemeente` or `wijk`.
    pub level: Option<&'static str>,
    /// Only the wijken of this gemeente.
    pub gemeente: Option<String>,
    /// Name contains (case-insensitive).
    pub name: Option<String>,
    /// Continue after this code.
    pub after: Option<String>,
    /// Page size.
    pub limit: u64,
}

/// A page of areas in code order, plus whether more follow.
pub async fn list(db: &impl Conn, f: &AreaFilter) -> Result<(Vec<area::Model>, bool), DbErr> {
    let mut q = area::Entity::find().order_by_asc(area::Column::Code);
    if let Some(level) = f.level {
        q = q.filter(area::Column::Level.eq(level));
    }
    if let Some(gm) = &f.gemeente {
        q = q.filter(area::Column::GemeenteCode.eq(gm.as_str()));
    }
    if let Some(name) = &f.name {
        let pattern = format!("%{}%", name.to_lowercase().replace(['\\', '%', '_'], ""));
        use sea_orm::sea_query::{Expr, ExprTrait, Func};
        q = q.filter(Expr::expr(Func::lower(Expr::col(area::Column::Name))).like(pattern));
    }
    if let Some(after) = &f.after {
        q = q.filter(area::Column::Code.gt(after.as_str()));
    }
    let mut rows = sea_orm::QuerySelect::limit(q, f.limit + 1).all(db).await?;
    let more = rows.len() as u64 > f.limit;
    rows.truncate(f.limit as usize);
    Ok((rows, more))
}

/// One area by code.
pub async fn get(db: &impl Conn, code: &str) -> Result<Option<area::Model>, DbErr> {
    area::Entity::find_by_id(code.to_owned()).one(db).await
}

/// The names of the given area codes.
pub async fn names(db: &impl Conn, codes: &[&str]) -> Result<std::collections::HashMap<String, String>, DbErr> {
    let rows = area::Entity::find()
        .select_only()
        .column(area::Column::Code)
        .column(area::Column::Name)
        .filter(area::Column::Code.is_in(codes.iter().copied()))
        .into_tuple::<(String, String)>()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

use sea_orm::QuerySelect;

//! CBS gemeenten and wijken: listing them, placing a point in them, reading one.

use std::collections::HashMap;

use super::State;
use super::error::{Error, Result};
use crate::domain::{CbsCode, Coordinates};
use crate::geo::Placement;
use crate::store::areas as rows;
pub use crate::store::areas::{AreaFilter, GEMEENTE, WIJK};
pub use crate::store::entities::area::Model as Area;

/// A page of areas in code order, and whether more follow.
pub async fn list(state: &State, filter: &AreaFilter) -> Result<(Vec<Area>, bool)> {
    Ok(rows::list(&state.db, filter).await?)
}

/// The wijk and gemeente a point lies in, with their names.
pub async fn locate(state: &State, point: Coordinates) -> Result<(Placement, HashMap<String, String>)> {
    let placed = state.areas.locate(point).ok_or_else(|| Error::Unprocessable {
        code: "outside_service_area",
        field: "lat".into(),
        message: "this point lies outside every wijk the service knows".into(),
    })?;
    let names = rows::names(&state.db, &[&placed.gemeente_code, &placed.wijk_code]).await?;
    Ok((placed, names))
}

/// One area with its boundary.
pub async fn get(state: &State, code: &CbsCode) -> Result<Area> {
    rows::get(&state.db, code.as_str()).await?.ok_or(Error::NotFound("area"))
}

//! Reading and writing the GeoJSON (RFC 7946) geometries we need: polygons and multipolygons
//! in, polygons (cell hexagons), points and multipolygons out.

use ::geo::{Coord, LineString, MultiPolygon, Polygon};
use h3o::CellIndex;
use serde_json::{Value, json};

/// Why a GeoJSON geometry could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid GeoJSON geometry: {0}")]
pub struct GeometryError(pub String);

/// Reads a `Polygon` or `MultiPolygon` geometry object.
pub fn parse_area_geometry(geometry: &Value) -> Result<MultiPolygon<f64>, GeometryError> {
    let kind = geometry.get("type").and_then(Value::as_str).unwrap_or_default();
    let coords = geometry.get("coordinates").ok_or_else(|| GeometryError("no coordinates".into()))?;
    match kind {
        "Polygon" => Ok(MultiPolygon(vec![parse_polygon(coords)?])),
        "MultiPolygon" => {
            let polys = coords.as_array().ok_or_else(|| GeometryError("coordinates must be an array".into()))?;
            Ok(MultiPolygon(polys.iter().map(parse_polygon).collect::<Result<_, _>>()?))
        }
        other => Err(GeometryError(format!("expected Polygon or MultiPolygon, got {other:?}"))),
    }
}

fn parse_polygon(value: &Value) -> Result<Polygon<f64>, GeometryError> {
    let rings = value.as_array().ok_or_else(|| GeometryError("a polygon is an array of rings".into()))?;
    let mut rings = rings.iter().map(parse_ring);
    let exterior = rings.next().ok_or_else(|| GeometryError("a polygon needs a ring".into()))??;
    let interiors = rings.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

fn parse_ring(value: &Value) -> Result<LineString<f64>, GeometryError> {
    let points = value.as_array().ok_or_else(|| GeometryError("a ring is an array of positions".into()))?;
    let coords = points
        .iter()
        .map(|p| {
            let x = p.get(0).and_then(Value::as_f64);
            let y = p.get(1).and_then(Value::as_f64);
            match (x, y) {
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Ok(Coord { x, y }),
                _ => Err(GeometryError("a position is [longitude, latitude]".into())),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if coords.len() < 4 {
        return Err(GeometryError("a ring needs at least four positions".into()));
    }
    Ok(LineString::new(coords))
}

/// The hexagon (or pentagon) of a cell as a closed GeoJSON Polygon.
pub fn cell_polygon(cell: CellIndex) -> Value {
    let boundary = cell.boundary();
    let mut ring: Vec<Value> = boundary.iter().map(|ll| json!([round7(ll.lng()), round7(ll.lat())])).collect();
    if let Some(first) = ring.first().cloned() {
        ring.push(first);
    }
    json!({ "type": "Polygon", "coordinates": [ring] })
}

/// A GeoJSON Point.
pub fn point(lat: f64, lng: f64) -> Value {
    json!({ "type": "Point", "coordinates": [round7(lng), round7(lat)] })
}

/// About 1 cm: more digits only add bytes (RFC 7946 §11.2 advises against false precision).
fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_polygons_and_multipolygons() {
        let poly = json!({"type":"Polygon","coordinates":[[[4.0,52.0],[5.0,52.0],[5.0,53.0],[4.0,52.0]]]});
        assert_eq!(parse_area_geometry(&poly).unwrap().0.len(), 1);
        let multi = json!({"type":"MultiPolygon","coordinates":[[[[4.0,52.0],[5.0,52.0],[5.0,53.0],[4.0,52.0]]],[[[6.0,52.0],[7.0,52.0],[7.0,53.0],[6.0,52.0]]]]});
        assert_eq!(parse_area_geometry(&multi).unwrap().0.len(), 2);
        assert!(parse_area_geometry(&json!({"type":"Point","coordinates":[4.0,52.0]})).is_err());
        assert!(parse_area_geometry(&json!({"type":"Polygon","coordinates":[[[4.0,52.0]]]})).is_err());
    }

    #[test]
    fn cell_polygon_is_closed_and_longitude_first() {
        let cell = h3o::LatLng::new(52.44, 4.82).unwrap().to_cell(h3o::Resolution::Eight);
        let v = cell_polygon(cell);
        let ring = v["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.first(), ring.last());
        assert_eq!(ring.len(), 7);
        let lng = ring[0][0].as_f64().unwrap();
        assert!((4.7..4.9).contains(&lng));
    }
}

//! Where things are: coordinates, radii, H3 cells, a person's location precision and CBS codes.

use std::fmt;
use std::str::FromStr;

use h3o::{CellIndex, LatLng, Resolution};

use super::Invalid;

/// A WGS84 point, latitude and longitude in degrees, both finite and in range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    lat: f64,
    lng: f64,
}

impl Coordinates {
    /// Accepts latitude in -90..=90 and longitude in -180..=180.
    pub fn parse(lat: f64, lng: f64) -> Result<Self, (&'static str, Invalid)> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(("lat", Invalid::new("latitude must be between -90 and 90")));
        }
        if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
            return Err(("lng", Invalid::new("longitude must be between -180 and 180")));
        }
        Ok(Self { lat, lng })
    }

    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    pub fn lng(self) -> f64 {
        self.lng
    }

    /// The H3 cell holding this point at `res`.
    pub fn cell(self, res: Resolution) -> CellIndex {
        self.lat_lng().to_cell(res)
    }

    /// The point as h3o's type (latitude first).
    pub fn lat_lng(self) -> LatLng {
        LatLng::new(self.lat, self.lng).expect("range-checked coordinates")
    }

    /// The centre of an H3 cell.
    pub fn of_cell_centre(cell: CellIndex) -> Self {
        let ll = LatLng::from(cell);
        Self { lat: ll.lat(), lng: ll.lng() }
    }

    /// Great-circle distance in metres (haversine on the mean earth radius).
    pub fn distance_m(self, other: Coordinates) -> f64 {
        use ::geo::{Distance, Haversine, Point};
        Haversine.distance(Point::new(self.lng, self.lat), Point::new(other.lng, other.lat))
    }
}

/// A search radius in metres: more than 0 and at most 50 km.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Radius(u32);

impl Radius {
    /// The largest radius a query may ask for, in metres.
    pub const MAX_M: u32 = 50_000;

    /// Accepts 1..=50,000 metres.
    pub fn parse(metres: f64) -> Result<Self, Invalid> {
        if !metres.is_finite() || metres <= 0.0 || metres > f64::from(Self::MAX_M) {
            return Err(Invalid::new("radius_m must be more than 0 and at most 50000"));
        }
        Ok(Self(metres.ceil() as u32))
    }

    /// The radius in metres.
    pub fn metres(self) -> f64 {
        f64::from(self.0)
    }
}

/// An H3 cell as written on the wire: a lower-case hex string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellId(CellIndex);

impl CellId {
    /// Parses a hex H3 cell index (any case, no prefix).
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.len() > 16 {
            return Err(Invalid::new("an H3 cell is a 15 or 16 character hexadecimal string"));
        }
        CellIndex::from_str(&trimmed.to_ascii_lowercase()).map(Self).map_err(|_| Invalid::new("not a valid H3 cell index"))
    }

    /// Wraps an h3o cell.
    pub fn new(cell: CellIndex) -> Self {
        Self(cell)
    }

    /// The h3o cell.
    pub fn index(self) -> CellIndex {
        self.0
    }

    /// The cell as stored in a BIGINT column; bit 63 of an H3 index is always 0, so this is lossless.
    pub fn to_db(self) -> i64 {
        u64::from(self.0) as i64
    }

    /// Reads a cell back from a BIGINT column.
    pub fn from_db(value: i64) -> Option<Self> {
        CellIndex::try_from(value as u64).ok().map(Self)
    }

    /// The cell's resolution, 0 to 15.
    pub fn resolution(self) -> u8 {
        u8::from(self.0.resolution())
    }
}

impl fmt::Display for CellId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}", u64::from(self.0))
    }
}

/// How precisely a person's home is known: an H3 resolution of 7, 8 (the default) or 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocationPrecision(Resolution);

impl LocationPrecision {
    /// Resolution 8 (about 0.74 km²), the default a person gets unless they choose otherwise.
    pub const DEFAULT: Self = Self(Resolution::Eight);

    /// Accepts 7, 8 or 9.
    pub fn parse(res: i64) -> Result<Self, Invalid> {
        match res {
            7 => Ok(Self(Resolution::Seven)),
            8 => Ok(Self(Resolution::Eight)),
            9 => Ok(Self(Resolution::Nine)),
            _ => Err(Invalid::new("precision must be 7, 8 or 9")),
        }
    }

    /// The H3 resolution.
    pub fn resolution(self) -> Resolution {
        self.0
    }

    /// The resolution as a number.
    pub fn value(self) -> u8 {
        u8::from(self.0)
    }
}

/// A CBS area code: a gemeente (`GM` + 4 digits) or a wijk (`WK` + 4 digits + 2 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CbsCode {
    /// A municipality, e.g. GM0479.
    Gemeente(String),
    /// A district, e.g. WK047901 or WK0363AD.
    Wijk(String),
}

impl CbsCode {
    /// Checks the shape of the code, not its existence; letters are accepted in the last two
    /// characters of a wijk because Amsterdam uses them.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let code = text.trim().to_ascii_uppercase();
        let b = code.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let alnum = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_alphanumeric);
        if b.len() == 6 && code.starts_with("GM") && digits(2..6) {
            Ok(Self::Gemeente(code))
        } else if b.len() == 8 && code.starts_with("WK") && digits(2..6) && alnum(6..8) {
            Ok(Self::Wijk(code))
        } else {
            Err(Invalid::new("a CBS code is GM followed by 4 digits, or WK followed by 4 digits and 2 characters"))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Gemeente(c) | Self::Wijk(c) => c,
        }
    }

    /// The gemeente code this area belongs to (a wijk's first four digits).
    pub fn gemeente(&self) -> String {
        match self {
            Self::Gemeente(c) => c.clone(),
            Self::Wijk(c) => format!("GM{}", &c[2..6]),
        }
    }
}

impl fmt::Display for CbsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_reject_out_of_range_and_nan() {
        assert!(Coordinates::parse(52.4, 4.8).is_ok());
        assert_eq!(Coordinates::parse(90.1, 0.0).unwrap_err().0, "lat");
        assert_eq!(Coordinates::parse(0.0, -180.5).unwrap_err().0, "lng");
        assert_eq!(Coordinates::parse(f64::NAN, 0.0).unwrap_err().0, "lat");
        assert!(Coordinates::parse(-90.0, 180.0).is_ok());
    }

    #[test]
    fn lat_lng_order_is_kept() {
        // The Domtoren in Utrecht: latitude 52.09, longitude 5.12.
        let c = Coordinates::parse(52.0907, 5.1214).unwrap();
        let ll = c.lat_lng();
        assert!((ll.lat() - 52.0907).abs() < 1e-9 && (ll.lng() - 5.1214).abs() < 1e-9);
        let back = Coordinates::of_cell_centre(c.cell(Resolution::Fifteen));
        assert!(c.distance_m(back) < 1.0);
    }

    #[test]
    fn radius_bounds() {
        assert!(Radius::parse(0.0).is_err());
        assert!(Radius::parse(-5.0).is_err());
        assert!(Radius::parse(50_001.0).is_err());
        assert!(Radius::parse(f64::INFINITY).is_err());
        assert_eq!(Radius::parse(50_000.0).unwrap().metres(), 50_000.0);
        assert_eq!(Radius::parse(0.2).unwrap().metres(), 1.0);
    }

    #[test]
    fn cell_round_trips_through_text_and_db() {
        let c = CellId::new(Coordinates::parse(52.44, 4.82).unwrap().cell(Resolution::Eight));
        let hex = c.to_string();
        assert_eq!(hex, hex.to_lowercase());
        assert_eq!(CellId::parse(&hex.to_uppercase()).unwrap(), c);
        assert_eq!(CellId::from_db(c.to_db()), Some(c));
        assert!(c.to_db() > 0);
        assert!(CellId::parse("zzz").is_err());
        assert!(CellId::parse("").is_err());
        assert!(CellId::parse("0").is_err());
    }

    #[test]
    fn cbs_codes() {
        assert_eq!(CbsCode::parse("GM0479").unwrap(), CbsCode::Gemeente("GM0479".into()));
        assert_eq!(CbsCode::parse("wk0363ad").unwrap(), CbsCode::Wijk("WK0363AD".into()));
        assert_eq!(CbsCode::parse("WK047901").unwrap().gemeente(), "GM0479");
        for bad in ["GM479", "GM04790", "BU04790101", "WK0479", "WKABCD01", "", "WK0363A-"] {
            assert!(CbsCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn precision() {
        assert_eq!(LocationPrecision::parse(8).unwrap(), LocationPrecision::DEFAULT);
        assert!(LocationPrecision::parse(6).is_err());
        assert!(LocationPrecision::parse(10).is_err());
    }
}

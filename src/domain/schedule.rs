//! Weekly time ranges: when an initiative is open and when a volunteer is available.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Invalid;

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday (maandag)
    Mon,
    /// Tuesday (dinsdag)
    Tue,
    /// Wednesday (woensdag)
    Wed,
    /// Thursday (donderdag)
    Thu,
    /// Friday (vrijdag)
    Fri,
    /// Saturday (zaterdag)
    Sat,
    /// Sunday (zondag)
    Sun,
}

impl Weekday {
    /// Every day, Monday first.
    pub const ALL: &'static [Weekday] = &[Self::Mon, Self::Tue, Self::Wed, Self::Thu, Self::Fri, Self::Sat, Self::Sun];

    /// What the type is.
    pub const DESCRIPTION: &'static str = "A day of the week.";

    /// The wire and stored code: `mon` ... `sun`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Mon => "mon",
            Self::Tue => "tue",
            Self::Wed => "wed",
            Self::Thu => "thu",
            Self::Fri => "fri",
            Self::Sat => "sat",
            Self::Sun => "sun",
        }
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|d| d.code() == code)
    }
}

/// A time of day with minute precision, written `HH:MM` (24-hour clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// Parses `HH:MM` from 00:00 to 24:00 (24:00 only as an end).
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let err = || Invalid::new("a time is written HH:MM, from 00:00 to 24:00");
        let (h, m) = text.split_once(':').ok_or_else(err)?;
        // Digits only: `u16::from_str` would take "+1" as 1, which the spec's pattern refuses.
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let h: u16 = h.parse().map_err(|_| err())?;
        let m: u16 = m.parse().map_err(|_| err())?;
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(err());
        }
        Ok(Self(h * 60 + m))
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// A weekly recurring range on one day, start strictly before end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeRange {
    /// The day.
    pub weekday: Weekday,
    /// From (inclusive).
    pub start: TimeOfDay,
    /// Until (exclusive).
    pub end: TimeOfDay,
}

impl TimeRange {
    /// Parses a range from its wire parts.
    pub fn parse(weekday: Weekday, start: &str, end: &str) -> Result<Self, (&'static str, Invalid)> {
        let start = TimeOfDay::parse(start).map_err(|e| ("start", e))?;
        let end = TimeOfDay::parse(end).map_err(|e| ("end", e))?;
        if start >= end {
            return Err(("end", Invalid::new("must be later than the start")));
        }
        Ok(Self { weekday, start, end })
    }

    /// True when two ranges share at least one minute on the same day.
    pub fn overlaps(&self, other: &TimeRange) -> bool {
        self.weekday == other.weekday && self.start < other.end && other.start < self.end
    }
}

/// Stored form of a list of ranges: a JSON array of `{weekday, start, end}`.
pub fn ranges_to_json(ranges: &[TimeRange]) -> String {
    let items: Vec<serde_json::Value> =
        ranges.iter().map(|r| serde_json::json!({"weekday": r.weekday, "start": r.start.to_string(), "end": r.end.to_string()})).collect();
    serde_json::Value::Array(items).to_string()
}

/// Reads the stored form back; entries that no longer parse are skipped rather than failing a read.
pub fn ranges_from_json(stored: &str) -> Vec<TimeRange> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(stored) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|v| {
            let weekday: Weekday = serde_json::from_value(v.get("weekday")?.clone()).ok()?;
            TimeRange::parse(weekday, v.get("start")?.as_str()?, v.get("end")?.as_str()?).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(TimeOfDay::parse("09:30").unwrap().minutes(), 570);
        assert_eq!(TimeOfDay::parse("24:00").unwrap().to_string(), "24:00");
        for bad in ["9:30", "24:01", "12:60", "ab:cd", "1230", "-1:00", "+1:00", "09:+5"] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges() {
        let a = TimeRange::parse(Weekday::Tue, "09:00", "12:00").unwrap();
        let b = TimeRange::parse(Weekday::Tue, "11:59", "13:00").unwrap();
        let c = TimeRange::parse(Weekday::Tue, "12:00", "13:00").unwrap();
        let d = TimeRange::parse(Weekday::Wed, "09:00", "12:00").unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c) && !a.overlaps(&d));
        assert_eq!(TimeRange::parse(Weekday::Mon, "10:00", "10:00").unwrap_err().0, "end");
    }
}

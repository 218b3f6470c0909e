//! The filters and keyset page every located list shares, as plain values: the API parses them
//! from the query string, the store turns them into SQL, the search engines into their own.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CbsCode, CellId, Coordinates, Invalid, Radius};

/// Radius queries up to this size match words on SQLite against the candidates' own text
/// instead of through FTS5: a common word ("hulp") matches a large part of a big table, and
/// FTS5 hands over every match before the radius can narrow them, hundreds of milliseconds at
/// a million rows; the few hundred candidates of a small circle are read and checked faster.
pub const TEXT_IN_MEMORY_MAX_M: f64 = 5_000.0;

/// Largest page.
pub const MAX_LIMIT: u64 = 200;
/// Default page.
pub const DEFAULT_LIMIT: u64 = 50;

/// One page of a list and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// The opaque cursor of the next page, when there is one.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// The same page with every item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

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
    /// In a list ranked by title ([`ListFilter::title_first`]): whether the item had every word
    /// in its title, the group the list continues in.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    in_title: Option<bool>,
}

impl Cursor {
    /// The opaque text form handed to clients, bound to the list of the request being answered
    /// ([`super::list_scope`]).
    pub fn encode(&self) -> String {
        seal_json(self)
    }

    /// Reads a cursor a client sent back; one from another list is refused.
    pub fn decode(text: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("not a cursor this service issued");
        let cursor: Cursor = open_json(text)?;
        match (cursor.sort, cursor.distance_m()) {
            (Sort::Newest, None) => Ok(cursor),
            (Sort::Distance, Some(d)) if d.is_finite() && d >= 0.0 => Ok(cursor),
            _ => Err(bad()),
        }
    }

    /// The position of an item in the list `f` asks for: a list merged from several tables
    /// continues after it in each of them, since ids are unique across tables. `in_title`
    /// says whether the item had every word in its title (used where the list ranks so).
    pub fn after(f: &ListFilter, id: Uuid, distance_m: Option<f64>, in_title: bool) -> Self {
        let distance = if f.sort == Sort::Distance { distance_m } else { None };
        Self { sort: f.sort, id, distance_bits: distance.map(f64::to_bits), in_title: f.ranks_titles().then_some(in_title) }
    }

    /// Whether the cursor comes from a list ranked by title, and then whether the item it
    /// follows had every word in its title.
    pub fn in_title(&self) -> Option<bool> {
        self.in_title
    }

    /// The order of the list the cursor comes from.
    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// The item the cursor follows.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The distance of the item the cursor follows, in a list nearest first.
    pub fn distance_m(&self) -> Option<f64> {
        self.distance_bits.map(f64::from_bits)
    }
}

/// The position after the last item of a list ordered by last change, newest first (a work
/// list): the item's time of change and id, which together are unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCursor {
    /// The item's last change, in microseconds since the epoch (exact, unlike decimal text).
    #[serde(rename = "u")]
    pub at_micros: i64,
    /// The item.
    #[serde(rename = "i")]
    pub id: Uuid,
}

impl ChangeCursor {
    /// The position after an item changed at `at`.
    pub fn after(at: chrono::DateTime<chrono::Utc>, id: Uuid) -> Self {
        Self { at_micros: at.timestamp_micros(), id }
    }

    /// The item's time of change.
    pub fn at(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_micros(self.at_micros).unwrap_or_default()
    }

    /// The opaque text form, bound to the list of the request being answered.
    pub fn encode(&self) -> String {
        seal_json(self)
    }

    /// Reads a cursor a client sent back; one from another list is refused.
    pub fn decode(text: &str) -> Result<Self, Invalid> {
        let c: Self = open_json(text)?;
        chrono::DateTime::from_timestamp_micros(c.at_micros).ok_or_else(|| Invalid::new("not a cursor this service issued"))?;
        Ok(c)
    }
}

/// A cursor's opaque text: its JSON, base64url, sealed to the list being answered.
fn seal_json(cursor: &impl Serialize) -> String {
    super::list_scope::seal(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).expect("cursor serialises")))
}

/// Reads a cursor's opaque text back; text this list did not issue is refused.
fn open_json<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, Invalid> {
    let bad = || Invalid::new("not a cursor this service issued");
    if text.len() > 200 {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(super::list_scope::open(text)?).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// The filters and page of one list request, already parsed.
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// Radius filter.
    pub near: Option<Near>,
    /// Only items inside this cell.
    pub cell: Option<CellId>,
    /// Only items in this gemeente or wijk.
    pub area: Option<CbsCode>,
    /// Tag filters: within one scheme any code matches; all schemes must match.
    pub tags: Vec<(&'static str, Vec<&'static str>)>,
    /// Full-text query.
    pub text: Option<String>,
    /// Order.
    pub sort: Sort,
    /// Page size (1..=200).
    pub limit: u64,
    /// Continue after this position.
    pub after: Option<Cursor>,
    /// With `text`: the items with every word in their title (an initiative's name, a
    /// listing's title, a volunteer's skills) come first, then the others, each group in
    /// `sort` order. The embedded engine's relevance: plain, the same on both databases, and a
    /// reason a person can see.
    pub title_first: bool,
}

impl ListFilter {
    /// A query with no filters, newest first.
    pub fn new(limit: u64) -> Self {
        Self {
            near: None,
            cell: None,
            area: None,
            tags: Vec::new(),
            text: None,
            sort: Sort::Newest,
            limit,
            after: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_rejects_garbage() {
        let c = Cursor { sort: Sort::Distance, id: Uuid::now_v7(), distance_bits: Some(1040.7968960514781f64.to_bits()), in_title: None };
        assert_eq!(Cursor::decode(&c.encode()).unwrap().distance_m(), Some(1040.7968960514781));
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "!!!", "eyJ4IjoxfQ", &URL_SAFE_NO_PAD.encode(br#"{"s":"distance","i":"00000000-0000-0000-0000-000000000000"}"#)] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }
}

//! Search over the local social map: one query shape and one result shape, answered by an
//! engine behind a seam. The embedded engine (this crate's own tables: SQLite FTS5 or
//! PostgreSQL full text, and the H3 index) is the default; it needs no other server.
//!
//! Visibility is the engine's job, not the caller's: a hit is only ever something the caller
//! may read through the listing, initiative and volunteer endpoints, shown no more fully
//! than there.

pub mod document;
pub mod embedded;
pub mod highlight;
pub mod meili;
pub mod outbox;

use uuid::Uuid;

use crate::auth::policy;
use crate::domain::list::{Cursor, Near, Sort};
use crate::domain::{ActivityCategory, CbsCode, CellId, ZrmDomain};
use crate::store::query::Bucket;

/// The kinds of thing search finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocType {
    /// An initiative: a group, activity or service at a public place.
    Initiative,
    /// An offer of help (a resident's or an initiative's).
    Offer,
    /// A request for help.
    Request,
    /// A volunteer profile.
    Volunteer,
}

impl DocType {
    /// Every type, in the order results list them on ties.
    pub const ALL: [DocType; 4] = [DocType::Initiative, DocType::Offer, DocType::Request, DocType::Volunteer];

    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            DocType::Initiative => "initiative",
            DocType::Offer => "offer",
            DocType::Request => "request",
            DocType::Volunteer => "volunteer",
        }
    }
}

/// A facet the caller can ask counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Facet {
    /// Activity categories (a volunteer's skills).
    Category,
    /// ZRM life domains.
    Zrm,
    /// The kind: offer, request, volunteer, or the initiative's kind.
    Kind,
    /// The CBS wijk.
    Area,
}

impl Facet {
    /// Every facet.
    pub const ALL: [Facet; 4] = [Facet::Category, Facet::Zrm, Facet::Kind, Facet::Area];

    /// The wire name.
    pub fn code(self) -> &'static str {
        match self {
            Facet::Category => "category",
            Facet::Zrm => "zrm",
            Facet::Kind => "kind",
            Facet::Area => "area",
        }
    }

    /// Reads a wire name.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }
}

/// The order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchSort {
    /// Best match first. The embedded engine does not rank by text: its matches come nearest
    /// first where a point is given, else newest first.
    Relevance,
    /// Nearest first; needs a point.
    Distance,
}

/// One search, parsed.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// Free text; `None` is a browse.
    pub text: Option<String>,
    /// Radius filter, and the point distances are measured from.
    pub near: Option<Near>,
    /// Types to find; all when empty.
    pub types: Vec<DocType>,
    /// Any of these categories.
    pub categories: Vec<ActivityCategory>,
    /// Any of these ZRM domains.
    pub zrm: Vec<ZrmDomain>,
    /// Only in this gemeente or wijk.
    pub area: Option<CbsCode>,
    /// Facets to count.
    pub facets: Vec<Facet>,
    /// Order.
    pub sort: SearchSort,
    /// Page size.
    pub limit: u64,
    /// Continue after this position.
    pub after: Option<Cursor>,
}

impl SearchRequest {
    /// The list order the engines page by: (distance, id) where a point is given, else newest.
    pub fn list_sort(&self) -> Sort {
        match (self.sort, self.near) {
            (SearchSort::Distance, _) | (SearchSort::Relevance, Some(_)) => Sort::Distance,
            (SearchSort::Relevance, None) => Sort::Newest,
        }
    }

    /// Whether results of `t` are wanted.
    pub fn wants(&self, t: DocType) -> bool {
        self.types.is_empty() || self.types.contains(&t)
    }
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The item's id (in `/v1/initiatives`, `/v1/listings` or `/v1/volunteers`).
    pub id: Uuid,
    /// What it is.
    pub doc_type: DocType,
    /// Its title; `None` where the caller sees only a summary.
    pub title: Option<String>,
    /// Its text around the matched words, marked; `None` for summaries.
    pub snippet: Option<String>,
    /// The distance from the query point, when one was given.
    pub distance_m: Option<f64>,
    /// The cell the caller may see it in.
    pub cell: CellId,
    /// Its kind code.
    pub kind: String,
    /// Its gemeente.
    pub gemeente_code: String,
    /// The person whose data this hit shows to someone else, to be audited.
    pub audited_person: Option<Uuid>,
}

/// One value of a facet with its count; `None` where the count is suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetValue {
    /// The value (a code).
    pub value: String,
    /// How many matches have it, unless that would single out fewer than
    /// [`policy::MIN_GROUP_SIZE`] people.
    pub count: Option<u64>,
}

/// The answer to a search.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// One page of hits.
    pub hits: Vec<SearchHit>,
    /// Counts per asked facet, over all matches (not only this page).
    pub facets: Vec<(Facet, Vec<FacetValue>)>,
    /// Where the next page starts.
    pub next: Option<NextPage>,
}

/// Where the next page starts, in the answering engine's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum NextPage {
    /// After this item (the embedded engine pages by keyset).
    After(Cursor),
    /// At this offset (Meilisearch).
    Offset(usize),
}

impl NextPage {
    /// The opaque text handed to clients as `next_cursor`.
    pub fn encode(&self) -> String {
        match self {
            NextPage::After(c) => c.encode(),
            NextPage::Offset(o) => encode_offset(*o),
        }
    }
}

/// The opaque cursor of a Meilisearch page: where the next page starts.
fn encode_offset(offset: usize) -> String {
    use base64::Engine;
    crate::domain::list_scope::seal(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"o\":{offset}}}")))
}

/// Reads a cursor [`encode_offset`] made.
pub fn decode_offset(text: &str) -> Result<usize, crate::domain::Invalid> {
    use base64::Engine;
    let bad = || crate::domain::Invalid::new("not a cursor this service issued");
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Offset {
        o: usize,
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(crate::domain::list_scope::open(text)?).map_err(|_| bad())?;
    let o: Offset = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    (o.o <= meili::MAX_TOTAL_HITS).then_some(o.o).ok_or_else(bad)
}

/// Merges the buckets several sources counted for one facet and suppresses small groups of
/// people: a value counted among fewer than [`policy::MIN_GROUP_SIZE`] items, some of them a
/// person's, shows no count. Most frequent first, then by value.
pub fn merge_buckets(parts: impl IntoIterator<Item = Bucket>) -> Vec<FacetValue> {
    let mut merged: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for b in parts {
        let e = merged.entry(b.value).or_default();
        e.0 += b.count;
        e.1 += b.personal;
    }
    let mut out: Vec<(String, u64, u64)> = merged.into_iter().map(|(v, (n, p))| (v, n, p)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.into_iter()
        .map(|(value, count, personal)| FacetValue {
            value,
            count: if personal == 0 { Some(count) } else { policy::suppress_small(count) },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(v: &str, count: u64, personal: u64) -> Bucket {
        Bucket { value: v.into(), count, personal }
    }

    #[test]
    fn small_groups_of_people_are_suppressed_and_initiatives_are_not() {
        let merged = merge_buckets([bucket("a", 3, 0), bucket("b", 2, 2), bucket("c", 3, 1), bucket("c", 4, 0), bucket("d", 4, 1)]);
        assert_eq!(
            merged,
            vec![
                FacetValue { value: "c".into(), count: Some(7) },
                FacetValue { value: "d".into(), count: None },
                FacetValue { value: "a".into(), count: Some(3) },
                FacetValue { value: "b".into(), count: None },
            ]
        );
    }

    proptest::proptest! {
        /// Merged counts are the sums, and a shown count involving people is never under 5.
        #[test]
        fn merged_counts_add_up(parts in proptest::collection::vec(("[a-c]", 0u64..8, 0u64..8), 0..12)) {
            let buckets: Vec<Bucket> = parts.iter().map(|(v, n, p)| bucket(v, n + p, *p)).collect();
            let merged = merge_buckets(buckets.clone());
            for fv in &merged {
                let total: u64 = buckets.iter().filter(|b| b.value == fv.value).map(|b| b.count).sum();
                let people: u64 = buckets.iter().filter(|b| b.value == fv.value).map(|b| b.personal).sum();
                match fv.count {
                    Some(n) => proptest::prop_assert!(n == total && (people == 0 || n >= policy::MIN_GROUP_SIZE)),
                    None => proptest::prop_assert!(people > 0 && total < policy::MIN_GROUP_SIZE),
                }
            }
        }
    }
}

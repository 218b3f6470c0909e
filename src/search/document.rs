//! The search document: what the production engine holds of one initiative, listing or
//! volunteer profile, built from the database row. Everything the visibility rules filter on
//! travels with it; nothing is shown to a caller without passing them (see [`super::meili`]).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::policy::summary_cell;
use crate::domain::taxonomy::split_codes;
use crate::domain::{ActivityCategory, CellId, Coordinates, ZrmDomain};
use crate::store::entities::{initiative, listing, volunteer};

/// Documents of items with no end date carry this `valid_until` (9999-12-31).
pub const NEVER: i64 = 253_402_300_799;

/// A point, as Meilisearch's `_geo` wants it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geo {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
}

/// Who may find a document.
pub mod audience {
    /// Everyone.
    pub const PUBLIC: &str = "public";
    /// A resident's request: everyone as a summary; its text only its owner and the
    /// professionals of its gemeente.
    pub const PERSON_REQUEST: &str = "person_request";
    /// A volunteer profile: only the volunteer and the professionals of its gemeente.
    pub const VOLUNTEER: &str = "volunteer";
}

/// One searchable item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDocument {
    /// The primary key: the type's letter and the item's id.
    pub doc_id: String,
    /// The item's id.
    pub item_id: String,
    /// initiative, offer, request or volunteer.
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Name or title (a volunteer's: the Dutch names of their skills).
    pub title: String,
    /// Description (a volunteer's: skills and domains in English and Dutch).
    pub text: String,
    /// Activity category codes.
    pub categories: Vec<String>,
    /// ZRM domain codes.
    pub zrm: Vec<String>,
    /// Kind code.
    pub kind: String,
    /// CBS gemeente code.
    pub gemeente: String,
    /// CBS wijk code.
    pub wijk: String,
    /// The cell shown to readers of the full item (H3 hex).
    pub cell: String,
    /// The cell shown to readers of a summary.
    pub coarse_cell: String,
    /// Where distance is measured to: the exact point, or the centre of the cell a reader of
    /// a summary may see (the cell's, for other cell-located items).
    #[serde(rename = "_geo")]
    pub geo: Geo,
    /// Who may find it; see [`audience`].
    pub audience: String,
    /// The person it belongs to, if any.
    pub owner_person: Option<String>,
    /// Whether it is a person's (for the suppression of small counts).
    pub personal: bool,
    /// Unix seconds after which it is no longer found.
    pub valid_until: i64,
    /// Unix seconds of creation, for newest-first browsing.
    pub created: i64,
}

/// The primary key of an item's document.
pub fn doc_id(table: &str, id: Uuid) -> String {
    let letter = match table {
        "initiatives" => 'i',
        "listings" => 'l',
        _ => 'v',
    };
    format!("{letter}-{id}")
}

fn centre(cell: i64) -> Option<(CellId, Geo)> {
    let c = CellId::from_db(cell)?;
    let p = Coordinates::of_cell_centre(c.index());
    Some((c, Geo { lat: p.lat(), lng: p.lng() }))
}

fn codes(stored: &str) -> Vec<String> {
    stored.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect()
}

/// The document of an initiative, or `None` when it is not searchable (ended).
pub fn of_initiative(m: &initiative::Model) -> Option<SearchDocument> {
    if m.status == "ended" {
        return None;
    }
    let (cell, _) = centre(m.index_cell)?;
    Some(SearchDocument {
        doc_id: doc_id("initiatives", m.id),
        item_id: m.id.to_string(),
        doc_type: "initiative".into(),
        title: m.name.clone(),
        text: m.description.clone(),
        categories: codes(&m.categories),
        zrm: codes(&m.zrm_domains),
        kind: m.kind.clone(),
        gemeente: m.gemeente_code.clone(),
        wijk: m.wijk_code.clone(),
        cell: cell.to_string(),
        coarse_cell: cell.to_string(),
        geo: Geo { lat: m.lat, lng: m.lng },
        audience: audience::PUBLIC.into(),
        owner_person: None,
        personal: false,
        valid_until: NEVER,
        created: m.created_at.timestamp(),
    })
}

/// The document of a listing, or `None` when it is not searchable (not open).
pub fn of_listing(m: &listing::Model) -> Option<SearchDocument> {
    if m.status != "open" {
        return None;
    }
    let (cell, cell_centre) = centre(m.cell)?;
    let person_request = m.kind == "request" && m.owner_person_id.is_some() && m.lat.is_none();
    let (coarse_cell, geo) = match (m.lat.zip(m.lng), person_request) {
        (Some((lat, lng)), _) => (cell, Geo { lat, lng }),
        (None, true) => {
            let coarse = summary_cell(cell)?;
            centre(coarse.to_db())?
        }
        (None, false) => (cell, cell_centre),
    };
    Some(SearchDocument {
        doc_id: doc_id("listings", m.id),
        item_id: m.id.to_string(),
        doc_type: m.kind.clone(),
        title: m.title.clone(),
        text: m.description.clone(),
        categories: codes(&m.categories),
        zrm: codes(&m.zrm_domains),
        kind: m.kind.clone(),
        gemeente: m.gemeente_code.clone(),
        wijk: m.wijk_code.clone(),
        cell: cell.to_string(),
        coarse_cell: coarse_cell.to_string(),
        geo,
        audience: if person_request { audience::PERSON_REQUEST } else { audience::PUBLIC }.into(),
        owner_person: m.owner_person_id.map(|p| p.to_string()),
        personal: m.owner_person_id.is_some(),
        valid_until: m.valid_until.timestamp(),
        created: m.created_at.timestamp(),
    })
}

/// The document of a volunteer profile, or `None` when it is not searchable (paused).
pub fn of_volunteer(m: &volunteer::Model) -> Option<SearchDocument> {
    if m.status != "active" {
        return None;
    }
    let (cell, geo) = centre(m.cell)?;
    let skills = split_codes(&m.skills, ActivityCategory::from_code);
    let domains = split_codes(&m.zrm_domains, ZrmDomain::from_code);
    let title = skills.iter().map(|s| s.label_nl()).collect::<Vec<_>>().join(", ");
    let text =
        skills.iter().map(|s| s.label_en()).chain(domains.iter().flat_map(|d| [d.label_nl(), d.label_en()])).collect::<Vec<_>>().join(", ");
    Some(SearchDocument {
        doc_id: doc_id("volunteers", m.id),
        item_id: m.id.to_string(),
        doc_type: "volunteer".into(),
        title,
        text,
        categories: codes(&m.skills),
        zrm: codes(&m.zrm_domains),
        kind: "volunteer".into(),
        gemeente: m.gemeente_code.clone(),
        wijk: m.wijk_code.clone(),
        cell: cell.to_string(),
        coarse_cell: cell.to_string(),
        geo,
        audience: audience::VOLUNTEER.into(),
        owner_person: Some(m.person_id.to_string()),
        personal: true,
        valid_until: NEVER,
        created: m.created_at.timestamp(),
    })
}

//! The parsed contents of the four located resources, as the store writes them.

use chrono::{DateTime, Utc};

use super::{
    ActivityCategory, BoundedText, CellId, Coordinates, CostKind, InitiativeKind, InitiativeStatus, LanguageCode, ListingKind,
    ListingStatus, LocationPrecision, TimeRange, VolunteerStatus, ZrmDomain,
};

/// A postal address of a public place; every part optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    /// Street.
    pub street: Option<BoundedText>,
    /// House number with addition.
    pub house_number: Option<BoundedText>,
    /// Dutch postcode, normalised to `1234 AB`.
    pub postcode: Option<String>,
    /// Place name.
    pub city: Option<BoundedText>,
}

/// How to reach someone; every part optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contact {
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Website (initiatives only), http(s).
    pub website: Option<String>,
}

/// An initiative's contents.
#[derive(Debug, Clone, PartialEq)]
pub struct InitiativeFields {
    /// Name.
    pub name: BoundedText,
    /// Description.
    pub description: BoundedText,
    /// Kind.
    pub kind: InitiativeKind,
    /// Activity categories (at least one).
    pub categories: Vec<ActivityCategory>,
    /// ZRM domains.
    pub zrm_domains: Vec<ZrmDomain>,
    /// Exact location (a public place).
    pub location: Coordinates,
    /// Address.
    pub address: Address,
    /// Weekly opening times.
    pub schedule: Vec<TimeRange>,
    /// Free text about the schedule ("eerste dinsdag van de maand").
    pub schedule_note: Option<BoundedText>,
    /// Contact.
    pub contact: Contact,
    /// Languages spoken.
    pub languages: Vec<LanguageCode>,
    /// Accessibility notes.
    pub accessibility: Option<BoundedText>,
    /// Cost.
    pub cost_kind: CostKind,
    /// Cost note.
    pub cost_note: Option<BoundedText>,
    /// Places, when limited.
    pub capacity: Option<u32>,
    /// Status.
    pub status: InitiativeStatus,
    /// Last confirmed by the organiser.
    pub last_confirmed_at: Option<DateTime<Utc>>,
}

/// A person's contents.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFields {
    /// Display name.
    pub display_name: BoundedText,
    /// Languages.
    pub languages: Vec<LanguageCode>,
    /// Contact (never public).
    pub contact: Contact,
    /// Home cell, already at `precision`.
    pub home_cell: CellId,
    /// The precision the person chose.
    pub precision: LocationPrecision,
}

/// A volunteer profile's contents.
#[derive(Debug, Clone, PartialEq)]
pub struct VolunteerFields {
    /// Skills.
    pub skills: Vec<ActivityCategory>,
    /// ZRM domains.
    pub zrm_domains: Vec<ZrmDomain>,
    /// Languages.
    pub languages: Vec<LanguageCode>,
    /// Weekly availability.
    pub availability: Vec<TimeRange>,
    /// Maximum travel distance in metres.
    pub max_travel_m: u32,
    /// Has a VOG.
    pub has_vog: bool,
    /// Status.
    pub status: VolunteerStatus,
}

/// Who owns a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A person; the listing sits in their home cell.
    Person(uuid::Uuid),
    /// An initiative; the listing sits at its point.
    Initiative(uuid::Uuid),
}

/// A listing's contents.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingFields {
    /// Offer or request.
    pub kind: ListingKind,
    /// Title.
    pub title: BoundedText,
    /// Description.
    pub description: BoundedText,
    /// Categories.
    pub categories: Vec<ActivityCategory>,
    /// ZRM domains.
    pub zrm_domains: Vec<ZrmDomain>,
    /// Owner.
    pub owner: Owner,
    /// A request's free times (a helper must fit one), an offer's times; empty: any time.
    pub availability: Vec<TimeRange>,
    /// A request's languages (a helper must share one), an offer's helper's; empty: any.
    pub languages: Vec<LanguageCode>,
    /// Open until.
    pub valid_until: DateTime<Utc>,
    /// Stored status (never `expired`: that follows from `valid_until`).
    pub status: ListingStatus,
}

//! The parsed contents of the four located resources, as the store writes them.

use chrono::{DateTime, Utc};

use super::{
    ActivityCategory, BoundedText, CellId, Coordinates, CostKind, InitiativeKind, InitiativeStatus, Invalid, LanguageCode, ListingKind,
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

impl Address {
    /// Parses the parts of an address; blank parts are absent. A refusal names the part.
    pub fn parse(
        street: Option<&str>,
        house_number: Option<&str>,
        postcode: Option<&str>,
        city: Option<&str>,
    ) -> Result<Self, (&'static str, Invalid)> {
        let text = |name: &'static str, v: Option<&str>, max| BoundedText::parse_optional(v, max).map_err(|e| (name, e));
        // The spec's maxLength, counted as sent: spaces inside a postcode are dropped below.
        if postcode.is_some_and(|p| p.chars().count() > 7) {
            return Err(("postcode", Invalid::new("at most 7 characters")));
        }
        Ok(Self {
            street: text("street", street, 200)?,
            house_number: text("house_number", house_number, 20)?,
            postcode: match postcode.map(str::trim).filter(|p| !p.is_empty()) {
                None => None,
                Some(p) => {
                    Some(parse_postcode(p).ok_or(("postcode", Invalid::new("a Dutch postcode is 4 digits and 2 letters, e.g. 1506 AB")))?)
                }
            },
            city: text("city", city, 100)?,
        })
    }
}

/// A Dutch postcode, normalised to `1234 AB` (a missing space or lower case is accepted).
fn parse_postcode(p: &str) -> Option<String> {
    let compact: String = p.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let b = compact.as_bytes();
    (b.len() == 6 && b[0] != b'0' && b[..4].iter().all(u8::is_ascii_digit) && b[4..].iter().all(u8::is_ascii_uppercase))
        .then(|| format!("{} {}", &compact[..4], &compact[4..]))
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

impl Contact {
    /// Parses the parts of a contact; blank parts are absent. A refusal names the part.
    pub fn parse(email: Option<&str>, phone: Option<&str>, website: Option<&str>) -> Result<Self, (&'static str, Invalid)> {
        for (name, v) in [("email", email), ("phone", phone), ("website", website)] {
            if v.is_some_and(|s| s.chars().any(char::is_control)) {
                return Err((name, Invalid::new("must not contain control characters")));
            }
        }
        let nonblank = |v: Option<&str>| v.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let email = nonblank(email);
        if let Some(e) = &email {
            let ok = e.chars().count() <= 254
                && e.split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !e.contains(char::is_whitespace));
            if !ok {
                return Err(("email", Invalid::new("not an e-mail address")));
            }
        }
        let phone = nonblank(phone);
        if let Some(p) = &phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            if p.len() > 32 || !(8..=15).contains(&digits) || !p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
                return Err(("phone", Invalid::new("a phone number has 8 to 15 digits and only spaces, +, - or parentheses")));
            }
        }
        let website = nonblank(website);
        if let Some(w) = &website
            && (w.chars().count() > 500 || !(w.starts_with("https://") || w.starts_with("http://")) || w.contains(char::is_whitespace))
        {
            return Err(("website", Invalid::new("a website is an http(s) URL")));
        }
        Ok(Self { email, phone, website })
    }
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

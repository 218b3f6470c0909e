//! Domain types that parse, so that past the edge nothing re-validates.

pub mod clock;
pub mod experience;
pub mod items;
pub mod kinds;
pub mod list;
pub mod list_scope;
pub mod place;
pub mod referral;
pub mod schedule;
pub mod support;
pub mod taxonomy;
pub mod text;

pub use experience::ExperienceTheme;
pub use kinds::{ConsentScope, CostKind, InitiativeKind, InitiativeStatus, ListingKind, ListingStatus, VolunteerStatus};
pub use place::{CbsCode, CellId, Coordinates, LocationPrecision, Radius};
pub use schedule::{TimeOfDay, TimeRange, Weekday};
pub use support::{SupportDeclineReason, SupportKind, SupportStatus};
pub use taxonomy::{ActivityCategory, ZrmDomain};
pub use text::{BoundedText, LanguageCode};

/// Why a value was refused; the API layer adds which field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    /// A refusal with a human-readable reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

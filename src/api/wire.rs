//! The domain's closed vocabularies on the wire: poem-openapi's traits for the domain enums,
//! written here so that `domain` knows nothing of the web. Each enum's codes, order and
//! description come from the domain type itself (`ALL`, `code`, `from_code`, `DESCRIPTION`),
//! so the spec cannot drift from the vocabulary.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type};
use serde_json::Value;

use crate::domain::referral::{ReferralDeclineReason, ReferralHelperKind, ReferralOutcome, ReferralState};
use crate::domain::support::{SupportDeclineReason, SupportKind, SupportStatus};
use crate::domain::{
    ActivityCategory, ConsentScope, CostKind, ExperienceTheme, InitiativeKind, InitiativeStatus, ListingKind, ListingStatus,
    VolunteerStatus, Weekday, ZrmDomain,
};

/// Implements the spec and parsing traits for domain enums with `ALL`, `code`, `from_code`
/// and `DESCRIPTION`.
macro_rules! wire_enum {
    ($($ty:ident),+ $(,)?) => {$(
        impl Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($ty))
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Reference(Self::name().into_owned())
            }

            fn register(registry: &mut Registry) {
                static DESCRIPTION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                registry.create_schema::<Self, _>(Self::name().into_owned(), |_| MetaSchema {
                    description: Some(DESCRIPTION.get_or_init(|| description($ty::DESCRIPTION)).as_str()),
                    enum_items: $ty::ALL.iter().map(|v| Value::String(v.code().to_owned())).collect(),
                    ..MetaSchema::new("string")
                });
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(self.as_raw_value().into_iter())
            }
        }

        impl ParseFromJSON for $ty {
            fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
                let value = value.unwrap_or_default();
                match value.as_str().and_then($ty::from_code) {
                    Some(v) => Ok(v),
                    None => Err(ParseError::expected_type(value)),
                }
            }
        }

        impl ParseFromParameter for $ty {
            fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                $ty::from_code(value).ok_or_else(|| ParseError::custom("Expect a valid enumeration value."))
            }
        }

        impl ToJSON for $ty {
            fn to_json(&self) -> Option<Value> {
                Some(Value::String(self.code().to_owned()))
            }
        }
    )+};
}

/// A doc comment as poem-openapi writes it into the spec: its lines trimmed and joined.
fn description(doc: &str) -> String {
    doc.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

wire_enum!(
    ActivityCategory,
    ZrmDomain,
    InitiativeKind,
    InitiativeStatus,
    CostKind,
    ListingKind,
    ListingStatus,
    VolunteerStatus,
    ConsentScope,
    Weekday,
    ReferralState,
    ReferralDeclineReason,
    ReferralOutcome,
    ReferralHelperKind,
    ExperienceTheme
);

wire_enum!(SupportKind, SupportStatus, SupportDeclineReason);

//! The two vocabularies every item is tagged with: ZRM life domains and activity categories.
//!
//! Codes are stable snake_case identifiers on the wire and in the database; labels are what
//! people read, in Dutch and English.

use serde::{Deserialize, Serialize};

/// Defines a closed vocabulary as an enum with a code and Dutch/English labels.
///
/// One macro keeps the code list, the serde names, the labels and the description in one
/// place, so they cannot drift apart; the API mirrors them into the spec from `ALL`, `code` and
/// `DESCRIPTION` (see `api::wire`), so the domain knows nothing of the web.
#[macro_export]
#[doc(hidden)]
macro_rules! vocabulary {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => ($code:literal, $nl:literal, $en:literal)),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $code)]
                $variant,
            )+
        }

        impl $name {
            /// What the vocabulary is, as its doc comment says.
            pub const DESCRIPTION: &'static str = concat!($($doc, "\n"),*);

            /// Every value, in the order of the standard list.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code used on the wire and in storage.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Dutch label.
            pub fn label_nl(self) -> &'static str {
                match self { $($name::$variant => $nl),+ }
            }

            /// The English label.
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            /// Parses a stored or wire code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

vocabulary! {
    /// A life domain of the Zelfredzaamheid-Matrix (ZRM, 2017 edition).
    ZrmDomain {
        /// Financiën
        Financien => ("financien", "Financiën", "Finances"),
        /// Werk & opleiding
        WerkOpleiding => ("werk_opleiding", "Werk & opleiding", "Work & education"),
        /// Tijdsbesteding
        Tijdsbesteding => ("tijdsbesteding", "Tijdsbesteding", "Daytime activities"),
        /// Huisvesting
        Huisvesting => ("huisvesting", "Huisvesting", "Housing"),
        /// Huiselijke relaties
        HuiselijkeRelaties => ("huiselijke_relaties", "Huiselijke relaties", "Domestic relations"),
        /// Geestelijke gezondheid
        GeestelijkeGezondheid => ("geestelijke_gezondheid", "Geestelijke gezondheid", "Mental health"),
        /// Lichamelijke gezondheid
        LichamelijkeGezondheid => ("lichamelijke_gezondheid", "Lichamelijke gezondheid", "Physical health"),
        /// Middelengebruik
        Middelengebruik => ("middelengebruik", "Middelengebruik", "Substance use"),
        /// Basale ADL
        BasaleAdl => ("basale_adl", "Basale ADL", "Basic daily living"),
        /// Instrumentele ADL
        InstrumenteleAdl => ("instrumentele_adl", "Instrumentele ADL", "Instrumental daily living"),
        /// Sociaal netwerk
        SociaalNetwerk => ("sociaal_netwerk", "Sociaal netwerk", "Social network"),
        /// Maatschappelijke participatie
        MaatschappelijkeParticipatie => ("maatschappelijke_participatie", "Maatschappelijke participatie", "Community participation"),
        /// Justitie
        Justitie => ("justitie", "Justitie", "Justice"),
    }
}

vocabulary! {
    /// What kind of help or activity an item is about, alongside its ZRM domains.
    ActivityCategory {
        /// Boodschappen
        Groceries => ("groceries", "Boodschappen", "Groceries"),
        /// Vervoer
        Transport => ("transport", "Vervoer", "Transport"),
        /// Klussen
        OddJobs => ("odd_jobs", "Klussen", "Odd jobs"),
        /// Repareren
        Repair => ("repair", "Repareren", "Repairs"),
        /// Gezelschap
        Companionship => ("companionship", "Gezelschap", "Companionship"),
        /// Maaltijden
        Meals => ("meals", "Maaltijden", "Meals"),
        /// Voedselhulp
        FoodAid => ("food_aid", "Voedselhulp", "Food aid"),
        /// Taal
        Language => ("language", "Taal", "Language"),
        /// Digitale hulp
        DigitalHelp => ("digital_help", "Digitale hulp", "Digital help"),
        /// Formulieren & post
        Paperwork => ("paperwork", "Formulieren & post", "Paperwork"),
        /// Geldzaken
        MoneyMatters => ("money_matters", "Geldzaken", "Money matters"),
        /// Bewegen
        Exercise => ("exercise", "Bewegen", "Exercise"),
        /// Tuin & groen
        Garden => ("garden", "Tuin & groen", "Garden"),
        /// Kinderen & gezin
        Children => ("children", "Kinderen & gezin", "Children & family"),
        /// Ontmoeten
        MeetingPlace => ("meeting_place", "Ontmoeten", "Meeting place"),
        /// Creatief
        Creative => ("creative", "Creatief", "Creative"),
        /// Huishouden
        Housekeeping => ("housekeeping", "Huishouden", "Housekeeping"),
        /// Huisdieren
        Pets => ("pets", "Huisdieren", "Pets"),
        /// Mantelzorgondersteuning
        CaregiverSupport => ("caregiver_support", "Mantelzorgondersteuning", "Caregiver support"),
    }
}

/// The tag scheme of activity categories (and a volunteer's skills).
pub const CATEGORY: &str = "category";
/// The tag scheme of ZRM life domains.
pub const ZRM: &str = "zrm";

/// Joins codes for a denormalised text column ("a,b,c"); order is kept as given.
pub fn join_codes<T: Copy>(items: &[T], code: impl Fn(T) -> &'static str) -> String {
    items.iter().map(|i| code(*i)).collect::<Vec<_>>().join(",")
}

/// Splits a stored code column back into values, skipping codes this build does not know.
pub fn split_codes<T>(stored: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    stored.split(',').filter(|s| !s.is_empty()).filter_map(parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for d in ZrmDomain::ALL {
            assert_eq!(ZrmDomain::from_code(d.code()), Some(*d));
            assert!(seen.insert(d.code()));
        }
        for c in ActivityCategory::ALL {
            assert_eq!(ActivityCategory::from_code(c.code()), Some(*c));
            assert!(seen.insert(c.code()));
        }
        assert_eq!(ZrmDomain::ALL.len(), 13);
    }

    #[test]
    fn serde_uses_the_codes() {
        let v = serde_json::to_string(&ZrmDomain::SociaalNetwerk).unwrap();
        assert_eq!(v, "\"sociaal_netwerk\"");
        let c: ActivityCategory = serde_json::from_str("\"digital_help\"").unwrap();
        assert_eq!(c, ActivityCategory::DigitalHelp);
        assert!(serde_json::from_str::<ActivityCategory>("\"flying\"").is_err());
    }

    #[test]
    fn split_skips_unknown() {
        let v = split_codes("groceries,,nope,meals", ActivityCategory::from_code);
        assert_eq!(v, vec![ActivityCategory::Groceries, ActivityCategory::Meals]);
        assert_eq!(join_codes(&v, ActivityCategory::code), "groceries,meals");
    }
}

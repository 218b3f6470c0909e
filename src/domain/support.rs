//! Support an initiative asks of its gemeente's wijkteam (a room, a small grant, volunteers ...):
//! what can be asked, the states a request moves through and who moves it, why the team says
//! no, and the position in the team's work list a cursor holds.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{BoundedText, Invalid};
use crate::vocabulary;

vocabulary! {
    /// What an initiative asks its gemeente's wijkteam for.
    SupportKind {
        /// A room or another place to meet.
        Room => ("room", "Ruimte", "Room"),
        /// A small grant: an amount in euro cents.
        Grant => ("grant", "Bijdrage in geld", "Grant"),
        /// Volunteers to help run it.
        Volunteers => ("volunteers", "Vrijwilligers", "Volunteers"),
        /// Training or expertise.
        Training => ("training", "Training of deskundigheid", "Training or expertise"),
        /// Publicity: posters, the gemeente's channels, the local paper.
        Publicity => ("publicity", "Publiciteit", "Publicity"),
        /// A contact at the municipality.
        MunicipalContact => ("municipal_contact", "Contactpersoon bij de gemeente", "Contact at the municipality"),
    }
}

vocabulary! {
    /// Where a support request is. `submitted` and `in_review` are open; `granted`, `declined`
    /// and `withdrawn` are final.
    SupportStatus {
        /// Sent by the initiative, not yet picked up.
        Submitted => ("submitted", "Ingediend", "Submitted"),
        /// A professional of the wijkteam is looking at it.
        InReview => ("in_review", "In behandeling", "In review"),
        /// The wijkteam gives what was asked (or part of it).
        Granted => ("granted", "Toegekend", "Granted"),
        /// The wijkteam says no, with a reason.
        Declined => ("declined", "Afgewezen", "Declined"),
        /// The initiative no longer asks.
        Withdrawn => ("withdrawn", "Ingetrokken", "Withdrawn"),
    }
}

vocabulary! {
    /// Why the wijkteam declines a support request.
    SupportDeclineReason {
        /// No budget left for this.
        NoBudget => ("no_budget", "Geen budget", "No budget"),
        /// The initiative or the request does not qualify.
        NotEligible => ("not_eligible", "Komt niet in aanmerking", "Not eligible"),
        /// Another provision or fund fits better.
        OtherProvision => ("other_provision", "Andere voorziening past beter", "Another provision fits"),
        /// Information is missing; a new, complete request is welcome.
        Incomplete => ("incomplete", "Aanvraag onvolledig", "Incomplete request"),
        /// Another reason, told in the note.
        Other => ("other", "Andere reden", "Other reason"),
    }
}

/// The largest amount a request or a grant names: 100,000 euro. Wijkteams hand out small
/// sums; anything near this is a subsidy application, which has its own procedure.
pub const MAX_AMOUNT_CENTS: i64 = 10_000_000;
/// The longest description of a request, in characters.
pub const MAX_DESCRIPTION: usize = 5000;
/// The longest note on a decision, in characters.
pub const MAX_NOTE: usize = 2000;
/// How far ahead a wished date may lie, in months: a wijkteam plans by the year, and a date
/// further out is a slip of the keyboard more often than a plan.
pub const MAX_WISH_AHEAD_MONTHS: u32 = 60;

/// What someone does to a support request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportStep {
    /// A professional picks it up.
    Review,
    /// A professional grants it.
    Grant,
    /// A professional declines it.
    Decline,
    /// The initiative withdraws it.
    Withdraw,
}

impl SupportStep {
    /// The verb, as the API names the operation.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::Grant => "grant",
            Self::Decline => "decline",
            Self::Withdraw => "withdraw",
        }
    }
}

impl SupportStatus {
    /// The state `step` leads to from this one, or `None` where this state does not allow it.
    /// A request may be decided without being reviewed first: a small, clear request needs
    /// no separate step.
    pub fn after(self, step: SupportStep) -> Option<SupportStatus> {
        use SupportStatus::{Declined, Granted, InReview, Submitted, Withdrawn};
        match (self, step) {
            (Submitted, SupportStep::Review) => Some(InReview),
            (Submitted | InReview, SupportStep::Grant) => Some(Granted),
            (Submitted | InReview, SupportStep::Decline) => Some(Declined),
            (Submitted | InReview, SupportStep::Withdraw) => Some(Withdrawn),
            _ => None,
        }
    }

    /// Whether nothing more happens to the request.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Granted | Self::Declined | Self::Withdrawn)
    }
}

/// The amount a request of `kind` names: required for a grant, refused for anything else, so
/// that an amount always means money asked or given.
pub fn amount_for(kind: SupportKind, cents: Option<i64>) -> Result<Option<i64>, Invalid> {
    match (kind, cents) {
        (SupportKind::Grant, None) => Err(Invalid::new("a grant names its amount in euro cents")),
        (SupportKind::Grant, Some(c)) if !(1..=MAX_AMOUNT_CENTS).contains(&c) => {
            Err(Invalid::new(format!("must be between 1 and {MAX_AMOUNT_CENTS} euro cents")))
        }
        (SupportKind::Grant, Some(c)) => Ok(Some(c)),
        (_, Some(_)) => Err(Invalid::new("only a request of kind `grant` has an amount")),
        (_, None) => Ok(None),
    }
}

/// What an initiative asks, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportAsk {
    /// What for.
    pub kind: SupportKind,
    /// In the organisers' words.
    pub description: BoundedText,
    /// For a grant: how much, in euro cents.
    pub amount_cents: Option<i64>,
    /// When the initiative would like it; today or later, at most five years ahead.
    pub wished_date: Option<NaiveDate>,
}

impl SupportAsk {
    /// Checks a request, naming the field at fault. `today` is the caller's date: a wished
    /// date before it has passed.
    pub fn parse(
        kind: SupportKind,
        description: &str,
        amount_cents: Option<i64>,
        wished_date: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Self, (&'static str, Invalid)> {
        let description = BoundedText::parse(description, MAX_DESCRIPTION).map_err(|e| ("description", e))?;
        let amount_cents = amount_for(kind, amount_cents).map_err(|e| ("amount_cents", e))?;
        if let Some(d) = wished_date {
            if d < today {
                return Err(("wished_date", Invalid::new(format!("{d} has passed; a wished date is today or later"))));
            }
            if today.checked_add_months(chrono::Months::new(MAX_WISH_AHEAD_MONTHS)).is_none_or(|last| d > last) {
                return Err(("wished_date", Invalid::new("a wished date lies at most five years ahead")));
            }
        }
        Ok(Self { kind, description, amount_cents, wished_date })
    }
}

/// The position after the last item of a page of support requests: the id of that request's
/// latest change. Lists run by last change, newest first, and every change has a UUID v7, so
/// one unique, time-ordered key pages them on both engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportCursor(pub Uuid);

impl SupportCursor {
    /// The opaque text handed to clients, bound to the list of the request being answered.
    pub fn encode(self) -> String {
        super::list_scope::seal(&URL_SAFE_NO_PAD.encode(self.0.as_bytes()))
    }

    /// Reads a cursor a client sent back; one from another list is refused.
    pub fn decode(text: &str) -> Result<Self, Invalid> {
        let inner = super::list_scope::open(text)?;
        let bytes = URL_SAFE_NO_PAD.decode(inner).map_err(|_| Invalid::new("not a cursor this service issued"))?;
        Uuid::from_slice(&bytes).map(Self).map_err(|_| Invalid::new("not a cursor this service issued"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_allows_exactly_its_steps() {
        use SupportStatus::*;
        use SupportStep::*;
        let steps = [Review, Grant, Decline, Withdraw];
        let table = [
            (Submitted, [Some(InReview), Some(Granted), Some(Declined), Some(Withdrawn)]),
            (InReview, [None, Some(Granted), Some(Declined), Some(Withdrawn)]),
            (Granted, [None; 4]),
            (Declined, [None; 4]),
            (Withdrawn, [None; 4]),
        ];
        for (from, want) in table {
            for (step, to) in steps.into_iter().zip(want) {
                assert_eq!(from.after(step), to, "{from:?} {step:?}");
            }
            assert_eq!(from.is_final(), want.iter().all(Option::is_none), "{from:?}");
        }
    }

    #[test]
    fn only_a_grant_has_an_amount() {
        assert!(amount_for(SupportKind::Grant, None).is_err());
        assert!(amount_for(SupportKind::Grant, Some(0)).is_err());
        assert!(amount_for(SupportKind::Grant, Some(MAX_AMOUNT_CENTS + 1)).is_err());
        assert_eq!(amount_for(SupportKind::Grant, Some(25_000)), Ok(Some(25_000)));
        for kind in SupportKind::ALL.iter().filter(|k| **k != SupportKind::Grant) {
            assert_eq!(amount_for(*kind, None), Ok(None));
            assert!(amount_for(*kind, Some(100)).is_err(), "{kind:?}");
        }
    }

    #[test]
    fn a_wished_date_is_today_or_later() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let ask = |d| SupportAsk::parse(SupportKind::Room, "Een zaal voor 30 mensen", None, Some(d), today);
        assert!(ask(today).is_ok());
        assert!(ask(today.succ_opt().unwrap()).is_ok());
        assert_eq!(ask(today.pred_opt().unwrap()).unwrap_err().0, "wished_date");
        assert!(ask(NaiveDate::from_ymd_opt(2031, 12, 1).unwrap()).is_ok());
        assert_eq!(ask(NaiveDate::from_ymd_opt(2031, 12, 2).unwrap()).unwrap_err().0, "wished_date");
        assert_eq!(SupportAsk::parse(SupportKind::Room, "  ", None, None, today).unwrap_err().0, "description");
        assert_eq!(SupportAsk::parse(SupportKind::Grant, "Koffie", None, None, today).unwrap_err().0, "amount_cents");
    }

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in SupportKind::ALL {
            assert_eq!(SupportKind::from_code(k.code()), Some(*k));
            assert!(seen.insert(k.code()));
        }
        for s in SupportStatus::ALL {
            assert_eq!(SupportStatus::from_code(s.code()), Some(*s));
        }
        for r in SupportDeclineReason::ALL {
            assert_eq!(SupportDeclineReason::from_code(r.code()), Some(*r));
        }
    }
}

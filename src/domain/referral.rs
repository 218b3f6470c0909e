//! A referral's life, as a state machine in plain Rust: a professional refers a resident's
//! request to a helper; the helper accepts or declines, starts and closes it with an outcome;
//! the professional or the resident may cancel while it is open. The split of who sets which
//! state follows HL7 FHIR's Task as the Gravity Project uses it for social-care referrals: the
//! requester asks, the receiver answers and carries it out, either side calls it off.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::vocabulary;

/// A referral with no change for this long is stale: it shows up in the team's work list.
pub const STALE_AFTER_DAYS: i64 = 7;

/// How long a helper keeps the resident's contact after closing, to finish what they do.
pub const CONTACT_AFTER_CLOSE_DAYS: i64 = 30;

vocabulary! {
    /// Where a referral is.
    ReferralState {
        /// The helper is asked; they see the request, not yet the contact.
        Sent => ("sent", "Verstuurd", "Sent"),
        /// The helper will make contact; the resident's contact is released to them.
        Accepted => ("accepted", "Geaccepteerd", "Accepted"),
        /// The helper said no, with a reason.
        Declined => ("declined", "Afgewezen", "Declined"),
        /// Contact made, help going on.
        InProgress => ("in_progress", "Bezig", "In progress"),
        /// Finished, with an outcome.
        Closed => ("closed", "Afgerond", "Closed"),
        /// Called off by the professional or the resident.
        Cancelled => ("cancelled", "Geannuleerd", "Cancelled"),
    }
}

vocabulary! {
    /// Why a helper declines a referral.
    ReferralDeclineReason {
        /// No places or time left.
        NoCapacity => ("no_capacity", "Geen plek of tijd", "No capacity"),
        /// The request does not fit what the helper does.
        NotAFit => ("not_a_fit", "Past niet bij ons", "Not a fit"),
        /// The resident lives outside the helper's area.
        OutsideArea => ("outside_area", "Buiten ons gebied", "Outside our area"),
        /// The helper cannot meet the request's conditions (times, language, access).
        CannotMeetConditions => ("cannot_meet_conditions", "Kunnen niet aan de voorwaarden voldoen", "Cannot meet the conditions"),
        /// Something else; the note says what.
        Other => ("other", "Anders", "Other"),
    }
}

vocabulary! {
    /// How a closed referral ended, after findhelp's closed-loop vocabulary.
    ReferralOutcome {
        /// The resident got the help they asked for.
        GotHelp => ("got_help", "Geholpen", "Got help"),
        /// The helper could not reach the resident.
        CouldNotContact => ("could_not_contact", "Geen contact gekregen", "Could not contact"),
        /// The resident did not qualify for this help.
        NotEligible => ("not_eligible", "Kwam niet in aanmerking", "Not eligible"),
        /// The helper had no room after all.
        NoCapacity => ("no_capacity", "Geen plek", "No capacity"),
        /// Contact was made, but the help did not come about.
        CouldNotGetHelp => ("could_not_get_help", "Hulp kwam er niet", "Could not get help"),
        /// The resident no longer wanted the help.
        NoLongerInterested => ("no_longer_interested", "Geen interesse meer", "No longer interested"),
        /// Sent on to another helper.
        ReferredElsewhere => ("referred_elsewhere", "Elders naartoe verwezen", "Referred elsewhere"),
    }
}

vocabulary! {
    /// What a referral's helper is, on the informal-first ladder: a neighbour's offer, a
    /// volunteer, a resident or volunteer initiative, or (last) a professional service.
    ReferralHelperKind {
        /// A neighbour's open offer.
        Offer => ("offer", "Aanbod van een buur", "A neighbour's offer"),
        /// A volunteer.
        Volunteer => ("volunteer", "Vrijwilliger", "Volunteer"),
        /// An initiative of residents or volunteers, or a general provision.
        Initiative => ("initiative", "Initiatief", "Initiative"),
        /// An initiative of kind professional service (maatwerk).
        ProfessionalService => ("professional_service", "Professionele dienst", "Professional service"),
    }
}

/// Who acts on a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// A professional of the request's gemeente.
    Professional,
    /// The helper: the volunteer, the offer's owner, or the initiative's organisers.
    Helper,
    /// The resident the request is about.
    Resident,
    /// The service itself: a consent withdrawn, a person erased, a request deleted.
    System,
}

impl Party {
    /// The stored and wire code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Professional => "professional",
            Self::Helper => "helper",
            Self::Resident => "resident",
            Self::System => "system",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "professional" => Self::Professional,
            "helper" => Self::Helper,
            "resident" => Self::Resident,
            "system" => Self::System,
            _ => return None,
        })
    }
}

/// What someone does to a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The helper will make contact.
    Accept,
    /// The helper says no.
    Decline(ReferralDeclineReason),
    /// The helper made contact and the help is going on.
    Start,
    /// The helper or a professional closes it.
    Close(ReferralOutcome),
    /// The professional or the resident calls it off (the service does, when the consent
    /// ends or a person is erased).
    Cancel,
}

impl Step {
    /// The operation's name, as in its path.
    pub fn name(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Decline(_) => "decline",
            Self::Start => "start",
            Self::Close(_) => "close",
            Self::Cancel => "cancel",
        }
    }

    /// The parties who may take this step.
    pub fn allowed(self) -> &'static [Party] {
        match self {
            Self::Accept | Self::Decline(_) | Self::Start => &[Party::Helper],
            Self::Close(_) => &[Party::Helper, Party::Professional],
            Self::Cancel => &[Party::Professional, Party::Resident, Party::System],
        }
    }

    /// The reason or outcome code the step records.
    pub fn code(self) -> Option<&'static str> {
        match self {
            Self::Decline(r) => Some(r.code()),
            Self::Close(o) => Some(o.code()),
            _ => None,
        }
    }
}

/// Why a step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// None of the caller's parties may take this step.
    NotYours,
    /// The referral is in a state this step does not leave from.
    WrongState(ReferralState),
}

impl ReferralState {
    /// Whether the referral still waits for something: sent, accepted or in progress.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Sent | Self::Accepted | Self::InProgress)
    }

    /// Whether it holds a place at an initiative with a capacity.
    pub fn takes_a_place(self) -> bool {
        matches!(self, Self::Accepted | Self::InProgress)
    }

    /// The FHIR R4 `Task.status` code for this state; a closed referral is `completed` only
    /// when the resident got help, `failed` otherwise.
    pub fn fhir_status(self, outcome: Option<ReferralOutcome>) -> &'static str {
        match self {
            Self::Sent => "requested",
            Self::Accepted => "accepted",
            Self::Declined => "rejected",
            Self::InProgress => "in-progress",
            Self::Closed if outcome == Some(ReferralOutcome::GotHelp) => "completed",
            Self::Closed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The state after `step` by one of `parties` (a caller can be more than one: a professional
/// who also organises the helping initiative), or why not. The state is checked after the
/// party, so a stranger learns nothing of where the referral is.
pub fn apply(state: ReferralState, step: Step, parties: &[Party]) -> Result<ReferralState, Refused> {
    use ReferralState::*;
    if !step.allowed().iter().any(|a| parties.contains(a)) {
        return Err(Refused::NotYours);
    }
    let next = match (state, step) {
        (Sent, Step::Accept) => Accepted,
        (Sent, Step::Decline(_)) => Declined,
        (Accepted, Step::Start) => InProgress,
        (Accepted | InProgress, Step::Close(_)) => Closed,
        (Sent | Accepted | InProgress, Step::Cancel) => Cancelled,
        (current, _) => return Err(Refused::WrongState(current)),
    };
    Ok(next)
}

/// Whether a referral last changed at `updated_at` is stale at `now`: open, and untouched for
/// [`STALE_AFTER_DAYS`].
pub fn is_stale(state: ReferralState, updated_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    state.is_open() && now - updated_at >= Duration::days(STALE_AFTER_DAYS)
}

/// Whether the helper sees the resident's contact: from acceptance, until
/// [`CONTACT_AFTER_CLOSE_DAYS`] after closing; never after a decline or a cancellation.
pub fn helper_sees_contact(state: ReferralState, closed_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match state {
        ReferralState::Accepted | ReferralState::InProgress => true,
        ReferralState::Closed => closed_at.is_some_and(|at| now < at + Duration::days(CONTACT_AFTER_CLOSE_DAYS)),
        ReferralState::Sent | ReferralState::Declined | ReferralState::Cancelled => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReferralState::*;
    use proptest::prelude::*;

    const STEPS: [Step; 5] =
        [Step::Accept, Step::Decline(ReferralDeclineReason::NotAFit), Step::Start, Step::Close(ReferralOutcome::GotHelp), Step::Cancel];

    #[test]
    fn the_table_of_wijkteam_md() {
        let helper = &[Party::Helper];
        let pro = &[Party::Professional];
        let resident = &[Party::Resident];
        assert_eq!(apply(Sent, Step::Accept, helper), Ok(Accepted));
        assert_eq!(apply(Sent, Step::Decline(ReferralDeclineReason::NoCapacity), helper), Ok(Declined));
        assert_eq!(apply(Accepted, Step::Start, helper), Ok(InProgress));
        assert_eq!(apply(InProgress, Step::Close(ReferralOutcome::GotHelp), helper), Ok(Closed));
        assert_eq!(apply(Accepted, Step::Close(ReferralOutcome::CouldNotContact), pro), Ok(Closed));
        assert_eq!(apply(InProgress, Step::Cancel, resident), Ok(Cancelled));
        assert_eq!(apply(Sent, Step::Cancel, pro), Ok(Cancelled));
        // The wrong side, whatever the state.
        assert_eq!(apply(Sent, Step::Accept, pro), Err(Refused::NotYours));
        assert_eq!(apply(Sent, Step::Accept, resident), Err(Refused::NotYours));
        assert_eq!(apply(Accepted, Step::Cancel, helper), Err(Refused::NotYours));
        assert_eq!(apply(Accepted, Step::Close(ReferralOutcome::GotHelp), resident), Err(Refused::NotYours));
        // The right side, the wrong state.
        assert_eq!(apply(Sent, Step::Start, helper), Err(Refused::WrongState(Sent)));
        assert_eq!(apply(Sent, Step::Close(ReferralOutcome::GotHelp), pro), Err(Refused::WrongState(Sent)));
        assert_eq!(apply(Closed, Step::Cancel, resident), Err(Refused::WrongState(Closed)));
        assert_eq!(apply(Accepted, Step::Accept, helper), Err(Refused::WrongState(Accepted)));
    }

    #[test]
    fn fhir_codes() {
        assert_eq!(Closed.fhir_status(Some(ReferralOutcome::GotHelp)), "completed");
        assert_eq!(Closed.fhir_status(Some(ReferralOutcome::NoCapacity)), "failed");
        assert_eq!(Declined.fhir_status(None), "rejected");
        assert_eq!(InProgress.fhir_status(None), "in-progress");
    }

    #[test]
    fn contact_for_thirty_days_after_closing() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert!(!helper_sees_contact(Sent, None, t));
        assert!(helper_sees_contact(Accepted, None, t));
        assert!(helper_sees_contact(Closed, Some(t), t + Duration::days(29)));
        assert!(!helper_sees_contact(Closed, Some(t), t + Duration::days(30)));
        assert!(!helper_sees_contact(Cancelled, None, t));
    }

    #[test]
    fn stale_after_seven_days_while_open() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert!(!is_stale(Sent, t, t + Duration::days(7) - Duration::seconds(1)));
        assert!(is_stale(Sent, t, t + Duration::days(7)));
        assert!(!is_stale(Closed, t, t + Duration::days(70)));
    }

    fn any_state() -> impl Strategy<Value = ReferralState> {
        proptest::sample::select(ReferralState::ALL.to_vec())
    }

    fn any_parties() -> impl Strategy<Value = Vec<Party>> {
        proptest::sample::subsequence(vec![Party::Professional, Party::Helper, Party::Resident, Party::System], 0..=4)
    }

    proptest! {
        /// Closed, declined and cancelled are final; every step leaves from an open state, and
        /// what may take a step does not depend on the state.
        #[test]
        fn final_states_stay_final(state in any_state(), step in proptest::sample::select(STEPS.to_vec()), parties in any_parties()) {
            let r = apply(state, step, &parties);
            let may = step.allowed().iter().any(|a| parties.contains(a));
            if !may {
                prop_assert_eq!(r, Err(Refused::NotYours));
            } else if !state.is_open() {
                prop_assert_eq!(r, Err(Refused::WrongState(state)));
            }
            if let Ok(next) = r {
                prop_assert!(state.is_open());
                prop_assert_ne!(next, state);
                prop_assert_ne!(next, Sent);
            }
        }

        /// Every sequence of steps ends where the helper sees the contact only when the
        /// referral was accepted and neither declined nor cancelled.
        #[test]
        fn contact_only_after_acceptance(steps in proptest::collection::vec(proptest::sample::select(STEPS.to_vec()), 0..8)) {
            let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
            let everyone = [Party::Professional, Party::Helper, Party::Resident];
            let mut state = Sent;
            let mut accepted = false;
            for s in steps {
                if let Ok(next) = apply(state, s, &everyone) {
                    accepted |= next == Accepted;
                    state = next;
                }
            }
            if helper_sees_contact(state, Some(t), t) {
                prop_assert!(accepted);
            }
            prop_assert!(!(state == Cancelled && helper_sees_contact(state, Some(t), t)));
        }
    }
}

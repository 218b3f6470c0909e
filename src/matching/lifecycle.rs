//! The life of a match, as a state machine in plain Rust: proposed → accepted by both sides →
//! completed; or declined (with a reason), cancelled, or expired after 14 days unanswered.

use chrono::{DateTime, Duration, Utc};

/// How long a proposal waits for both sides.
pub const EXPIRES_AFTER_DAYS: i64 = 14;

/// Where a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for one or both sides.
    Proposed,
    /// Both sides accepted: contact details are exchanged.
    Accepted,
    /// The help happened.
    Completed,
    /// A side said no.
    Declined,
    /// Called off after all.
    Cancelled,
    /// Not answered within [`EXPIRES_AFTER_DAYS`].
    Expired,
}

impl Status {
    /// The stored and wire code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Accepted => "accepted",
            Self::Completed => "completed",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "proposed" => Self::Proposed,
            "accepted" => Self::Accepted,
            "completed" => Self::Completed,
            "declined" => Self::Declined,
            "cancelled" => Self::Cancelled,
            "expired" => Self::Expired,
            _ => return None,
        })
    }
}

/// The two sides of a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Who asked.
    Requester,
    /// Who helps.
    Helper,
}

/// The state the machine works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// The stored status.
    pub status: Status,
    /// Whether the requester accepted.
    pub requester_accepted: bool,
    /// Whether the helper accepted.
    pub helper_accepted: bool,
    /// When it was proposed.
    pub proposed_at: DateTime<Utc>,
}

/// What a side (or a professional) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A side says yes.
    Accept(Side),
    /// A side says no.
    Decline(Side),
    /// Either side or the proposer calls it off.
    Cancel,
    /// The help happened.
    Complete,
}

/// A transition the machine does not allow; the text is for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotAllowed(pub String);

/// The status a reader sees: a proposal past its time is expired.
pub fn effective(s: &State, now: DateTime<Utc>) -> Status {
    if s.status == Status::Proposed && now >= s.proposed_at + Duration::days(EXPIRES_AFTER_DAYS) { Status::Expired } else { s.status }
}

/// Applies an event; the state after it, or why not.
pub fn apply(s: State, e: Event, now: DateTime<Utc>) -> Result<State, NotAllowed> {
    let status = effective(&s, now);
    let refuse = |what: &str| Err(NotAllowed(format!("a {} match cannot be {what}", status.code())));
    match (status, e) {
        (Status::Proposed, Event::Accept(side)) => {
            let already = match side {
                Side::Requester => s.requester_accepted,
                Side::Helper => s.helper_accepted,
            };
            if already {
                return Err(NotAllowed("this side has already accepted".into()));
            }
            let mut n = s;
            match side {
                Side::Requester => n.requester_accepted = true,
                Side::Helper => n.helper_accepted = true,
            }
            if n.requester_accepted && n.helper_accepted {
                n.status = Status::Accepted;
            }
            Ok(n)
        }
        (Status::Proposed, Event::Decline(_)) => Ok(State { status: Status::Declined, ..s }),
        (Status::Proposed | Status::Accepted, Event::Cancel) => Ok(State { status: Status::Cancelled, ..s }),
        (Status::Accepted, Event::Complete) => Ok(State { status: Status::Completed, ..s }),
        (Status::Proposed, Event::Complete) => Err(NotAllowed("a match is completed only after both sides accepted".into())),
        (_, Event::Accept(_)) => refuse("accepted"),
        (_, Event::Decline(_)) => refuse("declined"),
        (_, Event::Cancel) => refuse("cancelled"),
        (_, Event::Complete) => refuse("completed"),
    }
}

/// Whether contact details are exchanged: only once both sides accepted.
pub fn contacts_released(status: Status) -> bool {
    matches!(status, Status::Accepted | Status::Completed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fresh(now: DateTime<Utc>) -> State {
        State { status: Status::Proposed, requester_accepted: false, helper_accepted: false, proposed_at: now }
    }

    #[test]
    fn the_happy_path() {
        let now = Utc::now();
        let s = apply(fresh(now), Event::Accept(Side::Requester), now).unwrap();
        assert_eq!(s.status, Status::Proposed);
        assert!(!contacts_released(s.status));
        let s = apply(s, Event::Accept(Side::Helper), now).unwrap();
        assert_eq!(s.status, Status::Accepted);
        assert!(contacts_released(s.status));
        let s = apply(s, Event::Complete, now).unwrap();
        assert_eq!(s.status, Status::Completed);
        assert!(apply(s, Event::Complete, now).is_err(), "completing twice");
    }

    #[test]
    fn refused_transitions() {
        let now = Utc::now();
        let declined = apply(fresh(now), Event::Decline(Side::Helper), now).unwrap();
        assert_eq!(declined.status, Status::Declined);
        assert!(apply(declined, Event::Accept(Side::Requester), now).is_err(), "accepting a declined match");
        assert!(apply(fresh(now), Event::Complete, now).is_err());
        let once = apply(fresh(now), Event::Accept(Side::Helper), now).unwrap();
        assert!(apply(once, Event::Accept(Side::Helper), now).is_err(), "accepting twice");
        let old = fresh(now - Duration::days(EXPIRES_AFTER_DAYS));
        assert_eq!(effective(&old, now), Status::Expired);
        assert!(apply(old, Event::Accept(Side::Requester), now).is_err(), "accepting an expired proposal");
        assert_eq!(effective(&fresh(now - Duration::days(13)), now), Status::Proposed);
    }

    fn arb_event() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(Event::Accept(Side::Requester)),
            Just(Event::Accept(Side::Helper)),
            Just(Event::Decline(Side::Requester)),
            Just(Event::Decline(Side::Helper)),
            Just(Event::Cancel),
            Just(Event::Complete),
        ]
    }

    proptest! {
        /// Whatever happens, contacts are released only after both sides accepted, terminal
        /// states stay terminal, and completion needs acceptance first.
        #[test]
        fn invariants_hold(events in proptest::collection::vec(arb_event(), 0..12)) {
            let now = Utc::now();
            let mut s = fresh(now);
            let mut both_accepted = false;
            for e in events {
                let before = s.status;
                match apply(s, e, now) {
                    Ok(n) => {
                        prop_assert!(!matches!(before, Status::Completed | Status::Declined | Status::Cancelled | Status::Expired));
                        s = n;
                    }
                    Err(_) => prop_assert_eq!(s.status, before),
                }
                both_accepted |= s.requester_accepted && s.helper_accepted;
                if contacts_released(s.status) || s.status == Status::Completed {
                    prop_assert!(both_accepted);
                }
            }
        }
    }
}

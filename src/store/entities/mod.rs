//! sea-orm entities: the rows as stored. Never sent on the wire; `api` has its own types.
//!
//! The tables also carry an integer `seq` key (for SQLite FTS5) that no entity maps: `id` is the
//! identity everywhere in code.

pub mod api_key;
pub mod area;
pub mod audit_event;
pub mod consent;
pub mod deletion;
pub mod experience;
pub mod idempotency_record;
pub mod initiative;
pub mod listing;
pub mod match_feedback;
pub mod match_row;
pub mod matching_run;
pub mod network_member;
pub mod organiser;
pub mod organiser_invitation;
pub mod person;
pub mod professional_scope;
pub mod referral;
pub mod referral_event;
pub mod support_request;
pub mod support_request_event;
pub mod tag;
pub mod volunteer;

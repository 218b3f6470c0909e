//! Matching in plain Rust: ranking helpers for one need ([`rank`]), the candidate graph of a
//! whole area from one pool of helpers ([`area`]) and assigning many requests to helpers with
//! capacities at once ([`assign`]). No web or database types: the store feeds
//! it plain values, so it is tested and benchmarked alone.

pub mod area;
pub mod assign;
pub mod lifecycle;
pub mod rank;

pub use assign::{Pairing, assign};
pub use rank::{Candidate, Feedback, Helper, HelperKind, Need, Reason, Rung};

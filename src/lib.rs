//! Buurtkracht: the open service behind Dutch neighbourhood teams.
//!
//! Layers at the edges, plain Rust in the middle: `domain` (types that parse), `geo` (H3
//! cover, wijk locator), `auth` (principals and the rules of who may do what), `matching`
//! (ranking and assignment), `stats` (small numbers: the k = 5 rule) and `rate` know nothing of the web or the database; `store` speaks
//! sea-orm; `api` is the poem-openapi surface; `startup` wires them together.

// ApiError carries its problem document inline; it is built at most once per failed request,
// so boxing it would buy nothing measurable and cost readability in every handler.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod geo;
pub mod matching;
pub mod rate;
pub mod search;
pub mod seed;
pub mod server;
pub mod service;
pub mod startup;
pub mod stats;
pub mod store;
pub mod telemetry;

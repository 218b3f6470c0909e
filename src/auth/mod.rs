//! Who is calling and what they may do, in plain Rust: the [`Principal`] a credential proves,
//! bearer-token checks ([`jwt`]), API keys ([`keys`]) and the rules ([`policy`]). The poem
//! extractors that read credentials from a request live in `api::caller`; the tables behind
//! keys and organisers in `store::accounts`.

pub mod jwt;
pub mod keys;
pub mod policy;
pub mod principal;

pub use principal::{Credential, Principal, Role};

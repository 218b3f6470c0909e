//! Database migrations for Buurtkracht, the same on SQLite and PostgreSQL.
//!
//! One migration per file; names come from the file stem, so files are never renamed.
//! Engine-specific parts (full-text search) branch on the backend inside a migration.

pub use sea_orm_migration::prelude::*;

mod m20261201_000001_create_core;
mod m20261201_000002_covering_cell_indexes;
mod m20261201_000003_accounts_and_privacy;
mod m20261201_000004_professional_scopes;
mod m20261201_000005_matches;
mod m20261201_000006_matching_runs;
mod m20261201_000007_accent_free_text;
mod m20261201_000008_search_outbox;
mod m20261201_000009_listing_times_and_languages;
mod m20261201_000010_search_rebuilds;
mod m20261201_000011_idempotency_leases;
mod m20261201_000012_referrals;
mod m20261201_000013_support_requests;
mod m20261201_000014_experiences;
mod m20261201_000015_kaart;
mod m20261201_000016_kompas;

pub use m20261201_000015_kaart::HELPED_AT_BACKFILL;

/// Applies every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261201_000001_create_core::Migration),
            Box::new(m20261201_000002_covering_cell_indexes::Migration),
            Box::new(m20261201_000003_accounts_and_privacy::Migration),
            Box::new(m20261201_000004_professional_scopes::Migration),
            Box::new(m20261201_000005_matches::Migration),
            Box::new(m20261201_000006_matching_runs::Migration),
            Box::new(m20261201_000007_accent_free_text::Migration),
            Box::new(m20261201_000008_search_outbox::Migration),
            Box::new(m20261201_000009_listing_times_and_languages::Migration),
            Box::new(m20261201_000010_search_rebuilds::Migration),
            Box::new(m20261201_000011_idempotency_leases::Migration),
            Box::new(m20261201_000012_referrals::Migration),
            Box::new(m20261201_000013_support_requests::Migration),
            Box::new(m20261201_000014_experiences::Migration),
            Box::new(m20261201_000015_kaart::Migration),
            Box::new(m20261201_000016_kompas::Migration),
        ]
    }
}

//! Matching runs: a proposed assignment for all open requests of an area at once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `matching_runs`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("matching_runs"))
                    .col(uuid(Alias::new("id")).primary_key())
                    .col(string_len(Alias::new("area_code"), 8))
                    .col(string_len(Alias::new("gemeente_code"), 6))
                    .col(string_len(Alias::new("created_by"), 250))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    // The proposals as JSON: they are read and accepted one by one, never queried.
                    .col(text(Alias::new("proposals")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("matching_runs")).to_owned()).await
    }
}

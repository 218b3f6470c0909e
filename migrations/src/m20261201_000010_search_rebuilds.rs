//! A marker for a search index being rebuilt: while it stands, outbox delivery waits, so
//! every change made during the rebuild (an erasure included) reaches the new index after it
//! replaces the old one, instead of going to the old one and being lost in the swap.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `search_rebuilds`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("search_rebuilds"))
                    .col(string_len(Alias::new("index_uid"), 200).primary_key())
                    .col(timestamp_with_time_zone(Alias::new("started_at")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("search_rebuilds")).to_owned()).await
    }
}

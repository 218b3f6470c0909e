//! Leases on idempotency claims. A claim used to stand until its answer was stored, so a process
//! that died in between left the key answering 409 for 24 hours. Now a claim names the process
//! that holds it and is held only until `lease_until`, which that process keeps moving on
//! while the request runs; a claim past its lease is taken over by the next retry. Claims left
//! by the old code have no lease and are taken over at once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Adds `owner` and `lease_until` to `idempotency_records`.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite takes one ALTER operation at a time.
        manager.alter_table(Table::alter().table(a("idempotency_records")).add_column(string_len_null(a("owner"), 64)).to_owned()).await?;
        manager
            .alter_table(
                Table::alter().table(a("idempotency_records")).add_column(timestamp_with_time_zone_null(a("lease_until"))).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(a("idempotency_records")).drop_column(a("lease_until")).to_owned()).await?;
        manager.alter_table(Table::alter().table(a("idempotency_records")).drop_column(a("owner")).to_owned()).await
    }
}

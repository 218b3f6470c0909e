//! Gemeenten an admin has granted to a professional's token subject, on top of those the
//! token itself names.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `professional_scopes`.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(a("professional_scopes"))
                    .col(string_len(a("subject"), 200))
                    .col(string_len(a("gemeente_code"), 6))
                    .col(string_len(a("granted_by"), 250))
                    .col(timestamp_with_time_zone(a("granted_at")))
                    .primary_key(Index::create().col(a("subject")).col(a("gemeente_code")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_professional_scopes_gemeente_code")
                    .table(a("professional_scopes"))
                    .col(a("gemeente_code"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(a("professional_scopes")).to_owned()).await
    }
}

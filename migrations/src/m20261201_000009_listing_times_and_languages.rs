//! When a listing can happen and in which languages: a request's free times and languages are
//! hard constraints of matching, an offer's are what the helper gives.

use sea_orm_migration::prelude::*;

/// Adds `availability` (JSON time ranges) and `languages` (comma-joined codes) to listings.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Two statements: SQLite's ALTER TABLE adds one column at a time. Defaults keep
        // existing rows meaning what they meant: any time, any language.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("listings"))
                    .add_column(ColumnDef::new(Alias::new("availability")).text().not_null().default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("listings"))
                    .add_column(ColumnDef::new(Alias::new("languages")).text().not_null().default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["languages", "availability"] {
            manager.alter_table(Table::alter().table(Alias::new("listings")).drop_column(Alias::new(column)).to_owned()).await?;
        }
        Ok(())
    }
}

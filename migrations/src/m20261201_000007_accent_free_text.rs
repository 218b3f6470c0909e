//! PostgreSQL full text that ignores accents, as SQLite's FTS5 (`remove_diacritics`) already
//! does: "taalcafe" finds the taalcafé on both engines.
//!
//! `unaccent` is a trusted extension (PostgreSQL 13+), so a database owner may create it. It is
//! not IMMUTABLE, which a generated column needs; the usual wrapper with the dictionary named
//! explicitly, schema-qualified, is.

use sea_orm_migration::prelude::*;

/// Rebuilds `search_vector` of listings and initiatives on unaccented text (PostgreSQL only).
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [(&str, &str); 2] = [("listings", "title"), ("initiatives", "name")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS unaccent").await?;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'unaccent'",
            ))
            .await?
            .ok_or_else(|| DbErr::Migration("the unaccent extension is missing".into()))?;
        let schema: String = row.try_get("", "schema")?;
        db.execute_unprepared(&format!(
            "CREATE OR REPLACE FUNCTION bk_unaccent(text) RETURNS text AS \
             $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$ \
             LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT"
        ))
        .await?;
        for (table, title) in TABLES {
            db.execute_unprepared(&format!(
                "DROP INDEX IF EXISTS idx_{table}_search;
                 ALTER TABLE {table} DROP COLUMN search_vector;
                 ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS \
                 (to_tsvector('dutch', bk_unaccent(coalesce({title}, '') || ' ' || coalesce(description, '')))) STORED;
                 CREATE INDEX idx_{table}_search ON {table} USING GIN (search_vector);"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (table, title) in TABLES {
            db.execute_unprepared(&format!(
                "DROP INDEX IF EXISTS idx_{table}_search;
                 ALTER TABLE {table} DROP COLUMN search_vector;
                 ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS \
                 (to_tsvector('dutch', coalesce({title}, '') || ' ' || coalesce(description, ''))) STORED;
                 CREATE INDEX idx_{table}_search ON {table} USING GIN (search_vector);"
            ))
            .await?;
        }
        db.execute_unprepared("DROP FUNCTION IF EXISTS bk_unaccent(text)").await?;
        Ok(())
    }
}

//! The core tables: areas, initiatives, people, volunteers, listings, their tags and full-text.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Creates the first schema.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Columns every located item carries: the storage cell (res 9) and its CBS placement.
fn located(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(big_integer(a("index_cell")))
        .col(string_len(a("gemeente_code"), 6))
        .col(string_len(a("wijk_code"), 8))
        .col(timestamp_with_time_zone(a("created_at")))
        .col(timestamp_with_time_zone(a("updated_at")))
}

/// A surrogate integer key: SQLite's FTS5 external-content tables need a stable integer rowid,
/// and an INTEGER PRIMARY KEY is the only rowid that VACUUM keeps.
fn seq() -> ColumnDef {
    big_pk_auto(a("seq"))
}

async fn index(manager: &SchemaManager<'_>, table: &str, cols: &[&str], unique: bool) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(format!("idx_{}_{}", table, cols.join("_"))).table(a(table));
    for c in cols {
        stmt.col(a(c));
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(a("areas"))
                    .col(string_len(a("code"), 8).primary_key())
                    .col(string_len(a("level"), 16))
                    .col(string_len(a("name"), 200))
                    .col(string_len_null(a("gemeente_code"), 6))
                    .col(text(a("geometry")))
                    .col(double(a("min_lat")))
                    .col(double(a("min_lng")))
                    .col(double(a("max_lat")))
                    .col(double(a("max_lng")))
                    .to_owned(),
            )
            .await?;
        index(manager, "areas", &["level"], false).await?;
        index(manager, "areas", &["gemeente_code"], false).await?;

        let mut initiatives = Table::create();
        initiatives
            .table(a("initiatives"))
            .col(seq())
            .col(uuid(a("id")).unique_key())
            .col(string_len(a("name"), 200))
            .col(text(a("description")))
            .col(string_len(a("kind"), 32))
            .col(text(a("categories")))
            .col(text(a("zrm_domains")))
            .col(double(a("lat")))
            .col(double(a("lng")))
            .col(string_len_null(a("address_street"), 200))
            .col(string_len_null(a("address_house_number"), 20))
            .col(string_len_null(a("address_postcode"), 7))
            .col(string_len_null(a("address_city"), 100))
            .col(text(a("schedule")))
            .col(string_len_null(a("schedule_note"), 500))
            .col(string_len_null(a("contact_email"), 254))
            .col(string_len_null(a("contact_phone"), 32))
            .col(string_len_null(a("contact_website"), 500))
            .col(text(a("languages")))
            .col(string_len_null(a("accessibility"), 500))
            .col(string_len(a("cost_kind"), 16))
            .col(string_len_null(a("cost_note"), 500))
            .col(integer_null(a("capacity")))
            .col(string_len(a("status"), 16))
            .col(timestamp_with_time_zone_null(a("last_confirmed_at")));
        manager.create_table(located(&mut initiatives).to_owned()).await?;
        for cols in [&["index_cell"][..], &["gemeente_code"], &["wijk_code"], &["kind"]] {
            index(manager, "initiatives", cols, false).await?;
        }

        let mut people = Table::create();
        people
            .table(a("people"))
            .col(seq())
            .col(uuid(a("id")).unique_key())
            .col(string_len(a("display_name"), 100))
            .col(text(a("languages")))
            .col(string_len_null(a("contact_email"), 254))
            .col(string_len_null(a("contact_phone"), 32))
            .col(big_integer(a("home_cell")))
            .col(small_integer(a("location_precision")));
        manager.create_table(located(&mut people).to_owned()).await?;
        for cols in [&["index_cell"][..], &["gemeente_code"], &["wijk_code"]] {
            index(manager, "people", cols, false).await?;
        }

        let mut volunteers = Table::create();
        volunteers
            .table(a("volunteers"))
            .col(seq())
            .col(uuid(a("id")).unique_key())
            .col(uuid(a("person_id")).unique_key())
            .col(text(a("skills")))
            .col(text(a("zrm_domains")))
            .col(text(a("languages")))
            .col(text(a("availability")))
            .col(integer(a("max_travel_m")))
            .col(boolean(a("has_vog")))
            .col(string_len(a("status"), 16))
            .col(big_integer(a("cell")))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_volunteers_person")
                    .from(a("volunteers"), a("person_id"))
                    .to(a("people"), a("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            );
        manager.create_table(located(&mut volunteers).to_owned()).await?;
        for cols in [&["index_cell"][..], &["gemeente_code"], &["wijk_code"]] {
            index(manager, "volunteers", cols, false).await?;
        }

        let mut listings = Table::create();
        listings
            .table(a("listings"))
            .col(seq())
            .col(uuid(a("id")).unique_key())
            .col(string_len(a("kind"), 16))
            .col(string_len(a("title"), 200))
            .col(text(a("description")))
            .col(text(a("categories")))
            .col(text(a("zrm_domains")))
            .col(uuid_null(a("owner_person_id")))
            .col(uuid_null(a("owner_initiative_id")))
            .col(big_integer(a("cell")))
            .col(double_null(a("lat")))
            .col(double_null(a("lng")))
            .col(timestamp_with_time_zone(a("valid_until")))
            .col(string_len(a("status"), 16))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_listings_person")
                    .from(a("listings"), a("owner_person_id"))
                    .to(a("people"), a("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_listings_initiative")
                    .from(a("listings"), a("owner_initiative_id"))
                    .to(a("initiatives"), a("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            );
        manager.create_table(located(&mut listings).to_owned()).await?;
        for cols in
            [&["index_cell"][..], &["gemeente_code"], &["wijk_code"], &["owner_person_id"], &["owner_initiative_id"], &["status", "kind"]]
        {
            index(manager, "listings", cols, false).await?;
        }

        // Multi-valued codes (categories, ZRM domains, skills) for indexed filtering; the
        // entity rows keep a denormalised copy for reading.
        manager
            .create_table(
                Table::create()
                    .table(a("tags"))
                    .col(string_len(a("scheme"), 16))
                    .col(string_len(a("code"), 40))
                    .col(uuid(a("entity_id")))
                    .primary_key(Index::create().col(a("scheme")).col(a("code")).col(a("entity_id")))
                    .to_owned(),
            )
            .await?;
        index(manager, "tags", &["entity_id"], false).await?;

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for (table, cols) in [("listings", "title, description"), ("initiatives", "name, description")] {
                    let new_vals = cols.split(", ").map(|c| format!("new.{c}")).collect::<Vec<_>>().join(", ");
                    let old_vals = cols.split(", ").map(|c| format!("old.{c}")).collect::<Vec<_>>().join(", ");
                    db.execute_unprepared(&format!(
                        "CREATE VIRTUAL TABLE {table}_fts USING fts5({cols}, content='{table}', content_rowid='seq', \
                         tokenize='unicode61 remove_diacritics 2');
                         CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN
                           INSERT INTO {table}_fts(rowid, {cols}) VALUES (new.seq, {new_vals});
                         END;
                         CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN
                           INSERT INTO {table}_fts({table}_fts, rowid, {cols}) VALUES ('delete', old.seq, {old_vals});
                         END;
                         CREATE TRIGGER {table}_fts_au AFTER UPDATE ON {table} BEGIN
                           INSERT INTO {table}_fts({table}_fts, rowid, {cols}) VALUES ('delete', old.seq, {old_vals});
                           INSERT INTO {table}_fts(rowid, {cols}) VALUES (new.seq, {new_vals});
                         END;"
                    ))
                    .await?;
                }
            }
            DatabaseBackend::Postgres => {
                for (table, title) in [("listings", "title"), ("initiatives", "name")] {
                    db.execute_unprepared(&format!(
                        "ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS \
                         (to_tsvector('dutch', coalesce({title}, '') || ' ' || coalesce(description, ''))) STORED;
                         CREATE INDEX idx_{table}_search ON {table} USING GIN (search_vector);"
                    ))
                    .await?;
                }
            }
            other => return Err(DbErr::Migration(format!("unsupported backend {other:?}"))),
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TABLE IF EXISTS listings_fts; DROP TABLE IF EXISTS initiatives_fts;").await?;
        }
        for t in ["tags", "listings", "volunteers", "people", "initiatives", "areas"] {
            manager.drop_table(Table::drop().table(a(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

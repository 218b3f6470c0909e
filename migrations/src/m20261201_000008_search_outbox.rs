//! The search outbox: one row for every change to something searchable, written by triggers in
//! the same transaction as the change, so no write path can forget it and no change is lost
//! between the database and the search index. A worker delivers and then deletes the rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `search_outbox` and the triggers on listings, initiatives and volunteers.
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["listings", "initiatives", "volunteers"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("search_outbox"))
                    .col(big_integer(Alias::new("seq")).primary_key().auto_increment())
                    .col(string_len(Alias::new("doc_table"), 16))
                    .col(uuid(Alias::new("doc_id")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")).default(Expr::current_timestamp()))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION bk_search_outbox() RETURNS trigger AS $$
                     BEGIN
                       IF TG_OP = 'DELETE' THEN
                         INSERT INTO search_outbox (doc_table, doc_id) VALUES (TG_TABLE_NAME, OLD.id);
                       ELSE
                         INSERT INTO search_outbox (doc_table, doc_id) VALUES (TG_TABLE_NAME, NEW.id);
                       END IF;
                       RETURN NULL;
                     END $$ LANGUAGE plpgsql",
                )
                .await?;
                for t in TABLES {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {t}_search_outbox AFTER INSERT OR UPDATE OR DELETE ON {t} \
                         FOR EACH ROW EXECUTE FUNCTION bk_search_outbox()"
                    ))
                    .await?;
                }
            }
            _ => {
                for t in TABLES {
                    for (event, row) in [("INSERT", "new"), ("UPDATE", "new"), ("DELETE", "old")] {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER {t}_search_outbox_{e} AFTER {event} ON {t} BEGIN \
                             INSERT INTO search_outbox (doc_table, doc_id, created_at) VALUES ('{t}', {row}.id, CURRENT_TIMESTAMP); END",
                            e = event.to_lowercase()
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for t in TABLES {
            if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}_search_outbox ON {t}")).await?;
            } else {
                for e in ["insert", "update", "delete"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}_search_outbox_{e}")).await?;
                }
            }
        }
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS bk_search_outbox()").await?;
        }
        manager.drop_table(Table::drop().table(Alias::new("search_outbox")).to_owned()).await
    }
}

//! Support an initiative asks of its gemeente's wijkteam, and the history of each request.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `support_requests` and `support_request_events`.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn fk(name: &str, from: (&str, &str), to: (&str, &str), on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(a(from.0), a(from.1)).to(a(to.0), a(to.1)).on_delete(on_delete).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(a("support_requests"))
                    .col(uuid(a("id")).primary_key())
                    .col(uuid(a("initiative_id")))
                    .col(string_len(a("gemeente_code"), 6))
                    .col(string_len(a("wijk_code"), 8))
                    .col(string_len(a("kind"), 32))
                    .col(text(a("description")))
                    .col(big_integer_null(a("amount_cents")))
                    .col(date_null(a("wished_date")))
                    .col(string_len(a("status"), 16))
                    .col(uuid_null(a("submitted_by_person_id")))
                    .col(text_null(a("granted_note")))
                    .col(big_integer_null(a("granted_amount_cents")))
                    .col(string_len_null(a("decline_reason"), 32))
                    .col(text_null(a("decline_note")))
                    .col(uuid(a("change_id")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    // The requests belong to the initiative: they go when it goes.
                    .foreign_key(&mut fk(
                        "fk_support_requests_initiative",
                        ("support_requests", "initiative_id"),
                        ("initiatives", "id"),
                        ForeignKeyAction::Cascade,
                    ))
                    // An erased organiser's request stays with the initiative, naming nobody.
                    .foreign_key(&mut fk(
                        "fk_support_requests_person",
                        ("support_requests", "submitted_by_person_id"),
                        ("people", "id"),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        // The team's work list (a gemeente, by last change) and an initiative's own list.
        for (name, cols) in [
            ("idx_support_requests_gemeente_change", ["gemeente_code", "change_id"]),
            ("idx_support_requests_initiative_change", ["initiative_id", "change_id"]),
        ] {
            let mut index = Index::create();
            index.name(name).table(a("support_requests"));
            for col in cols {
                index.col(a(col));
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_support_requests_submitted_by")
                    .table(a("support_requests"))
                    .col(a("submitted_by_person_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("support_request_events"))
                    .col(uuid(a("id")).primary_key())
                    .col(uuid(a("request_id")))
                    .col(string_len(a("status"), 16))
                    .col(string_len(a("actor"), 250))
                    .col(string_len(a("actor_role"), 16))
                    .col(timestamp_with_time_zone(a("at")))
                    .col(string_len_null(a("code"), 32))
                    .col(text_null(a("note")))
                    .col(big_integer_null(a("amount_cents")))
                    .foreign_key(&mut fk(
                        "fk_support_events_request",
                        ("support_request_events", "request_id"),
                        ("support_requests", "id"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        for col in ["request_id", "actor"] {
            manager
                .create_index(
                    Index::create().name(format!("idx_support_events_{col}")).table(a("support_request_events")).col(a(col)).to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["support_request_events", "support_requests"] {
            manager.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}

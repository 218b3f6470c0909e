//! Matches between a request and a helper, their feedback, and the networks residents join.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `matches`, `match_feedback` and `network_members`.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn fk(name: &str, from: (&str, &str), to: (&str, &str)) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(a(from.0), a(from.1)).to(a(to.0), a(to.1)).on_delete(ForeignKeyAction::Cascade).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(a("matches"))
                    .col(uuid(a("id")).primary_key())
                    .col(uuid(a("request_id")))
                    .col(string_len(a("helper_kind"), 16))
                    .col(uuid(a("helper_id")))
                    .col(uuid_null(a("requester_person_id")))
                    .col(uuid_null(a("requester_initiative_id")))
                    .col(uuid_null(a("helper_person_id")))
                    .col(uuid_null(a("helper_initiative_id")))
                    .col(string_len(a("gemeente_code"), 6))
                    .col(string_len(a("status"), 16))
                    .col(timestamp_with_time_zone_null(a("requester_accepted_at")))
                    .col(timestamp_with_time_zone_null(a("helper_accepted_at")))
                    .col(string_len(a("proposed_by"), 250))
                    .col(timestamp_with_time_zone(a("proposed_at")))
                    .col(string_len_null(a("decline_reason"), 32))
                    .col(string_len_null(a("declined_by"), 16))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .foreign_key(&mut fk("fk_matches_request", ("matches", "request_id"), ("listings", "id")))
                    .to_owned(),
            )
            .await?;
        for col in ["request_id", "helper_id", "requester_person_id", "helper_person_id", "helper_initiative_id", "requester_initiative_id"]
        {
            manager.create_index(Index::create().name(format!("idx_matches_{col}")).table(a("matches")).col(a(col)).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(a("match_feedback"))
                    .col(uuid(a("match_id")))
                    .col(string_len(a("side"), 16))
                    .col(small_integer(a("rating")))
                    .col(text_null(a("comment")))
                    .col(boolean(a("no_show")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .primary_key(Index::create().col(a("match_id")).col(a("side")))
                    .foreign_key(&mut fk("fk_feedback_match", ("match_feedback", "match_id"), ("matches", "id")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("network_members"))
                    .col(uuid(a("initiative_id")))
                    .col(uuid(a("person_id")))
                    .col(timestamp_with_time_zone(a("joined_at")))
                    .primary_key(Index::create().col(a("person_id")).col(a("initiative_id")))
                    .foreign_key(&mut fk("fk_members_initiative", ("network_members", "initiative_id"), ("initiatives", "id")))
                    .foreign_key(&mut fk("fk_members_person", ("network_members", "person_id"), ("people", "id")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["network_members", "match_feedback", "matches"] {
            manager.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}

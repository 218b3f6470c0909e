//! Referrals: a professional refers a resident's request to a helper, and both follow it to the
//! end. The anonymous facts (state, codes, dates, gemeente, wijk, helper kind) outlive an
//! erasure, for the kompas; the references to people and the texts do not.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `referrals` and `referral_events`.
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
                    .table(a("referrals"))
                    .col(uuid(a("id")).primary_key())
                    // No foreign keys to listings or people: an erasure removes them and nulls
                    // these, and the referral's anonymous facts stay.
                    .col(uuid_null(a("request_id")))
                    .col(uuid_null(a("resident_person_id")))
                    .col(string_len(a("helper_kind"), 24))
                    .col(uuid_null(a("helper_id")))
                    .col(uuid_null(a("helper_person_id")))
                    .col(uuid_null(a("helper_initiative_id")))
                    .col(string_len(a("gemeente_code"), 6))
                    .col(string_len(a("wijk_code"), 8))
                    .col(string_len(a("state"), 16))
                    .col(string_len_null(a("decline_reason"), 32))
                    .col(string_len_null(a("outcome"), 32))
                    .col(text_null(a("note")))
                    .col(boolean(a("request_recorded")))
                    .col(uuid_null(a("consent_id")))
                    .col(string_len(a("referred_by"), 250))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .col(timestamp_with_time_zone_null(a("closed_at")))
                    .to_owned(),
            )
            .await?;
        // The team's work list: one gemeente, newest change first, optionally one state.
        manager
            .create_index(
                Index::create()
                    .name("idx_referrals_worklist")
                    .table(a("referrals"))
                    .col(a("gemeente_code"))
                    .col(a("updated_at"))
                    .col(a("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_referrals_worklist_state")
                    .table(a("referrals"))
                    .col(a("gemeente_code"))
                    .col(a("state"))
                    .col(a("updated_at"))
                    .col(a("id"))
                    .to_owned(),
            )
            .await?;
        // A wijk's list, and one professional's own.
        for (name, col) in [("idx_referrals_worklist_wijk", "wijk_code"), ("idx_referrals_worklist_mine", "referred_by")] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(a("referrals"))
                        .col(a("gemeente_code"))
                        .col(a(col))
                        .col(a("updated_at"))
                        .col(a("id"))
                        .to_owned(),
                )
                .await?;
        }
        for col in ["request_id", "resident_person_id", "helper_person_id", "helper_initiative_id", "consent_id"] {
            manager.create_index(Index::create().name(format!("idx_referrals_{col}")).table(a("referrals")).col(a(col)).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(a("referral_events"))
                    .col(uuid(a("referral_id")))
                    .col(integer(a("seq")))
                    .col(string_len(a("state"), 16))
                    .col(string_len(a("party"), 16))
                    .col(string_len(a("actor"), 250))
                    .col(string_len_null(a("code"), 32))
                    .col(timestamp_with_time_zone(a("at")))
                    .primary_key(Index::create().col(a("referral_id")).col(a("seq")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_events_referral")
                            .from(a("referral_events"), a("referral_id"))
                            .to(a("referrals"), a("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["referral_events", "referrals"] {
            manager.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}

//! Accounts and privacy: the token subject of a person, API keys, organisers and their
//! invitations, consents, the audit log, idempotent retries, and deletions for downstream copies.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates the account and privacy tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn fk(name: &str, from: (&str, &str), to: (&str, &str)) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(a(from.0), a(from.1)).to(a(to.0), a(to.1)).on_delete(ForeignKeyAction::Cascade).to_owned()
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
        // The user at the token issuer this person is; one person per subject.
        manager.alter_table(Table::alter().table(a("people")).add_column(string_len_null(a("subject"), 200)).to_owned()).await?;
        index(manager, "people", &["subject"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table(a("api_keys"))
                    .col(uuid(a("id")).primary_key())
                    .col(string_len(a("hash"), 64).unique_key())
                    .col(string_len(a("label"), 200))
                    .col(string_len(a("role"), 16))
                    .col(text(a("gemeenten")))
                    .col(uuid_null(a("initiative_id")))
                    .col(string_len(a("created_by"), 250))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone_null(a("expires_at")))
                    .col(timestamp_with_time_zone_null(a("revoked_at")))
                    .foreign_key(&mut fk("fk_api_keys_initiative", ("api_keys", "initiative_id"), ("initiatives", "id")))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("organisers"))
                    .col(uuid(a("initiative_id")))
                    .col(uuid(a("person_id")))
                    .col(timestamp_with_time_zone(a("added_at")))
                    .primary_key(Index::create().col(a("initiative_id")).col(a("person_id")))
                    .foreign_key(&mut fk("fk_organisers_initiative", ("organisers", "initiative_id"), ("initiatives", "id")))
                    .foreign_key(&mut fk("fk_organisers_person", ("organisers", "person_id"), ("people", "id")))
                    .to_owned(),
            )
            .await?;
        index(manager, "organisers", &["person_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(a("organiser_invitations"))
                    .col(uuid(a("id")).primary_key())
                    .col(uuid(a("initiative_id")))
                    .col(string_len(a("code_hash"), 64).unique_key())
                    .col(string_len(a("created_by"), 250))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("expires_at")))
                    .col(uuid_null(a("accepted_by")))
                    .col(timestamp_with_time_zone_null(a("accepted_at")))
                    .foreign_key(&mut fk("fk_invitations_initiative", ("organiser_invitations", "initiative_id"), ("initiatives", "id")))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(a("consents"))
                    .col(uuid(a("id")).primary_key())
                    .col(uuid(a("person_id")))
                    .col(string_len(a("purpose"), 500))
                    .col(string_len(a("grantee_kind"), 16))
                    .col(uuid_null(a("grantee_person_id")))
                    .col(uuid_null(a("grantee_initiative_id")))
                    .col(string_len_null(a("grantee_gemeente"), 6))
                    .col(text(a("scope")))
                    .col(timestamp_with_time_zone(a("valid_from")))
                    .col(timestamp_with_time_zone_null(a("valid_until")))
                    .col(timestamp_with_time_zone_null(a("withdrawn_at")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .foreign_key(&mut fk("fk_consents_person", ("consents", "person_id"), ("people", "id")))
                    .to_owned(),
            )
            .await?;
        index(manager, "consents", &["person_id"], false).await?;
        index(manager, "consents", &["grantee_gemeente"], false).await?;

        // Append-only. `person_ref` is the person's id until erasure, a pseudonym after it.
        manager
            .create_table(
                Table::create()
                    .table(a("audit_events"))
                    .col(big_pk_auto(a("seq")))
                    .col(uuid(a("id")).unique_key())
                    .col(timestamp_with_time_zone(a("at")))
                    .col(string_len(a("actor"), 250))
                    .col(string_len(a("actor_role"), 16))
                    .col(string_len(a("person_ref"), 64))
                    .col(string_len_null(a("gemeente_code"), 6))
                    .col(string_len(a("action"), 16))
                    .col(string_len(a("resource"), 32))
                    .col(string_len_null(a("resource_id"), 64))
                    .col(string_len(a("endpoint"), 200))
                    .to_owned(),
            )
            .await?;
        index(manager, "audit_events", &["person_ref"], false).await?;
        index(manager, "audit_events", &["gemeente_code"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(a("idempotency_records"))
                    .col(string_len(a("scope"), 64))
                    .col(string_len(a("key"), 200))
                    .col(string_len(a("request_hash"), 64))
                    .col(integer_null(a("status")))
                    .col(string_len_null(a("content_type"), 100))
                    .col(text_null(a("body")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .primary_key(Index::create().col(a("scope")).col(a("key")))
                    .to_owned(),
            )
            .await?;

        // What was deleted, so copies elsewhere (the search index, change feeds) can follow;
        // a reindex consults it and never brings an erased item back.
        manager
            .create_table(
                Table::create()
                    .table(a("deletions"))
                    .col(big_pk_auto(a("seq")))
                    .col(string_len(a("entity"), 32))
                    .col(uuid(a("entity_id")))
                    .col(timestamp_with_time_zone(a("deleted_at")))
                    .to_owned(),
            )
            .await?;
        index(manager, "deletions", &["entity", "entity_id"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["deletions", "idempotency_records", "audit_events", "consents", "organiser_invitations", "organisers", "api_keys"] {
            manager.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        manager.drop_index(Index::drop().name("idx_people_subject").table(a("people")).to_owned()).await?;
        manager.alter_table(Table::alter().table(a("people")).drop_column(a("subject")).to_owned()).await
    }
}

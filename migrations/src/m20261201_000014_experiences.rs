//! Residents' answers on how the help went, after a match or a referral was closed.
//!
//! The subject is named by kind and id, not by a foreign key: a match and a referral live in
//! different tables, and a helper's erasure removes the match while the resident's answer
//! stays theirs. The gemeente and wijk of the request are copied in for the same reason, so
//! that reports per area need nothing that erasure may remove. The person is a foreign key
//! with cascade, so that no answer outlives its person whatever removes them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `experiences`.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// The scored themes, one column each, so that reports add them up in the database.
const THEMES: [&str; 6] = ["listened", "fitted", "quick", "manage_better", "quality_of_life", "recommend"];

async fn index(manager: &SchemaManager<'_>, cols: &[&str], unique: bool) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(format!("idx_experiences_{}", cols.join("_"))).table(a("experiences"));
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
        let mut table = Table::create();
        table
            .table(a("experiences"))
            .col(uuid(a("id")).primary_key())
            .col(uuid(a("person_id")))
            .col(string_len(a("subject_kind"), 16))
            .col(uuid(a("subject_id")))
            .col(string_len(a("gemeente_code"), 6))
            .col(string_len(a("wijk_code"), 8));
        for theme in THEMES {
            // The service checks the scale; the database keeps to it whatever writes.
            table.col(small_integer_null(a(theme)).check(Expr::col(a(theme)).between(1, 5)));
        }
        table
            .col(text_null(a("comment")))
            .col(boolean(a("share_comment")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .foreign_key(
                &mut ForeignKey::create()
                    .name("fk_experiences_person")
                    .from(a("experiences"), a("person_id"))
                    .to(a("people"), a("id"))
                    .on_delete(ForeignKeyAction::Cascade)
                    .to_owned(),
            );
        manager.create_table(table.to_owned()).await?;
        // One answer per subject: the key decides between two sent at once.
        index(manager, &["subject_kind", "subject_id"], true).await?;
        index(manager, &["person_id"], false).await?;
        // Reports filter by area and period.
        index(manager, &["gemeente_code", "created_at"], false).await?;
        index(manager, &["wijk_code", "created_at"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(a("experiences")).to_owned()).await
    }
}

//! The kaart: when a request was first helped, and the indexes its open-listings scan runs on.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Adds `listings.helped_at`, fills it from the matches and referrals already stored, and
/// indexes the open listings of a gemeente and of a wijk.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// The first time each request was helped: a match accepted by both sides (at the later of
/// the two acceptances) or a referral accepted by its helper (its history's `accepted` step).
/// Plain SQL that runs on both engines; a timestamp compares as itself on PostgreSQL and, in
/// the one format the driver writes, as text on SQLite.
///
/// Each branch is correlated with the listing, so both engines probe the `request_id` indexes
/// of matches and referrals per request instead of joining every match to every listing; only
/// requests with a helping row are written. Public so that a bulk loader (the benchmarks) that
/// writes below the service can fill the column the same way.
pub const HELPED_AT_BACKFILL: &str = "
UPDATE listings SET helped_at = (
    SELECT MIN(t) FROM (
        SELECT CASE WHEN m.requester_accepted_at > m.helper_accepted_at
                    THEN m.requester_accepted_at ELSE m.helper_accepted_at END AS t
        FROM matches m
        WHERE m.request_id = listings.id
          AND m.requester_accepted_at IS NOT NULL AND m.helper_accepted_at IS NOT NULL
        UNION ALL
        SELECT e.at AS t
        FROM referrals r JOIN referral_events e ON e.referral_id = r.id
        WHERE r.request_id = listings.id AND e.state = 'accepted'
    ) helped
)
WHERE kind = 'request' AND helped_at IS NULL
  AND (EXISTS (SELECT 1 FROM matches m WHERE m.request_id = listings.id
               AND m.requester_accepted_at IS NOT NULL AND m.helper_accepted_at IS NOT NULL)
       OR EXISTS (SELECT 1 FROM referrals r JOIN referral_events e ON e.referral_id = r.id
                  WHERE r.request_id = listings.id AND e.state = 'accepted'))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(a("listings")).add_column(ColumnDef::new(a("helped_at")).timestamp_with_time_zone().null()).to_owned(),
            )
            .await?;
        manager.get_connection().execute_unprepared(HELPED_AT_BACKFILL).await?;
        // The kaart reads the open listings of an area: an equality on the area and on the
        // status, then a range on `valid_until`, so both engines answer from an index range.
        for area in ["gemeente_code", "wijk_code"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_listings_{area}_status_valid_until"))
                        .table(a("listings"))
                        .col(a(area))
                        .col(a("status"))
                        .col(a("valid_until"))
                        .to_owned(),
                )
                .await?;
        }
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared("ANALYZE listings").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for area in ["gemeente_code", "wijk_code"] {
            manager
                .drop_index(Index::drop().name(format!("idx_listings_{area}_status_valid_until")).table(a("listings")).to_owned())
                .await?;
        }
        manager.alter_table(Table::alter().table(a("listings")).drop_column(a("helped_at")).to_owned()).await
    }
}

//! The kompas's pre-aggregated counters and the marks of what to recompute.
//!
//! `kompas_cells` holds, per slice (a gemeente, a wijk, a month), the counters the kompas reads
//! (`value` per `indicator` code; a missing row is 0). `kompas_dirty` holds the slices whose
//! counters no longer match the rows they count: database triggers mark them in the same
//! transaction as the write, so no write path (a use case, the seed, an erasure, a bulk load)
//! can forget to. A mark names the slice's wijk, or `*` when the wijk is no longer known (a
//! match whose request was removed with it): every wijk of that gemeente-month.
//!
//! A trigger marks the months of the row's timestamps that place it in an indicator, for the
//! old and the new row: a request's posting month; a match's acceptance and, once completed or
//! declined, its last change, and its request's posting month (the 14-day and days-to-match
//! figures); a referral's sending, closing and acceptance months and its request's posting
//! month; a no-show's month; a support request's and an answer's month; a membership's month,
//! and the acceptance months of the matches and referrals whose rung it decides (own network);
//! an initiative's kind or wijk change and its removal likewise. Deletes mark BEFORE the row
//! goes, while the rows it cascades to can still be read.
//!
//! SQLite marks with `INSERT OR IGNORE` into a unique mark. PostgreSQL appends a mark per
//! write, which locks nothing: a refresh deletes the marks it can see, and a write it cannot
//! see yet keeps its own (see `store::kompas`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `kompas_cells`, `kompas_dirty`, their triggers and the indexes the refresh reads by.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// One mark: the slices a SELECT names, as `(gemeente, wijk, timestamp)` over `rest` (FROM and
/// WHERE, may be empty). `{r}` stands for the row (OLD or NEW).
struct Mark {
    gemeente: &'static str,
    wijk: &'static str,
    at: &'static str,
    rest: &'static str,
}

const fn mark(gemeente: &'static str, wijk: &'static str, at: &'static str, rest: &'static str) -> Mark {
    Mark { gemeente, wijk, at, rest }
}

/// The later of a match's two acceptances (both set), in SQL both engines read.
const ACCEPTED: &str =
    "CASE WHEN m.requester_accepted_at > m.helper_accepted_at THEN m.requester_accepted_at ELSE m.helper_accepted_at END";

/// What each table marks, and which columns of an update matter (empty: every update).
fn tables() -> Vec<(&'static str, Vec<Mark>, &'static [&'static str])> {
    vec![
        (
            "listings",
            vec![mark("{r}.gemeente_code", "{r}.wijk_code", "{r}.created_at", "WHERE {r}.kind = 'request'")],
            &["kind", "created_at", "gemeente_code", "wijk_code"],
        ),
        (
            "matches",
            vec![
                mark("l.gemeente_code", "l.wijk_code", "l.created_at", "FROM listings l WHERE l.id = {r}.request_id"),
                mark(
                    "{r}.gemeente_code",
                    "COALESCE((SELECT l.wijk_code FROM listings l WHERE l.id = {r}.request_id), '*')",
                    "CASE WHEN {r}.requester_accepted_at > {r}.helper_accepted_at THEN {r}.requester_accepted_at ELSE {r}.helper_accepted_at END",
                    "WHERE {r}.requester_accepted_at IS NOT NULL AND {r}.helper_accepted_at IS NOT NULL",
                ),
                mark(
                    "{r}.gemeente_code",
                    "COALESCE((SELECT l.wijk_code FROM listings l WHERE l.id = {r}.request_id), '*')",
                    "{r}.updated_at",
                    "WHERE {r}.status IN ('completed', 'declined')",
                ),
                mark(
                    "{r}.gemeente_code",
                    "COALESCE((SELECT l.wijk_code FROM listings l WHERE l.id = {r}.request_id), '*')",
                    "fb.created_at",
                    "FROM match_feedback fb WHERE fb.match_id = {r}.id AND fb.no_show",
                ),
            ],
            &[],
        ),
        (
            "match_feedback",
            vec![mark(
                "m.gemeente_code",
                "COALESCE((SELECT l.wijk_code FROM listings l WHERE l.id = m.request_id), '*')",
                "{r}.created_at",
                "FROM matches m WHERE m.id = {r}.match_id AND {r}.no_show",
            )],
            &["no_show", "created_at"],
        ),
        (
            "referrals",
            vec![
                mark("{r}.gemeente_code", "{r}.wijk_code", "{r}.created_at", ""),
                mark("{r}.gemeente_code", "{r}.wijk_code", "{r}.closed_at", ""),
                mark(
                    "{r}.gemeente_code",
                    "{r}.wijk_code",
                    "e.at",
                    "FROM referral_events e WHERE e.referral_id = {r}.id AND e.state = 'accepted'",
                ),
                mark("l.gemeente_code", "l.wijk_code", "l.created_at", "FROM listings l WHERE l.id = {r}.request_id"),
            ],
            &[],
        ),
        (
            "referral_events",
            vec![mark(
                "f.gemeente_code",
                "f.wijk_code",
                "{r}.at",
                "FROM referrals f WHERE f.id = {r}.referral_id AND {r}.state = 'accepted'",
            )],
            &["state", "at"],
        ),
        (
            "support_requests",
            vec![mark("{r}.gemeente_code", "{r}.wijk_code", "{r}.created_at", "")],
            &["kind", "status", "created_at", "gemeente_code", "wijk_code"],
        ),
        ("experiences", vec![mark("{r}.gemeente_code", "{r}.wijk_code", "{r}.created_at", "")], &[]),
        (
            "network_members",
            vec![
                mark("i.gemeente_code", "i.wijk_code", "{r}.joined_at", "FROM initiatives i WHERE i.id = {r}.initiative_id"),
                mark(
                    "m.gemeente_code",
                    "COALESCE(l.wijk_code, '*')",
                    ACCEPTED,
                    "FROM matches m LEFT JOIN listings l ON l.id = m.request_id WHERE m.requester_person_id = {r}.person_id \
                     AND m.helper_initiative_id = {r}.initiative_id AND m.requester_accepted_at IS NOT NULL AND m.helper_accepted_at IS NOT NULL",
                ),
                mark(
                    "f.gemeente_code",
                    "f.wijk_code",
                    "e.at",
                    "FROM referrals f JOIN referral_events e ON e.referral_id = f.id AND e.state = 'accepted' \
                     WHERE f.resident_person_id = {r}.person_id AND f.helper_initiative_id = {r}.initiative_id",
                ),
            ],
            &["joined_at"],
        ),
        (
            "initiatives",
            vec![
                mark("{r}.gemeente_code", "{r}.wijk_code", "n.joined_at", "FROM network_members n WHERE n.initiative_id = {r}.id"),
                mark(
                    "m.gemeente_code",
                    "COALESCE(l.wijk_code, '*')",
                    ACCEPTED,
                    "FROM matches m LEFT JOIN listings l ON l.id = m.request_id WHERE m.helper_initiative_id = {r}.id \
                     AND m.requester_accepted_at IS NOT NULL AND m.helper_accepted_at IS NOT NULL",
                ),
                mark(
                    "f.gemeente_code",
                    "f.wijk_code",
                    "e.at",
                    "FROM referrals f JOIN referral_events e ON e.referral_id = f.id AND e.state = 'accepted' WHERE f.helper_initiative_id = {r}.id",
                ),
            ],
            // Only what the kompas reads of an initiative: its kind (the rung) and its wijk
            // (where its new members count). Inserts mark nothing (below).
            &["kind", "gemeente_code", "wijk_code"],
        ),
    ]
}

/// Tables whose inserts cannot change a counter.
const NO_INSERT: &[&str] = &["initiatives"];

/// The statements of `marks` for row `r` (`OLD` or `NEW`).
fn statements(marks: &[Mark], r: &str, postgres: bool) -> String {
    marks
        .iter()
        .map(|m| {
            let at = m.at.replace("{r}", r);
            let month = if postgres { format!("to_char(({at}) AT TIME ZONE 'UTC', 'YYYY-MM')") } else { format!("substr({at}, 1, 7)") };
            let rest = m.rest.replace("{r}", r);
            let cond =
                if rest.contains("WHERE") { format!("{rest} AND ({at}) IS NOT NULL") } else { format!("{rest} WHERE ({at}) IS NOT NULL") };
            let select = format!("SELECT DISTINCT {}, {}, {month} {cond}", m.gemeente.replace("{r}", r), m.wijk.replace("{r}", r));
            if postgres {
                format!("INSERT INTO kompas_dirty (gemeente_code, wijk_code, month) {select};")
            } else {
                format!("INSERT OR IGNORE INTO kompas_dirty (gemeente_code, wijk_code, month) {select};")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `OLD.a IS DISTINCT FROM NEW.a OR ...` (SQLite: `IS NOT`), or `None` for every update.
fn changed(columns: &[&str], postgres: bool) -> Option<String> {
    if columns.is_empty() {
        return None;
    }
    let op = if postgres { "IS DISTINCT FROM" } else { "IS NOT" };
    Some(columns.iter().map(|c| format!("OLD.{c} {op} NEW.{c}")).collect::<Vec<_>>().join(" OR "))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(a("kompas_cells"))
                    .col(string_len(a("gemeente_code"), 6))
                    .col(string_len(a("month"), 7))
                    .col(string_len(a("wijk_code"), 8))
                    .col(string_len(a("indicator"), 64))
                    .col(big_integer(a("value")))
                    .primary_key(Index::create().col(a("gemeente_code")).col(a("month")).col(a("wijk_code")).col(a("indicator")))
                    .to_owned(),
            )
            .await?;
        let postgres = manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        // On PostgreSQL the marks are appended, not kept unique: a writer's insert then locks
        // nothing another writer or a refresh waits on (a unique mark would be locked until its
        // writer commits, and two writers marking two slices in opposite orders would
        // deadlock). A refresh deletes the marks it can see; a writer's uncommitted mark it
        // cannot see stays for the next one (see `store::kompas`).
        let mut dirty = Table::create();
        dirty
            .table(a("kompas_dirty"))
            .col(string_len(a("gemeente_code"), 6))
            .col(string_len(a("month"), 7))
            .col(string_len(a("wijk_code"), 8));
        if !postgres {
            dirty.primary_key(Index::create().col(a("gemeente_code")).col(a("month")).col(a("wijk_code")));
        }
        manager.create_table(dirty.to_owned()).await?;
        if postgres {
            manager
                .create_index(
                    Index::create()
                        .name("idx_kompas_dirty_slice")
                        .table(a("kompas_dirty"))
                        .col(a("gemeente_code"))
                        .col(a("month"))
                        .col(a("wijk_code"))
                        .to_owned(),
                )
                .await?;
        }
        // What the refresh reads: each table's rows of one gemeente over a range of months.
        for (table, cols) in [
            ("listings", &["gemeente_code", "created_at"][..]),
            ("matches", &["gemeente_code", "helper_accepted_at"]),
            ("matches", &["gemeente_code", "requester_accepted_at"]),
            ("matches", &["gemeente_code", "updated_at"]),
            ("match_feedback", &["created_at"]),
            ("referrals", &["gemeente_code", "created_at"]),
            ("referrals", &["gemeente_code", "closed_at"]),
            ("referral_events", &["state", "at"]),
            ("support_requests", &["gemeente_code", "created_at"]),
            ("network_members", &["initiative_id", "joined_at"]),
        ] {
            let mut index = Index::create();
            index.name(format!("idx_kompas_{table}_{}", cols.join("_"))).table(a(table));
            for c in cols {
                index.col(a(c));
            }
            manager.create_index(index.to_owned()).await?;
        }
        let db = manager.get_connection();
        for (table, marks, columns) in tables() {
            let inserts = !NO_INSERT.contains(&table);
            if postgres {
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION bk_kompas_{table}() RETURNS trigger AS $$
                     BEGIN
                       IF TG_OP <> 'INSERT' THEN {old} END IF;
                       IF TG_OP <> 'DELETE' THEN {new} END IF;
                       IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                       RETURN NEW;
                     END $$ LANGUAGE plpgsql",
                    old = statements(&marks, "OLD", true),
                    new = statements(&marks, "NEW", true),
                ))
                .await?;
                let when = changed(columns, true).map(|c| format!("WHEN ({c})")).unwrap_or_default();
                let f = format!("EXECUTE FUNCTION bk_kompas_{table}()");
                db.execute_unprepared(&format!("CREATE TRIGGER {table}_kompas_delete BEFORE DELETE ON {table} FOR EACH ROW {f}")).await?;
                db.execute_unprepared(&format!("CREATE TRIGGER {table}_kompas_update AFTER UPDATE ON {table} FOR EACH ROW {when} {f}"))
                    .await?;
                if inserts {
                    db.execute_unprepared(&format!("CREATE TRIGGER {table}_kompas_insert AFTER INSERT ON {table} FOR EACH ROW {f}"))
                        .await?;
                }
            } else {
                let (old, new) = (statements(&marks, "OLD", false), statements(&marks, "NEW", false));
                let when = changed(columns, false).map(|c| format!("WHEN {c}")).unwrap_or_default();
                db.execute_unprepared(&format!("CREATE TRIGGER {table}_kompas_delete BEFORE DELETE ON {table} BEGIN {old} END")).await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {table}_kompas_update AFTER UPDATE ON {table} {when} BEGIN {old} {new} END"
                ))
                .await?;
                if inserts {
                    db.execute_unprepared(&format!("CREATE TRIGGER {table}_kompas_insert AFTER INSERT ON {table} BEGIN {new} END")).await?;
                }
            }
        }
        // Rows written before this migration: every gemeente-month any counted timestamp falls
        // in is dirty in all its wijken, so the first read (or the refresher) counts them. A
        // match's acceptance is the later of its two acceptances: the month of one of them.
        let month =
            |col: &str| if postgres { format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM')") } else { format!("substr({col}, 1, 7)") };
        let insert = if postgres { "INSERT INTO" } else { "INSERT OR IGNORE INTO" };
        for (gemeente, at, from) in [
            ("gemeente_code", "created_at", "listings"),
            ("gemeente_code", "updated_at", "matches"),
            ("gemeente_code", "requester_accepted_at", "matches"),
            ("gemeente_code", "helper_accepted_at", "matches"),
            ("m.gemeente_code", "fb.created_at", "match_feedback fb JOIN matches m ON m.id = fb.match_id"),
            ("gemeente_code", "created_at", "referrals"),
            ("gemeente_code", "closed_at", "referrals"),
            ("f.gemeente_code", "e.at", "referral_events e JOIN referrals f ON f.id = e.referral_id"),
            ("gemeente_code", "created_at", "support_requests"),
            ("gemeente_code", "created_at", "experiences"),
            ("i.gemeente_code", "n.joined_at", "network_members n JOIN initiatives i ON i.id = n.initiative_id"),
        ] {
            db.execute_unprepared(&format!(
                "{insert} kompas_dirty (gemeente_code, wijk_code, month) SELECT DISTINCT {gemeente}, '*', {m} FROM {from} WHERE {at} IS NOT NULL",
                m = month(at)
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        for (table, _, _) in tables() {
            for op in ["insert", "update", "delete"] {
                if postgres {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {table}_kompas_{op} ON {table}")).await?;
                } else {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {table}_kompas_{op}")).await?;
                }
            }
            if postgres {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS bk_kompas_{table}()")).await?;
            }
        }
        for t in ["kompas_dirty", "kompas_cells"] {
            manager.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}

//! The kompas's counters: reading the facts of a gemeente's months from the rows, keeping the
//! counters per slice (a wijk in a month) in `kompas_cells`, and refreshing the slices the
//! database's triggers marked dirty in `kompas_dirty` (migration `m20261201_000016_kompas`).
//!
//! # Why a refresh never loses a write
//!
//! A refresh takes the marks of a gemeente (deletes them) and recomputes their slices from the
//! rows, in one transaction.
//!
//! - SQLite has one writer at a time: the refresh holds the write lock from taking the marks
//!   to committing, so no write commits in between, and every write before it is in the rows
//!   it reads; a write after it leaves a new mark.
//! - PostgreSQL (READ COMMITTED): a writer's trigger appends a mark (no unique key, so it
//!   locks nothing). The refresh deletes the marks its statement sees, which are those of
//!   writes already committed; those writes are in the rows its later statements read (each
//!   with a fresh snapshot). The mark of a writer still at work is invisible to the delete and
//!   stays for a later refresh, whatever of its write the recount happened to see. Refreshes
//!   of one gemeente take a transaction-scoped advisory lock, so several instances never
//!   write the same slices at once.
//!
//! A refresh commits per run of at most [`MONTHS_PER_READ`] months, so the write lock (SQLite)
//! is never held for the whole history after a bulk load or the migration.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, QueryResult, Statement, TransactionTrait, Value};

use super::Conn;
use crate::domain::InitiativeKind;
use crate::domain::experience::{Month, THEMES};
use crate::matching::Rung;
use crate::stats::kompas::{Counters, Fact, IN_TIME_DAYS, RUNGS, tally};

/// The most months one refresh reads at once.
const MONTHS_PER_READ: i64 = 3;

/// The wijk code a mark uses for "every wijk of the gemeente-month".
pub const EVERY_WIJK: &str = "*";

/// A statement written with `?` placeholders, numbered for PostgreSQL.
fn stmt(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = if backend == DatabaseBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

async fn rows(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(stmt(db, sql, values)).await
}

/// The later of a match's two acceptances.
const ACCEPTED: &str =
    "CASE WHEN m.requester_accepted_at > m.helper_accepted_at THEN m.requester_accepted_at ELSE m.helper_accepted_at END";

/// The rung of a helper: own network when the resident belonged to the helping initiative's
/// network before the help was accepted; a neighbour's offer or a volunteer; an initiative by
/// its kind; a professional service. `None` for an initiative that no longer exists.
pub fn rung_of(helper_kind: &str, initiative_kind: Option<&str>, own_network: bool) -> Option<usize> {
    let rung = if own_network {
        Rung::OwnNetwork
    } else {
        match helper_kind {
            "offer" | "volunteer" => Rung::Neighbours,
            "professional_service" => Rung::ProfessionalService,
            _ => match InitiativeKind::from_code(initiative_kind?)? {
                InitiativeKind::InformalGroup | InitiativeKind::ResidentInitiative => Rung::ResidentInitiative,
                InitiativeKind::VolunteerOrganisation => Rung::VolunteerOrganisation,
                InitiativeKind::GeneralProvision => Rung::GeneralProvision,
                InitiativeKind::ProfessionalService => Rung::ProfessionalService,
            },
        }
    };
    RUNGS.iter().position(|r| *r == rung.code())
}

type Placed = (String, Month, Fact);

/// Every fact of gemeente `gemeente` that falls in `[from, until)`, with its wijk and month.
pub async fn facts(db: &impl ConnectionTrait, gemeente: &str, from: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<Placed>, DbErr> {
    let g = || Value::from(gemeente.to_owned());
    let (s, e) = (Value::from(from), Value::from(until));
    let range = || vec![g(), s.clone(), e.clone()];
    let mut out: Vec<Placed> = Vec::new();
    let wijk = |r: &QueryResult| r.try_get_by_index::<String>(0);
    let at = |r: &QueryResult| r.try_get_by_index::<DateTime<Utc>>(1);

    let sql = format!(
        "SELECT l.wijk_code, l.created_at, \
           (SELECT MIN({ACCEPTED}) FROM matches m WHERE m.request_id = l.id \
              AND m.requester_accepted_at IS NOT NULL AND m.helper_accepted_at IS NOT NULL) AS first_match, \
           (SELECT MIN(f.created_at) FROM referrals f WHERE f.request_id = l.id) AS first_referral \
         FROM listings l WHERE l.gemeente_code = ? AND l.kind = 'request' AND l.created_at >= ? AND l.created_at < ?"
    );
    for r in rows(db, &sql, range()).await? {
        let posted = at(&r)?;
        let first_match: Option<DateTime<Utc>> = r.try_get_by_index(2)?;
        let first_referral: Option<DateTime<Utc>> = r.try_get_by_index(3)?;
        let deadline = posted + Duration::days(IN_TIME_DAYS);
        let in_time = first_match.is_some_and(|t| t <= deadline) || first_referral.is_some_and(|t| t <= deadline);
        let days_to_first_match = first_match.map(|t| u64::try_from((t - posted).num_days()).unwrap_or(0));
        out.push((wijk(&r)?, Month::of(posted), Fact::Posted { in_time, days_to_first_match }));
    }

    let own = |person: &str, initiative: &str, at: &str| {
        format!(
            "CAST(CASE WHEN EXISTS (SELECT 1 FROM network_members n WHERE n.person_id = {person} \
               AND n.initiative_id = {initiative} AND n.joined_at <= {at}) THEN 1 ELSE 0 END AS BIGINT)"
        )
    };
    let sql = format!(
        "SELECT l.wijk_code, {ACCEPTED}, m.helper_kind, i.kind, {own} \
         FROM matches m JOIN listings l ON l.id = m.request_id LEFT JOIN initiatives i ON i.id = m.helper_initiative_id \
         WHERE m.gemeente_code = ? AND m.requester_accepted_at IS NOT NULL AND m.helper_accepted_at IS NOT NULL \
           AND ((m.helper_accepted_at >= ? AND m.helper_accepted_at < ? AND m.requester_accepted_at < ?) \
             OR (m.requester_accepted_at >= ? AND m.requester_accepted_at < ? AND m.helper_accepted_at < ?))",
        own = own("m.requester_person_id", "m.helper_initiative_id", ACCEPTED)
    );
    let values = vec![g(), s.clone(), e.clone(), e.clone(), s.clone(), e.clone(), e.clone()];
    let referral_sql = format!(
        "SELECT f.wijk_code, e.at, f.helper_kind, i.kind, {own} \
         FROM referral_events e JOIN referrals f ON f.id = e.referral_id LEFT JOIN initiatives i ON i.id = f.helper_initiative_id \
         WHERE e.state = 'accepted' AND f.gemeente_code = ? AND e.at >= ? AND e.at < ?",
        own = own("f.resident_person_id", "f.helper_initiative_id", "e.at")
    );
    for (sql, values) in [(sql, values), (referral_sql, range())] {
        for r in rows(db, &sql, values).await? {
            let kind: String = r.try_get_by_index(2)?;
            let initiative: Option<String> = r.try_get_by_index(3)?;
            let own: i64 = r.try_get_by_index(4)?;
            let initiative = if kind == "initiative" { initiative } else { None };
            if let Some(rung) = rung_of(&kind, initiative.as_deref(), own != 0) {
                out.push((wijk(&r)?, Month::of(at(&r)?), Fact::HelpAccepted(rung)));
            }
        }
    }

    let sql = "SELECT l.wijk_code, m.updated_at, m.status, m.decline_reason FROM matches m JOIN listings l ON l.id = m.request_id \
               WHERE m.gemeente_code = ? AND m.status IN ('completed', 'declined') AND m.updated_at >= ? AND m.updated_at < ?";
    for r in rows(db, sql, range()).await? {
        let status: String = r.try_get_by_index(2)?;
        let fact = if status == "completed" {
            Fact::MatchCompleted
        } else {
            Fact::MatchDeclined(r.try_get_by_index::<Option<String>>(3)?.unwrap_or_else(|| "other".into()))
        };
        out.push((wijk(&r)?, Month::of(at(&r)?), fact));
    }

    let sql = "SELECT l.wijk_code, fb.created_at FROM match_feedback fb JOIN matches m ON m.id = fb.match_id \
               JOIN listings l ON l.id = m.request_id \
               WHERE fb.no_show AND m.gemeente_code = ? AND fb.created_at >= ? AND fb.created_at < ?";
    for r in rows(db, sql, range()).await? {
        out.push((wijk(&r)?, Month::of(at(&r)?), Fact::NoShow));
    }

    let sql = "SELECT wijk_code, created_at, state FROM referrals WHERE gemeente_code = ? AND created_at >= ? AND created_at < ?";
    for r in rows(db, sql, range()).await? {
        let t = at(&r)?;
        out.push((wijk(&r)?, Month::of(t), Fact::ReferralMade { state: r.try_get_by_index(2)?, day: t.day() }));
    }

    let sql = "SELECT wijk_code, closed_at, outcome FROM referrals \
               WHERE gemeente_code = ? AND state = 'closed' AND closed_at >= ? AND closed_at < ? AND outcome IS NOT NULL";
    for r in rows(db, sql, range()).await? {
        out.push((wijk(&r)?, Month::of(at(&r)?), Fact::ReferralClosed(r.try_get_by_index(2)?)));
    }

    let sql = "SELECT wijk_code, created_at, kind, status FROM support_requests \
               WHERE gemeente_code = ? AND created_at >= ? AND created_at < ?";
    for r in rows(db, sql, range()).await? {
        let fact = Fact::SupportRequest { kind: r.try_get_by_index(2)?, status: r.try_get_by_index(3)? };
        out.push((wijk(&r)?, Month::of(at(&r)?), fact));
    }

    let sql = "SELECT wijk_code, created_at, listened, fitted, quick, manage_better, quality_of_life, recommend FROM experiences \
               WHERE gemeente_code = ? AND created_at >= ? AND created_at < ?";
    for r in rows(db, sql, range()).await? {
        let mut scores = [None; THEMES];
        for (i, s) in scores.iter_mut().enumerate() {
            *s = r.try_get_by_index::<Option<i16>>(2 + i)?.and_then(|v| u8::try_from(v).ok());
        }
        out.push((wijk(&r)?, Month::of(at(&r)?), Fact::Answer(scores)));
    }

    let sql = "SELECT i.wijk_code, n.joined_at FROM network_members n JOIN initiatives i ON i.id = n.initiative_id \
               WHERE i.gemeente_code = ? AND n.joined_at >= ? AND n.joined_at < ?";
    for r in rows(db, sql, range()).await? {
        out.push((wijk(&r)?, Month::of(at(&r)?), Fact::Joined));
    }
    Ok(out)
}

/// The counters of every slice of `gemeente` in `[from, to]`, recounted from the rows: what
/// `kompas_cells` must hold once refreshed (the tests compare the two).
pub async fn recount(
    db: &impl ConnectionTrait,
    gemeente: &str,
    from: Month,
    to: Month,
) -> Result<BTreeMap<(String, Month), Counters>, DbErr> {
    let mut by_slice: BTreeMap<(String, Month), Vec<Fact>> = BTreeMap::new();
    for (w, m, f) in facts(db, gemeente, from.start(), to.plus(1).start()).await? {
        by_slice.entry((w, m)).or_default().push(f);
    }
    Ok(by_slice.into_iter().map(|(k, f)| (k, tally(&f))).filter(|(_, c)| !c.is_empty()).collect())
}

/// The stored counters of `gemeente` in `[from, to]`, per slice.
pub async fn cells(db: &impl Conn, gemeente: &str, from: Month, to: Month) -> Result<BTreeMap<(String, Month), Counters>, DbErr> {
    let sql = "SELECT wijk_code, month, indicator, value FROM kompas_cells WHERE gemeente_code = ? AND month >= ? AND month <= ?";
    let values = vec![gemeente.to_owned().into(), from.to_string().into(), to.to_string().into()];
    let mut out: BTreeMap<(String, Month), Counters> = BTreeMap::new();
    for r in rows(db, sql, values).await? {
        let month: String = r.try_get_by_index(1)?;
        let Ok(month) = Month::parse(&month) else { continue };
        out.entry((r.try_get_by_index(0)?, month)).or_default().insert(r.try_get_by_index(2)?, r.try_get_by_index(3)?);
    }
    Ok(out)
}

/// The wijken of a gemeente, code and name, in code order.
pub async fn wijken(db: &impl Conn, gemeente: &str) -> Result<Vec<(String, String)>, DbErr> {
    let sql = "SELECT code, name FROM areas WHERE level = 'wijk' AND gemeente_code = ? ORDER BY code";
    rows(db, sql, vec![gemeente.to_owned().into()]).await?.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// A month range as the `month` column compares it; `None`: every month.
fn month_filter(months: Option<(Month, Month)>) -> (String, Vec<Value>) {
    match months {
        Some((from, to)) => (" AND month >= ? AND month <= ?".into(), vec![from.to_string().into(), to.to_string().into()]),
        None => (String::new(), Vec::new()),
    }
}

/// Whether any slice of `gemeente` in `months` is marked dirty.
pub async fn any_dirty(db: &impl Conn, gemeente: &str, months: Option<(Month, Month)>) -> Result<bool, DbErr> {
    let (filter, mut values) = month_filter(months);
    values.insert(0, gemeente.to_owned().into());
    let sql = format!("SELECT 1 FROM kompas_dirty WHERE gemeente_code = ?{filter} LIMIT 1");
    Ok(!rows(db, &sql, values).await?.is_empty())
}

/// The gemeenten with dirty slices.
pub async fn dirty_gemeenten(db: &impl Conn) -> Result<Vec<String>, DbErr> {
    rows(db, "SELECT DISTINCT gemeente_code FROM kompas_dirty ORDER BY gemeente_code", vec![])
        .await?
        .iter()
        .map(|r| r.try_get_by_index(0))
        .collect()
}

fn marks_of(found: &[QueryResult]) -> Result<Vec<(String, String)>, DbErr> {
    found.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// Recomputes the dirty slices of `gemeente` (in `months`, or all), a run of at most
/// [`MONTHS_PER_READ`] months per transaction, and returns how many marks it took. See the
/// module notes for why no write is lost.
pub async fn refresh(db: &DatabaseConnection, gemeente: &str, months: Option<(Month, Month)>) -> Result<usize, DbErr> {
    let (filter, values) = month_filter(months);
    let mut args = vec![Value::from(gemeente.to_owned())];
    args.extend(values);
    let sql = format!("SELECT DISTINCT month FROM kompas_dirty WHERE gemeente_code = ?{filter} ORDER BY month");
    let dirty: Vec<Month> = rows(db, &sql, args)
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .filter_map(|m| Month::parse(&m).ok())
        .collect();
    let mut runs: Vec<(Month, Month)> = Vec::new();
    for m in dirty {
        match runs.last_mut() {
            Some((from, to)) if to.plus(1) == m && from.months_through(m) <= MONTHS_PER_READ => *to = m,
            _ => runs.push((m, m)),
        }
    }
    let mut taken = 0;
    for run in runs {
        taken += refresh_run(db, gemeente, Some(run)).await?;
    }
    Ok(taken)
}

/// Recomputes the dirty slices of `gemeente` in `months` in one transaction.
async fn refresh_run(db: &DatabaseConnection, gemeente: &str, months: Option<(Month, Month)>) -> Result<usize, DbErr> {
    let backend = db.get_database_backend();
    let (filter, values) = month_filter(months);
    let mut args = vec![Value::from(gemeente.to_owned())];
    args.extend(values);
    let (txn, taken) = if backend == DatabaseBackend::Postgres {
        let txn = db.begin().await?;
        txn.query_all_raw(stmt(&txn, "SELECT pg_advisory_xact_lock(hashtext(?))", vec![format!("kompas:{gemeente}").into()])).await?;
        let sql = format!("DELETE FROM kompas_dirty WHERE gemeente_code = ?{filter} RETURNING wijk_code, month");
        let taken = marks_of(&rows(&txn, &sql, args).await?)?;
        (txn, taken)
    } else {
        let txn = super::locks::begin_write(db).await?;
        let sql = format!("SELECT wijk_code, month FROM kompas_dirty WHERE gemeente_code = ?{filter}");
        let taken = marks_of(&rows(&txn, &sql, args.clone()).await?)?;
        txn.execute_raw(stmt(&txn, &format!("DELETE FROM kompas_dirty WHERE gemeente_code = ?{filter}"), args)).await?;
        (txn, taken)
    };
    if taken.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    // Per month: the wijken to recompute, or `None` for all of them.
    let mut marked: BTreeMap<Month, Option<BTreeSet<String>>> = BTreeMap::new();
    for (wijk, month) in &taken {
        let Ok(month) = Month::parse(month) else { continue };
        let entry = marked.entry(month).or_insert_with(|| Some(BTreeSet::new()));
        match (wijk.as_str(), entry.as_mut()) {
            (EVERY_WIJK, _) => *entry = None,
            (_, Some(set)) => {
                set.insert(wijk.clone());
            }
            (_, None) => {}
        }
    }
    // Months next to each other are read in one go, up to [`MONTHS_PER_READ`] (what a read
    // holds in memory after a bulk load); a gap starts a new read.
    let months: Vec<Month> = marked.keys().copied().collect();
    let mut runs: Vec<(Month, Month)> = Vec::new();
    for m in months {
        match runs.last_mut() {
            Some((from, to)) if to.plus(1) == m && from.months_through(m) <= MONTHS_PER_READ => *to = m,
            _ => runs.push((m, m)),
        }
    }
    for (from, to) in runs {
        let counted = recount(&txn, gemeente, from, to).await?;
        let mut by_month: HashMap<Month, Vec<(&String, &Counters)>> = HashMap::new();
        for ((w, m), c) in &counted {
            by_month.entry(*m).or_default().push((w, c));
        }
        let mut m = from;
        while m <= to {
            if let Some(which) = marked.get(&m) {
                let found = by_month.remove(&m).unwrap_or_default();
                let g: Value = gemeente.to_owned().into();
                match which {
                    None => {
                        let sql = "DELETE FROM kompas_cells WHERE gemeente_code = ? AND month = ?";
                        txn.execute_raw(stmt(&txn, sql, vec![g.clone(), m.to_string().into()])).await?;
                        write(&txn, gemeente, m, &found).await?;
                    }
                    Some(wijken) => {
                        for w in wijken {
                            let sql = "DELETE FROM kompas_cells WHERE gemeente_code = ? AND month = ? AND wijk_code = ?";
                            txn.execute_raw(stmt(&txn, sql, vec![g.clone(), m.to_string().into(), w.clone().into()])).await?;
                        }
                        let keep: Vec<(&String, &Counters)> = found.into_iter().filter(|(w, _)| wijken.contains(*w)).collect();
                        write(&txn, gemeente, m, &keep).await?;
                    }
                }
            }
            m = m.plus(1);
        }
    }
    txn.commit().await?;
    Ok(taken.len())
}

/// Stores the counters of some wijken of one gemeente-month (their old rows are gone).
async fn write(txn: &impl ConnectionTrait, gemeente: &str, month: Month, slices: &[(&String, &Counters)]) -> Result<(), DbErr> {
    const CHUNK: usize = 500;
    let rows: Vec<(&String, &String, i64)> =
        slices.iter().flat_map(|(w, c)| c.iter().filter(|(_, v)| **v != 0).map(move |(k, v)| (*w, k, *v))).collect();
    for chunk in rows.chunks(CHUNK) {
        let mut sql = String::from("INSERT INTO kompas_cells (gemeente_code, month, wijk_code, indicator, value) VALUES ");
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 5);
        for (i, (w, k, v)) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 { "(?, ?, ?, ?, ?)" } else { ", (?, ?, ?, ?, ?)" });
            values.extend([gemeente.to_owned().into(), month.to_string().into(), (*w).clone().into(), (*k).clone().into(), (*v).into()]);
        }
        txn.execute_raw(stmt(txn, &sql, values)).await?;
    }
    Ok(())
}

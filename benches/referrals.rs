//! The wijkteam's work list and a referral's state change, through the service layer (what
//! `GET /v1/referrals?gemeente=...` and `POST /v1/referrals/{id}/accept` run below the
//! handler), on a database holding N referrals of one gemeente (and a fifth as many of another).
//!
//!     cargo bench --bench referrals -- --referrals 100000 --queries 1000 --steps 500 [--database-url URL]
//!
//! A database kept from an earlier run (the same `--database-url`) is reused as it is.

mod common;

use common::{arg, percentile};

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use buurtkracht::auth::{Credential, Principal, Role};
use buurtkracht::domain::items::{ListingFields, Owner, PersonFields};
use buurtkracht::domain::list::ChangeCursor;
use buurtkracht::domain::referral::{ReferralHelperKind, ReferralOutcome, ReferralState, Step};
use buurtkracht::domain::{
    ActivityCategory, BoundedText, CellId, ConsentScope, Coordinates, ListingKind, ListingStatus, LocationPrecision,
};
use buurtkracht::geo::AreaIndex;
use buurtkracht::service::referrals::{self as service, WorkListQuery};
use buurtkracht::store::consents::{Grantee, NewConsent};
use buurtkracht::store::entities::{referral, referral_event};
use buurtkracht::store::listings::ListingPlace;
use buurtkracht::store::{self, areas, consents, listings, people};
use chrono::{Duration as Days, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Set, TransactionTrait};
use uuid::Uuid;

const PROFESSIONALS: usize = 20;
const RESIDENTS: usize = 2_000;
const HELPERS: usize = 500;

fn point_in(index: &AreaIndex, gemeente: &str, rng: &mut SmallRng) -> Coordinates {
    let (lat, lng) = if gemeente == "GM0479" { ((52.40, 52.53), (4.70, 4.88)) } else { ((52.32, 52.42), (4.80, 5.00)) };
    loop {
        let p = Coordinates::parse(rng.random_range(lat.0..lat.1), rng.random_range(lng.0..lng.1)).unwrap();
        if index.locate(p).is_some_and(|a| a.gemeente_code == gemeente) {
            return p;
        }
    }
}

fn professional(i: usize, gemeente: &str) -> Principal {
    Principal {
        role: Role::Professional,
        credential: Credential::Token { subject: format!("bench-pro-{i}") },
        person_id: None,
        gemeenten: vec![gemeente.to_owned()],
        initiatives: Vec::new(),
    }
}

async fn person(db: &impl store::Conn, index: &AreaIndex, p: Coordinates, name: &str) -> anyhow::Result<Uuid> {
    let fields = PersonFields {
        display_name: BoundedText::parse(name, 100)?,
        languages: vec![],
        contact: buurtkracht::domain::items::Contact { email: Some(format!("{name}@mail.example")), phone: None, website: None },
        home_cell: CellId::new(p.cell(LocationPrecision::DEFAULT.resolution())),
        precision: LocationPrecision::DEFAULT,
    };
    Ok(people::create(db, &fields, &index.locate(p).unwrap(), None).await?.id)
}

/// A state and how it got there, in the proportions of a year of work.
fn life(rng: &mut SmallRng) -> Vec<(ReferralState, Option<&'static str>)> {
    use ReferralState::*;
    let outcome = ReferralOutcome::ALL[rng.random_range(0..ReferralOutcome::ALL.len())].code();
    let r: f64 = rng.random();
    match r {
        r if r < 0.15 => vec![(Sent, None)],
        r if r < 0.25 => vec![(Sent, None), (Accepted, None)],
        r if r < 0.35 => vec![(Sent, None), (Accepted, None), (InProgress, None)],
        r if r < 0.45 => vec![(Sent, None), (Declined, Some("not_a_fit"))],
        r if r < 0.90 => vec![(Sent, None), (Accepted, None), (InProgress, None), (Closed, Some(outcome))],
        _ => vec![(Sent, None), (Cancelled, None)],
    }
}

struct Town {
    residents: Vec<(Uuid, Uuid, Coordinates)>,
    helpers: Vec<Uuid>,
}

async fn town(db: &sea_orm::DatabaseConnection, index: &AreaIndex, gemeente: &str, rng: &mut SmallRng) -> anyhow::Result<Town> {
    let mut residents = Vec::with_capacity(RESIDENTS);
    let txn = db.begin().await?;
    for i in 0..RESIDENTS {
        let p = point_in(index, gemeente, rng);
        let id = person(&txn, index, p, &format!("bewoner{i}")).await?;
        let c = consents::create(
            &txn,
            id,
            &NewConsent {
                purpose: "Doorverwijzing".into(),
                grantee: Grantee::Wijkteam(gemeente.to_owned()),
                scope: vec![ConsentScope::Referral],
                valid_from: Utc::now() - Days::days(400),
                valid_until: None,
            },
        )
        .await?;
        residents.push((id, c.id, p));
    }
    let mut helpers = Vec::with_capacity(HELPERS);
    for i in 0..HELPERS {
        helpers.push(person(&txn, index, point_in(index, gemeente, rng), &format!("helper{i}")).await?);
    }
    txn.commit().await?;
    Ok(Town { residents, helpers })
}

async fn load(db: &sea_orm::DatabaseConnection, index: &AreaIndex, gemeente: &str, n: usize, rng: &mut SmallRng) -> anyhow::Result<()> {
    let t = Instant::now();
    let town = town(db, index, gemeente, rng).await?;
    let now = Utc::now();
    let mut requests = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    let mut events = Vec::with_capacity(n * 3);
    for i in 0..n {
        let (resident, consent, p) = town.residents[rng.random_range(0..town.residents.len())];
        let at = index.locate(p).unwrap();
        let created = now - Days::minutes(rng.random_range(0..365 * 24 * 60));
        requests.push((
            ListingFields {
                kind: ListingKind::Request,
                title: BoundedText::parse("Hulp bij formulieren", 200)?,
                description: BoundedText::parse(&format!("Ik kom er niet uit met de post, nummer {i}."), 5000)?,
                categories: vec![ActivityCategory::Paperwork],
                zrm_domains: vec![],
                owner: Owner::Person(resident),
                availability: vec![],
                languages: vec![],
                valid_until: created + Days::days(30),
                status: ListingStatus::Open,
            },
            ListingPlace {
                cell: CellId::new(p.cell(LocationPrecision::DEFAULT.resolution())).to_db(),
                index_cell: buurtkracht::geo::storage_cell(p).to_db(),
                point: None,
                gemeente_code: at.gemeente_code.clone(),
                wijk_code: at.wijk_code.clone(),
            },
        ));
        let id = Uuid::now_v7();
        let steps = life(rng);
        let mut at_step = created;
        for (seq, (state, code)) in steps.iter().enumerate() {
            if seq > 0 {
                at_step = (at_step + Days::minutes(rng.random_range(60..20 * 24 * 60))).min(now);
            }
            events.push(referral_event::ActiveModel {
                referral_id: Set(id),
                seq: Set(seq as i32),
                state: Set(state.code().into()),
                party: Set(if seq == 0 { "professional" } else { "helper" }.into()),
                actor: Set(format!("token:bench-pro-{}", i % PROFESSIONALS)),
                code: Set(code.map(Into::into)),
                at: Set(at_step),
            });
        }
        let (last, code) = *steps.last().unwrap();
        let kind = ReferralHelperKind::ALL[i % 3];
        rows.push(referral::ActiveModel {
            id: Set(id),
            request_id: Set(None),
            resident_person_id: Set(Some(resident)),
            helper_kind: Set(kind.code().into()),
            helper_id: Set(Some(Uuid::now_v7())),
            helper_person_id: Set(Some(town.helpers[i % town.helpers.len()])),
            helper_initiative_id: Set(None),
            gemeente_code: Set(at.gemeente_code.clone()),
            wijk_code: Set(at.wijk_code.clone()),
            state: Set(last.code().into()),
            decline_reason: Set(if last == ReferralState::Declined { code.map(Into::into) } else { None }),
            outcome: Set(if last == ReferralState::Closed { code.map(Into::into) } else { None }),
            note: Set(Some("Graag contact opnemen.".into())),
            request_recorded: Set(false),
            consent_id: Set(Some(consent)),
            referred_by: Set(format!("token:bench-pro-{}", i % PROFESSIONALS)),
            created_at: Set(created),
            updated_at: Set(at_step),
            closed_at: Set((last == ReferralState::Closed).then_some(at_step)),
        });
    }
    // The listings with the ids the referrals name.
    for chunk in requests.chunks(5_000) {
        let txn = db.begin().await?;
        listings::bulk_insert(&txn, chunk).await?;
        txn.commit().await?;
    }
    // bulk_insert makes its own ids: point the referrals at the rows it wrote, in order.
    let written: Vec<Uuid> = {
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
        buurtkracht::store::entities::listing::Entity::find()
            .select_only()
            .column(buurtkracht::store::entities::listing::Column::Id)
            .filter(buurtkracht::store::entities::listing::Column::GemeenteCode.eq(gemeente))
            .filter(buurtkracht::store::entities::listing::Column::Kind.eq("request"))
            .order_by_asc(buurtkracht::store::entities::listing::Column::Id)
            .into_tuple()
            .all(db)
            .await?
    };
    for (row, id) in rows.iter_mut().zip(written.iter().rev().take(n).rev()) {
        row.request_id = Set(Some(*id));
    }
    let txn = db.begin().await?;
    for chunk in rows.chunks(1_000) {
        referral::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    for chunk in events.chunks(2_000) {
        referral_event::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    txn.commit().await?;
    db.execute_unprepared("ANALYZE").await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    println!("loaded {n} referrals of {gemeente} ({} history entries) in {:.1} s", events.len(), t.elapsed().as_secs_f64());
    Ok(())
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "{name:<34} n={:<5} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        times.len(),
        percentile(times, 0.5).as_secs_f64() * 1e3,
        percentile(times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = arg("--referrals").map(|v| v.parse()).transpose()?.unwrap_or(100_000);
    let queries: usize = arg("--queries").map(|v| v.parse()).transpose()?.unwrap_or(1_000);
    let steps: usize = arg("--steps").map(|v| v.parse()).transpose()?.unwrap_or(500);
    let url = arg("--database-url").unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("buurtkracht-referrals-{}.db", std::process::id()));
        format!("sqlite://{}?mode=rwc", path.display())
    });
    let db = store::connect(&url).await?;
    store::migrate(&db).await?;
    areas::ensure_loaded(&db).await?;
    let index = areas::load_index(&db).await?;
    let mut rng = SmallRng::seed_from_u64(15);
    let existing = referral::Entity::find().count(&db).await? as usize;
    if existing > 0 {
        println!("reusing the {existing} referrals already in the database");
    } else {
        load(&db, &index, "GM0479", n, &mut rng).await?;
        load(&db, &index, "GM0363", n / 5, &mut rng).await?;
    }
    let wijken: Vec<String> = {
        use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
        referral::Entity::find()
            .select_only()
            .column(referral::Column::WijkCode)
            .distinct()
            .filter(referral::Column::GemeenteCode.eq("GM0479"))
            .into_tuple()
            .all(&db)
            .await?
    };
    let state = buurtkracht::service::State {
        db: db.clone(),
        areas: index,
        tokens: None,
        search: None,
        delivery: Default::default(),
        idempotency_lease: chrono::Duration::seconds(60),
    };

    // The work list, as professionals ask for it: the whole list, filtered, and the next page.
    let mut by_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut all = Vec::new();
    let mut store_only = Vec::new();
    let mut items = 0usize;
    for i in 0..queries + 20 {
        let pro = professional(rng.random_range(0..PROFESSIONALS), "GM0479");
        let mut q = WorkListQuery { gemeente: "GM0479".into(), limit: 50, ..Default::default() };
        let kind = match i % 7 {
            0 => "no filter",
            1 => {
                q.states = vec![ReferralState::Sent];
                "state=sent"
            }
            2 => {
                q.stale = Some(true);
                "stale=true"
            }
            3 => {
                q.wijk = Some(wijken[rng.random_range(0..wijken.len())].clone());
                "wijk"
            }
            4 => {
                q.helper_kinds = vec![ReferralHelperKind::Volunteer];
                q.states = vec![ReferralState::Accepted, ReferralState::InProgress];
                "helper_kind + two states"
            }
            5 => {
                q.mine = true;
                "referred_by=me"
            }
            _ => {
                // A later page: after a random point in the year.
                let back = Utc::now() - Days::minutes(rng.random_range(0..300 * 24 * 60));
                q.after = Some(ChangeCursor::after(back, Uuid::max()));
                "a later page (cursor)"
            }
        };
        // The store's query on its own, to tell it from what the service adds (histories, the
        // requests' words, the audit entries of the reads).
        let f = buurtkracht::store::referrals::WorkFilter {
            gemeente: q.gemeente.clone(),
            states: q.states.clone(),
            stale: q.stale,
            wijk: q.wijk.clone(),
            helper_kinds: q.helper_kinds.clone(),
            referred_by: q.mine.then(|| pro.actor()),
            after: q.after,
            limit: q.limit,
        };
        let t = Instant::now();
        buurtkracht::store::referrals::work_list(&db, &f, Utc::now()).await?;
        let query_only = t.elapsed();
        let t = Instant::now();
        let page = service::work_list(&state, &pro, q).await?;
        let took = t.elapsed();
        if i >= 20 {
            store_only.push(query_only);
        }
        if i >= 20 {
            items += page.items.len();
            all.push(took);
            by_kind.entry(kind).or_default().push(took);
        }
    }
    println!("work list of GM0479, {queries} queries, {:.1} items a page on average", items as f64 / queries as f64);
    report("all", &mut all);
    report("the store's query alone, all", &mut store_only);
    for (k, mut v) in by_kind {
        report(k, &mut v);
    }

    // State changes: the helper accepts a sent referral, then starts it.
    let sent: Vec<referral::Model> = {
        use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
        referral::Entity::find()
            .filter(referral::Column::GemeenteCode.eq("GM0479"))
            .filter(referral::Column::State.eq("sent"))
            .limit(steps as u64)
            .all(&db)
            .await?
    };
    let mut accept = Vec::with_capacity(sent.len());
    let mut start = Vec::with_capacity(sent.len());
    for r in &sent {
        let helper = Principal {
            role: Role::Resident,
            credential: Credential::Token { subject: "bench-helper".into() },
            person_id: r.helper_person_id,
            gemeenten: vec![],
            initiatives: vec![],
        };
        let t = Instant::now();
        service::step(&state, &helper, r.id, Step::Accept).await?;
        accept.push(t.elapsed());
        let t = Instant::now();
        service::step(&state, &helper, r.id, Step::Start).await?;
        start.push(t.elapsed());
    }
    println!("state changes through service::referrals::step");
    report("accept (contact released, audited)", &mut accept);
    report("start", &mut start);
    Ok(())
}

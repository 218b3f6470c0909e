//! Candidates for one request through the store and the ranking, in a town of N helpers
//! (offers, volunteers and initiatives) on a real database: what
//! `GET /v1/listings/{id}/candidates` runs below the handler.
//!
//!     cargo bench --bench candidates -- --helpers 100000 --queries 1000 [--database-url URL]
//!
//! With `--run-requests R` it then adds R open requests of the town's residents (once) and
//! times a matching run over Zaanstad, as `POST /v1/areas/GM0479/matching-runs` plans it.

mod common;

use common::{arg, percentile};

use std::time::Instant;

use buurtkracht::domain::items::{ListingFields, Owner, PersonFields};
use buurtkracht::domain::{
    ActivityCategory, BoundedText, CellId, Coordinates, ListingKind, ListingStatus, LocationPrecision, Radius, ZrmDomain,
};
use buurtkracht::geo::{AreaIndex, storage_cell};
use buurtkracht::matching::Need;
use buurtkracht::store::entities::{initiative, person, volunteer};
use buurtkracht::store::listings::ListingPlace;
use buurtkracht::store::{self, areas, candidates, listings, people};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::{EntityTrait, PaginatorTrait, Set, TransactionTrait};
use uuid::Uuid;

const CATEGORIES: [ActivityCategory; 8] = [
    ActivityCategory::Groceries,
    ActivityCategory::Companionship,
    ActivityCategory::Transport,
    ActivityCategory::Repair,
    ActivityCategory::Language,
    ActivityCategory::Paperwork,
    ActivityCategory::Meals,
    ActivityCategory::Exercise,
];

/// A point inside a Zaanstad wijk (the town of the demo data, about 75 km²).
fn point(index: &AreaIndex, rng: &mut SmallRng) -> Coordinates {
    loop {
        let p = Coordinates::parse(rng.random_range(52.40..52.53), rng.random_range(4.70..4.88)).unwrap();
        if index.locate(p).is_some_and(|a| a.gemeente_code == "GM0479") {
            return p;
        }
    }
}

fn cat(rng: &mut SmallRng) -> ActivityCategory {
    CATEGORIES[rng.random_range(0..CATEGORIES.len())]
}

async fn load(db: &sea_orm::DatabaseConnection, index: &AreaIndex, rng: &mut SmallRng, n: usize) -> anyhow::Result<()> {
    let t = Instant::now();
    let now = chrono::Utc::now();
    let offers = n * 6 / 10;
    let vols = n * 3 / 10;
    let inis = n - offers - vols;
    let home = point(index, rng);
    let owner = people::create(
        db,
        &PersonFields {
            display_name: BoundedText::parse("Bench", 100).unwrap(),
            languages: vec![],
            contact: Default::default(),
            home_cell: CellId::new(home.cell(LocationPrecision::DEFAULT.resolution())),
            precision: LocationPrecision::DEFAULT,
        },
        &index.locate(home).unwrap(),
        None,
    )
    .await?;
    let txn = db.begin().await?;
    let mut batch = Vec::with_capacity(offers);
    for _ in 0..offers {
        let p = point(index, rng);
        let at = index.locate(p).unwrap();
        let cell = CellId::new(p.cell(LocationPrecision::DEFAULT.resolution()));
        let place = ListingPlace {
            cell: cell.to_db(),
            point: None,
            index_cell: storage_cell(Coordinates::of_cell_centre(cell.index())).to_db(),
            gemeente_code: at.gemeente_code,
            wijk_code: at.wijk_code,
        };
        let fields = ListingFields {
            kind: ListingKind::Offer,
            title: BoundedText::parse("Ik help graag", 200).unwrap(),
            description: BoundedText::parse("In de buurt, met koffie", 5000).unwrap(),
            categories: vec![cat(rng), cat(rng)],
            zrm_domains: vec![ZrmDomain::SociaalNetwerk],
            owner: Owner::Person(owner.id),
            availability: Vec::new(),
            languages: Vec::new(),
            valid_until: now + chrono::Duration::days(30),
            status: ListingStatus::Open,
        };
        batch.push((fields, place));
    }
    listings::bulk_insert(&txn, &batch).await?;
    let mut ps = Vec::new();
    let mut vs = Vec::new();
    for i in 0..vols {
        let p = point(index, rng);
        let at = index.locate(p).unwrap();
        let cell = CellId::new(p.cell(LocationPrecision::DEFAULT.resolution()));
        let ic = storage_cell(Coordinates::of_cell_centre(cell.index())).to_db();
        let pid = Uuid::now_v7();
        ps.push(person::ActiveModel {
            id: Set(pid),
            display_name: Set(format!("V{i}")),
            languages: Set("nl".into()),
            contact_email: Set(None),
            contact_phone: Set(None),
            home_cell: Set(cell.to_db()),
            location_precision: Set(8),
            index_cell: Set(ic),
            gemeente_code: Set(at.gemeente_code.clone()),
            wijk_code: Set(at.wijk_code.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            subject: Set(None),
        });
        vs.push(volunteer::ActiveModel {
            id: Set(Uuid::now_v7()),
            person_id: Set(pid),
            skills: Set(format!("{},{}", cat(rng).code(), cat(rng).code())),
            zrm_domains: Set("sociaal_netwerk".into()),
            languages: Set("nl".into()),
            availability: Set("[]".into()),
            max_travel_m: Set(rng.random_range(500..5_000)),
            has_vog: Set(rng.random_bool(0.5)),
            status: Set("active".into()),
            cell: Set(cell.to_db()),
            index_cell: Set(ic),
            gemeente_code: Set(at.gemeente_code),
            wijk_code: Set(at.wijk_code),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    for c in ps.chunks(1_000) {
        person::Entity::insert_many(c.to_vec()).exec_without_returning(&txn).await?;
    }
    for c in vs.chunks(1_000) {
        volunteer::Entity::insert_many(c.to_vec()).exec_without_returning(&txn).await?;
    }
    let kinds = ["informal_group", "resident_initiative", "volunteer_organisation", "general_provision", "professional_service"];
    let mut is = Vec::new();
    for i in 0..inis {
        let p = point(index, rng);
        let at = index.locate(p).unwrap();
        is.push(initiative::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(format!("Initiatief {i}")),
            description: Set("Samen koffie en een praatje".into()),
            kind: Set(kinds[i % kinds.len()].into()),
            categories: Set(format!("{},{}", cat(rng).code(), cat(rng).code())),
            zrm_domains: Set("sociaal_netwerk".into()),
            lat: Set(p.lat()),
            lng: Set(p.lng()),
            address_street: Set(None),
            address_house_number: Set(None),
            address_postcode: Set(None),
            address_city: Set(None),
            schedule: Set("[]".into()),
            schedule_note: Set(None),
            contact_email: Set(None),
            contact_phone: Set(None),
            contact_website: Set(None),
            languages: Set("nl".into()),
            accessibility: Set(None),
            cost_kind: Set("free".into()),
            cost_note: Set(None),
            capacity: Set(None),
            status: Set("active".into()),
            last_confirmed_at: Set(Some(now)),
            index_cell: Set(storage_cell(p).to_db()),
            gemeente_code: Set(at.gemeente_code),
            wijk_code: Set(at.wijk_code),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    for c in is.chunks(500) {
        initiative::Entity::insert_many(c.to_vec()).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    sea_orm::ConnectionTrait::execute_unprepared(db, "ANALYZE").await?;
    println!("loaded {offers} offers, {vols} volunteers, {inis} initiatives in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// Open requests of the town's residents, up to `n` in all, each at its owner's home cell.
async fn load_requests(db: &sea_orm::DatabaseConnection, n: usize, rng: &mut SmallRng) -> anyhow::Result<()> {
    use buurtkracht::store::entities::listing;
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let have = listing::Entity::find().filter(listing::Column::Kind.eq("request")).count(db).await? as usize;
    if have >= n {
        println!("reusing the {have} requests already in the database");
        return Ok(());
    }
    let t = Instant::now();
    let owners: Vec<person::Model> = person::Entity::find().limit(n as u64).all(db).await?;
    let now = chrono::Utc::now();
    let mut batch = Vec::with_capacity(n - have);
    for i in have..n {
        let o = &owners[i % owners.len()];
        let place = ListingPlace {
            cell: o.home_cell,
            point: None,
            index_cell: o.index_cell,
            gemeente_code: o.gemeente_code.clone(),
            wijk_code: o.wijk_code.clone(),
        };
        let fields = ListingFields {
            kind: ListingKind::Request,
            title: BoundedText::parse("Wie helpt mij?", 200).unwrap(),
            description: BoundedText::parse("Graag iemand uit de buurt, met koffie", 5000).unwrap(),
            categories: vec![cat(rng)],
            zrm_domains: vec![ZrmDomain::SociaalNetwerk],
            owner: Owner::Person(o.id),
            availability: Vec::new(),
            languages: Vec::new(),
            valid_until: now + chrono::Duration::days(30),
            status: ListingStatus::Open,
        };
        batch.push((fields, place));
    }
    let txn = db.begin().await?;
    listings::bulk_insert(&txn, &batch).await?;
    txn.commit().await?;
    sea_orm::ConnectionTrait::execute_unprepared(db, "ANALYZE").await?;
    println!("loaded {} requests in {:.1} s", batch.len(), t.elapsed().as_secs_f64());
    Ok(())
}

/// Times matching runs over Zaanstad with its open requests.
async fn time_runs(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    use buurtkracht::service::matching_run::{RunOptions, plan};
    let area = buurtkracht::domain::CbsCode::parse("GM0479")?;
    let options = RunOptions { radius: Radius::parse(3_000.0)?, volunteer_capacity: 2, candidates_per_request: 10, max_requests: 20_000 };
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let run = plan(db, &area, &options, chrono::Utc::now()).await?;
        let took = t.elapsed();
        println!(
            "matching run over GM0479: {} requests, {} helpers in the pool, {} candidate pairs, {} proposals: {:.2} s \
             (read {:.2} s, rank {:.2} s, assign {:.2} s)",
            run.requests.len(),
            run.pool_size,
            run.pairs,
            run.proposals.len(),
            took.as_secs_f64(),
            run.timings.read.as_secs_f64(),
            run.timings.rank.as_secs_f64(),
            run.timings.assign.as_secs_f64()
        );
        times.push(took);
    }
    times.sort();
    println!("matching run: best {:.2} s, median {:.2} s", times[0].as_secs_f64(), times[1].as_secs_f64());
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = arg("--helpers").map(|v| v.parse()).transpose()?.unwrap_or(100_000);
    let queries: usize = arg("--queries").map(|v| v.parse()).transpose()?.unwrap_or(1_000);
    let url = arg("--database-url").unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("buurtkracht-candidates-{}.db", std::process::id()));
        format!("sqlite://{}?mode=rwc", path.display())
    });
    let db = store::connect(&url).await?;
    store::migrate(&db).await?;
    areas::ensure_loaded(&db).await?;
    let index = areas::load_index(&db).await?;
    let mut rng = SmallRng::seed_from_u64(5);
    let existing = buurtkracht::store::entities::listing::Entity::find().count(&db).await? as usize;
    if existing > 0 {
        println!("reusing the {existing} offers (and the rest) already in the database");
    } else {
        load(&db, &index, &mut rng, n).await?;
    }
    if let Some(r) = arg("--run-requests") {
        load_requests(&db, r.parse()?, &mut rng).await?;
    }
    let radius = Radius::parse(3_000.0)?;
    let mut times = Vec::with_capacity(queries);
    let mut found = 0usize;
    for i in 0..queries + 20 {
        let mut need = Need {
            categories: vec![cat(&mut rng)],
            zrm_domains: vec![],
            location: point(&index, &mut rng),
            radius_m: radius.metres(),
            availability: vec![],
            languages: vec![],
            needs_vog: rng.random_bool(0.2),
            words: vec!["koffie".into()],
            requester: None,
            network: vec![],
            members_nearby: vec![],
        };
        let t = Instant::now();
        let helpers = candidates::near(&db, &mut need, chrono::Utc::now()).await?.helpers;
        let ranked = buurtkracht::matching::rank::rank(&need, &helpers, 20);
        let took = t.elapsed();
        if i >= 20 {
            times.push(took);
            found += ranked.len().min(20);
        }
    }
    times.sort();
    println!(
        "candidates within 3 km (store + ranking): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.1} of the 20 shown on average",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
        found as f64 / queries as f64
    );
    if arg("--run-requests").is_some() {
        time_runs(&db).await?;
    }
    if arg("--database-url").is_none()
        && let Some(path) = url.strip_prefix("sqlite://").and_then(|p| p.split('?').next())
    {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    Ok(())
}

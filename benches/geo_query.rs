//! Radius-query benchmark through the store layer.
//!
//! Loads N listings spread over the Netherlands (inside real CBS wijken; half at exact points as
//! an initiative's, half at a person's resolution-8 cell), then runs radius queries of 500 m,
//! 1 km and 5 km at random points and prints p50/p99 latency, rows returned and load time.
//!
//!     cargo bench --bench geo_query -- [--rows 1000000] [--queries 1000] [--database-url URL]
//!
//! The default database is a fresh SQLite file under target/; pass a postgres:// URL (an empty
//! database) to measure PostgreSQL.

mod common;

use common::{arg, ensure_listings, percentile, random_point};

use std::time::{Duration, Instant};

use buurtkracht::domain::Radius;
use buurtkracht::domain::list::{ListFilter, Near, Sort};
use buurtkracht::geo::AreaIndex;
use buurtkracht::store::query::ListQuery;
use buurtkracht::store::{self, areas, listings};
use rand::SeedableRng;
use rand::rngs::SmallRng;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: usize = arg("--rows").map(|v| v.parse()).transpose()?.unwrap_or(1_000_000);
    let queries: usize = arg("--queries").map(|v| v.parse()).transpose()?.unwrap_or(1_000);
    let url = arg("--database-url").unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("buurtkracht-bench-{}.db", std::process::id()));
        format!("sqlite://{}?mode=rwc", path.display())
    });
    let engine = if url.starts_with("postgres") { "postgresql" } else { "sqlite" };
    println!("engine: {engine}; rows: {rows}; queries per radius: {queries}");

    let db = store::connect(&url).await?;
    store::migrate(&db).await?;
    areas::ensure_loaded(&db).await?;
    let index = areas::load_index(&db).await?;
    let mut rng = SmallRng::seed_from_u64(7);

    ensure_listings(&db, &index, &mut rng, rows).await?;
    run_queries(&db, &index, &mut rng, queries).await?;
    if let Some(path) = url.strip_prefix("sqlite://").and_then(|p| p.split('?').next())
        && arg("--database-url").is_none()
    {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    Ok(())
}

async fn run_queries(db: &sea_orm::DatabaseConnection, index: &AreaIndex, rng: &mut SmallRng, queries: usize) -> anyhow::Result<()> {
    println!("{:>8} {:>10} {:>10} {:>10} {:>12}", "radius", "p50", "p99", "max", "rows (mean)");
    for radius_m in [500.0, 1_000.0, 5_000.0] {
        let mut times = Vec::with_capacity(queries);
        let mut returned = 0usize;
        let mut q = ListQuery::new(ListFilter::new(200));
        q.filter.sort = Sort::Distance;
        // Warm-up so the first queries do not measure cold caches only.
        for _ in 0..20 {
            q.filter.near = Some(Near { centre: random_point(index, rng), radius: Radius::parse(radius_m)? });
            listings::list(db, &q).await?;
        }
        for _ in 0..queries {
            q.filter.near = Some(Near { centre: random_point(index, rng), radius: Radius::parse(radius_m)? });
            let t = Instant::now();
            let (page, _) = listings::list(db, &q).await?;
            times.push(t.elapsed());
            returned += page.len();
        }
        times.sort();
        println!(
            "{:>7}m {:>8.2}ms {:>8.2}ms {:>8.2}ms {:>12.1}",
            radius_m,
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
            returned as f64 / queries as f64
        );
    }
    println!("(queries return at most one page of 200, nearest first, full rows)");

    // Where the 1 km time goes: the cell cover alone, and the id query alone.
    let mut cover = Vec::new();
    let mut ids = Vec::new();
    let mut rows_t = Vec::new();
    let mut q = ListQuery::new(ListFilter::new(200));
    q.filter.sort = Sort::Distance;
    for _ in 0..queries {
        let centre = random_point(index, rng);
        let radius = Radius::parse(1_000.0)?;
        let t = Instant::now();
        let ranges = buurtkracht::geo::covering_ranges(centre, radius);
        cover.push((t.elapsed(), ranges.len()));
        q.filter.near = Some(Near { centre, radius });
        let t = Instant::now();
        let page = buurtkracht::store::query::find(db, listings::SPEC, &q).await?;
        ids.push(t.elapsed());
        let wanted: Vec<i64> = page.hits.iter().map(|h| h.row).collect();
        let t = Instant::now();
        buurtkracht::store::query::load_page::<buurtkracht::store::entities::listing::Entity>(db, &wanted).await?;
        rows_t.push(t.elapsed());
    }
    // The floor under every query: one round trip through the driver.
    let mut trip = Vec::new();
    for _ in 0..queries {
        use sea_orm::ConnectionTrait;
        let t = Instant::now();
        db.execute_unprepared("SELECT 1").await?;
        trip.push(t.elapsed());
    }
    trip.sort();
    println!("round trip (SELECT 1) p50 {:.3} ms", percentile(&trip, 0.5).as_secs_f64() * 1e3);
    let mut cover_t: Vec<Duration> = cover.iter().map(|c| c.0).collect();
    cover_t.sort();
    ids.sort();
    rows_t.sort();
    let mean_ranges = cover.iter().map(|c| c.1).sum::<usize>() as f64 / cover.len() as f64;
    println!(
        "1 km breakdown: cell cover p50 {:.3} ms ({mean_ranges:.1} ranges), candidate query p50 {:.2} ms, page of full rows p50 {:.2} ms",
        percentile(&cover_t, 0.5).as_secs_f64() * 1e3,
        percentile(&ids, 0.5).as_secs_f64() * 1e3,
        percentile(&rows_t, 0.5).as_secs_f64() * 1e3
    );
    Ok(())
}

//! Search benchmark: `GET /v1/search` through the real app (poem's test client, no network) on
//! the embedded engine, over N listings spread over the Netherlands; and, given a Meilisearch
//! server, a full reindex of them to measure indexing throughput.
//!
//!     cargo bench --bench search -- [--rows 1000000] [--queries 300] [--database-url URL] [--meili-url URL]
//!
//! The database is loaded as in `geo_query` (and a file from that benchmark can be reused).

mod common;

use std::time::Instant;

use buurtkracht::config::{MeiliSettings, Settings};
use buurtkracht::startup::App;
use buurtkracht::store::areas;
use common::{arg, ensure_listings, percentile, random_point};
use poem::test::TestClient;
use rand::SeedableRng;
use rand::rngs::SmallRng;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: usize = arg("--rows").map(|v| v.parse()).transpose()?.unwrap_or(1_000_000);
    let queries: usize = arg("--queries").map(|v| v.parse()).transpose()?.unwrap_or(300);
    let url = arg("--database-url").unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("buurtkracht-search-bench-{}.db", std::process::id()));
        format!("sqlite://{}?mode=rwc", path.display())
    });
    println!("rows: {rows}; queries per kind: {queries}");
    let mut settings = Settings::defaults();
    settings.database_url = url.clone();
    settings.seed_demo = false;
    settings.rate_limit_per_ip = u32::MAX;
    let app = App::build(&settings).await?;
    let db = app.state.db.clone();
    let index = areas::load_index(&db).await?;
    let mut rng = SmallRng::seed_from_u64(11);
    ensure_listings(&db, &index, &mut rng, rows).await?;
    // The outbox the load filled is not what is measured here.
    sea_orm::ConnectionTrait::execute_unprepared(&db, "DELETE FROM search_outbox").await?;

    // A running service replaces its connections every `store::STATISTICS_REFRESH`, and each
    // new one reads the statistics gathered since; the ones opened before the load still plan
    // by an empty table (20-30x slower), so the steady state is measured on new ones.
    drop(app);
    let app = App::build(&settings).await?;
    let db = app.state.db.clone();
    let client = TestClient::new(app.endpoint());
    println!("{:>40} {:>9} {:>9} {:>9} {:>8}", "GET /v1/search (embedded)", "p50", "p99", "max", "hits");
    // The last: no point, the whole country, one word that 1 in 8 titles have (125,000 at a
    // million), ranked by title: the SQL path of the embedded relevance.
    for (label, extra) in [
        ("2 km, facets", "&facets=category,zrm,kind,area"),
        ("2 km, words, facets", "&q=boodschappen&facets=category,zrm,kind,area"),
        ("2 km, no facets", ""),
        ("no point, a word in 1 of 8 titles", "q=boodschappen"),
    ] {
        let mut times = Vec::with_capacity(queries);
        let mut hits = 0usize;
        for i in 0..queries + 10 {
            let p = random_point(&index, &mut rng);
            let url = if extra.starts_with('&') || extra.is_empty() {
                format!("/v1/search?lat={}&lng={}&radius_m=2000&limit=20{extra}", p.lat(), p.lng())
            } else {
                format!("/v1/search?limit=20&{extra}")
            };
            let t = Instant::now();
            let resp = client.get(&url).send().await;
            resp.assert_status_is_ok();
            let body = resp.0.into_body().into_bytes().await?;
            let took = t.elapsed();
            if i >= 10 {
                times.push(took);
                let v: serde_json::Value = serde_json::from_slice(&body)?;
                hits += v["hits"].as_array().map_or(0, Vec::len);
            }
        }
        times.sort();
        println!(
            "{label:>40} {:>7.2}ms {:>7.2}ms {:>7.2}ms {:>8.1}",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
            hits as f64 / queries as f64
        );
    }

    if let Some(meili_url) = arg("--meili-url") {
        let s = MeiliSettings { url: meili_url, key: std::env::var("MEILI_MASTER_KEY").ok(), index: "bk-bench".into() };
        let meili = buurtkracht::search::meili::MeiliIndex::new(&s)?;
        let t = Instant::now();
        let n = buurtkracht::search::outbox::reindex(&db, &meili).await?;
        let took = t.elapsed().as_secs_f64();
        println!(
            "reindex into Meilisearch: {n} documents in {took:.1} s = {:.0} documents/s (read, sent in batches of 10,000, indexed)",
            n as f64 / took
        );
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

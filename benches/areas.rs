//! The kaart and the kompas of a large generated gemeente ([`common::town`]: by default
//! 1,000,000 listings, 100,000 volunteers, 20,000 initiatives, 250,000 matches and 250,000
//! referrals over three years in Amsterdam), through the service layer: what
//! `GET /v1/areas/{code}/kaart` and `GET /v1/areas/{code}/kompas` run below the handler.
//!
//!     cargo bench --bench areas -- --queries 200 [--listings 1000000 …] [--database-url URL]
//!
//! A database kept from an earlier run (the same `--database-url`) is used as it is.

mod common;

use common::{arg, percentile, town};

use std::time::{Duration, Instant};

use buurtkracht::auth::{Credential, Principal, Role};
use buurtkracht::domain::experience::{Month, Period};
use buurtkracht::domain::{ActivityCategory, CbsCode};
use buurtkracht::service::kaart::{By, KaartQuery, MapResolution};
use buurtkracht::service::{kaart, kompas};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::ConnectionTrait;

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "{name:<44} n={:<4} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        times.len(),
        percentile(times, 0.5).as_secs_f64() * 1e3,
        percentile(times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}

fn professional() -> Principal {
    Principal {
        role: Role::Professional,
        credential: Credential::Token { subject: "bench-pro".into() },
        person_id: None,
        gemeenten: vec![town::GEMEENTE.to_owned()],
        initiatives: Vec::new(),
    }
}

/// Times `n` calls of `f` after 3 to warm up.
async fn timed<F, Fut, T>(n: usize, mut f: F) -> anyhow::Result<(Vec<Duration>, T)>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut last = None;
    let mut times = Vec::with_capacity(n);
    for i in 0..n + 3 {
        let t = Instant::now();
        let out = f(i).await?;
        if i >= 3 {
            times.push(t.elapsed());
        }
        last = Some(out);
    }
    Ok((times, last.expect("at least one call")))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let queries: usize = arg("--queries").map(|v| v.parse()).transpose()?.unwrap_or(200);
    let (url, state) = town::open().await?;
    let db = state.db.clone();
    println!("on {}", if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" });

    // The generator writes below the service, so the first help of each request is filled in
    // here from its matches and referrals, as the migration does for existing rows.
    let t = Instant::now();
    let filled = db.execute_unprepared(migration::HELPED_AT_BACKFILL).await?.rows_affected();
    println!("helped_at filled in for {filled} requests in {:.1} s", t.elapsed().as_secs_f64());

    // Every kompas slice of the three years is dirty after the bulk load.
    let t = Instant::now();
    let marks = kompas::refresh_all(&state).await?;
    println!("kompas: {marks} dirty slices recomputed in {:.1} s", t.elapsed().as_secs_f64());
    db.execute_unprepared("ANALYZE").await?;

    let pro = professional();
    let anyone = Principal::anonymous();
    let gemeente = CbsCode::parse(town::GEMEENTE)?;
    let wijken: Vec<String> = buurtkracht::store::kompas::wijken(&db, town::GEMEENTE).await?.into_iter().map(|(code, _)| code).collect();
    let mut rng = SmallRng::seed_from_u64(16);
    let query = |area: CbsCode, resolution: MapResolution, by: By, category: Option<ActivityCategory>| KaartQuery {
        area,
        resolution,
        by,
        category,
        zrm: None,
        period: None,
    };

    let (mut t8, k8) = timed(queries, |_| {
        let q = query(gemeente.clone(), MapResolution::Eight, By::Cell, None);
        let (state, pro) = (&state, &pro);
        async move { Ok(kaart::kaart(state, pro, q).await?) }
    })
    .await?;
    println!("kaart of {} at resolution 8: {} cells", town::GEMEENTE, k8.features.len());
    report("kaart gemeente, resolution 8", &mut t8);
    let (mut t8c, _) = timed(queries, |i| {
        let c = ActivityCategory::ALL[i % ActivityCategory::ALL.len()];
        let q = query(gemeente.clone(), MapResolution::Eight, By::Cell, Some(c));
        let (state, pro) = (&state, &pro);
        async move { Ok(kaart::kaart(state, pro, q).await?) }
    })
    .await?;
    report("kaart gemeente, resolution 8, a category", &mut t8c);
    let (mut t7, _) = timed(queries, |_| {
        let q = query(gemeente.clone(), MapResolution::Seven, By::Cell, None);
        let (state, anyone) = (&state, &anyone);
        async move { Ok(kaart::kaart(state, anyone, q).await?) }
    })
    .await?;
    report("kaart gemeente, resolution 7, public", &mut t7);
    let (mut tw, _) = timed(queries, |_| {
        let q = query(gemeente.clone(), MapResolution::Seven, By::Wijk, None);
        let (state, pro) = (&state, &pro);
        async move { Ok(kaart::kaart(state, pro, q).await?) }
    })
    .await?;
    report("kaart gemeente by wijk", &mut tw);
    let picks: Vec<CbsCode> = (0..queries + 3).map(|_| CbsCode::parse(&wijken[rng.random_range(0..wijken.len())]).unwrap()).collect();
    let (mut t1, _) = timed(queries, |i| {
        let q = query(picks[i].clone(), MapResolution::Eight, By::Cell, None);
        let (state, pro) = (&state, &pro);
        async move { Ok(kaart::kaart(state, pro, q).await?) }
    })
    .await?;
    report("kaart of one wijk, resolution 8", &mut t1);

    let this = Month::of(chrono::Utc::now());
    let year = Period::parse(Some(&this.plus(-12).to_string()), Some(&this.plus(-1).to_string()), chrono::Utc::now())
        .map_err(|(f, e)| anyhow::anyhow!("{f}: {}", e.0))?;
    let three = Period::parse(Some(&this.plus(-35).to_string()), Some(&this.to_string()), chrono::Utc::now())
        .map_err(|(f, e)| anyhow::anyhow!("{f}: {}", e.0))?;
    let (mut k12, kompas12) = timed(queries, |_| {
        let (state, pro, g) = (&state, &pro, gemeente.clone());
        async move { Ok(kompas::kompas(state, pro, g, year, None).await?) }
    })
    .await?;
    println!("kompas of {} for 12 months: {} rows", town::GEMEENTE, kompas12.rows.len());
    report("kompas gemeente, 12 months", &mut k12);
    let (mut k12p, _) = timed(queries, |_| {
        let (state, anyone, g) = (&state, &anyone, gemeente.clone());
        async move { Ok(kompas::kompas(state, anyone, g, year, None).await?) }
    })
    .await?;
    report("kompas gemeente, 12 months, public", &mut k12p);
    let (mut csv36, text) = timed(queries.min(50), |_| {
        let (state, pro, g) = (&state, &pro, gemeente.clone());
        async move { Ok(kompas::csv(&kompas::kompas(state, pro, g, three, None).await?, kompas::Lang::Nl)) }
    })
    .await?;
    println!("CSV of 36 months: {} lines, {} bytes", text.lines().count(), text.len());
    report("kompas CSV, 36 months (lang=nl)", &mut csv36);
    Ok(())
}

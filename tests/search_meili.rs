//! Search on Meilisearch and the outbox that feeds it, through the real app.
//!
//! Tests that need a Meilisearch server run when `MEILI_URL` (and `MEILI_MASTER_KEY`) are set;
//! otherwise each is reported as `ignored (SKIPPED: needs Meilisearch ...)` and counted among
//! the ignored in the summary, never as passed. Each uses an index of its own and deletes it at
//! the end. The outbox tests against an unreachable server need nothing and always run.
//!
//! The file has its own harness (libtest-mimic; `harness = false` in Cargo.toml) because
//! libtest decides what is ignored at compile time, and whether a server is there is known
//! only when the tests run.
mod common;

use std::collections::BTreeSet;

use buurtkracht::config::MeiliSettings;
use buurtkracht::search::outbox;
use common::{Auth, POELENBURG, TestApp};
use libtest_mimic::{Completion, Failed, Trial};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// The configured server with a fresh index name, or `None`.
fn meili_from_env() -> Option<MeiliSettings> {
    let url = std::env::var("MEILI_URL").ok().filter(|u| !u.is_empty())?;
    Some(MeiliSettings {
        url,
        key: std::env::var("MEILI_MASTER_KEY").ok().filter(|k| !k.is_empty()),
        index: format!("bk-test-{}", uuid::Uuid::new_v4().simple()),
    })
}

/// Nothing listens here.
fn unreachable_meili() -> MeiliSettings {
    MeiliSettings { url: "http://127.0.0.1:9".into(), key: None, index: "bk-unreachable".into() }
}

/// Delivers the whole outbox, in batches of `batch`.
async fn drain(app: &TestApp, batch: u64) {
    let index = app.app.state.search.as_ref().unwrap();
    while outbox::deliver_once(&app.app.state.db, index, batch).await.expect("delivery works") > 0 {}
}

/// The ids of everything that should be in the index: open listings, initiatives that have
/// not ended, active volunteers.
async fn searchable(app: &TestApp) -> BTreeSet<String> {
    use buurtkracht::store::entities::{initiative, listing, volunteer};
    let db = &app.app.state.db;
    let mut out = BTreeSet::new();
    for m in listing::Entity::find().filter(listing::Column::Status.eq("open")).all(db).await.unwrap() {
        out.insert(m.id.to_string());
    }
    for m in initiative::Entity::find().filter(initiative::Column::Status.ne("ended")).all(db).await.unwrap() {
        out.insert(m.id.to_string());
    }
    for m in volunteer::Entity::find().filter(volunteer::Column::Status.eq("active")).all(db).await.unwrap() {
        out.insert(m.id.to_string());
    }
    out
}

/// The item ids the index holds, read back through Meilisearch's document API.
async fn indexed(settings: &MeiliSettings) -> Vec<String> {
    let client = meilisearch_sdk::client::Client::new(settings.url.clone(), settings.key.clone()).unwrap();
    let index = client.index(&settings.index);
    let mut q = meilisearch_sdk::documents::DocumentsQuery::new(&index);
    q.with_limit(100_000).with_fields(["item_id"]);
    let docs = q.execute::<Value>().await.unwrap();
    docs.results.iter().map(|d| d["item_id"].as_str().unwrap().to_owned()).collect()
}

/// Runs a test's future on its own runtime, as `#[tokio::test]` does.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// The trials of one test: on SQLite, and on PostgreSQL ignored unless asked for (`--ignored`),
/// like `api_test!`'s twins. With no Meilisearch configured, a trial that needs one is reported
/// as ignored with a reason starting `SKIPPED` (libtest cannot ignore at run time, hence this
/// harness), never as passed; under `--ignored` the SQLite trial is not run at all.
fn trials(name: &str, run: fn(&'static str) -> Result<Completion, Failed>) -> Vec<Trial> {
    vec![
        Trial::ignorable_test(format!("{name}::sqlite"), move || run("sqlite")),
        Trial::ignorable_test(format!("{name}::postgres"), move || run("postgres")).with_ignored_flag(true),
    ]
}

/// Why a test that needs Meilisearch did not run.
const SKIPPED: &str = "SKIPPED: needs Meilisearch; set MEILI_URL (and MEILI_MASTER_KEY)";

macro_rules! meili_test {
    ($name:ident, $seed:expr, $body:expr) => {
        fn $name() -> Vec<Trial> {
            fn run(engine: &'static str) -> Result<Completion, Failed> {
                let Some(settings) = meili_from_env() else { return Ok(Completion::ignored_with(SKIPPED)) };
                block_on(async move {
                    let s = settings.clone();
                    let app = common::spawn_with(engine, $seed, move |x| x.meili = Some(s)).await.expect("the database is there");
                    drain(&app, 500).await;
                    let index = app.app.state.search.clone().unwrap();
                    ($body)(app, settings).await;
                    index.drop_index().await.ok();
                });
                Ok(Completion::Completed)
            }
            trials(stringify!($name), run)
        }
    };
}

macro_rules! unreachable_test {
    ($name:ident, $body:expr) => {
        fn $name() -> Vec<Trial> {
            fn run(engine: &'static str) -> Result<Completion, Failed> {
                block_on(async move {
                    let app =
                        common::spawn_with(engine, true, |x| x.meili = Some(unreachable_meili())).await.expect("the database is there");
                    ($body)(app).await;
                });
                Ok(Completion::Completed)
            }
            trials(stringify!($name), run)
        }
    };
}

fn main() -> std::process::ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    // This harness does not capture a test's output as libtest does, so the app's logs would
    // fill the run's output: errors only, unless RUST_LOG asks for more. Installed first, it
    // is the one `common::spawn_with` finds in place.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr).try_init();
    let all: Vec<Trial> = [
        writes_succeed_and_wait_in_the_outbox_while_meilisearch_is_down(),
        meilisearch_forgives_typos_and_ignores_accents(),
        meilisearch_keeps_the_visibility_rules(),
        meilisearch_pages_facets_and_geo(),
        delivery_stopped_midway_loses_and_duplicates_nothing(),
        a_reindex_swaps_in_a_new_index_and_keeps_what_changes_meanwhile(),
    ]
    .into_iter()
    .flatten()
    .collect();
    libtest_mimic::run(&args, all).exit_code()
}

unreachable_test!(writes_succeed_and_wait_in_the_outbox_while_meilisearch_is_down, |app: TestApp| async move {
    let app = &app;
    let db = &app.app.state.db;
    let (before, _) = outbox::depth(db).await.unwrap();
    assert!(before > 100, "the seeded town's writes are waiting: {before}");
    // A write still succeeds, and adds its change.
    let (pid, auth) = common::poelenburg_person(app, "Nieuw").await;
    let (s, l) = common::post_as(
        app,
        &auth,
        "/v1/listings",
        json!({"kind": "offer", "title": "Ik repareer fietsen", "description": "In mijn schuur.", "categories": ["repair"], "owner": {"person_id": pid}}),
    )
    .await;
    assert_eq!(s, 201, "{l}");
    let (after, _) = outbox::depth(db).await.unwrap();
    assert_eq!(after, before + 1, "one change for the listing; people are not searched");
    // Delivery fails and removes nothing.
    let index = app.app.state.search.as_ref().unwrap();
    assert!(outbox::deliver_once(db, index, 10).await.is_err());
    assert_eq!(outbox::depth(db).await.unwrap().0, after);
    // Readiness tells, without failing the service.
    let (s, v) = common::get(app, "/readyz").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["checks"]["search_outbox_depth"], after.to_string());
    assert!(v["checks"]["search"].as_str().unwrap().starts_with("unreachable"), "{v}");
    let metrics = app.client.get("/metrics").send().await.0.into_body().into_string().await.unwrap();
    assert!(metrics.contains(&format!("buurtkracht_search_outbox_depth {after}\n")), "{metrics}");
    // A first page of search is answered by the embedded engine meanwhile.
    let (s, v) = common::get(app, "/v1/search?q=fietsen").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["engine"], "embedded");
    assert!(v["hits"].as_array().unwrap().iter().any(|h| h["id"] == l["id"]));
});

meili_test!(meilisearch_forgives_typos_and_ignores_accents, true, |app: TestApp, _s: MeiliSettings| async move {
    let app = &app;
    for q in ["taalcafe", "talcafe", "TAALCAFÉ"] {
        let (s, v) = common::get(app, &format!("/v1/search?q={q}")).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["engine"], "meilisearch");
        let hits = v["hits"].as_array().unwrap();
        assert!(hits.iter().any(|h| h["title"].as_str().is_some_and(|t| t.to_lowercase().contains("taalcafé"))), "{q}: {v}");
    }
    // The snippet marks what matched, escaped.
    let (_, v) = common::get(app, "/v1/search?q=bibliotheek").await;
    assert!(v["hits"].as_array().unwrap().iter().any(|h| h["snippet"].as_str().unwrap().contains("<mark>")), "{v}");
    // A synonym: "supermarkt" finds help with groceries.
    let (_, v) = common::get(app, "/v1/search?q=supermarkt&type=offer").await;
    assert!(!v["hits"].as_array().unwrap().is_empty(), "{v}");
});

meili_test!(meilisearch_keeps_the_visibility_rules, true, |app: TestApp, _s: MeiliSettings| async move {
    let app = &app;
    let title = "Iemand om af en toe koffie mee te drinken";
    let (_, v) = common::get(app, "/v1/search?q=koffie%20drinken&type=request").await;
    assert!(v["hits"].as_array().unwrap().iter().all(|h| h["title"] != title), "{v}");
    let (_, v) = common::get(app, "/v1/search?type=request&limit=200").await;
    let requests = v["hits"].as_array().unwrap();
    assert!(!requests.is_empty());
    for h in requests {
        assert!(h["title"].is_null() && h["snippet"].is_null(), "{h}");
        let cell = u64::from_str_radix(h["cell"].as_str().unwrap(), 16).unwrap();
        assert_eq!(h3o::CellIndex::try_from(cell).unwrap().resolution(), h3o::Resolution::Seven);
    }
    let pro = common::zaanstad_professional();
    let (_, v) = common::get_as(app, &pro, "/v1/search?q=koffie%20drinken&type=request").await;
    assert!(v["hits"].as_array().unwrap().iter().any(|h| h["title"] == title), "{v}");
    let (_, v) = common::get(app, "/v1/search?type=volunteer").await;
    assert_eq!(v["hits"], json!([]));
    let (_, v) = common::get_as(app, &pro, "/v1/search?type=volunteer&limit=200").await;
    let listed = common::every_page(app, &pro, "/v1/volunteers?status=active", "items", 200).await;
    assert_eq!(v["hits"].as_array().unwrap().len(), listed.len());
});

meili_test!(meilisearch_pages_facets_and_geo, true, |app: TestApp, _s: MeiliSettings| async move {
    let app = &app;
    let (lat, lng) = POELENBURG;
    let url = format!("/v1/search?lat={lat}&lng={lng}&radius_m=1500&facets=kind,category,area");
    let hits = common::every_page(app, &Auth::None, &url, "hits", 7).await;
    let d: Vec<f64> = hits.iter().map(|h| h["distance_m"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1] + 1e-6), "nearest first: {d:?}");
    // Requests are measured to their coarse cell's centre, which may lie a little outside.
    assert!(hits.iter().all(|h| h["type"] == "request" || h["distance_m"].as_f64().unwrap() <= 1500.5));
    let ids: BTreeSet<&str> = hits.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), hits.len(), "no hit twice across pages");
    let (_, v) = common::get(app, &format!("{url}&limit=1")).await;
    let kinds = v["facets"]["kind"].as_array().unwrap();
    for k in kinds {
        let n = hits.iter().filter(|h| h["kind"] == k["value"]).count() as u64;
        match k["count"].as_u64() {
            Some(c) => assert_eq!(c, n, "{k}"),
            None => assert!(n < 5, "{k}"),
        }
    }
    // Bad input is refused before Meilisearch is asked.
    let (s, v) = common::get(app, "/v1/search?cursor=eyJzIjoibmV3ZXN0In0").await;
    common::assert_problem(s, &v, 400, "cursor");
    let (s, v) = common::get(app, "/v1/search?facets=kind,bogus").await;
    common::assert_problem(s, &v, 400, "facets");
    let (s, v) = common::get(app, "/v1/search?q=%22%20OR%20audience%20%3D%20volunteer").await;
    assert_eq!(s, 200, "words never reach the filter: {v}");
    assert!(v["hits"].as_array().unwrap().iter().all(|h| h["type"] != "volunteer"));
});

meili_test!(delivery_stopped_midway_loses_and_duplicates_nothing, true, |app: TestApp, s: MeiliSettings| async move {
    let (app, s) = (&app, &s);
    let db = &app.app.state.db;
    let index = app.app.state.search.as_ref().unwrap();
    assert_eq!(outbox::depth(db).await.unwrap().0, 0);
    let mut want = searchable(app).await;
    let mut got = indexed(s).await;
    got.sort();
    assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), want);
    assert_eq!(got.len(), want.len());

    // Changes: a new offer, a closed one, an erased resident, a renamed initiative.
    let (pid, auth) = common::poelenburg_person(app, "Tijdelijk").await;
    let mut mine = Vec::new();
    for i in 0..25 {
        let (st, l) = common::post_as(
            app,
            &auth,
            "/v1/listings",
            json!({"kind": "offer", "title": format!("Klusje {i}"), "description": "Kleine klussen in huis.", "categories": ["odd_jobs"], "owner": {"person_id": pid}}),
        )
        .await;
        assert_eq!(st, 201, "{l}");
        mine.push(l["id"].as_str().unwrap().to_owned());
    }
    let (st, _) = common::patch_as(app, &auth, &format!("/v1/listings/{}", mine[0]), json!({"status": "closed"})).await;
    assert_eq!(st, 200);
    // Delivery stops after one small batch: part is in the index, the rest still waits.
    assert_eq!(outbox::deliver_once(db, index, 5).await.unwrap(), 5);
    let waiting = outbox::depth(db).await.unwrap().0;
    assert!(waiting > 0);
    // More happens while it is stopped: the resident erases themself.
    let (st, _) = common::delete_as(app, &auth, "/v1/me").await;
    assert_eq!(st, 204);
    // It comes back and converges: exactly the searchable rows, each once.
    drain(app, 7).await;
    want = searchable(app).await;
    assert!(mine.iter().all(|id| !want.contains(id)), "erased with the person");
    let got = indexed(s).await;
    assert_eq!(got.len(), want.len(), "no duplicates");
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), want);
    // A reindex gives the same, and brings back nothing erased.
    let n = outbox::reindex(db, index).await.unwrap();
    assert_eq!(n, want.len());
    assert_eq!(indexed(s).await.into_iter().collect::<BTreeSet<_>>(), want);
});

async fn offer(app: &TestApp, auth: &Auth, pid: &str, title: &str) -> String {
    let body =
        json!({"kind": "offer", "title": title, "description": "Even helpen.", "categories": ["odd_jobs"], "owner": {"person_id": pid}});
    let (st, l) = common::post_as(app, auth, "/v1/listings", body).await;
    assert_eq!(st, 201, "{l}");
    l["id"].as_str().unwrap().to_owned()
}

meili_test!(a_reindex_swaps_in_a_new_index_and_keeps_what_changes_meanwhile, true, |app: TestApp, s: MeiliSettings| async move {
    use sea_orm::ConnectionTrait;
    let (app, s) = (&app, &s);
    let db = &app.app.state.db;
    let index = app.app.state.search.as_ref().unwrap();
    let (pid, auth) = common::poelenburg_person(app, "Herbouw").await;
    // One change from well before the rebuild (covered by it), one from just now (not
    // provably covered: it waits and is delivered again, harmlessly).
    let old = offer(app, &auth, &pid, "Oude klus").await;
    db.execute_unprepared(&format!(
        "UPDATE search_outbox SET created_at = {} WHERE doc_id = {}",
        if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            "now() - interval '10 minutes'"
        } else {
            "datetime('now', '-10 minutes')"
        },
        if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            format!("'{old}'")
        } else {
            format!("x'{}'", old.replace('-', ""))
        }
    ))
    .await
    .unwrap();
    let fresh = offer(app, &auth, &pid, "Nieuwe klus").await;
    assert_eq!(outbox::depth(db).await.unwrap().0, 2);

    let n = outbox::reindex(db, index).await.unwrap();
    let want = searchable(app).await;
    assert_eq!(n, want.len());
    assert_eq!(indexed(s).await.into_iter().collect::<BTreeSet<_>>(), want);
    assert!(want.contains(&old) && want.contains(&fresh));
    assert!(!index.staging().exists().await, "the staging index is gone after the swap");
    assert!(!outbox::rebuilding(db, index).await.unwrap(), "the marker is gone");
    assert_eq!(outbox::depth(db).await.unwrap().0, 1, "the covered entry is removed, the fresh one waits");
    let (st, found) = common::get(app, "/v1/search?q=klus&type=offer").await;
    assert_eq!(st, 200, "{found}");
    assert_eq!(found["engine"], "meilisearch");

    // While a rebuild runs, the worker holds back, so a change cannot go to the index about
    // to be replaced; a marker left by a rebuild that died long ago holds nothing.
    outbox::mark_rebuild(db, index, Some(chrono::Utc::now())).await.unwrap();
    assert!(outbox::rebuilding(db, index).await.unwrap());
    let worker = tokio::spawn(outbox::run(db.clone(), index.clone(), Default::default()));
    let during = offer(app, &auth, &pid, "Klus tijdens de herbouw").await;
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert!(outbox::depth(db).await.unwrap().0 >= 2, "delivered during a rebuild");
    assert!(!indexed(s).await.contains(&during));
    outbox::mark_rebuild(db, index, Some(chrono::Utc::now() - chrono::Duration::hours(3))).await.unwrap();
    let mut waited = 0;
    while outbox::depth(db).await.unwrap().0 > 0 && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    worker.abort();
    assert_eq!(outbox::depth(db).await.unwrap().0, 0, "a stale marker held delivery back");
    assert!(indexed(s).await.contains(&during));
});

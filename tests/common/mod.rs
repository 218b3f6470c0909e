//! The test harness: every test gets its own fresh database (SQLite always; PostgreSQL when
//! `TEST_DATABASE_URL` is set) and the real app behind poem's TestClient.
#![allow(dead_code)]

pub mod contract;

use std::sync::OnceLock;

use buurtkracht::auth::jwt::{TokenKey, TokenSettings, mint_hs256};
use buurtkracht::config::Settings;
use buurtkracht::startup::App;
use poem::endpoint::BoxEndpoint;
use poem::test::{TestClient, TestResponse};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, TransactionTrait};
use serde_json::Value;

/// Gemeenten the tests need: Zaanstad (the demo town), Amsterdam and Utrecht.
const TEST_GEMEENTEN: &[&str] = &["GM0479", "GM0363", "GM0344"];

fn filtered(doc: &str, keep: impl Fn(&Value) -> bool) -> String {
    let mut v: Value = serde_json::from_str(doc).unwrap();
    let features = v["features"].as_array().unwrap().iter().filter(|f| keep(&f["properties"])).cloned().collect();
    v["features"] = Value::Array(features);
    v.to_string()
}

/// The bundled boundaries cut down to the test gemeenten, made once per test binary.
fn test_areas() -> &'static (String, String) {
    static AREAS: OnceLock<(String, String)> = OnceLock::new();
    AREAS.get_or_init(|| {
        let keep = |code: Option<&str>| code.is_some_and(|c| TEST_GEMEENTEN.contains(&c));
        (
            filtered(buurtkracht::store::areas::BUNDLED_GEMEENTEN, |p| keep(p["statcode"].as_str())),
            filtered(buurtkracht::store::areas::BUNDLED_WIJKEN, |p| keep(p["gmCode"].as_str())),
        )
    })
}

/// A running app on a fresh database.
pub struct TestApp {
    /// The app (its state reaches the database).
    pub app: App,
    /// A client for the app's routes; every answer it receives is checked against
    /// `openapi/openapi.json` ([`contract::checked`]).
    pub client: TestClient<BoxEndpoint<'static>>,
    /// Which engine this app runs on: `sqlite` or `postgres`.
    pub engine: &'static str,
}

async fn fresh_database_url(engine: &'static str) -> Option<String> {
    match engine {
        "sqlite" => {
            let dir = std::env::temp_dir().join("buurtkracht-tests");
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(format!("{}.db", uuid::Uuid::new_v4()));
            Some(format!("sqlite://{}?mode=rwc", file.display()))
        }
        _ => {
            let admin = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
            let name = format!("bk_test_{}", uuid::Uuid::new_v4().simple());
            let db = Database::connect(&admin).await.expect("TEST_DATABASE_URL is set but PostgreSQL is unreachable");
            db.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
            db.close().await.ok();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
            Some(format!("{base}/{name}"))
        }
    }
}

/// The token issuer every test app trusts.
pub fn test_tokens() -> TokenSettings {
    TokenSettings {
        issuer: "https://login.test.example".into(),
        audience: "buurtkracht".into(),
        key: TokenKey::Hs256(b"test-secret-test-secret-test-secret!".to_vec()),
    }
}

/// Starts the app on a fresh database of `engine`; `None` (with a printed notice) when that
/// engine is not configured.
pub async fn spawn_on(engine: &'static str, seed_demo: bool) -> Option<TestApp> {
    spawn_with(engine, seed_demo, |_| {}).await
}

/// As [`spawn_on`], with settings changed by `adjust` (rate limits, CORS origins ...).
pub async fn spawn_with(engine: &'static str, seed_demo: bool, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    buurtkracht::telemetry::init_for_tests();
    let Some(url) = fresh_database_url(engine).await else {
        eprintln!("SKIPPED on {engine}: TEST_DATABASE_URL is not set");
        return None;
    };
    let mut settings = Settings::defaults();
    settings.database_url = url;
    settings.seed_demo = seed_demo;
    settings.tokens = Some(test_tokens());
    // High enough that only the rate-limit tests, which lower them, ever meet them.
    settings.rate_limit_per_ip = 1_000_000;
    settings.rate_limit_per_credential = 1_000_000;
    adjust(&mut settings);
    let (gm, wk) = test_areas();
    let app = App::build_with_areas(&settings, Some((gm, wk))).await.expect("app builds");
    if engine == "postgres" {
        open_every_connection(&app.state.db).await;
    }
    // Every answer a test receives is checked against the committed spec.
    let client = TestClient::new(contract::checked(app.endpoint()));
    Some(TestApp { app, client, engine })
}

/// Opens every connection the pool may hold at once, here at the top of the test's stack. A
/// handler that finds no idle connection opens one itself, TLS handshake included, deep inside
/// poem's futures, and in a debug build that can overflow the test thread's 2 MiB stack. It
/// finds none more often than one would think: on the test's single-threaded runtime a
/// connection a query let go returns to the pool only when the task next waits, so a handler
/// that runs queries back to back (the candidates' widening radius) opens new ones until the
/// pool is full. A full pool makes it wait for one instead.
async fn open_every_connection(db: &DatabaseConnection) {
    let n = db.get_postgres_connection_pool().options().get_max_connections();
    let held = (0..n).map(|_| async {
        // A transaction holds its connection until it ends, so all `n` are open together.
        let txn = db.begin().await.expect("a PostgreSQL connection");
        txn.execute_unprepared("SELECT pg_sleep(0.02)").await.expect("a query");
        txn.commit().await.expect("a commit");
    });
    futures_util::future::join_all(held).await;
}

/// The engines to run every API test on: SQLite always, PostgreSQL when configured.
pub const ENGINES: &[&str] = &["sqlite", "postgres"];

/// Defines one `#[tokio::test]` per engine from an async test body taking `&TestApp`.
///
/// `api_test!(name, seeded, |app| async move { ... })`
#[macro_export]
macro_rules! api_test {
    ($name:ident, $seed:expr, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let app = common::spawn_on("sqlite", $seed).await.expect("sqlite always runs");
                ($body)(app).await;
            }
            // Ignored unless asked for, so a run without PostgreSQL reports it as ignored
            // instead of passing; asked for without a server, it fails.
            #[tokio::test]
            #[ignore = "needs PostgreSQL: TEST_DATABASE_URL=postgres://... cargo test -- --ignored"]
            async fn postgres() {
                let app = common::spawn_on("postgres", $seed).await.expect("TEST_DATABASE_URL must name a PostgreSQL server");
                ($body)(app).await;
            }
        }
    };
}

/// Reads a response as (status, JSON body), checking the content type matches the status.
pub async fn json(resp: TestResponse) -> (u16, Value) {
    let status = resp.0.status().as_u16();
    let ct = resp.0.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let text = resp.0.into_body().into_string().await.unwrap();
    if status >= 400 {
        assert!(ct.starts_with("application/problem+json"), "error {status} with content type {ct:?}: {text}");
    }
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")) };
    (status, body)
}

/// Asserts a problem+json answer with `status` that names `field`.
pub fn assert_problem(status: u16, body: &Value, want_status: u16, field: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["status"], want_status, "{body}");
    assert!(body["code"].is_string(), "{body}");
    if !field.is_empty() {
        let fields: Vec<&str> =
            body["errors"].as_array().map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect()).unwrap_or_default();
        assert!(fields.iter().any(|f| f.contains(field)), "expected field {field:?} in {body}");
    }
}

/// A point inside wijk Poelenburg (WK047912, Zaandam).
pub const POELENBURG: (f64, f64) = (52.4376, 4.8476);
/// A point in Amsterdam, Dam square.
pub const DAM: (f64, f64) = (52.3731, 4.8926);
/// A point in the North Sea, outside every wijk.
pub const NORTH_SEA: (f64, f64) = (53.5, 3.0);

/// `POST url` with a JSON body.
pub async fn post(app: &TestApp, url: &str, body: Value) -> (u16, Value) {
    json(app.client.post(url).body_json(&body).send().await).await
}

/// `GET url`.
pub async fn get(app: &TestApp, url: &str) -> (u16, Value) {
    json(app.client.get(url).send().await).await
}

/// `PATCH url` with a JSON Merge Patch.
pub async fn patch(app: &TestApp, url: &str, body: Value) -> (u16, Value) {
    json(app.client.patch(url).content_type("application/merge-patch+json").body(serde_json::to_string(&body).unwrap()).send().await).await
}

/// `DELETE url`.
pub async fn delete(app: &TestApp, url: &str) -> (u16, Value) {
    json(app.client.delete(url).send().await).await
}

/// `GET url` with `Accept: application/geo+json`; asserts 200 and the GeoJSON media type.
pub async fn get_geojson(app: &TestApp, url: &str) -> Value {
    let resp = app.client.get(url).header("Accept", "application/geo+json").send().await;
    assert_eq!(resp.0.status().as_u16(), 200);
    let ct = resp.0.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/geo+json"), "{ct}");
    serde_json::from_str(&resp.0.into_body().into_string().await.unwrap()).unwrap()
}

/// Haversine on the mean earth radius, written apart from the service's own so that tests
/// check it rather than repeat it. Points are (lat, lng).
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_008.8_f64;
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = la2 - la1;
    let dlng = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlng / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// Credentials for a request.
#[derive(Debug, Clone)]
pub enum Auth {
    /// None: an anonymous caller.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `X-API-Key: <key>`.
    Key(String),
}

/// A token from the test issuer.
pub fn token(sub: &str, role: &str, gemeenten: &[&str]) -> Auth {
    Auth::Bearer(mint_hs256(&test_tokens(), sub, role, gemeenten, 3600).unwrap())
}

/// A resident's token with a fresh subject.
pub fn new_resident_token() -> Auth {
    token(&format!("resident-{}", uuid::Uuid::new_v4()), "resident", &[])
}

/// A professional working in Zaanstad.
pub fn zaanstad_professional() -> Auth {
    token("pro-zaanstad", "professional", &["GM0479"])
}

/// An admin of Zaanstad.
pub fn zaanstad_admin() -> Auth {
    token("admin-zaanstad", "admin", &["GM0479"])
}

/// Sends a request with credentials and an optional JSON body; `merge` sends it as a JSON
/// Merge Patch.
pub async fn send(app: &TestApp, method: &str, url: &str, auth: &Auth, body: Option<&Value>) -> (u16, Value) {
    let c = &app.client;
    let mut req = match method {
        "GET" => c.get(url),
        "POST" => c.post(url),
        "PATCH" => c.patch(url),
        "DELETE" => c.delete(url),
        "PUT" => c.put(url),
        other => panic!("method {other}"),
    };
    req = match auth {
        Auth::None => req,
        Auth::Bearer(t) => req.header("Authorization", format!("Bearer {t}")),
        Auth::Key(k) => req.header("X-API-Key", k.clone()),
    };
    if let Some(b) = body {
        let ct = if method == "PATCH" { "application/merge-patch+json" } else { "application/json" };
        req = req.content_type(ct).body(serde_json::to_string(b).unwrap());
    }
    json(req.send().await).await
}

/// `POST url` as `auth`.
pub async fn post_as(app: &TestApp, auth: &Auth, url: &str, body: Value) -> (u16, Value) {
    send(app, "POST", url, auth, Some(&body)).await
}

/// `GET url` as `auth`.
pub async fn get_as(app: &TestApp, auth: &Auth, url: &str) -> (u16, Value) {
    send(app, "GET", url, auth, None).await
}

/// `PATCH url` (a JSON Merge Patch) as `auth`.
pub async fn patch_as(app: &TestApp, auth: &Auth, url: &str, body: Value) -> (u16, Value) {
    send(app, "PATCH", url, auth, Some(&body)).await
}

/// `DELETE url` as `auth`.
pub async fn delete_as(app: &TestApp, auth: &Auth, url: &str) -> (u16, Value) {
    send(app, "DELETE", url, auth, None).await
}

/// Creates a person with a fresh resident token; returns their id and the token.
pub async fn new_person(app: &TestApp, body: Value) -> (String, Auth) {
    let auth = new_resident_token();
    let (status, person) = post_as(app, &auth, "/v1/people", body).await;
    assert_eq!(status, 201, "{person}");
    (person["id"].as_str().unwrap().to_owned(), auth)
}

/// A resident in Poelenburg at the default precision.
pub async fn poelenburg_person(app: &TestApp, name: &str) -> (String, Auth) {
    new_person(app, serde_json::json!({"display_name": name, "home_point": {"lat": POELENBURG.0, "lng": POELENBURG.1}})).await
}

/// Creates an initiative organised by a fresh resident; returns its id and the organiser's token.
pub async fn new_initiative(app: &TestApp, body: Value) -> (String, Auth) {
    let (_, auth) = poelenburg_person(app, "Organiser").await;
    let (status, ini) = post_as(app, &auth, "/v1/initiatives", body).await;
    assert_eq!(status, 201, "{ini}");
    (ini["id"].as_str().unwrap().to_owned(), auth)
}

/// An admin key for the given gemeenten, made through the CLI's code path.
pub async fn admin_key(app: &TestApp, gemeenten: &[&str]) -> Auth {
    let k = buurtkracht::store::accounts::NewKey {
        label: "test admin".into(),
        role: buurtkracht::auth::Role::Admin,
        gemeenten: gemeenten.iter().map(|g| g.to_string()).collect(),
        initiative_id: None,
        created_by: "cli".into(),
        expires_at: None,
    };
    let (_, key) = buurtkracht::store::accounts::create_key(&app.app.state.db, &k).await.unwrap();
    Auth::Key(key)
}

/// Every entry of a paged list, following `next_cursor`: the `key` array of each page of
/// `limit` (`items` for the list endpoints, `hits` for search).
#[allow(dead_code)]
pub async fn every_page(app: &TestApp, auth: &Auth, path: &str, key: &str, limit: u32) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let (status, body) = get_as(app, auth, &url).await;
        assert_eq!(status, 200, "{url}: {body}");
        out.extend(body[key].as_array().unwrap_or_else(|| panic!("{url}: no {key}: {body}")).iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
    panic!("more than 1000 pages of {path}");
}

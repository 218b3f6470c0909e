//! Idempotent POSTs across a crash: the real binary is killed (SIGKILL) while a request with an
//! `Idempotency-Key` is running, restarted on the same database, and the client's retry with
//! the same key and body completes (201) and creates exactly one row. And the lease rules of
//! the claim store, on both engines.
//!
//! To catch the process mid-request, the test installs a trigger that holds up the insert the
//! request makes (PostgreSQL: `pg_sleep`; SQLite, which has no sleep: a long count). The claim
//! is written before the handler runs, so once the claim is in the table the request is between
//! its claim and its answer, which is where a crash used to leave the key stuck at 409.
mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use buurtkracht::store::idempotency::{self, Claim};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

/// A fresh database of `engine` for the binary: a temporary SQLite file, or a new database on
/// the `TEST_DATABASE_URL` server (`None` when that is not set).
async fn fresh_database(engine: &str) -> Option<String> {
    if engine == "sqlite" {
        let dir = std::env::temp_dir().join("buurtkracht-tests");
        std::fs::create_dir_all(&dir).unwrap();
        return Some(format!("sqlite://{}?mode=rwc", dir.join(format!("{}.db", uuid::Uuid::new_v4())).display()));
    }
    let admin = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
    let name = format!("bk_test_{}", uuid::Uuid::new_v4().simple());
    let db = Database::connect(&admin).await.expect("TEST_DATABASE_URL is set but PostgreSQL is unreachable");
    db.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    db.close().await.ok();
    Some(format!("{}/{name}", admin.rsplit_once('/').unwrap().0))
}

/// The binary, with the environment of a test server: no demo town, no Meilisearch, a lease
/// of one second.
fn binary(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_buurtkracht"));
    cmd.env("DATABASE_URL", database_url)
        .env("SEED_DEMO", "false")
        .env("IDEMPOTENCY_LEASE_SECS", "1")
        .env("RUST_LOG", "warn")
        .env_remove("MEILI_URL")
        .env_remove("JWT_ISSUER")
        .stdin(Stdio::null());
    cmd
}

/// A server process, killed when dropped so that a failing test leaves none behind.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts `serve` on a free loopback port and waits until `/healthz` answers.
    fn start(database_url: &str) -> Server {
        let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let log = std::env::temp_dir().join("buurtkracht-tests").join(format!("server-{}.log", uuid::Uuid::new_v4()));
        let child = binary(database_url)
            .arg("serve")
            .env("BIND_ADDR", addr.to_string())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the binary starts");
        let mut server = Server { child, addr, log };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("the server exited with {status}: {}", server.log_text());
            }
            if TcpStream::connect(addr).is_ok() && http(addr, "GET", "/healthz", &[], None).0 == 200 {
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not answer within 2 minutes: {}", server.log_text());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no shutdown, no cleanup, like a crash or an OOM kill.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request; answers (status, headers in lower case, body).
fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> (u16, Vec<(String, String)>, String) {
    let Ok(mut stream) = TcpStream::connect(addr) else { return (0, Vec::new(), String::new()) };
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or_default());
    if stream.write_all(req.as_bytes()).is_err() {
        return (0, Vec::new(), String::new());
    }
    let mut raw = Vec::new();
    if stream.read_to_end(&mut raw).is_err() && raw.is_empty() {
        return (0, Vec::new(), String::new());
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, rest)) = text.split_once("\r\n\r\n") else { return (0, Vec::new(), text) };
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())).collect();
    let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_owned() };
    (status, headers, body)
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Holds up every insert into `initiatives` until the test lets go.
async fn hold_up_inserts(db: &DatabaseConnection, engine: &str) {
    if engine == "sqlite" {
        // No sleep in SQLite: a count over a cross join of a few thousand rows runs for minutes.
        db.execute_unprepared(
            "CREATE TABLE hold_up(x INTEGER);
             INSERT INTO hold_up WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000) SELECT x FROM n;
             CREATE TRIGGER hold_up BEFORE INSERT ON initiatives BEGIN SELECT count(*) FROM hold_up a, hold_up b, hold_up c; END;",
        )
        .await
        .unwrap();
    } else {
        db.execute_unprepared(
            "CREATE FUNCTION hold_up() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3600); RETURN NEW; END $$;
             CREATE TRIGGER hold_up BEFORE INSERT ON initiatives FOR EACH ROW EXECUTE FUNCTION hold_up();",
        )
        .await
        .unwrap();
    }
}

async fn let_go(db: &DatabaseConnection, engine: &str) {
    if engine == "postgres" {
        // The dead process's session sleeps on in the server, holding its transaction open.
        db.execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await
        .unwrap();
    }
    let drop = if engine == "postgres" { "DROP TRIGGER hold_up ON initiatives" } else { "DROP TRIGGER hold_up" };
    db.execute_unprepared(drop).await.unwrap();
}

async fn a_retry_after_a_crash_mid_request_completes_once(engine: &'static str) {
    let Some(url) = fresh_database(engine).await else {
        eprintln!("SKIPPED on {engine}: TEST_DATABASE_URL is not set");
        panic!("TEST_DATABASE_URL must name a PostgreSQL server");
    };
    // An admin key of Zaanstad, made by the binary itself (which migrates and loads the areas).
    let out = binary(&url).args(["keys", "create", "--role", "admin", "--gemeente", "GM0479"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let db = Database::connect(&url).await.unwrap();
    hold_up_inserts(&db, engine).await;

    let body = json!({
        "name": "Repair Café Poelenburg",
        "description": "Elke zaterdag.",
        "kind": "resident_initiative",
        "categories": ["repair"],
        "location": {"lat": common::POELENBURG.0, "lng": common::POELENBURG.1},
    })
    .to_string();
    let headers = [("X-API-Key", key.as_str()), ("Idempotency-Key", "crash-1")];
    let server = Server::start(&url);
    let addr = server.addr;
    let first = {
        let body = body.clone();
        let key = key.clone();
        std::thread::spawn(move || {
            http(addr, "POST", "/v1/initiatives", &[("X-API-Key", &key), ("Idempotency-Key", "crash-1")], Some(&body))
        })
    };
    // The request has claimed its key once the claim is in the table.
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&db, "SELECT count(*) FROM idempotency_records").await == 0 {
        assert!(Instant::now() < deadline, "the request never claimed its key: {}", server.log_text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if engine == "postgres" {
        // While the process lives, it renews its claim: past the lease, a retry still waits.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let (status, headers, v) = http(addr, "POST", "/v1/initiatives", &headers, Some(&body));
        assert_eq!(status, 409, "{v}");
        assert!(headers.iter().any(|(k, _)| k == "retry-after"), "{headers:?}");
    }
    server.kill();
    let (status, _, v) = first.join().unwrap();
    assert_eq!(status, 0, "the killed request got no answer: {v}");
    assert_eq!(count(&db, "SELECT count(*) FROM initiatives").await, 0, "the killed request wrote nothing");
    let_go(&db, engine).await;

    // Restarted on the same database, the client retries the same key and body, as a client
    // does: waiting as long as `Retry-After` says while the dead request's lease runs out.
    let server = Server::start(&url);
    let mut conflicts = 0;
    let (status, v) = loop {
        let (status, h, v) = http(server.addr, "POST", "/v1/initiatives", &headers, Some(&body));
        if status != 409 || conflicts == 5 {
            break (status, v);
        }
        conflicts += 1;
        let wait: u64 = h.iter().find(|(k, _)| k == "retry-after").and_then(|(_, v)| v.parse().ok()).expect("a 409 says when to retry");
        assert!(wait <= 1, "the lease is one second: {wait}");
        tokio::time::sleep(Duration::from_secs(wait)).await;
    };
    assert_eq!(status, 201, "the retry completes: {v}\n{}", server.log_text());
    let created: Value = serde_json::from_str(&v).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM initiatives").await, 1);
    // And from then on it is answered from the kept answer.
    let (status, h, again) = http(server.addr, "POST", "/v1/initiatives", &headers, Some(&body));
    assert_eq!(status, 201, "{again}");
    assert!(h.iter().any(|(k, v)| k == "idempotent-replayed" && v == "true"), "{h:?}");
    assert_eq!(serde_json::from_str::<Value>(&again).unwrap()["id"], created["id"]);
    assert_eq!(count(&db, "SELECT count(*) FROM initiatives").await, 1);
    server.kill();
    db.close().await.ok();
    // The whole country's boundaries make this database large: leave no copy behind.
    if let Some(file) = url.strip_prefix("sqlite://").and_then(|u| u.split('?').next()) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{file}{suffix}"));
        }
    }
}

mod a_retry_after_a_crash_mid_request {
    #[tokio::test]
    async fn sqlite() {
        super::a_retry_after_a_crash_mid_request_completes_once("sqlite").await
    }

    // Ignored unless asked for, like api_test!'s twins.
    #[tokio::test]
    #[ignore = "needs PostgreSQL: TEST_DATABASE_URL=postgres://... cargo test -- --ignored"]
    async fn postgres() {
        super::a_retry_after_a_crash_mid_request_completes_once("postgres").await
    }
}

type App = common::TestApp;

const HASH: &str = "request-hash";

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

api_test!(a_live_claim_makes_retries_wait_and_only_its_owner_renews_or_completes_it, false, |app: App| async move {
    let db = &app.app.state.db;
    let (first, second) = (idempotency::new_owner(), idempotency::new_owner());
    assert_ne!(first, second);
    assert_eq!(idempotency::claim(db, "s", "k", HASH, &first, secs(60)).await.unwrap(), Claim::Fresh);
    match idempotency::claim(db, "s", "k", HASH, &second, secs(60)).await.unwrap() {
        Claim::InProgress { retry_after } => assert!(retry_after <= Duration::from_secs(60) && retry_after > Duration::from_secs(50)),
        other => panic!("{other:?}"),
    }
    assert_eq!(idempotency::claim(db, "s", "k", "another request", &second, secs(60)).await.unwrap(), Claim::Mismatch);
    assert!(idempotency::renew(db, "s", "k", &first, secs(60)).await.unwrap());
    assert!(!idempotency::renew(db, "s", "k", &second, secs(60)).await.unwrap());
    assert!(!idempotency::complete(db, "s", "k", &second, 201, None, "theirs".into()).await.unwrap());
    idempotency::release(db, "s", "k", &second).await.unwrap();
    assert!(matches!(idempotency::claim(db, "s", "k", HASH, &second, secs(60)).await.unwrap(), Claim::InProgress { .. }));
    assert!(idempotency::complete(db, "s", "k", &first, 201, Some("application/json".into()), "mine".into()).await.unwrap());
    assert_eq!(
        idempotency::claim(db, "s", "k", HASH, &second, secs(60)).await.unwrap(),
        Claim::Replay { status: 201, content_type: Some("application/json".into()), body: "mine".into() }
    );
    // An answered claim is renewed by nobody.
    assert!(!idempotency::renew(db, "s", "k", &first, secs(60)).await.unwrap());
});

api_test!(a_claim_past_its_lease_is_taken_over_by_one_retry, false, |app: App| async move {
    let db = &app.app.state.db;
    let dead = idempotency::new_owner();
    // A lease of zero: the claim has run out, as one whose process died does.
    assert_eq!(idempotency::claim(db, "s", "k", HASH, &dead, secs(0)).await.unwrap(), Claim::Fresh);
    // Several retries at once: exactly one takes it over.
    let owners: Vec<String> = (0..6).map(|_| idempotency::new_owner()).collect();
    let claims = futures_util::future::join_all(owners.iter().map(|o| idempotency::claim(db, "s", "k", HASH, o, secs(60)))).await;
    let fresh: Vec<&String> = owners.iter().zip(&claims).filter(|(_, c)| matches!(c, Ok(Claim::Fresh))).map(|(o, _)| o).collect();
    assert_eq!(fresh.len(), 1, "{claims:?}");
    assert!(claims.iter().all(|c| matches!(c, Ok(Claim::Fresh) | Ok(Claim::InProgress { .. }))), "{claims:?}");
    let winner = fresh[0].clone();
    // The dead owner, were it to wake, can no longer renew, complete or release it.
    assert!(!idempotency::renew(db, "s", "k", &dead, secs(60)).await.unwrap());
    assert!(!idempotency::complete(db, "s", "k", &dead, 201, None, "stale".into()).await.unwrap());
    idempotency::release(db, "s", "k", &dead).await.unwrap();
    assert!(idempotency::complete(db, "s", "k", &winner, 201, None, "fresh".into()).await.unwrap());
    assert!(
        matches!(idempotency::claim(db, "s", "k", HASH, &dead, secs(60)).await.unwrap(), Claim::Replay { body, .. } if body == "fresh")
    );
    // A claim made before leases existed has none, and is taken over at once.
    use buurtkracht::store::entities::idempotency_record;
    use sea_orm::{ActiveModelTrait, Set};
    idempotency_record::ActiveModel {
        scope: Set("s".into()),
        key: Set("old".into()),
        request_hash: Set(HASH.into()),
        status: Set(None),
        content_type: Set(None),
        body: Set(None),
        created_at: Set(chrono::Utc::now()),
        owner: Set(None),
        lease_until: Set(None),
    }
    .insert(db)
    .await
    .unwrap();
    assert_eq!(idempotency::claim(db, "s", "old", HASH, &dead, secs(60)).await.unwrap(), Claim::Fresh);
});

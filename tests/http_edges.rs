//! What wraps every request: CORS for browser frontends, rate limits and idempotent retries.
mod common;

use common::{Auth, TestApp};
use serde_json::json;

const FRONTEND: &str = "https://app.buurt.example";

async fn with_origins(engine: &'static str) -> Option<TestApp> {
    common::spawn_with(engine, false, |s| s.cors_origins = vec![FRONTEND.to_owned()]).await
}

macro_rules! edge_test {
    ($name:ident, $spawn:expr, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let app = ($spawn)("sqlite").await.expect("sqlite always runs");
                ($body)(app).await;
            }
            #[tokio::test]
            #[ignore = "needs PostgreSQL: TEST_DATABASE_URL=postgres://... cargo test -- --ignored"]
            async fn postgres() {
                let app = ($spawn)("postgres").await.expect("TEST_DATABASE_URL must name a PostgreSQL server");
                ($body)(app).await;
            }
        }
    };
}

edge_test!(cors_answers_listed_origins_only, with_origins, |app: TestApp| async move {
    let pre = app
        .client
        .options("/v1/listings")
        .header("Origin", FRONTEND)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization, idempotency-key, content-type")
        .send()
        .await;
    assert_eq!(pre.0.status().as_u16(), 204);
    let h = pre.0.headers();
    assert_eq!(h.get("Access-Control-Allow-Origin").unwrap(), FRONTEND);
    assert_eq!(h.get("Access-Control-Allow-Credentials").unwrap(), "true");
    let allowed = h.get("Access-Control-Allow-Headers").unwrap().to_str().unwrap().to_ascii_lowercase();
    for needed in ["authorization", "idempotency-key", "if-match", "content-type"] {
        assert!(allowed.contains(needed), "{needed} not in {allowed}");
    }
    assert!(h.get("Access-Control-Allow-Methods").unwrap().to_str().unwrap().contains("PATCH"));

    let resp = app.client.get("/v1/initiatives").header("Origin", FRONTEND).send().await;
    assert_eq!(resp.0.status().as_u16(), 200);
    assert_eq!(resp.0.headers().get("Access-Control-Allow-Origin").unwrap(), FRONTEND);
    assert!(resp.0.headers().get("Access-Control-Expose-Headers").unwrap().to_str().unwrap().contains("Retry-After"));

    // Another origin: no CORS headers, and its preflight is refused with a problem.
    let resp = app.client.get("/v1/initiatives").header("Origin", "https://evil.example").send().await;
    assert!(resp.0.headers().get("Access-Control-Allow-Origin").is_none());
    assert!(resp.0.headers().get("Access-Control-Allow-Credentials").is_none());
    let pre = app
        .client
        .options("/v1/listings")
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await;
    let (s, v) = common::json(pre).await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["code"], "origin_not_allowed");
});

edge_test!(cors_is_closed_by_default, |e| common::spawn_on(e, false), |app: TestApp| async move {
    let pre = app.client.options("/v1/listings").header("Origin", FRONTEND).header("Access-Control-Request-Method", "GET").send().await;
    let (s, _) = common::json(pre).await;
    assert_eq!(s, 403);
    let resp = app.client.get("/v1/initiatives").header("Origin", FRONTEND).send().await;
    assert!(resp.0.headers().get("Access-Control-Allow-Origin").is_none());
});

edge_test!(
    rate_limits_answer_429_with_retry_after,
    |e| common::spawn_with(e, false, |s| {
        s.rate_limit_per_ip = 1_000;
        s.rate_limit_per_credential = 3;
    }),
    |app: TestApp| async move {
        let me = common::new_resident_token();
        for _ in 0..3 {
            let (s, _) = common::get_as(&app, &me, "/v1/initiatives").await;
            assert_eq!(s, 200);
        }
        let resp = app
            .client
            .get("/v1/initiatives")
            .header(
                "Authorization",
                match &me {
                    Auth::Bearer(t) => format!("Bearer {t}"),
                    _ => unreachable!(),
                },
            )
            .send()
            .await;
        assert_eq!(resp.0.status().as_u16(), 429);
        let retry: u64 = resp.0.headers().get("Retry-After").unwrap().to_str().unwrap().parse().unwrap();
        assert!((1..=20).contains(&retry), "{retry}");
        let (s, v) = common::json(resp).await;
        common::assert_problem(s, &v, 429, "");
        assert_eq!(v["code"], "rate_limited");
        // Another credential has its own allowance, and health checks are never limited.
        let (s, _) = common::get_as(&app, &common::new_resident_token(), "/v1/initiatives").await;
        assert_eq!(s, 200);
        for _ in 0..5 {
            let (s, _) = common::get_as(&app, &me, "/healthz").await;
            assert_eq!(s, 200);
        }
    }
);

edge_test!(
    the_address_limit_covers_anonymous_callers,
    |e| common::spawn_with(e, false, |s| s.rate_limit_per_ip = 2),
    |app: TestApp| async move {
        assert_eq!(common::get(&app, "/v1/taxonomy").await.0, 200);
        assert_eq!(common::get(&app, "/v1/taxonomy").await.0, 200);
        let (s, v) = common::get(&app, "/v1/taxonomy").await;
        common::assert_problem(s, &v, 429, "");
    }
);

edge_test!(a_retried_create_makes_one_row, |e| common::spawn_on(e, false), |app: TestApp| async move {
    let (pid, me) = common::poelenburg_person(&app, "Ilse").await;
    let body = json!({"kind": "offer", "title": "Ik help met de computer", "description": "Op zaterdag.", "categories": ["digital_help"], "owner": {"person_id": pid}});
    let post = |key: &'static str, b: serde_json::Value, auth: Auth| {
        let app = &app;
        async move {
            let mut req = app.client.post("/v1/listings").header("Idempotency-Key", key).body_json(&b);
            if let Auth::Bearer(t) = &auth {
                req = req.header("Authorization", format!("Bearer {t}"));
            }
            let resp = req.send().await;
            let replayed = resp.0.headers().get("Idempotent-Replayed").is_some();
            let (s, v) = common::json(resp).await;
            (s, v, replayed)
        }
    };
    let (s1, first, r1) = post("retry-1", body.clone(), me.clone()).await;
    assert_eq!(s1, 201, "{first}");
    assert!(!r1);
    let (s2, second, r2) = post("retry-1", body.clone(), me.clone()).await;
    assert_eq!(s2, 201, "{second}");
    assert!(r2, "the retry is marked as replayed");
    assert_eq!(first, second, "the retry gets the first answer");
    let (_, mine) = common::get_as(&app, &me, &format!("/v1/listings?owner_person_id={pid}")).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "one row, not two: {mine}");

    // The same key with another body is refused; a new key makes a new row.
    let mut other = body.clone();
    other["title"] = json!("Iets anders");
    let (s, v, _) = post("retry-1", other.clone(), me.clone()).await;
    common::assert_problem(s, &v, 422, "Idempotency-Key");
    let (s, _, _) = post("retry-2", other, me.clone()).await;
    assert_eq!(s, 201);
    // Keys of different callers never meet: another person's same key runs afresh (and is refused).
    let (_, stranger) = common::poelenburg_person(&app, "Vreemde").await;
    let (s, v, replayed) = post("retry-1", body.clone(), stranger).await;
    assert_eq!(s, 403, "{v}");
    assert!(!replayed);
    // A malformed key names the header.
    let (s, v, _) = post("   ", body, me.clone()).await;
    common::assert_problem(s, &v, 400, "Idempotency-Key");
    let (_, mine) = common::get_as(&app, &me, &format!("/v1/listings?owner_person_id={pid}")).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
});

// ---------------------------------------------------------------------------------------------
// The real server on a loopback port, spoken to over raw sockets: what poem's TestClient cannot
// show (slow, idle and too many clients; what hyper answers before the app sees a request).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use buurtkracht::config::HttpSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Serves the test app on a fresh loopback port, as `buurtkracht serve` does, under `limits`.
async fn serve(app: &TestApp, limits: HttpSettings) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ep = app.app.endpoint();
    tokio::spawn(buurtkracht::server::serve(listener, ep, limits, std::future::pending(), Duration::from_secs(1)));
    addr
}

/// Limits in milliseconds, so that the tests wait a second rather than the production ten.
fn limits(header_ms: u64, body_ms: u64, idle_ms: u64, max_connections: usize) -> HttpSettings {
    HttpSettings {
        header_timeout: Duration::from_millis(header_ms),
        body_timeout: Duration::from_millis(body_ms),
        idle_timeout: Duration::from_millis(idle_ms),
        max_connections,
    }
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.unwrap()
}

/// Reads until the server closes the connection or `bound` passes: the bytes read when it
/// closed, `None` when it was still open.
async fn closes_within(s: &mut TcpStream, bound: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(bound, read_all).await.ok().map(|()| got)
}

/// One HTTP/1.1 response read off a raw socket.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as a problem document, checking the media type.
    fn problem(&self) -> serde_json::Value {
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{self:?}");
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

fn parse_response(bytes: &[u8]) -> Option<Raw> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned())).collect();
    let len: usize = headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
    let body = bytes.get(end + 4..end + 4 + len)?;
    Some(Raw { status, headers, body: String::from_utf8_lossy(body).into_owned() })
}

/// Reads one whole response (bodies with a `Content-Length` only, which is what the app sends).
async fn response(s: &mut TcpStream, bound: Duration) -> Raw {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(r) = parse_response(&got) {
                return r;
            }
            let n = s.read(&mut buf).await.expect("reading the response");
            assert!(n > 0, "closed before a whole response: {:?}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(bound, read).await.expect("no response in time")
}

async fn get_raw(s: &mut TcpStream, path: &str) -> Raw {
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes()).await.unwrap();
    response(s, Duration::from_secs(10)).await
}

edge_test!(a_client_that_stops_sending_headers_is_cut_off, |e| common::spawn_on(e, false), |app: TestApp| async move {
    let addr = serve(&app, limits(1_000, 30_000, 30_000, 100)).await;
    // Half a request head: closed after the header timeout, not before, without an answer.
    let mut half = connect(addr).await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n").await.unwrap();
    let started = Instant::now();
    assert!(closes_within(&mut half, Duration::from_millis(500)).await.is_none(), "closed before the header timeout");
    let got = closes_within(&mut half, Duration::from_secs(3)).await.expect("still open 3.5 s after half a head");
    assert!(got.is_empty(), "{:?}", String::from_utf8_lossy(&got));
    assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
    // A connection that says nothing at all is cut off as soon.
    let mut silent = connect(addr).await;
    assert!(closes_within(&mut silent, Duration::from_secs(3)).await.is_some(), "a silent connection stays open");
    // A head that is slow but arrives in time is answered.
    let mut slow = connect(addr).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    slow.write_all(b"Host: test\r\n\r\n").await.unwrap();
    assert_eq!(response(&mut slow, Duration::from_secs(3)).await.status, 200);
});

edge_test!(a_body_that_stops_arriving_is_answered_408, |e| common::spawn_on(e, false), |app: TestApp| async move {
    let addr = serve(&app, limits(30_000, 1_000, 30_000, 100)).await;
    let Auth::Bearer(token) = common::new_resident_token() else { unreachable!() };
    let partial = br#"{"display_name": "Ha"#;
    let mut s = connect(addr).await;
    let head = format!(
        "POST /v1/people HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(partial).await.unwrap();
    let started = Instant::now();
    let r = response(&mut s, Duration::from_secs(4)).await;
    assert!(started.elapsed() >= Duration::from_millis(800), "answered before the body timeout: {:?}", started.elapsed());
    assert_eq!(r.status, 408, "{r:?}");
    let v = r.problem();
    common::assert_problem(r.status, &v, 408, "body");
    assert_eq!(v["code"], "body_timeout");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(closes_within(&mut s, Duration::from_secs(2)).await.is_some(), "the connection stays open after a 408");
    // A whole body, sent in two parts within the timeout, is read as usual.
    let body = br#"{"display_name": "Hatice", "home_point": {"lat": 52.4376, "lng": 4.8476}}"#;
    let mut s = connect(addr).await;
    let head = format!(
        "POST /v1/people HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.write_all(&body[10..]).await.unwrap();
    let r = response(&mut s, Duration::from_secs(5)).await;
    assert_eq!(r.status, 201, "{r:?}");
});

edge_test!(idle_connections_are_closed, |e| common::spawn_on(e, false), |app: TestApp| async move {
    let addr = serve(&app, limits(30_000, 30_000, 1_500, 100)).await;
    let mut s = connect(addr).await;
    assert_eq!(get_raw(&mut s, "/healthz").await.status, 200);
    // Kept alive between requests for less than the idle timeout ...
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get_raw(&mut s, "/healthz").await.status, 200);
    // ... and closed once idle for longer, though the header timeout is far off.
    let started = Instant::now();
    assert!(closes_within(&mut s, Duration::from_secs(4)).await.is_some(), "an idle connection stays open");
    assert!(started.elapsed() >= Duration::from_millis(1_300), "{:?}", started.elapsed());
});

edge_test!(connections_over_the_cap_are_refused_with_503, |e| common::spawn_on(e, false), |app: TestApp| async move {
    let addr = serve(&app, limits(30_000, 30_000, 30_000, 2)).await;
    // Two connections that the server has certainly taken: each was answered once.
    let mut first = connect(addr).await;
    let mut second = connect(addr).await;
    assert_eq!(get_raw(&mut first, "/healthz").await.status, 200);
    assert_eq!(get_raw(&mut second, "/healthz").await.status, 200);
    let mut third = connect(addr).await;
    let r = get_raw(&mut third, "/healthz").await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.problem()["code"], "too_many_connections");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(closes_within(&mut third, Duration::from_secs(2)).await.is_some());
    // Once one closes, its place is free again.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut next = connect(addr).await;
        match get_raw(&mut next, "/healthz").await.status {
            200 => break,
            503 if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            s => panic!("a freed place is not taken again: {s}"),
        }
    }
    assert_eq!(get_raw(&mut second, "/healthz").await.status, 200, "the second connection is untouched");
});

edge_test!(oversized_uris_and_headers_are_problems, |e| common::spawn_on(e, false), |app: TestApp| async move {
    let addr = serve(&app, HttpSettings::default()).await;
    let send = |head: String| async move {
        let mut s = connect(addr).await;
        s.write_all(head.as_bytes()).await.unwrap();
        response(&mut s, Duration::from_secs(10)).await
    };
    // A long query that is still within the limit is read as usual.
    let r = send(format!("GET /v1/taxonomy?x={} HTTP/1.1\r\nHost: test\r\n\r\n", "a".repeat(6_000))).await;
    assert_eq!(r.status, 200, "{r:?}");
    // Over it: 414, as a problem naming the URI.
    let r = send(format!("GET /v1/taxonomy?x={} HTTP/1.1\r\nHost: test\r\n\r\n", "a".repeat(10_000))).await;
    let v = r.problem();
    common::assert_problem(r.status, &v, 414, "uri");
    assert_eq!(v["code"], "uri_too_long");
    // Too many header fields (hyper alone would answer a bare 431 from 101 on).
    let many: String = (0..150).map(|i| format!("X-Extra-{i}: {i}\r\n")).collect();
    let r = send(format!("GET /v1/taxonomy HTTP/1.1\r\nHost: test\r\n{many}\r\n")).await;
    let v = r.problem();
    common::assert_problem(r.status, &v, 431, "");
    assert_eq!(v["code"], "header_fields_too_large");
    // Too many header bytes, in few fields: the problem names the largest.
    let big = format!("X-Small: 1\r\nX-Big: {}\r\nX-Also: {}\r\n", "b".repeat(30_000), "c".repeat(10_000));
    let r = send(format!("GET /v1/taxonomy HTTP/1.1\r\nHost: test\r\n{big}\r\n")).await;
    let v = r.problem();
    common::assert_problem(r.status, &v, 431, "x-big");
    // Beyond the server's hard cap hyper refuses the head itself: still 431, and closed.
    let huge = format!("X-Huge: {}\r\n", "h".repeat(100_000));
    let mut s = connect(addr).await;
    s.write_all(format!("GET /v1/taxonomy HTTP/1.1\r\nHost: test\r\n{huge}\r\n").as_bytes()).await.unwrap_or(());
    let got = closes_within(&mut s, Duration::from_secs(5)).await.expect("a huge head leaves the connection open");
    assert!(got.starts_with(b"HTTP/1.1 431"), "{:?}", String::from_utf8_lossy(&got));
});

edge_test!(a_405_lists_the_allowed_methods, |e| common::spawn_on(e, false), |app: TestApp| async move {
    use poem::http::Method;
    let spec: serde_json::Value = serde_json::from_str(&buurtkracht::api::spec_json()).unwrap();
    let all = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
    let mut checked = 0;
    for (template, ops) in spec["paths"].as_object().unwrap() {
        let path: String = template
            .split('/')
            .map(|s| if s.starts_with('{') { "0190a7c4-0000-7000-8000-000000000000" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let routed: Vec<String> = ops.as_object().unwrap().keys().map(|m| m.to_ascii_uppercase()).collect();
        let mut want: Vec<&str> = all.iter().map(Method::as_str).filter(|m| routed.iter().any(|r| r == m)).collect();
        if want.contains(&"GET") {
            want.insert(1, "HEAD");
        }
        for method in all.iter().filter(|m| !routed.iter().any(|r| r == m.as_str())) {
            let resp = app.client.request(method.clone(), &path).send().await;
            let allow = resp.0.headers().get("Allow").map(|v| v.to_str().unwrap().to_owned());
            let (status, v) = common::json(resp).await;
            common::assert_problem(status, &v, 405, "");
            assert_eq!(allow.as_deref(), Some(want.join(", ").as_str()), "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} method and path pairs");
    // HEAD really is answered where GET is.
    let resp = app.client.head("/v1/taxonomy").send().await;
    assert_eq!(resp.0.status().as_u16(), 200);
});

edge_test!(probes_ignore_credentials, |e| common::spawn_on(e, false), |app: TestApp| async move {
    let bad = [
        ("Authorization", "Bearer not-a-token"),
        ("Authorization", "Basic dXNlcjpwdw=="),
        ("X-API-Key", "bk_unknown_unknown_unknown_unknown"),
        ("X-API-Key", "garbage"),
    ];
    for (name, value) in bad {
        for probe in ["/healthz", "/readyz"] {
            let resp = app.client.get(probe).header(name, value).send().await;
            assert_eq!(resp.0.status().as_u16(), 200, "{probe} with {name}: {value}");
        }
        // Everywhere else a bad credential is still refused.
        let (s, v) = common::json(app.client.get("/v1/taxonomy").header(name, value).send().await).await;
        common::assert_problem(s, &v, 401, "");
    }
});

/// A log sink for one test: the lines the service's own subscriber writes.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

edge_test!(the_access_log_names_query_parameters_but_never_their_values, |e| common::spawn_on(e, false), |app: TestApp| async move {
    use buurtkracht::config::LogFormat;
    use buurtkracht::telemetry;
    let Auth::Bearer(token) = common::new_resident_token() else { unreachable!() };
    for format in [LogFormat::Json, LogFormat::Text] {
        let sink = Captured::default();
        let writer = sink.clone();
        // The test runtime runs every task on this thread, so this subscriber sees the server's
        // and the handlers' events.
        let filter = tracing_subscriber::EnvFilter::new(telemetry::DEFAULT_FILTER);
        let _guard = tracing::subscriber::set_default(telemetry::subscriber(format, filter, move || writer.clone()));
        let addr = serve(&app, HttpSettings::default()).await;
        let mut s = connect(addr).await;
        s.write_all(
            b"GET /v1/listings?lat=52.4376&lng=4.8476&radius_m=1000&q=geheimwoord HTTP/1.1\r\nHost: test\r\nX-Request-Id: trace-abc-123\r\n\r\n",
        )
        .await
        .unwrap();
        let r = response(&mut s, Duration::from_secs(10)).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.header("x-request-id"), Some("trace-abc-123"));
        // A failing search, a body with the same words, and a request id that is not plain.
        s.write_all(
            b"GET /v1/search?q=geheimwoord&lat=52.4376&lng=oost&geheimwoord=1 HTTP/1.1\r\nHost: test\r\nX-Request-Id: <script>\r\n\r\n",
        )
        .await
        .unwrap();
        let r = response(&mut s, Duration::from_secs(10)).await;
        assert_eq!(r.status, 400, "{r:?}");
        let generated = r.header("x-request-id").expect("a generated request id").to_owned();
        assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");
        let body = r#"{"display_name": "geheimwoord", "home_point": {"lat": 52.4376, "lng": 4.8476}}"#;
        let post = format!(
            "POST /v1/people HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(post.as_bytes()).await.unwrap();
        let r = response(&mut s, Duration::from_secs(10)).await;
        assert!(matches!(r.status, 201 | 409), "{r:?}");

        let log = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        // Timestamps off, so that a fraction of a second cannot read as a coordinate.
        let log: String = log
            .lines()
            .map(|l| match serde_json::from_str::<serde_json::Value>(l) {
                Ok(mut v) => {
                    v.as_object_mut().unwrap().remove("timestamp");
                    v.to_string()
                }
                Err(_) => l.split_once(' ').map_or(l, |(_, rest)| rest).to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        for secret in ["52.4376", "4.8476", "geheimwoord", "<script>", &token] {
            assert!(!log.contains(secret), "{format:?} log holds {secret:?}:\n{log}");
        }
        for wanted in ["trace-abc-123", &generated, "lat,lng,radius_m,q", "q,lat,lng,other", "/v1/listings", "/v1/people"] {
            assert!(log.contains(wanted), "{format:?} log lacks {wanted:?}:\n{log}");
        }
        assert_eq!(log.lines().filter(|l| l.contains("trace-abc-123")).count(), 1, "{log}");
    }
});

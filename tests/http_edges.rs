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

//! `/healthz`, `/readyz`, `/openapi.json` and `/docs` through the real app.
mod common;

api_test!(readiness_reports_database_migrations_and_areas, false, |app: common::TestApp| async move {
    let (status, body) = common::json(app.client.get("/readyz").send().await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    for check in ["database", "migrations", "areas"] {
        assert_eq!(body["checks"][check], "ok", "{body}");
    }
    let (status, body) = common::json(app.client.get("/healthz").send().await).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
});

api_test!(readiness_fails_when_the_database_is_gone, false, |app: common::TestApp| async move {
    app.app.state.db.clone().close().await.unwrap();
    let resp = app.client.get("/readyz").send().await;
    let status = resp.0.status().as_u16();
    let body: serde_json::Value = serde_json::from_str(&resp.0.into_body().into_string().await.unwrap()).unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["database"], "unreachable");
});

api_test!(spec_and_docs_are_served, false, |app: common::TestApp| async move {
    let (status, spec) = common::json(app.client.get("/openapi.json").send().await).await;
    assert_eq!(status, 200);
    assert_eq!(spec.to_string(), serde_json::from_str::<serde_json::Value>(&buurtkracht::api::spec_json()).unwrap().to_string());
    let resp = app.client.get("/docs").send().await;
    resp.assert_status_is_ok();
    let html = resp.0.into_body().into_string().await.unwrap();
    assert!(html.contains("swagger"), "docs page is Swagger UI");
});

//! The contract check of the test harness (tests/common/contract.rs) can fail: answers that
//! break the committed spec in each way issue 14 found are refused, and conforming ones pass.

mod common;

use common::contract::{check, to_json_schema};
use serde_json::json;

const JSON: &str = "application/json; charset=utf-8";
const PROBLEM: &str = "application/problem+json";

fn problem(extra: serde_json::Value) -> Vec<u8> {
    let mut p = json!({"type": "https://buurtkracht.nl/problems/not_found", "title": "Not found", "status": 404,
        "code": "not_found", "errors": []});
    p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    p.to_string().into_bytes()
}

#[test]
fn a_conforming_problem_passes() {
    let id = "/v1/initiatives/0190a3c2-0000-7000-8000-000000000000";
    check("GET", id, 404, PROBLEM, &problem(json!({"detail": "no initiative with this id"}))).unwrap();
}

#[test]
fn null_for_an_optional_field_is_refused() {
    let id = "/v1/initiatives/0190a3c2-0000-7000-8000-000000000000";
    let err = check("GET", id, 404, PROBLEM, &problem(json!({"detail": null}))).unwrap_err();
    assert!(err.contains("/detail"), "{err}");
    let page = json!({"items": [], "next_cursor": null}).to_string();
    let err = check("GET", "/v1/areas", 200, JSON, page.as_bytes()).unwrap_err();
    assert!(err.contains("/next_cursor"), "{err}");
    check("GET", "/v1/areas", 200, JSON, json!({"items": []}).to_string().as_bytes()).unwrap();
}

#[test]
fn a_problem_without_errors_is_refused() {
    let body = json!({"type": "t", "title": "Not found", "status": 404, "code": "not_found"}).to_string();
    let err = check("GET", "/v1/areas/GM0479", 404, PROBLEM, body.as_bytes()).unwrap_err();
    assert!(err.contains("errors"), "{err}");
}

#[test]
fn an_undocumented_status_or_media_type_is_refused() {
    let err = check("GET", "/v1/taxonomy", 404, PROBLEM, &problem(json!({"status": 404}))).unwrap_err();
    assert!(err.contains("not documented"), "{err}");
    let err = check("GET", "/v1/areas", 200, "text/html", b"<html></html>").unwrap_err();
    assert!(err.contains("text/html"), "{err}");
    let err = check("GET", "/v1/areas", 404, "text/plain", b"not found").unwrap_err();
    assert!(err.contains("problem+json"), "{err}");
    let err = check("DELETE", "/v1/keys/0190a3c2-0000-7000-8000-000000000000", 204, JSON, b"{}").unwrap_err();
    assert!(err.contains("without a body"), "{err}");
}

#[test]
fn answers_outside_every_operation_must_be_problems() {
    check("GET", "/v2/initiatives", 404, PROBLEM, &problem(json!({}))).unwrap();
    check("PUT", "/v1/taxonomy", 405, PROBLEM, &problem(json!({"status": 405, "code": "method_not_allowed"}))).unwrap();
    assert!(check("GET", "/v2/initiatives", 404, "text/plain", b"").is_err());
    assert!(check("GET", "/v2/initiatives", 200, JSON, b"{}").is_err());
}

#[test]
fn path_templates_prefer_literal_segments() {
    // `/v1/areas/locate` answers a Location, `/v1/areas/{code}` an Area: a body of one is
    // refused on the other, so the literal template must have been chosen for `locate`.
    let area = json!({"code": "GM0479", "level": "gemeente", "name": "Zaanstad"}).to_string();
    let err = check("GET", "/v1/areas/locate", 200, JSON, area.as_bytes()).unwrap_err();
    assert!(err.contains("/v1/areas/locate"), "{err}");
}

#[test]
fn openapi_nullable_and_exclusive_bounds_translate() {
    let s = to_json_schema(&json!({"type": "object", "properties": {
        "nullable": {"type": "string", "nullable": true},
        "r": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 5}}}));
    let v = jsonschema::validator_for(&s).unwrap();
    assert!(v.is_valid(&json!({"nullable": null, "r": 5})));
    assert!(!v.is_valid(&json!({"r": 0})));
    assert!(!v.is_valid(&json!({"r": 5.5})));
    assert!(v.is_valid(&json!({"r": 0.1})));
}

#[test]
fn head_is_checked_as_get_without_a_body() {
    check("HEAD", "/v1/areas", 200, JSON, b"").unwrap();
    assert!(check("HEAD", "/v1/areas", 418, PROBLEM, b"").is_err());
}

api_test!(geojson_properties_omit_absent_fields_too, false, |app: common::TestApp| async move {
    // A gemeente has no gemeente of its own: the key is left out rather than null.
    let fc = common::get_geojson(&app, "/v1/areas?level=gemeente").await;
    let features = fc["features"].as_array().unwrap();
    assert!(!features.is_empty(), "{fc}");
    for f in features {
        let props = f["properties"].as_object().unwrap();
        assert!(props.values().all(|v| !v.is_null()), "{f}");
    }
});

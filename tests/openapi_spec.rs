//! The committed spec under openapi/ must equal what the code generates.

#[test]
fn committed_spec_matches_the_code() {
    let generated = buurtkracht::api::spec_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(path, format!("{generated}\n")).unwrap();
    }
    let committed =
        std::fs::read_to_string(path).expect("openapi/openapi.json exists; run UPDATE_OPENAPI=1 cargo test --test openapi_spec");
    assert_eq!(
        committed.trim_end(),
        generated.trim_end(),
        "openapi/openapi.json drifted from the code; regenerate with UPDATE_OPENAPI=1 cargo test --test openapi_spec"
    );
}

#[test]
fn every_operation_has_an_id_a_tag_and_problem_responses() {
    let spec: serde_json::Value = serde_json::from_str(&buurtkracht::api::spec_json()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.contains_key("/v1/initiatives") && paths.contains_key("/v1/areas/locate"));
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["operationId"].is_string(), "{method} {path} has no operationId");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{method} {path} has no tag");
            if path.starts_with("/v1/") && path != "/v1/taxonomy" {
                let bad = &op["responses"]["400"]["content"]["application/problem+json"];
                assert!(bad.is_object(), "{method} {path} does not document its 400 problem");
            }
        }
    }
}

/// Problems name a malformed path parameter `id` because poem-openapi only reports its position;
/// that holds while every route has at most one path parameter, `id` or the string `code`.
#[test]
fn path_parameters_are_single_and_named_id_or_code() {
    let spec: serde_json::Value = serde_json::from_str(&buurtkracht::api::spec_json()).unwrap();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let in_path: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| ps.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            assert!(in_path.len() <= 1, "{method} {path} has several path parameters: {in_path:?}");
            assert!(in_path.iter().all(|n| *n == "id" || *n == "code"), "{method} {path}: {in_path:?}");
        }
    }
}

/// Every `/v1` operation states how callers authenticate: required (bearer or API key) or
/// optional (the same, or none).
#[test]
fn every_operation_shows_its_security() {
    let spec: serde_json::Value = serde_json::from_str(&buurtkracht::api::spec_json()).unwrap();
    let schemes = spec["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");
    let mut seen = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in ops.as_object().unwrap() {
            let security = op["security"].as_array().unwrap_or_else(|| panic!("{method} {path} has no security"));
            let names: Vec<String> = security.iter().flat_map(|s| s.as_object().unwrap().keys().cloned()).collect();
            assert!(names.contains(&"bearer".to_owned()) && names.contains(&"api_key".to_owned()), "{method} {path}: {security:?}");
            seen += 1;
        }
    }
    assert!(seen > 30, "{seen}");
}

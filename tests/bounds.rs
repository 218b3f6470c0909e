//! Every bound the spec states is one the code checks (issue 14): the spec's schemas are walked,
//! and for each bound (maxLength, minLength, pattern, maxItems, minItems, minimum, maximum) a
//! value just past it is sent; the answer must be a 400 naming that field. Query and path
//! parameters are walked for every operation; request bodies for a representative set of
//! operations, nested objects and array items included. Unknown body fields must be refused
//! too, as the bodies' `additionalProperties: false` says.
mod common;

use common::{Auth, TestApp};
use serde_json::{Value, json};

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A schema with its `$ref`s and `allOf` parts folded in (the keywords this walk reads).
fn effective(spec: &Value, schema: &Value) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        out.extend(effective(spec, &spec["components"]["schemas"][name]));
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        out.extend(effective(spec, part));
    }
    for (k, v) in schema.as_object().into_iter().flatten() {
        if k != "$ref" && k != "allOf" {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// A string the pattern refuses, if one of a few candidates is.
fn breaking(pattern: &str) -> Option<Value> {
    let schema = json!({"type": "string", "pattern": pattern});
    ["~", " ", ""].iter().map(|c| json!(c)).find(|c| !jsonschema::is_valid(&schema, c))
}

/// One value just past a bound: the path of the field (as problems name it), the value to put
/// there, and the bound, for messages.
struct Past {
    path: String,
    value: Value,
    bound: String,
}

/// Values just past the bounds of a scalar schema (string, number, integer).
fn scalar_past(s: &serde_json::Map<String, Value>, path: &str, out: &mut Vec<Past>) {
    let mut push = |value: Value, bound: String| out.push(Past { path: path.to_owned(), value, bound });
    let integer = s.get("type") == Some(&json!("integer"));
    let step = if integer { 1.0 } else { 0.5 };
    let num = |v: f64| if integer { json!(v as i64) } else { json!(v) };
    if let Some(n) = s.get("maxLength").and_then(Value::as_u64) {
        push(json!("x".repeat(n as usize + 1)), format!("maxLength {n}"));
    }
    if let Some(n) = s.get("minLength").and_then(Value::as_u64).filter(|n| *n > 0) {
        push(json!("x".repeat(n as usize - 1)), format!("minLength {n}"));
    }
    if let Some(p) = s.get("pattern").and_then(Value::as_str)
        && let Some(v) = breaking(p)
    {
        push(v, format!("pattern {p}"));
    }
    if let Some(m) = s.get("maximum").and_then(Value::as_f64) {
        push(num(m + step), format!("maximum {m}"));
    }
    if let Some(m) = s.get("minimum").and_then(Value::as_f64) {
        let exclusive = s.get("exclusiveMinimum") == Some(&json!(true));
        push(if exclusive { num(m) } else { num(m - step) }, format!("minimum {m} exclusive {exclusive}"));
    }
}

/// Every value just past a bound of `schema`, with `valid` the valid value at this place (its
/// nested objects and first array items are walked where the valid body has them, so that the
/// value past a bound is the only thing wrong).
fn walk(spec: &Value, schema: &Value, valid: Option<&Value>, path: &str, out: &mut Vec<Past>) {
    let s = effective(spec, schema);
    match s.get("type").and_then(Value::as_str) {
        Some("object") if valid.is_some() => {
            for (name, prop) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
                let p = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                walk(spec, prop, valid.and_then(|v| v.get(name)), &p, out);
            }
        }
        Some("object") => {}
        Some("array") => {
            let first = valid.and_then(|v| v.get(0)).cloned();
            let items = s.get("items").cloned().unwrap_or(Value::Null);
            let one = first.clone().or_else(|| effective(spec, &items).get("enum").and_then(|e| e.get(0)).cloned());
            if let (Some(n), Some(one)) = (s.get("maxItems").and_then(Value::as_u64), &one) {
                // The same item over and over: the count the spec bounds is the count sent.
                out.push(Past { path: path.to_owned(), value: json!(vec![one.clone(); n as usize + 1]), bound: format!("maxItems {n}") });
            }
            if s.get("minItems").and_then(Value::as_u64) == Some(1) {
                out.push(Past { path: path.to_owned(), value: json!([]), bound: "minItems 1".into() });
            }
            let mut inner = Vec::new();
            walk(spec, &items, first.as_ref(), &format!("{path}[0]"), &mut inner);
            out.extend(inner);
        }
        _ => scalar_past(&s, path, out),
    }
}

/// Puts `value` at a path such as `schedule[0].start` in a copy of `body`.
fn with_at(body: &Value, path: &str, value: Value) -> Value {
    let mut out = body.clone();
    let mut at = &mut out;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (*part, None),
        };
        let last = i == parts.len() - 1;
        if last && index.is_none() {
            at[name] = value;
            return out;
        }
        if at.get(name).is_none() {
            at[name] = if index.is_some() { json!([]) } else { json!({}) };
        }
        at = &mut at[name];
        if let Some(ix) = index {
            let arr = at.as_array_mut().unwrap();
            if arr.len() <= ix {
                arr.resize(ix + 1, Value::Null);
            }
            if last {
                arr[ix] = value;
                return out;
            }
            at = &mut arr[ix];
        }
    }
    out
}

fn fields(v: &Value) -> Vec<String> {
    v["errors"].as_array().map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// One request body to walk.
struct BodyCase {
    method: &'static str,
    url: String,
    auth: Auth,
    /// The schema of the body, as named in `components.schemas`.
    schema: &'static str,
    valid: Value,
    /// The status the valid body gets; `None` when it cannot succeed here (a code no one issued).
    ok: Option<u16>,
    /// Each request as a new resident (a person is created once per credential).
    fresh: bool,
}

/// A resolution-8 cell in Poelenburg, as the wire writes cells.
fn poelenburg_cell() -> String {
    let (lat, lng) = common::POELENBURG;
    h3o::LatLng::new(lat, lng).unwrap().to_cell(h3o::Resolution::Eight).to_string()
}

async fn body_cases(app: &TestApp) -> Vec<BodyCase> {
    let range = json!([{"weekday": "tue", "start": "09:00", "end": "12:00"}]);
    let contact = json!({"email": "buurt@example.nl", "phone": "075 123 4567", "website": "https://buurt.example"});
    let initiative = json!({
        "name": "Buurtkamer", "description": "Koffie en een praatje.", "kind": "resident_initiative",
        "categories": ["meeting_place"], "zrm_domains": ["sociaal_netwerk"],
        "location": {"lat": common::POELENBURG.0, "lng": common::POELENBURG.1},
        "address": {"street": "Pieter Lastmankade", "house_number": "1a", "postcode": "1504 AB", "city": "Zaandam"},
        "schedule": range, "schedule_note": "Niet in de zomer", "contact": contact, "languages": ["nl"],
        "accessibility": "Rolstoeltoegankelijk", "cost": {"kind": "contribution", "note": "Koffie 1 euro"}, "capacity": 20,
    });
    let (ini_id, organiser) = common::new_initiative(app, initiative.clone()).await;
    let (person, resident) = common::poelenburg_person(app, "Fatima").await;
    let admin = common::zaanstad_admin();
    let pro = common::zaanstad_professional();
    vec![
        BodyCase {
            method: "POST",
            url: "/v1/initiatives".into(),
            auth: organiser.clone(),
            schema: "InitiativeInput",
            valid: initiative,
            ok: Some(201),
            fresh: false,
        },
        BodyCase {
            method: "PATCH",
            url: format!("/v1/initiatives/{ini_id}"),
            auth: organiser,
            schema: "InitiativePatch",
            valid: json!({"name": "Buurtkamer Oost", "schedule": range, "languages": ["nl"], "capacity": 5, "categories": ["meeting_place"],
                "zrm_domains": ["sociaal_netwerk"], "schedule_note": "Ook in de zomer", "accessibility": "Lift", "description": "Koffie."}),
            ok: Some(200),
            fresh: false,
        },
        BodyCase {
            method: "POST",
            url: "/v1/listings".into(),
            auth: resident.clone(),
            schema: "ListingInput",
            valid: json!({"kind": "request", "title": "Boodschappen", "description": "Op dinsdag", "categories": ["groceries"],
                "zrm_domains": ["basale_adl"], "owner": {"person_id": person}, "availability": range, "languages": ["nl"]}),
            ok: Some(201),
            fresh: false,
        },
        BodyCase {
            method: "POST",
            url: "/v1/people".into(),
            auth: common::new_resident_token(),
            schema: "PersonInput",
            valid: json!({"display_name": "Jan", "languages": ["nl"], "contact": contact, "home_cell": poelenburg_cell(), "precision": 8}),
            ok: Some(201),
            fresh: true,
        },
        BodyCase {
            method: "POST",
            url: "/v1/volunteers".into(),
            auth: resident.clone(),
            schema: "VolunteerInput",
            valid: json!({"person_id": person, "skills": ["repair"], "zrm_domains": ["tijdsbesteding"], "languages": ["nl"],
                "availability": range, "max_travel_m": 2000}),
            ok: Some(201),
            fresh: false,
        },
        BodyCase {
            method: "POST",
            url: "/v1/consents".into(),
            auth: resident.clone(),
            schema: "ConsentInput",
            valid: json!({"purpose": "Hulp via het wijkteam", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["contact"]}),
            ok: Some(201),
            fresh: false,
        },
        BodyCase {
            method: "POST",
            url: "/v1/match".into(),
            auth: pro.clone(),
            schema: "AdHocNeed",
            valid: json!({"categories": ["groceries"], "zrm_domains": ["basale_adl"], "cell": poelenburg_cell(), "radius_m": 2000,
                "availability": range, "languages": ["nl"], "limit": 10}),
            ok: Some(200),
            fresh: false,
        },
        BodyCase {
            method: "POST",
            url: "/v1/areas/GM0479/matching-runs".into(),
            auth: pro,
            schema: "RunInput",
            valid: json!({"radius_m": 2000, "volunteer_capacity": 2, "candidates_per_request": 10}),
            ok: Some(201),
            fresh: false,
        },
        BodyCase {
            method: "POST",
            url: "/v1/keys".into(),
            auth: admin.clone(),
            schema: "KeyInput",
            valid: json!({"label": "Import", "role": "admin", "gemeenten": ["GM0479"]}),
            ok: Some(201),
            fresh: false,
        },
        BodyCase {
            method: "POST",
            url: "/v1/professionals".into(),
            auth: admin,
            schema: "ScopeInput",
            valid: json!({"subject": "pro-1", "gemeente": "GM0479"}),
            ok: Some(201),
            fresh: false,
        },
        BodyCase {
            method: "POST",
            url: "/v1/invitations/accept".into(),
            auth: resident,
            schema: "AcceptInvitation",
            valid: json!({"code": "no-such-code"}),
            ok: None,
            fresh: false,
        },
    ]
}

api_test!(every_body_bound_in_the_spec_is_checked, false, |app: TestApp| async move {
    let spec = spec();
    let mut failures = Vec::new();
    let mut tried = 0;
    for case in body_cases(&app).await {
        let send = |body: Value| {
            let auth = if case.fresh { common::new_resident_token() } else { case.auth.clone() };
            let (app, case) = (&app, &case);
            async move { common::send(app, case.method, &case.url, &auth, Some(&body)).await }
        };
        if let Some(ok) = case.ok {
            let (s, v) = send(case.valid.clone()).await;
            assert_eq!(s, ok, "{} {}: the valid body is refused: {v}", case.method, case.url);
        }
        let schema = json!({"$ref": format!("#/components/schemas/{}", case.schema)});
        let mut pasts = Vec::new();
        walk(&spec, &schema, Some(&case.valid), "", &mut pasts);
        assert!(!pasts.is_empty(), "{}: no bounds found", case.schema);
        for past in pasts {
            tried += 1;
            let body = with_at(&case.valid, &past.path, past.value.clone());
            let (s, v) = send(body).await;
            if s != 400 || !fields(&v).contains(&past.path) {
                failures.push(format!("{} {} {} = {} ({}): {s} {v}", case.method, case.url, past.path, past.value, past.bound));
            }
        }
        // Unknown fields are refused, as `additionalProperties: false` says.
        let mut unknown = case.valid.clone();
        unknown["zz_unknown"] = json!(1);
        let (s, v) = send(unknown).await;
        if s != 400 || !fields(&v).iter().any(|f| f.contains("zz_unknown")) {
            failures.push(format!("{} {} with an unknown field: {s} {v}", case.method, case.url));
        }
        assert_eq!(spec["components"]["schemas"][case.schema]["additionalProperties"], false, "{}", case.schema);
    }
    assert!(
        failures.is_empty(),
        "{} of {tried} values past a bound not refused as the spec says:\n{}",
        failures.len(),
        failures.join("\n")
    );
});

/// A value for a required parameter, so that the one under test is the one that fails.
fn valid_param(name: &str) -> String {
    match name {
        "lat" => common::POELENBURG.0.to_string(),
        "lng" => common::POELENBURG.1.to_string(),
        "gemeente" | "code" => "GM0479".into(),
        "subject" => "pro-1".into(),
        _ => uuid::Uuid::now_v7().to_string(),
    }
}

api_test!(every_parameter_bound_in_the_spec_is_checked, false, |app: TestApp| async move {
    let spec = spec();
    let auth = common::zaanstad_admin();
    let mut failures = Vec::new();
    let mut tried = 0;
    for (template, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for param in &params {
                let name = param["name"].as_str().unwrap();
                let mut pasts = Vec::new();
                scalar_past(&effective(&spec, &param["schema"]), name, &mut pasts);
                for past in pasts {
                    tried += 1;
                    let text = match &past.value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let mut path = template.clone();
                    let mut query = Vec::new();
                    for p in &params {
                        let n = p["name"].as_str().unwrap();
                        let v = if n == name { text.clone() } else { valid_param(n) };
                        if p["in"] == "path" {
                            path = path.replace(&format!("{{{n}}}"), &v);
                        } else if n == name || p["required"] == true {
                            query.push(format!("{n}={}", v.replace(' ', "%20").replace('~', "%7E")));
                        }
                    }
                    let url = if query.is_empty() { path } else { format!("{path}?{}", query.join("&")) };
                    let body = op.get("requestBody").map(|_| json!({}));
                    let (s, v) = common::send(&app, &method.to_uppercase(), &url, &auth, body.as_ref()).await;
                    if s != 400 || !fields(&v).iter().any(|f| f == name) {
                        failures.push(format!("{} {url} ({}): {s} {v}", method.to_uppercase(), past.bound));
                    }
                }
            }
        }
    }
    assert!(tried > 40, "{tried}");
    assert!(
        failures.is_empty(),
        "{} of {tried} parameters past a bound not refused as the spec says:\n{}",
        failures.len(),
        failures.join("\n")
    );
});

api_test!(unknown_fields_in_nested_objects_are_refused, false, |app: TestApp| async move {
    let (_, org) = common::poelenburg_person(&app, "Organiser").await;
    let body = json!({"name": "Buurtkamer", "description": "Koffie.", "kind": "resident_initiative", "categories": ["meeting_place"],
        "location": {"lat": common::POELENBURG.0, "lng": common::POELENBURG.1, "alt": 3}});
    let (s, v) = common::post_as(&app, &org, "/v1/initiatives", body).await;
    common::assert_problem(s, &v, 400, "location");
});

#[test]
fn with_at_places_values_in_nested_objects_and_arrays() {
    let body = json!({"a": {"b": 1}, "list": [{"x": 1}]});
    assert_eq!(with_at(&body, "a.b", json!(2)), json!({"a": {"b": 2}, "list": [{"x": 1}]}));
    assert_eq!(with_at(&body, "list[0].x", json!(3)), json!({"a": {"b": 1}, "list": [{"x": 3}]}));
    assert_eq!(with_at(&body, "langs[0]", json!("~")), json!({"a": {"b": 1}, "list": [{"x": 1}], "langs": ["~"]}));
}

//! Bad input, mostly on `/v1/initiatives`: every case answers a 4xx `application/problem+json`
//! naming the field at fault, and a refused write stores nothing. Writes are sent with valid
//! credentials (an organiser's), so that the body is actually parsed: credentials are checked
//! before the body, and an anonymous write is refused with 401 whatever it holds.
mod common;

use common::Auth;
use serde_json::{Value, json};

type App = common::TestApp;

fn valid() -> Value {
    json!({
        "name": "Buurtkamer",
        "description": "Koffie en een praatje.",
        "kind": "resident_initiative",
        "categories": ["meeting_place"],
        "location": {"lat": common::POELENBURG.0, "lng": common::POELENBURG.1},
    })
}

fn with(field: &str, value: Value) -> Value {
    let mut b = valid();
    b[field] = value;
    b
}

/// How many initiatives are stored, and the stored state of all of them.
async fn snapshot(app: &App) -> Vec<Value> {
    let (status, page) = common::json(app.client.get("/v1/initiatives?limit=200").send().await).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// The header that carries `auth`, if any.
fn auth_header(auth: &Auth) -> Option<(&'static str, String)> {
    match auth {
        Auth::None => None,
        Auth::Bearer(t) => Some(("Authorization", format!("Bearer {t}"))),
        Auth::Key(k) => Some(("X-API-Key", k.clone())),
    }
}

/// `POST /v1/initiatives` as `auth` with raw bytes and an optional content type.
async fn post_raw(app: &App, auth: &Auth, content_type: Option<&str>, body: impl Into<poem::Body>) -> (u16, Value) {
    let mut req = app.client.post("/v1/initiatives");
    if let Some((name, value)) = auth_header(auth) {
        req = req.header(name, value);
    }
    if let Some(ct) = content_type {
        req = req.content_type(ct);
    }
    common::json(req.body(body).send().await).await
}

/// `PATCH url` as `auth` with a raw body and content type.
async fn patch_raw(app: &App, auth: &Auth, url: &str, content_type: &str, body: String) -> (u16, Value) {
    let mut req = app.client.patch(url);
    if let Some((name, value)) = auth_header(auth) {
        req = req.header(name, value);
    }
    common::json(req.content_type(content_type).body(body).send().await).await
}

async fn get(app: &App, url: &str) -> (u16, Value) {
    common::json(app.client.get(url).send().await).await
}

/// Starts with one stored initiative so that "nothing changed" means something; returns the
/// stored state and its organiser's credentials, which every later write in the test uses.
async fn one(app: &App) -> (Vec<Value>, Auth) {
    let (_, org) = common::new_initiative(app, valid()).await;
    let before = snapshot(app).await;
    assert_eq!(before.len(), 1);
    (before, org)
}

api_test!(bad_create_bodies_name_the_field_and_store_nothing, false, |app: App| async move {
    let (before, org) = one(&app).await;
    let long_name = "x".repeat(201);
    let cases: Vec<(Value, u16, &str)> = vec![
        (with("location", json!({"lat": 91.0, "lng": 4.8})), 400, "location.lat"),
        (with("location", json!({"lat": -90.01, "lng": 4.8})), 400, "location.lat"),
        (with("location", json!({"lat": 52.4, "lng": 180.5})), 400, "location.lng"),
        (with("location", json!({"lat": 52.4, "lng": -181})), 400, "location.lng"),
        (with("location", json!({"lat": 52.4})), 400, "location"),
        (with("location", json!({"lat": "52.4", "lng": 4.8})), 400, "location.lat"),
        (with("categories", json!(["flying"])), 400, "categories[0]"),
        (with("categories", json!(["meeting_place", "flying"])), 400, "categories[1]"),
        (with("categories", json!([])), 400, "categories"),
        (with("zrm_domains", json!(["geluk"])), 400, "zrm_domains[0]"),
        (with("kind", json!("hobby")), 400, "kind"),
        (with("status", json!("sleeping")), 400, "status"),
        (with("name", json!(5)), 400, "name"),
        (with("name", json!("   ")), 400, "name"),
        (with("name", json!(long_name)), 400, "name"),
        (with("name", json!("Buurt\u{0007}kamer")), 400, "name"),
        (with("description", json!("d".repeat(5001))), 400, "description"),
        (with("colour", json!("red")), 400, "colour"),
        (with("address", json!({"street": "Wezelstraat", "flat": "2"})), 400, "flat"),
        (with("address", json!({"postcode": "123"})), 400, "address.postcode"),
        (with("contact", json!({"email": "not-an-address"})), 400, "contact.email"),
        (with("contact", json!({"website": "ftp://x.nl"})), 400, "contact.website"),
        (with("capacity", json!(0)), 400, "capacity"),
        (with("capacity", json!(100001)), 400, "capacity"),
        (with("languages", json!(["dutch"])), 400, "languages[0]"),
        (with("schedule", json!([{"weekday": "monday", "start": "14:00", "end": "12:00"}])), 400, "schedule[0]"),
        (with("schedule", json!([{"weekday": "someday", "start": "10:00", "end": "12:00"}])), 400, "schedule[0].weekday"),
        (json!("a string"), 400, "body"),
        (with("location", json!({"lat": common::NORTH_SEA.0, "lng": common::NORTH_SEA.1})), 422, "location"),
    ];
    for (body, want, field) in cases {
        let (status, v) = common::post_as(&app, &org, "/v1/initiatives", body.clone()).await;
        common::assert_problem(status, &v, want, field);
        assert_eq!(snapshot(&app).await, before, "refused body {body} changed the data");
        // Without credentials the same body is refused before it is read.
        let (status, v) = common::post(&app, "/v1/initiatives", body.clone()).await;
        common::assert_problem(status, &v, 401, "");
        assert_eq!(snapshot(&app).await, before, "anonymous body {body} changed the data");
    }
    // Exactly 200 characters, counted as characters not bytes, is fine.
    let (status, v) = common::post_as(&app, &org, "/v1/initiatives", with("name", json!("é".repeat(200)))).await;
    assert_eq!(status, 201, "{v}");
});

api_test!(malformed_and_oversized_bodies, false, |app: App| async move {
    let (before, org) = one(&app).await;
    let cases: Vec<(Option<&str>, Vec<u8>, u16, &str)> = vec![
        (Some("application/json"), Vec::new(), 400, "body"),
        (Some("application/json"), b"null".to_vec(), 400, "body"),
        (Some("application/json"), vec![0xff, 0xfe, 0x00], 400, "body"),
        (Some("application/json"), format!("{{\"name\": \"{}\"}}", "a".repeat(1024 * 1024 + 10)).into_bytes(), 413, "body"),
        (None, serde_json::to_vec(&valid()).unwrap(), 415, ""),
        (Some("text/plain"), serde_json::to_vec(&valid()).unwrap(), 415, ""),
        (Some("application/x-www-form-urlencoded"), b"name=x".to_vec(), 415, ""),
        (Some("not a media type"), serde_json::to_vec(&valid()).unwrap(), 415, ""),
    ];
    for (ct, bytes, want, field) in cases {
        let (status, v) = post_raw(&app, &org, ct, bytes.clone()).await;
        common::assert_problem(status, &v, want, field);
        assert_eq!(snapshot(&app).await, before, "content type {ct:?} changed the data");
        // Without credentials it is refused before the body is read.
        let (status, v) = post_raw(&app, &Auth::None, ct, bytes.clone()).await;
        common::assert_problem(status, &v, 401, "");
        assert_eq!(snapshot(&app).await, before, "anonymous, content type {ct:?} changed the data");
    }
    // A JSON subtype with +json is accepted.
    let (status, v) = post_raw(&app, &org, Some("application/vnd.api+json"), serde_json::to_vec(&valid()).unwrap()).await;
    assert_eq!(status, 201, "{v}");
});

api_test!(bad_patches_name_the_field_and_change_nothing, false, |app: App| async move {
    let (before, org) = one(&app).await;
    let id = before[0]["id"].as_str().unwrap().to_owned();
    let url = format!("/v1/initiatives/{id}");
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("application/merge-patch+json", json!({"location": {"lat": 91}}).to_string(), 400, "location.lat"),
        ("application/merge-patch+json", json!({"categories": ["flying"]}).to_string(), 400, "categories[0]"),
        ("application/merge-patch+json", json!({"kind": 3}).to_string(), 400, "kind"),
        ("application/merge-patch+json", json!({"name": "n".repeat(201)}).to_string(), 400, "name"),
        ("application/merge-patch+json", json!({"colour": "red"}).to_string(), 400, "colour"),
        ("application/merge-patch+json", "[1, 2]".into(), 400, "body"),
        ("text/plain", json!({"name": "Nieuw"}).to_string(), 415, ""),
    ];
    for (ct, body, want, field) in cases {
        let (status, v) = patch_raw(&app, &org, &url, ct, body.clone()).await;
        common::assert_problem(status, &v, want, field);
        assert_eq!(snapshot(&app).await, before, "refused patch {body} changed the data");
        // Without credentials the same patch is refused before it is read.
        let (status, v) = patch_raw(&app, &Auth::None, &url, ct, body.clone()).await;
        common::assert_problem(status, &v, 401, "");
        assert_eq!(snapshot(&app).await, before, "anonymous patch {body} changed the data");
    }
    let (status, v) = common::delete_as(&app, &org, "/v1/initiatives/nope").await;
    common::assert_problem(status, &v, 400, "");
    assert_eq!(snapshot(&app).await, before);
});

api_test!(bad_list_parameters_name_the_parameter, false, |app: App| async move {
    let (_, first) = get(&app, "/v1/initiatives?limit=1").await;
    assert!(first["next_cursor"].is_null());
    // Make a newest-order cursor to misuse with another sort.
    let (_, org) = common::poelenburg_person(&app, "Organiser").await;
    for _ in 0..2 {
        let (status, v) = common::post_as(&app, &org, "/v1/initiatives", valid()).await;
        assert_eq!(status, 201, "{v}");
    }
    let (_, page) = get(&app, "/v1/initiatives?limit=1").await;
    let newest_cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let p = common::POELENBURG;
    let cases: Vec<(String, &str)> = vec![
        (format!("lat=91&lng={}&radius_m=100", p.1), "lat"),
        (format!("lat=-91&lng={}&radius_m=100", p.1), "lat"),
        (format!("lat={}&lng=181&radius_m=100", p.0), "lng"),
        (format!("lat={}&lng=-180.1&radius_m=100", p.0), "lng"),
        (format!("lat={}&lng={}&radius_m=0", p.0, p.1), "radius_m"),
        (format!("lat={}&lng={}&radius_m=-5", p.0, p.1), "radius_m"),
        (format!("lat={}&lng={}&radius_m=50001", p.0, p.1), "radius_m"),
        (format!("lat={}&lng={}&radius_m=abc", p.0, p.1), "radius_m"),
        (format!("lat={}&lng={}", p.0, p.1), "radius_m"),
        (format!("lat={}&radius_m=100", p.0), "lng"),
        (format!("lng={}&radius_m=100", p.1), "lat"),
        ("radius_m=100".into(), "lat"),
        ("lat=north&lng=4.8&radius_m=100".into(), "lat"),
        ("category=flying".into(), "category"),
        ("category=meeting_place&category=flying".into(), "category"),
        ("zrm=geluk".into(), "zrm"),
        ("kind=hobby".into(), "kind"),
        ("status=sleeping".into(), "status"),
        ("cell=zzz".into(), "cell"),
        ("cell=8f".into(), "cell"),
        ("cell=ffffffffffffffff".into(), "cell"),
        ("area=GM12".into(), "area"),
        ("area=Zaanstad".into(), "area"),
        ("area=WK0479".into(), "area"),
        ("cursor=garbage".into(), "cursor"),
        (format!("cursor={}", "a".repeat(201)), "cursor"),
        (format!("lat={}&lng={}&radius_m=1000&sort=distance&cursor={newest_cursor}", p.0, p.1), "cursor"),
        ("sort=distance".into(), "sort"),
        ("sort=sideways".into(), "sort"),
        ("limit=0".into(), "limit"),
        ("limit=201".into(), "limit"),
        ("limit=-1".into(), "limit"),
        ("limit=ten".into(), "limit"),
        (format!("q={}", "w".repeat(501)), "q"),
    ];
    for (query, field) in cases {
        let (status, v) = get(&app, &format!("/v1/initiatives?{query}")).await;
        common::assert_problem(status, &v, 400, field);
    }
    // The edges themselves are fine.
    for query in [
        "lat=90&lng=180&radius_m=50000".to_string(),
        "lat=-90&lng=-180&radius_m=1".to_string(),
        format!("lat={}&lng={}&radius_m=0.5", p.0, p.1),
        "limit=1".to_owned(),
        "limit=200".to_owned(),
        format!("cursor={newest_cursor}"),
    ] {
        let (status, v) = get(&app, &format!("/v1/initiatives?{query}")).await;
        assert_eq!(status, 200, "{query}: {v}");
    }
});

api_test!(unknown_routes_methods_and_ids, false, |app: App| async move {
    let (status, v) = get(&app, "/v1/nope").await;
    common::assert_problem(status, &v, 404, "");
    assert_eq!(v["code"], "not_found");
    let (status, v) = get(&app, "/v2/initiatives").await;
    common::assert_problem(status, &v, 404, "");
    let (status, v) = common::json(app.client.put("/v1/taxonomy").body_json(&json!({})).send().await).await;
    common::assert_problem(status, &v, 405, "");
    assert_eq!(v["code"], "method_not_allowed");
    let (status, v) = common::json(app.client.delete("/v1/initiatives").send().await).await;
    common::assert_problem(status, &v, 405, "");
});

api_test!(odd_query_strings_never_cause_a_server_error, false, |app: App| async move {
    let long = "9".repeat(3000);
    let long_hex = "8".repeat(300);
    let values: Vec<String> = [
        "NaN",
        "nan",
        "-NaN",
        "Infinity",
        "-Infinity",
        "inf",
        "1e309",
        "-1e309",
        "1e-400",
        "0x10",
        "+5",
        "-0",
        "00000000000052.1",
        "18446744073709551616",
        "-9223372036854775809",
        "%00",
        "a%00b",
        "%FF%FE",
        "%C3%A9",
        "%E2%80%AE",
        "%F0%9F%98%80",
        "%27%20OR%201%3D1--",
        "%22*%22",
        "%2A",
        "%25",
        "%5B%5D",
        "true",
        "",
        "%20",
        "GM0479%00",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([long.clone(), long_hex.clone()])
    .collect();
    let mut failures: Vec<String> = Vec::new();
    let params = ["lat", "lng", "radius_m", "limit", "cell", "area", "q", "cursor", "sort", "category", "kind", "zrm", "status"];
    for value in &values {
        for param in params {
            let url = format!("/v1/initiatives?{param}={value}");
            let (status, _) = get(&app, &url).await;
            if status >= 500 {
                failures.push(format!("{url} -> {status}"));
            }
        }
        let p = common::POELENBURG;
        for url in [
            format!("/v1/initiatives?lat={value}&lng={value}&radius_m={value}"),
            format!("/v1/initiatives?lat={}&lng={}&radius_m={value}&sort=distance", p.0, p.1),
            format!("/v1/areas?q={value}"),
            format!("/v1/areas?gemeente={value}&cursor={value}"),
            format!("/v1/areas/locate?lat={value}&lng={value}"),
            format!("/v1/areas/{value}x"),
            format!("/v1/initiatives/{value}x"),
        ] {
            let (status, _) = get(&app, &url).await;
            if status >= 500 {
                failures.push(format!("{url} -> {status}"));
            }
        }
    }
    assert!(failures.is_empty(), "server errors on {}:\n{}", app.engine, failures.join("\n"));
});

api_test!(a_missing_required_field_is_named, false, |app: App| async move {
    let (before, org) = one(&app).await;
    let mut body = valid();
    body.as_object_mut().unwrap().remove("name");
    let (status, v) = common::post_as(&app, &org, "/v1/initiatives", body).await;
    common::assert_problem(status, &v, 400, "name");
    assert_eq!(snapshot(&app).await, before);
});

api_test!(malformed_json_is_blamed_on_the_body, false, |app: App| async move {
    let (before, org) = one(&app).await;
    for bytes in [&b"{not json"[..], b"{\"name\": \"x\",", b"{\"name\" 5}"] {
        let (status, v) = post_raw(&app, &org, Some("application/json"), bytes.to_vec()).await;
        common::assert_problem(status, &v, 400, "body");
        let fields: Vec<&str> = v["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
        assert!(!fields.contains(&"?"), "a placeholder path is not a field: {v}");
        assert_eq!(snapshot(&app).await, before);
    }
    let id = before[0]["id"].as_str().unwrap();
    let (status, v) = patch_raw(&app, &org, &format!("/v1/initiatives/{id}"), "application/merge-patch+json", "{oops".into()).await;
    common::assert_problem(status, &v, 400, "body");
    assert_eq!(snapshot(&app).await, before);
});

api_test!(control_characters_are_refused_in_every_parameter_and_body_field, false, |app: App| async move {
    // The reported case: on PostgreSQL a NUL in a query parameter reached the database and
    // answered 500.
    let admin = common::zaanstad_admin();
    let (status, v) = common::delete_as(&app, &admin, "/v1/professionals?subject=%00&gemeente=GM0479").await;
    common::assert_problem(status, &v, 400, "subject");
    for (url, field) in [
        ("/v1/initiatives?q=a%00b", "q"),
        ("/v1/initiatives?area=GM0479%1B", "area"),
        ("/v1/areas?q=Zaan%7F", "q"),
        ("/v1/areas?gemeente=GM0479%C2%85", "gemeente"),
        ("/v1/listings?q=koffie%0A", "q"),
        ("/v1/search?q=koffie%09thee", "q"),
        ("/v1/areas/GM0479%00", "path"),
        ("/v1/initiatives?x%00=1", "x"),
    ] {
        let (status, v) = get(&app, url).await;
        common::assert_problem(status, &v, 400, field);
    }
    let (before, org) = one(&app).await;
    for (body, field) in [
        (with("name", json!("Buurt\nkamer")), "name"),
        (with("name", json!("Buurt\u{0}kamer")), "name"),
        (with("description", json!("Koffie\u{0}")), "description"),
        (with("description", json!("Koffie\u{1b}[31m")), "description"),
        (with("address", json!({"city": "Zaan\u{85}dam"})), "address.city"),
        (with("contact", json!({"phone": "06\t12345678"})), "contact.phone"),
        (with("languages", json!(["nl", "e\u{7f}n"])), "languages[1]"),
    ] {
        let (status, v) = common::post_as(&app, &org, "/v1/initiatives", body.clone()).await;
        common::assert_problem(status, &v, 400, field);
        assert_eq!(snapshot(&app).await, before, "refused body {body} changed the data");
    }
    // Free text keeps its line breaks and tabs.
    let (status, v) = common::post_as(&app, &org, "/v1/initiatives", with("description", json!("Koffie.\r\n\tEn thee."))).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["description"], "Koffie.\r\n\tEn thee.");
});

api_test!(duplicate_json_keys_are_refused_at_any_depth, false, |app: App| async move {
    let (before, org) = one(&app).await;
    let (lat, lng) = common::POELENBURG;
    let rest =
        format!(r#""description":"d","kind":"resident_initiative","categories":["meeting_place"],"location":{{"lat":{lat},"lng":{lng}}}"#);
    for (raw, field) in [
        (format!(r#"{{"name":"A","name":"B",{rest}}}"#), "name"),
        (format!(r#"{{"name":"A",{rest},"address":{{"city":"Zaandam","city":"Elders"}}}}"#), "address.city"),
        (
            format!(r#"{{"name":"A",{rest},"schedule":[{{"weekday":"monday","start":"10:00","end":"12:00","end":"13:00"}}]}}"#),
            "schedule[0].end",
        ),
        (format!(r#"{{"name":"A",{rest},"nam\u0065":"B"}}"#), "name"),
    ] {
        let (status, v) = post_raw(&app, &org, Some("application/json"), raw.clone().into_bytes()).await;
        common::assert_problem(status, &v, 400, field);
        assert_eq!(snapshot(&app).await, before, "refused body {raw} changed the data");
    }
    // The last one no longer wins: a key cannot be made an admin's by saying so twice.
    let admin = common::zaanstad_admin();
    let resp = app
        .client
        .post("/v1/keys")
        .header(
            "Authorization",
            match &admin {
                Auth::Bearer(t) => format!("Bearer {t}"),
                _ => unreachable!(),
            },
        )
        .content_type("application/json")
        .body(r#"{"label":"Website","role":"organiser","role":"admin","gemeenten":["GM0479"]}"#)
        .send()
        .await;
    let (status, v) = common::json(resp).await;
    common::assert_problem(status, &v, 400, "role");
    // The same in a merge patch.
    let id = before[0]["id"].as_str().unwrap();
    let (status, v) =
        patch_raw(&app, &org, &format!("/v1/initiatives/{id}"), "application/merge-patch+json", r#"{"name":"A","name":"B"}"#.into()).await;
    common::assert_problem(status, &v, 400, "name");
    assert_eq!(snapshot(&app).await, before);
});

api_test!(null_is_no_value_in_a_create_body, false, |app: App| async move {
    let admin = common::zaanstad_admin();
    let key = |extra: Value| {
        let mut b = json!({"label": "Website", "role": "admin", "gemeenten": ["GM0479"]});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let (status, v) = common::post_as(&app, &admin, "/v1/keys", key(json!({"expires_at": null}))).await;
    common::assert_problem(status, &v, 400, "expires_at");
    let (status, v) = common::post_as(&app, &admin, "/v1/keys", key(json!({"initiative_id": null}))).await;
    common::assert_problem(status, &v, 400, "initiative_id");
    let (_, keys) = common::get_as(&app, &admin, "/v1/keys").await;
    assert!(keys["items"].as_array().unwrap().is_empty(), "{keys}");
    // Left out, or given as a date, it is fine.
    let (status, v) = common::post_as(&app, &admin, "/v1/keys", key(json!({}))).await;
    assert_eq!(status, 201, "{v}");
    let (status, v) = common::post_as(&app, &admin, "/v1/keys", key(json!({"expires_at": "2999-01-01T00:00:00Z"}))).await;
    assert_eq!(status, 201, "{v}");
    // In a merge patch null still removes a field.
    let (before, org) = one(&app).await;
    let id = before[0]["id"].as_str().unwrap();
    let (status, v) = common::patch_as(&app, &org, &format!("/v1/initiatives/{id}"), json!({"accessibility": null})).await;
    assert_eq!(status, 200, "{v}");
});

api_test!(titles_and_names_need_a_visible_letter_or_digit, false, |app: App| async move {
    let (before, org) = one(&app).await;
    let id = before[0]["id"].as_str().unwrap().to_owned();
    for name in
        ["\u{200B}", "\u{200B}\u{2060}\u{FEFF}\u{200C}", "\u{202E}\u{202C}", "Koffie\u{202E}eiffoK", "\u{2066}Buurtkamer\u{2069}", "..."]
    {
        let (status, v) = common::post_as(&app, &org, "/v1/initiatives", with("name", json!(name))).await;
        common::assert_problem(status, &v, 400, "name");
        let (status, v) = common::patch_as(&app, &org, &format!("/v1/initiatives/{id}"), json!({"name": name})).await;
        common::assert_problem(status, &v, 400, "name");
        assert_eq!(snapshot(&app).await, before, "refused name {name:?} changed the data");
    }
    let (status, v) = common::post_as(
        &app,
        &common::new_resident_token(),
        "/v1/people",
        json!({"display_name": "\u{200B}\u{200B}", "home_point": {"lat": common::POELENBURG.0, "lng": common::POELENBURG.1}}),
    )
    .await;
    common::assert_problem(status, &v, 400, "display_name");
    let (pid, resident) = common::poelenburg_person(&app, "Fatima").await;
    let (status, v) = common::post_as(
        &app,
        &resident,
        "/v1/listings",
        json!({"kind": "offer", "title": "\u{2067}\u{2069}", "description": "Op vrijdag", "categories": ["meals"], "owner": {"person_id": pid}}),
    )
    .await;
    common::assert_problem(status, &v, 400, "title");
    // Marks that belong to a script's text stay allowed, beside a letter.
    let (status, v) = common::post_as(&app, &org, "/v1/initiatives", with("name", json!("Taalcafé \u{200F}שלום"))).await;
    assert_eq!(status, 201, "{v}");
});

api_test!(a_cursor_belongs_to_its_endpoint_and_filters, true, |app: App| async move {
    let page = |url: String| {
        let app = &app;
        async move {
            let (status, v) = get(app, &url).await;
            assert_eq!(status, 200, "{url}: {v}");
            v["next_cursor"].as_str().unwrap_or_else(|| panic!("{url}: no next page: {v}")).to_owned()
        }
    };
    let initiatives = page("/v1/initiatives?limit=2".into()).await;
    // On its own list it pages on, with any page size.
    let (status, v) = get(&app, &format!("/v1/initiatives?limit=5&cursor={initiatives}")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    let offers = page("/v1/listings?kind=offer&category=meals&category=groceries&limit=1".into()).await;
    let (status, v) = get(&app, &format!("/v1/listings?category=groceries&limit=3&kind=offer&category=meals&cursor={offers}")).await;
    assert_eq!(status, 200, "the same filters in another order are the same list: {v}");
    let areas = page("/v1/areas?level=wijk&limit=2".into()).await;
    let search = page("/v1/search?q=koffie&limit=1".into()).await;
    for (url, why) in [
        (format!("/v1/listings?cursor={initiatives}"), "another endpoint"),
        (format!("/v1/search?cursor={initiatives}"), "another endpoint"),
        (format!("/v1/areas?cursor={initiatives}"), "another endpoint"),
        (format!("/v1/initiatives?cursor={areas}"), "another endpoint"),
        (format!("/v1/initiatives?cursor={search}"), "another endpoint"),
        (format!("/v1/initiatives?category=repair&cursor={initiatives}"), "another filter"),
        (format!("/v1/listings?kind=request&category=meals&category=groceries&cursor={offers}"), "another filter"),
        (format!("/v1/listings?kind=offer&category=meals&cursor={offers}"), "another filter"),
        (format!("/v1/areas?level=gemeente&cursor={areas}"), "another filter"),
        (format!("/v1/search?q=thee&cursor={search}"), "another filter"),
    ] {
        let (status, v) = get(&app, &url).await;
        common::assert_problem(status, &v, 400, "cursor");
        assert!(v["errors"][0]["message"].as_str().unwrap().contains("another list"), "{why}: {url}: {v}");
    }
});

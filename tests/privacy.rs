//! Privacy by construction, through the real app: what the public can learn, consent and its
//! withdrawal, the audit log, export and erasure.
mod common;

use std::collections::HashSet;

use common::{Auth, POELENBURG, TestApp};
use h3o::{CellIndex, LatLng, Resolution};
use serde_json::{Value, json};

fn cell_of(hex: &str) -> CellIndex {
    CellIndex::try_from(u64::from_str_radix(hex, 16).unwrap()).unwrap()
}

/// Every `[lng, lat]` pair and every `{lat, lng}` object in a JSON document.
fn coordinates(v: &Value, out: &mut Vec<(f64, f64)>) {
    match v {
        Value::Object(m) => {
            if let (Some(lat), Some(lng)) = (m.get("lat").and_then(Value::as_f64), m.get("lng").and_then(Value::as_f64)) {
                out.push((lat, lng));
            }
            if let Some(Value::String(t)) = m.get("type")
                && t == "Point"
                && let Some(c) = m.get("coordinates").and_then(Value::as_array)
            {
                out.push((c[1].as_f64().unwrap(), c[0].as_f64().unwrap()));
            }
            m.values().for_each(|x| coordinates(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| coordinates(x, out)),
        _ => {}
    }
}

/// Every polygon ring in a GeoJSON document, as (lat, lng) vertices.
fn polygons(v: &Value, out: &mut Vec<Vec<(f64, f64)>>) {
    match v {
        Value::Object(m) => {
            if m.get("type").and_then(Value::as_str) == Some("Polygon") {
                let ring = m["coordinates"][0].as_array().unwrap();
                out.push(ring.iter().map(|p| (p[1].as_f64().unwrap(), p[0].as_f64().unwrap())).collect());
            }
            m.values().for_each(|x| polygons(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| polygons(x, out)),
        _ => {}
    }
}

async fn text(app: &TestApp, url: &str, geo: bool) -> (u16, String) {
    let mut req = app.client.get(url);
    if geo {
        req = req.header("Accept", "application/geo+json");
    }
    let resp = req.send().await;
    let status = resp.0.status().as_u16();
    (status, resp.0.into_body().into_string().await.unwrap())
}

api_test!(public_responses_leak_no_finer_location_and_no_private_text, true, |app: TestApp| async move {
    // What the public may see: initiatives' own places.
    let (_, inis) = common::get(&app, "/v1/initiatives?limit=200").await;
    // GeoJSON rounds coordinates to 7 decimals (about 1 cm), so places compare at that grain.
    let grain = |lat: f64, lng: f64| ((lat * 1e7).round() as i64, (lng * 1e7).round() as i64);
    let public_points: HashSet<(i64, i64)> = inis["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| grain(i["location"]["lat"].as_f64().unwrap(), i["location"]["lng"].as_f64().unwrap()))
        .collect();
    assert!(public_points.len() >= 40);

    // What the public must never see: residents' contact details and the text of their requests.
    let seed: Value = serde_json::from_str(include_str!("../seed/zaanstad.json")).unwrap();
    let mut secrets: Vec<String> = Vec::new();
    for p in seed["people"].as_array().unwrap() {
        for k in ["email", "phone"] {
            if let Some(s) = p["contact"][k].as_str() {
                secrets.push(s.to_owned());
            }
        }
    }
    let pro = common::zaanstad_professional();
    let (_, all) = common::get_as(&app, &pro, "/v1/listings?limit=200&area=GM0479").await;
    let person_requests: Vec<&Value> =
        all["items"].as_array().unwrap().iter().filter(|l| l["kind"] == "request" && l["owner"]["person_id"].is_string()).collect();
    assert!(person_requests.len() >= 10, "the demo town has residents' requests");
    for l in &person_requests {
        secrets.push(l["description"].as_str().unwrap().to_owned());
        secrets.push(l["title"].as_str().unwrap().to_owned());
        secrets.push(l["owner"]["person_id"].as_str().unwrap().to_owned());
    }

    let (lat, lng) = POELENBURG;
    let urls = [
        "/v1/listings?limit=200".to_owned(),
        "/v1/listings?limit=200&kind=request".to_owned(),
        format!("/v1/listings?lat={lat}&lng={lng}&radius_m=3000&sort=distance&limit=200"),
        format!("/v1/listings?lat={lat}&lng={lng}&radius_m=800&limit=200"),
        "/v1/listings?area=GM0479&limit=200".to_owned(),
        "/v1/listings?area=WK047912&limit=200".to_owned(),
        format!("/v1/listings?cell={}&limit=200", LatLng::new(lat, lng).unwrap().to_cell(Resolution::Seven)),
        format!("/v1/listings?cell={}&limit=200", LatLng::new(lat, lng).unwrap().to_cell(Resolution::Nine)),
        "/v1/listings?q=hulp&limit=200".to_owned(),
        "/v1/listings?status=closed&status=matched&status=expired&limit=200".to_owned(),
        "/v1/initiatives?limit=200".to_owned(),
        format!("/v1/initiatives?lat={lat}&lng={lng}&radius_m=2000"),
    ];
    let mut summaries = 0;
    for url in &urls {
        for geo in [false, true] {
            let (status, body) = text(&app, url, geo).await;
            assert_eq!(status, 200, "{url}: {body}");
            for s in &secrets {
                assert!(!body.contains(s.as_str()), "{url} (geo {geo}) shows {s:?}");
            }
            let v: Value = serde_json::from_str(&body).unwrap();
            let mut points = Vec::new();
            coordinates(&v, &mut points);
            for (plat, plng) in points {
                if !public_points.contains(&grain(plat, plng)) {
                    let needle = format!("{plat}");
                    let at = body.find(&needle).unwrap_or(0);
                    panic!(
                        "{url} (geo {geo}): point {plat},{plng} is no initiative's place: ...{}...",
                        &body[at.saturating_sub(600)..(at + 200).min(body.len())]
                    );
                }
            }
            let items: Vec<Value> = if geo {
                v["features"].as_array().unwrap().iter().map(|f| f["properties"].clone()).collect()
            } else {
                v["items"].as_array().unwrap().clone()
            };
            for l in &items {
                if l["visibility"] == "summary" {
                    summaries += 1;
                    assert!(cell_of(l["cell"].as_str().unwrap()).resolution() <= Resolution::Seven, "{url}: {l}");
                    assert!(l.get("title").is_none() && l.get("wijk_code").is_none() && l.get("owner").is_none(), "{l}");
                }
                if url.starts_with("/v1/listings") && l.get("status").is_some_and(|s| s != "open") {
                    panic!("{url}: the public sees a listing that is not open: {l}");
                }
            }
            // Every hexagon drawn for a summary is a resolution-7 cell.
            if geo && url.starts_with("/v1/listings") {
                let mut rings = Vec::new();
                polygons(&v, &mut rings);
                let features = v["features"].as_array().unwrap();
                for (f, ring) in features.iter().filter(|f| f["geometry"]["type"] == "Polygon").zip(rings) {
                    let cell = cell_of(f["properties"]["cell"].as_str().unwrap());
                    let boundary: Vec<(f64, f64)> = cell.boundary().iter().map(|p| (p.lat(), p.lng())).collect();
                    assert!(
                        ring.iter().all(|p| boundary.iter().any(|b| (b.0 - p.0).abs() < 1e-6 && (b.1 - p.1).abs() < 1e-6)),
                        "{url}: a ring that is not its cell"
                    );
                    if f["properties"]["visibility"] == "summary" {
                        assert_eq!(cell.resolution(), Resolution::Seven);
                    }
                }
            }
        }
    }
    assert!(summaries > 0, "the scan saw no summaries, so it checked nothing about them");
    // People and volunteers are not public at all.
    for url in ["/v1/people", "/v1/volunteers"] {
        let (status, _) = text(&app, url, false).await;
        assert_eq!(status, 401, "{url}");
    }
});

api_test!(a_summary_matches_and_measures_only_through_its_coarse_cell, false, |app: TestApp| async move {
    // A resident at resolution 9, as far from the centre of their resolution-7 cell as a home
    // within 1.5 km of Poelenburg can be.
    let coarse = LatLng::new(POELENBURG.0, POELENBURG.1).unwrap().to_cell(Resolution::Seven);
    let centre7 = LatLng::from(coarse);
    let home = coarse
        .children(Resolution::Nine)
        .filter(|c| common::haversine_m(POELENBURG, (LatLng::from(*c).lat(), LatLng::from(*c).lng())) < 1_500.0)
        .max_by(|a, b| {
            let d = |c: &CellIndex| common::haversine_m((centre7.lat(), centre7.lng()), (LatLng::from(*c).lat(), LatLng::from(*c).lng()));
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    let centre9 = LatLng::from(home);
    let apart = common::haversine_m((centre9.lat(), centre9.lng()), (centre7.lat(), centre7.lng()));
    assert!(apart > 500.0, "the home is {apart} m from its coarse centre");
    let (pid, auth) = common::new_person(&app, json!({"display_name": "Sanne", "home_cell": home.to_string(), "precision": 9})).await;
    let (s, l) = common::post_as(
        &app,
        &auth,
        "/v1/listings",
        json!({"kind": "request", "title": "Wie helpt met de schuldhulp-formulieren", "description": "Ik heb schulden.", "categories": ["money_matters"], "owner": {"person_id": pid}}),
    )
    .await;
    assert_eq!(s, 201, "{l}");
    let id = l["id"].as_str().unwrap();
    let d7 = common::haversine_m((POELENBURG.0, POELENBURG.1), (centre7.lat(), centre7.lng()));
    let d9 = common::haversine_m((POELENBURG.0, POELENBURG.1), (centre9.lat(), centre9.lng()));
    let found = |v: &Value| v["items"].as_array().unwrap().iter().find(|x| x["id"] == id).cloned();

    // A radius that reaches the resolution-7 centre (and the home) finds it, at the distance
    // of that centre.
    let url = format!("/v1/listings?lat={}&lng={}&radius_m={}", POELENBURG.0, POELENBURG.1, (d7.max(d9) + 5.0).ceil());
    let (_, v) = common::get(&app, &url).await;
    let item = found(&v).expect("found through its coarse cell");
    assert_eq!(item["visibility"], "summary");
    assert!((item["distance_m"].as_f64().unwrap() - d7).abs() < 1.0, "{item} vs {d7}");
    // The owner sees the true distance to their own cell.
    let (_, v) = common::get_as(&app, &auth, &url).await;
    let own = found(&v).unwrap();
    assert!((own["distance_m"].as_f64().unwrap() - d9).abs() < 1.0, "{own} vs {d9}");

    // A radius around the true place that stops short of the coarse centre does not find it.
    let url = format!("/v1/listings?lat={}&lng={}&radius_m={}", centre9.lat(), centre9.lng(), (apart - 50.0).floor());
    let (_, v) = common::get(&app, &url).await;
    assert!(found(&v).is_none(), "a radius around the true place revealed it");
    let (_, v) = common::get_as(&app, &auth, &url).await;
    assert!(found(&v).is_some(), "the owner finds it there, so the query above could have");
    // Its text and its wijk never match for the public; its category does.
    let (_, v) = common::get(&app, "/v1/listings?q=schulden").await;
    assert!(found(&v).is_none());
    let (_, v) = common::get_as(&app, &auth, "/v1/listings?q=schulden").await;
    assert!(found(&v).is_some(), "the owner finds it by text");
    let (_, v) = common::get(&app, "/v1/listings?area=WK047912").await;
    assert!(found(&v).is_none());
    let (_, v) = common::get(&app, "/v1/listings?category=money_matters").await;
    assert!(found(&v).is_some());
    // A cell filter finer than resolution 7 does not find it; its resolution-7 cell does.
    let (_, v) = common::get(&app, &format!("/v1/listings?cell={home}")).await;
    assert!(found(&v).is_none());
    let (_, v) = common::get(&app, &format!("/v1/listings?cell={coarse}")).await;
    assert!(found(&v).is_some());
});

api_test!(consent_opens_contact_details_and_withdrawal_closes_them_at_once, false, |app: TestApp| async move {
    let (pid, auth) = common::new_person(
        &app,
        json!({"display_name": "Yusuf", "home_point": {"lat": POELENBURG.0, "lng": POELENBURG.1}, "contact": {"email": "yusuf@mail.example"}}),
    )
    .await;
    let pro = common::zaanstad_professional();
    let url = format!("/v1/people/{pid}");
    let (s, v) = common::get_as(&app, &pro, &url).await;
    assert_eq!(s, 200);
    assert!(v.get("contact").is_none(), "contact without consent: {v}");

    // A consent for another wijkteam, or for the profile only, does not open contact details.
    for c in [
        json!({"purpose": "x", "grantee": {"wijkteam_gemeente": "GM0363"}, "scope": ["contact"]}),
        json!({"purpose": "x", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["profile"]}),
        json!({"purpose": "x", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["contact"], "valid_from": "2099-01-01T00:00:00Z"}),
    ] {
        let (s, _) = common::post_as(&app, &auth, "/v1/consents", c).await;
        assert_eq!(s, 201);
    }
    let (_, v) = common::get_as(&app, &pro, &url).await;
    assert!(v.get("contact").is_none(), "{v}");

    let (s, consent) = common::post_as(
        &app,
        &auth,
        "/v1/consents",
        json!({"purpose": "Hulp bij formulieren via het wijkteam", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["contact", "profile"]}),
    )
    .await;
    assert_eq!(s, 201, "{consent}");
    assert_eq!(consent["in_force"], true);
    let (_, v) = common::get_as(&app, &pro, &url).await;
    assert_eq!(v["contact"]["email"], "yusuf@mail.example", "{v}");
    // Not for a professional of a gemeente the person gave no consent to ...
    let (s, _) = common::get_as(&app, &common::token("pro-utrecht", "professional", &["GM0344"]), &url).await;
    assert_eq!(s, 403);
    // ... while the Amsterdam wijkteam, which the person did give contact details, sees them.
    let (s, v) = common::get_as(&app, &common::token("pro-ams", "professional", &["GM0363"]), &url).await;
    assert_eq!(s, 200);
    assert_eq!(v["contact"]["email"], "yusuf@mail.example");

    let (s, w) = common::post_as(&app, &auth, &format!("/v1/consents/{}/withdraw", consent["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(s, 200, "{w}");
    assert!(w["withdrawn_at"].is_string());
    assert_eq!(w["in_force"], false);
    let (_, v) = common::get_as(&app, &pro, &url).await;
    assert!(v.get("contact").is_none(), "contact after withdrawal: {v}");

    // Bad consents name the field.
    let (s, v) = common::post_as(&app, &auth, "/v1/consents", json!({"purpose": "x", "grantee": {}, "scope": ["contact"]})).await;
    common::assert_problem(s, &v, 400, "grantee");
    let (s, v) = common::post_as(
        &app,
        &auth,
        "/v1/consents",
        json!({"purpose": "x", "grantee": {"wijkteam_gemeente": "WK047912"}, "scope": ["contact"]}),
    )
    .await;
    common::assert_problem(s, &v, 400, "grantee.wijkteam_gemeente");
    let (s, v) = common::post_as(
        &app,
        &auth,
        "/v1/consents",
        json!({"purpose": "x", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["everything"]}),
    )
    .await;
    common::assert_problem(s, &v, 400, "scope");
    let (s, v) = common::post_as(
        &app,
        &auth,
        "/v1/consents",
        json!({"purpose": "x", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["contact"], "valid_from": "2030-01-01T00:00:00Z", "valid_until": "2029-01-01T00:00:00Z"}),
    )
    .await;
    common::assert_problem(s, &v, 400, "valid_until");
});

api_test!(professional_reads_are_audited_for_the_person_and_the_admin, false, |app: TestApp| async move {
    let (pid, auth) = common::poelenburg_person(&app, "Lotte").await;
    let pro = common::zaanstad_professional();
    let (s, _) = common::get_as(&app, &pro, &format!("/v1/people/{pid}")).await;
    assert_eq!(s, 200);
    let (s, _) = common::get_as(&app, &pro, "/v1/people?area=GM0479").await;
    assert_eq!(s, 200);
    // The person reading themself is not a read by someone else.
    let (s, _) = common::get_as(&app, &auth, &format!("/v1/people/{pid}")).await;
    assert_eq!(s, 200);

    let (s, mine) = common::get_as(&app, &auth, "/v1/me/audit").await;
    assert_eq!(s, 200, "{mine}");
    let reads: Vec<&Value> = mine["items"].as_array().unwrap().iter().filter(|e| e["action"] == "read").collect();
    assert_eq!(reads.len(), 2, "{mine}");
    assert!(reads.iter().all(|e| e["actor"] == "token:pro-zaanstad" && e["actor_role"] == "professional"));
    assert_eq!(reads[0]["endpoint"], "GET /v1/people/{id}");
    assert!(mine["items"].as_array().unwrap().iter().any(|e| e["action"] == "create"), "the creation is logged too");

    let admin = common::zaanstad_admin();
    let (s, log) = common::get_as(&app, &admin, &format!("/v1/audit?person_id={pid}")).await;
    assert_eq!(s, 200, "{log}");
    assert_eq!(log["items"].as_array().unwrap().len(), mine["items"].as_array().unwrap().len());
    let (s, _) = common::get_as(&app, &common::token("admin-ams", "admin", &["GM0363"]), "/v1/audit?gemeente=GM0479").await;
    assert_eq!(s, 403);
    let (_, other) = common::get_as(&app, &common::token("admin-ams", "admin", &["GM0363"]), "/v1/audit").await;
    assert!(other["items"].as_array().unwrap().is_empty(), "{other}");

    // Paging: one at a time, oldest first, the cursor moves on.
    let (_, p1) = common::get_as(&app, &auth, "/v1/me/audit?limit=1").await;
    let c = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = common::get_as(&app, &auth, &format!("/v1/me/audit?limit=1&cursor={c}")).await;
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
    let (s, v) = common::get_as(&app, &auth, "/v1/me/audit?cursor=abc").await;
    common::assert_problem(s, &v, 400, "cursor");
});

api_test!(export_holds_everything_and_erasure_leaves_nothing, false, |app: TestApp| async move {
    let (pid, auth) = common::new_person(
        &app,
        json!({"display_name": "Mirjam", "home_point": {"lat": POELENBURG.0, "lng": POELENBURG.1}, "contact": {"email": "mirjam@mail.example", "phone": "06 1111 2222"}}),
    )
    .await;
    let (s, l) = common::post_as(
        &app,
        &auth,
        "/v1/listings",
        json!({"kind": "offer", "title": "Ik kook graag voor twee", "description": "Op vrijdag.", "categories": ["meals"], "owner": {"person_id": pid}}),
    )
    .await;
    assert_eq!(s, 201);
    let listing = l["id"].as_str().unwrap().to_owned();
    let (s, v) = common::post_as(&app, &auth, "/v1/volunteers", json!({"person_id": pid, "skills": ["meals"]})).await;
    assert_eq!(s, 201);
    let volunteer = v["id"].as_str().unwrap().to_owned();
    let (s, _) = common::post_as(
        &app,
        &auth,
        "/v1/consents",
        json!({"purpose": "Maaltijden", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["contact"]}),
    )
    .await;
    assert_eq!(s, 201);
    let pro = common::zaanstad_professional();
    let (s, _) = common::get_as(&app, &pro, &format!("/v1/people/{pid}")).await;
    assert_eq!(s, 200);

    let (s, export) = common::get_as(&app, &auth, "/v1/me/export").await;
    assert_eq!(s, 200, "{export}");
    assert_eq!(export["person"]["id"], pid.as_str());
    assert_eq!(export["person"]["contact"]["phone"], "06 1111 2222");
    assert_eq!(export["listings"][0]["id"], listing.as_str());
    assert_eq!(export["volunteer"]["id"], volunteer.as_str());
    assert_eq!(export["consents"].as_array().unwrap().len(), 1);
    assert!(export["audit"].as_array().unwrap().iter().any(|e| e["actor"] == "token:pro-zaanstad"), "{export}");

    let (s, _) = common::delete_as(&app, &auth, "/v1/me").await;
    assert_eq!(s, 204);

    // Nothing of the person comes back from any endpoint, to anyone.
    let admin = common::zaanstad_admin();
    let checks: Vec<(Auth, String)> = vec![
        (pro.clone(), format!("/v1/people/{pid}")),
        (pro.clone(), "/v1/people?limit=200".into()),
        (pro.clone(), format!("/v1/listings/{listing}")),
        (pro.clone(), "/v1/listings?limit=200".into()),
        (pro.clone(), format!("/v1/volunteers/{volunteer}")),
        (pro.clone(), "/v1/volunteers?limit=200".into()),
        (Auth::None, "/v1/listings?limit=200&q=kook".into()),
        (admin.clone(), "/v1/audit?limit=200".into()),
        (auth.clone(), "/v1/me".into()),
        (auth.clone(), "/v1/me/export".into()),
        (auth.clone(), "/v1/consents".into()),
    ];
    for (who, url) in &checks {
        let (s, v) = common::get_as(&app, who, url).await;
        let body = v.to_string();
        for secret in [pid.as_str(), listing.as_str(), volunteer.as_str(), "mirjam@mail.example", "06 1111 2222", "Mirjam", "kook graag"] {
            assert!(!body.contains(secret), "{url} ({s}) still shows {secret}: {body}");
        }
    }
    let (s, me) = common::get_as(&app, &auth, "/v1/me").await;
    assert_eq!(s, 200);
    assert!(me["person"].is_null());
    // The audit log keeps its shape under a pseudonym.
    let (_, log) = common::get_as(&app, &admin, "/v1/audit?limit=200").await;
    let refs: HashSet<&str> = log["items"].as_array().unwrap().iter().map(|e| e["person_ref"].as_str().unwrap()).collect();
    assert_eq!(refs.len(), 1, "{log}");
    assert!(refs.iter().all(|r| r.starts_with("erased:")), "{refs:?}");
    assert!(log["items"].as_array().unwrap().iter().any(|e| e["action"] == "erase"));
    // Downstream copies get the erasure as deletions.
    use sea_orm::EntityTrait;
    let gone = buurtkracht::store::entities::deletion::Entity::find().all(&app.app.state.db).await.unwrap();
    let ids: HashSet<String> = gone.iter().map(|d| d.entity_id.to_string()).collect();
    for id in [&pid, &listing, &volunteer] {
        assert!(ids.contains(id.as_str()), "no deletion recorded for {id}");
    }
    // And the database holds no row about the person.
    let consents = buurtkracht::store::entities::consent::Entity::find().all(&app.app.state.db).await.unwrap();
    assert!(consents.is_empty());
    // The same token may start afresh.
    let (s, _) =
        common::post_as(&app, &auth, "/v1/people", json!({"display_name": "M.", "home_point": {"lat": POELENBURG.0, "lng": POELENBURG.1}}))
            .await;
    assert_eq!(s, 201);
});

api_test!(a_consent_to_an_initiative_or_a_person_opens_what_it_covers, false, |app: TestApp| async move {
    let (pid, auth) = common::new_person(
        &app,
        json!({"display_name": "Henk", "home_point": {"lat": POELENBURG.0, "lng": POELENBURG.1}, "contact": {"phone": "06 2222 3333"}}),
    )
    .await;
    let (s, _) = common::post_as(&app, &auth, "/v1/volunteers", json!({"person_id": pid, "skills": ["repair"]})).await;
    assert_eq!(s, 201);
    let (_, me) = common::get_as(&app, &auth, "/v1/me").await;
    assert_eq!(me["person"]["id"], pid.as_str());
    let (initiative, organiser) = common::new_initiative(
        &app,
        json!({"name": "Repair café", "description": "Samen repareren.", "kind": "informal_group", "categories": ["repair"], "location": {"lat": POELENBURG.0, "lng": POELENBURG.1}}),
    )
    .await;
    let (buddy_id, buddy) = common::poelenburg_person(&app, "Buddy").await;
    let url = format!("/v1/people/{pid}");
    for who in [&organiser, &buddy] {
        let (s, _) = common::get_as(&app, who, &url).await;
        assert_eq!(s, 403);
    }
    let (s, c1) = common::post_as(
        &app,
        &auth,
        "/v1/consents",
        json!({"purpose": "Klussen via het repair café", "grantee": {"initiative_id": initiative}, "scope": ["profile", "contact", "volunteer"]}),
    )
    .await;
    assert_eq!(s, 201, "{c1}");
    let (s, _) = common::post_as(
        &app,
        &auth,
        "/v1/consents",
        json!({"purpose": "Maatje", "grantee": {"person_id": buddy_id}, "scope": ["profile"]}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, v) = common::get_as(&app, &organiser, &url).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["contact"]["phone"], "06 2222 3333");
    let (s, v) = common::get_as(&app, &buddy, &url).await;
    assert_eq!(s, 200, "{v}");
    assert!(v.get("contact").is_none(), "the buddy's consent does not cover contact: {v}");
    // The volunteer profile only where the consent says so.
    let (_, vols) = common::get_as(&app, &common::zaanstad_professional(), "/v1/volunteers").await;
    let vid = vols["items"][0]["id"].as_str().unwrap().to_owned();
    let (s, _) = common::get_as(&app, &organiser, &format!("/v1/volunteers/{vid}")).await;
    assert_eq!(s, 200);
    let (s, _) = common::get_as(&app, &buddy, &format!("/v1/volunteers/{vid}")).await;
    assert_eq!(s, 403);
    // The reads are in the person's audit log.
    let (_, log) = common::get_as(&app, &auth, "/v1/me/audit").await;
    let readers: HashSet<&str> =
        log["items"].as_array().unwrap().iter().filter(|e| e["action"] == "read").map(|e| e["actor"].as_str().unwrap()).collect();
    assert_eq!(readers.len(), 3, "{log}");
    // Withdrawn: closed again at once.
    let (s, _) = common::post_as(&app, &auth, &format!("/v1/consents/{}/withdraw", c1["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(s, 200);
    let (s, _) = common::get_as(&app, &organiser, &url).await;
    assert_eq!(s, 403);
});

//! `/v1/people` through the real app: homes as cells only, the privacy rule, validation, and
//! how a person's move or deletion carries their listings and volunteer profile along. Every
//! person is created with their own resident token and read back as themself; lists of people
//! and volunteers are read as a professional.
mod common;

use common::{Auth, delete_as, get, get_as, patch_as, post, post_as};

use std::str::FromStr;

use h3o::{CellIndex, LatLng, Resolution};
use serde_json::{Value, json};

fn cell_of(p: (f64, f64), res: Resolution) -> String {
    LatLng::new(p.0, p.1).unwrap().to_cell(res).to_string()
}

/// A professional working in every test gemeente: sees every person a list holds.
fn professional_everywhere() -> Auth {
    common::token("pro-everywhere", "professional", &["GM0479", "GM0363", "GM0344"])
}

/// Adds `auth`'s credentials to a raw request.
fn authed<'a, E: poem::Endpoint>(req: poem::test::TestRequestBuilder<'a, E>, auth: &Auth) -> poem::test::TestRequestBuilder<'a, E> {
    match auth {
        Auth::None => req,
        Auth::Bearer(t) => req.header("Authorization", format!("Bearer {t}")),
        Auth::Key(k) => req.header("X-API-Key", k.clone()),
    }
}

async fn send_text(resp: poem::test::TestResponse) -> (u16, String, String) {
    let status = resp.0.status().as_u16();
    let ct = resp.0.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, ct, resp.0.into_body().into_string().await.unwrap())
}

fn person_at(p: (f64, f64)) -> Value {
    json!({"display_name": "Fatima", "languages": ["nl", "ar"], "home_point": {"lat": p.0, "lng": p.1},
           "contact": {"email": "fatima@example.nl", "phone": "+31 6 12345678"}})
}

/// Creates a person with a fresh resident token; returns the person and the token.
async fn create_person(app: &common::TestApp, body: Value) -> (Value, Auth) {
    let auth = common::new_resident_token();
    let (status, person) = post_as(app, &auth, "/v1/people", body).await;
    assert_eq!(status, 201, "{person}");
    (person, auth)
}

/// The privacy point: digits to 4 decimals that must never appear in any people response.
fn assert_no_point(text: &str, p: (f64, f64)) {
    for digits in [format!("{:.4}", p.0), format!("{:.4}", p.1)] {
        assert!(!text.contains(&digits), "response contains the home point's {digits}: {text}");
    }
}

api_test!(create_with_home_point_stores_the_resolution_8_cell, false, |app: common::TestApp| async move {
    let p = common::POELENBURG;
    let (person, auth) = create_person(&app, person_at(p)).await;
    assert_eq!(person["home_cell"], cell_of(p, Resolution::Eight), "{person}");
    assert_eq!(person["precision"], 8);
    assert_eq!(person["gemeente_code"], "GM0479");
    assert!(person["wijk_code"].as_str().unwrap().starts_with("WK0479"), "{person}");
    assert_eq!(person["display_name"], "Fatima");
    assert_eq!(person["languages"], json!(["nl", "ar"]));
    assert_eq!(person["contact"]["email"], "fatima@example.nl", "contact on create: {person}");
    assert!(person.get("home_point").is_none(), "{person}");

    let url = format!("/v1/people/{}", person["id"].as_str().unwrap());
    let (status, got) = get_as(&app, &auth, &url).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["home_cell"], person["home_cell"]);
    assert_eq!(got["wijk_code"], person["wijk_code"]);
    assert_eq!(got["contact"]["email"], "fatima@example.nl", "contact on get: {got}");
    assert_eq!(got["contact"]["phone"], "+31 6 12345678", "{got}");

    // Others: a professional of the gemeente sees the profile but, without a consent, no
    // contact; anyone else is refused.
    let (status, seen) = get_as(&app, &common::zaanstad_professional(), &url).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["home_cell"], person["home_cell"]);
    assert!(seen.get("contact").is_none_or(Value::is_null), "contact without consent: {seen}");
    let amsterdam_professional = common::token("pro-amsterdam", "professional", &["GM0363"]);
    for (who, want) in [(Auth::None, 401), (common::new_resident_token(), 403), (amsterdam_professional, 403)] {
        let (status, body) = get_as(&app, &who, &url).await;
        common::assert_problem(status, &body, want, "");
    }

    // One person per subject: the same token cannot create a second.
    let (status, body) = post_as(&app, &auth, "/v1/people", person_at(p)).await;
    common::assert_problem(status, &body, 409, "");

    // An explicit precision 9 gives the resolution-9 cell.
    let mut body = person_at(p);
    body["precision"] = json!(9);
    let (fine, _) = create_person(&app, body).await;
    assert_eq!(fine["home_cell"], cell_of(p, Resolution::Nine), "{fine}");
    assert_eq!(fine["precision"], 9);
});

api_test!(create_with_home_cell_coarsens_to_the_precision, false, |app: common::TestApp| async move {
    let p = common::POELENBURG;
    let res9 = LatLng::new(p.0, p.1).unwrap().to_cell(Resolution::Nine);
    let (person, _) = create_person(&app, json!({"display_name": "Jan V.", "home_cell": res9.to_string(), "precision": 7})).await;
    let res7 = res9.parent(Resolution::Seven).unwrap().to_string();
    assert_eq!(person["home_cell"], res7, "{person}");
    assert_eq!(person["precision"], 7);
    assert_eq!(person["gemeente_code"], "GM0479");

    // Without a precision the cell's own resolution is kept.
    let (own, _) = create_person(&app, json!({"display_name": "Jan V.", "home_cell": res9.to_string()})).await;
    assert_eq!(own["home_cell"], res9.to_string(), "{own}");
    assert_eq!(own["precision"], 9);

    // Upper-case hex is read and written back in lower case.
    let (upper, _) =
        create_person(&app, json!({"display_name": "Jan", "home_cell": res9.to_string().to_uppercase(), "precision": 8})).await;
    assert_eq!(upper["home_cell"], res9.parent(Resolution::Eight).unwrap().to_string(), "{upper}");

    // A cell coarser than the precision cannot be refined.
    let (status, body) =
        post_as(&app, &common::new_resident_token(), "/v1/people", json!({"display_name": "Jan", "home_cell": res7, "precision": 9})).await;
    common::assert_problem(status, &body, 400, "home_cell");
});

api_test!(no_people_response_contains_the_home_point_and_lists_hide_contact, false, |app: common::TestApp| async move {
    let p = common::POELENBURG;
    let auth = common::new_resident_token();
    let resp = authed(app.client.post("/v1/people").body_json(&person_at(p)), &auth).send().await;
    let (status, _, text) = send_text(resp).await;
    assert_eq!(status, 201, "{text}");
    assert_no_point(&text, p);
    let person: Value = serde_json::from_str(&text).unwrap();
    let id = person["id"].as_str().unwrap().to_owned();

    let (status, _, text) = send_text(authed(app.client.get(format!("/v1/people/{id}")), &auth).send().await).await;
    assert_eq!(status, 200, "{text}");
    assert_no_point(&text, p);

    // Lists are for professionals: the person themself and the public may not list.
    let (status, body) = get_as(&app, &auth, "/v1/people").await;
    common::assert_problem(status, &body, 403, "");
    let (status, body) = get(&app, "/v1/people").await;
    common::assert_problem(status, &body, 401, "");

    let pro = common::zaanstad_professional();
    for url in ["/v1/people".to_owned(), format!("/v1/people?lat={}&lng={}&radius_m=2000", p.0 + 0.01, p.1 + 0.01)] {
        let (status, ct, text) = send_text(authed(app.client.get(&url), &pro).send().await).await;
        assert_eq!(status, 200, "{text}");
        assert!(ct.starts_with("application/json"), "{ct}");
        assert_no_point(&text, p);
        assert!(!text.contains("fatima@example.nl") && !text.contains("12345678"), "contact in list: {text}");
        let page: Value = serde_json::from_str(&text).unwrap();
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{page}");
        assert!(items[0].get("contact").is_none_or(Value::is_null), "{page}");

        let (status, ct, text) = send_text(authed(app.client.get(&url).header("Accept", "application/geo+json"), &pro).send().await).await;
        assert_eq!(status, 200, "{text}");
        assert!(ct.starts_with("application/geo+json"), "{ct}");
        assert_no_point(&text, p);
        assert!(!text.contains("fatima@example.nl") && !text.contains("12345678"), "contact in GeoJSON list: {text}");
        let fc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(fc["features"].as_array().unwrap().len(), 1, "{fc}");
    }
    // A professional elsewhere lists nobody from Zaanstad.
    let (status, page) = get_as(&app, &common::token("pro-amsterdam", "professional", &["GM0363"]), "/v1/people").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "{page}");

    // An update answers with the cell, never the new point either.
    let q = (p.0 + 0.002, p.1 + 0.003);
    let body = json!({"home_point": {"lat": q.0, "lng": q.1}});
    let resp =
        authed(app.client.patch(format!("/v1/people/{id}")).content_type("application/merge-patch+json").body(body.to_string()), &auth)
            .send()
            .await;
    let (status, _, text) = send_text(resp).await;
    assert_eq!(status, 200, "{text}");
    assert_no_point(&text, q);
});

api_test!(geojson_list_shows_the_cell_hexagon_never_a_point, false, |app: common::TestApp| async move {
    let p = common::POELENBURG;
    let (person, _) = create_person(&app, person_at(p)).await;
    let req = app.client.get("/v1/people").header("Accept", "application/geo+json");
    let (status, ct, text) = send_text(authed(req, &common::zaanstad_professional()).send().await).await;
    assert_eq!(status, 200, "{text}");
    assert!(ct.starts_with("application/geo+json"), "{ct}");
    let fc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 1);
    let f = &features[0];
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["id"], person["id"]);
    assert_eq!(f["geometry"]["type"], "Polygon", "{f}");
    assert_eq!(f["properties"]["home_cell"], person["home_cell"]);
    assert!(f["properties"].get("contact").is_none_or(Value::is_null), "{f}");
    let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.len(), 7, "a closed hexagon: {f}");
    assert_eq!(ring[0], ring[6], "ring is closed");
    // The vertices are the cell's boundary, as [lng, lat].
    let cell = CellIndex::from_str(person["home_cell"].as_str().unwrap()).unwrap();
    let boundary: Vec<LatLng> = cell.boundary().iter().copied().collect();
    assert_eq!(boundary.len(), 6);
    for pos in &ring[..6] {
        let (lng, lat) = (pos[0].as_f64().unwrap(), pos[1].as_f64().unwrap());
        assert!(
            boundary.iter().any(|v| (v.lat() - lat).abs() < 1e-7 && (v.lng() - lng).abs() < 1e-7),
            "vertex {pos} is not on the cell boundary"
        );
    }
});

api_test!(precision_outside_7_to_9_is_refused, false, |app: common::TestApp| async move {
    let auth = common::new_resident_token();
    for precision in [6, 10, 0, -1] {
        let mut body = person_at(common::POELENBURG);
        body["precision"] = json!(precision);
        let (status, problem) = post_as(&app, &auth, "/v1/people", body.clone()).await;
        common::assert_problem(status, &problem, 400, "precision");
        // Credentials come before the body: anonymously the same body is a 401.
        let (status, problem) = post(&app, "/v1/people", body).await;
        common::assert_problem(status, &problem, 401, "");
    }
    let (_, list) = get_as(&app, &professional_everywhere(), "/v1/people").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing stored: {list}");
    // Nor was the subject bound: the same token may still create its person.
    let (status, person) = post_as(&app, &auth, "/v1/people", person_at(common::POELENBURG)).await;
    assert_eq!(status, 201, "{person}");
});

api_test!(home_needs_exactly_one_of_cell_and_point, false, |app: common::TestApp| async move {
    let p = common::POELENBURG;
    let auth = common::new_resident_token();
    let (status, body) = post_as(
        &app,
        &auth,
        "/v1/people",
        json!({"display_name": "A", "home_cell": cell_of(p, Resolution::Eight), "home_point": {"lat": p.0, "lng": p.1}}),
    )
    .await;
    common::assert_problem(status, &body, 400, "home");

    let (status, body) = post_as(&app, &auth, "/v1/people", json!({"display_name": "A"})).await;
    common::assert_problem(status, &body, 400, "home");

    for bad in ["zzzz", "not-a-cell", "8a1f", "0000000000000000"] {
        let (status, body) = post_as(&app, &auth, "/v1/people", json!({"display_name": "A", "home_cell": bad})).await;
        common::assert_problem(status, &body, 400, "home_cell");
    }
    let (_, list) = get_as(&app, &professional_everywhere(), "/v1/people").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing stored: {list}");
});

api_test!(home_in_the_north_sea_is_outside_the_service_area, false, |app: common::TestApp| async move {
    let auth = common::new_resident_token();
    let (status, body) = post_as(&app, &auth, "/v1/people", person_at(common::NORTH_SEA)).await;
    common::assert_problem(status, &body, 422, "home");
    assert_eq!(body["code"], "outside_service_area", "{body}");
    let cell = cell_of(common::NORTH_SEA, Resolution::Eight);
    let (status, body) = post_as(&app, &auth, "/v1/people", json!({"display_name": "A", "home_cell": cell})).await;
    common::assert_problem(status, &body, 422, "home_cell");
    assert_eq!(body["code"], "outside_service_area", "{body}");
});

api_test!(patch_display_name_keeps_the_cell, false, |app: common::TestApp| async move {
    let p = common::POELENBURG;
    let res9 = cell_of(p, Resolution::Nine);
    let (person, auth) =
        create_person(&app, json!({"display_name": "Jan", "home_cell": res9, "precision": 9, "contact": {"email": "jan@example.nl"}}))
            .await;
    let url = format!("/v1/people/{}", person["id"].as_str().unwrap());

    // Only the person themself may change their profile.
    for (who, want) in [(Auth::None, 401), (common::new_resident_token(), 403), (common::zaanstad_professional(), 403)] {
        let (status, body) = patch_as(&app, &who, &url, json!({"display_name": "Someone else"})).await;
        common::assert_problem(status, &body, want, "");
    }

    let (status, updated) = patch_as(&app, &auth, &url, json!({"display_name": "Jan V."})).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["display_name"], "Jan V.");
    assert_eq!(updated["home_cell"], res9, "{updated}");
    assert_eq!(updated["precision"], 9);
    assert_eq!(updated["wijk_code"], person["wijk_code"]);
    assert_eq!(updated["contact"]["email"], "jan@example.nl");
    let (_, got) = get_as(&app, &auth, &url).await;
    assert_eq!(got["display_name"], "Jan V.");
    assert_eq!(got["home_cell"], res9);
    assert_eq!(got["precision"], 9);

    // A bad patch changes nothing.
    let (status, body) = patch_as(&app, &auth, &url, json!({"precision": 12})).await;
    common::assert_problem(status, &body, 400, "precision");
    let (_, got) = get_as(&app, &auth, &url).await;
    assert_eq!((got["home_cell"].as_str(), got["precision"].as_i64()), (Some(res9.as_str()), Some(9)));
});

api_test!(patch_home_point_moves_listings_and_volunteer_profile, false, |app: common::TestApp| async move {
    let (person, auth) = create_person(&app, person_at(common::POELENBURG)).await;
    let id = person["id"].as_str().unwrap().to_owned();
    let (status, volunteer) = post_as(&app, &auth, "/v1/volunteers", json!({"person_id": id, "skills": ["groceries"]})).await;
    assert_eq!(status, 201, "{volunteer}");
    let (status, listing) = post_as(
        &app,
        &auth,
        "/v1/listings",
        json!({"kind": "offer", "title": "Boodschappen", "description": "Op dinsdag", "categories": ["groceries"],
               "owner": {"person_id": id}}),
    )
    .await;
    assert_eq!(status, 201, "{listing}");
    assert_eq!(listing["cell"], person["home_cell"]);

    let d = common::DAM;
    let (status, moved) = patch_as(&app, &auth, &format!("/v1/people/{id}"), json!({"home_point": {"lat": d.0, "lng": d.1}})).await;
    assert_eq!(status, 200, "{moved}");
    let new_cell = cell_of(d, Resolution::Eight);
    assert_eq!(moved["home_cell"], new_cell, "{moved}");
    assert_eq!(moved["precision"], 8);
    assert_eq!(moved["gemeente_code"], "GM0363");
    assert!(moved["wijk_code"].as_str().unwrap().starts_with("WK0363"), "{moved}");
    assert_eq!(moved["display_name"], "Fatima");

    let (_, l) = get_as(&app, &auth, &format!("/v1/listings/{}", listing["id"].as_str().unwrap())).await;
    assert_eq!(l["cell"], new_cell, "listing moved: {l}");
    assert_eq!(l["gemeente_code"], "GM0363");
    assert_eq!(l["wijk_code"], moved["wijk_code"]);
    let (_, v) = get_as(&app, &auth, &format!("/v1/volunteers/{}", volunteer["id"].as_str().unwrap())).await;
    assert_eq!(v["cell"], new_cell, "volunteer moved: {v}");
    assert_eq!(v["gemeente_code"], "GM0363");
    assert_eq!(v["wijk_code"], moved["wijk_code"]);

    // The search index moved too: found near the Dam, no longer near Poelenburg. People and
    // volunteers are listed by a professional of both gemeenten, the (public) offer by anyone.
    let pro = professional_everywhere();
    let near = |p: (f64, f64), what: &str| format!("/v1/{what}?lat={}&lng={}&radius_m=1500", p.0, p.1);
    for (what, reader) in [("people", &pro), ("listings", &Auth::None), ("volunteers", &pro)] {
        let (_, page) = get_as(&app, reader, &near(d, what)).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{what} near the Dam: {page}");
        let (_, page) = get_as(&app, reader, &near(common::POELENBURG, what)).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 0, "{what} near Poelenburg: {page}");
        let (_, page) = get_as(&app, reader, &format!("/v1/{what}?area=GM0479")).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 0, "{what} in Zaanstad: {page}");
    }
});

api_test!(delete_removes_the_person_with_listings_and_volunteer_profile, false, |app: common::TestApp| async move {
    let (person, auth) = create_person(&app, person_at(common::POELENBURG)).await;
    let (other, other_auth) = create_person(&app, person_at(common::DAM)).await;
    let id = person["id"].as_str().unwrap().to_owned();
    let mut listings = Vec::new();
    for (owner, owner_auth) in [(&person, &auth), (&person, &auth), (&other, &other_auth)] {
        let (status, l) = post_as(
            &app,
            owner_auth,
            "/v1/listings",
            json!({"kind": "request", "title": "Hulp", "description": "Graag", "categories": ["odd_jobs"],
                   "owner": {"person_id": owner["id"]}}),
        )
        .await;
        assert_eq!(status, 201, "{l}");
        listings.push(l["id"].as_str().unwrap().to_owned());
    }
    let (status, v) = post_as(&app, &auth, "/v1/volunteers", json!({"person_id": id, "skills": ["repair"]})).await;
    assert_eq!(status, 201, "{v}");
    let (status, v_other) = post_as(&app, &other_auth, "/v1/volunteers", json!({"person_id": other["id"], "skills": ["repair"]})).await;
    assert_eq!(status, 201, "{v_other}");

    // Only the person themself may erase their profile.
    for (who, want) in [(Auth::None, 401), (other_auth.clone(), 403), (common::zaanstad_professional(), 403)] {
        let (status, body) = delete_as(&app, &who, &format!("/v1/people/{id}")).await;
        common::assert_problem(status, &body, want, "");
    }

    let (status, body) = delete_as(&app, &auth, &format!("/v1/people/{id}")).await;
    assert_eq!(status, 204, "{body}");
    let pro = professional_everywhere();
    for reader in [&auth, &pro] {
        let (status, body) = get_as(&app, reader, &format!("/v1/people/{id}")).await;
        common::assert_problem(status, &body, 404, "");
        for l in &listings[..2] {
            let (status, body) = get_as(&app, reader, &format!("/v1/listings/{l}")).await;
            common::assert_problem(status, &body, 404, "");
        }
        let (status, body) = get_as(&app, reader, &format!("/v1/volunteers/{}", v["id"].as_str().unwrap())).await;
        common::assert_problem(status, &body, 404, "");
    }
    // Tags went too: a category filter finds only the other person's items, for the public
    // (who sees the request as a summary) and for a professional alike.
    for reader in [&Auth::None, &pro] {
        let (_, page) = get_as(&app, reader, "/v1/listings?category=odd_jobs").await;
        let ids: Vec<&str> = page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec![listings[2].as_str()], "{page}");
    }
    let (_, page) = get_as(&app, &pro, "/v1/volunteers?category=repair").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");

    // The other person is untouched; deleting twice is a 404.
    let (status, _) = get_as(&app, &other_auth, &format!("/v1/people/{}", other["id"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    let (status, l) = get_as(&app, &other_auth, &format!("/v1/listings/{}", listings[2])).await;
    assert_eq!(status, 200);
    assert_eq!(l["visibility"], "full", "{l}");
    let (status, body) = delete_as(&app, &auth, &format!("/v1/people/{id}")).await;
    common::assert_problem(status, &body, 404, "");
});

api_test!(patch_precision_coarsens_the_cell_and_moves_listings, false, |app: common::TestApp| async move {
    let p = common::POELENBURG;
    let (person, auth) = create_person(&app, person_at(p)).await;
    let id = person["id"].as_str().unwrap().to_owned();
    let (status, listing) = post_as(
        &app,
        &auth,
        "/v1/listings",
        json!({"kind": "offer", "title": "Klusjes", "description": "Kleine klusjes", "categories": ["odd_jobs"],
               "owner": {"person_id": id}}),
    )
    .await;
    assert_eq!(status, 201, "{listing}");
    let url = format!("/v1/people/{id}");

    // A finer precision cannot be made up from the stored cell.
    let (status, body) = patch_as(&app, &auth, &url, json!({"precision": 9})).await;
    common::assert_problem(status, &body, 400, "home_cell");

    let (status, coarse) = patch_as(&app, &auth, &url, json!({"precision": 7})).await;
    assert_eq!(status, 200, "{coarse}");
    assert_eq!(coarse["precision"], 7);
    assert_eq!(coarse["home_cell"], cell_of(p, Resolution::Seven), "{coarse}");
    let (_, l) = get_as(&app, &auth, &format!("/v1/listings/{}", listing["id"].as_str().unwrap())).await;
    assert_eq!(l["cell"], coarse["home_cell"], "listing follows the coarser cell: {l}");

    // A new point with the coarse precision kept.
    let (status, moved) = patch_as(&app, &auth, &url, json!({"home_point": {"lat": p.0, "lng": p.1}})).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!((moved["home_cell"].clone(), moved["precision"].clone()), (json!(cell_of(p, Resolution::Seven)), json!(7)));
    // A point and a precision together refine again.
    let (status, fine) = patch_as(&app, &auth, &url, json!({"home_point": {"lat": p.0, "lng": p.1}, "precision": 9})).await;
    assert_eq!(status, 200, "{fine}");
    assert_eq!(fine["home_cell"], cell_of(p, Resolution::Nine), "{fine}");
});

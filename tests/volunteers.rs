//! `/v1/volunteers` through the real app: one profile per person at the person's cell,
//! validation, filters, updates and deletion. Each person has their own resident token and
//! writes their own profile; lists are read by professionals.
mod common;

use common::{Auth, delete_as, get, get_as, patch_as, post, post_as};

use std::collections::BTreeSet;
use std::str::FromStr;

use h3o::{CellIndex, LatLng};
use serde_json::{Value, json};

/// A professional working in every test gemeente: sees every profile a list holds.
fn professional_everywhere() -> Auth {
    common::token("pro-everywhere", "professional", &["GM0479", "GM0363", "GM0344"])
}

/// Creates a person with a fresh resident token; returns the person and the token.
async fn create_person(app: &common::TestApp, p: (f64, f64)) -> (Value, Auth) {
    let auth = common::new_resident_token();
    let (status, person) = post_as(app, &auth, "/v1/people", json!({"display_name": "Noor", "home_point": {"lat": p.0, "lng": p.1}})).await;
    assert_eq!(status, 201, "{person}");
    (person, auth)
}

/// Creates a volunteer profile as `auth` (the person it belongs to).
async fn create_volunteer(app: &common::TestApp, auth: &Auth, body: Value) -> Value {
    let (status, v) = post_as(app, auth, "/v1/volunteers", body).await;
    assert_eq!(status, 201, "{v}");
    v
}

fn ids(page: &Value) -> BTreeSet<String> {
    page["items"].as_array().unwrap_or_else(|| panic!("not a page: {page}")).iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

fn set(items: &[&Value]) -> BTreeSet<String> {
    items.iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect()
}

api_test!(create_for_a_person_sits_in_their_cell, false, |app: common::TestApp| async move {
    let (person, auth) = create_person(&app, common::POELENBURG).await;
    let v = create_volunteer(
        &app,
        &auth,
        json!({"person_id": person["id"], "skills": ["groceries", "repair", "groceries"], "languages": ["nl"],
               "availability": [{"weekday": "tue", "start": "13:00", "end": "17:00"}, {"weekday": "mon", "start": "09:00", "end": "12:00"}],
               "has_vog": true}),
    )
    .await;
    assert_eq!(v["person_id"], person["id"]);
    assert_eq!(v["cell"], person["home_cell"], "{v}");
    assert_eq!(v["gemeente_code"], person["gemeente_code"]);
    assert_eq!(v["wijk_code"], person["wijk_code"]);
    assert_eq!(v["skills"], json!(["groceries", "repair"]), "deduplicated: {v}");
    assert_eq!(v["max_travel_m"], 2000, "default travel: {v}");
    assert_eq!(v["status"], "active");
    assert_eq!(v["has_vog"], true);
    assert_eq!(v["availability"][0]["weekday"], "mon", "sorted: {v}");
    assert_eq!(v["availability"].as_array().unwrap().len(), 2);

    let url = format!("/v1/volunteers/{}", v["id"].as_str().unwrap());
    // The person themself and a professional of their gemeente read it alike.
    for reader in [&auth, &common::zaanstad_professional()] {
        let (status, got) = get_as(&app, reader, &url).await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["cell"], person["home_cell"]);
        assert_eq!(got["skills"], v["skills"]);
        assert_eq!(got["availability"], v["availability"]);
    }
    // Anyone else may not.
    let amsterdam_professional = common::token("pro-amsterdam", "professional", &["GM0363"]);
    for (who, want) in [(Auth::None, 401), (common::new_resident_token(), 403), (amsterdam_professional, 403)] {
        let (status, body) = get_as(&app, &who, &url).await;
        common::assert_problem(status, &body, want, "");
    }

    // The boundaries of max_travel_m are accepted.
    for (p, travel) in [(common::DAM, 100), (common::POELENBURG, 50_000)] {
        let (other, other_auth) = create_person(&app, p).await;
        let v = create_volunteer(&app, &other_auth, json!({"person_id": other["id"], "skills": ["meals"], "max_travel_m": travel})).await;
        assert_eq!(v["max_travel_m"], travel);
    }
});

api_test!(a_second_profile_for_one_person_conflicts, false, |app: common::TestApp| async move {
    let (person, auth) = create_person(&app, common::POELENBURG).await;
    create_volunteer(&app, &auth, json!({"person_id": person["id"], "skills": ["groceries"]})).await;
    let (status, body) = post_as(&app, &auth, "/v1/volunteers", json!({"person_id": person["id"], "skills": ["repair"]})).await;
    common::assert_problem(status, &body, 409, "");
    assert_eq!(body["code"], "conflict", "{body}");
    let (_, page) = get_as(&app, &professional_everywhere(), "/v1/volunteers").await;
    assert_eq!(ids(&page).len(), 1, "{page}");
});

// A profile can only be made for one's own person, so an unknown `person_id` is never the
// caller's: it is refused (403) before it could be looked up, and anonymously it is a 401.
api_test!(an_unknown_person_is_refused, false, |app: common::TestApp| async move {
    let body = json!({"person_id": uuid::Uuid::now_v7(), "skills": ["groceries"]});
    let (_, auth) = create_person(&app, common::POELENBURG).await;
    let (status, problem) = post_as(&app, &auth, "/v1/volunteers", body.clone()).await;
    common::assert_problem(status, &problem, 403, "");
    let (status, problem) = post(&app, "/v1/volunteers", body).await;
    common::assert_problem(status, &problem, 401, "");
    let (_, page) = get_as(&app, &professional_everywhere(), "/v1/volunteers").await;
    assert!(ids(&page).is_empty(), "nothing stored: {page}");
});

api_test!(only_the_person_themself_writes_their_profile, false, |app: common::TestApp| async move {
    let (person, auth) = create_person(&app, common::POELENBURG).await;
    let (_, other_auth) = create_person(&app, common::POELENBURG).await;
    let body = json!({"person_id": person["id"], "skills": ["groceries"]});
    // Creating for someone else: refused; a professional has no profile to write either.
    for (who, want) in [(Auth::None, 401), (other_auth.clone(), 403), (common::zaanstad_professional(), 403)] {
        let (status, problem) = post_as(&app, &who, "/v1/volunteers", body.clone()).await;
        common::assert_problem(status, &problem, want, "");
    }
    let v = create_volunteer(&app, &auth, body).await;
    let url = format!("/v1/volunteers/{}", v["id"].as_str().unwrap());
    for (who, want) in [(Auth::None, 401), (other_auth.clone(), 403), (common::zaanstad_professional(), 403)] {
        let (status, problem) = patch_as(&app, &who, &url, json!({"skills": ["meals"]})).await;
        common::assert_problem(status, &problem, want, "");
        let (status, problem) = delete_as(&app, &who, &url).await;
        common::assert_problem(status, &problem, want, "");
    }
    let (_, got) = get_as(&app, &auth, &url).await;
    assert_eq!(got["skills"], json!(["groceries"]), "unchanged: {got}");
});

api_test!(bad_travel_availability_and_weekday_are_refused, false, |app: common::TestApp| async move {
    let (person, auth) = create_person(&app, common::POELENBURG).await;
    let base = json!({"person_id": person["id"], "skills": ["groceries"]});
    for travel in [50, 99, 50_001, 60_000] {
        let mut b = base.clone();
        b["max_travel_m"] = json!(travel);
        let (status, body) = post_as(&app, &auth, "/v1/volunteers", b).await;
        common::assert_problem(status, &body, 400, "max_travel_m");
    }
    for (start, end) in [("12:00", "09:00"), ("10:00", "10:00")] {
        let mut b = base.clone();
        b["availability"] = json!([{"weekday": "wed", "start": start, "end": end}]);
        let (status, body) = post_as(&app, &auth, "/v1/volunteers", b).await;
        common::assert_problem(status, &body, 400, "availability[0].end");
    }
    let mut b = base.clone();
    b["availability"] = json!([{"weekday": "mon", "start": "09:00", "end": "10:00"}, {"weekday": "fri", "start": "9:00", "end": "10:00"}]);
    let (status, body) = post_as(&app, &auth, "/v1/volunteers", b).await;
    common::assert_problem(status, &body, 400, "availability[1].start");
    let mut b = base.clone();
    b["availability"] = json!([{"weekday": "someday", "start": "09:00", "end": "10:00"}]);
    let (status, body) = post_as(&app, &auth, "/v1/volunteers", b.clone()).await;
    common::assert_problem(status, &body, 400, "availability");
    // Credentials come before the body: anonymously the same bad body is a 401.
    let (status, body) = post(&app, "/v1/volunteers", b).await;
    common::assert_problem(status, &body, 401, "");
    let mut b = base.clone();
    b["skills"] = json!([]);
    let (status, body) = post_as(&app, &auth, "/v1/volunteers", b).await;
    common::assert_problem(status, &body, 400, "skills");

    let (_, page) = get_as(&app, &professional_everywhere(), "/v1/volunteers").await;
    assert!(ids(&page).is_empty(), "nothing stored: {page}");
});

api_test!(list_filters_skills_vog_status_area_and_radius, false, |app: common::TestApp| async move {
    let (pa, auth_a) = create_person(&app, common::POELENBURG).await;
    let (pb, auth_b) = create_person(&app, common::POELENBURG).await;
    let (pc, auth_c) = create_person(&app, common::DAM).await;
    let a = create_volunteer(&app, &auth_a, json!({"person_id": pa["id"], "skills": ["groceries"], "has_vog": true})).await;
    let b = create_volunteer(&app, &auth_b, json!({"person_id": pb["id"], "skills": ["repair"], "status": "paused"})).await;
    let c = create_volunteer(
        &app,
        &auth_c,
        json!({"person_id": pc["id"], "skills": ["groceries", "repair"], "zrm_domains": ["sociaal_netwerk"]}),
    )
    .await;
    assert_eq!(pa["wijk_code"], pb["wijk_code"], "a and b share a wijk");

    // Lists are for professionals, and only within their gemeenten.
    let (status, body) = get(&app, "/v1/volunteers").await;
    common::assert_problem(status, &body, 401, "");
    let (status, body) = get_as(&app, &auth_a, "/v1/volunteers").await;
    common::assert_problem(status, &body, 403, "");
    let (status, page) = get_as(&app, &common::zaanstad_professional(), "/v1/volunteers").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), set(&[&a, &b]), "a Zaanstad professional sees Zaanstad only: {page}");

    let pro = professional_everywhere();
    let cases: Vec<(String, BTreeSet<String>)> = vec![
        ("".into(), set(&[&a, &b, &c])),
        ("category=groceries".into(), set(&[&a, &c])),
        ("category=repair".into(), set(&[&b, &c])),
        ("category=groceries&category=repair".into(), set(&[&a, &b, &c])),
        ("category=meals".into(), set(&[])),
        ("zrm=sociaal_netwerk".into(), set(&[&c])),
        ("has_vog=true".into(), set(&[&a])),
        ("has_vog=false".into(), set(&[&b, &c])),
        ("status=paused".into(), set(&[&b])),
        ("status=active".into(), set(&[&a, &c])),
        ("status=active&status=paused".into(), set(&[&a, &b, &c])),
        ("area=GM0479".into(), set(&[&a, &b])),
        ("area=GM0363".into(), set(&[&c])),
        (format!("area={}", pa["wijk_code"].as_str().unwrap()), set(&[&a, &b])),
        ("category=groceries&has_vog=false".into(), set(&[&c])),
        ("category=repair&status=active&area=GM0479".into(), set(&[])),
    ];
    for (q, want) in cases {
        let (status, page) = get_as(&app, &pro, &format!("/v1/volunteers?{q}")).await;
        assert_eq!(status, 200, "{q}: {page}");
        assert_eq!(ids(&page), want, "filter {q:?}: {page}");
    }

    let d = common::DAM;
    for (radius, want) in [(2_000.0, set(&[&c])), (30_000.0, set(&[&a, &b, &c]))] {
        let (status, page) = get_as(&app, &pro, &format!("/v1/volunteers?lat={}&lng={}&radius_m={radius}", d.0, d.1)).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(ids(&page), want, "radius {radius}: {page}");
        for item in page["items"].as_array().unwrap() {
            let dist = item["distance_m"].as_f64().unwrap_or_else(|| panic!("distance_m missing: {item}"));
            assert!(dist <= radius, "{dist} > {radius}");
            let centre = LatLng::from(CellIndex::from_str(item["cell"].as_str().unwrap()).unwrap());
            let want = common::haversine_m(d, (centre.lat(), centre.lng()));
            assert!((dist - want).abs() < 0.5, "distance {dist} vs cell centre {want}");
        }
    }
    // Distance order.
    let (_, page) = get_as(&app, &pro, &format!("/v1/volunteers?lat={}&lng={}&radius_m=30000&sort=distance", d.0, d.1)).await;
    let dists: Vec<f64> = page["items"].as_array().unwrap().iter().map(|i| i["distance_m"].as_f64().unwrap()).collect();
    assert_eq!(dists.len(), 3);
    assert!(dists.windows(2).all(|w| w[0] <= w[1]), "{dists:?}");
    assert_eq!(page["items"][0]["id"], c["id"]);
    // Without a point there is no distance.
    let (_, page) = get_as(&app, &pro, "/v1/volunteers").await;
    assert!(page["items"].as_array().unwrap().iter().all(|i| i.get("distance_m").is_none_or(Value::is_null)), "{page}");
});

api_test!(patch_keeps_the_person_and_refuses_a_new_one, false, |app: common::TestApp| async move {
    let (person, auth) = create_person(&app, common::POELENBURG).await;
    let (other, _) = create_person(&app, common::DAM).await;
    let v = create_volunteer(&app, &auth, json!({"person_id": person["id"], "skills": ["groceries"], "max_travel_m": 1500})).await;
    let url = format!("/v1/volunteers/{}", v["id"].as_str().unwrap());

    let (status, updated) = patch_as(&app, &auth, &url, json!({"skills": ["meals"], "has_vog": true})).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["person_id"], person["id"]);
    assert_eq!(updated["skills"], json!(["meals"]));
    assert_eq!(updated["has_vog"], true);
    assert_eq!(updated["max_travel_m"], 1500, "untouched fields stay: {updated}");
    assert_eq!(updated["cell"], person["home_cell"]);
    // The skill tags follow the update.
    let pro = professional_everywhere();
    let (_, page) = get_as(&app, &pro, "/v1/volunteers?category=meals").await;
    assert_eq!(ids(&page), set(&[&v]), "{page}");
    let (_, page) = get_as(&app, &pro, "/v1/volunteers?category=groceries").await;
    assert!(ids(&page).is_empty(), "{page}");

    let (status, body) = patch_as(&app, &auth, &url, json!({"person_id": other["id"]})).await;
    common::assert_problem(status, &body, 400, "person_id");
    let (status, body) = patch_as(&app, &auth, &url, json!({"max_travel_m": 60_000})).await;
    common::assert_problem(status, &body, 400, "max_travel_m");
    let (_, got) = get_as(&app, &auth, &url).await;
    assert_eq!(got["person_id"], person["id"], "{got}");
    assert_eq!(got["max_travel_m"], 1500, "{got}");
    assert_eq!(got["cell"], person["home_cell"]);
});

api_test!(delete_removes_the_profile_but_not_the_person, false, |app: common::TestApp| async move {
    let (person, auth) = create_person(&app, common::POELENBURG).await;
    let v = create_volunteer(&app, &auth, json!({"person_id": person["id"], "skills": ["groceries"]})).await;
    let url = format!("/v1/volunteers/{}", v["id"].as_str().unwrap());
    let (status, body) = delete_as(&app, &auth, &url).await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = get_as(&app, &auth, &url).await;
    common::assert_problem(status, &body, 404, "");
    let (status, body) = delete_as(&app, &auth, &url).await;
    common::assert_problem(status, &body, 404, "");
    let (status, body) = get_as(&app, &auth, &format!("/v1/people/{}", person["id"].as_str().unwrap())).await;
    assert_eq!(status, 200, "the person stays: {body}");
    let (_, page) = get_as(&app, &professional_everywhere(), "/v1/volunteers?category=groceries").await;
    assert!(ids(&page).is_empty(), "{page}");
    // The person may start a new profile.
    let again = create_volunteer(&app, &auth, json!({"person_id": person["id"], "skills": ["repair"]})).await;
    assert_ne!(again["id"], v["id"]);
});

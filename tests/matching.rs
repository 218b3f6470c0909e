//! Candidates for a request and for an ad-hoc need, on the seeded town, through the real app.
mod common;

use common::{Auth, POELENBURG, TestApp};
use serde_json::{Value, json};

/// The demo resident `key`, their person id, and their request titled `title`.
async fn request_of(app: &TestApp, key: &str, title: &str) -> (Auth, String, Value) {
    let auth = common::token(&format!("demo:{key}"), "resident", &[]);
    let (s, me) = common::get_as(app, &auth, "/v1/me").await;
    assert_eq!(s, 200, "{me}");
    let pid = me["person"]["id"].as_str().unwrap().to_owned();
    let (_, mine) = common::get_as(app, &auth, &format!("/v1/listings?owner_person_id={pid}&limit=50")).await;
    let request = mine["items"].as_array().unwrap().iter().find(|l| l["title"] == title).unwrap_or_else(|| panic!("{mine}")).clone();
    (auth, pid, request)
}

api_test!(companionship_in_poelenburg_finds_the_buurtkamer_before_professional_help, true, |app: TestApp| async move {
    let (auth, _, request) = request_of(&app, "p03", "Iemand om af en toe koffie mee te drinken").await;
    let url = format!("/v1/listings/{}/candidates", request["id"].as_str().unwrap());
    let (s, v) = common::get_as(&app, &auth, &format!("{url}?limit=100")).await;
    assert_eq!(s, 200, "{v}");
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    let pos = |name: &str| items.iter().position(|c| c["name"].as_str().is_some_and(|n| n.contains(name)));
    let informal = pos("Buurtkamer Poelenburg").or(pos("Wandelgroep Poelenburg")).expect("a nearby buurtkamer or walking group");
    // The professional service in the same wijk also offers companionship, so it is a
    // candidate too, only lower.
    let pro = pos("Spreekuur Maatschappelijk Werk").expect("the professional service is a candidate");
    assert!(informal < pro, "informal help first: {informal} vs {pro}");
    assert_eq!(items[pro]["rung"], "professional_service");
    let kamer = &items[informal];
    assert_eq!(kamer["kind"], "initiative");
    assert!(matches!(kamer["rung"].as_str(), Some("resident_initiative")), "{kamer}");
    let codes: Vec<&str> = kamer["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    for c in ["distance", "category", "ladder"] {
        assert!(codes.contains(&c), "{c} missing: {kamer}");
    }
    let en: Vec<&str> = kamer["reasons"].as_array().unwrap().iter().map(|r| r["en"].as_str().unwrap()).collect();
    assert!(en.iter().any(|t| t.ends_with(" away")), "{en:?}");
    assert!(en.iter().any(|t| t.contains("companionship") && t.contains("which you asked for")), "{en:?}");
    assert!(kamer["reasons"].as_array().unwrap().iter().all(|r| !r["nl"].as_str().unwrap().is_empty()));
    // Scores fall down the list, and the same data gives the same order.
    let scores: Vec<f64> = items.iter().map(|c| c["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let (_, again) = common::get_as(&app, &auth, &format!("{url}?limit=100")).await;
    assert_eq!(again, v);
    // Nobody is their own helper, and volunteers stay anonymous.
    assert!(items.iter().all(|c| c["kind"] != "volunteer" || c.get("name").is_none()));
    // Everything is within the radius.
    assert!(items.iter().all(|c| c["distance_m"].as_f64().unwrap() <= 3_000.0));
    let (_, near) = common::get_as(&app, &auth, &format!("{url}?radius_m=500")).await;
    assert!(near["items"].as_array().unwrap().iter().all(|c| c["distance_m"].as_f64().unwrap() <= 500.0));
});

api_test!(who_may_ask_for_candidates, true, |app: TestApp| async move {
    let (owner, _, request) = request_of(&app, "p03", "Iemand om af en toe koffie mee te drinken").await;
    let url = format!("/v1/listings/{}/candidates", request["id"].as_str().unwrap());
    for (who, want) in [
        (Auth::None, 401),
        (common::new_resident_token(), 403),
        (owner.clone(), 200),
        (common::zaanstad_professional(), 200),
        (common::token("pro-ams", "professional", &["GM0363"]), 403),
        (common::zaanstad_admin(), 403),
    ] {
        let (s, v) = common::get_as(&app, &who, &url).await;
        assert_eq!(s, want, "{who:?}: {v}");
    }
});

api_test!(candidates_only_for_open_requests, true, |app: TestApp| async move {
    let (owner, pid, request) = request_of(&app, "p03", "Wandelmaatje gezocht in Poelenburg").await;
    let id = request["id"].as_str().unwrap();
    // An offer.
    let (s, offer) = common::post_as(
        &app,
        &owner,
        "/v1/listings",
        json!({"kind": "offer", "title": "Ik help met boodschappen", "description": "Op maandag.", "categories": ["groceries"], "owner": {"person_id": pid}}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, v) = common::get_as(&app, &owner, &format!("/v1/listings/{}/candidates", offer["id"].as_str().unwrap())).await;
    common::assert_problem(s, &v, 422, "id");
    assert_eq!(v["code"], "not_a_request");
    // A closed request.
    let (s, _) = common::patch_as(&app, &owner, &format!("/v1/listings/{id}"), json!({"status": "closed"})).await;
    assert_eq!(s, 200);
    let (s, v) = common::get_as(&app, &owner, &format!("/v1/listings/{id}/candidates")).await;
    common::assert_problem(s, &v, 422, "id");
    assert_eq!(v["code"], "invalid_state");
    // Bad parameters and unknown ids.
    let (_, open, open_req) = request_of(&app, "p03", "Iemand om af en toe koffie mee te drinken").await;
    let url = format!("/v1/listings/{}/candidates", open_req["id"].as_str().unwrap());
    let _ = open;
    for (q, field) in [("radius_m=0", "radius_m"), ("radius_m=60000", "radius_m"), ("limit=0", "limit"), ("limit=101", "limit")] {
        let (s, v) = common::get_as(&app, &owner, &format!("{url}?{q}")).await;
        common::assert_problem(s, &v, 400, field);
    }
    let (s, _) = common::get_as(&app, &owner, &format!("/v1/listings/{}/candidates", uuid::Uuid::now_v7())).await;
    assert_eq!(s, 404);
});

api_test!(ad_hoc_matching_for_professionals, true, |app: TestApp| async move {
    let pro = common::zaanstad_professional();
    let cell = h3o::LatLng::new(POELENBURG.0, POELENBURG.1).unwrap().to_cell(h3o::Resolution::Eight).to_string();
    let need = json!({"categories": ["companionship"], "zrm_domains": ["sociaal_netwerk"], "cell": cell, "radius_m": 2000});
    let (s, v) = common::post_as(&app, &pro, "/v1/match", need.clone()).await;
    assert_eq!(s, 200, "{v}");
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|c| c["distance_m"].as_f64().unwrap() <= 2_000.0));
    // Help at home needs a VOG: only volunteers who have one remain. The case occurs: without
    // the filter, volunteers with and without a VOG are among the candidates.
    let (_, vols) = common::get_as(&app, &pro, "/v1/volunteers?limit=200").await;
    let has_vog = |c: &Value| {
        let profile = vols["items"].as_array().unwrap().iter().find(|v| v["id"] == c["id"]).unwrap_or_else(|| panic!("{c}"));
        profile["has_vog"].as_bool().unwrap()
    };
    let volunteers =
        |list: &Value| -> Vec<Value> { list["items"].as_array().unwrap().iter().filter(|c| c["kind"] == "volunteer").cloned().collect() };
    let all = volunteers(&v);
    let without: Vec<&Value> = all.iter().filter(|c| !has_vog(c)).collect();
    assert!(!without.is_empty(), "a volunteer without a VOG is a candidate without the filter: {all:?}");
    assert!(all.iter().any(has_vog), "a volunteer with a VOG is a candidate without the filter: {all:?}");
    let mut home = need.clone();
    home["needs_vog"] = json!(true);
    let (s, with_vog) = common::post_as(&app, &pro, "/v1/match", home).await;
    assert_eq!(s, 200, "{with_vog}");
    let kept = volunteers(&with_vog);
    assert!(!kept.is_empty(), "the volunteers with a VOG remain: {with_vog}");
    assert!(kept.iter().all(has_vog), "{kept:?}");
    assert!(without.iter().all(|w| kept.iter().all(|k| k["id"] != w["id"])), "the others are left out");
    // Who and what may ask.
    let (s, _) = common::post_as(&app, &common::new_resident_token(), "/v1/match", need.clone()).await;
    assert_eq!(s, 403);
    let (s, _) = common::post_as(&app, &Auth::None, "/v1/match", need.clone()).await;
    assert_eq!(s, 401);
    let (s, _) = common::post_as(&app, &common::token("pro-ams", "professional", &["GM0363"]), "/v1/match", need.clone()).await;
    assert_eq!(s, 403);
    for (patch, field) in [
        (json!({"cell": "zzz"}), "cell"),
        (json!({"cell": h3o::LatLng::new(POELENBURG.0, POELENBURG.1).unwrap().to_cell(h3o::Resolution::Five).to_string()}), "cell"),
        (json!({"categories": [], "zrm_domains": []}), "categories"),
        (json!({"radius_m": -1}), "radius_m"),
        (json!({"categories": ["nope"]}), "categories"),
        (json!({"availability": [{"weekday": "tue", "start": "12:00", "end": "09:00"}]}), "availability[0].end"),
    ] {
        let mut b = need.clone();
        for (k, val) in patch.as_object().unwrap() {
            b[k] = val.clone();
        }
        let (s, v) = common::post_as(&app, &pro, "/v1/match", b).await;
        assert!(s == 400, "{patch}: {s} {v}");
        common::assert_problem(s, &v, 400, field);
    }
});

api_test!(a_matching_run_respects_capacities_and_proposals_become_matches, true, |app: TestApp| async move {
    let pro = common::zaanstad_professional();
    let (s, run) =
        common::post_as(&app, &pro, "/v1/areas/GM0479/matching-runs", json!({"volunteer_capacity": 1, "candidates_per_request": 10})).await;
    assert_eq!(s, 201, "{run}");
    let proposals = run["proposals"].as_array().unwrap();
    assert!(proposals.len() >= 10, "{run}");
    let requests = run["requests"].as_u64().unwrap() as usize;
    assert_eq!(proposals.len() + run["unmatched"].as_array().unwrap().len(), requests);
    // No request twice, no volunteer or offer over its capacity of one.
    let mut seen_requests = std::collections::HashSet::new();
    let mut per_helper: std::collections::HashMap<(String, String), usize> = Default::default();
    for p in proposals {
        assert!(seen_requests.insert(p["request_id"].as_str().unwrap().to_owned()));
        *per_helper.entry((p["helper_kind"].as_str().unwrap().into(), p["helper_id"].as_str().unwrap().into())).or_default() += 1;
    }
    for ((kind, id), n) in &per_helper {
        if kind != "initiative" {
            assert_eq!(*n, 1, "{kind} {id} proposed {n} times");
        }
    }
    // Every proposal is for an open request in Zaanstad and one of its candidates.
    let first = &proposals[0];
    let (_, l) = common::get_as(&app, &pro, &format!("/v1/listings/{}", first["request_id"].as_str().unwrap())).await;
    assert_eq!(l["kind"], "request");
    assert_eq!(l["status"], "open");
    assert_eq!(l["gemeente_code"], "GM0479");
    let (_, c) = common::get_as(&app, &pro, &format!("/v1/listings/{}/candidates?limit=100", first["request_id"].as_str().unwrap())).await;
    assert!(c["items"].as_array().unwrap().iter().any(|x| x["id"] == first["helper_id"]), "{first} not among {c}");

    // Stored, and accepted proposal by proposal.
    let url = format!("/v1/matching-runs/{}", run["id"].as_str().unwrap());
    let (s, again) = common::get_as(&app, &pro, &url).await;
    assert_eq!(s, 200);
    assert_eq!(again["proposals"], run["proposals"]);
    let (s, m) = common::post_as(&app, &pro, &format!("{url}/accept"), json!({"request_id": first["request_id"]})).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["status"], "proposed");
    assert_eq!(m["helper_id"], first["helper_id"]);
    let (s, v) = common::post_as(&app, &pro, &format!("{url}/accept"), json!({"request_id": first["request_id"]})).await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = common::post_as(&app, &pro, &format!("{url}/accept"), json!({"request_id": uuid::Uuid::now_v7()})).await;
    common::assert_problem(s, &v, 422, "request_id");

    // Who may run, and bad input.
    for (who, want) in
        [(common::new_resident_token(), 403), (common::token("pro-ams", "professional", &["GM0363"]), 403), (Auth::None, 401)]
    {
        let (s, _) = common::post_as(&app, &who, "/v1/areas/GM0479/matching-runs", json!({})).await;
        assert_eq!(s, want);
    }
    let (s, _) = common::post_as(&app, &pro, "/v1/areas/GM9999/matching-runs", json!({})).await;
    assert_eq!(s, 404);
    let (s, v) = common::post_as(&app, &pro, "/v1/areas/GM0479/matching-runs", json!({"candidates_per_request": 0})).await;
    common::assert_problem(s, &v, 400, "candidates_per_request");
    // A wijk run considers only that wijk's requests.
    let (s, wijk) = common::post_as(&app, &pro, "/v1/areas/WK047912/matching-runs", json!({})).await;
    assert_eq!(s, 201, "{wijk}");
    assert!(wijk["requests"].as_u64().unwrap() < requests as u64);
});

/// Whether any of `ranges` (wire time ranges) overlaps Wednesday 14:00–16:00.
fn fits_wednesday_afternoon(ranges: &Value) -> bool {
    ranges
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["weekday"] == "wed" && r["start"].as_str().unwrap() < "16:00" && r["end"].as_str().unwrap() > "14:00")
}

api_test!(a_request_states_when_and_in_which_languages, true, |app: TestApp| async move {
    let (auth, pid, _) = request_of(&app, "p09", "Taalmaatje gezocht om Nederlands te oefenen").await;
    let pro = common::zaanstad_professional();
    let wednesday = json!([{"weekday": "wed", "start": "14:00", "end": "16:00"}]);
    let (s, request) = common::post_as(
        &app,
        &auth,
        "/v1/listings",
        json!({"kind": "request", "title": "Samen wandelen of koffie drinken", "description": "Op woensdagmiddag, graag in het Arabisch.",
               "categories": ["companionship", "exercise"], "zrm_domains": ["sociaal_netwerk"], "owner": {"person_id": pid},
               "availability": wednesday, "languages": ["ar"]}),
    )
    .await;
    assert_eq!(s, 201, "{request}");
    assert_eq!(request["availability"], wednesday);
    assert_eq!(request["languages"], json!(["ar"]));
    let id = request["id"].as_str().unwrap();
    // The public sees a summary: no times, no languages, nothing that tells who asks.
    let (_, public) = common::get_as(&app, &Auth::None, &format!("/v1/listings/{id}")).await;
    assert_eq!(public["visibility"], "summary", "{public}");
    assert!(public.get("availability").is_none() && public.get("languages").is_none(), "{public}");

    let url = format!("/v1/listings/{id}/candidates?limit=100&radius_m=5000");
    let (s, constrained) = common::get_as(&app, &auth, &url).await;
    assert_eq!(s, 200, "{constrained}");
    let (_, vols) = common::get_as(&app, &pro, "/v1/volunteers?limit=200").await;
    let (_, inits) = common::get_as(&app, &pro, "/v1/initiatives?limit=200").await;
    let profile = |c: &Value| -> Value {
        let pool = if c["kind"] == "volunteer" { &vols } else { &inits };
        pool["items"].as_array().unwrap().iter().find(|p| p["id"] == c["id"]).cloned().unwrap_or(Value::Null)
    };
    let items = constrained["items"].as_array().unwrap();
    // Below the limit, so every helper that fits is on the list.
    assert!(!items.is_empty() && items.len() < 100, "{constrained}");
    for c in items.iter().filter(|c| c["kind"] != "offer") {
        let p = profile(c);
        let times = if c["kind"] == "volunteer" { &p["availability"] } else { &p["schedule"] };
        let langs = p["languages"].as_array().unwrap();
        assert!(times.as_array().unwrap().is_empty() || fits_wednesday_afternoon(times), "not free then: {p}");
        assert!(langs.is_empty() || langs.contains(&json!("ar")), "no shared language: {p}");
        if !times.as_array().unwrap().is_empty() {
            let codes: Vec<&str> = c["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
            assert!(codes.contains(&"availability"), "{c}");
        }
    }

    // Without the times and languages, helpers the request left out come back.
    let (s, _) = common::patch_as(&app, &auth, &format!("/v1/listings/{id}"), json!({"availability": [], "languages": []})).await;
    assert_eq!(s, 200);
    let (_, open) = common::get_as(&app, &auth, &url).await;
    let before: std::collections::HashSet<&Value> = items.iter().map(|c| &c["id"]).collect();
    let returned: Vec<&Value> = open["items"].as_array().unwrap().iter().filter(|c| !before.contains(&c["id"])).collect();
    assert!(!returned.is_empty(), "the constraints left nobody out: {open}");
    assert!(
        returned.iter().filter(|c| c["kind"] != "offer").all(|c| {
            let p = profile(c);
            let times = if c["kind"] == "volunteer" { &p["availability"] } else { &p["schedule"] };
            !fits_wednesday_afternoon(times) || !p["languages"].as_array().unwrap().contains(&json!("ar"))
        }),
        "{returned:?}"
    );

    // Bad times and languages name the field and write nothing.
    for (body, field) in [
        (json!({"availability": [{"weekday": "wed", "start": "16:00", "end": "14:00"}]}), "availability[0].end"),
        (json!({"availability": [{"weekday": "someday", "start": "14:00", "end": "16:00"}]}), "availability"),
        (json!({"languages": ["arabic"]}), "languages[0]"),
    ] {
        let (s, v) = common::patch_as(&app, &auth, &format!("/v1/listings/{id}"), body).await;
        common::assert_problem(s, &v, 400, field);
    }
    let (_, after) = common::get_as(&app, &auth, &format!("/v1/listings/{id}")).await;
    assert_eq!(after["availability"], json!([]));
    assert_eq!(after["languages"], json!([]));
});

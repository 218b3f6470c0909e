//! The match lifecycle through the real app: proposals, acceptance by both sides, contact
//! release, completion, feedback that feeds the ranking, and every refused transition.
mod common;

use common::{Auth, POELENBURG, TestApp};
use serde_json::{Value, json};

struct Pair {
    requester: Auth,
    request: String,
    helper: Auth,
    offer: String,
}

async fn pair(app: &TestApp) -> Pair {
    let (rid, requester) = common::new_person(
        app,
        json!({"display_name": "Ria", "home_point": {"lat": POELENBURG.0, "lng": POELENBURG.1}, "contact": {"email": "ria@mail.example"}}),
    )
    .await;
    let (hid, helper) = common::new_person(
        app,
        json!({"display_name": "Hamid", "home_point": {"lat": POELENBURG.0 + 0.003, "lng": POELENBURG.1}, "contact": {"phone": "06 5555 6666"}}),
    )
    .await;
    let (s, req) = common::post_as(
        app,
        &requester,
        "/v1/listings",
        json!({"kind": "request", "title": "Hulp met boodschappen", "description": "Ik kan niet zwaar tillen.", "categories": ["groceries"], "owner": {"person_id": rid}}),
    )
    .await;
    assert_eq!(s, 201, "{req}");
    let (s, off) = common::post_as(
        app,
        &helper,
        "/v1/listings",
        json!({"kind": "offer", "title": "Ik doe boodschappen voor buren", "description": "Met de auto.", "categories": ["groceries"], "owner": {"person_id": hid}}),
    )
    .await;
    assert_eq!(s, 201, "{off}");
    Pair { requester, request: req["id"].as_str().unwrap().into(), helper, offer: off["id"].as_str().unwrap().into() }
}

async fn propose(app: &TestApp, who: &Auth, request: &str, kind: &str, helper: &str) -> (u16, Value) {
    common::post_as(app, who, "/v1/matches", json!({"request_id": request, "helper_kind": kind, "helper_id": helper})).await
}

api_test!(both_accept_then_contacts_then_completion_and_feedback, false, |app: TestApp| async move {
    let p = pair(&app).await;
    let (s, m) = propose(&app, &p.requester, &p.request, "offer", &p.offer).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(m["status"], "proposed");
    assert_eq!(m["requester_accepted"], true, "the proposer's side has accepted");
    assert_eq!(m["helper_accepted"], false);
    let url = format!("/v1/matches/{}", m["id"].as_str().unwrap());
    // No contact details before both accepted.
    for who in [&p.requester, &p.helper] {
        let (s, v) = common::get_as(&app, who, &url).await;
        assert_eq!(s, 200);
        assert!(v.get("other_side_contact").is_none(), "{v}");
    }
    let (s, v) = common::post_as(&app, &p.helper, &format!("{url}/accept"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "accepted");
    assert_eq!(v["other_side_contact"]["name"], "Ria");
    assert_eq!(v["other_side_contact"]["email"], "ria@mail.example");
    let (_, v) = common::get_as(&app, &p.requester, &url).await;
    assert_eq!(v["other_side_contact"]["phone"], "06 5555 6666");
    assert_eq!(v["your_side"], "requester");
    // Others never see contact details; the professional sees the match without them.
    let (s, v) = common::get_as(&app, &common::zaanstad_professional(), &url).await;
    assert_eq!(s, 200);
    assert!(v.get("other_side_contact").is_none());
    let (s, _) = common::get_as(&app, &common::new_resident_token(), &url).await;
    assert_eq!(s, 403);
    // The contact release is in the helper's audit log.
    let (_, log) = common::get_as(&app, &p.helper, "/v1/me/audit").await;
    assert!(log["items"].as_array().unwrap().iter().any(|e| e["endpoint"] == "GET /v1/matches/{id}"), "{log}");

    // Feedback only after completion, once per side.
    let fb = json!({"rating": 5, "comment": "Heel fijn geholpen."});
    let (s, v) = common::post_as(&app, &p.requester, &format!("{url}/feedback"), fb.clone()).await;
    common::assert_problem(s, &v, 422, "status");
    let (s, v) = common::post_as(&app, &p.helper, &format!("{url}/complete"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "completed");
    let (s, v) = common::post_as(&app, &p.helper, &format!("{url}/complete"), json!({})).await;
    common::assert_problem(s, &v, 422, "status");
    let (s, _) = common::post_as(&app, &p.requester, &format!("{url}/feedback"), fb.clone()).await;
    assert_eq!(s, 200);
    let (s, v) = common::post_as(&app, &p.requester, &format!("{url}/feedback"), fb).await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = common::post_as(&app, &p.helper, &format!("{url}/feedback"), json!({"rating": 6})).await;
    common::assert_problem(s, &v, 400, "rating");
    let (_, mine) = common::get_as(&app, &p.helper, "/v1/matches").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
});

api_test!(refused_transitions_change_nothing, false, |app: TestApp| async move {
    let p = pair(&app).await;
    // A match between two offers, and one with a request as the helper.
    let (s, v) = propose(&app, &p.helper, &p.offer, "offer", &p.offer).await;
    common::assert_problem(s, &v, 422, "request_id");
    let (s, v) = propose(&app, &p.requester, &p.request, "offer", &p.request).await;
    common::assert_problem(s, &v, 422, "helper_id");
    let (s, v) = propose(&app, &p.requester, &p.request, "offer", &uuid::Uuid::now_v7().to_string()).await;
    common::assert_problem(s, &v, 422, "helper_id");
    let (s, _) = propose(&app, &Auth::None, &p.request, "offer", &p.offer).await;
    assert_eq!(s, 401);
    let (s, _) = propose(&app, &common::new_resident_token(), &p.request, "offer", &p.offer).await;
    assert_eq!(s, 403);
    let (s, v) =
        common::post_as(&app, &p.requester, "/v1/matches", json!({"request_id": p.request, "helper_kind": "robot", "helper_id": p.offer}))
            .await;
    common::assert_problem(s, &v, 400, "helper_kind");

    let (s, m) = propose(&app, &p.helper, &p.request, "offer", &p.offer).await;
    assert_eq!(s, 201);
    assert_eq!(m["helper_accepted"], true);
    let (s, _) = propose(&app, &p.requester, &p.request, "offer", &p.offer).await;
    assert_eq!(s, 409, "one match in progress per request and helper");
    let url = format!("/v1/matches/{}", m["id"].as_str().unwrap());
    let (s, v) = common::post_as(&app, &p.helper, &format!("{url}/accept"), json!({})).await;
    common::assert_problem(s, &v, 422, "status");
    let (s, v) = common::post_as(&app, &p.requester, &format!("{url}/complete"), json!({})).await;
    common::assert_problem(s, &v, 422, "status");
    let (s, v) = common::post_as(&app, &p.requester, &format!("{url}/decline"), json!({"reason": "because"})).await;
    common::assert_problem(s, &v, 400, "reason");
    let (s, _) = common::post_as(&app, &common::new_resident_token(), &format!("{url}/decline"), json!({"reason": "too_far"})).await;
    assert_eq!(s, 403);
    let (s, v) = common::post_as(&app, &p.requester, &format!("{url}/decline"), json!({"reason": "no_longer_needed"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "declined");
    assert_eq!(v["decline_reason"], "no_longer_needed");
    let (s, v) = common::post_as(&app, &p.requester, &format!("{url}/accept"), json!({})).await;
    common::assert_problem(s, &v, 422, "status");
    let (_, after) = common::get_as(&app, &p.requester, &url).await;
    assert_eq!(after["status"], "declined");
    assert_eq!(after["requester_accepted"], false, "the refused accept changed nothing");
    // After a decline a new proposal is possible, and a cancelled one stays cancelled.
    let (s, m2) = propose(&app, &p.requester, &p.request, "offer", &p.offer).await;
    assert_eq!(s, 201);
    let url2 = format!("/v1/matches/{}", m2["id"].as_str().unwrap());
    let (s, _) = common::post_as(&app, &p.helper, &format!("{url2}/cancel"), json!({})).await;
    assert_eq!(s, 200);
    let (s, v) = common::post_as(&app, &p.helper, &format!("{url2}/cancel"), json!({})).await;
    common::assert_problem(s, &v, 422, "status");
});

api_test!(feedback_and_networks_change_later_rankings, true, |app: TestApp| async move {
    // A resident in Poelenburg asks for company twice; the first time she meets the walking
    // group through a match, rates it, and joins its network.
    let (pid, me) = common::poelenburg_person(&app, "Saskia").await;
    let ask = |title: &str| json!({"kind": "request", "title": title, "description": "Samen iets doen.", "categories": ["companionship"], "zrm_domains": ["sociaal_netwerk"], "owner": {"person_id": pid}});
    let (_, first) = common::post_as(&app, &me, "/v1/listings", ask("Gezelschap gezocht")).await;
    let (_, second) = common::post_as(&app, &me, "/v1/listings", ask("Nog eens gezelschap")).await;
    let candidates = |id: &str| format!("/v1/listings/{id}/candidates?limit=100");
    let (_, before) = common::get_as(&app, &me, &candidates(second["id"].as_str().unwrap())).await;
    let find = |v: &Value, name: &str| {
        v["items"].as_array().unwrap().iter().find(|c| c["name"].as_str().is_some_and(|n| n.contains(name))).cloned()
    };
    let group_before = find(&before, "Wandelgroep Poelenburg").expect("the walking group is a candidate");
    assert_eq!(group_before["rung"], "resident_initiative");
    let group = group_before["id"].as_str().unwrap().to_owned();

    let (s, m) = propose(&app, &me, first["id"].as_str().unwrap(), "initiative", &group).await;
    assert_eq!(s, 201, "{m}");
    let url = format!("/v1/matches/{}", m["id"].as_str().unwrap());
    // The initiative's side is its organisers; the seeded group has none, so a professional
    // cannot accept for it, but its organiser key can.
    let (s, _) = common::post_as(&app, &common::zaanstad_professional(), &format!("{url}/accept"), json!({})).await;
    assert_eq!(s, 403);
    let (s, created) = common::post_as(
        &app,
        &common::zaanstad_admin(),
        "/v1/keys",
        json!({"label": "Wandelgroep", "role": "organiser", "initiative_id": group}),
    )
    .await;
    assert_eq!(s, 201);
    let group_key = Auth::Key(created["key"].as_str().unwrap().to_owned());
    let (s, v) = common::post_as(&app, &group_key, &format!("{url}/accept"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["other_side_contact"]["name"], "Saskia");
    let (s, v) = common::post_as(&app, &group_key, &format!("{url}/complete"), json!({"join_network": true})).await;
    common::assert_problem(s, &v, 400, "join_network");
    let (_, still) = common::get_as(&app, &me, &url).await;
    assert_eq!(still["status"], "accepted", "the refused completion changed nothing");
    let (s, _) = common::post_as(&app, &me, &format!("{url}/complete"), json!({"join_network": true})).await;
    assert_eq!(s, 200);
    let (s, _) = common::post_as(&app, &me, &format!("{url}/feedback"), json!({"rating": 5})).await;
    assert_eq!(s, 200);

    let (_, after) = common::get_as(&app, &me, &candidates(second["id"].as_str().unwrap())).await;
    let group_after = find(&after, "Wandelgroep Poelenburg").unwrap();
    assert_eq!(group_after["rung"], "own_network", "{group_after}");
    assert!(group_after["score"].as_f64().unwrap() > group_before["score"].as_f64().unwrap());
    let codes: Vec<&str> = group_after["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"feedback"), "{codes:?}");
    assert_eq!(after["items"][0]["id"], group.as_str(), "the own network comes first");
});

api_test!(erasure_takes_the_matches_along, false, |app: TestApp| async move {
    let p = pair(&app).await;
    let (s, m) = propose(&app, &p.requester, &p.request, "offer", &p.offer).await;
    assert_eq!(s, 201);
    let (s, _) = common::delete_as(&app, &p.requester, "/v1/me").await;
    assert_eq!(s, 204);
    let (s, _) = common::get_as(&app, &p.helper, &format!("/v1/matches/{}", m["id"].as_str().unwrap())).await;
    assert_eq!(s, 404);
    let (_, mine) = common::get_as(&app, &p.helper, "/v1/matches").await;
    assert!(mine["items"].as_array().unwrap().is_empty());
});

/// A Poelenburg group for company with `capacity` places (none: unlimited).
async fn company_group(app: &TestApp, capacity: Option<u32>) -> (String, Auth) {
    let mut body = json!({"name": "Koffieochtend De Bron", "description": "Koffie en een praatje met buren.", "kind": "informal_group",
                          "categories": ["companionship"], "zrm_domains": ["sociaal_netwerk"],
                          "location": {"lat": common::POELENBURG.0, "lng": common::POELENBURG.1}});
    if let Some(c) = capacity {
        body["capacity"] = json!(c);
    }
    common::new_initiative(app, body).await
}

/// A new Poelenburg resident with an open request for company: (their token, the request id).
async fn asks_for_company(app: &TestApp, name: &str) -> (Auth, String) {
    let (pid, me) = common::poelenburg_person(app, name).await;
    let body = json!({"kind": "request", "title": "Gezelschap gezocht", "description": "Samen koffie drinken.", "categories": ["companionship"],
                      "zrm_domains": ["sociaal_netwerk"], "owner": {"person_id": pid}});
    let (s, r) = common::post_as(app, &me, "/v1/listings", body).await;
    assert_eq!(s, 201, "{r}");
    (me, r["id"].as_str().unwrap().to_owned())
}

async fn candidate(app: &TestApp, who: &Auth, request: &str, helper: &str) -> Option<Value> {
    let (s, v) = common::get_as(app, who, &format!("/v1/listings/{request}/candidates?limit=100")).await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().unwrap().iter().find(|c| c["id"] == helper).cloned()
}

api_test!(an_initiative_with_every_place_taken_is_left_out, false, |app: TestApp| async move {
    let (group, _) = company_group(&app, Some(1)).await;
    let (ans, first) = asks_for_company(&app, "Ans").await;
    let (bep, second) = asks_for_company(&app, "Bep").await;
    assert!(candidate(&app, &bep, &second, &group).await.is_some(), "a free place: the group is a candidate");
    let (s, m) = propose(&app, &ans, &first, "initiative", &group).await;
    assert_eq!(s, 201, "{m}");
    // Its one place is taken by a match on its way in.
    assert!(candidate(&app, &bep, &second, &group).await.is_none(), "no place left, yet still a candidate");
    let (s, v) = propose(&app, &bep, &second, "initiative", &group).await;
    common::assert_problem(s, &v, 422, "helper_id");
    assert_eq!(v["code"], "no_capacity");
    let (_, mine) = common::get_as(&app, &bep, "/v1/matches").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 0, "the refused proposal stored nothing: {mine}");
    // Ans cancels: the place is free again.
    let (s, _) = common::post_as(&app, &ans, &format!("/v1/matches/{}/cancel", m["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(s, 200);
    assert!(candidate(&app, &bep, &second, &group).await.is_some());
    let (s, v) = propose(&app, &bep, &second, "initiative", &group).await;
    assert_eq!(s, 201, "{v}");
});

api_test!(neighbours_who_joined_a_group_are_told_from_five, false, |app: TestApp| async move {
    let (group, organiser) = company_group(&app, None).await;
    let (newcomer, asks) = asks_for_company(&app, "Nieuwe buur").await;
    let told = |c: &Value| c["reasons"].as_array().unwrap().iter().find(|r| r["code"] == "members_nearby").cloned();
    for (i, name) in ["Ans", "Bep", "Cor", "Dien", "Eef"].into_iter().enumerate() {
        let (me, request) = asks_for_company(&app, name).await;
        let (s, m) = propose(&app, &me, &request, "initiative", &group).await;
        assert_eq!(s, 201, "{m}");
        let url = format!("/v1/matches/{}", m["id"].as_str().unwrap());
        let (s, v) = common::post_as(&app, &organiser, &format!("{url}/accept"), json!({})).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = common::post_as(&app, &me, &format!("{url}/complete"), json!({"join_network": true})).await;
        assert_eq!(s, 200, "{v}");
        let c = candidate(&app, &newcomer, &asks, &group).await.expect("the group stays a candidate");
        if i < 4 {
            // Fewer than five could point at one neighbour: not told.
            assert!(told(&c).is_none(), "{} members told: {c}", i + 1);
        } else {
            let r = told(&c).expect("five neighbours go there");
            assert_eq!(r["en"], "5 people from your neighbourhood go there");
            assert_eq!(r["nl"], "5 mensen uit je buurt gaan hierheen");
            assert!(r["effect"].as_f64().unwrap() > 0.0);
        }
    }
});

async fn area_run(app: &TestApp, pro: &Auth) -> Value {
    let (s, run) = common::post_as(app, pro, "/v1/areas/WK047912/matching-runs", json!({})).await;
    assert_eq!(s, 201, "{run}");
    run
}

api_test!(a_matching_run_gives_an_initiative_no_more_than_its_places, false, |app: TestApp| async move {
    let (group, organiser) = company_group(&app, Some(1)).await;
    let _ = asks_for_company(&app, "Ans").await;
    let _ = asks_for_company(&app, "Bep").await;
    let pro = common::zaanstad_professional();
    let one = area_run(&app, &pro).await;
    assert_eq!(one["requests"], 2, "{one}");
    let proposals = one["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 1, "one place, one proposal: {one}");
    assert_eq!(proposals[0]["helper_id"], group.as_str());
    assert_eq!(one["unmatched"].as_array().unwrap().len(), 1);
    let (s, v) = common::patch_as(&app, &organiser, &format!("/v1/initiatives/{group}"), json!({"capacity": 2})).await;
    assert_eq!(s, 200, "{v}");
    let two = area_run(&app, &pro).await;
    assert_eq!(two["proposals"].as_array().unwrap().len(), 2, "{two}");
});

// Requests that arrive together. The test client runs them in one task, so they interleave at
// every database call, as concurrent requests do in the service.

api_test!(proposals_at_once_never_take_more_places_than_there_are, false, |app: TestApp| async move {
    let (group, _) = company_group(&app, Some(2)).await;
    let mut askers = Vec::new();
    for name in ["Ans", "Bep", "Cor", "Dien", "Eef", "Fem"] {
        askers.push(asks_for_company(&app, name).await);
    }
    let answers = futures_util::future::join_all(askers.iter().map(|(me, request)| propose(&app, me, request, "initiative", &group))).await;
    for (s, v) in answers.iter().filter(|(s, _)| *s != 201) {
        common::assert_problem(*s, v, 422, "helper_id");
        assert_eq!(v["code"], "no_capacity", "{v}");
    }
    assert_eq!(answers.iter().filter(|(s, _)| *s == 201).count(), 2, "two places, two matches: {answers:?}");
});

api_test!(the_same_proposal_twice_at_once_makes_one_match, false, |app: TestApp| async move {
    let p = pair(&app).await;
    let (a, b) =
        tokio::join!(propose(&app, &p.requester, &p.request, "offer", &p.offer), propose(&app, &p.helper, &p.request, "offer", &p.offer));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{a:?} {b:?}");
    let (_, mine) = common::get_as(&app, &p.requester, "/v1/matches").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
});

api_test!(both_sides_accepting_at_once_accept_the_match, false, |app: TestApp| async move {
    let p = pair(&app).await;
    // Proposed by a professional, so neither side has accepted yet.
    let (s, m) = propose(&app, &common::zaanstad_professional(), &p.request, "offer", &p.offer).await;
    assert_eq!(s, 201, "{m}");
    let url = format!("/v1/matches/{}", m["id"].as_str().unwrap());
    let accept = format!("{url}/accept");
    let (a, b) =
        tokio::join!(common::post_as(&app, &p.requester, &accept, json!({})), common::post_as(&app, &p.helper, &accept, json!({})));
    assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
    let (_, v) = common::get_as(&app, &p.requester, &url).await;
    assert_eq!(v["status"], "accepted", "both accepted, so the match is: {v}");
    assert_eq!((v["requester_accepted"].clone(), v["helper_accepted"].clone()), (json!(true), json!(true)));
    assert_eq!(v["other_side_contact"]["phone"], "06 5555 6666");
});

api_test!(completing_twice_at_once_completes_once_and_joins_once, false, |app: TestApp| async move {
    let (group, organiser) = company_group(&app, None).await;
    let (pid, me) = common::poelenburg_person(&app, "Ans").await;
    let ask = json!({"kind": "request", "title": "Gezelschap gezocht", "description": "Samen koffie drinken.", "categories": ["companionship"],
                     "zrm_domains": ["sociaal_netwerk"], "owner": {"person_id": pid}});
    let (s, r) = common::post_as(&app, &me, "/v1/listings", ask.clone()).await;
    assert_eq!(s, 201, "{r}");
    let request = r["id"].as_str().unwrap().to_owned();
    let (s, m) = propose(&app, &me, &request, "initiative", &group).await;
    assert_eq!(s, 201, "{m}");
    let url = format!("/v1/matches/{}", m["id"].as_str().unwrap());
    let (s, v) = common::post_as(&app, &organiser, &format!("{url}/accept"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    let complete = format!("{url}/complete");
    let body = json!({"join_network": true});
    let (a, b) = tokio::join!(common::post_as(&app, &me, &complete, body.clone()), common::post_as(&app, &me, &complete, body.clone()));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 422], "{a:?} {b:?}");
    let refused = if a.0 == 422 { &a.1 } else { &b.1 };
    common::assert_problem(422, refused, 422, "status");
    // Ans is in the group's network: her next request finds it on the first rung.
    let (s, r) = common::post_as(&app, &me, "/v1/listings", ask).await;
    assert_eq!(s, 201, "{r}");
    let c = candidate(&app, &me, r["id"].as_str().unwrap(), &group).await.expect("the group is a candidate");
    assert_eq!(c["rung"], "own_network", "{c}");
    // The same feedback twice at once: one is stored, the other is told it is already there.
    let feedback = format!("{url}/feedback");
    let fb = json!({"rating": 4});
    let (a, b) = tokio::join!(common::post_as(&app, &me, &feedback, fb.clone()), common::post_as(&app, &me, &feedback, fb.clone()));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
});

//! Referrals through the real app: made under the resident's consent and nothing else,
//! followed by the helper to the end, seen by each side as the rules say, cancelled when the
//! consent goes, kept anonymously after an erasure, refused by a full initiative, listed for
//! the team, and served as a FHIR R4 Task that a FHIR model parses.
mod common;

use common::{Auth, POELENBURG, TestApp};
use serde_json::{Value, json};

/// A resident with an open request, three kinds of helper, and the team.
struct World {
    resident: Auth,
    resident_id: String,
    request: String,
    pro: Auth,
    volunteer: String,
    volunteer_auth: Auth,
    offer: String,
    offer_auth: Auth,
    initiative: String,
    organiser: Auth,
}

const REFERRAL_CONSENT: &str =
    r#"{"purpose": "Doorverwijzing via het wijkteam", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["referral"]}"#;

async fn give_consent(app: &TestApp, who: &Auth) -> String {
    let (s, c) = common::post_as(app, who, "/v1/consents", serde_json::from_str(REFERRAL_CONSENT).unwrap()).await;
    assert_eq!(s, 201, "{c}");
    c["id"].as_str().unwrap().to_owned()
}

async fn request_of(app: &TestApp, who: &Auth, person: &str, title: &str) -> String {
    let (s, l) = common::post_as(
        app,
        who,
        "/v1/listings",
        json!({"kind": "request", "title": title, "description": "Ik kom er alleen niet uit.", "categories": ["paperwork"], "owner": {"person_id": person}}),
    )
    .await;
    assert_eq!(s, 201, "{l}");
    l["id"].as_str().unwrap().to_owned()
}

async fn world(app: &TestApp, capacity: Option<u32>) -> World {
    let (resident_id, resident) = common::new_person(
        app,
        json!({"display_name": "Rachida", "home_point": {"lat": POELENBURG.0, "lng": POELENBURG.1}, "contact": {"email": "rachida@mail.example", "phone": "06 1234 5678"}}),
    )
    .await;
    let request = request_of(app, &resident, &resident_id, "Hulp bij de toeslagen").await;
    let (vp, volunteer_auth) = common::poelenburg_person(app, "Vera").await;
    let (s, v) = common::post_as(app, &volunteer_auth, "/v1/volunteers", json!({"person_id": vp, "skills": ["paperwork"]})).await;
    assert_eq!(s, 201, "{v}");
    let (op, offer_auth) = common::poelenburg_person(app, "Otto").await;
    let (s, o) = common::post_as(
        app,
        &offer_auth,
        "/v1/listings",
        json!({"kind": "offer", "title": "Ik help met formulieren", "description": "Op maandag.", "categories": ["paperwork"], "owner": {"person_id": op}}),
    )
    .await;
    assert_eq!(s, 201, "{o}");
    let mut body = json!({"name": "Formulierenbrigade", "description": "Hulp met post en formulieren.", "kind": "resident_initiative",
                          "categories": ["paperwork"], "location": {"lat": POELENBURG.0, "lng": POELENBURG.1}});
    if let Some(c) = capacity {
        body["capacity"] = json!(c);
    }
    let (initiative, organiser) = common::new_initiative(app, body).await;
    World {
        resident,
        resident_id,
        request,
        pro: common::zaanstad_professional(),
        volunteer: v["id"].as_str().unwrap().into(),
        volunteer_auth,
        offer: o["id"].as_str().unwrap().into(),
        offer_auth,
        initiative,
        organiser,
    }
}

async fn refer(app: &TestApp, pro: &Auth, request: &str, kind: &str, helper: &str) -> (u16, Value) {
    common::post_as(
        app,
        pro,
        "/v1/referrals",
        json!({"request_id": request, "helper_kind": kind, "helper_id": helper, "note": "Graag snel contact."}),
    )
    .await
}

async fn act(app: &TestApp, who: &Auth, id: &str, step: &str, body: Value) -> (u16, Value) {
    common::post_as(app, who, &format!("/v1/referrals/{id}/{step}"), body).await
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id: {v}")).to_owned()
}

fn assert_wrong_state(s: u16, v: &Value, current: &str) {
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["code"], "wrong_state", "{v}");
    assert_eq!(v["current_state"], current, "{v}");
}

api_test!(a_referral_followed_to_the_end, false, |app: TestApp| async move {
    let w = world(&app, None).await;
    // Without the resident's consent: refused, saying which consent is missing.
    let (s, v) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["code"], "consent_required");
    assert!(v["detail"].as_str().unwrap().contains("referral"), "{v}");
    // A consent of another scope does not do.
    let (s, _) = common::post_as(
        &app,
        &w.resident,
        "/v1/consents",
        json!({"purpose": "Hulp", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["contact", "profile"]}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
    assert_eq!(s, 403);
    // The referral scope is the wijkteam's only.
    let (s, v) = common::post_as(
        &app,
        &w.resident,
        "/v1/consents",
        json!({"purpose": "Hulp", "grantee": {"initiative_id": w.initiative}, "scope": ["referral"]}),
    )
    .await;
    common::assert_problem(s, &v, 400, "scope");
    give_consent(&app, &w.resident).await;

    let (s, r) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["state"], "sent");
    assert_eq!(r["state_label"]["nl"], "Verstuurd");
    assert_eq!(r["stale"], false);
    assert_eq!(r["referred_by_you"], true);
    assert_eq!(r["resident"]["email"], "rachida@mail.example", "the referring professional sees the contact under the consent");
    let rid = id(&r);
    let url = format!("/v1/referrals/{rid}");

    // The helper sees the request and the note, not yet who or how to reach them.
    let (s, h) = common::get_as(&app, &w.volunteer_auth, &url).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["request"]["title"], "Hulp bij de toeslagen");
    assert_eq!(h["note"], "Graag snel contact.");
    assert!(h.get("resident").is_none(), "{h}");
    assert_eq!(h["your_roles"], json!(["helper"]));
    // Their own lists.
    let (_, mine) = common::get_as(&app, &w.volunteer_auth, "/v1/me/referrals?side=helper").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    let (_, theirs) = common::get_as(&app, &w.resident, "/v1/me/referrals").await;
    assert_eq!(theirs["items"][0]["id"], rid.as_str());
    assert_eq!(theirs["items"][0]["request"]["title"], "Hulp bij de toeslagen");
    let (_, none) = common::get_as(&app, &w.offer_auth, "/v1/me/referrals?side=helper").await;
    assert_eq!(none["items"], json!([]));

    // Only the helper accepts; then the contact is released to them, and the read is audited.
    let (s, v) = act(&app, &w.pro, &rid, "accept", json!({})).await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = act(&app, &w.resident, &rid, "accept", json!({})).await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = act(&app, &w.volunteer_auth, &rid, "start", json!({})).await;
    assert_wrong_state(s, &v, "sent");
    let (s, v) = act(&app, &w.volunteer_auth, &rid, "accept", json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "accepted");
    assert_eq!(v["resident"]["name"], "Rachida");
    assert_eq!(v["resident"]["phone"], "06 1234 5678");
    let (s, v) = act(&app, &w.volunteer_auth, &rid, "accept", json!({})).await;
    assert_wrong_state(s, &v, "accepted");
    let (s, v) = act(&app, &w.volunteer_auth, &rid, "start", json!({})).await;
    assert_eq!(s, 200, "{v}");
    // Close needs an outcome from the vocabulary.
    let (s, v) = act(&app, &w.volunteer_auth, &rid, "close", json!({})).await;
    common::assert_problem(s, &v, 400, "outcome");
    let (s, v) = act(&app, &w.volunteer_auth, &rid, "close", json!({"outcome": "helped"})).await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = act(&app, &w.volunteer_auth, &rid, "close", json!({"outcome": "got_help"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "closed");
    assert_eq!(v["outcome"], "got_help");
    assert!(v["closed_at"].is_string());
    let (s, v) = act(&app, &w.resident, &rid, "cancel", json!({})).await;
    assert_wrong_state(s, &v, "closed");

    // The history: every step, who, and its code.
    let (_, v) = common::get_as(&app, &w.pro, &url).await;
    let steps: Vec<(String, String)> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["state"].as_str().unwrap().to_owned(), e["by"].as_str().unwrap().to_owned()))
        .collect();
    let want = [("sent", "professional"), ("accepted", "helper"), ("in_progress", "helper"), ("closed", "helper")];
    assert_eq!(steps, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert_eq!(v["history"][3]["code"], "got_help");
    assert_eq!(v["helper_name"], "Vera");

    // Every change is in the resident's audit log, and so is the helper's read of their contact.
    let log = common::every_page(&app, &w.resident, "/v1/me/audit", "items", 200).await;
    let refs = log.iter().filter(|e| e["resource"] == "referral").count();
    assert_eq!(refs, 4, "create, accept, start, close: {log:?}");
    // So is every read of their request by the helper or the team.
    assert!(
        log.iter().any(|e| e["resource"] == "listing" && e["action"] == "read" && e["endpoint"] == "GET /v1/referrals/{id}"),
        "{log:?}"
    );
    assert!(log.iter().any(|e| e["resource"] == "person" && e["endpoint"] == "POST /v1/referrals/{id}/accept"), "{log:?}");
    // The resident tells how it went; nobody else answers for them.
    let answer = json!({"referral_id": rid, "themes": {"listened": 5, "fitted": 4}});
    let (s, v) = common::post_as(&app, &w.volunteer_auth, "/v1/experiences", answer.clone()).await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = common::post_as(&app, &w.resident, "/v1/experiences", answer.clone()).await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = common::post_as(&app, &w.resident, "/v1/experiences", answer).await;
    assert_eq!(s, 409);
    let (_, open) = refer(&app, &w.pro, &w.request, "offer", &w.offer).await;
    let (s, v) = common::post_as(&app, &w.resident, "/v1/experiences", json!({"referral_id": open["id"], "themes": {"quick": 2}})).await;
    common::assert_problem(s, &v, 422, "referral_id");
    assert_eq!(v["code"], "not_closed");
    // Strangers see nothing.
    for who in [common::new_resident_token(), common::token("pro-amsterdam", "professional", &["GM0363"]), w.offer_auth.clone()] {
        let (s, v) = common::get_as(&app, &who, &url).await;
        assert_eq!(s, 403, "{v}");
    }
    let (s, _) = common::get_as(&app, &Auth::None, &url).await;
    assert_eq!(s, 401);
    let (s, _) = common::get_as(&app, &w.pro, &format!("/v1/referrals/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(s, 404);
});

api_test!(a_professional_records_the_need_for_the_resident, false, |app: TestApp| async move {
    let w = world(&app, None).await;
    let body = json!({
        "request": {"kind": "request", "title": "Eenzaam sinds de verhuizing", "description": "Zoekt aanspraak in de buurt.",
                    "categories": ["companionship"], "owner": {"person_id": w.resident_id}},
        "helper_kind": "initiative", "helper_id": w.initiative, "note": "Spreekt vooral Arabisch."
    });
    // Without consent nothing is written, not even the request.
    let (s, v) = common::post_as(&app, &w.pro, "/v1/referrals", body.clone()).await;
    assert_eq!(s, 403, "{v}");
    let (_, export) = common::get_as(&app, &w.resident, "/v1/me/export").await;
    assert_eq!(export["listings"].as_array().unwrap().len(), 1, "{export}");
    give_consent(&app, &w.resident).await;
    // Bad input in the nested request names its field inside `request`.
    let mut bad = body.clone();
    bad["request"]["title"] = json!("  ");
    let (s, v) = common::post_as(&app, &w.pro, "/v1/referrals", bad).await;
    common::assert_problem(s, &v, 400, "request.title");
    let mut both = body.clone();
    both["request_id"] = json!(w.request);
    let (s, v) = common::post_as(&app, &w.pro, "/v1/referrals", both).await;
    common::assert_problem(s, &v, 400, "request_id");

    let (s, r) = common::post_as(&app, &w.pro, "/v1/referrals", body).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["request_recorded"], true);
    let listing = r["request_id"].as_str().unwrap();
    // The request is the resident's: they read it in full, and their audit log says who wrote it.
    let (s, l) = common::get_as(&app, &w.resident, &format!("/v1/listings/{listing}")).await;
    assert_eq!(s, 200);
    assert_eq!(l["visibility"], "full");
    assert_eq!(l["owner"]["person_id"], w.resident_id.as_str());
    // Recorded, not published: nobody else finds it, not even as a summary.
    assert_eq!(l["status"], "matched");
    for who in [Auth::None, common::new_resident_token()] {
        let (s, _) = common::get_as(&app, &who, &format!("/v1/listings/{listing}")).await;
        assert_eq!(s, 404);
    }
    let log = common::every_page(&app, &w.resident, "/v1/me/audit", "items", 200).await;
    let written = log.iter().find(|e| e["resource"] == "listing" && e["action"] == "create" && e["endpoint"] == "POST /v1/referrals");
    assert_eq!(written.unwrap()["actor"], "token:pro-zaanstad", "{log:?}");
    let (_, theirs) = common::get_as(&app, &w.resident, "/v1/me/referrals").await;
    assert_eq!(theirs["items"][0]["request"]["title"], "Eenzaam sinds de verhuizing");
    // The initiative's organisers are its helper.
    let (_, mine) = common::get_as(&app, &w.organiser, "/v1/me/referrals?side=helper").await;
    assert_eq!(mine["items"][0]["helper_name"], "Formulierenbrigade", "{mine}");
    // Refused shapes.
    let (s, v) = common::post_as(
        &app,
        &w.pro,
        "/v1/referrals",
        json!({"request_id": w.offer, "helper_kind": "volunteer", "helper_id": w.volunteer}),
    )
    .await;
    common::assert_problem(s, &v, 422, "request_id");
    let (s, v) = refer(&app, &w.pro, &w.request, "professional_service", &w.initiative).await;
    common::assert_problem(s, &v, 422, "helper_kind");
    let (s, v) = refer(&app, &w.pro, &w.request, "offer", &w.volunteer).await;
    common::assert_problem(s, &v, 422, "helper_id");
    let (s, v) = refer(&app, &w.resident, &w.request, "offer", &w.offer).await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = refer(&app, &common::token("pro-amsterdam", "professional", &["GM0363"]), &w.request, "offer", &w.offer).await;
    assert_eq!(s, 403, "{v}");
    // One open referral per request and helper.
    let (s, _) = refer(&app, &w.pro, &w.request, "offer", &w.offer).await;
    assert_eq!(s, 201);
    let (s, v) = refer(&app, &w.pro, &w.request, "offer", &w.offer).await;
    assert_eq!(s, 409, "{v}");
});

api_test!(decline_and_cancel_by_the_right_sides, false, |app: TestApp| async move {
    let w = world(&app, None).await;
    give_consent(&app, &w.resident).await;
    let (_, r) = refer(&app, &w.pro, &w.request, "offer", &w.offer).await;
    let rid = id(&r);
    let (s, v) = act(&app, &w.offer_auth, &rid, "decline", json!({})).await;
    common::assert_problem(s, &v, 400, "reason");
    let (s, v) = act(&app, &w.offer_auth, &rid, "cancel", json!({})).await;
    assert_eq!(s, 403, "the helper declines, not cancels: {v}");
    let (s, v) = act(&app, &w.offer_auth, &rid, "decline", json!({"reason": "no_capacity"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["decline_reason"], "no_capacity");
    // Declined: the helper no longer reads the request.
    let (_, v) = common::get_as(&app, &w.offer_auth, &format!("/v1/referrals/{rid}")).await;
    assert!(v.get("request").is_none() && v.get("note").is_none(), "{v}");

    // The resident cancels one that was accepted; the helper loses the contact at once.
    let (_, r) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
    let rid = id(&r);
    let (s, _) = act(&app, &w.volunteer_auth, &rid, "accept", json!({})).await;
    assert_eq!(s, 200);
    let (s, v) = act(&app, &w.resident, &rid, "cancel", json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["history"].as_array().unwrap().last().unwrap()["by"], "resident");
    let (_, v) = common::get_as(&app, &w.volunteer_auth, &format!("/v1/referrals/{rid}")).await;
    assert!(v.get("resident").is_none() && v.get("request").is_none(), "{v}");
    // A professional closes one the helper let lie.
    let (_, r) = refer(&app, &w.pro, &w.request, "initiative", &w.initiative).await;
    let rid = id(&r);
    let (s, v) = act(&app, &w.pro, &rid, "close", json!({"outcome": "could_not_contact"})).await;
    assert_wrong_state(s, &v, "sent");
    let (s, _) = act(&app, &w.organiser, &rid, "accept", json!({})).await;
    assert_eq!(s, 200);
    let (s, v) = act(&app, &w.pro, &rid, "close", json!({"outcome": "could_not_contact"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["history"].as_array().unwrap().last().unwrap()["by"], "professional");
});

api_test!(withdrawing_the_consent_cancels_open_referrals, false, |app: TestApp| async move {
    let w = world(&app, None).await;
    let consent = give_consent(&app, &w.resident).await;
    let (_, a) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
    let (_, b) = refer(&app, &w.pro, &w.request, "offer", &w.offer).await;
    let (s, _) = act(&app, &w.volunteer_auth, &id(&a), "accept", json!({})).await;
    assert_eq!(s, 200);
    let (_, c) = refer(&app, &w.pro, &w.request, "initiative", &w.initiative).await;
    let (s, _) = act(&app, &w.organiser, &id(&c), "decline", json!({"reason": "not_a_fit"})).await;
    assert_eq!(s, 200);

    let (s, _) = common::post_as(&app, &w.resident, &format!("/v1/consents/{consent}/withdraw"), json!({})).await;
    assert_eq!(s, 200);
    for (r, who) in [(&a, &w.volunteer_auth), (&b, &w.offer_auth)] {
        let (_, v) = common::get_as(&app, &w.pro, &format!("/v1/referrals/{}", id(r))).await;
        assert_eq!(v["state"], "cancelled", "{v}");
        let last = v["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["by"], "system");
        assert_eq!(last["code"], "consent_withdrawn");
        assert!(v.get("resident").is_none(), "the team's view of the contact ends with the consent: {v}");
        let (_, v) = common::get_as(&app, who, &format!("/v1/referrals/{}", id(r))).await;
        assert!(v.get("resident").is_none() && v.get("request").is_none(), "{v}");
    }
    let (_, v) = common::get_as(&app, &w.pro, &format!("/v1/referrals/{}", id(&c))).await;
    assert_eq!(v["state"], "declined", "a decided referral stays as it was: {v}");
    let (s, v) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
    assert_eq!(s, 403, "{v}");
});

api_test!(erasure_keeps_only_the_anonymous_facts, false, |app: TestApp| async move {
    let w = world(&app, None).await;
    give_consent(&app, &w.resident).await;
    let (_, closed) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
    act(&app, &w.volunteer_auth, &id(&closed), "accept", json!({})).await;
    let (s, _) = act(&app, &w.volunteer_auth, &id(&closed), "close", json!({"outcome": "got_help"})).await;
    assert_eq!(s, 200);
    let (_, open) = refer(&app, &w.pro, &w.request, "offer", &w.offer).await;
    // The export holds the referrals.
    let (_, export) = common::get_as(&app, &w.resident, "/v1/me/export").await;
    assert_eq!(export["referrals"].as_array().unwrap().len(), 2, "{export}");

    let (s, _) = common::delete_as(&app, &w.resident, "/v1/me").await;
    assert_eq!(s, 204);
    let (s, v) = common::get_as(&app, &w.pro, &format!("/v1/referrals/{}", id(&closed))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "closed");
    assert_eq!(v["outcome"], "got_help");
    assert_eq!(v["wijk_code"], closed["wijk_code"]);
    for gone in ["request", "request_id", "note", "resident"] {
        assert!(v.get(gone).is_none(), "{gone} kept after erasure: {v}");
    }
    let (_, v) = common::get_as(&app, &w.pro, &format!("/v1/referrals/{}", id(&open))).await;
    assert_eq!(v["state"], "cancelled");
    assert_eq!(v["history"].as_array().unwrap().last().unwrap()["code"], "person_erased");
    // Nothing in the database still names the resident.
    use sea_orm::EntityTrait;
    let rows = buurtkracht::store::entities::referral_event::Entity::find().all(&app.app.state.db).await.unwrap();
    let resident = w.resident_id.as_str();
    assert!(rows.iter().all(|e| !e.actor.contains(resident)));
    let rows = buurtkracht::store::entities::referral::Entity::find().all(&app.app.state.db).await.unwrap();
    assert!(rows.iter().all(|r| r.resident_person_id.is_none() && r.note.is_none()), "{rows:?}");
    // The helper's list keeps the anonymous referral.
    let (_, mine) = common::get_as(&app, &w.volunteer_auth, "/v1/me/referrals?side=helper").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
});

api_test!(a_full_initiative_refuses_new_referrals, false, |app: TestApp| async move {
    let w = world(&app, Some(1)).await;
    give_consent(&app, &w.resident).await;
    let (_, a) = refer(&app, &w.pro, &w.request, "initiative", &w.initiative).await;
    let (s, v) = act(&app, &w.organiser, &id(&a), "accept", json!({})).await;
    assert_eq!(s, 200, "{v}");
    // The one place is taken: a new referral is refused, for another request too.
    let (other_id, other) = common::poelenburg_person(&app, "Kees").await;
    give_consent(&app, &other).await;
    let other_request = request_of(&app, &other, &other_id, "Hulp bij de aangifte").await;
    let (s, v) = refer(&app, &w.pro, &other_request, "initiative", &w.initiative).await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["code"], "no_capacity");
    // Matches see the place taken too.
    let (s, v) = common::post_as(
        &app,
        &other,
        "/v1/matches",
        json!({"request_id": other_request, "helper_kind": "initiative", "helper_id": w.initiative}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    // The organisers raise the capacity.
    let (s, v) = common::patch_as(&app, &w.organiser, &format!("/v1/initiatives/{}", w.initiative), json!({"capacity": 2})).await;
    assert_eq!(s, 200, "{v}");
    let (s, b) = refer(&app, &w.pro, &other_request, "initiative", &w.initiative).await;
    assert_eq!(s, 201, "{b}");
    // Closing frees the place again.
    let (s, _) = act(&app, &w.organiser, &id(&a), "close", json!({"outcome": "got_help"})).await;
    assert_eq!(s, 200);
    let (s, v) = act(&app, &w.organiser, &id(&b), "accept", json!({})).await;
    assert_eq!(s, 200, "{v}");
});

async fn set_updated_at(app: &TestApp, id: &str, days_ago: i64) {
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let uuid: uuid::Uuid = id.parse().unwrap();
    let m = buurtkracht::store::entities::referral::Entity::find_by_id(uuid).one(&app.app.state.db).await.unwrap().unwrap();
    let mut a: buurtkracht::store::entities::referral::ActiveModel = m.into();
    a.updated_at = Set(chrono::Utc::now() - chrono::Duration::days(days_ago));
    a.update(&app.app.state.db).await.unwrap();
}

api_test!(the_work_list_filters_pages_and_shows_stale_ones, false, |app: TestApp| async move {
    let w = world(&app, None).await;
    give_consent(&app, &w.resident).await;
    let other_pro = common::token("pro-zaanstad-2", "professional", &["GM0479"]);
    let (_, a) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
    let (_, b) = refer(&app, &w.pro, &w.request, "offer", &w.offer).await;
    let (_, c) = refer(&app, &other_pro, &w.request, "initiative", &w.initiative).await;
    act(&app, &w.organiser, &id(&c), "accept", json!({})).await;
    // `a` has lain untouched for eight days.
    set_updated_at(&app, &id(&a), 8).await;
    let (_, v) = common::get_as(&app, &w.volunteer_auth, &format!("/v1/referrals/{}", id(&a))).await;
    assert_eq!(v["stale"], true, "{v}");

    let ids = |v: &Value| -> Vec<String> { v["items"].as_array().unwrap().iter().map(id).collect() };
    let base = "/v1/referrals?gemeente=GM0479";
    let (s, all) = common::get_as(&app, &w.pro, base).await;
    assert_eq!(s, 200, "{all}");
    // Last change first: c (accepted just now), b, then the stale a.
    assert_eq!(ids(&all), [id(&c), id(&b), id(&a)]);
    assert!(all["items"][0].get("resident").is_none(), "no contact in lists");
    assert_eq!(all["items"][0]["request"]["title"], "Hulp bij de toeslagen");
    let (_, v) = common::get_as(&app, &w.pro, &format!("{base}&stale=true")).await;
    assert_eq!(ids(&v), [id(&a)]);
    let (_, v) = common::get_as(&app, &w.pro, &format!("{base}&stale=false")).await;
    assert_eq!(ids(&v), [id(&c), id(&b)]);
    let (_, v) = common::get_as(&app, &w.pro, &format!("{base}&state=accepted")).await;
    assert_eq!(ids(&v), [id(&c)]);
    let (_, v) = common::get_as(&app, &w.pro, &format!("{base}&state=sent&state=accepted")).await;
    assert_eq!(ids(&v).len(), 3);
    let (_, v) = common::get_as(&app, &w.pro, &format!("{base}&helper_kind=offer&helper_kind=volunteer")).await;
    assert_eq!(ids(&v), [id(&b), id(&a)]);
    let (_, v) = common::get_as(&app, &w.pro, &format!("{base}&referred_by=me")).await;
    assert_eq!(ids(&v), [id(&b), id(&a)]);
    let (_, v) = common::get_as(&app, &other_pro, &format!("{base}&referred_by=me")).await;
    assert_eq!(ids(&v), [id(&c)]);
    let wijk = a["wijk_code"].as_str().unwrap();
    let (_, v) = common::get_as(&app, &w.pro, &format!("{base}&wijk={wijk}")).await;
    assert_eq!(ids(&v).len(), 3);
    // Pages of one, every referral once, in order.
    let paged: Vec<String> = common::every_page(&app, &w.pro, base, "items", 1).await.iter().map(id).collect();
    assert_eq!(paged, ids(&all));
    // Refused: another gemeente's wijk, another gemeente's professional, a resident, bad input.
    let (s, v) = common::get_as(&app, &w.pro, &format!("{base}&wijk=WK036300")).await;
    common::assert_problem(s, &v, 400, "wijk");
    let (s, _) = common::get_as(&app, &common::token("pro-amsterdam", "professional", &["GM0363"]), base).await;
    assert_eq!(s, 403);
    let (s, _) = common::get_as(&app, &w.resident, base).await;
    assert_eq!(s, 403);
    let (s, v) = common::get_as(&app, &w.pro, "/v1/referrals").await;
    common::assert_problem(s, &v, 400, "gemeente");
    let (s, v) = common::get_as(&app, &w.pro, &format!("{base}&state=lost")).await;
    common::assert_problem(s, &v, 400, "state");
    let (s, v) = common::get_as(&app, &w.pro, &format!("{base}&cursor=nonsense")).await;
    common::assert_problem(s, &v, 400, "cursor");
    // A cursor of another list is refused.
    let (_, p1) = common::get_as(&app, &w.pro, &format!("{base}&limit=1")).await;
    let cur = p1["next_cursor"].as_str().unwrap();
    let (s, v) = common::get_as(&app, &w.pro, &format!("{base}&state=sent&cursor={cur}")).await;
    common::assert_problem(s, &v, 400, "cursor");
});

/// The FHIR Task status value set (R4, http://hl7.org/fhir/task-status).
const TASK_STATUS: [&str; 11] =
    ["draft", "requested", "received", "accepted", "rejected", "ready", "cancelled", "in-progress", "on-hold", "failed", "completed"];

/// The referral's FHIR form, after a FHIR R4 model read it strictly (unknown elements, wrong
/// types or missing required ones fail).
async fn fhir(app: &TestApp, who: &Auth, id: &str) -> Value {
    let resp = app.client.get(format!("/v1/referrals/{id}/fhir")).header("Authorization", bearer(who)).send().await;
    assert_eq!(resp.0.status().as_u16(), 200);
    assert_eq!(resp.0.headers().get("content-type").unwrap().to_str().unwrap().split(';').next().unwrap(), "application/fhir+json");
    let text = resp.0.into_body().into_string().await.unwrap();
    let raw: Value = serde_json::from_str(&text).unwrap();
    assert!(TASK_STATUS.contains(&raw["status"].as_str().unwrap()), "{raw}");
    fhirkit::from_json_strict::<fhirkit::r4::Task>(&text).unwrap_or_else(|e| panic!("not a valid FHIR R4 Task: {e:?}\n{text}"));
    raw
}

fn bearer(a: &Auth) -> String {
    match a {
        Auth::Bearer(t) => format!("Bearer {t}"),
        other => panic!("{other:?}"),
    }
}

fn status_of(t: &Value) -> &str {
    t["status"].as_str().unwrap()
}

api_test!(a_referral_is_a_fhir_r4_task, false, |app: TestApp| async move {
    let w = world(&app, None).await;
    give_consent(&app, &w.resident).await;
    let (_, r) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
    let rid = id(&r);
    let t = fhir(&app, &w.pro, &rid).await;
    assert_eq!(status_of(&t), "requested");
    act(&app, &w.volunteer_auth, &rid, "accept", json!({})).await;
    assert_eq!(status_of(&fhir(&app, &w.volunteer_auth, &rid).await), "accepted");
    act(&app, &w.volunteer_auth, &rid, "start", json!({})).await;
    assert_eq!(status_of(&fhir(&app, &w.pro, &rid).await), "in-progress");
    act(&app, &w.volunteer_auth, &rid, "close", json!({"outcome": "got_help"})).await;
    let done = fhir(&app, &w.resident, &rid).await;
    assert_eq!(status_of(&done), "completed");
    // The model's own check, on a document it must refuse: the test is not blind.
    let mut broken = done.clone();
    broken["intent"] = json!(42);
    assert!(fhirkit::from_json_strict::<fhirkit::r4::Task>(&broken.to_string()).is_err());
    let v = done;
    assert_eq!(v["intent"], "order");
    assert_eq!(v["businessStatus"]["coding"][0]["code"], "got_help");
    assert_eq!(v["for"]["reference"], format!("Patient/{}", w.resident_id));
    assert!(v["owner"]["reference"].as_str().unwrap().starts_with("Practitioner/"));
    assert!(v["authoredOn"].is_string() && v["lastModified"].is_string());

    let (_, r) = refer(&app, &w.pro, &w.request, "offer", &w.offer).await;
    // Before acceptance the helper's Task does not say who the resident is.
    let before = fhir(&app, &w.offer_auth, &id(&r)).await;
    assert!(before.get("for").is_none(), "{before}");
    act(&app, &w.offer_auth, &id(&r), "decline", json!({"reason": "outside_area"})).await;
    let t = fhir(&app, &w.pro, &id(&r)).await;
    assert_eq!(status_of(&t), "rejected");
    let (_, r) = refer(&app, &w.pro, &w.request, "initiative", &w.initiative).await;
    act(&app, &w.organiser, &id(&r), "accept", json!({})).await;
    act(&app, &w.pro, &id(&r), "close", json!({"outcome": "no_capacity"})).await;
    assert_eq!(status_of(&fhir(&app, &w.pro, &id(&r)).await), "failed");
    let (_, r) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
    act(&app, &w.resident, &id(&r), "cancel", json!({})).await;
    assert_eq!(status_of(&fhir(&app, &w.pro, &id(&r)).await), "cancelled");
    let resp = app.client.get(format!("/v1/referrals/{}/fhir", id(&r))).send().await;
    assert_eq!(resp.0.status().as_u16(), 401);
});

api_test!(concurrent_steps_leave_one_winner, false, |app: TestApp| async move {
    let w = world(&app, None).await;
    let consent = give_consent(&app, &w.resident).await;
    // Accept racing cancel: one wins, the other is refused, the history has one of them.
    for _ in 0..3 {
        let (_, r) = refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer).await;
        let rid = id(&r);
        let (a, c) = tokio::join!(act(&app, &w.volunteer_auth, &rid, "accept", json!({})), act(&app, &w.pro, &rid, "cancel", json!({})));
        let (_, v) = common::get_as(&app, &w.pro, &format!("/v1/referrals/{rid}")).await;
        match (a.0, c.0) {
            (200, 200) => assert_eq!(v["state"], "cancelled", "cancel after accept: {v}"),
            (409, 200) => assert_eq!(v["state"], "cancelled"),
            (200, 409) => panic!("an accepted referral can still be cancelled: {a:?} {c:?}"),
            other => panic!("{other:?}: {a:?} {c:?}"),
        }
        let states: Vec<&str> = v["history"].as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap()).collect();
        assert!(states == ["sent", "cancelled"] || states == ["sent", "accepted", "cancelled"], "{states:?}");
    }
    // Two organisers of the helping initiative accept at once: one 200, one 409.
    let (s, inv) = common::post_as(&app, &w.organiser, &format!("/v1/initiatives/{}/invitations", w.initiative), json!({})).await;
    assert_eq!(s, 201);
    let (_, second) = common::poelenburg_person(&app, "Tweede").await;
    let (s, _) = common::post_as(&app, &second, "/v1/invitations/accept", json!({"code": inv["code"]})).await;
    assert_eq!(s, 200);
    let (_, r) = refer(&app, &w.pro, &w.request, "initiative", &w.initiative).await;
    let rid = id(&r);
    let (a, b) = tokio::join!(act(&app, &w.organiser, &rid, "accept", json!({})), act(&app, &second, &rid, "accept", json!({})));
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [200, 409], "{a:?} {b:?}");
    let loser = if a.0 == 409 { &a.1 } else { &b.1 };
    assert_eq!(loser["current_state"], "accepted");
    let (_, v) = common::get_as(&app, &w.pro, &format!("/v1/referrals/{rid}")).await;
    assert_eq!(v["history"].as_array().unwrap().len(), 2, "{v}");
    act(&app, &w.pro, &rid, "cancel", json!({})).await;
    // The consent withdrawn while the helper accepts: whichever comes first, the referral ends
    // cancelled and the helper holds no contact.
    let (_, r) = refer(&app, &w.pro, &w.request, "offer", &w.offer).await;
    let rid = id(&r);
    let withdraw = format!("/v1/consents/{consent}/withdraw");
    let (a, c) =
        tokio::join!(act(&app, &w.offer_auth, &rid, "accept", json!({})), common::post_as(&app, &w.resident, &withdraw, json!({})));
    assert_eq!(c.0, 200, "{c:?}");
    assert!(a.0 == 200 || a.0 == 409, "{a:?}");
    let (_, v) = common::get_as(&app, &w.offer_auth, &format!("/v1/referrals/{rid}")).await;
    assert_eq!(v["state"], "cancelled", "{v}");
    assert!(v.get("resident").is_none(), "{v}");
    // A referral made while the consent is withdrawn: refused, or made and then cancelled;
    // never left open under a withdrawn consent.
    let consent = give_consent(&app, &w.resident).await;
    let withdraw = format!("/v1/consents/{consent}/withdraw");
    let (r, c) =
        tokio::join!(refer(&app, &w.pro, &w.request, "volunteer", &w.volunteer), common::post_as(&app, &w.resident, &withdraw, json!({})));
    assert_eq!(c.0, 200, "{c:?}");
    match r.0 {
        403 => assert_eq!(r.1["code"], "consent_required"),
        201 => {
            let (_, v) = common::get_as(&app, &w.pro, &format!("/v1/referrals/{}", id(&r.1))).await;
            assert_eq!(v["state"], "cancelled", "{v}");
        }
        other => panic!("{other}: {:?}", r.1),
    }
});

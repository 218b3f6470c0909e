//! Residents tell how it went (`/v1/experiences`), through the real app: answering a completed
//! match once, changing it within 14 days, nobody else ever reading it, export and erasure,
//! and the summaries per area and period under the k = 5 rule.
mod common;

use std::collections::HashSet;

use common::{Auth, POELENBURG, TestApp};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

/// A point in Wormerveer (WK047951), another wijk of Zaanstad.
const WORMERVEER: (f64, f64) = (52.4953, 4.7909);

/// An initiative for company in Poelenburg and its organiser, the helper of every match here.
async fn company_group(app: &TestApp) -> (String, Auth) {
    common::new_initiative(
        app,
        json!({"name": "Koffieochtend De Bron", "description": "Koffie en een praatje met buren.", "kind": "informal_group",
               "categories": ["companionship"], "zrm_domains": ["sociaal_netwerk"],
               "location": {"lat": POELENBURG.0, "lng": POELENBURG.1}}),
    )
    .await
}

/// A resident living at `home` who asked for company.
struct Resident {
    auth: Auth,
    person_id: String,
    request: String,
}

async fn resident(app: &TestApp, name: &str, home: (f64, f64)) -> Resident {
    let (person_id, auth) = common::new_person(app, json!({"display_name": name, "home_point": {"lat": home.0, "lng": home.1}})).await;
    let body = json!({"kind": "request", "title": "Gezelschap gezocht", "description": "Samen koffie drinken.", "categories": ["companionship"],
                      "owner": {"person_id": person_id}});
    let (s, r) = common::post_as(app, &auth, "/v1/listings", body).await;
    assert_eq!(s, 201, "{r}");
    Resident { auth, person_id, request: r["id"].as_str().unwrap().to_owned() }
}

/// Proposes a match between the resident's request and the group (the resident's side accepts
/// by proposing); returns its id.
async fn proposed(app: &TestApp, r: &Resident, group: &str) -> String {
    let (s, m) =
        common::post_as(app, &r.auth, "/v1/matches", json!({"request_id": r.request, "helper_kind": "initiative", "helper_id": group}))
            .await;
    assert_eq!(s, 201, "{m}");
    m["id"].as_str().unwrap().to_owned()
}

/// Takes a proposed match through acceptance by the group to completion by the resident.
async fn complete(app: &TestApp, r: &Resident, organiser: &Auth, id: &str) {
    let (s, v) = common::post_as(app, organiser, &format!("/v1/matches/{id}/accept"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = common::post_as(app, &r.auth, &format!("/v1/matches/{id}/complete"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "completed");
}

/// A resident at `home` whose match with the group is completed: (the resident, the match).
async fn helped(app: &TestApp, group: &str, organiser: &Auth, name: &str, home: (f64, f64)) -> (Resident, String) {
    let r = resident(app, name, home).await;
    let m = proposed(app, &r, group).await;
    complete(app, &r, organiser, &m).await;
    (r, m)
}

/// Answers about match `m` as `who` with `answer` (themes, comment, share_comment).
async fn answer(app: &TestApp, who: &Auth, m: &str, mut answer: Value) -> (u16, Value) {
    answer["match_id"] = json!(m);
    common::post_as(app, who, "/v1/experiences", answer).await
}

/// Moves an answer's first time `days` back, as if given that long ago.
async fn age(app: &TestApp, id: &str, days: i64) {
    use buurtkracht::store::entities::experience;
    let row = experience::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap()).one(&app.app.state.db).await.unwrap().unwrap();
    let mut a: experience::ActiveModel = row.clone().into();
    a.created_at = Set(row.created_at - chrono::Duration::days(days));
    a.update(&app.app.state.db).await.unwrap();
}

api_test!(a_completed_match_is_answered_once_and_changed_within_fourteen_days, false, |app: TestApp| async move {
    let (group, organiser) = company_group(&app).await;
    let ria = resident(&app, "Ria", POELENBURG).await;
    let m = proposed(&app, &ria, &group).await;
    let first = json!({"themes": {"listened": 5, "fitted": 4}, "comment": "Fijn geholpen.\nDank je wel!", "share_comment": true});

    // Not before the match is completed: proposed, then accepted.
    let (s, v) = answer(&app, &ria.auth, &m, first.clone()).await;
    common::assert_problem(s, &v, 422, "match_id");
    assert_eq!(v["code"], "not_closed");
    let (s, _) = common::post_as(&app, &organiser, &format!("/v1/matches/{m}/accept"), json!({})).await;
    assert_eq!(s, 200);
    let (s, v) = answer(&app, &ria.auth, &m, first.clone()).await;
    assert_eq!((s, v["code"].as_str()), (422, Some("not_closed")), "{v}");
    let (s, _) = common::post_as(&app, &ria.auth, &format!("/v1/matches/{m}/complete"), json!({})).await;
    assert_eq!(s, 200);

    // Only the resident answers: not the helper, another resident, a professional or an admin.
    let (_, other) = common::poelenburg_person(&app, "Bram").await;
    for who in [&organiser, &other, &common::zaanstad_professional(), &common::zaanstad_admin()] {
        let (s, v) = answer(&app, who, &m, first.clone()).await;
        assert_eq!(s, 403, "{who:?}: {v}");
    }
    let (s, _) = answer(&app, &Auth::None, &m, first.clone()).await;
    assert_eq!(s, 401);

    let (s, given) = answer(&app, &ria.auth, &m, first.clone()).await;
    assert_eq!(s, 201, "{given}");
    let id = given["id"].as_str().unwrap().to_owned();
    assert_eq!(given["match_id"], m.as_str());
    assert!(given.get("referral_id").is_none(), "{given}");
    assert_eq!(given["themes"], json!({"listened": 5, "fitted": 4}));
    assert_eq!(given["comment"], "Fijn geholpen.\nDank je wel!");
    assert_eq!(given["share_comment"], true);
    assert_eq!((given["gemeente_code"].as_str(), given["wijk_code"].as_str()), (Some("GM0479"), Some("WK047912")));
    let created = chrono::DateTime::parse_from_rfc3339(given["created_at"].as_str().unwrap()).unwrap();
    let until = chrono::DateTime::parse_from_rfc3339(given["changeable_until"].as_str().unwrap()).unwrap();
    assert_eq!(until - created, chrono::Duration::days(14));

    // Once per match.
    let (s, v) = answer(&app, &ria.auth, &m, json!({"themes": {"quick": 2}})).await;
    common::assert_problem(s, &v, 409, "");
    let (s, v) = common::get_as(&app, &ria.auth, &format!("/v1/experiences/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(v["themes"], json!({"listened": 5, "fitted": 4}), "the refused second answer changed nothing");
    let (s, mine) = common::get_as(&app, &ria.auth, "/v1/experiences").await;
    assert_eq!(s, 200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");

    // A merge patch within 14 days: null removes a score or the comment.
    let url = format!("/v1/experiences/{id}");
    let (s, v) = common::patch_as(&app, &ria.auth, &url, json!({"themes": {"listened": null, "quick": 3}, "comment": null})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["themes"], json!({"fitted": 4, "quick": 3}));
    assert!(v.get("comment").is_none(), "{v}");
    assert_eq!(v["created_at"], given["created_at"], "the first answer's time stays");
    // Nothing left to say, another subject, a score off the scale: refused, nothing changed.
    let (s, v) = common::patch_as(&app, &ria.auth, &url, json!({"themes": null})).await;
    common::assert_problem(s, &v, 400, "themes");
    let (s, v) = common::patch_as(&app, &ria.auth, &url, json!({"match_id": uuid::Uuid::now_v7()})).await;
    common::assert_problem(s, &v, 400, "match_id");
    let (s, v) = common::patch_as(&app, &ria.auth, &url, json!({"themes": {"recommend": 0}})).await;
    common::assert_problem(s, &v, 400, "themes.recommend");
    let (s, v) = common::patch_as(&app, &other, &url, json!({"themes": {"quick": 5}})).await;
    assert_eq!(s, 403, "{v}");
    let (_, v) = common::get_as(&app, &ria.auth, &url).await;
    assert_eq!(v["themes"], json!({"fitted": 4, "quick": 3}));

    // On day 13 it still changes; from day 14 it is closed.
    age(&app, &id, 13).await;
    let (s, v) = common::patch_as(&app, &ria.auth, &url, json!({"themes": {"recommend": 5}})).await;
    assert_eq!(s, 200, "{v}");
    age(&app, &id, 1).await;
    let (s, v) = common::patch_as(&app, &ria.auth, &url, json!({"themes": {"recommend": 1}})).await;
    common::assert_problem(s, &v, 422, "created_at");
    assert_eq!(v["code"], "answer_closed");
    let (s, v) = common::get_as(&app, &ria.auth, &url).await;
    assert_eq!(s, 200);
    assert_eq!(v["themes"]["recommend"], 5, "{v}");

    // Written as the resident's own: in their audit log, and nobody else's reads in it.
    let (_, log) = common::get_as(&app, &ria.auth, "/v1/me/audit?limit=200").await;
    let mine: Vec<&Value> = log["items"].as_array().unwrap().iter().filter(|e| e["resource"] == "experience").collect();
    let actions: Vec<&str> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "update", "update"], "{log}");
    assert!(mine.iter().all(|e| e["actor_role"] == "resident" && e["resource_id"] == id.as_str()), "{log}");
    assert_eq!(mine[0]["endpoint"], "POST /v1/experiences");
});

api_test!(nobody_but_the_resident_reads_an_answer_and_erasure_takes_it, false, |app: TestApp| async move {
    let (group, organiser) = company_group(&app).await;
    let (ria, m) = helped(&app, &group, &organiser, "Ria", POELENBURG).await;
    let secret = "De vrijwilliger kwam twee keer te laat.";
    let (s, given) = answer(&app, &ria.auth, &m, json!({"themes": {"quick": 1}, "comment": secret, "share_comment": false})).await;
    assert_eq!(s, 201, "{given}");
    let id = given["id"].as_str().unwrap().to_owned();
    let url = format!("/v1/experiences/{id}");

    // The helper, residents, professionals and admins of the gemeente, in or out: 403 on the
    // answer, and their own (empty) list.
    let key = common::admin_key(&app, &["GM0479"]).await;
    let (_, other) = common::poelenburg_person(&app, "Bram").await;
    let others = [
        organiser.clone(),
        other,
        common::zaanstad_professional(),
        common::token("pro-ams", "professional", &["GM0363"]),
        common::zaanstad_admin(),
        key,
    ];
    for who in &others {
        let (s, v) = common::get_as(&app, who, &url).await;
        assert_eq!(s, 403, "{who:?}: {v}");
        assert_eq!(v["code"], "forbidden");
        assert!(!v.to_string().contains(secret));
        let (s, v) = common::get_as(&app, who, "/v1/experiences").await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["items"], json!([]), "{who:?}");
    }
    let (s, _) = common::get_as(&app, &Auth::None, &url).await;
    assert_eq!(s, 401);
    // The match itself shows nothing of it to the helper or the professional.
    for who in [&organiser, &common::zaanstad_professional()] {
        let (s, v) = common::get_as(&app, who, &format!("/v1/matches/{m}")).await;
        assert_eq!(s, 200);
        assert!(!v.to_string().contains(secret) && !v.to_string().contains(&id), "{v}");
    }
    // Nor does the audit log an admin reads.
    let (_, log) = common::get_as(&app, &common::zaanstad_admin(), "/v1/audit?limit=200").await;
    assert!(!log.to_string().contains(secret));

    // The resident's export holds it.
    let (s, export) = common::get_as(&app, &ria.auth, "/v1/me/export").await;
    assert_eq!(s, 200, "{export}");
    assert_eq!(export["experiences"][0]["id"], id.as_str());
    assert_eq!(export["experiences"][0]["comment"], secret);
    assert_eq!(export["experiences"][0]["match_id"], m.as_str());

    // Erasure removes it: from the API and from the database.
    let (s, _) = common::delete_as(&app, &ria.auth, "/v1/me").await;
    assert_eq!(s, 204);
    let (s, _) = common::get_as(&app, &ria.auth, &url).await;
    assert_eq!(s, 404);
    let rows = buurtkracht::store::entities::experience::Entity::find().all(&app.app.state.db).await.unwrap();
    assert!(rows.is_empty(), "{rows:?}");
    let (_, summary) = common::get_as(&app, &common::zaanstad_professional(), "/v1/experiences/summary?area=WK047912").await;
    assert_eq!(summary["answers"], json!({"count": 0, "suppressed": false}), "{summary}");
    assert!(!summary.to_string().contains(&ria.person_id));
});

/// The theme of a summary with this code.
fn theme<'a>(summary: &'a Value, code: &str) -> &'a Value {
    summary["themes"].as_array().unwrap().iter().find(|t| t["theme"] == code).unwrap_or_else(|| panic!("no {code} in {summary}"))
}

fn suppressed(v: &Value) -> bool {
    v["suppressed"] == true && v.get("count").is_none() && v.get("mean").is_none()
}

fn comments(summary: &Value) -> Vec<String> {
    summary["shared_comments"].as_array().unwrap().iter().map(|c| c["comment"].as_str().unwrap().to_owned()).collect()
}

api_test!(summaries_show_nothing_below_five_answers, false, |app: TestApp| async move {
    let (group, organiser) = company_group(&app).await;
    let pro = common::zaanstad_professional();
    let wijk = "/v1/experiences/summary?area=WK047912";
    let summary = |url: &'static str| {
        let (app, pro) = (&app, &pro);
        async move {
            let (s, v) = common::get_as(app, pro, url).await;
            assert_eq!(s, 200, "{url}: {v}");
            v
        }
    };

    // None yet: zeros are shown, they single out nobody.
    let v = summary(wijk).await;
    assert_eq!(v["answers"], json!({"count": 0, "suppressed": false}));
    assert_eq!(v["area_name"], "Poelenburg");
    assert_eq!(v["themes"].as_array().unwrap().len(), 6);
    assert_eq!(theme(&v, "listened")["count"], 0);
    assert!(theme(&v, "listened").get("mean").is_none());
    assert_eq!(theme(&v, "listened")["label"]["nl"], "Ik werd gehoord");

    let bodies = [
        json!({"themes": {"listened": 5, "fitted": 4}, "comment": "Ze luisterden echt.", "share_comment": true}),
        json!({"themes": {"listened": 4, "fitted": 2}, "comment": "Niet doorvertellen aub.", "share_comment": false}),
        json!({"themes": {"listened": 4}}),
        json!({"themes": {"listened": 3}, "comment": "Snel geholpen, dank!", "share_comment": true}),
        json!({"themes": {"listened": 5, "quick": 4}}),
        json!({"comment": "Alleen wat woorden.", "share_comment": true}),
    ];
    let mut ids = Vec::new();
    let mut people = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let (r, m) = helped(&app, &group, &organiser, &format!("Bewoner {i}"), POELENBURG).await;
        let (s, v) = answer(&app, &r.auth, &m, body.clone()).await;
        assert_eq!(s, 201, "{v}");
        ids.push(v["id"].as_str().unwrap().to_owned());
        people.push(r.person_id.clone());
        ids.push(m);
        let v = summary(wijk).await;
        let n = i + 1;
        match n {
            1..=4 => {
                // One to four answers: no total, no theme with answers, no comment.
                assert!(suppressed(&v["answers"]), "{n}: {v}");
                assert!(suppressed(theme(&v, "listened")), "{n}: {v}");
                assert!(suppressed(theme(&v, "fitted")), "{n}: {v}");
                assert_eq!(theme(&v, "quick")["count"], 0, "{n}: nobody scored it yet");
                assert!(comments(&v).is_empty(), "{n}: {v}");
            }
            5 => {
                let listened = theme(&v, "listened");
                assert_eq!((listened["count"].as_u64(), listened["mean"].as_f64()), (Some(5), Some(4.2)), "{v}");
                assert_eq!(listened["suppressed"], false);
                assert!(suppressed(theme(&v, "fitted")), "two scored it: {v}");
                assert!(suppressed(theme(&v, "quick")), "one scored it: {v}");
                assert_eq!(theme(&v, "recommend")["count"], 0);
                // Five in all, and every one scored `listened`: nothing is given away.
                assert_eq!(v["answers"], json!({"count": 5, "suppressed": false}), "{v}");
                // Shared comments from five answers, sorted by text, each with its month only.
                assert_eq!(comments(&v), ["Snel geholpen, dank!", "Ze luisterden echt."], "{v}");
            }
            _ => {
                // Six in all, five of whom scored `listened`: the total would show that one
                // answer left it out, so it is held back; the theme still shows.
                assert!(suppressed(&v["answers"]), "{v}");
                assert_eq!(theme(&v, "listened")["count"], 5);
                assert_eq!(comments(&v), ["Alleen wat woorden.", "Snel geholpen, dank!", "Ze luisterden echt."], "{v}");
            }
        }
    }
    let v = summary(wijk).await;
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    for c in v["shared_comments"].as_array().unwrap() {
        let keys: HashSet<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, HashSet::from(["month", "comment"]), "{c}");
        assert_eq!(c["month"], this_month.as_str());
    }
    // A comment the resident did not share never appears; nor ids, names or days.
    let text = v.to_string();
    assert!(!text.contains("Niet doorvertellen"), "{text}");
    for id in ids.iter().chain(&people) {
        assert!(!text.contains(id.as_str()), "{id} in {text}");
    }
    assert!(!text.contains("Bewoner"));
    assert!(!text.contains(&chrono::Utc::now().format("%Y-%m-%d").to_string()), "{text}");

    // The gemeente holds the wijk's answers and one from Wormerveer; that wijk alone has one.
    let (wim, m) = helped(&app, &group, &organiser, "Wim", WORMERVEER).await;
    let (s, v) = answer(&app, &wim.auth, &m, json!({"themes": {"listened": 1}, "comment": "Te ver weg.", "share_comment": true})).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["wijk_code"], "WK047951", "Wormerveer is another wijk: {v}");
    let gm = summary("/v1/experiences/summary?area=GM0479").await;
    assert_eq!(gm["area_name"], "Zaanstad");
    // Six scored `listened` in the gemeente, five of them in Poelenburg. Counted in, Wim's one
    // answer would be the gemeente's figure minus Poelenburg's; so the gemeente adds up only
    // the wijken and months of none or at least five, and equals Poelenburg here.
    let listened = theme(&gm, "listened");
    assert_eq!((listened["count"].as_u64(), listened["mean"].as_f64()), (Some(5), Some(4.2)), "{gm}");
    assert_eq!(gm["themes"], summary(wijk).await["themes"], "Wormerveer's one answer is left out: {gm}");
    // Wormerveer's one comment stays back in the gemeente too: listed there and in none of the
    // wijken, it would point at the wijk with one answer.
    assert_eq!(comments(&gm), ["Alleen wat woorden.", "Snel geholpen, dank!", "Ze luisterden echt."], "{gm}");
    let wk = summary(wijk).await;
    assert_eq!(theme(&wk, "listened")["count"], 5, "the Wormerveer answer is not in Poelenburg: {wk}");
    assert!(!comments(&wk).contains(&"Te ver weg.".to_owned()));
    let other_wijk = summary("/v1/experiences/summary?area=WK047951").await;
    assert!(suppressed(&other_wijk["answers"]) && suppressed(theme(&other_wijk, "listened")), "{other_wijk}");
    assert!(comments(&other_wijk).is_empty(), "one answer: its comment stays back: {other_wijk}");
    // The professional's own gemeente is the default area, and the last twelve months the default period.
    let default = summary("/v1/experiences/summary").await;
    assert_eq!(default["area"], "GM0479");
    assert_eq!(default["to"], this_month.as_str());
    assert_eq!(default["themes"], gm["themes"]);
    // A period without these answers.
    let old = summary("/v1/experiences/summary?area=WK047912&from=2020-01&to=2020-12").await;
    assert_eq!(old["answers"], json!({"count": 0, "suppressed": false}));
    assert_eq!((old["from"].as_str(), old["to"].as_str()), (Some("2020-01"), Some("2020-12")));
});

api_test!(summaries_are_for_the_gemeente_s_own_professionals_and_admins, false, |app: TestApp| async move {
    let (_, resident) = common::poelenburg_person(&app, "Ria").await;
    let pro_ams = common::token("pro-ams", "professional", &["GM0363"]);
    let two = common::token("pro-two", "professional", &["GM0479", "GM0363"]);
    let key = common::admin_key(&app, &["GM0479"]).await;
    let cases: Vec<(Auth, &str, u16)> = vec![
        (common::zaanstad_professional(), "area=GM0479", 200),
        (common::zaanstad_professional(), "area=WK047912", 200),
        (common::zaanstad_admin(), "area=WK047912", 200),
        (key, "area=gm0479", 200),
        (two.clone(), "area=WK0363AD", 200),
        (Auth::None, "area=GM0479", 401),
        (resident, "area=GM0479", 403),
        (pro_ams.clone(), "area=GM0479", 403),
        (pro_ams.clone(), "area=WK047912", 403),
        // A wijk outside the professional's gemeente.
        (common::zaanstad_professional(), "area=WK0363AD", 403),
        (common::token("admin-ams", "admin", &["GM0363"]), "area=WK047912", 403),
        (common::token("pro-none", "professional", &[]), "", 400),
        (two, "", 400),
        // A wijk the gemeente does not have.
        (common::zaanstad_professional(), "area=WK047999", 404),
    ];
    for (who, query, want) in cases {
        let (s, v) = common::get_as(&app, &who, &format!("/v1/experiences/summary?{query}")).await;
        assert_eq!(s, want, "{who:?} {query}: {v}");
        if want == 400 {
            common::assert_problem(s, &v, 400, "area");
        }
    }
    let pro = common::zaanstad_professional();
    for (query, field) in [
        ("area=Zaanstad", "area"),
        ("area=WK0479", "area"),
        ("from=2026-13", "from"),
        ("to=26-01", "to"),
        ("from=1999-12", "from"),
        ("from=2026-05&to=2026-04", "to"),
        ("from=2023-01&to=2026-01", "from"),
    ] {
        let (s, v) = common::get_as(&app, &pro, &format!("/v1/experiences/summary?{query}")).await;
        common::assert_problem(s, &v, 400, field);
    }
    // 36 months is the longest period.
    let (s, v) = common::get_as(&app, &pro, "/v1/experiences/summary?from=2023-01&to=2025-12").await;
    assert_eq!(s, 200, "{v}");
});

/// The fields a problem names.
fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

api_test!(bad_answers_name_the_field_and_write_nothing, false, |app: TestApp| async move {
    let (group, organiser) = company_group(&app).await;
    let (ria, m) = helped(&app, &group, &organiser, "Ria", POELENBURG).await;
    let post = |body: Value| {
        let (app, auth) = (&app, &ria.auth);
        async move { common::post_as(app, auth, "/v1/experiences", body).await }
    };
    let long = "x".repeat(2001);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"match_id": m, "themes": {"listened": 0}}), "themes.listened"),
        (json!({"match_id": m, "themes": {"listened": 6}}), "themes.listened"),
        (json!({"match_id": m, "themes": {"manage_better": -1}}), "themes.manage_better"),
        (json!({"match_id": m, "themes": {"quality_of_life": 2.5}}), "themes.quality_of_life"),
        (json!({"match_id": m, "themes": {"fitted": "5"}}), "themes.fitted"),
        (json!({"match_id": m, "themes": {"joy": 5}}), "themes.joy"),
        (json!({"match_id": m, "themes": {}}), "themes"),
        (json!({"match_id": m, "comment": "   "}), "themes"),
        (json!({"match_id": m, "comment": long}), "comment"),
        (json!({"match_id": m, "comment": "a\u{0000}b"}), "comment"),
        (json!({"match_id": m, "themes": {"quick": 3}, "share_comment": "yes"}), "share_comment"),
        (json!({"themes": {"quick": 3}}), "match_id"),
        (json!({"match_id": m, "referral_id": m, "themes": {"quick": 3}}), "referral_id"),
        (json!({"match_id": "not-a-uuid", "themes": {"quick": 3}}), "match_id"),
        (json!({"match_id": m, "themes": {"quick": 3}, "rating": 3}), "rating"),
    ];
    for (body, field) in cases {
        let (s, v) = post(body.clone()).await;
        common::assert_problem(s, &v, 400, field);
        assert!(fields(&v).contains(&field.to_owned()), "{body}: {v}");
    }
    // Both subjects name both fields.
    let (_, v) = post(json!({"match_id": m, "referral_id": m, "themes": {"quick": 3}})).await;
    assert_eq!(fields(&v), ["match_id", "referral_id"], "{v}");
    // Well-formed references that cannot be carried out.
    let (s, v) = post(json!({"match_id": uuid::Uuid::now_v7(), "themes": {"quick": 3}})).await;
    common::assert_problem(s, &v, 422, "match_id");
    assert_eq!(v["code"], "unknown_reference");
    let (s, v) = post(json!({"referral_id": uuid::Uuid::now_v7(), "themes": {"quick": 3}})).await;
    common::assert_problem(s, &v, 422, "referral_id");
    assert_eq!(v["code"], "unknown_reference");
    // Someone else's match.
    let (bep, bep_match) = helped(&app, &group, &organiser, "Bep", POELENBURG).await;
    let (s, v) = post(json!({"match_id": bep_match, "themes": {"quick": 3}})).await;
    common::assert_problem(s, &v, 403, "");
    // Nothing was written by any of them.
    let (_, mine) = common::get_as(&app, &ria.auth, "/v1/experiences").await;
    assert_eq!(mine["items"], json!([]), "{mine}");
    let rows = buurtkracht::store::entities::experience::Entity::find().all(&app.app.state.db).await.unwrap();
    assert!(rows.is_empty(), "{rows:?}");
    // The edges of the scale and of the comment are fine; a comment may span lines.
    let (s, v) =
        post(json!({"match_id": m, "themes": {"listened": 1, "recommend": 5}, "comment": format!("{}\r\n\tx", "y".repeat(1995))})).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = answer(&app, &bep.auth, &bep_match, json!({"comment": "Alleen woorden."})).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["themes"], json!({}));
    assert_eq!(v["share_comment"], false, "not shared unless asked");
    // Unknown ids and a bad id in the path.
    let (s, _) = common::get_as(&app, &ria.auth, &format!("/v1/experiences/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(s, 404);
    let (s, v) = common::get_as(&app, &ria.auth, "/v1/experiences/nope").await;
    common::assert_problem(s, &v, 400, "id");
    let (s, v) = common::patch_as(&app, &ria.auth, &format!("/v1/experiences/{}", uuid::Uuid::now_v7()), json!({"comment": "x"})).await;
    assert_eq!(s, 404, "{v}");
});

api_test!(the_same_answer_twice_at_once_is_stored_once, false, |app: TestApp| async move {
    let (group, organiser) = company_group(&app).await;
    let (ria, m) = helped(&app, &group, &organiser, "Ria", POELENBURG).await;
    let body = json!({"themes": {"listened": 4}});
    let (a, b) = tokio::join!(answer(&app, &ria.auth, &m, body.clone()), answer(&app, &ria.auth, &m, body.clone()));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{a:?} {b:?}");
    let (_, mine) = common::get_as(&app, &ria.auth, "/v1/experiences").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
});

api_test!(the_taxonomy_lists_the_themes, false, |app: TestApp| async move {
    let (s, v) = common::get(&app, "/v1/taxonomy").await;
    assert_eq!(s, 200);
    let codes: Vec<&str> = v["experience_themes"].as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["listened", "fitted", "quick", "manage_better", "quality_of_life", "recommend"]);
    assert_eq!(v["experience_themes"][5]["label"], json!({"nl": "Ik zou het aanraden", "en": "I would recommend it"}));
});

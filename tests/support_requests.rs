//! Support requests through the real app: an initiative asks its wijkteam for a room, a grant,
//! volunteers ...; the gemeente's professionals review, grant or decline; the organisers may
//! withdraw while nothing is decided. Every transition allowed and refused, who sees what, the
//! history and the audit log, erasure, and two decisions at once.
mod common;

use common::{Auth, DAM, POELENBURG, TestApp};
use serde_json::{Value, json};

/// A point in Zaandam Noord (WK047916), another wijk of Zaanstad than Poelenburg.
const ZAANDAM_NOORD: (f64, f64) = (52.4724, 4.8252);

const KINDS: [&str; 6] = ["room", "grant", "volunteers", "training", "publicity", "municipal_contact"];

fn initiative_at(name: &str, at: (f64, f64)) -> Value {
    json!({"name": name, "description": "Koffie en een praatje.", "kind": "resident_initiative", "categories": ["meeting_place"],
           "location": {"lat": at.0, "lng": at.1}})
}

/// A Poelenburg initiative and its organiser.
async fn initiative(app: &TestApp) -> (String, Auth) {
    common::new_initiative(app, initiative_at("Buurtkamer Poelenburg", POELENBURG)).await
}

/// A valid request of `kind` (a grant with an amount).
fn ask(kind: &str) -> Value {
    let mut body = json!({"kind": kind, "description": format!("Wij vragen: {kind}.\nVoor de koffieochtend op dinsdag.")});
    if kind == "grant" {
        body["amount_cents"] = json!(25_000);
    }
    body
}

fn requests_of(initiative: &str) -> String {
    format!("/v1/initiatives/{initiative}/support-requests")
}

/// Submits `body` for `initiative` as `who`, expecting 201; returns the request.
async fn submit(app: &TestApp, who: &Auth, initiative: &str, body: Value) -> Value {
    let (s, v) = common::post_as(app, who, &requests_of(initiative), body).await;
    assert_eq!(s, 201, "{v}");
    v
}

fn url(request: &Value) -> String {
    format!("/v1/support-requests/{}", request["id"].as_str().unwrap())
}

fn second_professional() -> Auth {
    common::token("pro-zaanstad-2", "professional", &["GM0479"])
}

fn amsterdam_professional() -> Auth {
    common::token("pro-amsterdam", "professional", &["GM0363"])
}

async fn actor_of(app: &TestApp, who: &Auth) -> String {
    let (s, me) = common::get_as(app, who, "/v1/me").await;
    assert_eq!(s, 200, "{me}");
    me["actor"].as_str().unwrap().to_owned()
}

fn statuses(history: &Value) -> Vec<&str> {
    history.as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect()
}

fn ids(page: &[Value]) -> Vec<String> {
    page.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

api_test!(organisers_ask_for_every_kind, false, |app: TestApp| async move {
    let (ini, organiser) = initiative(&app).await;
    let me = actor_of(&app, &organiser).await;
    for kind in KINDS {
        let r = submit(&app, &organiser, &ini, ask(kind)).await;
        assert_eq!(r["kind"], kind);
        assert_eq!(r["status"], "submitted");
        assert_eq!(r["initiative_id"], ini.as_str());
        assert_eq!(r["gemeente_code"], "GM0479");
        assert_eq!(r["wijk_code"], "WK047912");
        assert!(r["description"].as_str().unwrap().contains('\n'), "a description may span lines: {r}");
        assert_eq!(r["amount_cents"], if kind == "grant" { json!(25_000) } else { Value::Null }, "{r}");
        assert!(r.get("grant").is_none() && r.get("decline").is_none(), "{r}");
        let history = r["history"].as_array().unwrap();
        assert_eq!(history.len(), 1, "{r}");
        assert_eq!(history[0]["status"], "submitted");
        assert_eq!(history[0]["actor"], me.as_str());
        assert_eq!(history[0]["actor_role"], "resident");
    }
    // A wished date today or later is kept; one that has passed is refused.
    let today = chrono::Utc::now().date_naive();
    let mut dated = ask("room");
    dated["wished_date"] = json!((today + chrono::Days::new(14)).to_string());
    let r = submit(&app, &organiser, &ini, dated.clone()).await;
    assert_eq!(r["wished_date"], dated["wished_date"]);
    for refused in [today - chrono::Days::new(2), today + chrono::Days::new(6 * 366), chrono::NaiveDate::MAX] {
        dated["wished_date"] = json!(refused.to_string());
        let (s, v) = common::post_as(&app, &organiser, &requests_of(&ini), dated.clone()).await;
        common::assert_problem(s, &v, 400, "wished_date");
    }

    // Bad input: 400 naming the field, and nothing stored.
    let bad = [
        (json!({"kind": "grant", "description": "Geld voor koffie"}), "amount_cents"),
        (json!({"kind": "grant", "description": "Geld voor koffie", "amount_cents": 0}), "amount_cents"),
        (json!({"kind": "grant", "description": "Geld voor koffie", "amount_cents": 10_000_001}), "amount_cents"),
        (json!({"kind": "grant", "description": "Geld voor koffie", "amount_cents": 12.5}), "amount_cents"),
        (json!({"kind": "room", "description": "Een zaal", "amount_cents": 5_000}), "amount_cents"),
        (json!({"kind": "publicity", "description": "Posters", "amount_cents": 1}), "amount_cents"),
        (json!({"kind": "money", "description": "Geld"}), "kind"),
        (json!({"description": "Geld"}), "kind"),
        (json!({"kind": "room", "description": "   "}), "description"),
        (json!({"kind": "room", "description": "x".repeat(5001)}), "description"),
        (json!({"kind": "room", "description": "Een zaal", "wished_date": "2026-13-01"}), "wished_date"),
        (json!({"kind": "room", "description": "Een zaal", "wished_date": "volgende week"}), "wished_date"),
        (json!({"kind": "room", "description": "Een\u{0000}zaal"}), "description"),
        (json!({"kind": "room", "description": "Een zaal", "status": "granted"}), "status"),
    ];
    for (body, field) in bad {
        let (s, v) = common::post_as(&app, &organiser, &requests_of(&ini), body.clone()).await;
        common::assert_problem(s, &v, 400, field);
        assert_ne!(s, 500, "{body}");
    }
    let (s, page) = common::get_as(&app, &organiser, &requests_of(&ini)).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), KINDS.len() + 1, "the refused requests stored nothing: {page}");

    // An initiative that does not exist.
    let (s, v) = common::post_as(&app, &organiser, &requests_of(&uuid::Uuid::now_v7().to_string()), ask("room")).await;
    common::assert_problem(s, &v, 404, "");
    let (s, v) = common::post_as(&app, &organiser, "/v1/initiatives/not-an-id/support-requests", ask("room")).await;
    common::assert_problem(s, &v, 400, "id");
});

api_test!(professionals_list_filter_and_page_their_gemeente, false, |app: TestApp| async move {
    let (poelenburg, org_p) = initiative(&app).await;
    let (noord, org_n) = common::new_initiative(&app, initiative_at("Speeltuin Noord", ZAANDAM_NOORD)).await;
    let (dam, org_a) = common::new_initiative(&app, initiative_at("Buurthuis Centrum", DAM)).await;
    let mut made = Vec::new();
    for kind in ["room", "grant", "volunteers"] {
        made.push(submit(&app, &org_p, &poelenburg, ask(kind)).await);
    }
    for kind in ["grant", "training"] {
        let r = submit(&app, &org_n, &noord, ask(kind)).await;
        assert_eq!(r["wijk_code"], "WK047916", "{r}");
        made.push(r);
    }
    let amsterdam = submit(&app, &org_a, &dam, ask("publicity")).await;
    assert_eq!(amsterdam["gemeente_code"], "GM0363");

    let pro = common::zaanstad_professional();
    let all = common::every_page(&app, &pro, "/v1/support-requests?gemeente=GM0479", "items", 2).await;
    assert_eq!(all.len(), 5, "{all:?}");
    // Newest change first: the last submitted comes first.
    let mut newest_first = ids(&made);
    newest_first.reverse();
    assert_eq!(ids(&all), newest_first);
    assert!(all.iter().all(|r| r["history"].as_array().unwrap().len() == 1), "every item carries its history");

    // A change moves a request to the top.
    let oldest = &made[0];
    let (s, v) = common::post_as(&app, &pro, &format!("{}/review", url(oldest)), json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (s, first) = common::get_as(&app, &pro, "/v1/support-requests?gemeente=GM0479&limit=1").await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["items"][0]["id"], oldest["id"]);
    assert!(first["next_cursor"].is_string());

    // Filters, each alone and together.
    let count = |path: &'static str| {
        let (app, pro) = (&app, &pro);
        async move { common::every_page(app, pro, path, "items", 50).await.len() }
    };
    assert_eq!(count("/v1/support-requests?gemeente=GM0479&status=in_review").await, 1);
    assert_eq!(count("/v1/support-requests?gemeente=GM0479&status=submitted").await, 4);
    assert_eq!(count("/v1/support-requests?gemeente=GM0479&status=submitted&status=in_review").await, 5);
    assert_eq!(count("/v1/support-requests?gemeente=GM0479&kind=grant").await, 2);
    assert_eq!(count("/v1/support-requests?gemeente=GM0479&kind=grant&kind=room").await, 3);
    assert_eq!(count("/v1/support-requests?gemeente=GM0479&wijk=WK047916").await, 2);
    assert_eq!(count("/v1/support-requests?gemeente=GM0479&wijk=wk047912&kind=grant").await, 1);
    assert_eq!(count("/v1/support-requests?gemeente=GM0479&wijk=WK047912&status=granted").await, 0);
    let paged = common::every_page(&app, &pro, "/v1/support-requests?gemeente=GM0479&kind=grant&kind=room", "items", 1).await;
    assert_eq!(paged.len(), 3, "{paged:?}");

    // The Amsterdam request is Amsterdam's professionals' to see.
    let ams = common::every_page(&app, &amsterdam_professional(), "/v1/support-requests?gemeente=GM0363", "items", 10).await;
    assert_eq!(ids(&ams), vec![amsterdam["id"].as_str().unwrap().to_owned()]);

    // Bad parameters.
    for (path, field) in [
        ("/v1/support-requests", "gemeente"),
        ("/v1/support-requests?gemeente=Zaanstad", "gemeente"),
        ("/v1/support-requests?gemeente=GM0479&wijk=WK036300", "wijk"),
        ("/v1/support-requests?gemeente=GM0479&wijk=GM0479", "wijk"),
        ("/v1/support-requests?gemeente=GM0479&status=open", "status"),
        ("/v1/support-requests?gemeente=GM0479&kind=money", "kind"),
        ("/v1/support-requests?gemeente=GM0479&limit=0", "limit"),
        ("/v1/support-requests?gemeente=GM0479&limit=201", "limit"),
        ("/v1/support-requests?gemeente=GM0479&cursor=nonsense", "cursor"),
    ] {
        let (s, v) = common::get_as(&app, &pro, path).await;
        common::assert_problem(s, &v, 400, field);
    }
    // A cursor belongs to its list: with other filters, or on the initiative's list, it is refused.
    let cursor = first["next_cursor"].as_str().unwrap();
    let (s, v) = common::get_as(&app, &pro, &format!("/v1/support-requests?gemeente=GM0479&kind=room&cursor={cursor}")).await;
    common::assert_problem(s, &v, 400, "cursor");
    let (s, v) = common::get_as(&app, &pro, &format!("{}?cursor={cursor}", requests_of(&poelenburg))).await;
    common::assert_problem(s, &v, 400, "cursor");

    // An initiative's own list pages too, and holds only its requests.
    let own = common::every_page(&app, &org_p, &requests_of(&poelenburg), "items", 2).await;
    assert_eq!(own.len(), 3);
    let by_pro = common::every_page(&app, &pro, &requests_of(&poelenburg), "items", 2).await;
    assert_eq!(ids(&by_pro), ids(&own));
});

/// A fresh request of `kind`, moved along `path` (review, grant, decline, withdraw) by the
/// professional or the organiser; returns it as it ends.
async fn moved(app: &TestApp, kind: &str, path: &[&str]) -> (Value, Auth) {
    let (ini, organiser) = initiative(app).await;
    let mut r = submit(app, &organiser, &ini, ask(kind)).await;
    for step in path {
        r = step_as(app, &r, step, &organiser).await;
    }
    (r, organiser)
}

fn step_body(step: &str, kind: &str) -> Value {
    match step {
        "grant" if kind == "grant" => json!({"note": "Bijdrage voor de koffie", "amount_cents": 20_000}),
        "grant" => json!({"note": "De buurtkamer op dinsdagavond"}),
        "decline" => json!({"reason": "no_budget", "note": "Probeer het Oranje Fonds."}),
        _ => json!({}),
    }
}

async fn step_as(app: &TestApp, r: &Value, step: &str, organiser: &Auth) -> Value {
    let who = if step == "withdraw" { organiser.clone() } else { common::zaanstad_professional() };
    let (s, v) = common::post_as(app, &who, &format!("{}/{step}", url(r)), step_body(step, r["kind"].as_str().unwrap())).await;
    assert_eq!(s, 200, "{step}: {v}");
    v
}

api_test!(every_transition_allowed_and_refused, false, |app: TestApp| async move {
    // Every way a request can go.
    for (path, end) in [
        (&["review"][..], "in_review"),
        (&["review", "grant"][..], "granted"),
        (&["review", "decline"][..], "declined"),
        (&["review", "withdraw"][..], "withdrawn"),
        (&["grant"][..], "granted"),
        (&["decline"][..], "declined"),
        (&["withdraw"][..], "withdrawn"),
    ] {
        let (r, organiser) = moved(&app, "room", path).await;
        assert_eq!(r["status"], end, "{path:?}: {r}");
        let mut want = vec!["submitted"];
        want.extend(path.iter().map(|s| match *s {
            "review" => "in_review",
            "grant" => "granted",
            "decline" => "declined",
            _ => "withdrawn",
        }));
        assert_eq!(statuses(&r["history"]), want, "{r}");
        // Then every step the state does not allow: 409 naming the state, and nothing changes.
        for step in ["review", "grant", "decline", "withdraw"] {
            let allowed = match end {
                "in_review" => step != "review",
                _ => false,
            };
            if allowed {
                continue;
            }
            let who = if step == "withdraw" { organiser.clone() } else { common::zaanstad_professional() };
            let (s, v) = common::post_as(&app, &who, &format!("{}/{step}", url(&r)), step_body(step, "room")).await;
            common::assert_problem(s, &v, 409, "");
            assert_eq!(v["code"], "wrong_state", "{v}");
            assert_eq!(v["current_state"], end, "{step} after {path:?}: {v}");
            assert!(v["detail"].as_str().unwrap().contains(end), "{v}");
        }
        let (_, after) = common::get_as(&app, &organiser, &url(&r)).await;
        assert_eq!(after["status"], end);
        assert_eq!(after["history"].as_array().unwrap().len(), path.len() + 1, "refused steps wrote no history: {after}");
    }

    // What a decision records.
    let (granted, _) = moved(&app, "grant", &["review", "grant"]).await;
    assert_eq!(granted["grant"], json!({"note": "Bijdrage voor de koffie", "amount_cents": 20_000}));
    assert_eq!(granted["history"][2]["amount_cents"], 20_000);
    assert_eq!(granted["history"][2]["note"], "Bijdrage voor de koffie");
    let (room, _) = moved(&app, "room", &["grant"]).await;
    assert_eq!(room["grant"], json!({"note": "De buurtkamer op dinsdagavond"}));
    let (declined, _) = moved(&app, "training", &["decline"]).await;
    assert_eq!(declined["decline"], json!({"reason": "no_budget", "note": "Probeer het Oranje Fonds."}));
    assert_eq!(declined["history"][1]["code"], "no_budget");
    assert!(declined.get("grant").is_none());

    // Bad decisions: 400 naming the field, and the request stays as it was.
    let (ini, organiser) = initiative(&app).await;
    let pro = common::zaanstad_professional();
    let grant = submit(&app, &organiser, &ini, ask("grant")).await;
    let room = submit(&app, &organiser, &ini, ask("room")).await;
    for (r, step, body, field) in [
        (&grant, "grant", json!({"note": "Geld"}), "amount_cents"),
        (&grant, "grant", json!({"note": "Geld", "amount_cents": -5}), "amount_cents"),
        (&grant, "grant", json!({"amount_cents": 100}), "note"),
        (&room, "grant", json!({"note": "De zaal", "amount_cents": 100}), "amount_cents"),
        (&room, "grant", json!({"note": " "}), "note"),
        (&room, "decline", json!({"reason": "too_bad"}), "reason"),
        (&room, "decline", json!({}), "reason"),
        (&room, "decline", json!({"reason": "other", "note": "x".repeat(2001)}), "note"),
    ] {
        let (s, v) = common::post_as(&app, &pro, &format!("{}/{step}", url(r)), body).await;
        common::assert_problem(s, &v, 400, field);
    }
    for r in [&grant, &room] {
        let (_, now) = common::get_as(&app, &pro, &url(r)).await;
        assert_eq!(now["status"], "submitted");
        assert_eq!(now["history"].as_array().unwrap().len(), 1, "{now}");
    }
    let (s, v) = common::post_as(&app, &pro, &format!("/v1/support-requests/{}/review", uuid::Uuid::now_v7()), json!({})).await;
    common::assert_problem(s, &v, 404, "");
});

api_test!(organisers_withdraw_only_before_a_decision, false, |app: TestApp| async move {
    let (ini, organiser) = initiative(&app).await;
    let pro = common::zaanstad_professional();
    let r = submit(&app, &organiser, &ini, ask("volunteers")).await;
    let withdraw = format!("{}/withdraw", url(&r));
    // Not the professional, not another initiative's organiser, not a resident.
    let (_, other_organiser) = initiative(&app).await;
    for who in [&pro, &other_organiser, &common::new_resident_token()] {
        let (s, v) = common::post_as(&app, who, &withdraw, json!({})).await;
        common::assert_problem(s, &v, 403, "");
    }
    let (s, _) = common::post_as(&app, &pro, &format!("{}/review", url(&r)), json!({})).await;
    assert_eq!(s, 200);
    // In review, it can still be withdrawn; once withdrawn, no more.
    let (s, v) = common::post_as(&app, &organiser, &withdraw, json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "withdrawn");
    let (s, v) = common::post_as(&app, &pro, &format!("{}/grant", url(&r)), json!({"note": "Drie vrijwilligers"})).await;
    common::assert_problem(s, &v, 409, "");
    assert_eq!(v["current_state"], "withdrawn");
    // Decided, it can no longer be withdrawn.
    let decided = submit(&app, &organiser, &ini, ask("volunteers")).await;
    let (s, _) = common::post_as(&app, &pro, &format!("{}/decline", url(&decided)), json!({"reason": "other_provision"})).await;
    assert_eq!(s, 200);
    let (s, v) = common::post_as(&app, &organiser, &format!("{}/withdraw", url(&decided)), json!({})).await;
    common::assert_problem(s, &v, 409, "");
    assert_eq!(v["current_state"], "declined");
});

api_test!(who_sees_and_does_what, false, |app: TestApp| async move {
    let (ini, organiser) = initiative(&app).await;
    let r = submit(&app, &organiser, &ini, ask("room")).await;
    let one = url(&r);
    let list = requests_of(&ini);
    let (_, other_organiser) = initiative(&app).await;
    let (_, resident) = common::poelenburg_person(&app, "Bram").await;
    let pro = common::zaanstad_professional();
    let pro_out = amsterdam_professional();
    let admin = common::zaanstad_admin();
    let admin_out = common::token("admin-ams", "admin", &["GM0363"]);
    // Reading one request and the initiative's list.
    for (who, want) in [
        (&organiser, 200),
        (&pro, 200),
        (&admin, 200),
        (&other_organiser, 403),
        (&resident, 403),
        (&pro_out, 403),
        (&admin_out, 403),
        (&Auth::None, 401),
    ] {
        for path in [&one, &list] {
            let (s, v) = common::get_as(&app, who, path).await;
            assert_eq!(s, want, "{who:?} {path}: {v}");
            if want == 200 {
                assert!(v.to_string().contains(r["id"].as_str().unwrap()), "{v}");
            } else {
                assert!(!v.to_string().contains("Wij vragen"), "a refusal shows nothing of the request: {v}");
            }
        }
    }
    // The work list is the professionals'.
    for (who, want) in [(&pro, 200), (&organiser, 403), (&resident, 403), (&pro_out, 403), (&admin, 403), (&Auth::None, 401)] {
        let (s, v) = common::get_as(&app, who, "/v1/support-requests?gemeente=GM0479").await;
        assert_eq!(s, want, "{who:?}: {v}");
    }
    // Asking is for the initiative's side.
    for (who, want) in
        [(&other_organiser, 403), (&resident, 403), (&pro, 403), (&pro_out, 403), (&admin_out, 403), (&Auth::None, 401), (&admin, 201)]
    {
        let (s, v) = common::post_as(&app, who, &list, ask("publicity")).await;
        assert_eq!(s, want, "{who:?}: {v}");
    }
    // Deciding is for the gemeente's professionals.
    for step in ["review", "grant", "decline"] {
        for (who, want) in
            [(&organiser, 403), (&other_organiser, 403), (&resident, 403), (&pro_out, 403), (&admin, 403), (&Auth::None, 401)]
        {
            let (s, v) = common::post_as(&app, who, &format!("{one}/{step}"), step_body(step, "room")).await;
            assert_eq!(s, want, "{step} as {who:?}: {v}");
        }
    }
    // Nothing happened to it, and unknown ids are 404 to everyone signed in.
    let (_, v) = common::get_as(&app, &pro, &one).await;
    assert_eq!(statuses(&v["history"]), ["submitted"]);
    let nobody = uuid::Uuid::now_v7();
    for who in [&pro, &organiser, &resident] {
        let (s, _) = common::get_as(&app, who, &format!("/v1/support-requests/{nobody}")).await;
        assert_eq!(s, 404);
        let (s, _) = common::get_as(&app, who, &requests_of(&nobody.to_string())).await;
        assert_eq!(s, 404);
    }
    // An admin's request names no person, and the organisers see it with the others.
    let (_, page) = common::get_as(&app, &organiser, &list).await;
    let by_admin = page["items"].as_array().unwrap().iter().find(|i| i["kind"] == "publicity").expect("the admin's request");
    assert_eq!(by_admin["history"][0]["actor"], "token:admin-zaanstad");
    assert_eq!(by_admin["history"][0]["actor_role"], "admin");
});

api_test!(history_and_audit_record_every_change, false, |app: TestApp| async move {
    let (ini, organiser) = initiative(&app).await;
    let organiser_actor = actor_of(&app, &organiser).await;
    let pro = common::zaanstad_professional();
    let r = submit(&app, &organiser, &ini, ask("grant")).await;
    let (_, reviewed) = common::post_as(&app, &pro, &format!("{}/review", url(&r)), json!({})).await;
    let (s, granted) = common::post_as(&app, &second_professional(), &format!("{}/grant", url(&r)), step_body("grant", "grant")).await;
    assert_eq!(s, 200, "{granted}");
    let history = granted["history"].as_array().unwrap();
    assert_eq!(statuses(&granted["history"]), ["submitted", "in_review", "granted"]);
    let actors: Vec<&str> = history.iter().map(|e| e["actor"].as_str().unwrap()).collect();
    assert_eq!(actors, [organiser_actor.as_str(), "token:pro-zaanstad", "token:pro-zaanstad-2"]);
    let roles: Vec<&str> = history.iter().map(|e| e["actor_role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["resident", "professional", "professional"]);
    let times: Vec<&str> = history.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(history[2]["note"], "Bijdrage voor de koffie");
    assert!(history[0].get("note").is_none() && history[0].get("code").is_none(), "{history:?}");
    assert_eq!(granted["updated_at"], history[2]["at"]);
    assert_eq!(granted["created_at"], history[0]["at"]);
    assert_eq!(reviewed["history"].as_array().unwrap().len(), 2);
    // The same on a plain read, by either side.
    for who in [&organiser, &pro] {
        let (_, v) = common::get_as(&app, who, &url(&r)).await;
        assert_eq!(v["history"], granted["history"]);
    }

    // One audit entry per change, in the gemeente's log and in the organiser's own.
    let (s, log) = common::get_as(&app, &common::zaanstad_admin(), "/v1/audit?gemeente=GM0479&limit=200").await;
    assert_eq!(s, 200, "{log}");
    let rid = r["id"].as_str().unwrap();
    let entries: Vec<&Value> = log["items"].as_array().unwrap().iter().filter(|e| e["resource_id"] == rid).collect();
    let seen: Vec<(&str, &str, &str)> =
        entries.iter().map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap(), e["endpoint"].as_str().unwrap())).collect();
    assert_eq!(
        seen,
        [
            ("create", organiser_actor.as_str(), "POST /v1/initiatives/{id}/support-requests"),
            ("update", "token:pro-zaanstad", "POST /v1/support-requests/{id}/review"),
            ("update", "token:pro-zaanstad-2", "POST /v1/support-requests/{id}/grant"),
        ]
    );
    assert!(entries.iter().all(|e| e["resource"] == "support_request"), "{entries:?}");
    let (_, mine) = common::get_as(&app, &organiser, "/v1/me/audit").await;
    let about_it = mine["items"].as_array().unwrap().iter().filter(|e| e["resource_id"] == rid).count();
    assert_eq!(about_it, 3, "the organiser sees who changed what they wrote: {mine}");
    // A refused step leaves no entry.
    let (s, _) = common::post_as(&app, &pro, &format!("{}/decline", url(&r)), json!({"reason": "other"})).await;
    assert_eq!(s, 409);
    let (_, log) = common::get_as(&app, &common::zaanstad_admin(), "/v1/audit?gemeente=GM0479&limit=200").await;
    assert_eq!(log["items"].as_array().unwrap().iter().filter(|e| e["resource_id"] == rid).count(), 3);
});

api_test!(an_erased_organiser_leaves_the_request_pseudonymous, false, |app: TestApp| async move {
    let (ini, organiser) = initiative(&app).await;
    let organiser_actor = actor_of(&app, &organiser).await;
    let pro = common::zaanstad_professional();
    let r = submit(&app, &organiser, &ini, ask("training")).await;
    let (s, _) = common::post_as(&app, &pro, &format!("{}/review", url(&r)), json!({})).await;
    assert_eq!(s, 200);
    let (s, _) = common::delete_as(&app, &organiser, "/v1/me").await;
    assert_eq!(s, 204);
    // The request stays with the initiative; only the organiser's name in it is gone.
    let (s, v) = common::get_as(&app, &pro, &url(&r)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["description"], r["description"]);
    let pseudonym = v["history"][0]["actor"].as_str().unwrap().to_owned();
    assert!(pseudonym.starts_with("erased:"), "{v}");
    assert_eq!(v["history"][1]["actor"], "token:pro-zaanstad", "nobody else's name changes");
    assert!(!v.to_string().contains(&organiser_actor), "{v}");
    // The same pseudonym as in the audit log.
    let (_, log) = common::get_as(&app, &common::zaanstad_admin(), "/v1/audit?gemeente=GM0479&limit=200").await;
    let items = log["items"].as_array().unwrap();
    assert!(items.iter().any(|e| e["actor"] == pseudonym.as_str()), "{log}");
    assert!(!log.to_string().contains(&organiser_actor), "{log}");
    // Still worked: a decision after the erasure is recorded too.
    let (s, v) = common::post_as(&app, &pro, &format!("{}/grant", url(&r)), json!({"note": "Een cursus bij de bibliotheek"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(statuses(&v["history"]), ["submitted", "in_review", "granted"]);
});

api_test!(a_deleted_initiative_takes_its_requests, false, |app: TestApp| async move {
    let (ini, organiser) = initiative(&app).await;
    let pro = common::zaanstad_professional();
    let r = submit(&app, &organiser, &ini, ask("room")).await;
    let (s, _) = common::post_as(&app, &pro, &format!("{}/review", url(&r)), json!({})).await;
    assert_eq!(s, 200);
    let (s, _) = common::delete_as(&app, &organiser, &format!("/v1/initiatives/{ini}")).await;
    assert_eq!(s, 204);
    let (s, _) = common::get_as(&app, &pro, &url(&r)).await;
    assert_eq!(s, 404);
    let (s, _) = common::post_as(&app, &pro, &format!("{}/grant", url(&r)), json!({"note": "De zaal"})).await;
    assert_eq!(s, 404);
    let all = common::every_page(&app, &pro, "/v1/support-requests?gemeente=GM0479", "items", 50).await;
    assert!(all.is_empty(), "{all:?}");
});

// Requests that arrive together: the test client runs them in one task, so they interleave at
// every database call, as concurrent requests do in the service.
api_test!(two_professionals_deciding_at_once_one_wins, false, |app: TestApp| async move {
    let (ini, organiser) = initiative(&app).await;
    let (pro, pro2) = (common::zaanstad_professional(), second_professional());
    // A grant and a decline at once.
    let r = submit(&app, &organiser, &ini, ask("grant")).await;
    let (grant, decline) = (format!("{}/grant", url(&r)), format!("{}/decline", url(&r)));
    let (a, b) = tokio::join!(
        common::post_as(&app, &pro, &grant, step_body("grant", "grant")),
        common::post_as(&app, &pro2, &decline, step_body("decline", "grant"))
    );
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [200, 409], "{a:?} {b:?}");
    let (won, lost) = if a.0 == 200 { (&a.1, &b.1) } else { (&b.1, &a.1) };
    assert_eq!(lost["current_state"], won["status"], "the loser is told what the winner decided: {lost}");
    let (_, now) = common::get_as(&app, &organiser, &url(&r)).await;
    assert_eq!(now["status"], won["status"]);
    assert_eq!(statuses(&now["history"]), ["submitted", won["status"].as_str().unwrap()], "one decision in the history: {now}");

    // Both take the same request into review at once.
    let r = submit(&app, &organiser, &ini, ask("room")).await;
    let review = format!("{}/review", url(&r));
    let (a, b) = tokio::join!(common::post_as(&app, &pro, &review, json!({})), common::post_as(&app, &pro2, &review, json!({})));
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [200, 409], "{a:?} {b:?}");
    let lost = if a.0 == 409 { &a.1 } else { &b.1 };
    assert_eq!(lost["current_state"], "in_review");
    let (_, now) = common::get_as(&app, &organiser, &url(&r)).await;
    assert_eq!(statuses(&now["history"]), ["submitted", "in_review"]);

    // The organiser withdraws while a professional grants.
    let (withdraw, grant) = (format!("{}/withdraw", url(&r)), format!("{}/grant", url(&r)));
    let (a, b) = tokio::join!(
        common::post_as(&app, &organiser, &withdraw, json!({})),
        common::post_as(&app, &pro, &grant, step_body("grant", "room"))
    );
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [200, 409], "{a:?} {b:?}");
    let (_, now) = common::get_as(&app, &organiser, &url(&r)).await;
    assert_eq!(now["history"].as_array().unwrap().len(), 3, "{now}");
});

api_test!(the_taxonomy_lists_the_support_vocabularies, false, |app: TestApp| async move {
    let (s, t) = common::get(&app, "/v1/taxonomy").await;
    assert_eq!(s, 200);
    let codes = |key: &str| t[key].as_array().unwrap().iter().map(|x| x["code"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(codes("support_kinds"), KINDS);
    assert_eq!(codes("support_statuses"), ["submitted", "in_review", "granted", "declined", "withdrawn"]);
    assert_eq!(codes("support_decline_reasons"), ["no_budget", "not_eligible", "other_provision", "incomplete", "other"]);
    assert_eq!(t["support_statuses"][1]["label"], json!({"nl": "In behandeling", "en": "In review"}));
});

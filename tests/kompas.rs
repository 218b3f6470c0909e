//! `GET /v1/areas/{code}/kompas`: the counters kept per wijk and month equal a recount from the
//! rows after any sequence of writes; who sees what; bad input; shifted periods; CSV.
mod common;

use std::collections::BTreeMap;

use buurtkracht::domain::clock;
use buurtkracht::domain::experience::Month;
use buurtkracht::stats::kompas::{Counters, Fact, IN_TIME_DAYS, tally};
use buurtkracht::store::entities::{
    experience, initiative, listing, match_feedback, match_row, network_member, referral, referral_event, support_request,
};
use chrono::{DateTime, Duration, Utc};
use common::{Auth, TestApp};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const GM: &str = "GM0479";
/// Points in three wijken of Zaanstad: Poelenburg, Pelders- en Hoornseveld, Rosmolenwijk.
const HOMES: [(f64, f64); 3] = [(52.4376, 4.8476), (52.4461, 4.8398), (52.4461, 4.8278)];
const REFERRAL_CONSENT: &str = r#"{"purpose": "Doorverwijzing", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["referral"]}"#;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id: {v}")).to_owned()
}

/// The same rows counted the plain way, in Rust, from every row: what the kompas's counters
/// must hold, per wijk and month.
async fn naive_recount(app: &TestApp) -> BTreeMap<(String, Month), Counters> {
    let db = &app.app.state.db;
    let listings = listing::Entity::find().all(db).await.unwrap();
    let matches = match_row::Entity::find().all(db).await.unwrap();
    let feedback = match_feedback::Entity::find().all(db).await.unwrap();
    let referrals = referral::Entity::find().all(db).await.unwrap();
    let events = referral_event::Entity::find().all(db).await.unwrap();
    let support = support_request::Entity::find().all(db).await.unwrap();
    let answers = experience::Entity::find().all(db).await.unwrap();
    let members = network_member::Entity::find().all(db).await.unwrap();
    let initiatives = initiative::Entity::find().all(db).await.unwrap();
    let listing_of = |id| listings.iter().find(|l| l.id == id);
    let initiative_of = |id: Option<uuid::Uuid>| id.and_then(|i| initiatives.iter().find(|x| x.id == i));
    let accepted = |m: &match_row::Model| match (m.requester_accepted_at, m.helper_accepted_at) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    };
    let member_before = |person: Option<uuid::Uuid>, ini: Option<uuid::Uuid>, at: DateTime<Utc>| {
        members.iter().any(|n| Some(n.person_id) == person && Some(n.initiative_id) == ini && n.joined_at <= at)
    };
    let rung = |kind: &str, ini: Option<uuid::Uuid>, own: bool| -> Option<usize> {
        if own {
            return Some(0);
        }
        match kind {
            "offer" | "volunteer" => Some(1),
            "professional_service" => Some(5),
            _ => Some(match initiative_of(ini)?.kind.as_str() {
                "informal_group" | "resident_initiative" => 2,
                "volunteer_organisation" => 3,
                "general_provision" => 4,
                _ => 5,
            }),
        }
    };
    let mut facts: Vec<(String, Month, Fact)> = Vec::new();
    for l in listings.iter().filter(|l| l.kind == "request" && l.gemeente_code == GM) {
        let first_match = matches.iter().filter(|m| m.request_id == l.id).filter_map(accepted).min();
        let first_referral = referrals.iter().filter(|r| r.request_id == Some(l.id)).map(|r| r.created_at).min();
        let deadline = l.created_at + Duration::days(IN_TIME_DAYS);
        let in_time = first_match.is_some_and(|t| t <= deadline) || first_referral.is_some_and(|t| t <= deadline);
        let days = first_match.map(|t| (t - l.created_at).num_days() as u64);
        facts.push((l.wijk_code.clone(), Month::of(l.created_at), Fact::Posted { in_time, days_to_first_match: days }));
    }
    for m in matches.iter().filter(|m| m.gemeente_code == GM) {
        let wijk = listing_of(m.request_id).expect("a match's request exists").wijk_code.clone();
        if let Some(at) = accepted(m)
            && let Some(r) = rung(&m.helper_kind, m.helper_initiative_id, member_before(m.requester_person_id, m.helper_initiative_id, at))
        {
            facts.push((wijk.clone(), Month::of(at), Fact::HelpAccepted(r)));
        }
        match m.status.as_str() {
            "completed" => facts.push((wijk.clone(), Month::of(m.updated_at), Fact::MatchCompleted)),
            "declined" => facts.push((wijk.clone(), Month::of(m.updated_at), Fact::MatchDeclined(m.decline_reason.clone().unwrap()))),
            _ => {}
        }
        for f in feedback.iter().filter(|f| f.match_id == m.id && f.no_show) {
            facts.push((wijk.clone(), Month::of(f.created_at), Fact::NoShow));
        }
    }
    for r in referrals.iter().filter(|r| r.gemeente_code == GM) {
        use chrono::Datelike;
        facts.push((r.wijk_code.clone(), Month::of(r.created_at), Fact::ReferralMade { state: r.state.clone(), day: r.created_at.day() }));
        if r.state == "closed"
            && let (Some(at), Some(o)) = (r.closed_at, &r.outcome)
        {
            facts.push((r.wijk_code.clone(), Month::of(at), Fact::ReferralClosed(o.clone())));
        }
        for e in events.iter().filter(|e| e.referral_id == r.id && e.state == "accepted") {
            let ini = if r.helper_kind == "initiative" { r.helper_initiative_id } else { None };
            let own = member_before(r.resident_person_id, r.helper_initiative_id, e.at);
            let kind = if r.helper_kind == "initiative" && ini.is_none() { "gone" } else { r.helper_kind.as_str() };
            if let Some(x) = rung(kind, ini, own) {
                facts.push((r.wijk_code.clone(), Month::of(e.at), Fact::HelpAccepted(x)));
            }
        }
    }
    for s in support.iter().filter(|s| s.gemeente_code == GM) {
        facts.push((s.wijk_code.clone(), Month::of(s.created_at), Fact::SupportRequest { kind: s.kind.clone(), status: s.status.clone() }));
    }
    for a in answers.iter().filter(|a| a.gemeente_code == GM) {
        let s = [a.listened, a.fitted, a.quick, a.manage_better, a.quality_of_life, a.recommend].map(|v| v.map(|v| v as u8));
        facts.push((a.wijk_code.clone(), Month::of(a.created_at), Fact::Answer(s)));
    }
    for n in &members {
        if let Some(i) = initiatives.iter().find(|i| i.id == n.initiative_id && i.gemeente_code == GM) {
            facts.push((i.wijk_code.clone(), Month::of(n.joined_at), Fact::Joined));
        }
    }
    let mut by_slice: BTreeMap<(String, Month), Vec<Fact>> = BTreeMap::new();
    for (w, m, f) in facts {
        by_slice.entry((w, m)).or_default().push(f);
    }
    by_slice.into_iter().map(|(k, f)| (k, tally(&f))).filter(|(_, c)| !c.is_empty()).collect()
}

/// The counters the kompas serves (after the refresh a read does), for every month of the test.
async fn served(app: &TestApp, from: Month, to: Month) -> BTreeMap<(String, Month), Counters> {
    let pro = common::zaanstad_professional();
    let (s, v) = common::get_as(app, &pro, &format!("/v1/areas/{GM}/kompas?from={from}&to={to}")).await;
    assert_eq!(s, 200, "{v}");
    buurtkracht::store::kompas::cells(&app.app.state.db, GM, from, to).await.unwrap()
}

/// The actors of the random town.
struct Town {
    residents: Vec<(String, Auth)>,
    volunteer: (String, Auth),
    offer: (String, Auth),
    initiatives: Vec<(String, Auth)>,
    pro: Auth,
}

async fn town(app: &TestApp) -> Town {
    let mut residents = Vec::new();
    for (i, (lat, lng)) in HOMES.iter().cycle().take(5).enumerate() {
        let (pid, auth) =
            common::new_person(app, json!({"display_name": format!("Bewoner {i}"), "home_point": {"lat": lat, "lng": lng}})).await;
        let (s, c) = common::post_as(app, &auth, "/v1/consents", serde_json::from_str(REFERRAL_CONSENT).unwrap()).await;
        assert_eq!(s, 201, "{c}");
        residents.push((pid, auth));
    }
    let (vp, va) = common::new_person(app, json!({"display_name": "Vera", "home_point": {"lat": HOMES[1].0, "lng": HOMES[1].1}})).await;
    let (s, v) = common::post_as(app, &va, "/v1/volunteers", json!({"person_id": vp, "skills": ["paperwork", "groceries"]})).await;
    assert_eq!(s, 201, "{v}");
    let (op, oa) = common::new_person(app, json!({"display_name": "Otto", "home_point": {"lat": HOMES[2].0, "lng": HOMES[2].1}})).await;
    let (s, o) = common::post_as(
        app,
        &oa,
        "/v1/listings",
        json!({"kind": "offer", "title": "Ik help met formulieren", "description": "Op dinsdag.", "categories": ["paperwork", "groceries"],
               "owner": {"person_id": op}, "valid_until": (clock::now() + Duration::days(360)).to_rfc3339()}),
    )
    .await;
    assert_eq!(s, 201, "{o}");
    let mut initiatives = Vec::new();
    for (i, kind) in ["informal_group", "volunteer_organisation"].iter().enumerate() {
        let (lat, lng) = HOMES[i];
        let body = json!({"name": format!("Initiatief {i}"), "description": "Koffie en hulp.", "kind": kind,
                          "categories": ["paperwork", "groceries"], "location": {"lat": lat, "lng": lng}});
        initiatives.push(common::new_initiative(app, body).await);
    }
    Town {
        residents,
        volunteer: (v["id"].as_str().unwrap().into(), va),
        offer: (id(&o), oa),
        initiatives,
        pro: common::zaanstad_professional(),
    }
}

fn ok(s: u16, v: &Value) -> bool {
    assert!(s < 500, "a server error: {v}");
    s < 300
}

/// A random sequence of writes through the API, dated over four months with `clock::at`, with
/// refreshes in between; then every slice's counters equal the plain recount.
async fn random_town(app: &TestApp, seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let t0 = Utc::now() - Duration::days(125);
    let w = clock::at(t0, town(app)).await;
    let mut t = t0;
    let mut requests: Vec<(String, usize)> = Vec::new();
    let mut accepted: Vec<(String, usize, usize)> = Vec::new();
    let mut completed: Vec<(String, usize)> = Vec::new();
    let mut referrals: Vec<(String, usize)> = Vec::new();
    let mut done = BTreeMap::<&str, u32>::new();
    let helper = |k: usize| -> (&str, String, Auth) {
        match k {
            0 => ("volunteer", w.volunteer.0.clone(), w.volunteer.1.clone()),
            1 => ("offer", w.offer.0.clone(), w.offer.1.clone()),
            i => ("initiative", w.initiatives[i - 2].0.clone(), w.initiatives[i - 2].1.clone()),
        }
    };
    for step in 0..70 {
        t += Duration::hours(rng.random_range(1..60));
        let at = t.min(Utc::now() - Duration::minutes(1));
        let action = if step < 6 { 0 } else { rng.random_range(0..10) };
        match action {
            0 => {
                let r = rng.random_range(0..w.residents.len());
                let (pid, auth) = &w.residents[r];
                let body = json!({"kind": "request", "title": "Hulp gevraagd", "description": "Met de boodschappen of formulieren.",
                                  "categories": ["paperwork"], "owner": {"person_id": pid}});
                let (s, v) = clock::at(at, common::post_as(app, auth, "/v1/listings", body)).await;
                if ok(s, &v) {
                    requests.push((id(&v), r));
                    *done.entry("request").or_default() += 1;
                }
            }
            1 | 2 if !requests.is_empty() => {
                let (req, r) = requests[rng.random_range(0..requests.len())].clone();
                let k = rng.random_range(0..4);
                let (kind, hid, hauth) = helper(k);
                let body = json!({"request_id": req, "helper_kind": kind, "helper_id": hid});
                let (s, m) = clock::at(at, common::post_as(app, &w.residents[r].1, "/v1/matches", body)).await;
                if !ok(s, &m) {
                    continue;
                }
                let mid = id(&m);
                let later = at + Duration::hours(rng.random_range(1..100));
                let later = later.min(Utc::now() - Duration::minutes(1));
                if rng.random_bool(0.7) {
                    clock::at(at, common::post_as(app, &w.residents[r].1, &format!("/v1/matches/{mid}/accept"), json!({}))).await;
                    let (s, v) = clock::at(later, common::post_as(app, &hauth, &format!("/v1/matches/{mid}/accept"), json!({}))).await;
                    if ok(s, &v) {
                        accepted.push((mid, r, k));
                        *done.entry("accepted").or_default() += 1;
                    }
                } else {
                    let reason = ["not_available", "too_far", "not_a_fit", "no_capacity"][rng.random_range(0..4)];
                    let (s, v) =
                        clock::at(later, common::post_as(app, &hauth, &format!("/v1/matches/{mid}/decline"), json!({"reason": reason})))
                            .await;
                    if ok(s, &v) {
                        *done.entry("declined").or_default() += 1;
                    }
                }
            }
            3 if !accepted.is_empty() => {
                let (mid, r, k) = accepted.remove(rng.random_range(0..accepted.len()));
                let body = json!({"join_network": k >= 2 && rng.random_bool(0.7)});
                let (s, v) = clock::at(at, common::post_as(app, &w.residents[r].1, &format!("/v1/matches/{mid}/complete"), body)).await;
                if ok(s, &v) {
                    *done.entry("completed").or_default() += 1;
                    let fb = json!({"rating": rng.random_range(1..=5), "no_show": rng.random_bool(0.4)});
                    clock::at(at, common::post_as(app, &w.residents[r].1, &format!("/v1/matches/{mid}/feedback"), fb)).await;
                    completed.push((mid, r));
                }
            }
            4 if !requests.is_empty() => {
                let (req, r) = requests[rng.random_range(0..requests.len())].clone();
                let k = rng.random_range(0..4);
                let (kind, hid, _) = helper(k);
                let body = json!({"request_id": req, "helper_kind": kind, "helper_id": hid});
                let (s, v) = clock::at(at, common::post_as(app, &w.pro, "/v1/referrals", body)).await;
                if ok(s, &v) {
                    referrals.push((id(&v), k));
                    *done.entry("referral").or_default() += 1;
                }
                let _ = r;
            }
            5 if !referrals.is_empty() => {
                let (rid, k) = referrals[rng.random_range(0..referrals.len())].clone();
                let (_, _, hauth) = helper(k);
                let (step, body) = match rng.random_range(0..5) {
                    0 | 1 => ("accept", json!({})),
                    2 => ("decline", json!({"reason": "no_capacity"})),
                    3 => ("start", json!({})),
                    _ => {
                        let outcome = ["got_help", "not_eligible"][rng.random_range(0..2)];
                        ("close", json!({"outcome": outcome}))
                    }
                };
                let (s, v) = clock::at(at, common::post_as(app, &hauth, &format!("/v1/referrals/{rid}/{step}"), body)).await;
                if ok(s, &v) {
                    *done.entry("referral step").or_default() += 1;
                }
            }
            6 => {
                let i = rng.random_range(0..w.initiatives.len());
                let (ini, org) = &w.initiatives[i];
                let kind = ["room", "volunteers", "training", "publicity"][rng.random_range(0..4)];
                let body = json!({"kind": kind, "description": "Wij zoeken hulp."});
                let (s, v) = clock::at(at, common::post_as(app, org, &format!("/v1/initiatives/{ini}/support-requests"), body)).await;
                if ok(s, &v) && rng.random_bool(0.5) {
                    let sid = id(&v);
                    clock::at(at, common::post_as(app, &w.pro, &format!("/v1/support-requests/{sid}/review"), json!({}))).await;
                    *done.entry("support").or_default() += 1;
                }
            }
            7 if !completed.is_empty() => {
                let (mid, r) = completed.remove(rng.random_range(0..completed.len()));
                let body = json!({"match_id": mid, "themes": {"listened": rng.random_range(1..=5), "quick": rng.random_range(1..=5)}});
                let (s, v) = clock::at(at, common::post_as(app, &w.residents[r].1, "/v1/experiences", body)).await;
                if ok(s, &v) {
                    *done.entry("answer").or_default() += 1;
                }
            }
            8 if requests.len() > 3 && rng.random_bool(0.3) => {
                let (req, r) = requests.remove(rng.random_range(0..requests.len()));
                let (s, v) = clock::at(at, common::delete_as(app, &w.residents[r].1, &format!("/v1/listings/{req}"))).await;
                if ok(s, &v) {
                    *done.entry("deleted").or_default() += 1;
                }
            }
            9 => {
                // Refresh now and then, so later writes change slices already counted.
                buurtkracht::service::kompas::refresh_all(&app.app.state).await.unwrap();
            }
            _ => {}
        }
    }
    // An erasure of a resident: listings, matches and memberships go; referrals keep their facts.
    let (s, v) = common::delete_as(app, &w.residents[0].1, "/v1/me").await;
    assert!(ok(s, &v), "{v}");
    for what in ["request", "accepted", "completed", "referral"] {
        assert!(done.get(what).copied().unwrap_or(0) > 0, "the random town did no {what}: {done:?}");
    }
    let (from, to) = (Month::of(t0), Month::of(Utc::now()));
    let served = served(app, from, to).await;
    let want = naive_recount(app).await;
    let want: BTreeMap<_, _> = want.into_iter().filter(|((_, m), _)| *m >= from && *m <= to).collect();
    assert!(!want.is_empty());
    for key in want.keys().chain(served.keys()) {
        assert_eq!(served.get(key), want.get(key), "slice {key:?} (seed {seed}): served vs recounted; did {done:?}");
    }
    // The store's own recount agrees too.
    let store = buurtkracht::store::kompas::recount(&app.app.state.db, GM, from, to).await.unwrap();
    assert_eq!(store, want);
}

api_test!(counters_equal_a_recount_after_random_writes, false, |app: TestApp| async move {
    for seed in [7, 2026] {
        random_town(&app, seed).await;
    }
});

/// `GET url` as `auth` with an `Accept` header; status, headers and body text.
async fn raw(app: &TestApp, auth: &Auth, url: &str, accept: &str) -> (u16, poem::http::HeaderMap, String) {
    let mut req = app.client.get(url).header("Accept", accept);
    if let Auth::Bearer(t) = auth {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let resp = req.send().await;
    let status = resp.0.status().as_u16();
    let headers = resp.0.headers().clone();
    (status, headers, resp.0.into_body().into_string().await.unwrap())
}

/// Reads RFC 4180 CSV: quoted fields may hold the separator, quotes (doubled) and line breaks.
fn parse_csv(text: &str, sep: char) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, c) if c == sep => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(row.is_empty() && cell.is_empty(), "the last line ends with CRLF");
    rows
}

/// The value of `code` in a JSON row: `value` of the object at that path.
fn at_path<'a>(row: &'a Value, code: &str) -> &'a Value {
    code.split('.').fold(row, |v, k| &v[k])
}

fn months_of(v: &Value) -> BTreeMap<(String, String), Value> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| ((r["area_code"].as_str().unwrap().into(), r["month"].as_str().unwrap().into()), r.clone()))
        .collect()
}

api_test!(the_demo_town_as_each_caller_sees_it, true, |app: TestApp| async move {
    let team = common::zaanstad_professional();
    let admin = common::zaanstad_admin();
    let outsider = common::token("pro-amsterdam", "professional", &["GM0363"]);
    let resident = common::new_resident_token();
    let to = Month::of(Utc::now()).plus(-1);
    let from = to.plus(-11);
    let url = format!("/v1/areas/{GM}/kompas?from={from}&to={to}");
    let (s, pro) = common::get_as(&app, &team, &url).await;
    assert_eq!(s, 200, "{pro}");
    assert_eq!(pro["scope"], "team");
    let wijken = pro["wijken"].as_array().unwrap().len();
    assert_eq!(wijken, 19, "every wijk of Zaanstad by default");
    let indicators = pro["indicators"].as_array().unwrap().len();
    assert_eq!(pro["rows"].as_array().unwrap().len(), (wijken + 1) * 12);
    // Believable: the gemeente's months show their referrals; many wijk-months hold some back.
    let rows = pro["rows"].as_array().unwrap();
    let gemeente: Vec<&Value> = rows.iter().filter(|r| r["level"] == "gemeente").collect();
    let shown = gemeente.iter().filter(|r| r["referrals"]["made"]["value"].as_u64().is_some_and(|n| n >= 5)).count();
    let share_shown = |rows: &[&Value]| {
        let hidden: usize = rows.iter().map(|r| r["suppressed_indicators"].as_array().unwrap().len()).sum();
        1.0 - hidden as f64 / (rows.len() * indicators) as f64
    };
    let wijk_rows: Vec<&Value> = rows.iter().filter(|r| r["level"] == "wijk").collect();
    eprintln!(
        "gemeente months with referrals shown: {shown}; figures shown: gemeente {:.2}, wijken {:.2}",
        share_shown(&gemeente),
        share_shown(&wijk_rows)
    );
    assert!(shown >= 6, "only {shown} of 12 gemeente months show their referrals");
    let wijk_hidden = wijk_rows.iter().filter(|r| r["referrals"]["made"]["suppressed"] == true).count();
    assert!(wijk_hidden * 3 >= wijk_rows.len(), "only {wijk_hidden} wijk-months hold their referrals back");
    let held = rows.iter().filter(|r| r["level"] == "wijk" && !r["suppressed_indicators"].as_array().unwrap().is_empty()).count();
    assert!(held > wijken, "only {held} wijk-months hold a figure back");
    for r in rows {
        for code in r["suppressed_indicators"].as_array().unwrap() {
            let f = at_path(r, code.as_str().unwrap());
            assert_eq!(f["suppressed"], true, "{code}");
            assert!(f.get("value").is_none(), "{code}: {f}");
        }
        // No count of 1 to 4 is ever shown.
        for ind in pro["indicators"].as_array().unwrap().iter().filter(|i| i["unit"] == "count") {
            let n = at_path(r, ind["code"].as_str().unwrap())["value"].as_u64();
            assert!(!matches!(n, Some(1..=4)), "{} = {n:?} in {}", ind["code"], r["area_code"]);
        }
    }
    // Admins of the gemeente see what its professionals see.
    let (_, adm) = common::get_as(&app, &admin, &url).await;
    assert_eq!(adm["rows"], pro["rows"]);
    // Everyone else sees rows whole or not at all, and the same figures where shown.
    for who in [&Auth::None, &resident, &outsider] {
        let (s, public) = common::get_as(&app, who, &url).await;
        assert_eq!(s, 200, "{public}");
        assert_eq!(public["scope"], "public");
        let team_rows = months_of(&pro);
        let mut hidden = 0;
        for r in public["rows"].as_array().unwrap() {
            let n = r["suppressed_indicators"].as_array().unwrap().len();
            assert!(n == 0 || n == indicators, "a public row is whole or hidden: {r}");
            if n == 0 {
                let key = (r["area_code"].as_str().unwrap().to_owned(), r["month"].as_str().unwrap().to_owned());
                assert_eq!(r, &team_rows[&key], "the public sees the team's figures where it sees any");
            } else {
                assert_eq!(r["suppressed"], true);
                hidden += 1;
            }
        }
        assert!(hidden > wijken * 6, "most of the demo's wijk-months have small counts; hidden {hidden}");
    }
    // Shifting the period by a month never changes what a month shows, for either audience.
    for who in [&team, &Auth::None] {
        let (_, a) = common::get_as(&app, who, &url).await;
        let (_, b) = common::get_as(&app, who, &format!("/v1/areas/{GM}/kompas?from={}&to={}", from.plus(1), to.plus(1))).await;
        let (_, c) = common::get_as(&app, who, &format!("/v1/areas/{GM}/kompas?from={}&to={}", from.plus(-1), to.plus(-1))).await;
        let (a, b, c) = (months_of(&a), months_of(&b), months_of(&c));
        let mut compared = 0;
        for (key, row) in &a {
            for other in [&b, &c] {
                if let Some(o) = other.get(key) {
                    assert_eq!(o, row, "{key:?} differs when the period shifts");
                    compared += 1;
                }
            }
        }
        assert!(compared >= 2 * 11 * (wijken + 1));
    }
    // Listing two wijken changes nothing of the gemeente's rows.
    let (s, two) = common::get_as(&app, &team, &format!("{url}&wijk=WK047912,WK047913")).await;
    assert_eq!(s, 200, "{two}");
    assert_eq!(two["wijken"].as_array().unwrap().len(), 2);
    let (all, some) = (months_of(&pro), months_of(&two));
    for (key, row) in &some {
        assert_eq!(row, &all[key]);
    }
    assert_eq!(some.len(), 3 * 12);
    let (s, repeated) = common::get_as(&app, &team, &format!("{url}&wijk=WK047912&wijk=WK047913")).await;
    assert_eq!(s, 200, "{repeated}");
    assert_eq!(repeated["rows"], two["rows"], "a repeated parameter lists the same wijken as a comma list");
    // One wijk's kompas: its rows and the gemeente's.
    let (s, one) = common::get_as(&app, &team, &format!("/v1/areas/WK047912/kompas?from={from}&to={to}")).await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one["rows"].as_array().unwrap().len(), 24);
    for (key, row) in months_of(&one) {
        assert_eq!(row, all[&key]);
    }

    // CSV in both languages: one line per area, month and indicator, the JSON's values.
    for (lang, sep, header) in [
        ("en", ',', ["area_code", "area_name", "month", "indicator", "value", "suppressed"]),
        ("nl", ';', ["gebied_code", "gebied_naam", "maand", "indicator", "waarde", "onderdrukt"]),
    ] {
        let (s, headers, text) = raw(&app, &team, &format!("{url}&format=csv&lang={lang}"), "application/json").await;
        assert_eq!(s, 200, "{text}");
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        let disposition = headers["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("attachment; filename=") && disposition.contains(".csv"), "{disposition}");
        let lines = parse_csv(&text, sep);
        assert_eq!(lines[0], header);
        assert_eq!(lines.len(), 1 + (wijken + 1) * 12 * indicators);
        let by_key = months_of(&pro);
        for l in &lines[1..] {
            assert_eq!(l.len(), 6, "{l:?}");
            let row = &by_key[&(l[0].clone(), l[2].clone())];
            assert_eq!(row["area_name"], l[1].as_str());
            let f = at_path(row, &l[3]);
            let suppressed = if lang == "nl" { l[5] == "ja" } else { l[5] == "true" };
            assert_eq!(f["suppressed"], suppressed, "{l:?}");
            match f.get("value") {
                None => assert_eq!(l[4], "", "{l:?}"),
                Some(v) => {
                    let text = if lang == "nl" { l[4].replace(',', ".") } else { l[4].clone() };
                    assert!((text.parse::<f64>().unwrap() - v.as_f64().unwrap()).abs() < 1e-9, "{l:?} vs {v}");
                }
            }
        }
    }
    // `Accept: text/csv` asks for it too.
    let (s, headers, _) = raw(&app, &Auth::None, &url, "text/csv").await;
    assert_eq!(s, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
});

api_test!(bad_input_is_refused_naming_the_field, false, |app: TestApp| async move {
    let team = common::zaanstad_professional();
    for (url, field) in [
        ("/v1/areas/GM0479/kompas?from=2026-13", "from"),
        ("/v1/areas/GM0479/kompas?to=26-01", "to"),
        ("/v1/areas/GM0479/kompas?from=2026-05&to=2026-04", "to"),
        ("/v1/areas/GM0479/kompas?from=2022-01&to=2025-01", "from"),
        ("/v1/areas/GM0479/kompas?wijk=WK036301", "wijk"),
        ("/v1/areas/GM0479/kompas?wijk=GM0479", "wijk"),
        ("/v1/areas/GM0479/kompas?wijk=", "wijk"),
        ("/v1/areas/WK047912/kompas?wijk=WK047913", "wijk"),
        ("/v1/areas/GM0479/kompas?format=xml", "format"),
        ("/v1/areas/GM0479/kompas?format=csv&lang=de", "lang"),
        ("/v1/areas/XX0479/kompas", "code"),
        ("/v1/areas/GM0479/kompas?from=%E2%80%AE", "from"),
    ] {
        let (s, v) = common::get_as(&app, &team, url).await;
        common::assert_problem(s, &v, 400, field);
    }
    let (s, v) = common::get_as(&app, &team, "/v1/areas/GM9999/kompas").await;
    assert_eq!(s, 404, "{v}");
    // 36 months is the longest period, and an empty town answers with zeros, all shown.
    let (s, v) = common::get_as(&app, &team, "/v1/areas/GM0479/kompas?from=2023-01&to=2025-12&wijk=WK047912").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rows"].as_array().unwrap().len(), 72);
    assert!(v["rows"].as_array().unwrap().iter().all(|r| r["requests_posted"]["value"] == 0 && r["suppressed"] == false));
});

//! The demo town: complete, inside Zaanstad, loaded only once, and with a year of history that
//! is the same, relative to the month it is seeded in, every time.
mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use common::Auth;
use serde_json::Value;

async fn all(app: &common::TestApp, auth: &Auth, path: &str) -> Vec<serde_json::Value> {
    common::every_page(app, auth, path, "items", 200).await
}

fn strings<'a>(items: &'a [Value], field: &str) -> BTreeSet<&'a str> {
    items.iter().filter_map(|i| i[field].as_str()).collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap().with_timezone(&Utc)
}

/// The codes of a vocabulary, as the taxonomy lists them.
async fn codes(app: &common::TestApp, vocabulary: &str) -> BTreeSet<String> {
    let (s, taxonomy) = common::get(app, "/v1/taxonomy").await;
    assert_eq!(s, 200, "{taxonomy}");
    let list = taxonomy[vocabulary].as_array().unwrap_or_else(|| panic!("no {vocabulary} in {taxonomy}"));
    list.iter().map(|c| c["code"].as_str().unwrap().to_owned()).collect()
}

/// Zaanstad's wijken (codes).
async fn wijken(app: &common::TestApp) -> BTreeSet<String> {
    let areas = all(app, &Auth::None, "/v1/areas?gemeente=GM0479&level=wijk").await;
    areas.iter().map(|a| a["code"].as_str().unwrap().to_owned()).collect()
}

api_test!(demo_town_is_complete_and_inside_zaanstad, true, |app: common::TestApp| async move {
    // People and volunteers are listed only to professionals of the gemeente; initiatives and
    // listings are public, and a professional sees the town's listings in full.
    let pro = common::zaanstad_professional();
    let initiatives = all(&app, &Auth::None, "/v1/initiatives?area=GM0479").await;
    let people = all(&app, &pro, "/v1/people?area=GM0479").await;
    let volunteers = all(&app, &pro, "/v1/volunteers?area=GM0479").await;
    // The town's own offers and requests are today's open ones; the history's have closed or
    // expired, and only the professional sees those.
    let listings = all(&app, &pro, "/v1/listings?area=GM0479&status=open").await;
    // Every item, including people placed by their cell's centre, lies in the town.
    assert_eq!((initiatives.len(), volunteers.len(), listings.len()), (46, 32, 120));
    assert!(people.len() > 45, "the town's 45 residents and those its history adds: {}", people.len());
    assert!(listings.iter().all(|l| l["visibility"] == "full"), "a professional of Zaanstad sees its listings in full");
    let history = all(&app, &pro, "/v1/listings?area=GM0479&status=closed&status=matched&status=expired").await;
    assert!(history.len() > 100, "the history's listings: {}", history.len());
    // Every seeded listing is open, so the public finds them all too (requests as summaries).
    let public = all(&app, &Auth::None, "/v1/listings?area=GM0479").await;
    assert_eq!(public.len(), 120);
    for (who, auth) in [("anonymous", Auth::None), ("resident", common::new_resident_token())] {
        for path in ["/v1/people?area=GM0479", "/v1/volunteers?area=GM0479"] {
            let (status, body) = common::get_as(&app, &auth, &format!("{path}&limit=200")).await;
            common::assert_problem(status, &body, if who == "anonymous" { 401 } else { 403 }, "");
        }
    }
    let wijken: HashSet<&str> = initiatives.iter().map(|i| i["wijk_code"].as_str().unwrap()).collect();
    assert_eq!(wijken.len(), 19, "every Zaanstad wijk has an initiative: {wijken:?}");
    assert!(wijken.iter().all(|w| w.starts_with("WK0479")));
    let kinds: HashSet<&str> = initiatives.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 5, "all five initiative kinds occur");
    let requests = listings.iter().filter(|l| l["kind"] == "request").count();
    assert!(requests >= 50 && listings.len() - requests >= 50, "offers and requests both occur");
    let public_requests = public.iter().filter(|l| l["kind"] == "request").count();
    assert_eq!(public_requests, requests);
});

api_test!(seeding_twice_loads_nothing_the_second_time, true, |app: common::TestApp| async move {
    let pro = common::zaanstad_professional();
    let referrals = all(&app, &pro, "/v1/referrals?gemeente=GM0479").await.len();
    let again = buurtkracht::seed::seed_if_empty(&app.app.state).await.unwrap();
    assert!(again.is_none());
    for auth in [Auth::None, pro.clone()] {
        let listings = all(&app, &auth, "/v1/listings?kind=offer&kind=request&status=open").await;
        assert_eq!(listings.len(), 120, "{auth:?}");
    }
    assert_eq!(all(&app, &pro, "/v1/referrals?gemeente=GM0479").await.len(), referrals);
});

api_test!(the_history_has_every_state_outcome_and_reason_across_wijken_and_months, true, |app: common::TestApp| async move {
    let pro = common::zaanstad_professional();
    let anchor = buurtkracht::seed::history::anchor(Utc::now());
    let referrals = all(&app, &pro, "/v1/referrals?gemeente=GM0479").await;
    assert!((200..=400).contains(&referrals.len()), "{} referrals", referrals.len());
    for (field, vocabulary) in [
        ("state", "referral_states"),
        ("outcome", "referral_outcomes"),
        ("decline_reason", "referral_decline_reasons"),
        ("helper_kind", "referral_helper_kinds"),
    ] {
        let seen: BTreeSet<String> = strings(&referrals, field).into_iter().map(str::to_owned).collect();
        assert_eq!(seen, codes(&app, vocabulary).await, "every {field} occurs");
    }
    // Every wijk, every month of the year before this one.
    let seen_wijken: BTreeSet<String> = strings(&referrals, "wijk_code").into_iter().map(str::to_owned).collect();
    assert_eq!(seen_wijken, wijken(&app).await);
    let months: BTreeSet<String> = referrals.iter().map(|r| time(&r["created_at"]).format("%Y-%m").to_string()).collect();
    assert!(months.len() >= 10, "{months:?}");
    for r in &referrals {
        let created = time(&r["created_at"]);
        assert!(created < anchor && created >= anchor - chrono::Duration::days(365), "{r}");
        assert!(time(&r["updated_at"]) < anchor, "{r}");
    }
    // Some were left open and nobody touched them for over a week: the team's work list
    // shows them as stale, and only open ones are.
    let stale: Vec<&Value> = referrals.iter().filter(|r| r["stale"] == true).collect();
    assert!(stale.len() >= 3, "{} stale", stale.len());
    for r in &stale {
        assert!(["sent", "accepted", "in_progress"].contains(&r["state"].as_str().unwrap()), "{r}");
        assert!(time(&r["updated_at"]) <= Utc::now() - chrono::Duration::days(7), "{r}");
    }
    let (s, filtered) = common::get_as(&app, &pro, "/v1/referrals?gemeente=GM0479&stale=true&limit=200").await;
    assert_eq!(s, 200, "{filtered}");
    assert_eq!(filtered["items"].as_array().unwrap().len(), stale.len());
    // Each one's history runs forward in time from when it was sent.
    for r in &referrals {
        let steps = r["history"].as_array().unwrap();
        assert_eq!(steps[0]["state"], "sent", "{r}");
        assert_eq!(time(&steps[0]["at"]), time(&r["created_at"]), "{r}");
        assert!(steps.windows(2).all(|w| time(&w[0]["at"]) < time(&w[1]["at"])), "{r}");
        assert_eq!(steps.last().unwrap()["state"], r["state"], "{r}");
    }
});

api_test!(the_history_has_support_requests_of_every_kind_and_status, true, |app: common::TestApp| async move {
    let pro = common::zaanstad_professional();
    let requests = all(&app, &pro, "/v1/support-requests?gemeente=GM0479").await;
    assert!((40..=60).contains(&requests.len()), "{} support requests", requests.len());
    for (field, vocabulary) in [("kind", "support_kinds"), ("status", "support_statuses")] {
        let seen: BTreeSet<String> = strings(&requests, field).into_iter().map(str::to_owned).collect();
        assert_eq!(seen, codes(&app, vocabulary).await, "every {field} occurs");
    }
    let reasons: BTreeSet<String> = requests.iter().filter_map(|r| r["decline"]["reason"].as_str()).map(str::to_owned).collect();
    assert_eq!(reasons, codes(&app, "support_decline_reasons").await, "every decline reason occurs");
    assert!(requests.iter().filter(|r| r["kind"] == "grant" && r["status"] == "granted").all(|r| r["grant"]["amount_cents"].is_i64()));
    assert!(strings(&requests, "wijk_code").len() > 5);
});

api_test!(experiences_pass_k_in_the_busy_wijken_and_not_in_the_quiet_ones, true, |app: common::TestApp| async move {
    let pro = common::zaanstad_professional();
    let summary = |area: String| {
        let app = &app;
        let pro = pro.clone();
        async move {
            let (s, v) = common::get_as(app, &pro, &format!("/v1/experiences/summary?area={area}")).await;
            assert_eq!(s, 200, "{area}: {v}");
            v
        }
    };
    // Over the last twelve months (the default period).
    let mut shown = BTreeMap::new();
    let mut suppressed = BTreeSet::new();
    for wijk in wijken(&app).await {
        let v = summary(wijk.clone()).await;
        let themes = v["themes"].as_array().unwrap();
        if themes.iter().all(|t| t["suppressed"] == false && t["mean"].is_f64()) {
            shown.insert(wijk, v["answers"]["count"].as_u64().unwrap());
        } else if themes.iter().any(|t| t["suppressed"] == true) {
            assert!(themes.iter().all(|t| t["mean"].is_null() && t["count"].is_null()), "{v}");
            assert_eq!(v["shared_comments"], serde_json::json!([]), "{v}");
            suppressed.insert(wijk);
        }
    }
    // Poelenburg, the busiest wijk, shows its answers; some quiet wijken have a few answers,
    // which stay hidden.
    assert!(shown.get("WK047912").is_some_and(|n| *n >= 5), "{shown:?}");
    assert!(shown.len() < 5, "most wijken stay below k = 5: {shown:?}");
    assert!(suppressed.len() >= 3, "{suppressed:?}");
    let busy = summary("WK047912".into()).await;
    assert!(!busy["shared_comments"].as_array().unwrap().is_empty(), "shared comments of a busy wijk reach the team: {busy}");
    let town = summary("GM0479".into()).await;
    // The gemeente adds up only the wijken-in-a-month with five answers or more.
    assert!(town["answers"]["count"].as_u64().is_some_and(|n| n >= 10), "{town}");
});

/// The anonymous facts of a seeded town's history: per referral its state, outcome, decline
/// reason, wijk, helper kind, and when it was made and last changed, in seconds from the
/// anchor; per support request its kind, status, wijk and times.
async fn facts(app: &common::TestApp, anchor: DateTime<Utc>) -> (Vec<String>, Vec<String>) {
    let pro = common::zaanstad_professional();
    let since = |v: &Value| (time(v) - anchor).num_seconds();
    let mut referrals: Vec<String> = all(app, &pro, "/v1/referrals?gemeente=GM0479")
        .await
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {} {}",
                r["state"],
                r["outcome"],
                r["decline_reason"],
                r["wijk_code"],
                r["helper_kind"],
                since(&r["created_at"]),
                since(&r["updated_at"])
            )
        })
        .collect();
    referrals.sort();
    let mut support: Vec<String> = all(app, &pro, "/v1/support-requests?gemeente=GM0479")
        .await
        .iter()
        .map(|r| format!("{} {} {} {} {}", r["kind"], r["status"], r["wijk_code"], since(&r["created_at"]), since(&r["updated_at"])))
        .collect();
    support.sort();
    (referrals, support)
}

api_test!(two_seeds_make_the_same_history, false, |app: common::TestApp| async move {
    let other = common::spawn_on(app.engine, false).await.expect("a second app on the same engine");
    let before = buurtkracht::seed::history::anchor(Utc::now());
    let first = buurtkracht::seed::seed_if_empty(&app.app.state).await.unwrap().expect("an empty database is seeded");
    let second = buurtkracht::seed::seed_if_empty(&other.app.state).await.unwrap().expect("an empty database is seeded");
    assert_eq!(first, second);
    assert!((200..=400).contains(&first.referrals), "{first:?}");
    assert!((40..=60).contains(&first.support_requests), "{first:?}");
    assert!((60..=120).contains(&first.experiences), "{first:?}");
    if buurtkracht::seed::history::anchor(Utc::now()) != before {
        eprintln!("a month began while seeding; the two histories have different anchors");
        return;
    }
    let (referrals, support) = facts(&app, before).await;
    assert_eq!(referrals.len(), first.referrals);
    assert_eq!(support.len(), first.support_requests);
    assert_eq!((referrals, support), facts(&other, before).await);
});

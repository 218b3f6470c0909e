//! The demo town: complete, inside Zaanstad, and loaded only once.
mod common;

use std::collections::HashSet;

use common::Auth;

async fn all(app: &common::TestApp, auth: &Auth, path: &str) -> Vec<serde_json::Value> {
    common::every_page(app, auth, path, "items", 200).await
}

api_test!(demo_town_is_complete_and_inside_zaanstad, true, |app: common::TestApp| async move {
    // People and volunteers are listed only to professionals of the gemeente; initiatives and
    // listings are public, and a professional sees the town's listings in full.
    let pro = common::zaanstad_professional();
    let initiatives = all(&app, &Auth::None, "/v1/initiatives?area=GM0479").await;
    let people = all(&app, &pro, "/v1/people?area=GM0479").await;
    let volunteers = all(&app, &pro, "/v1/volunteers?area=GM0479").await;
    let listings = all(&app, &pro, "/v1/listings?area=GM0479").await;
    // Every item, including people placed by their cell's centre, lies in the town.
    assert_eq!((initiatives.len(), people.len(), volunteers.len(), listings.len()), (46, 45, 32, 120));
    assert!(listings.iter().all(|l| l["visibility"] == "full"), "a professional of Zaanstad sees its listings in full");
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
    let again = buurtkracht::seed::seed_if_empty(&app.app.state).await.unwrap();
    assert!(again.is_none());
    for auth in [Auth::None, common::zaanstad_professional()] {
        let listings = all(&app, &auth, "/v1/listings?kind=offer&kind=request").await;
        assert_eq!(listings.len(), 120, "{auth:?}");
    }
});

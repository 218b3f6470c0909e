//! `/v1/listings` through the real app: places taken from the owner, validity, status and
//! expiry, updates, filters (kind, text, radius, cell), pagination, GeoJSON and cascades.
mod common;

use common::{delete, get, patch, post};

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use h3o::{CellIndex, LatLng, Resolution};
use serde_json::{Value, json};

async fn create_person(app: &common::TestApp, p: (f64, f64)) -> Value {
    let (status, person) = post(app, "/v1/people", json!({"display_name": "Noor", "home_point": {"lat": p.0, "lng": p.1}})).await;
    assert_eq!(status, 201, "{person}");
    person
}

async fn create_initiative(app: &common::TestApp, p: (f64, f64)) -> Value {
    let (status, i) = post(
        app,
        "/v1/initiatives",
        json!({"name": "Buurtkamer", "description": "Koffie en een praatje", "kind": "resident_initiative",
               "categories": ["meeting_place"], "location": {"lat": p.0, "lng": p.1}}),
    )
    .await;
    assert_eq!(status, 201, "{i}");
    i
}

fn listing(owner: Value) -> Value {
    json!({"kind": "offer", "title": "Boodschappen doen", "description": "Ik help graag", "categories": ["groceries"], "owner": owner})
}

async fn create_listing(app: &common::TestApp, body: Value) -> Value {
    let (status, l) = post(app, "/v1/listings", body).await;
    assert_eq!(status, 201, "{l}");
    l
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id: {v}")).to_owned()
}

fn ids(page: &Value) -> BTreeSet<String> {
    page["items"].as_array().unwrap_or_else(|| panic!("not a page: {page}")).iter().map(id).collect()
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap().with_timezone(&Utc)
}

/// Every item of a list, following `next_cursor`.
async fn all_pages(app: &common::TestApp, url: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    let sep = if url.contains('?') { '&' } else { '?' };
    for _ in 0..1000 {
        let u = match &cursor {
            Some(c) => format!("{url}{sep}cursor={c}"),
            None => url.to_owned(),
        };
        let (status, page) = get(app, &u).await;
        assert_eq!(status, 200, "{u}: {page}");
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
    panic!("pagination does not end: {url}");
}

/// Where the service measures a listing from: its exact place, else its cell centre.
fn place_of(l: &Value) -> (f64, f64) {
    match l.get("location").filter(|v| v.is_object()) {
        Some(p) => (p["lat"].as_f64().unwrap(), p["lng"].as_f64().unwrap()),
        None => {
            let c = LatLng::from(CellIndex::from_str(l["cell"].as_str().unwrap()).unwrap());
            (c.lat(), c.lng())
        }
    }
}

api_test!(a_person_listing_sits_in_their_home_cell_without_a_location, false, |app: common::TestApp| async move {
    let person = create_person(&app, common::POELENBURG).await;
    let l = create_listing(&app, listing(json!({"person_id": person["id"]}))).await;
    assert_eq!(l["cell"], person["home_cell"], "{l}");
    assert!(l.get("location").is_none_or(Value::is_null), "a person's listing has no point: {l}");
    assert_eq!(l["owner"]["person_id"], person["id"]);
    assert!(l["owner"].get("initiative_id").is_none_or(Value::is_null), "{l}");
    assert_eq!(l["gemeente_code"], person["gemeente_code"]);
    assert_eq!(l["wijk_code"], person["wijk_code"]);
    assert_eq!(l["status"], "open");
    assert_eq!(l["kind"], "offer");
    let (status, got) = get(&app, &format!("/v1/listings/{}", id(&l))).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["cell"], person["home_cell"]);
    assert!(got.get("location").is_none_or(Value::is_null), "{got}");
    assert_eq!(got["title"], "Boodschappen doen");
});

api_test!(an_initiative_listing_sits_at_the_initiative, false, |app: common::TestApp| async move {
    let p = (52.4452, 4.8391);
    let i = create_initiative(&app, p).await;
    let l = create_listing(&app, listing(json!({"initiative_id": i["id"]}))).await;
    assert_eq!(l["location"], i["location"], "{l}");
    assert_eq!(l["location"]["lat"].as_f64(), Some(p.0));
    assert_eq!(l["location"]["lng"].as_f64(), Some(p.1));
    assert_eq!(l["cell"], LatLng::new(p.0, p.1).unwrap().to_cell(Resolution::Nine).to_string(), "{l}");
    assert_eq!(l["owner"]["initiative_id"], i["id"]);
    assert_eq!(l["gemeente_code"], i["gemeente_code"]);
    assert_eq!(l["wijk_code"], i["wijk_code"]);
    let (_, got) = get(&app, &format!("/v1/listings/{}", id(&l))).await;
    assert_eq!(got["location"], i["location"], "{got}");
});

api_test!(owner_must_be_exactly_one_known_owner, false, |app: common::TestApp| async move {
    let person = create_person(&app, common::POELENBURG).await;
    let i = create_initiative(&app, common::POELENBURG).await;
    for owner in [json!({"person_id": person["id"], "initiative_id": i["id"]}), json!({})] {
        let (status, body) = post(&app, "/v1/listings", listing(owner)).await;
        common::assert_problem(status, &body, 400, "owner");
    }
    let (status, body) = post(&app, "/v1/listings", listing(json!({"person_id": uuid::Uuid::now_v7()}))).await;
    common::assert_problem(status, &body, 422, "owner.person_id");
    assert_eq!(body["code"], "unknown_reference");
    let (status, body) = post(&app, "/v1/listings", listing(json!({"initiative_id": uuid::Uuid::now_v7()}))).await;
    common::assert_problem(status, &body, 422, "owner.initiative_id");
    // A person's id is not an initiative's.
    let (status, body) = post(&app, "/v1/listings", listing(json!({"initiative_id": person["id"]}))).await;
    common::assert_problem(status, &body, 422, "owner.initiative_id");
    let (_, page) = get(&app, "/v1/listings").await;
    assert!(ids(&page).is_empty(), "nothing stored: {page}");
});

api_test!(valid_until_defaults_to_30_days_and_is_bounded, false, |app: common::TestApp| async move {
    let person = create_person(&app, common::POELENBURG).await;
    let owner = json!({"person_id": person["id"]});
    let before = Utc::now();
    let l = create_listing(&app, listing(owner.clone())).await;
    let want = before + Duration::days(30);
    let got = time(&l["valid_until"]);
    assert!((got - want).num_seconds().abs() <= 60, "valid_until {got} is not about {want}");

    for (offset, ok) in [
        (Duration::hours(-1), false),
        (Duration::days(-400), false),
        (Duration::days(367), false),
        (Duration::days(400), false),
        (Duration::days(365), true),
        (Duration::hours(1), true),
    ] {
        let mut body = listing(owner.clone());
        let at = Utc::now() + offset;
        body["valid_until"] = json!(ts(at));
        let (status, resp) = post(&app, "/v1/listings", body).await;
        if ok {
            assert_eq!(status, 201, "{offset}: {resp}");
            assert!((time(&resp["valid_until"]) - at).num_milliseconds().abs() <= 1, "{resp}");
        } else {
            common::assert_problem(status, &resp, 400, "valid_until");
        }
    }
});

api_test!(an_open_listing_past_valid_until_is_expired, false, |app: common::TestApp| async move {
    let person = create_person(&app, common::POELENBURG).await;
    let owner = json!({"person_id": person["id"]});
    let keeps = create_listing(&app, listing(owner.clone())).await;
    let mut body = listing(owner);
    body["valid_until"] = json!(ts(Utc::now() + Duration::seconds(2)));
    let soon = create_listing(&app, body).await;
    assert_eq!(soon["status"], "open");
    let (_, page) = get(&app, "/v1/listings?status=open").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&keeps), id(&soon)]), "{page}");

    tokio::time::sleep(std::time::Duration::from_secs(3)).await;

    let (_, got) = get(&app, &format!("/v1/listings/{}", id(&soon))).await;
    assert_eq!(got["status"], "expired", "{got}");
    let (_, page) = get(&app, "/v1/listings?status=open").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&keeps)]), "{page}");
    let (_, page) = get(&app, "/v1/listings?status=expired").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&soon)]), "{page}");
    let (_, page) = get(&app, "/v1/listings?status=closed&status=matched").await;
    assert!(ids(&page).is_empty(), "{page}");
    let (_, page) = get(&app, "/v1/listings").await;
    let listed: BTreeMap<String, Value> = page["items"].as_array().unwrap().iter().map(|i| (id(i), i["status"].clone())).collect();
    assert_eq!(listed[&id(&soon)], "expired", "{page}");
    assert_eq!(listed[&id(&keeps)], "open", "{page}");

    // A valid_until in the past is refused and changes nothing; a new one in the future reopens it.
    let (status, refused) =
        patch(&app, &format!("/v1/listings/{}", id(&soon)), json!({"valid_until": ts(Utc::now() - Duration::days(1))})).await;
    common::assert_problem(status, &refused, 400, "valid_until");
    let (_, unchanged) = get(&app, &format!("/v1/listings/{}", id(&soon))).await;
    assert_eq!(unchanged["valid_until"], soon["valid_until"]);
    let (status, reopened) =
        patch(&app, &format!("/v1/listings/{}", id(&soon)), json!({"valid_until": ts(Utc::now() + Duration::days(3))})).await;
    assert_eq!(status, 200, "{reopened}");
    assert_eq!(reopened["status"], "open");
    let (_, page) = get(&app, "/v1/listings?status=open").await;
    assert_eq!(ids(&page).len(), 2, "{page}");
});

api_test!(patch_status_closed_is_found_by_the_closed_filter, false, |app: common::TestApp| async move {
    let person = create_person(&app, common::POELENBURG).await;
    let l = create_listing(&app, listing(json!({"person_id": person["id"]}))).await;
    let other = create_listing(&app, listing(json!({"person_id": person["id"]}))).await;
    let url = format!("/v1/listings/{}", id(&l));
    let (status, closed) = patch(&app, &url, json!({"status": "closed", "title": "Niet meer nodig"})).await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["title"], "Niet meer nodig");
    assert_eq!(closed["kind"], "offer");
    assert_eq!(closed["cell"], l["cell"]);
    assert_eq!(closed["created_at"], l["created_at"]);
    assert_eq!(closed["valid_until"], l["valid_until"]);
    let (_, page) = get(&app, "/v1/listings?status=closed").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&l)]), "{page}");
    let (_, page) = get(&app, "/v1/listings?status=open").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&other)]), "{page}");
    // `expired` cannot be set.
    let (status, body) = patch(&app, &url, json!({"status": "expired"})).await;
    common::assert_problem(status, &body, 400, "status");
    let (_, got) = get(&app, &url).await;
    assert_eq!(got["status"], "closed");
});

api_test!(patch_kind_or_owner_is_refused_and_changes_nothing, false, |app: common::TestApp| async move {
    let person = create_person(&app, common::POELENBURG).await;
    let other = create_person(&app, common::DAM).await;
    let i = create_initiative(&app, common::POELENBURG).await;
    let l = create_listing(&app, listing(json!({"person_id": person["id"]}))).await;
    let url = format!("/v1/listings/{}", id(&l));
    let (status, body) = patch(&app, &url, json!({"kind": "request", "title": "Anders"})).await;
    common::assert_problem(status, &body, 400, "kind");
    for owner in
        [json!({"person_id": other["id"]}), json!({"person_id": null, "initiative_id": i["id"]}), json!({"initiative_id": i["id"]})]
    {
        let (status, body) = patch(&app, &url, json!({"owner": owner, "title": "Anders"})).await;
        common::assert_problem(status, &body, 400, "owner");
    }
    let (_, got) = get(&app, &url).await;
    assert_eq!(got["kind"], "offer", "{got}");
    assert_eq!(got["title"], "Boodschappen doen", "{got}");
    assert_eq!(got["owner"]["person_id"], person["id"], "{got}");
    assert_eq!(got["cell"], person["home_cell"], "{got}");
    assert_eq!(got["updated_at"], l["updated_at"], "{got}");
});

api_test!(kind_filter, false, |app: common::TestApp| async move {
    let person = create_person(&app, common::POELENBURG).await;
    let offer = create_listing(&app, listing(json!({"person_id": person["id"]}))).await;
    let mut body = listing(json!({"person_id": person["id"]}));
    body["kind"] = json!("request");
    let request = create_listing(&app, body).await;
    assert_eq!(request["kind"], "request");
    for (q, want) in [
        ("kind=offer", vec![&offer]),
        ("kind=request", vec![&request]),
        ("kind=offer&kind=request", vec![&offer, &request]),
        ("kind=request&category=groceries", vec![&request]),
        ("kind=request&category=repair", vec![]),
    ] {
        let (status, page) = get(&app, &format!("/v1/listings?{q}")).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(ids(&page), want.into_iter().map(id).collect::<BTreeSet<_>>(), "{q}: {page}");
    }
    let (status, body) = get(&app, "/v1/listings?kind=gift").await;
    common::assert_problem(status, &body, 400, "kind");
});

api_test!(full_text_finds_words_and_prefixes, false, |app: common::TestApp| async move {
    let person = create_person(&app, common::POELENBURG).await;
    let owner = json!({"person_id": person["id"]});
    let mut a = listing(owner.clone());
    a["title"] = json!("Boodschappen doen dinsdag");
    a["description"] = json!("Elke week naar de supermarkt");
    let a = create_listing(&app, a).await;
    let mut b = listing(owner);
    b["title"] = json!("Fietsreparatie");
    b["description"] = json!("Lekke band plakken");
    b["categories"] = json!(["repair"]);
    let b = create_listing(&app, b).await;
    for (q, want) in [
        ("boodschappen", vec![&a]),
        ("Boodschappen", vec![&a]),
        ("dinsdag", vec![&a]),
        ("boodsch", vec![&a]),
        ("supermarkt", vec![&a]),
        ("fietsrep", vec![&b]),
        ("fietsreparatie", vec![&b]),
        ("band", vec![&b]),
        ("boodschappen%20dinsdag", vec![&a]),
        ("boodschappen%20band", vec![]),
        ("xyzzy", vec![]),
    ] {
        let (status, page) = get(&app, &format!("/v1/listings?q={q}")).await;
        assert_eq!(status, 200, "{q}: {page}");
        assert_eq!(ids(&page), want.into_iter().map(id).collect::<BTreeSet<_>>(), "q={q}: {page}");
    }
    // The index follows updates.
    let (status, _) = patch(&app, &format!("/v1/listings/{}", id(&b)), json!({"title": "Tuinonderhoud"})).await;
    assert_eq!(status, 200);
    let (_, page) = get(&app, "/v1/listings?q=tuinonder").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&b)]), "{page}");
    let (_, page) = get(&app, "/v1/listings?q=fietsrep").await;
    assert!(ids(&page).is_empty(), "{page}");
});

api_test!(radius_on_the_seeded_town_equals_brute_force, true, |app: common::TestApp| async move {
    // Brute force over everything: a few seeded homes near the border have their cell centre,
    // and so their gemeente, in Amsterdam, but a radius around Poelenburg may still reach them.
    let everything = all_pages(&app, "/v1/listings?limit=200").await;
    assert_eq!(everything.len(), 120, "the demo town has 120 listings");
    let zaanstad = all_pages(&app, "/v1/listings?area=GM0479&limit=50").await;
    let want_zaanstad: BTreeSet<String> = everything.iter().filter(|l| l["gemeente_code"] == "GM0479").map(id).collect();
    assert!(want_zaanstad.len() > 100, "{}", want_zaanstad.len());
    assert_eq!(zaanstad.iter().map(id).collect::<BTreeSet<_>>(), want_zaanstad, "area=GM0479");
    assert_eq!(zaanstad.len(), want_zaanstad.len());
    let centre = common::POELENBURG;
    let mut sizes = Vec::new();
    for radius in [600.0, 1_500.0, 4_000.0] {
        let url = format!("/v1/listings?lat={}&lng={}&radius_m={radius}&limit=200", centre.0, centre.1);
        let found = all_pages(&app, &url).await;
        let got: BTreeMap<String, f64> = found.iter().map(|l| (id(l), l["distance_m"].as_f64().unwrap())).collect();
        assert_eq!(got.len(), found.len(), "no duplicates");
        let brute: BTreeMap<String, f64> = everything.iter().map(|l| (id(l), common::haversine_m(centre, place_of(l)))).collect();
        for (lid, d) in &brute {
            if *d < radius - 0.5 {
                assert!(got.contains_key(lid), "listing {lid} at {d} m is missing from radius {radius}");
            } else if *d > radius + 0.5 {
                assert!(!got.contains_key(lid), "listing {lid} at {d} m is inside radius {radius}");
            }
        }
        for (lid, d) in &got {
            assert!(*d <= radius, "{d} > {radius}");
            assert!((d - brute[lid]).abs() < 0.5, "distance of {lid}: {d} vs {}", brute[lid]);
        }
        sizes.push(got.len());
    }
    assert!(sizes[0] > 0 && sizes[0] < sizes[2] && sizes[2] < 120, "radii should be meaningful: {sizes:?}");
});

api_test!(paging_by_distance_walks_each_listing_once, true, |app: common::TestApp| async move {
    let centre = common::POELENBURG;
    for radius in [1_500.0, 4_000.0] {
        let url = format!("/v1/listings?lat={}&lng={}&radius_m={radius}", centre.0, centre.1);
        let (_, one) = get(&app, &format!("{url}&sort=distance&limit=200")).await;
        let want: Vec<String> = one["items"].as_array().unwrap().iter().map(id).collect();
        assert!(want.len() > 14, "enough for several pages: {}", want.len());
        let paged = all_pages(&app, &format!("{url}&sort=distance&limit=7")).await;
        let dists: Vec<f64> = paged.iter().map(|l| l["distance_m"].as_f64().unwrap()).collect();
        assert!(dists.windows(2).all(|w| w[0] <= w[1]), "not nearest first: {dists:?}");
        let got: Vec<String> = paged.iter().map(id).collect();
        let mut seen = BTreeSet::new();
        let repeated: Vec<(usize, &String)> = got.iter().enumerate().filter(|(_, i)| !seen.insert(*i)).collect();
        assert!(repeated.is_empty(), "radius {radius}: listings repeated at (position, id) {repeated:?} when paging by distance");
        assert_eq!(got, want, "radius {radius}: pages of 7 by distance repeat or skip listings");
    }
});

api_test!(cell_filter_with_a_resolution_7_cell, true, |app: common::TestApp| async move {
    let everything = all_pages(&app, "/v1/listings?limit=200").await;
    let cell = LatLng::new(common::POELENBURG.0, common::POELENBURG.1).unwrap().to_cell(Resolution::Seven);
    let want: BTreeSet<String> = everything
        .iter()
        .filter(|l| match l.get("location").filter(|v| v.is_object()) {
            Some(p) => LatLng::new(p["lat"].as_f64().unwrap(), p["lng"].as_f64().unwrap()).unwrap().to_cell(Resolution::Seven) == cell,
            None => {
                let own = CellIndex::from_str(l["cell"].as_str().unwrap()).unwrap();
                own.parent(Resolution::Seven) == Some(cell)
            }
        })
        .map(id)
        .collect();
    assert!(!want.is_empty() && want.len() < everything.len(), "the cell should hold some listings: {}", want.len());
    let got: Vec<Value> = all_pages(&app, &format!("/v1/listings?cell={cell}&limit=200")).await;
    assert_eq!(got.iter().map(id).collect::<BTreeSet<_>>(), want, "cell {cell}");
    assert_eq!(got.len(), want.len());
    // Upper case works too; a paged walk gives the same.
    let paged = all_pages(&app, &format!("/v1/listings?cell={}&limit=5", cell.to_string().to_uppercase())).await;
    assert_eq!(paged.iter().map(id).collect::<BTreeSet<_>>(), want);
    // A resolution-9 cell holds an initiative's listing placed in it, never a coarser person's cell.
    let q = common::POELENBURG;
    let res9 = LatLng::new(q.0, q.1).unwrap().to_cell(Resolution::Nine);
    let (status, i) = post(
        &app,
        "/v1/initiatives",
        json!({"name": "Repair café", "description": "Samen repareren", "kind": "resident_initiative",
               "categories": ["repair"], "location": {"lat": q.0, "lng": q.1}}),
    )
    .await;
    assert_eq!(status, 201, "{i}");
    let at_initiative = create_listing(&app, listing(json!({"initiative_id": i["id"]}))).await;
    let person = create_person(&app, q).await;
    let at_person = create_listing(&app, listing(json!({"person_id": person["id"]}))).await;
    assert_eq!(at_person["cell"], LatLng::new(q.0, q.1).unwrap().to_cell(Resolution::Eight).to_string());
    let (_, page) = get(&app, &format!("/v1/listings?cell={res9}&limit=200")).await;
    let found = ids(&page);
    assert!(found.contains(&id(&at_initiative)), "{page}");
    assert!(!found.contains(&id(&at_person)), "a res-8 home is not inside a res-9 cell: {page}");
    let (_, page) = get(&app, &format!("/v1/listings?cell={cell}&limit=200")).await;
    assert!(ids(&page).is_superset(&BTreeSet::from([id(&at_initiative), id(&at_person)])), "{page}");
    let (_, page) = get(&app, &format!("/v1/listings?owner_person_id={}", id(&person))).await;
    assert_eq!(ids(&page), BTreeSet::from([id(&at_person)]), "{page}");

    let (status, body) = get(&app, "/v1/listings?cell=nonsense").await;
    common::assert_problem(status, &body, 400, "cell");
});

api_test!(keyset_pagination_walks_every_seeded_listing_once, true, |app: common::TestApp| async move {
    let (_, one) = get(&app, "/v1/listings?limit=200").await;
    let all: Vec<String> = one["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(all.len(), 120);
    assert!(one["next_cursor"].is_null(), "{}", one["next_cursor"]);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            Some(c) => format!("/v1/listings?limit=7&cursor={c}"),
            None => "/v1/listings?limit=7".to_owned(),
        };
        let (status, page) = get(&app, &url).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(items.len(), 7, "a full page before the end");
                cursor = Some(c.to_owned());
                seen.extend(items.iter().map(id));
            }
            None => {
                seen.extend(items.iter().map(id));
                break;
            }
        }
        assert!(pages <= 20, "too many pages");
    }
    assert_eq!(pages, 18, "120 listings in pages of 7");
    assert_eq!(seen, all, "same order, no duplicates, no gaps");
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 120);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest (highest v7 id) first");
    let (status, body) = get(&app, "/v1/listings?cursor=garbage").await;
    common::assert_problem(status, &body, 400, "cursor");
});

api_test!(geojson_has_points_for_initiatives_and_hexagons_for_people, true, |app: common::TestApp| async move {
    let (_, json_page) = get(&app, "/v1/listings?limit=200").await;
    let by_id: BTreeMap<String, Value> = json_page["items"].as_array().unwrap().iter().map(|l| (id(l), l.clone())).collect();
    let fc = common::get_geojson(&app, "/v1/listings?limit=200").await;
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 120);
    let (mut points, mut polygons) = (0, 0);
    for f in features {
        let l = &by_id[f["id"].as_str().unwrap()];
        assert!(f["properties"].get("location").is_none(), "{f}");
        assert_eq!(f["properties"]["cell"], l["cell"]);
        if l["owner"]["initiative_id"].is_string() {
            assert_eq!(f["geometry"]["type"], "Point", "{f}");
            let c = &f["geometry"]["coordinates"];
            let (lng, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            assert!((lng - l["location"]["lng"].as_f64().unwrap()).abs() < 1e-6, "{f} vs {l}");
            assert!((lat - l["location"]["lat"].as_f64().unwrap()).abs() < 1e-6, "{f} vs {l}");
            points += 1;
        } else {
            assert!(l["owner"]["person_id"].is_string(), "{l}");
            assert_eq!(f["geometry"]["type"], "Polygon", "{f}");
            let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
            assert_eq!(ring.len(), 7, "{f}");
            assert_eq!(ring[0], ring[6]);
            polygons += 1;
        }
    }
    assert!(points > 0 && polygons > 0, "points {points}, polygons {polygons}");
});

api_test!(deleting_the_initiative_deletes_its_listings, false, |app: common::TestApp| async move {
    let i = create_initiative(&app, common::POELENBURG).await;
    let keep = create_initiative(&app, common::DAM).await;
    let person = create_person(&app, common::POELENBURG).await;
    let mine = [
        create_listing(&app, listing(json!({"initiative_id": i["id"]}))).await,
        create_listing(&app, listing(json!({"initiative_id": i["id"]}))).await,
    ];
    let theirs = create_listing(&app, listing(json!({"initiative_id": keep["id"]}))).await;
    let persons = create_listing(&app, listing(json!({"person_id": person["id"]}))).await;
    let (_, page) = get(&app, &format!("/v1/listings?owner_initiative_id={}", id(&i))).await;
    assert_eq!(ids(&page), mine.iter().map(id).collect::<BTreeSet<_>>(), "{page}");

    let (status, body) = delete(&app, &format!("/v1/initiatives/{}", id(&i))).await;
    assert_eq!(status, 204, "{body}");
    for l in &mine {
        let (status, body) = get(&app, &format!("/v1/listings/{}", id(l))).await;
        common::assert_problem(status, &body, 404, "");
    }
    let (_, page) = get(&app, &format!("/v1/listings?owner_initiative_id={}", id(&i))).await;
    assert!(ids(&page).is_empty(), "{page}");
    let (_, page) = get(&app, "/v1/listings?category=groceries").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&theirs), id(&persons)]), "{page}");
});

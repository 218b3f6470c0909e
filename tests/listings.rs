//! `/v1/listings` through the real app: places taken from the owner, validity, status and
//! expiry, updates, filters (kind, text, radius, cell), pagination, GeoJSON and cascades,
//! each written by the owner and read both by the owner and by the public.
mod common;

use common::{Auth, delete_as, get, get_as, patch_as, post_as};

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use h3o::{CellIndex, LatLng, Resolution};
use serde_json::{Value, json};

/// A person at `p` with their own resident token.
async fn create_person(app: &common::TestApp, p: (f64, f64)) -> (Value, Auth) {
    let auth = common::new_resident_token();
    let (status, person) = post_as(app, &auth, "/v1/people", json!({"display_name": "Noor", "home_point": {"lat": p.0, "lng": p.1}})).await;
    assert_eq!(status, 201, "{person}");
    (person, auth)
}

/// An initiative at `p`, organised by a fresh resident; with the organiser's token.
async fn create_initiative(app: &common::TestApp, p: (f64, f64)) -> (Value, Auth) {
    let (_, auth) = common::poelenburg_person(app, "Organiser").await;
    let (status, i) = post_as(
        app,
        &auth,
        "/v1/initiatives",
        json!({"name": "Buurtkamer", "description": "Koffie en een praatje", "kind": "resident_initiative",
               "categories": ["meeting_place"], "location": {"lat": p.0, "lng": p.1}}),
    )
    .await;
    assert_eq!(status, 201, "{i}");
    (i, auth)
}

fn listing(owner: Value) -> Value {
    json!({"kind": "offer", "title": "Boodschappen doen", "description": "Ik help graag", "categories": ["groceries"], "owner": owner})
}

async fn create_listing(app: &common::TestApp, auth: &Auth, body: Value) -> Value {
    let (status, l) = post_as(app, auth, "/v1/listings", body).await;
    assert_eq!(status, 201, "{l}");
    assert_eq!(l["visibility"], "full", "the owner sees everything: {l}");
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

fn absent(v: &Value, key: &str) -> bool {
    v.get(key).is_none_or(Value::is_null)
}

/// Every item of a list as `auth` sees it, following `next_cursor`.
async fn all_pages(app: &common::TestApp, auth: &Auth, url: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    let sep = if url.contains('?') { '&' } else { '?' };
    for _ in 0..1000 {
        let u = match &cursor {
            Some(c) => format!("{url}{sep}cursor={c}"),
            None => url.to_owned(),
        };
        let (status, page) = get_as(app, auth, &u).await;
        assert_eq!(status, 200, "{u}: {page}");
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
    panic!("pagination does not end: {url}");
}

/// `GET url` as `auth` with `Accept: application/geo+json`; asserts 200 and the media type.
async fn get_geojson_as(app: &common::TestApp, auth: &Auth, url: &str) -> Value {
    let mut req = app.client.get(url).header("Accept", "application/geo+json");
    req = match auth {
        Auth::None => req,
        Auth::Bearer(t) => req.header("Authorization", format!("Bearer {t}")),
        Auth::Key(k) => req.header("X-API-Key", k.clone()),
    };
    let resp = req.send().await;
    assert_eq!(resp.0.status().as_u16(), 200);
    let ct = resp.0.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/geo+json"), "{ct}");
    serde_json::from_str(&resp.0.into_body().into_string().await.unwrap()).unwrap()
}

/// The public and a Zaanstad professional (who sees the demo town's listings in full).
fn readers() -> [(&'static str, Auth); 2] {
    [("anonymous", Auth::None), ("professional", common::zaanstad_professional())]
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

fn res7_parent(cell: &Value) -> String {
    CellIndex::from_str(cell.as_str().unwrap()).unwrap().parent(Resolution::Seven).unwrap().to_string()
}

api_test!(a_person_listing_sits_in_their_home_cell_without_a_location, false, |app: common::TestApp| async move {
    let (person, me) = create_person(&app, common::POELENBURG).await;
    let l = create_listing(&app, &me, listing(json!({"person_id": person["id"]}))).await;
    assert_eq!(l["cell"], person["home_cell"], "{l}");
    assert!(absent(&l, "location"), "a person's listing has no point: {l}");
    assert_eq!(l["owner"]["person_id"], person["id"]);
    assert!(l["owner"].get("initiative_id").is_none_or(Value::is_null), "{l}");
    assert_eq!(l["gemeente_code"], person["gemeente_code"]);
    assert_eq!(l["wijk_code"], person["wijk_code"]);
    assert_eq!(l["status"], "open");
    assert_eq!(l["kind"], "offer");
    let url = format!("/v1/listings/{}", id(&l));
    let (status, got) = get_as(&app, &me, &url).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["visibility"], "full", "{got}");
    assert_eq!(got["cell"], person["home_cell"]);
    assert!(absent(&got, "location"), "{got}");
    assert_eq!(got["title"], "Boodschappen doen");
    assert_eq!(got["owner"]["person_id"], person["id"], "{got}");
    // The public sees a resident's offer in the same cell, with its text, but not who owns it.
    let (status, public) = get(&app, &url).await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["visibility"], "public", "{public}");
    assert_eq!(public["cell"], person["home_cell"], "{public}");
    assert!(absent(&public, "location"), "{public}");
    assert_eq!(public["title"], "Boodschappen doen", "{public}");
    assert!(absent(&public, "owner"), "the public does not learn who offers: {public}");
});

api_test!(an_initiative_listing_sits_at_the_initiative, false, |app: common::TestApp| async move {
    let p = (52.4452, 4.8391);
    let (i, organiser) = create_initiative(&app, p).await;
    let l = create_listing(&app, &organiser, listing(json!({"initiative_id": i["id"]}))).await;
    assert_eq!(l["location"], i["location"], "{l}");
    assert_eq!(l["location"]["lat"].as_f64(), Some(p.0));
    assert_eq!(l["location"]["lng"].as_f64(), Some(p.1));
    assert_eq!(l["cell"], LatLng::new(p.0, p.1).unwrap().to_cell(Resolution::Nine).to_string(), "{l}");
    assert_eq!(l["owner"]["initiative_id"], i["id"]);
    assert_eq!(l["gemeente_code"], i["gemeente_code"]);
    assert_eq!(l["wijk_code"], i["wijk_code"]);
    // An initiative's open listing is public in full.
    let (status, got) = get(&app, &format!("/v1/listings/{}", id(&l))).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["visibility"], "full", "{got}");
    assert_eq!(got["location"], i["location"], "{got}");
    assert_eq!(got["owner"]["initiative_id"], i["id"], "{got}");
});

api_test!(owner_must_be_exactly_one_known_owner, false, |app: common::TestApp| async move {
    let (person, me) = create_person(&app, common::POELENBURG).await;
    let (i, organiser) = create_initiative(&app, common::POELENBURG).await;
    for auth in [&me, &organiser] {
        for owner in [json!({"person_id": person["id"], "initiative_id": i["id"]}), json!({})] {
            let (status, body) = post_as(&app, auth, "/v1/listings", listing(owner)).await;
            common::assert_problem(status, &body, 400, "owner");
        }
    }
    // An owner that is not the caller's own is refused before it is looked up, whether it
    // exists or not: an unknown id is not the caller's either.
    for owner in [
        json!({"person_id": uuid::Uuid::now_v7()}),
        json!({"initiative_id": uuid::Uuid::now_v7()}),
        // A person's id is not an initiative's.
        json!({"initiative_id": person["id"]}),
        // Someone else's person or initiative.
        json!({"initiative_id": i["id"]}),
    ] {
        let (status, body) = post_as(&app, &me, "/v1/listings", listing(owner.clone())).await;
        common::assert_problem(status, &body, 403, "");
        assert_eq!(body["code"], "forbidden", "{owner}: {body}");
    }
    let (status, body) = post_as(&app, &organiser, "/v1/listings", listing(json!({"person_id": person["id"]}))).await;
    common::assert_problem(status, &body, 403, "");
    // An admin of the gemeente does not write listings for residents or initiatives.
    for owner in [json!({"person_id": person["id"]}), json!({"initiative_id": i["id"]})] {
        let (status, body) = post_as(&app, &common::zaanstad_admin(), "/v1/listings", listing(owner)).await;
        common::assert_problem(status, &body, 403, "");
    }
    // Anonymous callers are asked to sign in, even with a bad body.
    for body in [listing(json!({"person_id": person["id"]})), listing(json!({}))] {
        let (status, resp) = post_as(&app, &Auth::None, "/v1/listings", body).await;
        common::assert_problem(status, &resp, 401, "");
    }
    for auth in [Auth::None, me, organiser, common::zaanstad_professional()] {
        let (status, page) = get_as(&app, &auth, "/v1/listings").await;
        assert_eq!(status, 200, "{page}");
        assert!(ids(&page).is_empty(), "nothing stored: {page}");
    }
});

api_test!(valid_until_defaults_to_30_days_and_is_bounded, false, |app: common::TestApp| async move {
    let (person, me) = create_person(&app, common::POELENBURG).await;
    let owner = json!({"person_id": person["id"]});
    let before = Utc::now();
    let l = create_listing(&app, &me, listing(owner.clone())).await;
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
        let (status, resp) = post_as(&app, &me, "/v1/listings", body).await;
        if ok {
            assert_eq!(status, 201, "{offset}: {resp}");
            assert!((time(&resp["valid_until"]) - at).num_milliseconds().abs() <= 1, "{resp}");
        } else {
            common::assert_problem(status, &resp, 400, "valid_until");
        }
    }
});

api_test!(an_open_listing_past_valid_until_is_expired, false, |app: common::TestApp| async move {
    let (person, me) = create_person(&app, common::POELENBURG).await;
    let owner = json!({"person_id": person["id"]});
    let keeps = create_listing(&app, &me, listing(owner.clone())).await;
    let mut body = listing(owner);
    body["valid_until"] = json!(ts(Utc::now() + Duration::seconds(2)));
    let soon = create_listing(&app, &me, body).await;
    assert_eq!(soon["status"], "open");
    for auth in [&me, &Auth::None] {
        let (_, page) = get_as(&app, auth, "/v1/listings?status=open").await;
        assert_eq!(ids(&page), BTreeSet::from([id(&keeps), id(&soon)]), "{page}");
    }

    tokio::time::sleep(std::time::Duration::from_secs(3)).await;

    let soon_url = format!("/v1/listings/{}", id(&soon));
    let (status, got) = get_as(&app, &me, &soon_url).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["status"], "expired", "{got}");
    let (_, page) = get_as(&app, &me, "/v1/listings?status=open").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&keeps)]), "{page}");
    let (_, page) = get_as(&app, &me, "/v1/listings?status=expired").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&soon)]), "{page}");
    let (_, page) = get_as(&app, &me, "/v1/listings?status=closed&status=matched").await;
    assert!(ids(&page).is_empty(), "{page}");
    let (_, page) = get_as(&app, &me, "/v1/listings").await;
    let listed: BTreeMap<String, Value> = page["items"].as_array().unwrap().iter().map(|i| (id(i), i["status"].clone())).collect();
    assert_eq!(listed[&id(&soon)], "expired", "{page}");
    assert_eq!(listed[&id(&keeps)], "open", "{page}");
    // To the public an expired listing is gone.
    let (status, body) = get(&app, &soon_url).await;
    common::assert_problem(status, &body, 404, "");
    let (_, page) = get(&app, "/v1/listings?status=expired").await;
    assert!(ids(&page).is_empty(), "{page}");
    let (_, page) = get(&app, "/v1/listings").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&keeps)]), "{page}");

    // A valid_until in the past is refused and changes nothing; a new one in the future reopens it.
    let (status, refused) = patch_as(&app, &me, &soon_url, json!({"valid_until": ts(Utc::now() - Duration::days(1))})).await;
    common::assert_problem(status, &refused, 400, "valid_until");
    let (_, unchanged) = get_as(&app, &me, &soon_url).await;
    assert_eq!(unchanged["valid_until"], soon["valid_until"]);
    // Nobody else may reopen it.
    let future = json!({"valid_until": ts(Utc::now() + Duration::days(3))});
    let (status, body) = patch_as(&app, &Auth::None, &soon_url, future.clone()).await;
    common::assert_problem(status, &body, 401, "");
    let (_, stranger) = create_person(&app, common::POELENBURG).await;
    let (status, body) = patch_as(&app, &stranger, &soon_url, future.clone()).await;
    common::assert_problem(status, &body, 403, "");
    let (status, reopened) = patch_as(&app, &me, &soon_url, future).await;
    assert_eq!(status, 200, "{reopened}");
    assert_eq!(reopened["status"], "open");
    for auth in [&me, &Auth::None] {
        let (_, page) = get_as(&app, auth, "/v1/listings?status=open").await;
        assert_eq!(ids(&page).len(), 2, "{page}");
    }
});

api_test!(patch_status_closed_is_found_by_the_closed_filter, false, |app: common::TestApp| async move {
    let (person, me) = create_person(&app, common::POELENBURG).await;
    let l = create_listing(&app, &me, listing(json!({"person_id": person["id"]}))).await;
    let other = create_listing(&app, &me, listing(json!({"person_id": person["id"]}))).await;
    let url = format!("/v1/listings/{}", id(&l));
    let (status, closed) = patch_as(&app, &me, &url, json!({"status": "closed", "title": "Niet meer nodig"})).await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["title"], "Niet meer nodig");
    assert_eq!(closed["kind"], "offer");
    assert_eq!(closed["cell"], l["cell"]);
    assert_eq!(closed["created_at"], l["created_at"]);
    assert_eq!(closed["valid_until"], l["valid_until"]);
    let (_, page) = get_as(&app, &me, "/v1/listings?status=closed").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&l)]), "{page}");
    let (_, page) = get_as(&app, &me, "/v1/listings?status=open").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&other)]), "{page}");
    // A professional of the gemeente sees closed listings too; the public does not.
    let (_, page) = get_as(&app, &common::zaanstad_professional(), "/v1/listings?status=closed").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&l)]), "{page}");
    let (_, page) = get(&app, "/v1/listings?status=closed").await;
    assert!(ids(&page).is_empty(), "{page}");
    let (_, page) = get(&app, "/v1/listings").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&other)]), "{page}");
    let (status, body) = get(&app, &url).await;
    common::assert_problem(status, &body, 404, "");
    // `expired` cannot be set.
    let (status, body) = patch_as(&app, &me, &url, json!({"status": "expired"})).await;
    common::assert_problem(status, &body, 400, "status");
    let (_, got) = get_as(&app, &me, &url).await;
    assert_eq!(got["status"], "closed");
});

api_test!(patch_kind_or_owner_is_refused_and_changes_nothing, false, |app: common::TestApp| async move {
    let (person, me) = create_person(&app, common::POELENBURG).await;
    let (other, them) = create_person(&app, common::DAM).await;
    let (i, organiser) = create_initiative(&app, common::POELENBURG).await;
    let l = create_listing(&app, &me, listing(json!({"person_id": person["id"]}))).await;
    let url = format!("/v1/listings/{}", id(&l));
    let (status, body) = patch_as(&app, &me, &url, json!({"kind": "request", "title": "Anders"})).await;
    common::assert_problem(status, &body, 400, "kind");
    for owner in
        [json!({"person_id": other["id"]}), json!({"person_id": null, "initiative_id": i["id"]}), json!({"initiative_id": i["id"]})]
    {
        let (status, body) = patch_as(&app, &me, &url, json!({"owner": owner, "title": "Anders"})).await;
        common::assert_problem(status, &body, 400, "owner");
    }
    // Nor can anyone else take it over or change it.
    for (auth, want) in [(&them, 403), (&organiser, 403), (&Auth::None, 401)] {
        let (status, body) = patch_as(&app, auth, &url, json!({"title": "Anders"})).await;
        common::assert_problem(status, &body, want, "");
    }
    let (status, body) = patch_as(&app, &them, &url, json!({"owner": {"person_id": other["id"]}, "title": "Anders"})).await;
    common::assert_problem(status, &body, 403, "");
    let (_, got) = get_as(&app, &me, &url).await;
    assert_eq!(got["kind"], "offer", "{got}");
    assert_eq!(got["title"], "Boodschappen doen", "{got}");
    assert_eq!(got["owner"]["person_id"], person["id"], "{got}");
    assert_eq!(got["cell"], person["home_cell"], "{got}");
    assert_eq!(got["updated_at"], l["updated_at"], "{got}");
});

api_test!(kind_filter, false, |app: common::TestApp| async move {
    let (person, me) = create_person(&app, common::POELENBURG).await;
    let offer = create_listing(&app, &me, listing(json!({"person_id": person["id"]}))).await;
    let mut body = listing(json!({"person_id": person["id"]}));
    body["kind"] = json!("request");
    let request = create_listing(&app, &me, body).await;
    assert_eq!(request["kind"], "request");
    // The owner and the public find the same listings by kind and category (the public sees
    // the request as a summary, which keeps its kind and categories).
    for auth in [&me, &Auth::None] {
        for (q, want) in [
            ("kind=offer", vec![&offer]),
            ("kind=request", vec![&request]),
            ("kind=offer&kind=request", vec![&offer, &request]),
            ("kind=request&category=groceries", vec![&request]),
            ("kind=request&category=repair", vec![]),
        ] {
            let (status, page) = get_as(&app, auth, &format!("/v1/listings?{q}")).await;
            assert_eq!(status, 200, "{page}");
            assert_eq!(ids(&page), want.into_iter().map(id).collect::<BTreeSet<_>>(), "{q}: {page}");
        }
    }
    let (_, page) = get(&app, "/v1/listings?kind=request").await;
    let summary = &page["items"][0];
    assert_eq!(summary["visibility"], "summary", "{summary}");
    assert_eq!(summary["kind"], "request", "{summary}");
    assert_eq!(summary["categories"], json!(["groceries"]), "{summary}");
    assert_eq!(summary["gemeente_code"], person["gemeente_code"], "{summary}");
    assert_eq!(summary["cell"], res7_parent(&person["home_cell"]), "{summary}");
    for key in ["title", "description", "owner", "wijk_code", "location"] {
        assert!(absent(summary, key), "a summary has no {key}: {summary}");
    }
    let (_, page) = get(&app, "/v1/listings?kind=offer").await;
    assert_eq!(page["items"][0]["visibility"], "public", "{page}");
    let (status, body) = get(&app, "/v1/listings?kind=gift").await;
    common::assert_problem(status, &body, 400, "kind");
});

api_test!(full_text_finds_words_and_prefixes, false, |app: common::TestApp| async move {
    let (person, me) = create_person(&app, common::POELENBURG).await;
    let owner = json!({"person_id": person["id"]});
    let mut a = listing(owner.clone());
    a["title"] = json!("Boodschappen doen dinsdag");
    a["description"] = json!("Elke week naar de supermarkt");
    let a = create_listing(&app, &me, a).await;
    let mut b = listing(owner.clone());
    b["title"] = json!("Fietsreparatie");
    b["description"] = json!("Lekke band plakken");
    b["categories"] = json!(["repair"]);
    let b = create_listing(&app, &me, b).await;
    // Offers are public, so the public finds them as the owner does.
    for auth in [&me, &Auth::None] {
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
            let (status, page) = get_as(&app, auth, &format!("/v1/listings?q={q}")).await;
            assert_eq!(status, 200, "{q}: {page}");
            assert_eq!(ids(&page), want.into_iter().map(id).collect::<BTreeSet<_>>(), "q={q}: {page}");
        }
    }
    // The index follows updates.
    let (status, _) = patch_as(&app, &me, &format!("/v1/listings/{}", id(&b)), json!({"title": "Tuinonderhoud"})).await;
    assert_eq!(status, 200);
    for auth in [&me, &Auth::None] {
        let (_, page) = get_as(&app, auth, "/v1/listings?q=tuinonder").await;
        assert_eq!(ids(&page), BTreeSet::from([id(&b)]), "{page}");
        let (_, page) = get_as(&app, auth, "/v1/listings?q=fietsrep").await;
        assert!(ids(&page).is_empty(), "{page}");
    }
    // A resident's request is found by its text only by its owner, never by the public.
    let mut r = listing(owner);
    r["kind"] = json!("request");
    r["title"] = json!("Boodschappen gevraagd");
    let r = create_listing(&app, &me, r).await;
    let (_, page) = get_as(&app, &me, "/v1/listings?q=boodschappen").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&a), id(&r)]), "{page}");
    let (_, page) = get(&app, "/v1/listings?q=boodschappen").await;
    assert_eq!(ids(&page), BTreeSet::from([id(&a)]), "{page}");
    let (_, page) = get(&app, "/v1/listings?q=gevraagd").await;
    assert!(ids(&page).is_empty(), "{page}");
});

api_test!(radius_on_the_seeded_town_equals_brute_force, true, |app: common::TestApp| async move {
    // The public measures a summarised request from its resolution-7 cell, a professional from
    // the real cell; either way the radius must agree with brute force over what they see.
    for (who, auth) in readers() {
        // Brute force over everything: a few seeded homes near the border have their cell centre,
        // and so their gemeente, in Amsterdam, but a radius around Poelenburg may still reach them.
        // The professional also sees the demo history's closed and expired listings.
        let everything = all_pages(&app, &auth, "/v1/listings?limit=200").await;
        let open = everything.iter().filter(|l| l["status"] == "open").count();
        assert_eq!(open, 120, "{who}: the demo town has 120 open listings");
        let zaanstad = all_pages(&app, &auth, "/v1/listings?area=GM0479&limit=50").await;
        let want_zaanstad: BTreeSet<String> = everything.iter().filter(|l| l["gemeente_code"] == "GM0479").map(id).collect();
        assert!(want_zaanstad.len() > 100, "{who}: {}", want_zaanstad.len());
        assert_eq!(zaanstad.iter().map(id).collect::<BTreeSet<_>>(), want_zaanstad, "{who}: area=GM0479");
        assert_eq!(zaanstad.len(), want_zaanstad.len());
        let centre = common::POELENBURG;
        let mut sizes = Vec::new();
        for radius in [600.0, 1_500.0, 4_000.0] {
            let url = format!("/v1/listings?lat={}&lng={}&radius_m={radius}&limit=200", centre.0, centre.1);
            let found = all_pages(&app, &auth, &url).await;
            let got: BTreeMap<String, f64> = found.iter().map(|l| (id(l), l["distance_m"].as_f64().unwrap())).collect();
            assert_eq!(got.len(), found.len(), "no duplicates");
            let brute: BTreeMap<String, f64> = everything.iter().map(|l| (id(l), common::haversine_m(centre, place_of(l)))).collect();
            for (lid, d) in &brute {
                if *d < radius - 0.5 {
                    assert!(got.contains_key(lid), "{who}: listing {lid} at {d} m is missing from radius {radius}");
                } else if *d > radius + 0.5 {
                    assert!(!got.contains_key(lid), "{who}: listing {lid} at {d} m is inside radius {radius}");
                }
            }
            for (lid, d) in &got {
                assert!(*d <= radius, "{who}: {d} > {radius}");
                assert!((d - brute[lid]).abs() < 0.5, "{who}: distance of {lid}: {d} vs {}", brute[lid]);
            }
            sizes.push(got.len());
        }
        assert!(sizes[0] > 0 && sizes[0] < sizes[2] && sizes[2] < everything.len(), "{who}: radii should be meaningful: {sizes:?}");
    }
});

api_test!(paging_by_distance_walks_each_listing_once, true, |app: common::TestApp| async move {
    let centre = common::POELENBURG;
    for (who, auth) in readers() {
        for radius in [1_500.0, 4_000.0] {
            let url = format!("/v1/listings?lat={}&lng={}&radius_m={radius}", centre.0, centre.1);
            // In pages of 200: within 4 km a professional sees more than one page of them.
            let want: Vec<String> = all_pages(&app, &auth, &format!("{url}&sort=distance&limit=200")).await.iter().map(id).collect();
            assert!(want.len() > 14, "{who}: enough for several pages: {}", want.len());
            let paged = all_pages(&app, &auth, &format!("{url}&sort=distance&limit=7")).await;
            let dists: Vec<f64> = paged.iter().map(|l| l["distance_m"].as_f64().unwrap()).collect();
            assert!(dists.windows(2).all(|w| w[0] <= w[1]), "{who}: not nearest first: {dists:?}");
            let got: Vec<String> = paged.iter().map(id).collect();
            let mut seen = BTreeSet::new();
            let repeated: Vec<(usize, &String)> = got.iter().enumerate().filter(|(_, i)| !seen.insert(*i)).collect();
            assert!(
                repeated.is_empty(),
                "{who}, radius {radius}: listings repeated at (position, id) {repeated:?} when paging by distance"
            );
            assert_eq!(got, want, "{who}, radius {radius}: pages of 7 by distance repeat or skip listings");
        }
    }
});

api_test!(cell_filter_with_a_resolution_7_cell, true, |app: common::TestApp| async move {
    let cell = LatLng::new(common::POELENBURG.0, common::POELENBURG.1).unwrap().to_cell(Resolution::Seven);
    for (who, auth) in readers() {
        let everything = all_pages(&app, &auth, "/v1/listings?limit=200").await;
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
        assert!(!want.is_empty() && want.len() < everything.len(), "{who}: the cell should hold some listings: {}", want.len());
        let got: Vec<Value> = all_pages(&app, &auth, &format!("/v1/listings?cell={cell}&limit=200")).await;
        assert_eq!(got.iter().map(id).collect::<BTreeSet<_>>(), want, "{who}: cell {cell}");
        assert_eq!(got.len(), want.len());
        // Upper case works too; a paged walk gives the same.
        let paged = all_pages(&app, &auth, &format!("/v1/listings?cell={}&limit=5", cell.to_string().to_uppercase())).await;
        assert_eq!(paged.iter().map(id).collect::<BTreeSet<_>>(), want, "{who}");
    }
    // A resolution-9 cell holds an initiative's listing placed in it, never a coarser person's cell.
    let q = common::POELENBURG;
    let res9 = LatLng::new(q.0, q.1).unwrap().to_cell(Resolution::Nine);
    let (_, organiser) = common::poelenburg_person(&app, "Organiser").await;
    let (status, i) = post_as(
        &app,
        &organiser,
        "/v1/initiatives",
        json!({"name": "Repair café", "description": "Samen repareren", "kind": "resident_initiative",
               "categories": ["repair"], "location": {"lat": q.0, "lng": q.1}}),
    )
    .await;
    assert_eq!(status, 201, "{i}");
    let at_initiative = create_listing(&app, &organiser, listing(json!({"initiative_id": i["id"]}))).await;
    let (person, me) = create_person(&app, q).await;
    let at_person = create_listing(&app, &me, listing(json!({"person_id": person["id"]}))).await;
    assert_eq!(at_person["cell"], LatLng::new(q.0, q.1).unwrap().to_cell(Resolution::Eight).to_string());
    for auth in [&me, &Auth::None] {
        let (_, page) = get_as(&app, auth, &format!("/v1/listings?cell={res9}&limit=200")).await;
        let found = ids(&page);
        assert!(found.contains(&id(&at_initiative)), "{page}");
        assert!(!found.contains(&id(&at_person)), "a res-8 home is not inside a res-9 cell: {page}");
        let (_, page) = get_as(&app, auth, &format!("/v1/listings?cell={cell}&limit=200")).await;
        assert!(ids(&page).is_superset(&BTreeSet::from([id(&at_initiative), id(&at_person)])), "{page}");
    }
    let (_, page) = get_as(&app, &me, &format!("/v1/listings?owner_person_id={}", id(&person))).await;
    assert_eq!(ids(&page), BTreeSet::from([id(&at_person)]), "{page}");

    let (status, body) = get(&app, "/v1/listings?cell=nonsense").await;
    common::assert_problem(status, &body, 400, "cell");
});

api_test!(keyset_pagination_walks_every_seeded_listing_once, true, |app: common::TestApp| async move {
    // The town's open listings: a professional also sees the demo history's closed and
    // expired ones, more than fit on one page.
    for (who, auth) in readers() {
        let (_, one) = get_as(&app, &auth, "/v1/listings?status=open&limit=200").await;
        let all: Vec<String> = one["items"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(all.len(), 120, "{who}");
        assert!(one["next_cursor"].is_null(), "{who}: {}", one["next_cursor"]);
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let url = match &cursor {
                Some(c) => format!("/v1/listings?status=open&limit=7&cursor={c}"),
                None => "/v1/listings?status=open&limit=7".to_owned(),
            };
            let (status, page) = get_as(&app, &auth, &url).await;
            assert_eq!(status, 200, "{page}");
            let items = page["items"].as_array().unwrap();
            pages += 1;
            match page["next_cursor"].as_str() {
                Some(c) => {
                    assert_eq!(items.len(), 7, "{who}: a full page before the end");
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
        assert_eq!(pages, 18, "{who}: 120 listings in pages of 7");
        assert_eq!(seen, all, "{who}: same order, no duplicates, no gaps");
        assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 120);
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, sorted, "{who}: newest (highest v7 id) first");
    }
    let (status, body) = get(&app, "/v1/listings?cursor=garbage").await;
    common::assert_problem(status, &body, 400, "cursor");
});

api_test!(geojson_has_points_for_initiatives_and_hexagons_for_people, true, |app: common::TestApp| async move {
    let mut full_persons = 0;
    // The town's open listings, which fit on one page (see above).
    for (who, auth) in readers() {
        let (_, json_page) = get_as(&app, &auth, "/v1/listings?status=open&limit=200").await;
        let by_id: BTreeMap<String, Value> = json_page["items"].as_array().unwrap().iter().map(|l| (id(l), l.clone())).collect();
        let fc = get_geojson_as(&app, &auth, "/v1/listings?status=open&limit=200").await;
        assert_eq!(fc["type"], "FeatureCollection");
        let features = fc["features"].as_array().unwrap();
        assert_eq!(features.len(), 120, "{who}");
        let (mut points, mut polygons) = (0, 0);
        for f in features {
            let l = &by_id[f["id"].as_str().unwrap()];
            assert!(f["properties"].get("location").is_none(), "{f}");
            assert_eq!(f["properties"]["cell"], l["cell"]);
            assert_eq!(f["properties"]["visibility"], l["visibility"], "{f}");
            if l["owner"]["initiative_id"].is_string() {
                assert_eq!(l["visibility"], "full", "{who}: an initiative's open listing is public in full: {l}");
                assert_eq!(f["geometry"]["type"], "Point", "{f}");
                let c = &f["geometry"]["coordinates"];
                let (lng, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
                assert!((lng - l["location"]["lng"].as_f64().unwrap()).abs() < 1e-6, "{f} vs {l}");
                assert!((lat - l["location"]["lat"].as_f64().unwrap()).abs() < 1e-6, "{f} vs {l}");
                points += 1;
            } else {
                // A person's listing: its owner only in full (a professional of the gemeente),
                // never a point.
                assert!(absent(l, "location"), "{l}");
                if l["visibility"] == "full" {
                    assert_eq!(who, "professional", "{l}");
                    assert_eq!(l["gemeente_code"], "GM0479", "{l}");
                    assert!(l["owner"]["person_id"].is_string(), "{l}");
                    full_persons += 1;
                } else {
                    assert!(l["visibility"] == "public" || l["visibility"] == "summary", "{l}");
                    assert!(absent(l, "owner"), "{who}: {l}");
                }
                assert_eq!(f["geometry"]["type"], "Polygon", "{f}");
                let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
                assert_eq!(ring.len(), 7, "{f}");
                assert_eq!(ring[0], ring[6]);
                polygons += 1;
            }
        }
        assert!(points > 0 && polygons > 0, "{who}: points {points}, polygons {polygons}");
    }
    assert!(full_persons > 0, "the professional sees persons' listings in full");
});

api_test!(deleting_the_initiative_deletes_its_listings, false, |app: common::TestApp| async move {
    let (i, organiser) = create_initiative(&app, common::POELENBURG).await;
    let (keep, keeper) = create_initiative(&app, common::DAM).await;
    let (person, me) = create_person(&app, common::POELENBURG).await;
    let mine = [
        create_listing(&app, &organiser, listing(json!({"initiative_id": i["id"]}))).await,
        create_listing(&app, &organiser, listing(json!({"initiative_id": i["id"]}))).await,
    ];
    let theirs = create_listing(&app, &keeper, listing(json!({"initiative_id": keep["id"]}))).await;
    let persons = create_listing(&app, &me, listing(json!({"person_id": person["id"]}))).await;
    let (_, page) = get(&app, &format!("/v1/listings?owner_initiative_id={}", id(&i))).await;
    assert_eq!(ids(&page), mine.iter().map(id).collect::<BTreeSet<_>>(), "{page}");

    // Only its organisers (or an admin of its gemeente) may delete it.
    let url = format!("/v1/initiatives/{}", id(&i));
    let (status, body) = delete_as(&app, &Auth::None, &url).await;
    common::assert_problem(status, &body, 401, "");
    for auth in [&keeper, &me] {
        let (status, body) = delete_as(&app, auth, &url).await;
        common::assert_problem(status, &body, 403, "");
    }
    let (status, body) = delete_as(&app, &organiser, &url).await;
    assert_eq!(status, 204, "{body}");
    for l in &mine {
        for auth in [&organiser, &Auth::None] {
            let (status, body) = get_as(&app, auth, &format!("/v1/listings/{}", id(l))).await;
            common::assert_problem(status, &body, 404, "");
        }
    }
    let (_, page) = get(&app, &format!("/v1/listings?owner_initiative_id={}", id(&i))).await;
    assert!(ids(&page).is_empty(), "{page}");
    for auth in [&Auth::None, &me, &common::zaanstad_professional()] {
        let (_, page) = get_as(&app, auth, "/v1/listings?category=groceries").await;
        assert_eq!(ids(&page), BTreeSet::from([id(&theirs), id(&persons)]), "{page}");
    }
});

// Writes that arrive together: the test client runs them in one task, so they interleave at
// every database call. On SQLite a transaction that read before it wrote used to fail when
// another write committed in between ("database is locked", answered 500).
api_test!(writes_at_once_all_succeed, false, |app: common::TestApp| async move {
    let (person, me) = create_person(&app, common::POELENBURG).await;
    let bodies: Vec<Value> = (0..8).map(|_| listing(json!({"person_id": person["id"]}))).collect();
    let answers = futures_util::future::join_all(bodies.into_iter().map(|b| common::post_as(&app, &me, "/v1/listings", b))).await;
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    for (_, l) in &answers {
        let (s, got) = get_as(&app, &me, &format!("/v1/listings/{}", id(l))).await;
        assert_eq!(s, 200, "{got}");
    }
});

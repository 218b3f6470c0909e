//! `/v1/search` on the embedded engine, over the seeded town, through the real app: accents,
//! geo, facets, paging, the visibility rules and bad input.
mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Auth, POELENBURG, TestApp};
use serde_json::Value;

/// Every hit of a search, in pages of 7 so that paging is exercised.
async fn all_hits(app: &TestApp, auth: &Auth, url: &str) -> Vec<Value> {
    common::every_page(app, auth, url, "hits", 7).await
}

/// Every item of a list endpoint.
async fn all_items(app: &TestApp, auth: &Auth, url: &str) -> Vec<Value> {
    common::every_page(app, auth, url, "items", 200).await
}

fn ids(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect()
}

api_test!(accents_and_case_never_matter, true, |app: TestApp| async move {
    for q in ["taalcafe", "TAALCAFÉ", "Taalcafé", "taalc"] {
        let (s, v) = common::get_as(&app, &Auth::None, &format!("/v1/search?q={}", urlencode(q))).await;
        assert_eq!(s, 200, "{v}");
        let hits = v["hits"].as_array().unwrap();
        assert!(
            hits.iter().any(|h| h["title"].as_str().is_some_and(|t| t.to_lowercase().contains("taalcafé"))),
            "{q} should find a taalcafé: {v}"
        );
    }
    // Matches are marked in the snippet, and words that match nothing find nothing.
    let (_, v) = common::get_as(&app, &Auth::None, "/v1/search?q=bibliotheek").await;
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["snippet"].as_str().unwrap().to_lowercase().contains("<mark>bibliotheek")), "{v}");
    let (_, v) = common::get_as(&app, &Auth::None, "/v1/search?q=xylofoonorkest").await;
    assert_eq!(v["hits"], serde_json::json!([]));
});

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

api_test!(a_browse_around_a_point_finds_what_the_lists_find_nearest_first, true, |app: TestApp| async move {
    let (lat, lng) = POELENBURG;
    let near = format!("lat={lat}&lng={lng}&radius_m=1500");
    let hits = all_hits(&app, &Auth::None, &format!("/v1/search?{near}")).await;
    assert!(hits.len() > 10, "{}", hits.len());
    let d: Vec<f64> = hits.iter().map(|h| h["distance_m"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "nearest first: {d:?}");
    assert!(d.iter().all(|d| *d <= 1500.0));
    assert_eq!(hits.len(), ids(&hits).len(), "no hit twice across pages");

    // Exactly the open listings and running initiatives the list endpoints give the public.
    let listings = all_items(&app, &Auth::None, &format!("/v1/listings?{near}&status=open")).await;
    let initiatives = all_items(&app, &Auth::None, &format!("/v1/initiatives?{near}&status=active&status=paused")).await;
    let mut want = ids(&listings);
    want.extend(ids(&initiatives));
    assert_eq!(ids(&hits), want);
    // The same distances as the lists.
    let by_id: BTreeMap<String, f64> =
        listings.iter().chain(&initiatives).map(|v| (v["id"].as_str().unwrap().to_owned(), v["distance_m"].as_f64().unwrap())).collect();
    for h in &hits {
        let want = by_id[h["id"].as_str().unwrap()];
        assert!((h["distance_m"].as_f64().unwrap() - want).abs() < 0.01, "{h} vs {want}");
    }

    // A type filter keeps to its type.
    let only = all_hits(&app, &Auth::None, &format!("/v1/search?{near}&type=initiative")).await;
    assert_eq!(ids(&only), ids(&initiatives));
});

api_test!(facets_count_every_match_and_hide_small_groups_of_people, true, |app: TestApp| async move {
    let (lat, lng) = POELENBURG;
    let url = format!("/v1/search?lat={lat}&lng={lng}&radius_m=3000&facets=kind,category&facets=zrm,area");
    let (s, v) = common::get_as(&app, &Auth::None, &format!("{url}&limit=1")).await;
    assert_eq!(s, 200, "{v}");
    let hits = all_hits(&app, &Auth::None, &url).await;
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for h in &hits {
        *kinds.entry(h["kind"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    let facet = &v["facets"]["kind"];
    let counted: BTreeMap<String, Option<u64>> =
        facet.as_array().unwrap().iter().map(|f| (f["value"].as_str().unwrap().to_owned(), f["count"].as_u64())).collect();
    assert_eq!(counted.keys().cloned().collect::<BTreeSet<_>>(), kinds.keys().cloned().collect::<BTreeSet<_>>());
    for (kind, n) in &kinds {
        match counted[kind] {
            Some(c) => assert_eq!(c, *n, "{kind}"),
            // Only counts that include people's items are hidden, and only small ones.
            None => assert!(*n < 5 && (kind == "offer" || kind == "request"), "{kind}: {n}"),
        }
    }
    for name in ["category", "zrm", "area"] {
        let values = v["facets"][name].as_array().unwrap_or_else(|| panic!("{name}: {v}"));
        assert!(!values.is_empty());
        assert!(values.iter().all(|f| f["count"].is_null() || f["count"].as_u64().unwrap() >= 1));
        assert!(values.iter().all(|f| f["label_nl"].is_string()), "{name}: labels");
    }
    // Counts do not depend on the page.
    let (_, v2) = common::get_as(&app, &Auth::None, &format!("{url}&limit=50")).await;
    assert_eq!(v2["facets"], v["facets"]);
    // Not asked, not counted.
    let (_, plain) = common::get_as(&app, &Auth::None, &format!("/v1/search?lat={lat}&lng={lng}&radius_m=3000")).await;
    assert!(plain["facets"]["kind"].is_null());
});

api_test!(residents_requests_are_summaries_to_the_public_and_found_by_text_only_by_professionals, true, |app: TestApp| async move {
    let title = "Iemand om af en toe koffie mee te drinken";
    let pro = common::zaanstad_professional();
    // The public: never by its words, and in a browse only as a coarse summary.
    let (_, v) = common::get_as(&app, &Auth::None, "/v1/search?q=koffie%20drinken&type=request").await;
    assert!(v["hits"].as_array().unwrap().iter().all(|h| h["title"] != title), "{v}");
    let requests = all_hits(&app, &Auth::None, "/v1/search?type=request").await;
    assert!(!requests.is_empty());
    for h in &requests {
        assert!(h["title"].is_null() && h["snippet"].is_null(), "{h}");
        let cell = u64::from_str_radix(h["cell"].as_str().unwrap(), 16).unwrap();
        assert_eq!(h3o::CellIndex::try_from(cell).unwrap().resolution(), h3o::Resolution::Seven, "{h}");
    }
    // A professional of the gemeente finds it by its words, in full, and the read is audited.
    let (_, v) = common::get_as(&app, &pro, "/v1/search?q=koffie%20drinken&type=request").await;
    let hit = v["hits"].as_array().unwrap().iter().find(|h| h["title"] == title).unwrap_or_else(|| panic!("{v}")).clone();
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>"), "{hit}");
    let owner = common::token("demo:p03", "resident", &[]);
    let (_, audit) = common::get_as(&app, &owner, "/v1/me/audit?limit=200").await;
    assert!(
        audit["items"].as_array().unwrap().iter().any(|e| e["endpoint"] == "GET /v1/search" && e["resource_id"] == hit["id"]),
        "{audit}"
    );
    // A professional elsewhere sees only what the public sees.
    let other = common::token("pro-elsewhere", "professional", &["GM0363"]);
    let (_, v) = common::get_as(&app, &other, "/v1/search?q=koffie%20drinken&type=request").await;
    assert!(v["hits"].as_array().unwrap().iter().all(|h| h["title"] != title));
});

api_test!(volunteer_profiles_are_found_only_by_professionals_of_their_gemeente, true, |app: TestApp| async move {
    let (_, v) = common::get_as(&app, &Auth::None, "/v1/search?type=volunteer").await;
    assert_eq!(v["hits"], serde_json::json!([]), "anonymous");
    let (_, v) = common::get_as(&app, &common::new_resident_token(), "/v1/search?type=volunteer").await;
    assert_eq!(v["hits"], serde_json::json!([]), "another resident");
    let pro = common::zaanstad_professional();
    let all = all_hits(&app, &pro, "/v1/search?type=volunteer").await;
    let listed = all_items(&app, &pro, "/v1/volunteers?status=active").await;
    assert_eq!(ids(&all), ids(&listed));
    // Words find volunteers by the names of their skills.
    let (_, v) = common::get_as(&app, &pro, "/v1/search?type=volunteer&q=boodschap&limit=200").await;
    let found = v["hits"].as_array().unwrap();
    assert!(!found.is_empty() && found.len() < all.len(), "{} of {}", found.len(), all.len());
    assert!(found.iter().all(|h| h["title"].as_str().unwrap().to_lowercase().contains("boodschap")), "{v}");
});

api_test!(bad_search_input_names_the_field, true, |app: TestApp| async move {
    let long = "a".repeat(501);
    for (url, field) in [
        ("/v1/search?facets=category,bogus".to_owned(), "facets"),
        ("/v1/search?sort=distance".to_owned(), "sort"),
        ("/v1/search?radius_m=500".to_owned(), "lat"),
        ("/v1/search?lat=52.4&lng=4.8".to_owned(), "radius_m"),
        ("/v1/search?lat=91&lng=4.8&radius_m=10".to_owned(), "lat"),
        ("/v1/search?lat=52.4&lng=4.8&radius_m=60000".to_owned(), "radius_m"),
        ("/v1/search?cursor=bm9wZQ".to_owned(), "cursor"),
        (format!("/v1/search?q={long}"), "q"),
        ("/v1/search?type=person".to_owned(), "type"),
        ("/v1/search?category=knitting".to_owned(), "category"),
        ("/v1/search?area=XX12".to_owned(), "area"),
        ("/v1/search?limit=0".to_owned(), "limit"),
        ("/v1/search?limit=201".to_owned(), "limit"),
    ] {
        let (s, v) = common::get_as(&app, &Auth::None, &url).await;
        common::assert_problem(s, &v, 400, field);
    }
    // A cursor of a distance-ordered search does not continue a newest-first one.
    let (lat, lng) = POELENBURG;
    let (_, v) = common::get_as(&app, &Auth::None, &format!("/v1/search?lat={lat}&lng={lng}&radius_m=3000&limit=1")).await;
    let c = v["next_cursor"].as_str().unwrap();
    let (s, v) = common::get_as(&app, &Auth::None, &format!("/v1/search?cursor={c}")).await;
    common::assert_problem(s, &v, 400, "cursor");
});

api_test!(words_within_a_small_circle_match_as_the_full_text_index_does, true, |app: TestApp| async move {
    // Up to 5 km, SQLite checks words against the candidates' own text; beyond, FTS5 matches.
    // The two must agree: a 3 km search is the 8 km search cut at 3 km.
    let (lat, lng) = POELENBURG;
    for (auth, q) in [(Auth::None, "koffie"), (Auth::None, "taalcafe"), (common::zaanstad_professional(), "hulp"), (Auth::None, "hulp bij")]
    {
        let q = urlencode(q);
        let small = all_hits(&app, &auth, &format!("/v1/search?q={q}&lat={lat}&lng={lng}&radius_m=3000")).await;
        let large = all_hits(&app, &auth, &format!("/v1/search?q={q}&lat={lat}&lng={lng}&radius_m=8000")).await;
        let cut: Vec<&Value> = large.iter().filter(|h| h["distance_m"].as_f64().unwrap() <= 3000.0).collect();
        assert!(!cut.is_empty(), "{q}: nothing to compare");
        assert_eq!(ids(&small), cut.iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect(), "{q}");
    }
});

/// Four places that mention a taalcafé: two in their name or title, two only in their text.
/// Returns (title matches, text-only matches) by id.
async fn four_taalcafes(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let (lat, lng) = POELENBURG;
    let initiative = |name: &str, description: &str, north: f64| {
        serde_json::json!({"name": name, "description": description, "kind": "resident_initiative",
                           "categories": ["language"], "location": {"lat": lat + north, "lng": lng}})
    };
    let (far_title, _) = common::new_initiative(app, initiative("Taalcafé De Bron", "Nederlands oefenen met buren.", 0.018)).await;
    let (near_text, _) = common::new_initiative(app, initiative("Buurthuis Het Anker", "Elke dinsdag een taalcafé.", 0.002)).await;
    let (pid, me) = common::poelenburg_person(app, "Sanne").await;
    let listing = |title: &str, description: &str| {
        let body = serde_json::json!({"kind": "offer", "title": title, "description": description, "categories": ["language"],
                                      "owner": {"person_id": pid}});
        let me = me.clone();
        async move {
            let (s, l) = common::post_as(app, &me, "/v1/listings", body).await;
            assert_eq!(s, 201, "{l}");
            l["id"].as_str().unwrap().to_owned()
        }
    };
    let own_title = listing("Taalcafe aan huis", "Ik oefen graag Nederlands met je.").await;
    let own_text = listing("Koffie en een praatje", "Ook een soort taalcafé, bij mij thuis.").await;
    (vec![far_title, own_title], vec![near_text, own_text])
}

fn hit_ids(hits: &[Value]) -> Vec<String> {
    hits.iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
}

api_test!(relevance_puts_the_words_in_a_title_first, false, |app: TestApp| async move {
    let (titled, text_only) = four_taalcafes(&app).await;
    let (lat, lng) = POELENBURG;
    let near = format!("lat={lat}&lng={lng}&radius_m=5000");
    let (s, v) = common::get_as(&app, &Auth::None, &format!("/v1/search?q=taalcafe&{near}")).await;
    assert_eq!(s, 200, "{v}");
    let hits = v["hits"].as_array().unwrap().clone();
    let got = hit_ids(&hits);
    assert_eq!(got.len(), 4, "{v}");
    assert_eq!(BTreeSet::from_iter(got[..2].iter().cloned()), BTreeSet::from_iter(titled.iter().cloned()), "titles first: {v}");
    assert_eq!(BTreeSet::from_iter(got[2..].iter().cloned()), BTreeSet::from_iter(text_only.iter().cloned()), "{v}");
    // Each group nearest first, though the nearest of all is a text match.
    let d: Vec<f64> = hits.iter().map(|h| h["distance_m"].as_f64().unwrap()).collect();
    assert!(d[0] <= d[1] && d[2] <= d[3], "{d:?}");
    assert!(d[2] < d[1], "a text match nearer than a title match still comes after it: {d:?}");
    // Page by page, the same order, each hit once.
    let paged = common::every_page(&app, &Auth::None, &format!("/v1/search?q=taalcafe&{near}"), "hits", 1).await;
    assert_eq!(hit_ids(&paged), got);

    // A wider circle, where SQLite matches the words through its full-text index instead.
    let wide = format!("lat={lat}&lng={lng}&radius_m=20000");
    let paged = common::every_page(&app, &Auth::None, &format!("/v1/search?q=taalcafe&{wide}"), "hits", 1).await;
    assert_eq!(hit_ids(&paged), got);

    // By distance, titles do not count.
    let (_, v) = common::get_as(&app, &Auth::None, &format!("/v1/search?q=taalcafe&{near}&sort=distance")).await;
    let d: Vec<f64> = v["hits"].as_array().unwrap().iter().map(|h| h["distance_m"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert_ne!(hit_ids(v["hits"].as_array().unwrap()), got);

    // Without a point: titles first, each group newest first, also page by page.
    let (_, v) = common::get_as(&app, &Auth::None, "/v1/search?q=taalcafe").await;
    let got = hit_ids(v["hits"].as_array().unwrap());
    let newest_first = |mut ids: Vec<String>| {
        ids.sort_by(|a, b| b.cmp(a));
        ids
    };
    let mut want = newest_first(titled.clone());
    want.extend(newest_first(text_only.clone()));
    assert_eq!(got, want, "{v}");
    let paged = common::every_page(&app, &Auth::None, "/v1/search?q=taalcafe", "hits", 1).await;
    assert_eq!(hit_ids(&paged), want);
    let paged = common::every_page(&app, &Auth::None, "/v1/search?q=taalcafe&type=offer", "hits", 1).await;
    assert_eq!(hit_ids(&paged), vec![titled[1].clone(), text_only[1].clone()]);

    // A cursor of a list ranked by title does not continue one that is not.
    let (_, first) = common::get_as(&app, &Auth::None, &format!("/v1/search?q=taalcafe&{near}&limit=1")).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (s, v) = common::get_as(&app, &Auth::None, &format!("/v1/search?q=taalcafe&{near}&sort=distance&cursor={cursor}")).await;
    common::assert_problem(s, &v, 400, "cursor");
});

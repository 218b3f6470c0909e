//! `/v1/taxonomy` and `/v1/areas` through the real app: vocabularies, CBS gemeenten and wijken,
//! pagination, GeoJSON boundaries and locating a point (checked against an independent
//! point-in-polygon over the served boundaries).
mod common;

use std::collections::{BTreeSet, HashSet};

use geo::{Contains, Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

type App = common::TestApp;

async fn get(app: &App, url: &str) -> (u16, Value) {
    common::json(app.client.get(url).send().await).await
}

/// All areas of a list, following `next_cursor`.
async fn walk(app: &App, query: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..200 {
        let mut url = format!("/v1/areas?limit={limit}&{query}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = get(app, &url).await;
        assert_eq!(status, 200, "{url}: {page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        out.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
    panic!("area pagination never ended");
}

fn ring(v: &Value) -> LineString<f64> {
    LineString::new(v.as_array().unwrap().iter().map(|p| Coord { x: p[0].as_f64().unwrap(), y: p[1].as_f64().unwrap() }).collect())
}

fn polygon(v: &Value) -> Polygon<f64> {
    let rings = v.as_array().unwrap();
    Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
}

/// A GeoJSON Polygon or MultiPolygon as a geo shape.
fn shape(geometry: &Value) -> MultiPolygon<f64> {
    match geometry["type"].as_str() {
        Some("Polygon") => MultiPolygon::new(vec![polygon(&geometry["coordinates"])]),
        Some("MultiPolygon") => MultiPolygon::new(geometry["coordinates"].as_array().unwrap().iter().map(polygon).collect()),
        other => panic!("not an area geometry: {other:?}"),
    }
}

fn holds(geometry: &Value, at: (f64, f64)) -> bool {
    shape(geometry).contains(&geo::Point::new(at.1, at.0))
}

/// Every (lng, lat) vertex of a geometry.
fn vertices(geometry: &Value) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for p in shape(geometry).0 {
        for c in p.exterior().coords().chain(p.interiors().iter().flat_map(|r| r.coords())) {
            out.push((c.x, c.y));
        }
    }
    out
}

fn bbox(v: &Value) -> [f64; 4] {
    let b: Vec<f64> = v["bbox"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(b.len(), 4, "{v}");
    [b[0], b[1], b[2], b[3]]
}

async fn area(app: &App, code: &str) -> Value {
    let (status, a) = get(app, &format!("/v1/areas/{code}")).await;
    assert_eq!(status, 200, "{code}: {a}");
    a
}

api_test!(taxonomy_lists_the_vocabularies, false, |app: App| async move {
    let (status, t) = get(&app, "/v1/taxonomy").await;
    assert_eq!(status, 200, "{t}");
    let zrm = t["zrm_domains"].as_array().unwrap();
    assert_eq!(zrm.len(), 13, "the Zelfredzaamheid-Matrix has 13 domains");
    for group in ["zrm_domains", "categories", "initiative_kinds"] {
        let terms = t[group].as_array().unwrap();
        let codes: HashSet<&str> = terms.iter().map(|d| d["code"].as_str().unwrap()).collect();
        assert_eq!(codes.len(), terms.len(), "{group} codes are unique");
        for term in terms {
            let code = term["code"].as_str().unwrap();
            assert!(!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "snake_case code {code}");
            assert!(!term["label"]["nl"].as_str().unwrap().is_empty(), "{term}");
            assert!(!term["label"]["en"].as_str().unwrap().is_empty(), "{term}");
        }
    }
    let zrm_codes: HashSet<&str> = zrm.iter().map(|d| d["code"].as_str().unwrap()).collect();
    for code in ["financien", "huisvesting", "sociaal_netwerk", "justitie", "basale_adl"] {
        assert!(zrm_codes.contains(code), "{code}");
    }
    let financien = zrm.iter().find(|d| d["code"] == "financien").unwrap();
    assert_eq!(financien["label"]["en"], "Finances");
    assert_eq!(financien["label"]["nl"], "Financiën");
    let kinds: Vec<&str> = t["initiative_kinds"].as_array().unwrap().iter().map(|k| k["code"].as_str().unwrap()).collect();
    let want: BTreeSet<&str> =
        ["informal_group", "resident_initiative", "volunteer_organisation", "general_provision", "professional_service"].into();
    assert_eq!(kinds.iter().copied().collect::<BTreeSet<_>>(), want);
    // Every code the taxonomy lists is accepted where the API takes that vocabulary.
    for d in zrm {
        let (status, v) = get(&app, &format!("/v1/initiatives?zrm={}", d["code"].as_str().unwrap())).await;
        assert_eq!(status, 200, "{v}");
    }
    for c in t["categories"].as_array().unwrap() {
        let (status, v) = get(&app, &format!("/v1/initiatives?category={}", c["code"].as_str().unwrap())).await;
        assert_eq!(status, 200, "{v}");
    }
    for k in kinds {
        let (status, v) = get(&app, &format!("/v1/initiatives?kind={k}")).await;
        assert_eq!(status, 200, "{v}");
    }
});

api_test!(lists_the_wijken_of_zaanstad, false, |app: App| async move {
    let (status, page) = get(&app, "/v1/areas?level=wijk&gemeente=GM0479&limit=200").await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 19, "Zaanstad has 19 wijken");
    assert!(page["next_cursor"].is_null());
    let names: Vec<&str> = items.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Poelenburg"), "{names:?}");
    assert!(names.contains(&"Kogerveldwijk"), "{names:?}");
    let codes: Vec<&str> = items.iter().map(|a| a["code"].as_str().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted, "in code order, no duplicates");
    let gm = area(&app, "GM0479").await;
    let gb = bbox(&gm);
    for a in items {
        assert_eq!(a["level"], "wijk");
        assert_eq!(a["gemeente_code"], "GM0479");
        assert!(a["code"].as_str().unwrap().starts_with("WK0479"), "{a}");
        assert!(a.get("geometry").is_none(), "the JSON list leaves boundaries out");
        let b = bbox(a);
        assert!(b[0] < b[2] && b[1] < b[3], "{a}");
        let slack = 0.01;
        assert!(
            b[0] >= gb[0] - slack && b[1] >= gb[1] - slack && b[2] <= gb[2] + slack && b[3] <= gb[3] + slack,
            "wijk {a} lies inside the gemeente box {gb:?}"
        );
    }
    // The Amsterdam wijken are another set.
    let ams = walk(&app, "level=wijk&gemeente=GM0363", 200).await;
    assert!(!ams.is_empty());
    assert!(ams.iter().all(|a| a["gemeente_code"] == "GM0363"));
    assert!(ams.iter().any(|a| a["code"] == "WK0363AD"));
});

api_test!(lists_gemeenten_and_filters_by_name, false, |app: App| async move {
    let gemeenten = walk(&app, "level=gemeente", 200).await;
    let got: BTreeSet<(String, String)> =
        gemeenten.iter().map(|a| (a["code"].as_str().unwrap().to_owned(), a["name"].as_str().unwrap().to_owned())).collect();
    let want: BTreeSet<(String, String)> = [("GM0344", "Utrecht"), ("GM0363", "Amsterdam"), ("GM0479", "Zaanstad")]
        .iter()
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect();
    assert_eq!(got, want, "the test app loads these three");
    assert!(gemeenten.iter().all(|a| a["level"] == "gemeente"));

    let poelen: Vec<String> = walk(&app, "q=POELEN", 200).await.iter().map(|a| a["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(poelen, ["Poelenburg"], "name contains, case-insensitive");
    let zaandam = walk(&app, "q=zaandam&gemeente=GM0479", 200).await;
    assert!(zaandam.len() >= 3, "{zaandam:?}");
    assert!(zaandam.iter().all(|a| a["name"].as_str().unwrap().to_lowercase().contains("zaandam")));
    assert!(walk(&app, "q=xyzzy", 200).await.is_empty());
    // No filters: every level, gemeente and wijk mixed, in code order.
    let all = walk(&app, "", 200).await;
    assert!(all.len() > 19 + 3);
    let codes: Vec<&str> = all.iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "code order");
});

api_test!(area_pagination_by_cursor, false, |app: App| async move {
    let whole = walk(&app, "level=wijk&gemeente=GM0479", 200).await;
    for limit in [1, 4, 18, 19] {
        let paged = walk(&app, "level=wijk&gemeente=GM0479", limit).await;
        assert_eq!(paged, whole, "limit {limit}: same areas, same order");
    }
    let (_, first) = get(&app, "/v1/areas?level=wijk&gemeente=GM0479&limit=4").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    assert!(first["next_cursor"].is_string());
    let everything = walk(&app, "", 200).await;
    let paged: Vec<Value> = walk(&app, "", 37).await;
    assert_eq!(paged, everything);
});

api_test!(geojson_area_list_carries_boundaries, false, |app: App| async move {
    let fc = common::get_geojson(&app, "/v1/areas?level=wijk&gemeente=GM0479&limit=200").await;
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 19);
    let json_list = walk(&app, "level=wijk&gemeente=GM0479", 200).await;
    for (f, a) in features.iter().zip(&json_list) {
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["id"], a["code"]);
        assert_eq!(f["properties"]["code"], a["code"]);
        assert_eq!(f["properties"]["name"], a["name"]);
        assert_eq!(f["properties"]["gemeente_code"], "GM0479");
        let kind = f["geometry"]["type"].as_str().unwrap();
        assert!(kind == "Polygon" || kind == "MultiPolygon", "{kind}");
        // The outline fits the summary's box, in [lng, lat] order.
        let b = bbox(a);
        for (lng, lat) in vertices(&f["geometry"]) {
            assert!(lng >= b[0] - 1e-6 && lng <= b[2] + 1e-6 && lat >= b[1] - 1e-6 && lat <= b[3] + 1e-6, "{lng},{lat} outside {b:?}");
        }
    }
    let fc2 = common::get_geojson(&app, "/v1/areas?level=wijk&gemeente=GM0479&limit=5").await;
    assert_eq!(fc2["features"].as_array().unwrap().len(), 5);
    assert!(fc2["next_cursor"].is_string());
});

api_test!(get_area_with_its_boundary, false, |app: App| async move {
    let gm = area(&app, "GM0479").await;
    assert_eq!(gm["code"], "GM0479");
    assert_eq!(gm["name"], "Zaanstad");
    assert_eq!(gm["level"], "gemeente");
    let kind = gm["geometry"]["type"].as_str().unwrap();
    assert!(kind == "Polygon" || kind == "MultiPolygon", "{kind}");
    assert!(holds(&gm["geometry"], common::POELENBURG), "Zaandam lies in Zaanstad");
    assert!(!holds(&gm["geometry"], common::DAM), "the Dam does not");
    let b = bbox(&gm);
    let v = vertices(&gm["geometry"]);
    let min_lng = v.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let max_lat = v.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    assert!((min_lng - b[0]).abs() < 1e-4 && (max_lat - b[3]).abs() < 1e-4, "bbox {b:?} matches the outline");
    assert_eq!(area(&app, "gm0479").await["code"], "GM0479", "codes are case-insensitive");
    let wk = area(&app, "WK0363AD").await;
    assert_eq!(wk["level"], "wijk");
    assert_eq!(wk["gemeente_code"], "GM0363");
    assert!(holds(&wk["geometry"], common::DAM));
});

api_test!(get_area_unknown_and_malformed, false, |app: App| async move {
    for code in ["GM9999", "WK999999", "GM0480"] {
        let (status, v) = get(&app, &format!("/v1/areas/{code}")).await;
        common::assert_problem(status, &v, 404, "");
        assert_eq!(v["code"], "not_found", "{v}");
    }
    for code in ["GM12", "Zaanstad", "WK0479", "GM04790", "0479"] {
        let (status, v) = get(&app, &format!("/v1/areas/{code}")).await;
        common::assert_problem(status, &v, 400, "code");
    }
});

/// A point well inside a wijk: a grid point of its box whose neighbours 200 m away are inside too.
fn interior_point(geometry: &Value, b: [f64; 4]) -> (f64, f64) {
    let d = 0.002;
    for i in 1..40 {
        for j in 1..40 {
            let lng = b[0] + (b[2] - b[0]) * f64::from(i) / 40.0;
            let lat = b[1] + (b[3] - b[1]) * f64::from(j) / 40.0;
            let around = [(lat, lng), (lat + d, lng), (lat - d, lng), (lat, lng + d), (lat, lng - d)];
            if around.iter().all(|p| holds(geometry, *p)) {
                return (lat, lng);
            }
        }
    }
    panic!("no interior point");
}

api_test!(locate_finds_the_wijk_and_gemeente, false, |app: App| async move {
    let (status, l) = get(&app, &format!("/v1/areas/locate?lat={}&lng={}", common::DAM.0, common::DAM.1)).await;
    assert_eq!(status, 200, "{l}");
    assert_eq!(l["wijk"]["code"], "WK0363AD");
    assert_eq!(l["gemeente"]["code"], "GM0363");
    assert_eq!(l["gemeente"]["name"], "Amsterdam");
    assert!(!l["wijk"]["name"].as_str().unwrap().is_empty());

    // A point well inside Poelenburg, found from its served outline.
    let wijken = walk(&app, "level=wijk&gemeente=GM0479", 200).await;
    let poelenburg = wijken.iter().find(|a| a["name"] == "Poelenburg").unwrap();
    let code = poelenburg["code"].as_str().unwrap();
    let detail = area(&app, code).await;
    let at = interior_point(&detail["geometry"], bbox(&detail));
    let (status, l) = get(&app, &format!("/v1/areas/locate?lat={}&lng={}", at.0, at.1)).await;
    assert_eq!(status, 200, "{l}");
    assert_eq!(l["wijk"]["code"], code, "{at:?}: {l}");
    assert_eq!(l["wijk"]["name"], "Poelenburg");
    assert_eq!((l["gemeente"]["code"].as_str(), l["gemeente"]["name"].as_str()), (Some("GM0479"), Some("Zaanstad")));

    // Every wijk's interior point locates to that wijk.
    for w in &wijken {
        let c = w["code"].as_str().unwrap();
        let d = area(&app, c).await;
        let at = interior_point(&d["geometry"], bbox(&d));
        let (_, l) = get(&app, &format!("/v1/areas/locate?lat={}&lng={}", at.0, at.1)).await;
        assert_eq!(l["wijk"]["code"], c, "{at:?}");
    }

    // The harness point: whatever wijk the service names, its outline holds the point.
    let (_, l) = get(&app, &format!("/v1/areas/locate?lat={}&lng={}", common::POELENBURG.0, common::POELENBURG.1)).await;
    let named = area(&app, l["wijk"]["code"].as_str().unwrap()).await;
    assert!(holds(&named["geometry"], common::POELENBURG), "{l}");
    assert_eq!(l["gemeente"]["code"], "GM0479");
});

api_test!(locate_outside_and_bad_coordinates, false, |app: App| async move {
    let (status, v) = get(&app, &format!("/v1/areas/locate?lat={}&lng={}", common::NORTH_SEA.0, common::NORTH_SEA.1)).await;
    common::assert_problem(status, &v, 404, "");
    assert_eq!(v["code"], "outside_service_area");
    // Utrecht is loaded, Rotterdam is not.
    let (status, v) = get(&app, "/v1/areas/locate?lat=51.9225&lng=4.4792").await;
    common::assert_problem(status, &v, 404, "");
    let (status, l) = get(&app, "/v1/areas/locate?lat=52.0907&lng=5.1214").await;
    assert_eq!((status, l["gemeente"]["code"].as_str()), (200, Some("GM0344")), "{l}");
    for (query, field) in [
        ("lat=91&lng=4.9", "lat"),
        ("lat=-90.5&lng=4.9", "lat"),
        ("lat=52&lng=181", "lng"),
        ("lat=52", "lng"),
        ("lng=4.9", "lat"),
        ("lat=abc&lng=4.9", "lat"),
        ("lat=NaN&lng=4.9", "lat"),
    ] {
        let (status, v) = get(&app, &format!("/v1/areas/locate?{query}")).await;
        common::assert_problem(status, &v, 400, field);
    }
});

api_test!(area_list_rejects_bad_parameters, false, |app: App| async move {
    for (query, field) in [
        ("gemeente=WK047912", "gemeente"),
        ("gemeente=GM12", "gemeente"),
        ("level=buurt", "level"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=garbage", "cursor"),
    ] {
        let (status, v) = get(&app, &format!("/v1/areas?{query}")).await;
        common::assert_problem(status, &v, 400, field);
    }
});

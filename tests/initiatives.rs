//! `/v1/initiatives` through the real app: create, read, merge-patch, delete, every list filter,
//! radius search against a brute-force haversine, keyset pagination and GeoJSON.
mod common;

use std::collections::{BTreeSet, HashSet};

use common::Auth;
use serde_json::{Value, json};

type App = common::TestApp;

fn body(name: &str, at: (f64, f64)) -> Value {
    json!({
        "name": name,
        "description": "Koffie, thee en een praatje met de buren.",
        "kind": "resident_initiative",
        "categories": ["meeting_place"],
        "location": {"lat": at.0, "lng": at.1},
    })
}

/// A signed-in resident with a person profile: who may create initiatives (and then organises them).
async fn organiser(app: &App) -> Auth {
    common::poelenburg_person(app, "Organiser").await.1
}

/// Creates an initiative as `auth`, who becomes its organiser.
async fn create(app: &App, auth: &Auth, b: &Value) -> Value {
    let (status, v) = common::post_as(app, auth, "/v1/initiatives", b.clone()).await;
    assert_eq!(status, 201, "create {b}: {v}");
    v
}

/// Reads are public: anonymous.
async fn get(app: &App, url: &str) -> (u16, Value) {
    common::json(app.client.get(url).send().await).await
}

async fn patch(app: &App, auth: &Auth, id: &str, p: &Value) -> (u16, Value) {
    common::patch_as(app, auth, &format!("/v1/initiatives/{id}"), p.clone()).await
}

/// Every item of a list, following `next_cursor`, with a page size of `limit`.
async fn walk(app: &App, query: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..500 {
        let mut url = format!("/v1/initiatives?limit={limit}");
        if !query.is_empty() {
            url.push('&');
            url.push_str(query);
        }
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = get(app, &url).await;
        assert_eq!(status, 200, "{url}: {page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize, "page larger than limit");
        out.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert!(!items.is_empty(), "a cursor after an empty page");
                assert_ne!(
                    cursor.as_deref(),
                    Some(c),
                    "{query}, limit {limit}: the next page repeats the last one ({} items so far)",
                    out.len()
                );
                cursor = Some(c.to_owned());
            }
            None => return out,
        }
    }
    panic!("pagination never ended for {query}");
}

async fn list_names(app: &App, query: &str) -> BTreeSet<String> {
    walk(app, query, 200).await.iter().map(|i| i["name"].as_str().unwrap().to_owned()).collect()
}

fn names(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn loc(v: &Value) -> (f64, f64) {
    (v["location"]["lat"].as_f64().unwrap(), v["location"]["lng"].as_f64().unwrap())
}

fn res9_cell(at: (f64, f64)) -> String {
    let c = h3o::LatLng::new(at.0, at.1).unwrap().to_cell(h3o::Resolution::Nine);
    format!("{:x}", u64::from(c))
}

api_test!(create_places_the_initiative_and_get_returns_it, false, |app: App| async move {
    let mut b = body("Buurtkamer Poelenburg", common::POELENBURG);
    b["accessibility"] = json!("Rolstoeltoegankelijk, ringleiding");
    b["zrm_domains"] = json!(["sociaal_netwerk"]);
    // Anonymous callers may not create initiatives, and nothing is stored when they try.
    let (status, v) = common::post(&app, "/v1/initiatives", b.clone()).await;
    common::assert_problem(status, &v, 401, "");
    assert!(walk(&app, "", 200).await.is_empty(), "an anonymous create stored something");
    let org = organiser(&app).await;
    let created = create(&app, &org, &b).await;
    assert_eq!(created["gemeente_code"], "GM0479", "{created}");
    let wijk = created["wijk_code"].as_str().unwrap();
    assert!(wijk.starts_with("WK0479"), "a wijk of Zaanstad: {wijk}");
    // The wijk's own outline box holds the point, and no other Zaanstad wijk was chosen at random.
    let (status, area) = get(&app, &format!("/v1/areas/{wijk}")).await;
    assert_eq!(status, 200, "{area}");
    let bbox: Vec<f64> = area["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let (lat, lng) = common::POELENBURG;
    assert!(bbox[0] <= lng && lng <= bbox[2] && bbox[1] <= lat && lat <= bbox[3], "{bbox:?}");
    let cell = created["cell"].as_str().unwrap();
    assert_eq!(cell, res9_cell(common::POELENBURG), "cell is the res-9 cell of the location");
    assert!(cell.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)), "lower-case hex: {cell}");
    let parsed: h3o::CellIndex = cell.parse().unwrap();
    assert_eq!(parsed.resolution(), h3o::Resolution::Nine);
    assert_eq!(loc(&created), common::POELENBURG, "the exact place is stored as given");
    assert_eq!(created["name"], "Buurtkamer Poelenburg");
    assert_eq!(created["status"], "active", "status defaults to active");
    assert_eq!(created["cost"]["kind"], "free", "cost defaults to free");
    assert!(created.get("distance_m").is_none(), "no distance without a query point: {created}");

    let (status, got) = get(&app, &format!("/v1/initiatives/{}", id(&created))).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got, created, "GET returns what create returned, to anyone");

    // The service places it in the same wijk that /v1/areas/locate names.
    let (_, located) = get(&app, &format!("/v1/areas/locate?lat={}&lng={}", common::POELENBURG.0, common::POELENBURG.1)).await;
    assert_eq!(located["wijk"]["code"], created["wijk_code"]);

    let dam = create(&app, &org, &body("Buurthuis Centrum", common::DAM)).await;
    assert_eq!((dam["gemeente_code"].as_str(), dam["wijk_code"].as_str()), (Some("GM0363"), Some("WK0363AD")), "{dam}");
    assert_eq!(dam["cell"].as_str().unwrap(), res9_cell(common::DAM));
    assert_ne!(dam["id"], created["id"]);
});

api_test!(create_outside_every_wijk_is_refused, false, |app: App| async move {
    let org = organiser(&app).await;
    let (status, v) = common::post_as(&app, &org, "/v1/initiatives", body("Boot", common::NORTH_SEA)).await;
    common::assert_problem(status, &v, 422, "location");
    assert_eq!(v["code"], "outside_service_area");
    assert!(walk(&app, "", 200).await.is_empty(), "nothing was stored");
});

api_test!(get_unknown_and_malformed_ids, false, |app: App| async move {
    let (status, v) = get(&app, &format!("/v1/initiatives/{}", uuid::Uuid::now_v7())).await;
    common::assert_problem(status, &v, 404, "");
    assert_eq!(v["code"], "not_found");
    let (status, v) = get(&app, "/v1/initiatives/not-a-uuid").await;
    common::assert_problem(status, &v, 400, "id");
});

api_test!(patch_merges_only_the_fields_sent, false, |app: App| async move {
    let mut b = body("Buurtkamer De Kroon", common::POELENBURG);
    b["accessibility"] = json!("Drempelvrij");
    b["address"] = json!({"street": "Wezelstraat", "house_number": "1", "postcode": "1503xa", "city": "Zaandam"});
    b["contact"] = json!({"email": "kroon@example.nl"});
    b["capacity"] = json!(20);
    let org = organiser(&app).await;
    let created = create(&app, &org, &b).await;
    let url = format!("/v1/initiatives/{}", id(&created));

    // Only its organisers (or an admin of its gemeente) may patch it; others change nothing.
    let (status, v) = patch(&app, &Auth::None, &id(&created), &json!({"description": "Anoniem."})).await;
    common::assert_problem(status, &v, 401, "");
    let (_, stranger) = common::poelenburg_person(&app, "Buurman").await;
    let (status, v) = patch(&app, &stranger, &id(&created), &json!({"description": "Van een buurman."})).await;
    common::assert_problem(status, &v, 403, "");
    let (_, got) = get(&app, &url).await;
    assert_eq!(got, created, "a refused patch changed the initiative");

    // Only the description changes.
    let (status, p1) = patch(&app, &org, &id(&created), &json!({"description": "Nu ook op zaterdag."})).await;
    assert_eq!(status, 200, "{p1}");
    assert_eq!(p1["description"], "Nu ook op zaterdag.");
    for f in
        ["name", "kind", "categories", "location", "address", "contact", "accessibility", "capacity", "wijk_code", "cell", "created_at"]
    {
        assert_eq!(p1[f], created[f], "{f} must not change");
    }
    assert_eq!(p1["address"]["postcode"], "1503 XA", "postcode normalised");
    assert!(p1["updated_at"].as_str().unwrap() >= created["updated_at"].as_str().unwrap());
    let (_, got) = get(&app, &url).await;
    assert_eq!(got, p1, "the patch was stored");

    // A nested object merges too: only the city goes.
    let (status, p2) = patch(&app, &org, &id(&created), &json!({"address": {"city": null}, "accessibility": null})).await;
    assert_eq!(status, 200, "{p2}");
    assert!(p2["accessibility"].is_null(), "null clears: {p2}");
    assert!(p2["address"]["city"].is_null(), "{p2}");
    assert_eq!(p2["address"]["street"], "Wezelstraat", "the rest of the address stays");
    assert_eq!(p2["description"], "Nu ook op zaterdag.");
    assert_eq!(p2["capacity"], 20);
    let (_, got) = get(&app, &url).await;
    assert!(got["accessibility"].is_null());

    // Moving it recomputes gemeente, wijk and cell.
    let (status, p3) = patch(&app, &org, &id(&created), &json!({"location": {"lat": common::DAM.0, "lng": common::DAM.1}})).await;
    assert_eq!(status, 200, "{p3}");
    assert_eq!(p3["wijk_code"], "WK0363AD");
    assert_eq!(p3["gemeente_code"], "GM0363");
    assert_eq!(p3["cell"].as_str().unwrap(), res9_cell(common::DAM));
    assert_eq!(p3["name"], created["name"]);
    let (_, moved) = get(&app, &url).await;
    assert_eq!(moved, p3);
    assert_eq!(list_names(&app, "area=GM0363").await, names(&["Buurtkamer De Kroon"]), "the list filter follows the move");
    assert!(list_names(&app, "area=GM0479").await.is_empty());

    // Invalid patches change nothing.
    let bad = [
        (json!({"name": "", "description": "gewijzigd"}), 400, "name"),
        (json!({"description": "gewijzigd", "location": {"lat": 95.0, "lng": 4.0}}), 400, "location.lat"),
        (json!({"description": "gewijzigd", "categories": ["flying"]}), 400, "categories"),
        (json!({"description": "gewijzigd", "categories": []}), 400, "categories"),
        (json!({"description": "gewijzigd", "capacity": 0}), 400, "capacity"),
        (json!({"description": "gewijzigd", "colour": "red"}), 400, "colour"),
        (json!({"description": "gewijzigd", "location": {"lat": common::NORTH_SEA.0, "lng": common::NORTH_SEA.1}}), 422, "location"),
    ];
    for (p, want, field) in bad {
        let (status, v) = patch(&app, &org, &id(&created), &p).await;
        common::assert_problem(status, &v, want, field);
        let (_, after) = get(&app, &url).await;
        assert_eq!(after, moved, "invalid patch {p} changed the initiative");
    }
    let (status, v) = patch(&app, &org, &uuid::Uuid::now_v7().to_string(), &json!({"name": "x"})).await;
    common::assert_problem(status, &v, 404, "");
});

api_test!(delete_removes_the_initiative, false, |app: App| async move {
    let org = organiser(&app).await;
    let keep = create(&app, &org, &body("Blijft", common::POELENBURG)).await;
    let gone = create(&app, &org, &body("Verdwijnt", common::POELENBURG)).await;
    let url = format!("/v1/initiatives/{}", id(&gone));
    // Neither an anonymous caller nor another resident may delete it.
    let (status, v) = common::delete(&app, &url).await;
    common::assert_problem(status, &v, 401, "");
    let (_, stranger) = common::poelenburg_person(&app, "Buurman").await;
    let (status, v) = common::delete_as(&app, &stranger, &url).await;
    common::assert_problem(status, &v, 403, "");
    let amsterdam_admin = common::token("admin-amsterdam", "admin", &["GM0363"]);
    let (status, v) = common::delete_as(&app, &amsterdam_admin, &url).await;
    common::assert_problem(status, &v, 403, "");
    assert_eq!(get(&app, &url).await.0, 200, "a refused delete removed it");
    let (status, v) = common::delete_as(&app, &org, &url).await;
    assert_eq!(status, 204, "{v}");
    let (status, v) = get(&app, &url).await;
    common::assert_problem(status, &v, 404, "");
    let (status, v) = common::delete_as(&app, &org, &url).await;
    common::assert_problem(status, &v, 404, "");
    assert_eq!(list_names(&app, "").await, names(&["Blijft"]));
    let (status, _) = get(&app, &format!("/v1/initiatives/{}", id(&keep))).await;
    assert_eq!(status, 200);
});

/// Three initiatives that differ in every filtered property, all organised by `org`.
async fn three(app: &App, org: &Auth) -> (Value, Value, Value) {
    let mut a = body("Buurtkamer De Kroon", common::POELENBURG);
    a["categories"] = json!(["meeting_place", "companionship"]);
    a["zrm_domains"] = json!(["sociaal_netwerk"]);
    let a = create(app, org, &a).await;
    let mut b = body("Taalcafé Centrum", common::DAM);
    b["kind"] = json!("volunteer_organisation");
    b["categories"] = json!(["language"]);
    b["zrm_domains"] = json!(["maatschappelijke_participatie", "werk_opleiding"]);
    b["status"] = json!("paused");
    b["description"] = json!("Oefenen met Nederlands praten.");
    let b = create(app, org, &b).await;
    let mut c = body("Repair Café Noord", (common::DAM.0 + 0.0003, common::DAM.1));
    c["kind"] = json!("informal_group");
    c["categories"] = json!(["repair"]);
    c["status"] = json!("ended");
    c["description"] = json!("Kapotte broodroosters en soldeerbouten.");
    let c = create(app, org, &c).await;
    assert_eq!(c["gemeente_code"], "GM0363", "{c}");
    (a, b, c)
}

const A: &str = "Buurtkamer De Kroon";
const B: &str = "Taalcafé Centrum";
const C: &str = "Repair Café Noord";

api_test!(list_filters_by_kind_status_category_zrm_and_area, false, |app: App| async move {
    let (a, _, _) = three(&app, &organiser(&app).await).await;
    assert_eq!(list_names(&app, "").await, names(&[A, B, C]));
    assert_eq!(list_names(&app, "kind=resident_initiative").await, names(&[A]));
    assert_eq!(list_names(&app, "kind=resident_initiative&kind=informal_group").await, names(&[A, C]));
    assert!(list_names(&app, "kind=professional_service").await.is_empty());
    assert_eq!(list_names(&app, "status=paused").await, names(&[B]));
    assert_eq!(list_names(&app, "status=active&status=ended").await, names(&[A, C]));
    assert_eq!(list_names(&app, "category=companionship").await, names(&[A]), "any of an item's categories matches");
    assert_eq!(list_names(&app, "category=language").await, names(&[B]));
    assert_eq!(list_names(&app, "category=language&category=repair").await, names(&[B, C]), "repeated category is OR");
    assert!(list_names(&app, "category=garden").await.is_empty());
    assert_eq!(list_names(&app, "zrm=sociaal_netwerk").await, names(&[A]));
    assert_eq!(list_names(&app, "zrm=werk_opleiding&zrm=sociaal_netwerk").await, names(&[A, B]));
    assert_eq!(list_names(&app, "area=GM0479").await, names(&[A]));
    assert_eq!(list_names(&app, "area=GM0363").await, names(&[B, C]));
    assert_eq!(list_names(&app, "area=gm0363").await, names(&[B, C]), "codes are case-insensitive");
    assert_eq!(list_names(&app, "area=WK0363AD").await, names(&[B, C]));
    assert_eq!(list_names(&app, &format!("area={}", a["wijk_code"].as_str().unwrap())).await, names(&[A]));
    assert!(list_names(&app, "area=GM0344").await.is_empty());
    // Filters of different kinds combine with AND.
    assert_eq!(list_names(&app, "area=GM0363&category=language&category=meeting_place").await, names(&[B]));
    assert!(list_names(&app, "area=GM0479&kind=volunteer_organisation").await.is_empty());
    assert_eq!(list_names(&app, "category=repair&status=ended&kind=informal_group").await, names(&[C]));
    assert!(list_names(&app, "category=repair&status=active").await.is_empty());
});

fn cell_at(at: (f64, f64), res: u8) -> h3o::CellIndex {
    h3o::LatLng::new(at.0, at.1).unwrap().to_cell(h3o::Resolution::try_from(res).unwrap())
}

api_test!(list_filters_by_cell, false, |app: App| async move {
    let (a, b, _) = three(&app, &organiser(&app).await).await;
    let a_cell: h3o::CellIndex = a["cell"].as_str().unwrap().parse().unwrap();
    let b_cell: h3o::CellIndex = b["cell"].as_str().unwrap().parse().unwrap();
    let cell7 = a_cell.parent(h3o::Resolution::Seven).unwrap();
    // For this point the res-7 cell holding it is also its storage cell's parent.
    assert_eq!(cell7, cell_at(common::POELENBURG, 7));
    assert_eq!(list_names(&app, &format!("cell={cell7}")).await, names(&[A]));
    assert_eq!(list_names(&app, &format!("cell={}", cell7.to_string().to_uppercase())).await, names(&[A]));
    let neighbour = cell7.grid_disk::<Vec<_>>(1).into_iter().find(|c| *c != cell7).unwrap();
    assert!(list_names(&app, &format!("cell={neighbour}")).await.is_empty(), "a cell beside the item holds nothing");
    assert_eq!(list_names(&app, &format!("cell={}", b_cell.parent(h3o::Resolution::Seven).unwrap())).await, names(&[B, C]));
    // The storage cell itself, and a coarse ancestor holding both towns.
    assert_eq!(list_names(&app, &format!("cell={a_cell}")).await, names(&[A]));
    let coarse = a_cell.parent(h3o::Resolution::Three).unwrap();
    assert_eq!(coarse, b_cell.parent(h3o::Resolution::Three).unwrap(), "Zaandam and the Dam share a res-3 cell");
    assert_eq!(list_names(&app, &format!("cell={coarse}")).await, names(&[A, B, C]));
});

// H3 cells do not nest exactly: the res-11 cell holding POELENBURG has a different res-9 parent
// than the res-9 cell holding it. An item placed exactly there is still inside that res-11 cell.
api_test!(list_filters_by_a_cell_finer_than_storage, false, |app: App| async move {
    three(&app, &organiser(&app).await).await;
    for res in [10, 11, 13, 15] {
        let fine = cell_at(common::POELENBURG, res);
        assert_eq!(list_names(&app, &format!("cell={fine}")).await, names(&[A]), "the res-{res} cell holding the exact point");
        let fine_nb = fine.grid_disk::<Vec<_>>(1).into_iter().find(|c| *c != fine).unwrap();
        assert!(list_names(&app, &format!("cell={fine_nb}")).await.is_empty(), "a neighbouring res-{res} cell");
    }
    let dam = cell_at(common::DAM, 12);
    assert_eq!(list_names(&app, &format!("cell={dam}")).await, names(&[B]));
});

api_test!(list_full_text, false, |app: App| async move {
    let org = organiser(&app).await;
    three(&app, &org).await;
    assert_eq!(list_names(&app, "q=Buurtkamer").await, names(&[A]));
    assert_eq!(list_names(&app, "q=buurtk").await, names(&[A]), "prefix matching");
    assert_eq!(list_names(&app, "q=BUURTK").await, names(&[A]), "case-insensitive");
    assert_eq!(list_names(&app, "q=kroon").await, names(&[A]));
    assert_eq!(list_names(&app, "q=broodrooster").await, names(&[C]), "description is searched");
    assert_eq!(list_names(&app, "q=repair%20noord").await, names(&[C]), "all words must match");
    assert!(list_names(&app, "q=repair%20kroon").await.is_empty(), "words combine with AND");
    assert!(list_names(&app, "q=xylofoon").await.is_empty());
    assert!(list_names(&app, "q=%22%2A%28%29").await.is_empty(), "punctuation only matches nothing");
    assert_eq!(list_names(&app, "q=Taalcaf%C3%A9").await, names(&[B]));
    assert_eq!(list_names(&app, "q=taal&area=GM0479").await, names(&[]), "text combines with AND");
    if app.engine == "sqlite" {
        assert_eq!(list_names(&app, "q=taalcafe").await, names(&[B]), "accents ignored on SQLite");
        assert_eq!(list_names(&app, "q=cafe").await, names(&[C]), "a whole word: \"Taalcafé\" is one word");
    }
    // The index follows updates and deletes.
    let all = walk(&app, "", 200).await;
    let a = all.iter().find(|i| i["name"] == A).unwrap();
    let (status, _) = patch(&app, &org, &id(a), &json!({"name": "Huiskamer Oost"})).await;
    assert_eq!(status, 200);
    assert!(list_names(&app, "q=buurtkamer").await.is_empty(), "old name no longer found");
    assert_eq!(list_names(&app, "q=huiskamer").await, names(&["Huiskamer Oost"]));
    let c = all.iter().find(|i| i["name"] == C).unwrap();
    let (status, v) = common::delete_as(&app, &org, &format!("/v1/initiatives/{}", id(c))).await;
    assert_eq!(status, 204, "{v}");
    assert!(list_names(&app, "q=broodrooster").await.is_empty());
});

api_test!(radius_search_matches_brute_force_haversine, true, |app: App| async move {
    let all = walk(&app, "", 200).await;
    assert_eq!(all.len(), 46, "the demo town has 46 initiatives");
    let centres = [common::POELENBURG, (52.4380, 4.8260), (52.4700, 4.8200)];
    for centre in centres {
        for radius in [300.0, 1000.0, 2500.0, 6000.0, 50000.0] {
            let q = format!("lat={}&lng={}&radius_m={radius}", centre.0, centre.1);
            let got = walk(&app, &q, 200).await;
            for item in &got {
                let d = item["distance_m"].as_f64().unwrap_or_else(|| panic!("no distance_m: {item}"));
                assert!(d <= radius, "{d} > {radius}");
                let brute = common::haversine_m(centre, loc(item));
                assert!((d - brute).abs() < 1.0, "distance_m {d} vs haversine {brute}");
            }
            let got_ids: HashSet<String> = got.iter().map(id).collect();
            assert_eq!(got_ids.len(), got.len(), "no duplicates");
            // Brute force over every item; ignore the few within a decimetre of the edge.
            for item in &all {
                let d = common::haversine_m(centre, loc(item));
                if (d - radius).abs() < 0.5 {
                    continue;
                }
                assert_eq!(got_ids.contains(&id(item)), d <= radius, "{} at {d:.1} m, radius {radius}", item["name"]);
            }
            if radius == 50000.0 {
                assert_eq!(got.len(), 46, "the whole town lies within 50 km");
            }
        }
    }
    let small = walk(&app, &format!("lat={}&lng={}&radius_m=1000", common::POELENBURG.0, common::POELENBURG.1), 200).await;
    assert!(!small.is_empty() && small.len() < 46, "a 1 km radius is a real filter here: {}", small.len());
    // Radius combines with other filters.
    let meeting = walk(&app, "category=meeting_place", 200).await;
    let q = format!("lat={}&lng={}&radius_m=2500&category=meeting_place", common::POELENBURG.0, common::POELENBURG.1);
    let got: HashSet<String> = walk(&app, &q, 200).await.iter().map(id).collect();
    let want: HashSet<String> = meeting.iter().filter(|i| common::haversine_m(common::POELENBURG, loc(i)) <= 2500.0).map(id).collect();
    assert_eq!(got, want);
});

api_test!(sort_by_distance_is_nearest_first, true, |app: App| async move {
    let q = format!("lat={}&lng={}&radius_m=5000&sort=distance", common::POELENBURG.0, common::POELENBURG.1);
    let got = walk(&app, &q, 200).await;
    assert!(got.len() > 5, "{}", got.len());
    let d: Vec<f64> = got.iter().map(|i| i["distance_m"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "distances not non-decreasing: {d:?}");
    let brute: Vec<f64> = got.iter().map(|i| common::haversine_m(common::POELENBURG, loc(i))).collect();
    assert!(brute.windows(2).all(|w| w[0] <= w[1] + 0.2), "order disagrees with haversine: {brute:?}");
});

api_test!(keyset_pagination_newest_walks_every_item_once, true, |app: App| async move {
    let all = walk(&app, "", 200).await;
    assert_eq!(all.len(), 46);
    let all_ids: Vec<String> = all.iter().map(id).collect();
    let created: Vec<&str> = all.iter().map(|i| i["created_at"].as_str().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
    for limit in [1, 7, 45, 46] {
        let paged: Vec<String> = walk(&app, "", limit).await.iter().map(id).collect();
        assert_eq!(paged, all_ids, "newest, limit {limit}: same items, same order, no gaps or duplicates");
    }
    // The default page is 50, so 46 fit on one page without a cursor.
    let (_, page) = get(&app, "/v1/initiatives").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 46);
    assert!(page["next_cursor"].is_null());
    let (_, page) = get(&app, "/v1/initiatives?limit=10").await;
    assert!(page["next_cursor"].is_string());

    // Newest order within a radius pages the same way.
    let near_newest = format!("lat={}&lng={}&radius_m=3000", common::POELENBURG.0, common::POELENBURG.1);
    let one: Vec<String> = walk(&app, &near_newest, 200).await.iter().map(id).collect();
    let paged: Vec<String> = walk(&app, &near_newest, 4).await.iter().map(id).collect();
    assert_eq!(paged, one);
    let set: HashSet<&String> = one.iter().collect();
    assert_eq!(set.len(), one.len());
    // Filters and pagination together.
    let meeting_all: Vec<String> = walk(&app, "category=meeting_place", 200).await.iter().map(id).collect();
    let meeting_paged: Vec<String> = walk(&app, "category=meeting_place", 3).await.iter().map(id).collect();
    assert_eq!(meeting_paged, meeting_all);
});

// Each page's cursor must continue after the last item shown, however its distance is encoded.
api_test!(keyset_pagination_by_distance_walks_every_item_once, true, |app: App| async move {
    let near = format!("lat={}&lng={}&radius_m=50000&sort=distance", common::POELENBURG.0, common::POELENBURG.1);
    let by_distance = walk(&app, &near, 200).await;
    assert_eq!(by_distance.len(), 46);
    let want: Vec<String> = by_distance.iter().map(id).collect();
    for limit in [1, 5, 13] {
        let paged = walk(&app, &near, limit).await;
        let ids: Vec<String> = paged.iter().map(id).collect();
        assert_eq!(ids, want, "distance, limit {limit}");
        let d: Vec<f64> = paged.iter().map(|i| i["distance_m"].as_f64().unwrap()).collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    }
});

api_test!(geojson_list_is_a_feature_collection_of_points, false, |app: App| async move {
    three(&app, &organiser(&app).await).await;
    let json_items = walk(&app, "", 200).await;
    let fc = common::get_geojson(&app, "/v1/initiatives?limit=2").await;
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 2);
    let cursor = fc["next_cursor"].as_str().expect("a cursor for the third item").to_owned();
    let fc2 = common::get_geojson(&app, &format!("/v1/initiatives?limit=2&cursor={cursor}")).await;
    let mut all_features = features.clone();
    all_features.extend(fc2["features"].as_array().unwrap().iter().cloned());
    assert_eq!(all_features.len(), 3, "{fc2}");
    for f in &all_features {
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["geometry"]["type"], "Point");
        let item = json_items.iter().find(|i| i["id"] == f["id"]).expect("feature id is the item id");
        let (lat, lng) = loc(item);
        let coords = f["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(coords.len(), 2);
        assert!((coords[0].as_f64().unwrap() - lng).abs() < 1e-6, "first coordinate is lng: {f}");
        assert!((coords[1].as_f64().unwrap() - lat).abs() < 1e-6, "second coordinate is lat: {f}");
        assert_eq!(f["properties"]["name"], item["name"]);
        assert_eq!(f["properties"]["wijk_code"], item["wijk_code"]);
    }
    // Without the header: plain JSON.
    let (_, page) = get(&app, "/v1/initiatives").await;
    assert!(page["items"].is_array() && page.get("type").is_none());
});

api_test!(patch_null_on_a_required_field_names_that_field, false, |app: App| async move {
    let org = organiser(&app).await;
    let created = create(&app, &org, &body("Buurtkamer", common::POELENBURG)).await;
    let (status, v) = patch(&app, &org, &id(&created), &json!({"name": null})).await;
    common::assert_problem(status, &v, 400, "name");
    let (_, after) = get(&app, &format!("/v1/initiatives/{}", id(&created))).await;
    assert_eq!(after, created);
});

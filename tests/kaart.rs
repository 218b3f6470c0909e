//! The kaart through the real app: on random small towns every count equals a naive recount
//! from the facts the test wrote (and k = 5 holds back exactly what the rule says); who sees
//! what; bad input; GeoJSON; the demo town; and `helped_at` after a random sequence of writes.
mod common;

use std::collections::{BTreeSet, HashMap};

use buurtkracht::auth::{Credential, Principal, Role};
use buurtkracht::domain::items::{ListingFields, Owner};
use buurtkracht::domain::{ActivityCategory, BoundedText, ListingKind, ListingStatus, ZrmDomain, clock};
use buurtkracht::stats::Shown;
use buurtkracht::stats::kaart::{Counts, ShownCounts, shown};
use chrono::{DateTime, Duration, Utc};
use common::{Auth, POELENBURG, TestApp};
use h3o::{CellIndex, LatLng, Resolution};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use uuid::Uuid;

const GEMEENTE: &str = "GM0479";
const CATEGORIES: [&str; 4] = ["groceries", "paperwork", "companionship", "transport"];
const ZRM: [&str; 3] = ["financien", "sociaal_netwerk", "huisvesting"];
const CANDIDATE_M: f64 = 1_500.0;
/// Travel distances are kept this far from every distance that decides a count, so that two
/// correct ways of measuring (the service's and this test's) never fall on either side.
const EDGE_M: f64 = 60.0;

fn centre(c: CellIndex) -> (f64, f64) {
    let ll = LatLng::from(c);
    (ll.lat(), ll.lng())
}

fn storage_at(p: (f64, f64)) -> CellIndex {
    LatLng::new(p.0, p.1).unwrap().to_cell(Resolution::Nine)
}

/// A point within `r` metres of Poelenburg.
fn somewhere(rng: &mut SmallRng, r: f64) -> (f64, f64) {
    let d = rng.random_range(0.0..r);
    let a: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    (POELENBURG.0 + d * a.cos() / 111_195.0, POELENBURG.1 + d * a.sin() / (111_195.0 * POELENBURG.0.to_radians().cos()))
}

fn pick<'a>(rng: &mut SmallRng, from: &[&'a str], max: usize) -> Vec<&'a str> {
    let n = rng.random_range(0..=max);
    let mut out: Vec<&str> = (0..n).map(|_| from[rng.random_range(0..from.len())]).collect();
    out.sort();
    out.dedup();
    out
}

fn set(codes: &[&str]) -> BTreeSet<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

/// Wijk codes with their outlines' rings (lng, lat).
type Outlines = Vec<(String, Vec<Vec<(f64, f64)>>)>;

/// A place as the test knows it.
#[derive(Debug, Clone)]
struct Place {
    cell: CellIndex,
    gemeente: String,
    wijk: String,
}

#[derive(Debug, Clone)]
struct Req {
    id: String,
    owner: usize,
    at: Place,
    categories: BTreeSet<String>,
    zrm: BTreeSet<String>,
    posted: DateTime<Utc>,
    helped: bool,
    open: bool,
}

#[derive(Debug, Clone)]
struct Offer {
    id: String,
    owner: usize,
    at: Place,
    categories: BTreeSet<String>,
    zrm: BTreeSet<String>,
    posted: DateTime<Utc>,
    open: bool,
}

#[derive(Debug, Clone)]
struct Vol {
    id: String,
    owner: usize,
    home: CellIndex,
    travel: f64,
    skills: BTreeSet<String>,
    zrm: BTreeSet<String>,
    active: bool,
}

#[derive(Debug, Clone)]
struct Ini {
    id: String,
    point: (f64, f64),
    at: Place,
    categories: BTreeSet<String>,
    zrm: BTreeSet<String>,
    has_places: bool,
}

#[derive(Default)]
struct Town {
    requests: Vec<Req>,
    offers: Vec<Offer>,
    volunteers: Vec<Vol>,
    initiatives: Vec<Ini>,
}

struct Person {
    id: String,
    auth: Auth,
    subject: String,
    at: Place,
}

fn place_of(v: &Value) -> Place {
    let cell: CellIndex = v["home_cell"].as_str().or(v["cell"].as_str()).unwrap().parse().unwrap();
    Place { cell, gemeente: v["gemeente_code"].as_str().unwrap().into(), wijk: v["wijk_code"].as_str().unwrap().into() }
}

async fn person(app: &TestApp, rng: &mut SmallRng, n: usize) -> Person {
    let subject = format!("kaart-{}", Uuid::new_v4());
    let auth = common::token(&subject, "resident", &[]);
    let cell = storage_at(somewhere(rng, 1_800.0));
    let (s, p) =
        common::post_as(app, &auth, "/v1/people", json!({"display_name": format!("Buur {n}"), "home_cell": cell.to_string()})).await;
    assert_eq!(s, 201, "{p}");
    let at = place_of(&p);
    assert_eq!(at.cell, cell, "a resolution-9 home is its own storage cell");
    Person { id: p["id"].as_str().unwrap().into(), auth, subject, at }
}

fn resident(p: &Person) -> Principal {
    Principal {
        role: Role::Resident,
        credential: Credential::Token { subject: p.subject.clone() },
        person_id: Some(p.id.parse().unwrap()),
        gemeenten: Vec::new(),
        initiatives: Vec::new(),
    }
}

/// Posts a listing through the use case, `days_ago` days back.
async fn post_listing(
    app: &TestApp,
    p: &Person,
    kind: ListingKind,
    categories: &[&str],
    zrm: &[&str],
    days_ago: i64,
) -> (String, DateTime<Utc>) {
    let posted = clock::now() - Duration::days(days_ago);
    let fields = ListingFields {
        kind,
        title: BoundedText::title("Een vraag of aanbod", 200).unwrap(),
        description: BoundedText::parse("In de buurt.", 5000).unwrap(),
        categories: categories.iter().map(|c| ActivityCategory::from_code(c).unwrap()).collect(),
        zrm_domains: zrm.iter().map(|z| ZrmDomain::from_code(z).unwrap()).collect(),
        owner: Owner::Person(p.id.parse().unwrap()),
        availability: Vec::new(),
        languages: Vec::new(),
        valid_until: posted + Duration::days(days_ago + 60),
        status: ListingStatus::Open,
    };
    let m = clock::at(posted, buurtkracht::service::listings::create(&app.app.state, &resident(p), fields)).await.unwrap();
    (m.id.to_string(), clock::at(posted, async { clock::now() }).await)
}

/// Distances from a home cell centre that decide counts: to the centres of the cells of both
/// resolutions around it, to every wijk outline, and to every request's storage cell (within
/// the candidate radius).
fn deciding_distances(home: CellIndex, wijken: &Outlines, requests: &[Req]) -> Vec<f64> {
    let h = centre(home);
    let mut out = Vec::new();
    for (res, k) in [(Resolution::Seven, 5), (Resolution::Eight, 12)] {
        for c in home.parent(res).unwrap().grid_disk::<Vec<_>>(k) {
            out.push(common::haversine_m(h, centre(c)));
        }
    }
    for (_, rings) in wijken {
        out.push(distance_to_outline(h, rings));
    }
    for r in requests {
        let d = common::haversine_m(h, centre(r.at.cell));
        if d <= CANDIDATE_M + EDGE_M {
            out.push(d);
            out.push(CANDIDATE_M);
        }
    }
    out
}

/// Whether `p` lies inside the rings (even-odd), in lng/lat.
fn inside(p: (f64, f64), rings: &[Vec<(f64, f64)>]) -> bool {
    let (y, x) = p;
    let mut crossings = 0;
    for ring in rings {
        for w in ring.windows(2) {
            let ((x1, y1), (x2, y2)) = (w[0], w[1]);
            if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
                crossings += 1;
            }
        }
    }
    crossings % 2 == 1
}

/// The distance from `p` to an outline, 0 inside: the nearest of points every few metres
/// along its edges, by haversine.
fn distance_to_outline(p: (f64, f64), rings: &[Vec<(f64, f64)>]) -> f64 {
    if inside(p, rings) {
        return 0.0;
    }
    let mut best = f64::INFINITY;
    for ring in rings {
        for w in ring.windows(2) {
            let (a, b) = ((w[0].1, w[0].0), (w[1].1, w[1].0));
            let len = common::haversine_m(a, b);
            let steps = (len / 5.0).ceil().max(1.0) as usize;
            for i in 0..=steps {
                let t = i as f64 / steps as f64;
                best = best.min(common::haversine_m(p, (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))));
            }
        }
    }
    best
}

/// The rings of a GeoJSON Polygon or MultiPolygon, as (lng, lat).
fn rings_of(geometry: &Value) -> Vec<Vec<(f64, f64)>> {
    let ring = |r: &Value| r.as_array().unwrap().iter().map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap())).collect::<Vec<_>>();
    match geometry["type"].as_str().unwrap() {
        "Polygon" => geometry["coordinates"].as_array().unwrap().iter().map(ring).collect(),
        _ => geometry["coordinates"].as_array().unwrap().iter().flat_map(|poly| poly.as_array().unwrap().iter().map(ring)).collect(),
    }
}

async fn wijken(app: &TestApp) -> Outlines {
    let geo = common::get_geojson(app, &format!("/v1/areas?gemeente={GEMEENTE}&level=wijk&limit=200")).await;
    geo["features"].as_array().unwrap().iter().map(|f| (f["id"].as_str().unwrap().to_owned(), rings_of(&f["geometry"]))).collect()
}

/// A random small town in and around Poelenburg, written through the API and the use cases.
async fn random_town(app: &TestApp, seed: u64) -> (Town, Outlines) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let outlines = Box::pin(wijken(app)).await;
    let mut town = Town::default();
    let mut people = Vec::new();
    for n in 0..14 {
        people.push(Box::pin(person(app, &mut rng, n)).await);
    }
    // Requests and offers, some posted weeks ago.
    for _ in 0..28 {
        let who = rng.random_range(0..people.len());
        let p = &people[who];
        let offer = rng.random_bool(0.35);
        let categories = pick(&mut rng, &CATEGORIES, 2);
        let zrm = pick(&mut rng, &ZRM, 1);
        let categories = if categories.is_empty() && zrm.is_empty() { vec![CATEGORIES[0]] } else { categories };
        let days_ago = [0, 2, 9, 20, 40][rng.random_range(0..5)];
        let kind = if offer { ListingKind::Offer } else { ListingKind::Request };
        let (id, posted) = Box::pin(post_listing(app, p, kind, &categories, &zrm, days_ago)).await;
        let (cats, zrms) = (set(&categories), set(&zrm));
        if offer {
            town.offers.push(Offer { id, owner: who, at: p.at.clone(), categories: cats, zrm: zrms, posted, open: true });
        } else {
            town.requests.push(Req { id, owner: who, at: p.at.clone(), categories: cats, zrm: zrms, posted, helped: false, open: true });
        }
    }
    // One request and one offer closed: no longer counted.
    let closing: Vec<(String, usize)> = town
        .requests
        .iter()
        .map(|r| (r.id.clone(), r.owner))
        .take(1)
        .chain(town.offers.iter().map(|o| (o.id.clone(), o.owner)).take(1))
        .collect();
    for (id, owner) in closing {
        let (s, v) = common::patch_as(app, &people[owner].auth, &format!("/v1/listings/{id}"), json!({"status": "closed"})).await;
        assert_eq!(s, 200, "{v}");
        town.requests.iter_mut().filter(|r| r.id == id).for_each(|r| r.open = false);
        town.offers.iter_mut().filter(|o| o.id == id).for_each(|o| o.open = false);
    }
    // Volunteers, with travel distances away from every knife edge.
    let mut volunteer_auth = Vec::new();
    for (owner, p) in people.iter().enumerate().take(9) {
        let skills = pick(&mut rng, &CATEGORIES, 2);
        let skills = if skills.is_empty() { vec![CATEGORIES[2]] } else { skills };
        let zrm = pick(&mut rng, &ZRM, 1);
        let deciding = deciding_distances(p.at.cell, &outlines, &town.requests);
        let mut travel = rng.random_range(3..=40) as f64 * 100.0;
        while deciding.iter().any(|d| (d - travel).abs() < EDGE_M) {
            travel += 37.0;
        }
        let active = rng.random_bool(0.85);
        let (s, v) = common::post_as(
            app,
            &p.auth,
            "/v1/volunteers",
            json!({"person_id": p.id, "skills": skills, "zrm_domains": zrm, "max_travel_m": travel as i64,
                   "status": if active { "active" } else { "paused" }}),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        volunteer_auth.push(p.auth.clone());
        town.volunteers.push(Vol {
            id: v["id"].as_str().unwrap().into(),
            owner,
            home: p.at.cell,
            travel,
            skills: set(&skills),
            zrm: set(&zrm),
            active,
        });
    }
    // Initiatives, some with one place.
    let mut organisers = Vec::new();
    for n in 0..5 {
        let point = somewhere(&mut rng, 1_800.0);
        let categories = pick(&mut rng, &CATEGORIES, 2);
        let categories = if categories.is_empty() { vec![CATEGORIES[1]] } else { categories };
        let zrm = pick(&mut rng, &ZRM, 1);
        let capacity = rng.random_bool(0.5).then_some(1);
        let mut body = json!({"name": format!("Initiatief {n}"), "description": "Samen in de buurt.", "kind": "resident_initiative",
                              "categories": categories, "zrm_domains": zrm, "location": {"lat": point.0, "lng": point.1}});
        if let Some(c) = capacity {
            body["capacity"] = json!(c);
        }
        let (id, organiser) = common::new_initiative(app, body).await;
        let (_, i) = common::get(app, &format!("/v1/initiatives/{id}")).await;
        let at = Place {
            cell: storage_at(point),
            gemeente: i["gemeente_code"].as_str().unwrap().into(),
            wijk: i["wijk_code"].as_str().unwrap().into(),
        };
        organisers.push(organiser);
        town.initiatives.push(Ini { id, point, at, categories: set(&categories), zrm: set(&zrm), has_places: true });
    }
    // Matches: some accepted by both sides (the request is helped), some only proposed (an
    // initiative's one place is taken by a proposal too).
    let open_requests: Vec<usize> = (0..town.requests.len()).filter(|i| town.requests[*i].open).collect();
    for (k, ri) in open_requests.iter().enumerate().take(6) {
        let r = town.requests[*ri].clone();
        let owner = &people[r.owner];
        let (kind, helper, helper_auth) = match k % 3 {
            0 => match town.offers.iter().find(|o| o.open && o.owner != r.owner) {
                Some(o) => ("offer", o.id.clone(), Some(people[o.owner].auth.clone())),
                None => continue,
            },
            1 => {
                let i = k % town.initiatives.len();
                ("initiative", town.initiatives[i].id.clone(), Some(organisers[i].clone()))
            }
            _ => match town.volunteers.iter().position(|v| v.active && v.owner != r.owner) {
                Some(v) => ("volunteer", town.volunteers[v].id.clone(), Some(volunteer_auth[v].clone())),
                None => continue,
            },
        };
        let (s, m) =
            common::post_as(app, &owner.auth, "/v1/matches", json!({"request_id": r.id, "helper_kind": kind, "helper_id": helper})).await;
        if s != 201 {
            // A full initiative: not this pair.
            assert_eq!(m["code"], "no_capacity", "{m}");
            continue;
        }
        if kind == "initiative" {
            let i = town.initiatives.iter_mut().find(|i| i.id == helper).unwrap();
            // Proposed or accepted, the match holds a place while it is open.
            let (_, ini) = common::get(app, &format!("/v1/initiatives/{}", i.id)).await;
            if ini["capacity"] == 1 {
                i.has_places = false;
            }
        }
        if k % 2 == 0 {
            let helper_auth = helper_auth.unwrap();
            let (s, v) = common::post_as(app, &helper_auth, &format!("/v1/matches/{}/accept", m["id"].as_str().unwrap()), json!({})).await;
            assert_eq!(s, 200, "{v}");
            town.requests[*ri].helped = true;
        }
    }
    (town, outlines)
}

/// What the test recounts a kaart from: its area, its features, the filters.
struct Ask<'a> {
    area: &'a str,
    by_wijk: bool,
    resolution: Resolution,
    category: Option<&'a str>,
    zrm: Option<&'a str>,
    since: Option<DateTime<Utc>>,
}

impl Ask<'_> {
    fn passes(&self, categories: &BTreeSet<String>, zrm: &BTreeSet<String>) -> bool {
        self.category.is_none_or(|c| categories.contains(c)) && self.zrm.is_none_or(|z| zrm.contains(z))
    }

    fn in_area(&self, p: &Place) -> bool {
        if self.area.starts_with("WK") { p.wijk == self.area } else { p.gemeente == self.area }
    }

    fn key(&self, p: &Place) -> String {
        if self.by_wijk { p.wijk.clone() } else { p.cell.parent(self.resolution).unwrap().to_string() }
    }

    fn url(&self) -> String {
        let mut u = format!("/v1/areas/{}/kaart?", self.area);
        if self.by_wijk {
            u.push_str("by=wijk&");
        } else {
            u.push_str(&format!("resolution={}&", u8::from(self.resolution)));
        }
        if let Some(c) = self.category {
            u.push_str(&format!("category={c}&"));
        }
        if let Some(z) = self.zrm {
            u.push_str(&format!("zrm={z}&"));
        }
        if let Some(t) = self.since {
            u.push_str(&format!("from={}&", t.date_naive()));
        }
        u
    }
}

fn meets(a: (&BTreeSet<String>, &BTreeSet<String>), b: (&BTreeSet<String>, &BTreeSet<String>)) -> bool {
    a.0.intersection(b.0).next().is_some() || a.1.intersection(b.1).next().is_some()
}

/// Every count of `keys` (the answer's features) recounted naively from the town.
fn recount(
    town: &Town,
    ask: &Ask,
    keys: &[String],
    outlines: &HashMap<String, Vec<Vec<(f64, f64)>>>,
    now: DateTime<Utc>,
) -> (Vec<Counts>, Counts) {
    let posted_ok = |t: DateTime<Utc>| ask.since.is_none_or(|s| t >= s.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc());
    let requests: Vec<&Req> =
        town.requests.iter().filter(|r| r.open && ask.in_area(&r.at) && posted_ok(r.posted) && ask.passes(&r.categories, &r.zrm)).collect();
    let offers: Vec<&Offer> = town.offers.iter().filter(|o| o.open && posted_ok(o.posted) && ask.passes(&o.categories, &o.zrm)).collect();
    let volunteers: Vec<&Vol> = town.volunteers.iter().filter(|v| v.active && ask.passes(&v.skills, &v.zrm)).collect();
    let initiatives: Vec<&Ini> = town.initiatives.iter().filter(|i| i.has_places && ask.passes(&i.categories, &i.zrm)).collect();
    let candidate = |r: &Req| {
        let at = centre(r.at.cell);
        offers
            .iter()
            .any(|o| common::haversine_m(at, centre(o.at.cell)) <= CANDIDATE_M && meets((&r.categories, &r.zrm), (&o.categories, &o.zrm)))
            || initiatives
                .iter()
                .any(|i| common::haversine_m(at, i.point) <= CANDIDATE_M && meets((&r.categories, &r.zrm), (&i.categories, &i.zrm)))
            || volunteers.iter().any(|v| {
                let d = common::haversine_m(at, centre(v.home));
                d <= CANDIDATE_M && d <= v.travel && meets((&r.categories, &r.zrm), (&v.skills, &v.zrm))
            })
    };
    let reaches = |v: &Vol, key: &str| {
        let d = if ask.by_wijk {
            distance_to_outline(centre(v.home), &outlines[key])
        } else {
            common::haversine_m(centre(v.home), centre(key.parse::<CellIndex>().unwrap()))
        };
        d <= v.travel
    };
    let mut out = Vec::new();
    for key in keys {
        let mut c = Counts::default();
        for r in requests.iter().filter(|r| ask.key(&r.at) == *key) {
            c.requests_open += 1;
            c.requests_unmet += u64::from(!r.helped && r.posted <= now - Duration::days(14));
            c.requests_with_candidate += u64::from(candidate(r));
        }
        c.offers_open = offers.iter().filter(|o| ask.in_area(&o.at) && ask.key(&o.at) == *key).count() as u64;
        c.initiatives_with_places = initiatives.iter().filter(|i| ask.in_area(&i.at) && ask.key(&i.at) == *key).count() as u64;
        c.volunteers_reaching = volunteers.iter().filter(|v| reaches(v, key)).count() as u64;
        out.push(c);
    }
    let mut total = out.iter().fold(Counts::default(), |a, c| Counts {
        requests_open: a.requests_open + c.requests_open,
        requests_unmet: a.requests_unmet + c.requests_unmet,
        requests_with_candidate: a.requests_with_candidate + c.requests_with_candidate,
        offers_open: a.offers_open + c.offers_open,
        volunteers_reaching: 0,
        initiatives_with_places: a.initiatives_with_places + c.initiatives_with_places,
    });
    total.volunteers_reaching = volunteers.iter().filter(|v| keys.iter().any(|k| reaches(v, k))).count() as u64;
    // Every counted item is in a listed feature.
    for r in &requests {
        assert!(keys.contains(&ask.key(&r.at)), "request {} in {} is in no feature", r.id, ask.key(&r.at));
    }
    (out, total)
}

/// Asserts that a wire count is the shown value, or null and named as suppressed.
fn assert_counts(wire: &Value, want: &ShownCounts, what: &str) {
    let suppressed: Vec<&str> = wire["suppressed"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    let check = |name: &str, s: Shown<Value>| match s {
        Shown::Value(v) => {
            assert_eq!(wire[name], v, "{what}: {name} in {wire}");
            assert!(!suppressed.contains(&name), "{what}: {name} in {wire}");
        }
        Shown::Suppressed => {
            assert!(wire[name].is_null(), "{what}: {name} should be suppressed in {wire}");
            assert!(suppressed.contains(&name), "{what}: {name} not named in {wire}");
        }
    };
    check("requests_open", want.requests_open.map(Value::from));
    check("requests_unmet", want.requests_unmet.map(Value::from));
    check("requests_with_candidate", want.requests_with_candidate.map(Value::from));
    check("candidate_share", want.candidate_share.map(|s| s.map_or(Value::Null, Value::from)));
    check("offers_open", want.offers_open.map(Value::from));
    check("volunteers_reaching", want.volunteers_reaching.map(Value::from));
    check("gap", want.gap.map(Value::from));
    assert_eq!(wire["initiatives_with_places"], want.initiatives_with_places, "{what}: {wire}");
}

async fn check_kaart(app: &TestApp, town: &Town, outlines: &HashMap<String, Vec<Vec<(f64, f64)>>>, ask: Ask<'_>) -> usize {
    let pro = common::zaanstad_professional();
    let (s, k) = common::get_as(app, &pro, &ask.url()).await;
    assert_eq!(s, 200, "{}: {k}", ask.url());
    assert_eq!(k["scope"], "professional");
    let features = k["features"].as_array().unwrap();
    let keys: Vec<String> = features
        .iter()
        .map(|f| if ask.by_wijk { f["wijk"]["code"].as_str().unwrap().to_owned() } else { f["cell"].as_str().unwrap().to_owned() })
        .collect();
    if ask.by_wijk && ask.area == GEMEENTE {
        let mut want: Vec<String> = outlines.keys().cloned().collect();
        want.sort();
        assert_eq!(keys, want, "every wijk of the gemeente");
    }
    let (counts, total) = recount(town, &ask, &keys, outlines, clock::now());
    let (each, area) = shown(&counts, &total);
    for (i, f) in features.iter().enumerate() {
        assert_counts(&f["counts"], &each[i], &format!("{} {}", ask.url(), keys[i]));
    }
    assert_counts(&k["total"], &area, &format!("{} total", ask.url()));
    // The check must have had something to check.
    total.requests_open as usize + total.offers_open as usize
}

api_test!(every_count_equals_a_recount_on_random_towns, false, |app: TestApp| async move {
    // A second town joins the first: the kaart counts both.
    let mut town = Town::default();
    for seed in [16, 1_979] {
        let (more, outlines) = Box::pin(random_town(&app, seed)).await;
        town.requests.extend(more.requests);
        town.offers.extend(more.offers);
        town.volunteers.extend(more.volunteers);
        town.initiatives.extend(more.initiatives);
        let outlines: HashMap<String, Vec<Vec<(f64, f64)>>> = outlines.into_iter().collect();
        let wijk = town.requests.iter().find(|r| r.open).map(|r| r.at.wijk.clone()).unwrap();
        let recent = clock::now() - Duration::days(10);
        let asks = [
            Ask { area: GEMEENTE, by_wijk: false, resolution: Resolution::Seven, category: None, zrm: None, since: None },
            Ask { area: GEMEENTE, by_wijk: false, resolution: Resolution::Eight, category: None, zrm: None, since: None },
            Ask { area: GEMEENTE, by_wijk: true, resolution: Resolution::Seven, category: None, zrm: None, since: None },
            Ask { area: GEMEENTE, by_wijk: false, resolution: Resolution::Eight, category: Some("paperwork"), zrm: None, since: None },
            Ask { area: GEMEENTE, by_wijk: true, resolution: Resolution::Seven, category: None, zrm: Some("financien"), since: None },
            Ask { area: GEMEENTE, by_wijk: false, resolution: Resolution::Seven, category: None, zrm: None, since: Some(recent) },
            Ask { area: &wijk, by_wijk: false, resolution: Resolution::Eight, category: None, zrm: None, since: None },
            Ask { area: &wijk, by_wijk: true, resolution: Resolution::Seven, category: Some("groceries"), zrm: None, since: None },
        ];
        let mut seen = 0;
        for ask in asks {
            seen += Box::pin(check_kaart(&app, &town, &outlines, ask)).await;
        }
        assert!(seen > 20, "the towns hold listings to count ({seen})");
    }
});

api_test!(who_sees_what_and_bad_input, false, |app: TestApp| async move { Box::pin(who_sees_what_and_bad_input_body(&app)).await });

async fn who_sees_what_and_bad_input_body(app: &TestApp) {
    let url = "/v1/areas/GM0479/kaart";
    let resident = common::new_resident_token();
    let pro_out = common::token("pro-amsterdam", "professional", &["GM0363"]);
    let admin = common::zaanstad_admin();
    let pro = common::zaanstad_professional();
    // Resolution 8 is the gemeente's professionals' only.
    let (s, v) = common::get_as(app, &Auth::None, &format!("{url}?resolution=8")).await;
    assert_eq!(s, 401, "{v}");
    for who in [&resident, &pro_out, &admin] {
        let (s, v) = common::get_as(app, who, &format!("{url}?resolution=8")).await;
        assert_eq!(s, 403, "{v}");
    }
    let (s, v) = common::get_as(app, &pro, &format!("{url}?resolution=8")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["resolution"], 8);
    // The public sees no requests, volunteers, gap or share, at any level.
    for who in [&Auth::None, &resident, &pro_out] {
        for q in ["", "?by=wijk"] {
            let (s, v) = common::get_as(app, who, &format!("{url}{q}")).await;
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["scope"], "public");
            for counts in v["features"].as_array().unwrap().iter().map(|f| &f["counts"]).chain([&v["total"]]) {
                for hidden in
                    ["requests_open", "requests_unmet", "requests_with_candidate", "candidate_share", "volunteers_reaching", "gap"]
                {
                    assert!(counts[hidden].is_null(), "{hidden} in {counts}");
                    assert!(!counts["suppressed"].as_array().unwrap().iter().any(|s| s == hidden), "{counts}");
                }
                assert!(counts["offers_open"].is_u64() || counts["suppressed"].as_array().unwrap().iter().any(|s| s == "offers_open"));
            }
        }
    }
    for who in [&admin, &pro] {
        let (_, v) = common::get_as(app, who, url).await;
        assert_eq!(v["scope"], "professional", "{v}");
        assert_eq!(v["total"]["requests_open"], 0, "{v}");
    }
    // Bad input names its field.
    for (q, field) in [
        ("?resolution=9", "resolution"),
        ("?resolution=6", "resolution"),
        ("?resolution=x", "resolution"),
        ("?by=buurt", "by"),
        ("?category=knitting", "category"),
        ("?zrm=geluk", "zrm"),
        ("?from=2026-13-01", "from"),
        ("?from=gisteren", "from"),
        ("?to=2026-02-30", "to"),
        ("?from=2026-05-02&to=2026-05-01", "from"),
        ("?from=2020-01-01&to=2026-01-01", "to"),
    ] {
        let (s, v) = common::get_as(app, &pro, &format!("{url}{q}")).await;
        common::assert_problem(s, &v, 400, field);
    }
    let (s, v) = common::get_as(app, &pro, "/v1/areas/XX12/kaart").await;
    common::assert_problem(s, &v, 400, "code");
    let (s, v) = common::get(app, "/v1/areas/GM9999/kaart").await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = common::get(app, "/v1/areas/WK999999/kaart?by=wijk").await;
    assert_eq!(s, 404, "{v}");
    // A period of one day, and of three years.
    let (s, v) = common::get_as(app, &pro, &format!("{url}?from=2026-01-01&to=2026-01-01")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["filters"]["from"], "2026-01-01");
    let (s, v) = common::get_as(app, &pro, &format!("{url}?from=2023-01-01&to=2025-12-31&by=wijk")).await;
    assert_eq!(s, 200, "{v}");
}

api_test!(geojson_has_the_same_counts, false, |app: TestApp| async move {
    let (town, _) = Box::pin(random_town(&app, 7)).await;
    assert!(!town.requests.is_empty());
    let pro = common::zaanstad_professional();
    for q in ["resolution=8", "by=wijk"] {
        let url = format!("/v1/areas/{GEMEENTE}/kaart?{q}");
        let (_, plain) = common::get_as(&app, &pro, &url).await;
        let Auth::Bearer(t) = &pro else { unreachable!() };
        let resp =
            app.client.get(&url).header("Accept", "application/geo+json").header("Authorization", format!("Bearer {t}")).send().await;
        assert_eq!(resp.0.status().as_u16(), 200);
        assert!(resp.0.headers().get("content-type").unwrap().to_str().unwrap().starts_with("application/geo+json"));
        let geo: Value = serde_json::from_str(&resp.0.into_body().into_string().await.unwrap()).unwrap();
        assert_eq!(geo["type"], "FeatureCollection");
        assert_eq!(geo["total"], plain["total"]);
        assert_eq!(geo["scope"], "professional");
        let features = geo["features"].as_array().unwrap();
        assert_eq!(features.len(), plain["features"].as_array().unwrap().len());
        for (g, p) in features.iter().zip(plain["features"].as_array().unwrap()) {
            assert_eq!(g["type"], "Feature");
            for (k, v) in p["counts"].as_object().unwrap() {
                assert_eq!(&g["properties"][k], v, "{k} of {g}");
            }
            let rings = rings_of(&g["geometry"]);
            assert!(!rings.is_empty());
            for ring in &rings {
                assert!(ring.len() >= 4 && ring.first() == ring.last(), "a closed ring: {ring:?}");
                // lng, lat: Zaanstad lies near 4.8 E, 52.45 N.
                assert!(ring.iter().all(|(lng, lat)| (4.0..6.0).contains(lng) && (52.0..53.0).contains(lat)), "{ring:?}");
            }
            match p["cell"].as_str() {
                Some(cell) => {
                    assert_eq!(g["properties"]["cell"], cell);
                    let c: CellIndex = cell.parse().unwrap();
                    assert_eq!(u8::from(c.resolution()), 8);
                    assert_eq!(rings[0].len(), c.boundary().len() + 1);
                }
                None => assert_eq!(g["properties"]["code"], p["wijk"]["code"]),
            }
        }
    }
});

api_test!(the_demo_town_has_believable_figures, true, |app: TestApp| async move {
    Box::pin(the_demo_town_has_believable_figures_body(&app)).await
});

async fn the_demo_town_has_believable_figures_body(app: &TestApp) {
    let pro = common::zaanstad_professional();
    let (s, k) = common::get_as(app, &pro, &format!("/v1/areas/{GEMEENTE}/kaart?by=wijk")).await;
    assert_eq!(s, 200, "{k}");
    let features = k["features"].as_array().unwrap();
    assert_eq!(features.len(), 19, "Zaanstad's 19 wijken");
    let open: u64 = k["total"]["offers_open"].as_u64().expect("the town's offers add up");
    assert!(open >= 20, "{}", k["total"]);
    let shown = features.iter().filter(|f| f["counts"]["suppressed"].as_array().unwrap().is_empty()).count();
    let held = features.iter().filter(|f| !f["counts"]["suppressed"].as_array().unwrap().is_empty()).count();
    assert!(held > 0, "some wijken hold 1 to 4 of something");
    assert!(features.iter().any(|f| f["counts"]["requests_open"].as_u64().is_some_and(|n| n >= 5)), "some wijken show their requests");
    assert!(shown + held == 19);
    assert!(features.iter().map(|f| f["counts"]["initiatives_with_places"].as_u64().unwrap()).sum::<u64>() >= 20, "{}", k["total"]);
    assert!(k["total"]["volunteers_reaching"].as_u64().is_some_and(|n| n >= 5), "{}", k["total"]);
    let (s, cells) = common::get_as(app, &pro, &format!("/v1/areas/{GEMEENTE}/kaart?resolution=8")).await;
    assert_eq!(s, 200);
    let cells = cells["features"].as_array().unwrap();
    assert!(cells.len() > 40, "Zaanstad is some 70 cells of resolution 8");
    assert!(cells.iter().any(|f| f["counts"]["suppressed"].as_array().unwrap().iter().any(|s| s == "requests_open")));
}

/// A naive recount of when each request was first helped, from the rows: the later acceptance
/// of each match accepted by both sides, and each referral's `accepted` step.
async fn recount_helped(app: &TestApp) -> HashMap<Uuid, DateTime<Utc>> {
    use buurtkracht::store::entities::{match_row, referral, referral_event};
    use sea_orm::EntityTrait;
    let db = &app.app.state.db;
    let mut out: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    let mut first = |id: Uuid, t: DateTime<Utc>| {
        let e = out.entry(id).or_insert(t);
        *e = (*e).min(t);
    };
    for m in match_row::Entity::find().all(db).await.unwrap() {
        if let (Some(a), Some(b)) = (m.requester_accepted_at, m.helper_accepted_at) {
            first(m.request_id, a.max(b));
        }
    }
    let referrals: HashMap<Uuid, Option<Uuid>> =
        referral::Entity::find().all(db).await.unwrap().into_iter().map(|r| (r.id, r.request_id)).collect();
    for e in referral_event::Entity::find().all(db).await.unwrap() {
        if e.state == "accepted"
            && let Some(Some(request)) = referrals.get(&e.referral_id)
        {
            first(*request, e.at);
        }
    }
    out
}

/// Posts `body` to `url` at time `at`; the new resource's id when it was made.
async fn made_at(app: &TestApp, who: &Auth, url: &str, body: Value, at: DateTime<Utc>) -> Option<String> {
    let (s, v) = clock::at(at, common::post_as(app, who, url, body)).await;
    (s == 201).then(|| v["id"].as_str().unwrap().to_owned())
}

api_test!(helped_at_is_the_first_acceptance, false, |app: TestApp| async move {
    let mut rng = SmallRng::seed_from_u64(5);
    let pro = common::zaanstad_professional();
    let mut people = Vec::new();
    for n in 0..8 {
        people.push(Box::pin(person(&app, &mut rng, n)).await);
    }
    for p in &people {
        let (s, c) = common::post_as(
            &app,
            &p.auth,
            "/v1/consents",
            json!({"purpose": "Doorverwijzing", "grantee": {"wijkteam_gemeente": GEMEENTE}, "scope": ["referral"]}),
        )
        .await;
        assert_eq!(s, 201, "{c}");
    }
    let mut requests: Vec<(String, usize)> = Vec::new();
    let mut offers: Vec<(String, usize)> = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let (r, _) = Box::pin(post_listing(&app, p, ListingKind::Request, &["paperwork"], &[], 3)).await;
        requests.push((r, i));
        let (o, _) = Box::pin(post_listing(&app, p, ListingKind::Offer, &["paperwork"], &[], 3)).await;
        offers.push((o, i));
    }
    // What the test saw: the first acceptance of each request, and which requests lost the
    // rows that helped them (the recount from rows can no longer see those).
    let mut first_seen: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut deleted: BTreeSet<String> = BTreeSet::new();
    let mut erased: Option<usize> = None;
    for step in 0..40 {
        let at = clock::now() - Duration::days(40 - step);
        let (ri, ro) = (rng.random_range(0..requests.len()), rng.random_range(0..offers.len()));
        let (request, owner) = requests[ri].clone();
        let (offer, helper) = offers[ro].clone();
        if owner == helper || deleted.contains(&request) || erased.is_some_and(|e| e == owner || e == helper) {
            continue;
        }
        let (owner, helper) = (&people[owner], &people[helper]);
        match rng.random_range(0..10) {
            0..=3 => {
                let body = json!({"request_id": request, "helper_kind": "offer", "helper_id": offer});
                let Some(id) = Box::pin(made_at(&app, &owner.auth, "/v1/matches", body, at)).await else { continue };
                let verdict = if rng.random_bool(0.6) { "accept" } else { "decline" };
                let body = if verdict == "decline" { json!({"reason": "too_far"}) } else { json!({}) };
                let later = at + Duration::hours(rng.random_range(1..48));
                let (s, _) = clock::at(later, common::post_as(&app, &helper.auth, &format!("/v1/matches/{id}/{verdict}"), body)).await;
                if s == 200 && verdict == "accept" {
                    let t = clock::at(later, async { clock::now() }).await;
                    first_seen.entry(request.clone()).and_modify(|f| *f = (*f).min(t)).or_insert(t);
                }
            }
            4..=6 => {
                let body = json!({"request_id": request, "helper_kind": "offer", "helper_id": offer});
                let Some(id) = Box::pin(made_at(&app, &pro, "/v1/referrals", body, at)).await else { continue };
                if rng.random_bool(0.7) {
                    let later = at + Duration::hours(rng.random_range(1..48));
                    let (s, _) =
                        clock::at(later, common::post_as(&app, &helper.auth, &format!("/v1/referrals/{id}/accept"), json!({}))).await;
                    if s == 200 {
                        let t = clock::at(later, async { clock::now() }).await;
                        first_seen.entry(request.clone()).and_modify(|f| *f = (*f).min(t)).or_insert(t);
                    }
                }
            }
            7 | 8 => {
                // The offer goes: its matches go with it, the request keeps its date.
                let (s, _) = common::delete_as(&app, &helper.auth, &format!("/v1/listings/{offer}")).await;
                if s == 204 || s == 200 {
                    offers.retain(|(o, _)| *o != offer);
                    deleted.insert(offer.clone());
                }
            }
            _ => {
                if erased.is_none() && step > 20 {
                    let who = requests[ri].1;
                    let (s, v) = common::delete_as(&app, &people[who].auth, "/v1/me").await;
                    assert!(s == 204 || s == 200, "{v}");
                    erased = Some(who);
                }
            }
        }
        if offers.is_empty() {
            break;
        }
    }
    let from_rows = Box::pin(recount_helped(&app)).await;
    let mut checked = 0;
    for (request, owner) in &requests {
        let id: Uuid = request.parse().unwrap();
        let stored = buurtkracht::store::kaart::helped_at(&app.app.state.db, id).await.unwrap();
        if erased == Some(*owner) {
            assert_eq!(stored, None, "an erased resident's request is gone");
            continue;
        }
        assert_eq!(stored, first_seen.get(request).copied(), "request {request}: the first acceptance the test saw");
        // Where the rows that helped it are still there, they tell the same.
        if let Some(t) = from_rows.get(&id) {
            assert!(stored.is_some_and(|s| s <= *t), "request {request}: stored {stored:?}, rows {t}");
            if stored == Some(*t) {
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "some helped requests kept their rows ({checked})");
    assert!(!first_seen.is_empty());
});

// Its own test: the policy test's future is close to a debug build's test-thread stack.
api_test!(an_unknown_area_is_404_before_who_may_zoom_in, false, |app: TestApp| async move {
    let (s, v) = common::get(&app, "/v1/areas/GM9999/kaart?resolution=8").await;
    assert_eq!(s, 404, "anonymous: {v}");
    let (s, v) = common::get_as(&app, &common::new_resident_token(), "/v1/areas/GM9999/kaart?resolution=8").await;
    assert_eq!(s, 404, "a resident: {v}");
    let (s, _) = common::get(&app, "/v1/areas/GM0479/kaart?resolution=8").await;
    assert_eq!(s, 401, "a known area still asks an anonymous caller to sign in for resolution 8");
});

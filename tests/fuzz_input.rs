//! Fuzzing the one rule for control characters (README, "Text input"): random text with at
//! least one control character, sent as a query parameter (name or value), a path segment or a
//! JSON body field of many endpoints, always answers 400 problem+json naming that parameter,
//! `path` or the JSON path, never 500, on SQLite and PostgreSQL.
//!
//! The cases come from proptest strategies; the requests are async, so the cases are drawn
//! with a `TestRunner` and sent one by one (no shrinking: a failure prints the exact input).
//! `PROPTEST_CASES` sets how many (default 512).
mod common;

use common::{Auth, TestApp};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

/// A control character a free-text body field may not hold either (all but tab, CR, LF). NUL
/// often: it is the one PostgreSQL cannot store, which answered 500.
fn forbidden_everywhere() -> impl Strategy<Value = char> {
    let c0 = (1u32..=0x1f).prop_filter("tab, CR, LF are free text's", |c| !matches!(c, 0x09 | 0x0a | 0x0d));
    prop_oneof![2 => Just(0u32), 5 => c0, 3 => 0x7fu32..=0x9f].prop_map(|c| char::from_u32(c).unwrap())
}

/// Any control character: C0, DEL, C1; NUL often.
fn any_control() -> impl Strategy<Value = char> {
    prop_oneof![2 => Just(0u32), 5 => 1u32..=0x1f, 3 => 0x7fu32..=0x9f].prop_map(|c| char::from_u32(c).unwrap())
}

/// Text around `bad`: printable characters of any script, quotes, percent signs, spaces.
fn text_with(bad: impl Strategy<Value = char>) -> impl Strategy<Value = String> {
    ("[a-zA-Z0-9 %'\"*.,;:éßøمשЖ中\u{200B}\u{202E}]{0,8}", proptest::collection::vec(bad, 1..3), "[a-zA-Z0-9 éß]{0,8}")
        .prop_map(|(a, bad, b)| format!("{a}{}{b}", bad.into_iter().collect::<String>()))
}

/// Percent-encodes every byte but the unreserved ones, as a client sends a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Who sends which request.
#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    Resident,
    Organiser,
    Professional,
    Admin,
}

/// The seeded ids and credentials the requests need.
struct World {
    resident: Auth,
    person_id: String,
    organiser: Auth,
    initiative_id: String,
    listing_id: String,
}

impl World {
    fn auth(&self, who: Who) -> Auth {
        match who {
            Who::Anonymous => Auth::None,
            Who::Resident => self.resident.clone(),
            Who::Organiser => self.organiser.clone(),
            Who::Professional => common::zaanstad_professional(),
            Who::Admin => common::zaanstad_admin(),
        }
    }
}

/// Query parameters of list and other GET/DELETE endpoints: method, path, a valid query to
/// start from (so that the fuzzed parameter is the only thing wrong), the parameters to fuzz,
/// and who asks.
type QueryTarget = (&'static str, &'static str, &'static [(&'static str, &'static str)], &'static [&'static str], Who);

const QUERIES: &[QueryTarget] = &[
    ("GET", "/v1/initiatives", &[], &["q", "area", "cell", "cursor", "sort", "category", "kind", "status", "zrm"], Who::Anonymous),
    ("GET", "/v1/listings", &[("kind", "offer")], &["q", "area", "cell", "cursor", "kind", "status", "category"], Who::Resident),
    ("GET", "/v1/volunteers", &[("area", "GM0479")], &["area", "cell", "cursor", "category"], Who::Professional),
    ("GET", "/v1/people", &[("area", "GM0479")], &["area", "cell", "cursor"], Who::Professional),
    ("GET", "/v1/search", &[("q", "koffie")], &["q", "type", "facets", "area", "cursor", "sort"], Who::Anonymous),
    ("GET", "/v1/areas", &[("gemeente", "GM0479")], &["q", "gemeente", "level", "cursor"], Who::Anonymous),
    ("GET", "/v1/areas/locate", &[("lat", "52.4376"), ("lng", "4.8476")], &["lat", "lng"], Who::Anonymous),
    ("GET", "/v1/audit", &[("gemeente", "GM0479")], &["gemeente", "person_id", "cursor"], Who::Admin),
    ("GET", "/v1/me/audit", &[], &["cursor"], Who::Resident),
    ("GET", "/v1/matches", &[], &["status", "cursor"], Who::Resident),
    ("DELETE", "/v1/professionals", &[("subject", "pro-x"), ("gemeente", "GM0479")], &["subject", "gemeente"], Who::Admin),
    ("GET", "/v1/taxonomy", &[], &["lang"], Who::Anonymous),
];

/// `base` with `param` set to `text` (added when `base` lacks it), percent-encoded.
fn query_with(base: &[(&str, &str)], param: &str, text: &str) -> String {
    let mut pairs: Vec<(String, String)> = base.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    match pairs.iter_mut().find(|(k, _)| k == param) {
        Some(pair) => pair.1 = text.to_owned(),
        None => pairs.push((param.to_owned(), text.to_owned())),
    }
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// Paths with one segment the client chooses (`{}`).
const PATHS: &[(&str, &str, Who)] = &[
    ("GET", "/v1/areas/{}", Who::Anonymous),
    ("GET", "/v1/initiatives/{}", Who::Anonymous),
    ("GET", "/v1/listings/{}/candidates", Who::Resident),
    ("DELETE", "/v1/keys/{}", Who::Admin),
    ("GET", "/v1/people/{}", Who::Professional),
];

/// A body to send: method, path, a valid body, the string fields to fuzz (a JSON pointer each,
/// and whether the field is free text), and who sends it.
type BodyTarget = (&'static str, String, Value, Vec<(&'static str, bool)>, Who);

/// The bodies whose string fields are fuzzed.
fn bodies(w: &World) -> Vec<BodyTarget> {
    let (lat, lng) = common::POELENBURG;
    let initiative = json!({
        "name": "Buurtkamer", "description": "Koffie.", "kind": "resident_initiative", "categories": ["meeting_place"],
        "location": {"lat": lat, "lng": lng}, "address": {"street": "Wezelstraat", "city": "Zaandam"},
        "contact": {"email": "info@buurt.example"}, "schedule_note": "Op maandag", "languages": ["nl"],
        "cost": {"kind": "free", "note": "gratis"},
    });
    vec![
        (
            "POST",
            "/v1/initiatives".into(),
            initiative.clone(),
            vec![
                ("/name", false),
                ("/description", true),
                ("/address/street", false),
                ("/address/city", false),
                ("/contact/email", false),
                ("/schedule_note", true),
                ("/languages/0", false),
                ("/cost/note", true),
                ("/kind", false),
            ],
            Who::Organiser,
        ),
        (
            "PATCH",
            format!("/v1/initiatives/{}", w.initiative_id),
            json!({"name": "Nieuw", "description": "Anders"}),
            vec![("/name", false), ("/description", true)],
            Who::Organiser,
        ),
        (
            "POST",
            "/v1/listings".into(),
            json!({"kind": "offer", "title": "Ik kook", "description": "Op vrijdag", "categories": ["meals"], "owner": {"person_id": w.person_id}}),
            vec![("/title", false), ("/description", true), ("/owner/person_id", false)],
            Who::Resident,
        ),
        ("PATCH", format!("/v1/listings/{}", w.listing_id), json!({"title": "Ik kook graag"}), vec![("/title", false)], Who::Resident),
        (
            "POST",
            "/v1/people".into(),
            json!({"display_name": "Fatima", "home_point": {"lat": lat, "lng": lng}}),
            vec![("/display_name", false)],
            Who::Anonymous, // replaced by a fresh resident below
        ),
        (
            "POST",
            "/v1/keys".into(),
            json!({"label": "Website", "role": "admin", "gemeenten": ["GM0479"]}),
            vec![("/label", false), ("/gemeenten/0", false), ("/role", false)],
            Who::Admin,
        ),
        (
            "POST",
            "/v1/professionals".into(),
            json!({"subject": "pro-x", "gemeente": "GM0479"}),
            vec![("/subject", false), ("/gemeente", false)],
            Who::Admin,
        ),
        (
            "POST",
            "/v1/match".into(),
            json!({"categories": ["companionship"], "cell": h3o::LatLng::new(lat, lng).unwrap().to_cell(h3o::Resolution::Eight).to_string(), "languages": ["nl"]}),
            vec![("/cell", false), ("/languages/0", false), ("/categories/0", false)],
            Who::Professional,
        ),
    ]
}

/// A JSON pointer as the API names a field: `/a/0/b` is `a[0].b`.
fn field_of(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        if part.parse::<usize>().is_ok() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// One fuzz case: which target, and the text.
#[derive(Debug, Clone)]
enum Case {
    /// A query parameter's value (`QUERIES[i].3[j]`).
    Value(usize, usize, String),
    /// A query parameter's name.
    Name(usize, String),
    /// A path segment.
    Segment(usize, String),
    /// A body field (`bodies()[i].3[j]`), with text for any field and text for free text
    /// (which may hold tab, CR and LF, so it gets another control character besides).
    Field(usize, prop::sample::Index, String, String),
}

fn cases(n_bodies: usize) -> impl Strategy<Value = Case> {
    prop_oneof![
        3 => (0..QUERIES.len(), any::<prop::sample::Index>(), text_with(any_control())).prop_map(|(i, j, t)| Case::Value(
            i,
            j.index(QUERIES[i].3.len()),
            t
        )),
        1 => (0..QUERIES.len(), text_with(any_control())).prop_map(|(i, t)| Case::Name(i, t)),
        1 => (0..PATHS.len(), text_with(any_control())).prop_map(|(i, t)| Case::Segment(i, t)),
        3 => (0..n_bodies, any::<prop::sample::Index>(), text_with(any_control()), text_with(forbidden_everywhere()))
            .prop_map(|(i, j, any, strict)| Case::Field(i, j, any, strict)),
    ]
}

api_test!(control_characters_anywhere_answer_400_naming_the_field, false, |app: TestApp| async move {
    let (person_id, resident) = common::poelenburg_person(&app, "Fatima").await;
    let (initiative_id, organiser) = common::new_initiative(
        &app,
        json!({"name": "Buurtkamer", "description": "Koffie.", "kind": "resident_initiative", "categories": ["meeting_place"],
               "location": {"lat": common::POELENBURG.0, "lng": common::POELENBURG.1}}),
    )
    .await;
    let (s, listing) = common::post_as(
        &app,
        &resident,
        "/v1/listings",
        json!({"kind": "request", "title": "Boodschappen", "description": "Op maandag", "categories": ["groceries"], "owner": {"person_id": person_id}}),
    )
    .await;
    assert_eq!(s, 201, "{listing}");
    let world = World { resident, person_id, organiser, initiative_id, listing_id: listing["id"].as_str().unwrap().to_owned() };
    let bodies = bodies(&world);

    let cases_wanted: u32 = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512);
    let mut runner = TestRunner::default();
    let strategy = cases(bodies.len());
    let mut failures = Vec::new();
    for _ in 0..cases_wanted {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let (method, url, auth, body, want_field) = match &case {
            Case::Value(i, j, text) => {
                let (method, path, base, params, who) = QUERIES[*i];
                (method, format!("{path}?{}", query_with(base, params[*j], text)), world.auth(who), None, params[*j].to_owned())
            }
            Case::Name(i, text) => {
                let (method, path, base, _, who) = QUERIES[*i];
                (method, format!("{path}?{}", query_with(base, text, "1")), world.auth(who), None, text.clone())
            }
            Case::Segment(i, text) => {
                let (method, path, who) = PATHS[*i];
                (method, path.replace("{}", &encode(text)), world.auth(who), None, "path".to_owned())
            }
            Case::Field(i, j, any, strict) => {
                let (method, url, template, fields, who) = &bodies[*i];
                let (pointer, free_text) = fields[j.index(fields.len())];
                let mut body = template.clone();
                *body.pointer_mut(pointer).unwrap() = Value::String(if free_text { strict.clone() } else { any.clone() });
                let auth = if url == "/v1/people" { common::new_resident_token() } else { world.auth(*who) };
                (*method, url.clone(), auth, Some(body), field_of(pointer))
            }
        };
        let (status, v) = common::send(&app, method, &url, &auth, body.as_ref()).await;
        let fields: Vec<&str> = v["errors"].as_array().map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect()).unwrap_or_default();
        if status != 400 || v["status"] != 400 || !fields.contains(&want_field.as_str()) {
            failures.push(format!("{case:?}: {method} {url} {body:?} -> {status} {v}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases_wanted} cases on {} were not a 400 naming the field:\n{}",
        failures.len(),
        app.engine,
        failures.join("\n")
    );
});

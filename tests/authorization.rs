//! The authorization matrix: every endpoint tried by every kind of caller, through the real app,
//! plus the 401/403 bodies, token checks and API keys.
mod common;

use common::{Auth, POELENBURG, TestApp};
use serde_json::{Value, json};

/// The callers of the matrix, in column order.
const CALLERS: [&str; 6] = ["anonymous", "other resident", "owner", "professional in", "professional out", "admin in"];

/// What every row needs: people, an initiative, a listing, a volunteer profile, a consent.
struct World {
    other: Auth,
    /// Person A: owns the person-level resources.
    a: Auth,
    a_id: String,
    /// Organiser of initiative I.
    organiser: Auth,
    initiative: String,
    request: String,
    volunteer: String,
    consent: String,
    /// A referral of A's request to initiative I.
    referral: String,
    pro_in: Auth,
    pro_out: Auth,
    admin: Auth,
}

fn initiative_body(name: &str) -> Value {
    json!({"name": name, "description": "Koffie en een praatje.", "kind": "informal_group", "categories": ["meeting_place"],
           "location": {"lat": POELENBURG.0, "lng": POELENBURG.1}})
}

fn listing_body(owner: Value) -> Value {
    json!({"kind": "request", "title": "Hulp bij formulieren", "description": "Ik kom er niet uit met de toeslagen.",
           "categories": ["paperwork"], "owner": owner})
}

async fn world(app: &TestApp) -> World {
    let (_, other) = common::poelenburg_person(app, "Bram").await;
    let (a_id, a) = common::poelenburg_person(app, "Anouk").await;
    let (initiative, organiser) = common::new_initiative(app, initiative_body("Buurtkamer")).await;
    let (s, l) = common::post_as(app, &a, "/v1/listings", listing_body(json!({"person_id": a_id}))).await;
    assert_eq!(s, 201, "{l}");
    let (s, v) = common::post_as(app, &a, "/v1/volunteers", json!({"person_id": a_id, "skills": ["paperwork"]})).await;
    assert_eq!(s, 201, "{v}");
    let (s, c) = common::post_as(
        app,
        &a,
        "/v1/consents",
        json!({"purpose": "Hulp via het wijkteam", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["contact"]}),
    )
    .await;
    assert_eq!(s, 201, "{c}");
    let (s, rc) = common::post_as(
        app,
        &a,
        "/v1/consents",
        json!({"purpose": "Doorverwijzing", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["referral"]}),
    )
    .await;
    assert_eq!(s, 201, "{rc}");
    let (s, r) = common::post_as(
        app,
        &common::zaanstad_professional(),
        "/v1/referrals",
        json!({"request_id": l["id"], "helper_kind": "initiative", "helper_id": initiative}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    World {
        other,
        a,
        a_id,
        organiser,
        initiative,
        request: l["id"].as_str().unwrap().into(),
        volunteer: v["id"].as_str().unwrap().into(),
        consent: c["id"].as_str().unwrap().into(),
        referral: r["id"].as_str().unwrap().into(),
        pro_in: common::zaanstad_professional(),
        pro_out: common::token("pro-amsterdam", "professional", &["GM0363"]),
        admin: common::zaanstad_admin(),
    }
}

/// Whose resource a row is about: the "owner" column uses that caller.
#[derive(Clone, Copy)]
enum Owner {
    A,
    Organiser,
    /// A fresh person made for this one call (their own token is the owner).
    FreshPerson,
    /// A fresh initiative of the organiser.
    FreshInitiative,
    /// A fresh listing of person A.
    FreshListing,
    /// A fresh referral of a fresh request of A's to initiative I, sent; the owner is the helper
    /// (I's organiser).
    FreshReferral,
    /// The same, accepted by the helper.
    FreshAcceptedReferral,
    /// A fresh referral, sent; the owner is A, its resident.
    FreshReferralOfA,
    /// A fresh match of person A's with initiative I, completed.
    FreshCompletedMatch,
    /// Person A's answer on a fresh completed match.
    FreshExperience,
    /// A fresh support request of the organiser's initiative, submitted.
    FreshSupportRequest,
}

struct Row {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    owner: Owner,
    /// Expected status per caller, in [`CALLERS`] order.
    want: [u16; 6],
}

fn row(method: &'static str, path: &'static str, body: Option<Value>, owner: Owner, want: [u16; 6]) -> Row {
    Row { method, path, body, owner, want }
}

fn rows() -> Vec<Row> {
    use Owner::*;
    let key = json!({"label": "Wijkteam import", "role": "professional", "gemeenten": ["GM0479"]});
    let consent = json!({"purpose": "Hulp", "grantee": {"wijkteam_gemeente": "GM0479"}, "scope": ["profile"]});
    vec![
        row("GET", "/v1/initiatives", None, Organiser, [200; 6]),
        row("GET", "/v1/initiatives/{initiative}", None, Organiser, [200; 6]),
        row("POST", "/v1/initiatives", Some(initiative_body("Repair café")), A, [401, 201, 201, 403, 403, 201]),
        row(
            "PATCH",
            "/v1/initiatives/{initiative}",
            Some(json!({"description": "Elke dinsdag."})),
            Organiser,
            [401, 403, 200, 403, 403, 200],
        ),
        row("DELETE", "/v1/initiatives/{fresh}", None, FreshInitiative, [401, 403, 204, 403, 403, 204]),
        row("GET", "/v1/initiatives/{initiative}/organisers", None, Organiser, [401, 403, 200, 403, 403, 200]),
        row("POST", "/v1/initiatives/{initiative}/invitations", None, Organiser, [401, 403, 201, 403, 403, 201]),
        row("GET", "/v1/people", None, A, [401, 403, 403, 200, 200, 403]),
        row("GET", "/v1/people/{a}", None, A, [401, 403, 200, 200, 403, 403]),
        row("PATCH", "/v1/people/{a}", Some(json!({"display_name": "Anouk B."})), A, [401, 403, 200, 403, 403, 403]),
        row("DELETE", "/v1/people/{fresh}", None, FreshPerson, [401, 403, 204, 403, 403, 403]),
        row("POST", "/v1/listings", Some(listing_body(json!({"person_id": "{a}"}))), A, [401, 403, 201, 403, 403, 403]),
        row(
            "POST",
            "/v1/listings",
            Some(listing_body(json!({"initiative_id": "{initiative}"}))),
            Organiser,
            [401, 403, 201, 403, 403, 403],
        ),
        // Anyone may read an open request, most only as a summary (see `listing_views_differ_by_caller`).
        row("GET", "/v1/listings/{request}", None, A, [200; 6]),
        row("GET", "/v1/listings", None, A, [200; 6]),
        row("PATCH", "/v1/listings/{request}", Some(json!({"title": "Hulp bij de belastingaangifte"})), A, [401, 403, 200, 403, 403, 403]),
        row("DELETE", "/v1/listings/{fresh}", None, FreshListing, [401, 403, 204, 403, 403, 403]),
        row(
            "POST",
            "/v1/volunteers",
            Some(json!({"person_id": "{fresh}", "skills": ["repair"]})),
            FreshPerson,
            [401, 403, 201, 403, 403, 403],
        ),
        row("GET", "/v1/volunteers", None, A, [401, 403, 403, 200, 200, 403]),
        row("GET", "/v1/volunteers/{volunteer}", None, A, [401, 403, 200, 200, 403, 403]),
        row("PATCH", "/v1/volunteers/{volunteer}", Some(json!({"has_vog": true})), A, [401, 403, 200, 403, 403, 403]),
        row("POST", "/v1/consents", Some(consent), A, [401, 201, 201, 403, 403, 403]),
        row("GET", "/v1/consents", None, A, [401, 200, 200, 403, 403, 403]),
        row("GET", "/v1/consents/{consent}", None, A, [401, 403, 200, 403, 403, 403]),
        row("POST", "/v1/consents/{consent}/withdraw", None, A, [401, 403, 200, 403, 403, 403]),
        row("GET", "/v1/me", None, A, [401, 200, 200, 200, 200, 200]),
        row("GET", "/v1/me/export", None, A, [401, 200, 200, 403, 403, 403]),
        row("GET", "/v1/me/audit", None, A, [401, 200, 200, 403, 403, 403]),
        row("POST", "/v1/keys", Some(key), A, [401, 403, 403, 403, 403, 201]),
        row("GET", "/v1/keys", None, A, [401, 403, 403, 403, 403, 200]),
        row("GET", "/v1/audit", None, A, [401, 403, 403, 403, 403, 200]),
        row("POST", "/v1/professionals", Some(json!({"subject": "pro-x", "gemeente": "GM0479"})), A, [401, 403, 403, 403, 403, 201]),
        row("GET", "/v1/professionals", None, A, [401, 403, 403, 403, 403, 200]),
        row("GET", "/v1/audit?gemeente=GM0363", None, A, [401, 403, 403, 403, 403, 403]),
        row(
            "POST",
            "/v1/experiences",
            Some(json!({"match_id": "{fresh}", "themes": {"listened": 4}})),
            FreshCompletedMatch,
            [401, 403, 201, 403, 403, 403],
        ),
        // Nobody reads another's answer; a list is the caller's own.
        row("GET", "/v1/experiences", None, A, [401, 200, 200, 200, 200, 200]),
        row("GET", "/v1/experiences/{fresh}", None, FreshExperience, [401, 403, 200, 403, 403, 403]),
        row("PATCH", "/v1/experiences/{fresh}", Some(json!({"themes": {"quick": 3}})), FreshExperience, [401, 403, 200, 403, 403, 403]),
        row("GET", "/v1/experiences/summary?area=GM0479", None, A, [401, 403, 403, 200, 403, 200]),
        // Anyone reads the kompas; who may see which figures is tested in tests/kompas.rs.
        row("GET", "/v1/areas/GM0479/kompas", None, A, [200; 6]),
        row("GET", "/v1/areas/WK047912/kompas?from=2026-01&to=2026-03", None, A, [200; 6]),
        row(
            "POST",
            "/v1/initiatives/{initiative}/support-requests",
            Some(json!({"kind": "room", "description": "Een zaal voor 30 mensen."})),
            Organiser,
            [401, 403, 201, 403, 403, 201],
        ),
        row("GET", "/v1/initiatives/{initiative}/support-requests", None, Organiser, [401, 403, 200, 200, 403, 200]),
        row("GET", "/v1/support-requests?gemeente=GM0479", None, A, [401, 403, 403, 200, 403, 403]),
        row("GET", "/v1/support-requests/{fresh}", None, FreshSupportRequest, [401, 403, 200, 200, 403, 200]),
        row("POST", "/v1/support-requests/{fresh}/review", None, FreshSupportRequest, [401, 403, 403, 200, 403, 403]),
        row(
            "POST",
            "/v1/support-requests/{fresh}/grant",
            Some(json!({"note": "De buurtkamer op dinsdag"})),
            FreshSupportRequest,
            [401, 403, 403, 200, 403, 403],
        ),
        row(
            "POST",
            "/v1/support-requests/{fresh}/decline",
            Some(json!({"reason": "no_budget"})),
            FreshSupportRequest,
            [401, 403, 403, 200, 403, 403],
        ),
        row("POST", "/v1/support-requests/{fresh}/withdraw", None, FreshSupportRequest, [401, 403, 200, 403, 403, 200]),
        row("GET", "/v1/taxonomy", None, A, [200; 6]),
        row(
            "POST",
            "/v1/referrals",
            Some(json!({"request_id": "{fresh}", "helper_kind": "initiative", "helper_id": "{initiative}"})),
            FreshListing,
            [401, 403, 403, 201, 403, 403],
        ),
        row("GET", "/v1/referrals?gemeente=GM0479", None, A, [401, 403, 403, 200, 403, 403]),
        row("GET", "/v1/referrals/{referral}", None, A, [401, 403, 200, 200, 403, 403]),
        row("GET", "/v1/referrals/{referral}", None, Organiser, [401, 403, 200, 200, 403, 403]),
        row("GET", "/v1/referrals/{referral}/fhir", None, A, [401, 403, 200, 200, 403, 403]),
        row("POST", "/v1/referrals/{fresh}/accept", None, FreshReferral, [401, 403, 200, 403, 403, 403]),
        row("POST", "/v1/referrals/{fresh}/decline", Some(json!({"reason": "not_a_fit"})), FreshReferral, [401, 403, 200, 403, 403, 403]),
        row("POST", "/v1/referrals/{fresh}/start", None, FreshAcceptedReferral, [401, 403, 200, 403, 403, 403]),
        row(
            "POST",
            "/v1/referrals/{fresh}/close",
            Some(json!({"outcome": "got_help"})),
            FreshAcceptedReferral,
            [401, 403, 200, 200, 403, 403],
        ),
        row("POST", "/v1/referrals/{fresh}/cancel", None, FreshReferralOfA, [401, 403, 200, 200, 403, 403]),
        row("GET", "/v1/me/referrals", None, A, [401, 200, 200, 403, 403, 403]),
        row("GET", "/v1/me/referrals?side=helper", None, Organiser, [401, 200, 200, 200, 200, 200]),
        row("GET", "/v1/areas/GM0479", None, A, [200; 6]),
        row("GET", "/v1/areas/GM0479/kaart", None, A, [200; 6]),
        row("GET", "/v1/areas/GM0479/kaart?by=wijk", None, A, [200; 6]),
        row("GET", "/v1/areas/GM0479/kaart?resolution=8", None, A, [401, 403, 403, 200, 403, 403]),
    ]
}

/// A fresh request of person A matched with initiative I and completed; returns the match.
async fn completed_match(app: &TestApp, w: &World) -> String {
    let (s, l) = common::post_as(app, &w.a, "/v1/listings", listing_body(json!({"person_id": w.a_id}))).await;
    assert_eq!(s, 201, "{l}");
    let (s, m) =
        common::post_as(app, &w.a, "/v1/matches", json!({"request_id": l["id"], "helper_kind": "initiative", "helper_id": w.initiative}))
            .await;
    assert_eq!(s, 201, "{m}");
    let url = format!("/v1/matches/{}", m["id"].as_str().unwrap());
    let (s, v) = common::post_as(app, &w.organiser, &format!("{url}/accept"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = common::post_as(app, &w.a, &format!("{url}/complete"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    m["id"].as_str().unwrap().to_owned()
}

/// Makes the row's target and returns (path, body, owner's credentials).
async fn target(app: &TestApp, w: &World, r: &Row) -> (String, Option<Value>, Auth) {
    let (fresh, owner) = match r.owner {
        Owner::A => (String::new(), w.a.clone()),
        Owner::Organiser => (String::new(), w.organiser.clone()),
        Owner::FreshPerson => {
            let (id, auth) = common::poelenburg_person(app, "Vers").await;
            (id, auth)
        }
        Owner::FreshInitiative => {
            let (s, v) = common::post_as(app, &w.organiser, "/v1/initiatives", initiative_body("Tijdelijk")).await;
            assert_eq!(s, 201, "{v}");
            // A fresh initiative's organiser is the one who made it.
            (v["id"].as_str().unwrap().to_owned(), w.organiser.clone())
        }
        Owner::FreshListing => {
            let (s, v) = common::post_as(app, &w.a, "/v1/listings", listing_body(json!({"person_id": w.a_id}))).await;
            assert_eq!(s, 201, "{v}");
            (v["id"].as_str().unwrap().to_owned(), w.a.clone())
        }
        Owner::FreshReferral | Owner::FreshAcceptedReferral | Owner::FreshReferralOfA => {
            let (s, l) = common::post_as(app, &w.a, "/v1/listings", listing_body(json!({"person_id": w.a_id}))).await;
            assert_eq!(s, 201, "{l}");
            let (s, made) = common::post_as(
                app,
                &w.pro_in,
                "/v1/referrals",
                json!({"request_id": l["id"], "helper_kind": "initiative", "helper_id": w.initiative}),
            )
            .await;
            assert_eq!(s, 201, "{made}");
            let id = made["id"].as_str().unwrap().to_owned();
            if matches!(r.owner, Owner::FreshAcceptedReferral) {
                let (s, v) = common::post_as(app, &w.organiser, &format!("/v1/referrals/{id}/accept"), json!({})).await;
                assert_eq!(s, 200, "{v}");
            }
            let owner = if matches!(r.owner, Owner::FreshReferralOfA) { w.a.clone() } else { w.organiser.clone() };
            (id, owner)
        }
        Owner::FreshCompletedMatch => (completed_match(app, w).await, w.a.clone()),
        Owner::FreshExperience => {
            let m = completed_match(app, w).await;
            let (s, v) = common::post_as(app, &w.a, "/v1/experiences", json!({"match_id": m, "themes": {"listened": 4}})).await;
            assert_eq!(s, 201, "{v}");
            (v["id"].as_str().unwrap().to_owned(), w.a.clone())
        }
        Owner::FreshSupportRequest => {
            let url = format!("/v1/initiatives/{}/support-requests", w.initiative);
            let (s, v) = common::post_as(app, &w.organiser, &url, json!({"kind": "room", "description": "Een zaal."})).await;
            assert_eq!(s, 201, "{v}");
            (v["id"].as_str().unwrap().to_owned(), w.organiser.clone())
        }
    };
    let fill = |t: &str| {
        t.replace("{initiative}", &w.initiative)
            .replace("{a}", &w.a_id)
            .replace("{request}", &w.request)
            .replace("{volunteer}", &w.volunteer)
            .replace("{consent}", &w.consent)
            .replace("{referral}", &w.referral)
            .replace("{fresh}", &fresh)
    };
    let body = r.body.as_ref().map(|b| serde_json::from_str(&fill(&b.to_string())).unwrap());
    (fill(r.path), body, owner)
}

api_test!(every_endpoint_with_every_caller, false, |app: TestApp| async move {
    let w = world(&app).await;
    let mut failures = Vec::new();
    for r in rows() {
        for (col, caller) in CALLERS.iter().enumerate() {
            // Fresh targets per call, so a delete or a create by one caller does not change the next.
            let (path, body, owner) = target(&app, &w, &r).await;
            let auth = match col {
                0 => Auth::None,
                1 => w.other.clone(),
                2 => owner,
                3 => w.pro_in.clone(),
                4 => w.pro_out.clone(),
                _ => w.admin.clone(),
            };
            let (status, resp) = common::send(&app, r.method, &path, &auth, body.as_ref()).await;
            if status != r.want[col] {
                failures.push(format!("{} {path} as {caller}: want {}, got {status}: {resp}", r.method, r.want[col]));
            }
            if status == 401 {
                assert_eq!(resp["code"], "unauthorized", "{resp}");
            }
            if status == 403 {
                assert_eq!(resp["code"], "forbidden", "{resp}");
            }
        }
    }
    assert!(failures.is_empty(), "{} cells of the matrix differ:\n{}", failures.len(), failures.join("\n"));
});

api_test!(listing_views_differ_by_caller, false, |app: TestApp| async move {
    let w = world(&app).await;
    let url = format!("/v1/listings/{}", w.request);
    for (auth, want) in [
        (Auth::None, "summary"),
        (w.other.clone(), "summary"),
        (w.a.clone(), "full"),
        (w.pro_in.clone(), "full"),
        (w.pro_out.clone(), "summary"),
        (w.admin.clone(), "summary"),
    ] {
        let (s, l) = common::get_as(&app, &auth, &url).await;
        assert_eq!(s, 200, "{l}");
        assert_eq!(l["visibility"], want, "{auth:?}: {l}");
        if want == "summary" {
            for hidden in ["title", "description", "owner", "wijk_code", "location"] {
                assert!(l.get(hidden).is_none(), "{hidden} in a summary: {l}");
            }
            assert_eq!(
                h3o::CellIndex::try_from(u64::from_str_radix(l["cell"].as_str().unwrap(), 16).unwrap()).unwrap().resolution(),
                h3o::Resolution::Seven
            );
        } else {
            assert_eq!(l["owner"]["person_id"], w.a_id.as_str());
            assert_eq!(l["title"], "Hulp bij formulieren");
        }
    }
    // Closed, it disappears for everyone but the owner and the professionals of its gemeente.
    let (s, _) = common::patch_as(&app, &w.a, &url, json!({"status": "closed"})).await;
    assert_eq!(s, 200);
    for (auth, want) in [(Auth::None, 404), (w.other.clone(), 404), (w.a.clone(), 200), (w.pro_in.clone(), 200), (w.pro_out.clone(), 404)] {
        let (s, l) = common::get_as(&app, &auth, &url).await;
        assert_eq!(s, want, "{auth:?}: {l}");
    }
});

api_test!(problem_bodies_for_401_and_403, false, |app: TestApp| async move {
    let resp = app.client.post("/v1/listings").body_json(&json!({})).send().await;
    assert_eq!(resp.0.status().as_u16(), 401);
    assert!(resp.0.headers().get("WWW-Authenticate").is_some(), "401 without WWW-Authenticate");
    let (s, v) = common::json(resp).await;
    common::assert_problem(s, &v, 401, "");
    assert_eq!(v["code"], "unauthorized");

    let (s, v) = common::get_as(&app, &common::new_resident_token(), "/v1/people").await;
    common::assert_problem(s, &v, 403, "");
    assert_eq!(v["code"], "forbidden");
    assert!(v["detail"].as_str().unwrap().contains("professional"), "{v}");
});

api_test!(bad_credentials_are_401_and_never_anonymous, false, |app: TestApp| async move {
    let tokens = common::test_tokens();
    let mut wrong_issuer = tokens.clone();
    wrong_issuer.issuer = "https://evil.example".into();
    let mut wrong_audience = tokens.clone();
    wrong_audience.audience = "other".into();
    let forged = buurtkracht::auth::jwt::TokenSettings {
        key: buurtkracht::auth::jwt::TokenKey::Hs256(b"another-secret-another-secret-xx".to_vec()),
        ..tokens.clone()
    };
    let mint =
        |s: &buurtkracht::auth::jwt::TokenSettings, ttl: i64| buurtkracht::auth::jwt::mint_hs256(s, "u1", "resident", &[], ttl).unwrap();
    let cases = [
        ("Authorization", format!("Bearer {}", mint(&wrong_issuer, 600)), "issuer"),
        ("Authorization", format!("Bearer {}", mint(&wrong_audience, 600)), "audience"),
        ("Authorization", format!("Bearer {}", mint(&forged, 600)), "signature"),
        ("Authorization", format!("Bearer {}", mint(&tokens, -600)), "expired"),
        ("Authorization", "Bearer not-a-jwt".to_owned(), "malformed"),
        ("Authorization", "Basic dXNlcjpwdw==".to_owned(), "Bearer"),
        ("X-API-Key", "bk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(), "unknown"),
        ("X-API-Key", "secret".to_owned(), "malformed"),
    ];
    for (header, value, says) in cases {
        // Even on a public endpoint: bad credentials are refused, not read as anonymous.
        let resp = app.client.get("/v1/initiatives").header(header, value.clone()).send().await;
        let (s, v) = common::json(resp).await;
        assert_eq!(s, 401, "{header}: {value}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(says), "{says} not in {v}");
    }
});

api_test!(api_keys_are_shown_once_hashed_scoped_and_revocable, false, |app: TestApp| async move {
    let admin = common::zaanstad_admin();
    let (initiative, _) = common::new_initiative(&app, initiative_body("Taalcafé")).await;
    let (s, created) =
        common::post_as(&app, &admin, "/v1/keys", json!({"label": "Website taalcafé", "role": "organiser", "initiative_id": initiative}))
            .await;
    assert_eq!(s, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("bk_"));
    // Stored only as a hash.
    use sea_orm::EntityTrait;
    let rows = buurtkracht::store::entities::api_key::Entity::find().all(&app.app.state.db).await.unwrap();
    assert!(rows.iter().all(|r| r.hash != key && !r.hash.contains(&key[3..])));
    // Never listed.
    let (s, list) = common::get_as(&app, &admin, "/v1/keys").await;
    assert_eq!(s, 200);
    assert!(!list.to_string().contains(&key), "{list}");
    assert_eq!(list["items"][0]["gemeenten"], json!(["GM0479"]));

    // The key acts for its initiative, and only for it.
    let k = Auth::Key(key.clone());
    let (s, v) = common::patch_as(&app, &k, &format!("/v1/initiatives/{initiative}"), json!({"description": "Elke woensdag."})).await;
    assert_eq!(s, 200, "{v}");
    let (other, _) = common::new_initiative(&app, initiative_body("Ander")).await;
    let (s, _) = common::patch_as(&app, &k, &format!("/v1/initiatives/{other}"), json!({"description": "x"})).await;
    assert_eq!(s, 403);
    let (s, v) = common::post_as(
        &app,
        &k,
        "/v1/listings",
        json!({"kind": "offer", "title": "Gratis taalles", "description": "Op woensdag.", "categories": ["language"], "owner": {"initiative_id": initiative}}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    // Also accepted as a bearer credential.
    let (s, _) = common::get_as(&app, &Auth::Bearer(key.clone()), "/v1/me").await;
    assert_eq!(s, 200);

    // An admin may not make keys for another gemeente.
    let (s, _) = common::post_as(&app, &admin, "/v1/keys", json!({"label": "x", "role": "admin", "gemeenten": ["GM0363"]})).await;
    assert_eq!(s, 403);
    let (s, v) = common::post_as(&app, &admin, "/v1/keys", json!({"label": "x", "role": "admin", "gemeenten": ["WK047912"]})).await;
    common::assert_problem(s, &v, 400, "gemeenten[0]");

    // Revoked: refused at once.
    let id = created["info"]["id"].as_str().unwrap();
    let (s, _) = common::delete_as(&app, &admin, &format!("/v1/keys/{id}")).await;
    assert_eq!(s, 204);
    let (s, v) = common::get_as(&app, &k, "/v1/me").await;
    assert_eq!(s, 401, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("revoked"), "{v}");
});

api_test!(an_expired_key_is_refused, false, |app: TestApp| async move {
    let k = buurtkracht::store::accounts::NewKey {
        label: "old".into(),
        role: buurtkracht::auth::Role::Professional,
        gemeenten: vec!["GM0479".into()],
        initiative_id: None,
        created_by: "cli".into(),
        expires_at: Some(chrono::Utc::now() - chrono::Duration::minutes(1)),
    };
    let (_, key) = buurtkracht::store::accounts::create_key(&app.app.state.db, &k).await.unwrap();
    let (s, _) = common::get_as(&app, &Auth::Key(key), "/v1/people").await;
    assert_eq!(s, 401);
    // And a live professional key reads people in its gemeente.
    let key = common::admin_key(&app, &["GM0479"]).await;
    let (s, v) = common::get_as(&app, &key, "/v1/keys").await;
    assert_eq!(s, 200, "{v}");
});

api_test!(co_organisers_join_by_invitation_code, false, |app: TestApp| async move {
    let (initiative, organiser) = common::new_initiative(&app, initiative_body("Moestuin")).await;
    let (bram_id, bram) = common::poelenburg_person(&app, "Bram").await;
    let url = format!("/v1/initiatives/{initiative}");
    let (s, _) = common::patch_as(&app, &bram, &url, json!({"description": "x"})).await;
    assert_eq!(s, 403);
    let (s, inv) = common::post_as(&app, &organiser, &format!("{url}/invitations"), json!({})).await;
    assert_eq!(s, 201, "{inv}");
    let code = inv["code"].as_str().unwrap();
    let (s, v) = common::post_as(&app, &bram, "/v1/invitations/accept", json!({"code": code})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["initiative_id"], initiative.as_str());
    let (s, v) = common::patch_as(&app, &bram, &url, json!({"description": "Samen tuinieren."})).await;
    assert_eq!(s, 200, "{v}");
    // A code works once.
    let (_, carla) = common::poelenburg_person(&app, "Carla").await;
    let (s, v) = common::post_as(&app, &carla, "/v1/invitations/accept", json!({"code": code})).await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = common::post_as(&app, &carla, "/v1/invitations/accept", json!({"code": "bk_nonsense"})).await;
    common::assert_problem(s, &v, 422, "code");
    let (s, list) = common::get_as(&app, &organiser, &format!("{url}/organisers")).await;
    assert_eq!(s, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");
    // Bram steps down; the last organiser cannot.
    let (s, _) = common::delete_as(&app, &bram, &format!("{url}/organisers?person_id={bram_id}")).await;
    assert_eq!(s, 204);
    let first = list["items"][0]["person_id"].as_str().unwrap();
    let (s, v) = common::delete_as(&app, &organiser, &format!("{url}/organisers?person_id={first}")).await;
    assert_eq!(s, 409, "{v}");
});

api_test!(one_person_per_token_subject, false, |app: TestApp| async move {
    let auth = common::new_resident_token();
    let b = json!({"display_name": "Dirk", "home_point": {"lat": POELENBURG.0, "lng": POELENBURG.1}});
    let (s, p) = common::post_as(&app, &auth, "/v1/people", b.clone()).await;
    assert_eq!(s, 201, "{p}");
    let (s, v) = common::post_as(&app, &auth, "/v1/people", b.clone()).await;
    assert_eq!(s, 409, "{v}");
    let (s, me) = common::get_as(&app, &auth, "/v1/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["person"]["id"], p["id"]);
    assert_eq!(me["role"], "resident");
    // Keys and professionals have no person profile to create.
    let (s, _) = common::post_as(&app, &common::zaanstad_professional(), "/v1/people", b.clone()).await;
    assert_eq!(s, 403);
    let key = common::admin_key(&app, &["GM0479"]).await;
    let (s, _) = common::post_as(&app, &key, "/v1/people", b).await;
    assert_eq!(s, 403);
});

/// An issuer that signs with RS256: the service holds only its public key.
async fn rs256_app(engine: &'static str) -> Option<TestApp> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let public = dir.join("rs256-test-public.pem");
    let lookup = |k: &str| match k {
        "JWT_ISSUER" => Some("https://login.gemeente.example".to_owned()),
        "JWT_RS256_PUBLIC_KEY_FILE" => Some(public.display().to_string()),
        _ => None,
    };
    // Read through the settings, as a deployment would.
    let tokens = buurtkracht::config::Settings::from_lookup(lookup).unwrap().tokens;
    assert!(tokens.is_some());
    common::spawn_with(engine, false, |s| s.tokens = tokens).await
}

fn rs256_token(sub: &str, role: &str, issuer: &str) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    let pem = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rs256-test-private.pem")).unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": sub, "role": role, "iss": issuer, "aud": "buurtkracht", "exp": now + 600, "iat": now});
    encode(&Header::new(Algorithm::RS256), &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

macro_rules! rs256_test {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                ($body)(rs256_app("sqlite").await.expect("sqlite always runs")).await;
            }
            #[tokio::test]
            #[ignore = "needs PostgreSQL: TEST_DATABASE_URL=postgres://... cargo test -- --ignored"]
            async fn postgres() {
                ($body)(rs256_app("postgres").await.expect("TEST_DATABASE_URL must name a PostgreSQL server")).await;
            }
        }
    };
}

rs256_test!(rs256_tokens_verify_against_the_public_key, |app: TestApp| async move {
    let good = Auth::Bearer(rs256_token("burger-42", "resident", "https://login.gemeente.example"));
    let (s, me) = common::get_as(&app, &good, "/v1/me").await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["actor"], "token:burger-42");
    // The wrong issuer, and an HS256 token (even one signed with the public key as its secret), are refused.
    let (s, _) = common::get_as(&app, &Auth::Bearer(rs256_token("burger-42", "resident", "https://other.example")), "/v1/me").await;
    assert_eq!(s, 401);
    let public = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rs256-test-public.pem")).unwrap();
    let confused = buurtkracht::auth::jwt::TokenSettings {
        issuer: "https://login.gemeente.example".into(),
        audience: "buurtkracht".into(),
        key: buurtkracht::auth::jwt::TokenKey::Hs256(public),
    };
    let forged = buurtkracht::auth::jwt::mint_hs256(&confused, "burger-42", "admin", &["GM0479"], 600).unwrap();
    let (s, v) = common::get_as(&app, &Auth::Bearer(forged), "/v1/me").await;
    assert_eq!(s, 401, "{v}");
});

api_test!(a_claimed_idempotency_key_still_running_answers_409, false, |app: TestApp| async move {
    let (pid, me) = common::poelenburg_person(&app, "Joost").await;
    let body = json!({"kind": "offer", "title": "Fiets repareren", "description": "Zaterdag.", "categories": ["repair"], "owner": {"person_id": pid}});
    let Auth::Bearer(t) = &me else { unreachable!() };
    // The first request with this key has been claimed but has not answered yet.
    let sub = {
        let (_, v) = common::get_as(&app, &me, "/v1/me").await;
        v["actor"].as_str().unwrap().to_owned()
    };
    let scope = buurtkracht::store::idempotency::scope_of(&sub);
    let hash = buurtkracht::store::idempotency::fingerprint("POST", "/v1/listings", serde_json::to_string(&body).unwrap().as_bytes());
    let claim = buurtkracht::store::idempotency::claim(
        &app.app.state.db,
        &scope,
        "slow-1",
        &hash,
        &buurtkracht::store::idempotency::new_owner(),
        app.app.state.idempotency_lease,
    )
    .await
    .unwrap();
    assert_eq!(claim, buurtkracht::store::idempotency::Claim::Fresh);
    let resp = app
        .client
        .post("/v1/listings")
        .header("Authorization", format!("Bearer {t}"))
        .header("Idempotency-Key", "slow-1")
        .content_type("application/json")
        .body(serde_json::to_string(&body).unwrap())
        .send()
        .await;
    let (s, v) = common::json(resp).await;
    common::assert_problem(s, &v, 409, "Idempotency-Key");
    assert_eq!(v["code"], "idempotency_in_progress");
});

api_test!(admins_grant_professionals_their_gemeente, false, |app: TestApp| async move {
    let (pid, _) = common::poelenburg_person(&app, "Kees").await;
    // A professional whose token names no gemeente reads nobody ...
    let pro = common::token("pro-new", "professional", &[]);
    let url = format!("/v1/people/{pid}");
    let (s, _) = common::get_as(&app, &pro, &url).await;
    assert_eq!(s, 403);
    // ... until an admin of the gemeente grants it.
    let admin = common::zaanstad_admin();
    let (s, v) = common::post_as(&app, &admin, "/v1/professionals", json!({"subject": "pro-new", "gemeente": "GM0479"})).await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = common::get_as(&app, &pro, &url).await;
    assert_eq!(s, 200);
    let (s, me) = common::get_as(&app, &pro, "/v1/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["gemeenten"], json!(["GM0479"]));
    // Another gemeente's admin can neither grant here nor withdraw.
    let ams = common::token("admin-ams", "admin", &["GM0363"]);
    let (s, _) = common::post_as(&app, &ams, "/v1/professionals", json!({"subject": "pro-new", "gemeente": "GM0479"})).await;
    assert_eq!(s, 403);
    let (s, _) = common::delete_as(&app, &ams, "/v1/professionals?subject=pro-new&gemeente=GM0479").await;
    assert_eq!(s, 403);
    let (s, list) = common::get_as(&app, &admin, "/v1/professionals").await;
    assert_eq!(s, 200);
    assert_eq!(list["items"][0]["subject"], "pro-new");
    let (s, v) = common::post_as(&app, &admin, "/v1/professionals", json!({"subject": "pro-new", "gemeente": "Zaanstad"})).await;
    common::assert_problem(s, &v, 400, "gemeente");
    // Withdrawn: at the next request.
    let (s, _) = common::delete_as(&app, &admin, "/v1/professionals?subject=pro-new&gemeente=GM0479").await;
    assert_eq!(s, 204);
    let (s, _) = common::get_as(&app, &pro, &url).await;
    assert_eq!(s, 403);
    let (s, _) = common::delete_as(&app, &admin, "/v1/professionals?subject=pro-new&gemeente=GM0479").await;
    assert_eq!(s, 404);
    // Residents and professionals cannot grant.
    let (s, _) =
        common::post_as(&app, &common::zaanstad_professional(), "/v1/professionals", json!({"subject": "x", "gemeente": "GM0479"})).await;
    assert_eq!(s, 403);
});

// Requests that arrive together (the test client interleaves them at every database call).
api_test!(one_code_redeemed_twice_at_once_makes_one_organiser, false, |app: TestApp| async move {
    let (initiative, organiser) = common::new_initiative(&app, initiative_body("Moestuin")).await;
    let url = format!("/v1/initiatives/{initiative}");
    let (s, inv) = common::post_as(&app, &organiser, &format!("{url}/invitations"), json!({})).await;
    assert_eq!(s, 201, "{inv}");
    let code = json!({"code": inv["code"].as_str().unwrap()});
    let (_, bram) = common::poelenburg_person(&app, "Bram").await;
    let (_, carla) = common::poelenburg_person(&app, "Carla").await;
    let (a, b) = tokio::join!(
        common::post_as(&app, &bram, "/v1/invitations/accept", code.clone()),
        common::post_as(&app, &carla, "/v1/invitations/accept", code.clone())
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let (_, list) = common::get_as(&app, &organiser, &format!("{url}/organisers")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");
});

api_test!(two_organisers_leaving_at_once_leave_one, false, |app: TestApp| async move {
    let (initiative, organiser) = common::new_initiative(&app, initiative_body("Moestuin")).await;
    let url = format!("/v1/initiatives/{initiative}");
    let (s, inv) = common::post_as(&app, &organiser, &format!("{url}/invitations"), json!({})).await;
    assert_eq!(s, 201, "{inv}");
    let (bram_id, bram) = common::poelenburg_person(&app, "Bram").await;
    let (s, v) = common::post_as(&app, &bram, "/v1/invitations/accept", json!({"code": inv["code"]})).await;
    assert_eq!(s, 200, "{v}");
    let (_, list) = common::get_as(&app, &organiser, &format!("{url}/organisers")).await;
    let first = list["items"][0]["person_id"].as_str().unwrap().to_owned();
    let (me, them) = (format!("{url}/organisers?person_id={first}"), format!("{url}/organisers?person_id={bram_id}"));
    let (a, b) = tokio::join!(common::delete_as(&app, &organiser, &me), common::delete_as(&app, &bram, &them));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [204, 409], "{a:?} {b:?}");
    let (_, list) = common::get_as(&app, &organiser, &format!("{url}/organisers")).await;
    let (_, list2) = common::get_as(&app, &bram, &format!("{url}/organisers")).await;
    let left = list["items"].as_array().map_or(0, Vec::len).max(list2["items"].as_array().map_or(0, Vec::len));
    assert_eq!(left, 1, "{list} {list2}");
});

//! A generated gemeente at the size of a large one, for the kaart, kompas and write benchmarks:
//! three years of listings (most of them closed or expired by now, as listings are), the
//! volunteers and initiatives that answer them, and the matches, referrals, feedback, network
//! memberships, support requests and residents' answers that followed.
//!
//! Everything is written in bulk below the service (the service would take hours for three
//! years), with the columns the service would write, dated in the past through
//! [`clock::at`] where the store dates rows itself. It uses only store functions and entities
//! that existed before issue 16, so the same program measures a commit before it.

use std::time::Instant;

use buurtkracht::domain::clock;
use buurtkracht::domain::items::{ListingFields, Owner};
use buurtkracht::domain::referral::{ReferralDeclineReason, ReferralOutcome};
use buurtkracht::domain::support::{SupportKind, SupportStatus};
use buurtkracht::domain::{
    ActivityCategory, BoundedText, CellId, ConsentScope, Coordinates, InitiativeKind, ListingKind, ListingStatus, LocationPrecision,
    ZrmDomain,
};
use buurtkracht::geo::{AreaIndex, storage_cell};
use buurtkracht::store::consents::{self, Grantee, NewConsent};
use buurtkracht::store::entities::{
    experience, initiative, listing, match_feedback, match_row, network_member, person, referral, referral_event, support_request,
    volunteer,
};
use buurtkracht::store::listings::{self, ListingPlace};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

/// The gemeente the town is generated in: Amsterdam, the largest in the CBS data.
pub const GEMEENTE: &str = "GM0363";

/// How long the history runs.
pub const YEARS: i64 = 3;

/// How many rows of each kind.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Offers and requests over the years.
    pub listings: usize,
    /// Volunteer profiles (each its own person).
    pub volunteers: usize,
    /// Initiatives.
    pub initiatives: usize,
    /// Matches over the years.
    pub matches: usize,
    /// Referrals over the years.
    pub referrals: usize,
    /// Residents who ask and offer.
    pub residents: usize,
}

impl Size {
    /// The sizes from `--listings`, `--volunteers`, `--initiatives`, `--matches`, `--referrals`.
    pub fn from_args() -> anyhow::Result<Self> {
        let n = |name: &str, default: usize| -> anyhow::Result<usize> {
            Ok(super::arg(name).map(|v| v.parse()).transpose()?.unwrap_or(default))
        };
        Ok(Self {
            listings: n("--listings", 1_000_000)?,
            volunteers: n("--volunteers", 100_000)?,
            initiatives: n("--initiatives", 20_000)?,
            matches: n("--matches", 250_000)?,
            referrals: n("--referrals", 250_000)?,
            residents: n("--residents", 30_000)?,
        })
    }
}

/// How many fresh proposals and referrals wait for the write benchmark's helpers.
pub const FRESH: usize = 2_000;

const MATCH_DECLINES: [&str; 6] = ["not_available", "too_far", "not_a_fit", "no_capacity", "no_longer_needed", "other"];

/// A point inside the gemeente.
pub fn point(index: &AreaIndex, rng: &mut SmallRng) -> Coordinates {
    loop {
        let p = Coordinates::parse(rng.random_range(52.28..52.43), rng.random_range(4.73..5.07)).unwrap();
        if index.locate(p).is_some_and(|a| a.gemeente_code == GEMEENTE) {
            return p;
        }
    }
}

fn pick<T: Copy>(rng: &mut SmallRng, all: &[T]) -> T {
    all[rng.random_range(0..all.len())]
}

fn categories(rng: &mut SmallRng) -> Vec<ActivityCategory> {
    let mut v = vec![pick(rng, ActivityCategory::ALL)];
    if rng.random_bool(0.4) {
        let c = pick(rng, ActivityCategory::ALL);
        if !v.contains(&c) {
            v.push(c);
        }
    }
    v
}

fn codes<T: Copy>(v: &[T], code: impl Fn(T) -> &'static str) -> String {
    v.iter().map(|c| code(*c)).collect::<Vec<_>>().join(",")
}

/// A person at a home cell (resolution 8, the default precision).
fn person_row(i: usize, p: Coordinates, index: &AreaIndex, at: DateTime<Utc>) -> person::ActiveModel {
    let cell = CellId::new(p.cell(LocationPrecision::DEFAULT.resolution()));
    let placed = index.locate(p).unwrap();
    person::ActiveModel {
        id: Set(Uuid::now_v7()),
        display_name: Set(format!("Bewoner {i}")),
        languages: Set("nl".into()),
        contact_email: Set(Some(format!("bewoner{i}@mail.example"))),
        contact_phone: Set(None),
        home_cell: Set(cell.to_db()),
        location_precision: Set(8),
        index_cell: Set(storage_cell(Coordinates::of_cell_centre(cell.index())).to_db()),
        gemeente_code: Set(placed.gemeente_code),
        wijk_code: Set(placed.wijk_code),
        created_at: Set(at),
        updated_at: Set(at),
        subject: Set(None),
    }
}

/// A person's place, as a listing of theirs takes it.
#[derive(Debug, Clone)]
struct Home {
    id: Uuid,
    cell: i64,
    index_cell: i64,
    gemeente: String,
    wijk: String,
}

fn home_of(m: &person::ActiveModel) -> Home {
    Home {
        id: *m.id.as_ref(),
        cell: *m.home_cell.as_ref(),
        index_cell: *m.index_cell.as_ref(),
        gemeente: m.gemeente_code.as_ref().clone(),
        wijk: m.wijk_code.as_ref().clone(),
    }
}

#[derive(Debug, Clone)]
struct Ini {
    id: Uuid,
    kind: InitiativeKind,
    point: Coordinates,
    gemeente: String,
    wijk: String,
}

/// A request as the matches and referrals need it.
#[derive(Debug, Clone, Copy)]
struct Req {
    id: Uuid,
    owner: Uuid,
    created: DateTime<Utc>,
}

async fn insert_chunked<E, A>(db: &impl ConnectionTrait, rows: Vec<A>, chunk: usize) -> anyhow::Result<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Clone + Send,
{
    for c in rows.chunks(chunk) {
        E::insert_many(c.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Opens the database `--database-url` names (default: a new SQLite file), migrates it, loads
/// the boundaries, makes sure it holds the town, and gives the URL and the service's state.
pub async fn open() -> anyhow::Result<(String, buurtkracht::service::State)> {
    let url = super::arg("--database-url").unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("buurtkracht-town-{}.db", std::process::id()));
        format!("sqlite://{}?mode=rwc", path.display())
    });
    let db = buurtkracht::store::connect(&url).await?;
    buurtkracht::store::migrate(&db).await?;
    buurtkracht::store::areas::ensure_loaded(&db).await?;
    let index = buurtkracht::store::areas::load_index(&db).await?;
    ensure(&db, &index, Size::from_args()?).await?;
    let state = buurtkracht::service::State {
        db,
        areas: index,
        tokens: None,
        search: None,
        delivery: Default::default(),
        idempotency_lease: Duration::seconds(60),
    };
    Ok((url, state))
}

/// Makes sure the database holds the town, generating it when it holds no listing of
/// [`GEMEENTE`]; a database kept from an earlier run is used as it is.
pub async fn ensure(db: &DatabaseConnection, index: &AreaIndex, size: Size) -> anyhow::Result<()> {
    let existing = listing::Entity::find().filter(listing::Column::GemeenteCode.eq(GEMEENTE)).count(db).await?;
    if existing > 0 {
        println!("reusing the town already in the database ({existing} listings of {GEMEENTE})");
        return Ok(());
    }
    generate(db, index, size).await
}

async fn generate(db: &DatabaseConnection, index: &AreaIndex, size: Size) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut rng = SmallRng::seed_from_u64(16);
    let now = Utc::now();
    let start = now - Duration::days(365 * YEARS);
    let day = |rng: &mut SmallRng| start + Duration::minutes(rng.random_range(0..365 * YEARS * 24 * 60));

    // People: residents who ask and offer, and the volunteers, each with a home cell.
    let t = Instant::now();
    let residents: Vec<person::ActiveModel> = (0..size.residents).map(|i| person_row(i, point(index, &mut rng), index, start)).collect();
    let volunteer_people: Vec<person::ActiveModel> =
        (0..size.volunteers).map(|i| person_row(size.residents + i, point(index, &mut rng), index, start)).collect();
    let resident_homes: Vec<Home> = residents.iter().map(home_of).collect();
    let volunteer_homes: Vec<Home> = volunteer_people.iter().map(home_of).collect();
    let txn = db.begin().await?;
    insert_chunked(&txn, residents, 1_000).await?;
    insert_chunked(&txn, volunteer_people, 1_000).await?;
    let mut volunteers = Vec::with_capacity(size.volunteers);
    let vols: Vec<volunteer::ActiveModel> = volunteer_homes
        .iter()
        .map(|h| {
            let id = Uuid::now_v7();
            volunteers.push((id, h.id));
            let created = day(&mut rng);
            volunteer::ActiveModel {
                id: Set(id),
                person_id: Set(h.id),
                skills: Set(codes(&categories(&mut rng), ActivityCategory::code)),
                zrm_domains: Set(pick(&mut rng, ZrmDomain::ALL).code().into()),
                languages: Set("nl".into()),
                availability: Set("[]".into()),
                max_travel_m: Set(pick(&mut rng, &[500, 1_000, 1_500, 2_000, 3_000, 5_000])),
                has_vog: Set(rng.random_bool(0.5)),
                status: Set(if rng.random_bool(0.9) { "active" } else { "paused" }.into()),
                cell: Set(h.cell),
                index_cell: Set(h.index_cell),
                gemeente_code: Set(h.gemeente.clone()),
                wijk_code: Set(h.wijk.clone()),
                created_at: Set(created),
                updated_at: Set(created),
            }
        })
        .collect();
    insert_chunked(&txn, vols, 1_000).await?;

    let mut inis = Vec::with_capacity(size.initiatives);
    let mut ini_rows = Vec::with_capacity(size.initiatives);
    for i in 0..size.initiatives {
        let p = point(index, &mut rng);
        let placed = index.locate(p).unwrap();
        let kind = pick(&mut rng, InitiativeKind::ALL);
        let created = day(&mut rng);
        inis.push(Ini { id: Uuid::now_v7(), kind, point: p, gemeente: placed.gemeente_code.clone(), wijk: placed.wijk_code.clone() });
        ini_rows.push(initiative::ActiveModel {
            id: Set(inis[i].id),
            name: Set(format!("Initiatief {i}")),
            description: Set("Samen koffie, een praatje en een handje hulp".into()),
            kind: Set(kind.code().into()),
            categories: Set(codes(&categories(&mut rng), ActivityCategory::code)),
            zrm_domains: Set(pick(&mut rng, ZrmDomain::ALL).code().into()),
            lat: Set(p.lat()),
            lng: Set(p.lng()),
            address_street: Set(None),
            address_house_number: Set(None),
            address_postcode: Set(None),
            address_city: Set(None),
            schedule: Set("[]".into()),
            schedule_note: Set(None),
            contact_email: Set(Some(format!("initiatief{i}@mail.example"))),
            contact_phone: Set(None),
            contact_website: Set(None),
            languages: Set("nl".into()),
            accessibility: Set(None),
            cost_kind: Set("free".into()),
            cost_note: Set(None),
            capacity: Set(if rng.random_bool(0.6) { Some(rng.random_range(3..40)) } else { None }),
            status: Set(if rng.random_bool(0.9) { "active" } else { "paused" }.into()),
            last_confirmed_at: Set(Some(created)),
            index_cell: Set(storage_cell(p).to_db()),
            gemeente_code: Set(placed.gemeente_code),
            wijk_code: Set(placed.wijk_code),
            created_at: Set(created),
            updated_at: Set(created),
        });
    }
    insert_chunked(&txn, ini_rows, 500).await?;
    txn.commit().await?;
    println!(
        "{} residents, {} volunteers, {} initiatives in {:.1} s",
        size.residents,
        size.volunteers,
        size.initiatives,
        t.elapsed().as_secs_f64()
    );

    // Listings over the years, written in date order so each chunk carries its own date.
    let t = Instant::now();
    let mut planned: Vec<(DateTime<Utc>, ListingFields, ListingPlace)> = Vec::with_capacity(size.listings);
    for i in 0..size.listings {
        let created = day(&mut rng);
        let kind = if rng.random_bool(0.5) { ListingKind::Request } else { ListingKind::Offer };
        let by_initiative = kind == ListingKind::Offer && rng.random_bool(0.15);
        let (owner, place) = if by_initiative {
            let ini = &inis[rng.random_range(0..inis.len())];
            let cell = storage_cell(ini.point).to_db();
            (
                Owner::Initiative(ini.id),
                ListingPlace {
                    cell,
                    index_cell: cell,
                    point: Some((ini.point.lat(), ini.point.lng())),
                    gemeente_code: ini.gemeente.clone(),
                    wijk_code: ini.wijk.clone(),
                },
            )
        } else {
            let h = &resident_homes[rng.random_range(0..resident_homes.len())];
            (
                Owner::Person(h.id),
                ListingPlace {
                    cell: h.cell,
                    index_cell: h.index_cell,
                    point: None,
                    gemeente_code: h.gemeente.clone(),
                    wijk_code: h.wijk.clone(),
                },
            )
        };
        let valid_until = created + Duration::days(rng.random_range(14..=90));
        // Most listings end before they expire: matched or closed by their owner.
        let status = if valid_until < now {
            pick(&mut rng, &[ListingStatus::Closed, ListingStatus::Matched, ListingStatus::Open])
        } else if rng.random_bool(0.85) {
            ListingStatus::Open
        } else {
            pick(&mut rng, &[ListingStatus::Closed, ListingStatus::Matched])
        };
        let title = if kind == ListingKind::Request { "Hulp gezocht in de buurt" } else { "Ik help graag in de buurt" };
        planned.push((
            created,
            ListingFields {
                kind,
                title: BoundedText::parse(title, 200)?,
                description: BoundedText::parse(&format!("{title}, nummer {i}."), 5000)?,
                categories: categories(&mut rng),
                zrm_domains: vec![pick(&mut rng, ZrmDomain::ALL)],
                owner,
                availability: vec![],
                languages: vec![],
                valid_until,
                status,
            },
            place,
        ));
    }
    planned.sort_by_key(|(at, ..)| *at);
    for chunk in planned.chunks(2_000) {
        let at = chunk[0].0;
        let items: Vec<(ListingFields, ListingPlace)> = chunk.iter().map(|(_, f, p)| (f.clone(), p.clone())).collect();
        let txn = db.begin().await?;
        clock::at(at, listings::bulk_insert(&txn, &items)).await?;
        txn.commit().await?;
    }
    drop(planned);
    println!("{} listings in {:.1} s", size.listings, t.elapsed().as_secs_f64());

    // The ids bulk_insert gave, with the dates and owners the matches and referrals need.
    let requests: Vec<Req> = listing::Entity::find()
        .select_only()
        .columns([listing::Column::Id, listing::Column::OwnerPersonId, listing::Column::CreatedAt])
        .filter(listing::Column::GemeenteCode.eq(GEMEENTE))
        .filter(listing::Column::Kind.eq("request"))
        .into_tuple::<(Uuid, Option<Uuid>, DateTime<Utc>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, owner, created)| owner.map(|owner| Req { id, owner, created }))
        .collect();
    let offers: Vec<(Uuid, Uuid)> = listing::Entity::find()
        .select_only()
        .columns([listing::Column::Id, listing::Column::OwnerPersonId])
        .filter(listing::Column::GemeenteCode.eq(GEMEENTE))
        .filter(listing::Column::Kind.eq("offer"))
        .filter(listing::Column::OwnerPersonId.is_not_null())
        .into_tuple::<(Uuid, Option<Uuid>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, owner)| owner.map(|o| (id, o)))
        .collect();

    // Matches, their feedback, the networks they grew, and residents' answers.
    let t = Instant::now();
    let mut rows = Vec::with_capacity(size.matches);
    let mut feedback = Vec::new();
    let mut members: std::collections::HashSet<(Uuid, Uuid)> = Default::default();
    let mut member_rows = Vec::new();
    let mut answers = Vec::new();
    let wijk_of: std::collections::HashMap<Uuid, String> = resident_homes.iter().map(|h| (h.id, h.wijk.clone())).collect();
    for _ in 0..size.matches {
        let r = requests[rng.random_range(0..requests.len())];
        let proposed = (r.created + Duration::minutes(rng.random_range(0..7 * 24 * 60))).min(now);
        let (helper_kind, helper_id, helper_person, helper_ini) = match rng.random_range(0..10) {
            0..=3 => {
                let (id, owner) = offers[rng.random_range(0..offers.len())];
                ("offer", id, Some(owner), None)
            }
            4..=6 => {
                let (id, person) = volunteers[rng.random_range(0..volunteers.len())];
                ("volunteer", id, Some(person), None)
            }
            _ => {
                let ini = &inis[rng.random_range(0..inis.len())];
                ("initiative", ini.id, None, Some(ini.id))
            }
        };
        let step = |rng: &mut SmallRng, from: DateTime<Utc>, max_days: i64| {
            (from + Duration::minutes(rng.random_range(1..max_days * 24 * 60))).min(now)
        };
        let req_acc = step(&mut rng, proposed, 3);
        let help_acc = step(&mut rng, proposed, 3);
        let accepted = req_acc.max(help_acc);
        let roll: f64 = rng.random();
        let (status, ra, ha, reason, updated) = match roll {
            x if x < 0.40 => ("completed", Some(req_acc), Some(help_acc), None, step(&mut rng, accepted, 30)),
            x if x < 0.55 => ("accepted", Some(req_acc), Some(help_acc), None, accepted),
            x if x < 0.75 => ("declined", Some(req_acc), None, Some(pick(&mut rng, &MATCH_DECLINES)), help_acc),
            x if x < 0.85 => ("cancelled", Some(req_acc), None, None, step(&mut rng, proposed, 5)),
            _ => ("proposed", None, None, None, proposed),
        };
        let id = Uuid::now_v7();
        rows.push(match_row::ActiveModel {
            id: Set(id),
            request_id: Set(r.id),
            helper_kind: Set(helper_kind.into()),
            helper_id: Set(helper_id),
            requester_person_id: Set(Some(r.owner)),
            requester_initiative_id: Set(None),
            helper_person_id: Set(helper_person),
            helper_initiative_id: Set(helper_ini),
            gemeente_code: Set(GEMEENTE.into()),
            status: Set(status.into()),
            requester_accepted_at: Set(ra),
            helper_accepted_at: Set(ha),
            proposed_by: Set("token:bench-professional".into()),
            proposed_at: Set(proposed),
            decline_reason: Set(reason.map(Into::into)),
            declined_by: Set(reason.map(|_| "helper".into())),
            updated_at: Set(updated),
        });
        if status == "completed" {
            if rng.random_bool(0.3) {
                feedback.push(match_feedback::ActiveModel {
                    match_id: Set(id),
                    side: Set("requester".into()),
                    rating: Set(rng.random_range(1..=5)),
                    comment: Set(None),
                    no_show: Set(rng.random_bool(0.05)),
                    created_at: Set(updated),
                });
            }
            if let Some(ini) = helper_ini
                && rng.random_bool(0.3)
                && members.insert((r.owner, ini))
            {
                member_rows.push(network_member::ActiveModel { person_id: Set(r.owner), initiative_id: Set(ini), joined_at: Set(updated) });
            }
            if rng.random_bool(0.2) {
                let score = |rng: &mut SmallRng| Set(Some(rng.random_range(1..=5i16)));
                answers.push(experience::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    person_id: Set(r.owner),
                    subject_kind: Set("match".into()),
                    subject_id: Set(id),
                    gemeente_code: Set(GEMEENTE.into()),
                    wijk_code: Set(wijk_of.get(&r.owner).cloned().unwrap_or_default()),
                    listened: score(&mut rng),
                    fitted: score(&mut rng),
                    quick: score(&mut rng),
                    manage_better: score(&mut rng),
                    quality_of_life: score(&mut rng),
                    recommend: score(&mut rng),
                    comment: Set(None),
                    share_comment: Set(false),
                    created_at: Set(updated),
                    updated_at: Set(updated),
                });
            }
        }
    }
    // Fresh proposals the write benchmark's volunteers accept: the requester has said yes.
    for _ in 0..FRESH {
        let r = requests[rng.random_range(0..requests.len())];
        let (vid, person) = volunteers[rng.random_range(0..volunteers.len())];
        let proposed = now - Duration::hours(rng.random_range(1..48));
        rows.push(match_row::ActiveModel {
            id: Set(Uuid::now_v7()),
            request_id: Set(r.id),
            helper_kind: Set("volunteer".into()),
            helper_id: Set(vid),
            requester_person_id: Set(Some(r.owner)),
            requester_initiative_id: Set(None),
            helper_person_id: Set(Some(person)),
            helper_initiative_id: Set(None),
            gemeente_code: Set(GEMEENTE.into()),
            status: Set("proposed".into()),
            requester_accepted_at: Set(Some(proposed)),
            helper_accepted_at: Set(None),
            proposed_by: Set("token:bench-fresh".into()),
            proposed_at: Set(proposed),
            decline_reason: Set(None),
            declined_by: Set(None),
            updated_at: Set(proposed),
        });
    }
    let txn = db.begin().await?;
    insert_chunked(&txn, rows, 1_000).await?;
    insert_chunked(&txn, feedback, 2_000).await?;
    insert_chunked(&txn, member_rows, 5_000).await?;
    insert_chunked(&txn, answers, 1_000).await?;
    txn.commit().await?;
    println!("{} matches with feedback, memberships and answers in {:.1} s", size.matches + FRESH, t.elapsed().as_secs_f64());

    // Referrals with their histories, in the proportions of the wijkteam's work.
    let t = Instant::now();
    let mut rows = Vec::with_capacity(size.referrals);
    let mut events = Vec::with_capacity(size.referrals * 3);
    for i in 0..size.referrals + FRESH {
        let fresh = i >= size.referrals;
        let r = requests[rng.random_range(0..requests.len())];
        let created = if fresh {
            now - Duration::hours(rng.random_range(1..96))
        } else {
            (r.created + Duration::minutes(rng.random_range(0..14 * 24 * 60))).min(now)
        };
        let roll: f64 = if fresh { 0.0 } else { rng.random() };
        let path: &[&str] = match roll {
            x if x < 0.15 => &["sent"],
            x if x < 0.25 => &["sent", "accepted"],
            x if x < 0.35 => &["sent", "accepted", "in_progress"],
            x if x < 0.45 => &["sent", "declined"],
            x if x < 0.90 => &["sent", "accepted", "in_progress", "closed"],
            _ => &["sent", "cancelled"],
        };
        let id = Uuid::now_v7();
        let mut at = created;
        let mut code = None;
        for (seq, state) in path.iter().enumerate() {
            if seq > 0 {
                at = (at + Duration::minutes(rng.random_range(60..20 * 24 * 60))).min(now);
            }
            code = match *state {
                "declined" => Some(pick(&mut rng, ReferralDeclineReason::ALL).code()),
                "closed" => Some(pick(&mut rng, ReferralOutcome::ALL).code()),
                _ => None,
            };
            events.push(referral_event::ActiveModel {
                referral_id: Set(id),
                seq: Set(seq as i32),
                state: Set((*state).into()),
                party: Set(if seq == 0 || *state == "cancelled" { "professional" } else { "helper" }.into()),
                actor: Set(format!("token:bench-pro-{}", i % 40)),
                code: Set(code.map(Into::into)),
                at: Set(at),
            });
        }
        let last = *path.last().unwrap();
        // Fresh ones go to volunteers: an initiative may have no place left for another.
        let by_volunteer = fresh || rng.random_bool(0.4);
        let (kind, helper_id, helper_person, helper_ini) = if by_volunteer {
            let (vid, person) = volunteers[rng.random_range(0..volunteers.len())];
            ("volunteer", vid, Some(person), None)
        } else {
            let ini = &inis[rng.random_range(0..inis.len())];
            ("initiative", ini.id, None, Some(ini.id))
        };
        rows.push(referral::ActiveModel {
            id: Set(id),
            request_id: Set(Some(r.id)),
            resident_person_id: Set(Some(r.owner)),
            helper_kind: Set(kind.into()),
            helper_id: Set(Some(helper_id)),
            helper_person_id: Set(helper_person),
            helper_initiative_id: Set(helper_ini),
            gemeente_code: Set(GEMEENTE.into()),
            wijk_code: Set(wijk_of.get(&r.owner).cloned().unwrap_or_default()),
            state: Set(last.into()),
            decline_reason: Set(if last == "declined" { code.map(Into::into) } else { None }),
            outcome: Set(if last == "closed" { code.map(Into::into) } else { None }),
            note: Set(Some("Graag contact opnemen.".into())),
            request_recorded: Set(false),
            consent_id: Set(None),
            referred_by: Set(format!("token:bench-pro-{}", i % 40)),
            created_at: Set(created),
            updated_at: Set(at),
            closed_at: Set((last == "closed").then_some(at)),
        });
    }
    // The fresh referrals' residents consent to referrals, as the service requires before a
    // helper may accept.
    let txn = db.begin().await?;
    for row in rows.iter_mut().skip(size.referrals) {
        let resident = row.resident_person_id.as_ref().unwrap();
        let c = consents::create(
            &txn,
            resident,
            &NewConsent {
                purpose: "Doorverwijzing".into(),
                grantee: Grantee::Wijkteam(GEMEENTE.to_owned()),
                scope: vec![ConsentScope::Referral],
                valid_from: now - Duration::days(30),
                valid_until: None,
            },
        )
        .await?;
        row.consent_id = Set(Some(c.id));
    }
    insert_chunked(&txn, rows, 1_000).await?;
    insert_chunked(&txn, events, 2_000).await?;
    txn.commit().await?;
    println!("{} referrals with histories in {:.1} s", size.referrals + FRESH, t.elapsed().as_secs_f64());

    // Initiatives ask the wijkteam for support.
    let support: Vec<support_request::ActiveModel> = (0..size.initiatives / 4)
        .map(|i| {
            let ini = &inis[rng.random_range(0..inis.len())];
            let created = day(&mut rng);
            support_request::ActiveModel {
                id: Set(Uuid::now_v7()),
                initiative_id: Set(ini.id),
                gemeente_code: Set(ini.gemeente.clone()),
                wijk_code: Set(ini.wijk.clone()),
                kind: Set(pick(&mut rng, SupportKind::ALL).code().into()),
                description: Set(format!("Wij vragen steun, nummer {i}.")),
                amount_cents: Set(None),
                wished_date: Set(None),
                status: Set(pick(&mut rng, SupportStatus::ALL).code().into()),
                submitted_by_person_id: Set(None),
                granted_note: Set(None),
                granted_amount_cents: Set(None),
                decline_reason: Set(None),
                decline_note: Set(None),
                change_id: Set(Uuid::now_v7()),
                created_at: Set(created),
                updated_at: Set(created),
            }
        })
        .collect();
    let n_support = support.len();
    let txn = db.begin().await?;
    insert_chunked(&txn, support, 1_000).await?;
    txn.commit().await?;
    println!("{n_support} support requests");

    db.execute_unprepared("ANALYZE").await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    println!("the town of {GEMEENTE} generated and loaded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

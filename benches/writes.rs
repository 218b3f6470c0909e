//! Three writes through the service layer on the generated large gemeente
//! ([`common::town`]): a resident creates a listing, a volunteer accepts a proposal the
//! requester already accepted (the match becomes accepted), a helper accepts a referral. What
//! `POST /v1/listings`, `POST /v1/matches/{id}/accept` and `POST /v1/referrals/{id}/accept` run
//! below the handler, taken in turn so that all three see the same conditions.
//!
//!     cargo bench --bench writes -- --writes 500 [--listings 1000000 …] [--database-url URL]
//!
//! It uses only what existed before issue 16, so the same file measures a commit before it
//! (copied there, not committed) against the same generated data: the cost the kaart and
//! kompas add to writes.

mod common;

use common::{arg, percentile, town};

use std::time::{Duration, Instant};

use buurtkracht::auth::{Credential, Principal, Role};
use buurtkracht::domain::items::{ListingFields, Owner};
use buurtkracht::domain::referral::Step as ReferralStep;
use buurtkracht::domain::{ActivityCategory, BoundedText, ListingKind, ListingStatus, ZrmDomain};
use buurtkracht::service::matches::Step as MatchStep;
use buurtkracht::store::entities::{match_row, person, referral};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

fn resident(person: uuid::Uuid) -> Principal {
    Principal {
        role: Role::Resident,
        credential: Credential::Token { subject: format!("bench-{person}") },
        person_id: Some(person),
        gemeenten: vec![],
        initiatives: vec![],
    }
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    let mean = times.iter().sum::<Duration>().as_secs_f64() / times.len().max(1) as f64;
    println!(
        "{name:<28} n={:<5} mean {:>6.2} ms  p50 {:>6.2} ms  p99 {:>6.2} ms",
        times.len(),
        mean * 1e3,
        percentile(times, 0.5).as_secs_f64() * 1e3,
        percentile(times, 0.99).as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let writes: usize = arg("--writes").map(|v| v.parse()).transpose()?.unwrap_or(500).min(town::FRESH / 2);
    let (url, state) = town::open().await?;
    let db = state.db.clone();

    let people: Vec<uuid::Uuid> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(person::Column::GemeenteCode.eq(town::GEMEENTE))
        .limit(writes as u64)
        .into_tuple()
        .all(&db)
        .await?;
    let proposals: Vec<match_row::Model> = match_row::Entity::find()
        .filter(match_row::Column::ProposedBy.eq("token:bench-fresh"))
        .filter(match_row::Column::Status.eq("proposed"))
        .filter(match_row::Column::HelperAcceptedAt.is_null())
        .limit(writes as u64)
        .all(&db)
        .await?;
    let referrals: Vec<referral::Model> = referral::Entity::find()
        .filter(referral::Column::ConsentId.is_not_null())
        .filter(referral::Column::State.eq("sent"))
        .filter(referral::Column::HelperPersonId.is_not_null())
        .limit(writes as u64)
        .all(&db)
        .await?;
    anyhow::ensure!(
        proposals.len() == writes && referrals.len() == writes,
        "the database has {} fresh proposals and {} fresh referrals left; generate a new one",
        proposals.len(),
        referrals.len()
    );

    let (mut create, mut accept_match, mut accept_referral) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..writes {
        let owner = people[i % people.len()];
        let fields = ListingFields {
            kind: if i % 2 == 0 { ListingKind::Request } else { ListingKind::Offer },
            title: BoundedText::parse("Hulp bij de boodschappen", 200)?,
            description: BoundedText::parse(&format!("Op dinsdagochtend, nummer {i}."), 5000)?,
            categories: vec![ActivityCategory::ALL[i % ActivityCategory::ALL.len()]],
            zrm_domains: vec![ZrmDomain::ALL[i % ZrmDomain::ALL.len()]],
            owner: Owner::Person(owner),
            availability: vec![],
            languages: vec![],
            valid_until: chrono::Utc::now() + chrono::Duration::days(30),
            status: ListingStatus::Open,
        };
        let t = Instant::now();
        buurtkracht::service::listings::create(&state, &resident(owner), fields).await?;
        create.push(t.elapsed());

        let m = &proposals[i];
        let t = Instant::now();
        buurtkracht::service::matches::step(&state, &resident(m.helper_person_id.unwrap()), m.id, MatchStep::Accept).await?;
        accept_match.push(t.elapsed());

        let r = &referrals[i];
        let helper = match (r.helper_person_id, r.helper_initiative_id) {
            (Some(person), _) => resident(person),
            (None, Some(ini)) => Principal {
                role: Role::Organiser,
                credential: Credential::Token { subject: format!("bench-organiser-{ini}") },
                person_id: None,
                gemeenten: vec![],
                initiatives: vec![ini],
            },
            _ => anyhow::bail!("referral {} has no helper", r.id),
        };
        let t = Instant::now();
        buurtkracht::service::referrals::step(&state, &helper, r.id, ReferralStep::Accept).await?;
        accept_referral.push(t.elapsed());
    }
    println!("{writes} of each write on {}", if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" });
    report("create listing", &mut create);
    report("accept match (both sides)", &mut accept_match);
    report("accept referral", &mut accept_referral);
    Ok(())
}

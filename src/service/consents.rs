//! Consents a person gives: who may see what of them, from when until when, withdrawable.

use uuid::Uuid;

use super::State;
use super::error::{Error, Result};
use crate::auth::Principal;
use crate::domain::ConsentScope;
use crate::store::audit::{Action, Entry};
pub use crate::store::consents::{Grantee, NewConsent, in_force};
pub use crate::store::entities::consent::Model as Consent;
use crate::store::{self, Conn, consents as rows, locks};

/// The caller's own person, or forbidden when they have no profile.
pub fn own_person_id(p: &Principal) -> Result<Uuid> {
    p.person_id.ok_or_else(|| Error::forbidden("this is about your own person profile; create one first (POST /v1/people)"))
}

async fn audit(db: &impl Conn, p: &Principal, m: &Consent, action: Action, endpoint: &'static str) -> Result<()> {
    let gemeente = store::people::get(db, m.person_id).await?.map(|p| p.gemeente_code);
    let entry = Entry {
        actor: p,
        person_id: m.person_id,
        gemeente: gemeente.as_deref(),
        action,
        resource: "consent",
        resource_id: Some(m.id),
        endpoint,
    };
    store::audit::record(db, &[entry]).await?;
    Ok(())
}

/// Records a consent the caller gives, for themself only.
pub async fn give(state: &State, p: &Principal, c: NewConsent) -> Result<Consent> {
    let me = own_person_id(p)?;
    // A referral is the wijkteam's act: the scope means nothing given to anyone else.
    if c.scope.contains(&ConsentScope::Referral) && !matches!(c.grantee, Grantee::Wijkteam(_)) {
        return Err(Error::invalid("scope", "`referral` is given to a wijkteam (grantee.wijkteam_gemeente)"));
    }
    let txn = locks::begin_write(&state.db).await?;
    let m = rows::create(&txn, me, &c).await?;
    audit(&txn, p, &m, Action::Create, "POST /v1/consents").await?;
    txn.commit().await?;
    Ok(m)
}

/// The caller's consents, newest first.
pub async fn list(state: &State, p: &Principal) -> Result<Vec<Consent>> {
    Ok(rows::of_person(&state.db, own_person_id(p)?).await?)
}

/// One of the caller's consents.
pub async fn get(state: &State, p: &Principal, id: Uuid) -> Result<Consent> {
    own(&state.db, p, id).await
}

async fn own(db: &impl Conn, p: &Principal, id: Uuid) -> Result<Consent> {
    let me = own_person_id(p)?;
    let m = rows::get(db, id).await?.ok_or(Error::NotFound("consent"))?;
    if m.person_id != me {
        return Err(Error::forbidden("a consent is managed by the person who gave it"));
    }
    Ok(m)
}

/// Withdraws one of the caller's consents; it takes effect at once, and again changes nothing.
pub async fn withdraw(state: &State, p: &Principal, id: Uuid) -> Result<Consent> {
    let txn = locks::begin_write(&state.db).await?;
    own(&txn, p, id).await?;
    let m = rows::withdraw(&txn, id).await.map_err(Error::not_found_as("consent"))?;
    audit(&txn, p, &m, Action::Update, "POST /v1/consents/{id}/withdraw").await?;
    // Referrals made under it end now, and with them the helper's access.
    super::referrals::end_open(&txn, p, store::referrals::under_consent(id), "consent_withdrawn", "POST /v1/consents/{id}/withdraw")
        .await?;
    txn.commit().await?;
    Ok(m)
}

//! Accounts: who a credential is (tokens and API keys), the keys and professionals' gemeenten
//! admins manage, and an initiative's organisers.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::State;
use super::error::{Error, Result};
use crate::auth::jwt::Verified;
use crate::auth::{Credential, Principal, Role, policy};
pub use crate::store::accounts::split_list;
pub use crate::store::entities::api_key::Model as ApiKey;
pub use crate::store::entities::professional_scope::Model as Grant;
use crate::store::{StoreError, accounts as rows, initiatives, locks, people};

/// Why a credential was refused (the API answers 401 with this text).
#[derive(Debug)]
pub enum Refused {
    /// The credential is bad: unknown, revoked, expired or malformed.
    Credential(&'static str),
    /// The store failed while checking it.
    Failed(Error),
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

/// The caller a verified token stands for: their person, the initiatives they organise, and
/// for a professional the gemeenten granted on top of the token's.
pub async fn principal_for_token(state: &State, verified: Verified) -> std::result::Result<Principal, Refused> {
    let person_id = rows::person_by_subject(&state.db, &verified.subject).await?.map(|p| p.id);
    let initiatives = match person_id {
        Some(id) => rows::organised_by(&state.db, id).await?,
        None => Vec::new(),
    };
    let gemeenten = match verified.role {
        Role::Admin => verified.gemeenten,
        Role::Professional => {
            let mut g = verified.gemeenten;
            for extra in rows::granted_scopes(&state.db, &verified.subject).await? {
                if !g.contains(&extra) {
                    g.push(extra);
                }
            }
            g
        }
        _ => Vec::new(),
    };
    Ok(Principal { role: verified.role, credential: Credential::Token { subject: verified.subject }, person_id, gemeenten, initiatives })
}

/// The caller an API key stands for.
pub async fn principal_for_key(state: &State, key: &str) -> std::result::Result<Principal, Refused> {
    let found = rows::key_by_secret(&state.db, key, Utc::now()).await?;
    let k = found.ok_or(Refused::Credential("the API key is unknown, revoked or expired"))?;
    let role = Role::parse(&k.role).ok_or(Refused::Credential("the API key has no valid role"))?;
    Ok(Principal {
        role,
        credential: Credential::Key { id: k.id },
        person_id: None,
        gemeenten: split_list(&k.gemeenten),
        initiatives: k.initiative_id.into_iter().collect(),
    })
}

/// What a new key is for, as parsed: an organiser key names its initiative, a professional's
/// or admin's its gemeenten.
#[derive(Debug, Clone)]
pub struct KeySpec {
    /// A label for people.
    pub label: String,
    /// The key's role (organiser, professional or admin).
    pub role: Role,
    /// For professional and admin keys: the gemeenten, at least one.
    pub gemeenten: Vec<String>,
    /// For organiser keys: the initiative.
    pub initiative_id: Option<Uuid>,
    /// When it stops working; must lie ahead.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Checks a key spec and resolves an organiser key's gemeente from its initiative.
async fn resolve(state: &State, spec: KeySpec, created_by: String) -> Result<rows::NewKey> {
    let label = crate::domain::BoundedText::title(&spec.label, 200).map_err(|e| Error::invalid("label", e.0))?;
    if spec.expires_at.is_some_and(|e| e <= Utc::now()) {
        return Err(Error::invalid("expires_at", "must be in the future"));
    }
    let (gemeenten, initiative_id) = match spec.role {
        Role::Organiser => {
            if !spec.gemeenten.is_empty() {
                return Err(Error::invalid("gemeenten", "an organiser key takes its gemeente from its initiative"));
            }
            let id = spec.initiative_id.ok_or_else(|| Error::invalid("initiative_id", "an organiser key needs an initiative"))?;
            let ini = initiatives::get(&state.db, id)
                .await?
                .ok_or_else(|| Error::unprocessable("unknown_reference", "initiative_id", "no initiative with this id"))?;
            (vec![ini.gemeente_code], Some(id))
        }
        Role::Professional | Role::Admin => {
            if spec.initiative_id.is_some() {
                return Err(Error::invalid("initiative_id", "only organiser keys act for an initiative"));
            }
            if spec.gemeenten.is_empty() {
                return Err(Error::invalid("gemeenten", "a professional or admin key needs at least one gemeente"));
            }
            (spec.gemeenten, None)
        }
        _ => return Err(Error::invalid("role", "a key is for an organiser, a professional or an admin")),
    };
    Ok(rows::NewKey { label: label.into_string(), role: spec.role, gemeenten, initiative_id, created_by, expires_at: spec.expires_at })
}

/// Creates a key by an admin of every gemeente it covers; the key is returned once.
pub async fn create_key(state: &State, p: &Principal, spec: KeySpec) -> Result<(ApiKey, String)> {
    let k = resolve(state, spec, p.actor()).await?;
    policy::manage_keys(p, &k.gemeenten)?;
    Ok(rows::create_key(&state.db, &k).await?)
}

/// Creates a key from the command line, whose operator holds the database itself.
pub async fn create_key_as_operator(state: &State, spec: KeySpec) -> Result<(ApiKey, String)> {
    let k = resolve(state, spec, "cli".into()).await?;
    Ok(rows::create_key(&state.db, &k).await?)
}

/// Every key, for the command line's operator.
pub async fn all_keys(state: &State) -> Result<Vec<ApiKey>> {
    Ok(rows::list_keys(&state.db).await?)
}

/// Revokes a key from the command line.
pub async fn revoke_key_as_operator(state: &State, id: Uuid) -> Result<()> {
    rows::revoke_key(&state.db, id).await.map_err(Error::not_found_as("key"))?;
    Ok(())
}

/// The keys whose gemeenten the admin administers, revoked ones included.
pub async fn keys(state: &State, p: &Principal) -> Result<Vec<ApiKey>> {
    policy::manage_keys(p, &p.gemeenten)?;
    Ok(rows::list_keys(&state.db).await?.into_iter().filter(|k| policy::manage_keys(p, &split_list(&k.gemeenten)).is_ok()).collect())
}

/// Revokes a key at once, by an admin of its gemeenten; its record stays.
pub async fn revoke_key(state: &State, p: &Principal, id: Uuid) -> Result<()> {
    let k = rows::get_key(&state.db, id).await?.ok_or(Error::NotFound("key"))?;
    policy::manage_keys(p, &split_list(&k.gemeenten))?;
    rows::revoke_key(&state.db, id).await.map_err(Error::not_found_as("key"))?;
    Ok(())
}

/// Grants a professional (a token subject) a gemeente, by an admin of that gemeente.
pub async fn grant(state: &State, p: &Principal, subject: &str, gemeente: &str) -> Result<Grant> {
    policy::manage_professionals(p, gemeente)?;
    Ok(rows::grant_scope(&state.db, subject, gemeente, &p.actor()).await?)
}

/// The grants in the admin's gemeenten.
pub async fn grants(state: &State, p: &Principal) -> Result<Vec<Grant>> {
    let Some(first) = p.gemeenten.first() else {
        return Err(Error::forbidden("only an admin of a gemeente may grant professionals access to it"));
    };
    policy::manage_professionals(p, first)?;
    Ok(rows::scopes_in(&state.db, &p.gemeenten).await?)
}

/// Withdraws a granted gemeente, from the professional's next request on.
pub async fn revoke_grant(state: &State, p: &Principal, subject: &str, gemeente: &str) -> Result<()> {
    policy::manage_professionals(p, gemeente)?;
    rows::revoke_scope(&state.db, subject, gemeente).await.map_err(Error::not_found_as("grant"))?;
    Ok(())
}

/// An organiser of an initiative, with the name they show.
#[derive(Debug, Clone)]
pub struct Organiser {
    /// Their person.
    pub person_id: Uuid,
    /// Their display name.
    pub display_name: String,
    /// Since when.
    pub added_at: DateTime<Utc>,
}

async fn managed(state: &State, p: &Principal, id: Uuid) -> Result<()> {
    let ini = initiatives::get(&state.db, id).await?.ok_or(Error::NotFound("initiative"))?;
    policy::manage_organisers(p, ini.id, &ini.gemeente_code)?;
    Ok(())
}

/// An initiative's organisers, for its organisers and admins of its gemeente.
pub async fn organisers(state: &State, p: &Principal, initiative: Uuid) -> Result<Vec<Organiser>> {
    managed(state, p, initiative).await?;
    let mut out = Vec::new();
    for o in rows::organisers_of(&state.db, initiative).await? {
        let display_name = people::get(&state.db, o.person_id).await?.map(|p| p.display_name).unwrap_or_default();
        out.push(Organiser { person_id: o.person_id, display_name, added_at: o.added_at });
    }
    Ok(out)
}

/// Invites a co-organiser: a one-time code, valid for 14 days, and when it expires.
pub async fn invite(state: &State, p: &Principal, initiative: Uuid) -> Result<(String, DateTime<Utc>)> {
    managed(state, p, initiative).await?;
    let txn = locks::begin_write(&state.db).await?;
    let (m, code) = rows::invite(&txn, initiative, &p.actor()).await?;
    txn.commit().await?;
    Ok((code, m.expires_at))
}

/// Redeems an invitation: the caller's person becomes an organiser of its initiative.
pub async fn accept_invitation(state: &State, p: &Principal, code: &str) -> Result<Uuid> {
    let me = super::consents::own_person_id(p)?;
    rows::accept_invitation(&state.db, code.trim(), me).await.map_err(|e| match e {
        StoreError::NotFound => Error::unprocessable("unknown_reference", "code", "no invitation with this code"),
        other => other.into(),
    })
}

/// Removes an organiser; the last one stays.
pub async fn remove_organiser(state: &State, p: &Principal, initiative: Uuid, person: Uuid) -> Result<()> {
    managed(state, p, initiative).await?;
    rows::remove_organiser(&state.db, initiative, person).await.map_err(Error::not_found_as("organiser"))?;
    Ok(())
}

/// Who read or changed people's data in the admin's gemeenten (or one of them), oldest first.
pub async fn audit_log(
    state: &State,
    p: &Principal,
    gemeente: Option<Vec<String>>,
    person: Option<Uuid>,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<super::me::AuditEvent>> {
    let gemeenten = gemeente.unwrap_or_else(|| p.gemeenten.clone());
    if gemeenten.is_empty() {
        return Err(Error::forbidden("only an admin of a gemeente may read its audit log"));
    }
    for g in &gemeenten {
        policy::read_audit(p, g)?;
    }
    Ok(crate::store::audit::list(&state.db, &crate::store::audit::Filter { person_id: person, gemeenten: Some(gemeenten), after, limit })
        .await?)
}

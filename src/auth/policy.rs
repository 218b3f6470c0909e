//! The rules of who may see and change what, as plain functions of the principal and the facts
//! of the item. Handlers ask these and nothing else, so the authorization matrix lives here and
//! is tested here and through the API.

use uuid::Uuid;

use super::{Principal, Role};
use crate::domain::items::Owner;
use crate::domain::{CellId, ListingKind};

/// The finest H3 resolution at which the public sees a resident's request.
pub const PUBLIC_REQUEST_RESOLUTION: u8 = 7;

/// The cell in which the public sees a resident's request: its home cell's resolution-7
/// parent (`None` for a cell coarser than that, which no stored home is).
pub fn summary_cell(cell: CellId) -> Option<CellId> {
    let res = h3o::Resolution::try_from(PUBLIC_REQUEST_RESOLUTION).ok()?;
    cell.index().parent(res).map(CellId::new)
}

/// Groups smaller than this are never shown in aggregated counts.
pub const MIN_GROUP_SIZE: u64 = 5;

/// A refusal: 401 when the caller must sign in, 403 when signing in would not help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No credentials were given and the action needs some.
    SignIn,
    /// The credentials do not allow this.
    Forbidden(&'static str),
}

/// `Ok` or why not.
pub type Decision = Result<(), Denied>;

fn signed_in(p: &Principal) -> Decision {
    if p.role == Role::Anonymous { Err(Denied::SignIn) } else { Ok(()) }
}

fn allow_if(ok: bool, why: &'static str) -> Decision {
    if ok { Ok(()) } else { Err(Denied::Forbidden(why)) }
}

/// How much of a listing a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ListingView {
    /// Not at all (a closed, matched or expired listing, to the public).
    Hidden,
    /// A resident's request, to the public: categories, ZRM domains, a resolution-7 cell and
    /// the gemeente; no text, no owner, no wijk.
    Summary,
    /// Everything but a resident owner's identity.
    Public,
    /// Everything, owner included.
    Full,
}

/// What a listing's view depends on.
#[derive(Debug, Clone, Copy)]
pub struct ListingFacts<'a> {
    /// Offer or request.
    pub kind: ListingKind,
    /// Who owns it.
    pub owner: Owner,
    /// Its gemeente.
    pub gemeente: &'a str,
    /// Whether it is open and not expired.
    pub open: bool,
}

/// How much of a listing `p` sees.
pub fn listing_view(p: &Principal, l: &ListingFacts) -> ListingView {
    let own = match l.owner {
        Owner::Person(id) => p.is_person(id),
        Owner::Initiative(id) => p.acts_for(id),
    };
    if own || p.professional_in(l.gemeente) {
        return ListingView::Full;
    }
    if !l.open {
        return ListingView::Hidden;
    }
    match (l.kind, l.owner) {
        (ListingKind::Request, Owner::Person(_)) => ListingView::Summary,
        (_, Owner::Person(_)) => ListingView::Public,
        (_, Owner::Initiative(_)) => ListingView::Full,
    }
}

/// Whether `p` may create, change, close or delete a listing of `owner`.
pub fn write_listing(p: &Principal, owner: Owner) -> Decision {
    signed_in(p)?;
    match owner {
        Owner::Person(id) => allow_if(p.is_person(id), "only the person themself may change their listings"),
        Owner::Initiative(id) => allow_if(p.acts_for(id), "only the initiative's organisers may change its listings"),
    }
}

/// Whether `p` may create an initiative in `gemeente`: any signed-in resident (who becomes
/// its first organiser) or an admin of the gemeente. Integrations with an initiative's key act
/// for that one initiative only.
pub fn create_initiative(p: &Principal, gemeente: &str) -> Decision {
    signed_in(p)?;
    match p.role {
        Role::Admin => allow_if(p.admin_of(gemeente), "an admin may create initiatives only in their own gemeenten"),
        Role::Resident | Role::Organiser if p.person_id.is_some() => Ok(()),
        Role::Resident | Role::Organiser => Err(Denied::Forbidden("create your person profile first (POST /v1/people)")),
        _ => Err(Denied::Forbidden("professionals do not create initiatives; organisers and admins do")),
    }
}

/// Whether `p` may change or delete initiative `id` in `gemeente`.
pub fn write_initiative(p: &Principal, id: Uuid, gemeente: &str) -> Decision {
    signed_in(p)?;
    allow_if(p.acts_for(id) || p.admin_of(gemeente), "only the initiative's organisers or an admin of its gemeente may change it")
}

/// Whether `p` may invite co-organisers to initiative `id` or remove them.
pub fn manage_organisers(p: &Principal, id: Uuid, gemeente: &str) -> Decision {
    write_initiative(p, id, gemeente)
}

/// How much of a person a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonView {
    /// Nothing.
    Hidden,
    /// Someone else allowed in: a professional of the person's gemeente (the profile, and
    /// contact details only under a consent that covers them), or a grantee of the person's
    /// consent (what it covers). Every such read is audited.
    Other {
        /// Whether contact details are shown.
        contact: bool,
    },
    /// The person themself.
    Own,
}

/// What the person's consents in force grant the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Granted {
    /// The profile.
    pub profile: bool,
    /// Contact details.
    pub contact: bool,
    /// The volunteer profile.
    pub volunteer: bool,
    /// Referral by the wijkteam (the request and contact, shared with a chosen helper).
    pub referral: bool,
}

/// How much of person `id` in `gemeente` `p` sees, given what the person's consents grant `p`.
pub fn person_view(p: &Principal, id: Uuid, gemeente: &str, granted: Granted) -> PersonView {
    if p.is_person(id) {
        PersonView::Own
    } else if p.professional_in(gemeente) || granted.profile || granted.contact {
        PersonView::Other { contact: granted.contact }
    } else {
        PersonView::Hidden
    }
}

/// Whether `p` sees the volunteer profile of person `id` in `gemeente`.
pub fn volunteer_view(p: &Principal, id: Uuid, gemeente: &str, granted: Granted) -> PersonView {
    if p.is_person(id) {
        PersonView::Own
    } else if p.professional_in(gemeente) || granted.volunteer {
        PersonView::Other { contact: false }
    } else {
        PersonView::Hidden
    }
}

/// Whether `p` may read person data in `gemeente` at all (lists of people and volunteers).
pub fn read_people(p: &Principal) -> Decision {
    signed_in(p)?;
    allow_if(p.role == Role::Professional && !p.gemeenten.is_empty(), "only professionals may list people, in their own gemeenten")
}

/// Whether `p` may change or erase person `id`.
pub fn write_person(p: &Principal, id: Uuid) -> Decision {
    signed_in(p)?;
    allow_if(p.is_person(id), "only the person themself may change their profile")
}

/// Whether `p` may create a person profile for themself.
pub fn create_person(p: &Principal) -> Decision {
    signed_in(p)?;
    if !matches!(p.credential, super::Credential::Token { .. }) {
        return Err(Denied::Forbidden("a person profile belongs to a signed-in user; API keys cannot create one"));
    }
    allow_if(matches!(p.role, Role::Resident | Role::Organiser), "only residents have a person profile")
}

/// Whether `p` may manage API keys of `gemeenten` (and of initiatives there).
pub fn manage_keys(p: &Principal, gemeenten: &[String]) -> Decision {
    signed_in(p)?;
    allow_if(
        p.role == Role::Admin && !gemeenten.is_empty() && gemeenten.iter().all(|g| p.admin_of(g)),
        "only an admin of every gemeente the key is for may manage it",
    )
}

/// Whether `p` may grant professionals access to `gemeente` or withdraw it.
pub fn manage_professionals(p: &Principal, gemeente: &str) -> Decision {
    signed_in(p)?;
    allow_if(p.admin_of(gemeente), "only an admin of the gemeente may grant professionals access to it")
}

/// Whether `p` may read audit entries about people in `gemeente`.
pub fn read_audit(p: &Principal, gemeente: &str) -> Decision {
    signed_in(p)?;
    allow_if(p.admin_of(gemeente), "only an admin of the gemeente may read its audit log")
}

/// Whether a read of person data must be written to the audit log: every read by someone
/// other than the person.
pub fn audited_read(p: &Principal, person: Uuid) -> bool {
    !p.is_person(person)
}

/// Suppresses small groups in an aggregate: counts under [`MIN_GROUP_SIZE`] become `None`.
pub fn suppress_small(count: u64) -> Option<u64> {
    (count >= MIN_GROUP_SIZE).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credential;

    fn who(role: Role, person: Option<Uuid>, gemeenten: &[&str], initiatives: &[Uuid]) -> Principal {
        Principal {
            role,
            credential: if role == Role::Anonymous { Credential::Anonymous } else { Credential::Token { subject: "s".into() } },
            person_id: person,
            gemeenten: gemeenten.iter().map(|g| g.to_string()).collect(),
            initiatives: initiatives.to_vec(),
        }
    }

    #[test]
    fn listing_views_follow_the_matrix() {
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        let ini = Uuid::now_v7();
        let anon = Principal::anonymous();
        let resident = who(Role::Resident, Some(me), &[], &[]);
        let organiser = who(Role::Organiser, Some(me), &[], &[ini]);
        let pro = who(Role::Professional, None, &["GM0479"], &[]);
        let request = |owner, open, gm| ListingFacts { kind: ListingKind::Request, owner, gemeente: gm, open };
        let offer = |owner, open| ListingFacts { kind: ListingKind::Offer, owner, gemeente: "GM0479", open };

        assert_eq!(listing_view(&anon, &request(Owner::Person(other), true, "GM0479")), ListingView::Summary);
        assert_eq!(listing_view(&anon, &request(Owner::Person(other), false, "GM0479")), ListingView::Hidden);
        assert_eq!(listing_view(&anon, &offer(Owner::Person(other), true)), ListingView::Public);
        assert_eq!(listing_view(&anon, &offer(Owner::Initiative(ini), true)), ListingView::Full);
        assert_eq!(listing_view(&resident, &request(Owner::Person(me), false, "GM0479")), ListingView::Full);
        assert_eq!(listing_view(&resident, &request(Owner::Person(other), true, "GM0479")), ListingView::Summary);
        assert_eq!(listing_view(&organiser, &offer(Owner::Initiative(ini), false)), ListingView::Full);
        assert_eq!(listing_view(&pro, &request(Owner::Person(other), true, "GM0479")), ListingView::Full);
        assert_eq!(listing_view(&pro, &request(Owner::Person(other), true, "GM0363")), ListingView::Summary);
    }

    #[test]
    fn writes_need_ownership() {
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        let ini = Uuid::now_v7();
        assert_eq!(write_listing(&Principal::anonymous(), Owner::Person(me)), Err(Denied::SignIn));
        assert!(write_listing(&who(Role::Resident, Some(me), &[], &[]), Owner::Person(me)).is_ok());
        assert!(matches!(write_listing(&who(Role::Resident, Some(me), &[], &[]), Owner::Person(other)), Err(Denied::Forbidden(_))));
        assert!(write_listing(&who(Role::Organiser, Some(me), &[], &[ini]), Owner::Initiative(ini)).is_ok());
        assert!(write_listing(&who(Role::Admin, None, &["GM0479"], &[]), Owner::Person(me)).is_err());
        assert!(write_initiative(&who(Role::Admin, None, &["GM0479"], &[]), ini, "GM0479").is_ok());
        assert!(write_initiative(&who(Role::Admin, None, &["GM0479"], &[]), ini, "GM0363").is_err());
        assert!(create_initiative(&who(Role::Resident, None, &[], &[]), "GM0479").is_err());
        assert!(create_initiative(&who(Role::Resident, Some(me), &[], &[]), "GM0479").is_ok());
        assert!(create_initiative(&who(Role::Professional, None, &["GM0479"], &[]), "GM0479").is_err());
    }

    #[test]
    fn person_data_is_own_professional_in_scope_or_consented() {
        let me = Uuid::now_v7();
        let pro = who(Role::Professional, None, &["GM0479"], &[]);
        let none = Granted::default();
        let contact = Granted { contact: true, ..none };
        assert_eq!(person_view(&who(Role::Resident, Some(me), &[], &[]), me, "GM0479", none), PersonView::Own);
        assert_eq!(person_view(&pro, me, "GM0479", none), PersonView::Other { contact: false });
        assert_eq!(person_view(&pro, me, "GM0479", contact), PersonView::Other { contact: true });
        assert_eq!(person_view(&pro, me, "GM0363", none), PersonView::Hidden);
        assert_eq!(person_view(&who(Role::Admin, None, &["GM0479"], &[]), me, "GM0479", none), PersonView::Hidden);
        // A grantee of the person's consent, such as an organiser of an initiative.
        let organiser = who(Role::Resident, Some(Uuid::now_v7()), &[], &[Uuid::now_v7()]);
        assert_eq!(person_view(&organiser, me, "GM0479", none), PersonView::Hidden);
        assert_eq!(person_view(&organiser, me, "GM0479", Granted { profile: true, ..none }), PersonView::Other { contact: false });
        assert_eq!(volunteer_view(&organiser, me, "GM0479", Granted { profile: true, ..none }), PersonView::Hidden);
        assert_eq!(volunteer_view(&organiser, me, "GM0479", Granted { volunteer: true, ..none }), PersonView::Other { contact: false });
        assert!(audited_read(&pro, me));
        assert!(audited_read(&organiser, me));
        assert!(!audited_read(&who(Role::Resident, Some(me), &[], &[]), me));
        assert!(read_people(&who(Role::Resident, Some(me), &[], &[])).is_err());
        assert!(read_people(&pro).is_ok());
    }

    #[test]
    fn keys_and_audit_are_for_admins_of_every_gemeente_involved() {
        let admin = who(Role::Admin, None, &["GM0479"], &[]);
        assert!(manage_keys(&admin, &["GM0479".into()]).is_ok());
        assert!(manage_keys(&admin, &["GM0479".into(), "GM0363".into()]).is_err());
        assert!(manage_keys(&admin, &[]).is_err());
        assert!(manage_keys(&who(Role::Professional, None, &["GM0479"], &[]), &["GM0479".into()]).is_err());
        assert!(read_audit(&admin, "GM0479").is_ok());
        assert!(read_audit(&admin, "GM0363").is_err());
    }

    #[test]
    fn small_groups_are_suppressed() {
        assert_eq!(suppress_small(0), None);
        assert_eq!(suppress_small(4), None);
        assert_eq!(suppress_small(5), Some(5));
    }
}

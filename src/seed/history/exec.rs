//! Carrying the plan out, action by action, through the use cases at each action's date.

use super::texts::*;
use super::*;

/// Carries out `plan` in date order, each action inside [`clock::at`] its date.
pub(super) async fn carry_out(state: &State, wijken: &Wijken, cast: &Cast, plan: Plan) -> anyhow::Result<Made> {
    let mut exec = Exec {
        state,
        wijken,
        cast,
        residents: plan.residents.iter().map(|r| (r.key.clone(), r.wijk, r.name, r.town.map(|p| cast.people[p].id))).collect(),
        listings: Vec::new(),
        consents: Vec::new(),
        referrals: Vec::new(),
        matches: Vec::new(),
        support: Vec::new(),
        made: Made::default(),
    };
    for (at, action) in plan.actions {
        clock::at(at, exec.run(&action)).await.with_context(|| format!("{action:?} at {at}"))?;
    }
    Ok(exec.made)
}

struct Exec<'a> {
    state: &'a State,
    wijken: &'a Wijken,
    cast: &'a Cast,
    residents: Vec<KnownResident>,
    listings: Vec<Option<Uuid>>,
    consents: Vec<Option<Uuid>>,
    referrals: Vec<Option<Uuid>>,
    matches: Vec<Option<Uuid>>,
    support: Vec<Option<Uuid>>,
    made: Made,
}

fn put(slots: &mut Vec<Option<Uuid>>, i: usize, id: Uuid) {
    if slots.len() <= i {
        slots.resize(i + 1, None);
    }
    slots[i] = Some(id);
}

fn got(slots: &[Option<Uuid>], i: usize, what: &str) -> anyhow::Result<Uuid> {
    slots.get(i).copied().flatten().with_context(|| format!("{what} {i} was never made"))
}

impl Exec<'_> {
    fn resident(&self, r: usize) -> anyhow::Result<Principal> {
        let (key, _, _, id) = &self.residents[r];
        let id = id.with_context(|| format!("resident {key} has not joined"))?;
        Ok(as_resident(key, Some(id)))
    }

    fn professional(&self, n: usize) -> Principal {
        Principal {
            role: Role::Professional,
            credential: Credential::Token { subject: format!("demo-pro-{}", n + 1) },
            person_id: None,
            gemeenten: vec![self.cast.gemeente.clone()],
            initiatives: Vec::new(),
        }
    }

    fn actor(&self, a: Actor) -> anyhow::Result<Principal> {
        Ok(match a {
            Actor::Resident(r) => self.resident(r)?,
            Actor::Pro(n) => self.professional(n),
            Actor::Organiser(i) => organiser_of(&self.cast.admin, self.cast.initiatives[i].id),
            Actor::Admin => self.cast.admin.clone(),
        })
    }

    fn person(&self, r: usize) -> anyhow::Result<Uuid> {
        self.residents[r].3.with_context(|| format!("resident {} has not joined", self.residents[r].0))
    }

    fn listing_fields(&self, owner: usize, kind: ListingKind, text_of: usize, valid_until: DateTime<Utc>) -> anyhow::Result<ListingFields> {
        let (t, d, categories, zrm) = match kind {
            ListingKind::Request => {
                let n = &NEEDS[text_of];
                (n.title, n.description, n.categories, n.zrm)
            }
            ListingKind::Offer => {
                let g = &GIFTS[text_of];
                (g.title, g.description, g.categories, g.zrm)
            }
        };
        Ok(ListingFields {
            kind,
            title: title(t, 200)?,
            description: text(d, 5000)?,
            categories: categories.to_vec(),
            zrm_domains: zrm.to_vec(),
            owner: Owner::Person(self.person(owner)?),
            availability: Vec::new(),
            languages: Vec::new(),
            valid_until,
            status: ListingStatus::Open,
        })
    }

    async fn run(&mut self, action: &Action) -> anyhow::Result<()> {
        let state = self.state;
        match *action {
            Action::Join(r) => {
                let (key, wijk, name, _) = self.residents[r].clone();
                let name = name.unwrap_or("Buur");
                // A few keep their home coarser, as residents may.
                let precision = if stable_seed(&key).is_multiple_of(6) { LocationPrecision::parse(7)? } else { LocationPrecision::DEFAULT };
                let point = self.wijken.point(state, &self.cast.wijken[wijk].name, &key, Some(precision.resolution()))?;
                let email = format!("{}.{}@mail.example", name.to_lowercase(), key.replace('-', ""));
                let fields = PersonFields {
                    display_name: title(name, 100)?,
                    languages: vec![LanguageCode::parse("nl")?],
                    contact: Contact::parse(Some(&email), None, None).map_err(|(f, e)| anyhow::anyhow!("{f}: {e}"))?,
                    home_cell: CellId::new(point.cell(precision.resolution())),
                    precision,
                };
                let m = service::people::create(state, &as_resident(&key, None), fields).await?;
                self.residents[r].3 = Some(m.id);
                self.made.people += 1;
            }
            Action::Consent { resident, consent } => {
                let c = NewConsent {
                    purpose: "Doorverwijzing door het wijkteam naar hulp in de buurt".into(),
                    grantee: Grantee::Wijkteam(self.cast.gemeente.clone()),
                    scope: vec![ConsentScope::Referral],
                    valid_from: service::now(),
                    valid_until: None,
                };
                let m = service::consents::give(state, &self.resident(resident)?, c).await?;
                put(&mut self.consents, consent, m.id);
            }
            Action::Withdraw { resident, consent } => {
                let id = got(&self.consents, consent, "consent")?;
                service::consents::withdraw(state, &self.resident(resident)?, id).await?;
            }
            Action::Post { listing, owner, kind, what, valid_until } => {
                let fields = self.listing_fields(owner, kind, what, valid_until)?;
                let m = service::listings::create(state, &self.resident(owner)?, fields).await?;
                put(&mut self.listings, listing, m.id);
                self.made.listings += 1;
            }
            Action::Close { listing, owner, status } => {
                let id = got(&self.listings, listing, "listing")?;
                service::listings::update(state, &self.resident(owner)?, id, |f, _| {
                    Ok::<_, service::Error>(ListingFields { status, ..f.clone() })
                })
                .await?;
            }
            Action::Refer { referral, pro, request, helper, note } => {
                let request_ref = match request {
                    Req::Existing(l) => RequestRef::Existing(got(&self.listings, l, "listing")?),
                    Req::Recorded { owner, need, valid_until, .. } => {
                        RequestRef::Recorded(self.listing_fields(owner, ListingKind::Request, need, valid_until)?)
                    }
                };
                let (helper_kind, helper_id) = match helper {
                    Helper::Offer { listing, .. } => (ReferralHelperKind::Offer, got(&self.listings, listing, "offer")?),
                    Helper::Volunteer(v) => (ReferralHelperKind::Volunteer, self.cast.volunteers[v].id),
                    Helper::Initiative(i) => {
                        let ini = &self.cast.initiatives[i];
                        let kind = if ini.kind == InitiativeKind::ProfessionalService {
                            ReferralHelperKind::ProfessionalService
                        } else {
                            ReferralHelperKind::Initiative
                        };
                        (kind, ini.id)
                    }
                };
                let input = NewReferralInput {
                    request: request_ref,
                    helper_kind,
                    helper_id,
                    note: note.map(|n| text(NOTES[n], 2000)).transpose()?,
                };
                let shown = service::referrals::refer(state, &self.professional(pro), input).await?;
                put(&mut self.referrals, referral, shown.record.id);
                if let Req::Recorded { listing, .. } = request {
                    put(&mut self.listings, listing, shown.record.request_id.context("a recorded request")?);
                    self.made.listings += 1;
                }
                self.made.referrals += 1;
            }
            Action::Step { referral, by, step } => {
                let id = got(&self.referrals, referral, "referral")?;
                service::referrals::step(state, &self.actor(by)?, id, step).await?;
            }
            Action::Propose { m, resident, request, helper } => {
                let request_id = got(&self.listings, request, "listing")?;
                let (kind, helper_id) = match helper {
                    Helper::Offer { listing, .. } => (HelperRef::Offer, got(&self.listings, listing, "offer")?),
                    Helper::Volunteer(v) => (HelperRef::Volunteer, self.cast.volunteers[v].id),
                    Helper::Initiative(i) => (HelperRef::Initiative, self.cast.initiatives[i].id),
                };
                let shown = matches::propose(state, &self.resident(resident)?, request_id, kind, helper_id).await?;
                put(&mut self.matches, m, shown.record.id);
                self.made.matches += 1;
            }
            Action::MatchAccept { m, by } => {
                let id = got(&self.matches, m, "match")?;
                matches::step(state, &self.actor(by)?, id, matches::Step::Accept).await?;
            }
            Action::MatchComplete { m, resident } => {
                let id = got(&self.matches, m, "match")?;
                matches::step(state, &self.resident(resident)?, id, matches::Step::Complete { join_network: false }).await?;
            }
            Action::Answer { resident, about, scores, comment } => {
                let subject = match about {
                    About::Referral(r) => SubjectRef::Referral(got(&self.referrals, r, "referral")?),
                    About::Match(m) => SubjectRef::Match(got(&self.matches, m, "match")?),
                };
                let mut given = Scores::default();
                for (theme, v) in ExperienceTheme::ALL.iter().zip(scores) {
                    given.set(*theme, Some(Score::parse(i64::from(v))?));
                }
                let (words, share) = match comment {
                    Some((c, share)) => (Some(BoundedText::parse(c, MAX_COMMENT)?), share),
                    None => (None, false),
                };
                service::experiences::give(state, &self.resident(resident)?, subject, Answer::new(given, words, share)?).await?;
                self.made.experiences += 1;
            }
            Action::Submit { support, initiative, by, kind, wording, amount_cents, wish_in_days } => {
                let today = service::now().date_naive();
                let wished = wish_in_days.map(|d| today + days(d));
                let ask = SupportAsk::parse(kind, support_text(kind, wording), amount_cents, wished, today)
                    .map_err(|(f, e)| anyhow::anyhow!("{f}: {e}"))?;
                let shown = service::support_requests::submit(state, &self.actor(by)?, self.cast.initiatives[initiative].id, ask).await?;
                put(&mut self.support, support, shown.record.id);
                self.made.support_requests += 1;
            }
            Action::Decide { support, by, kind, decision } => {
                let id = got(&self.support, support, "support request")?;
                let decision = match decision {
                    Decide::Review => Decision::Review,
                    Decide::Grant { amount_cents } => Decision::Grant { note: text(grant_note(kind), 2000)?, amount_cents },
                    Decide::Decline(reason) => Decision::Decline { reason, note: Some(text(decline_note(reason), 2000)?) },
                    Decide::Withdraw => Decision::Withdraw,
                };
                service::support_requests::decide(state, &self.actor(by)?, id, decision).await?;
            }
        }
        Ok(())
    }
}

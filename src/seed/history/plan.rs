//! Planning the year: dated actions drawn from one generator seeded by a constant.

use super::texts::*;
use super::*;

pub(super) struct Planner<'a> {
    cast: &'a Cast,
    rng: SmallRng,
    anchor: DateTime<Utc>,
    start: DateTime<Utc>,
    actions: Vec<(DateTime<Utc>, Action)>,
    residents: Vec<PlannedResident>,
    offers: Vec<PlannedOffer>,
    /// Per initiative, the spans in which a referral or match may hold one of its places.
    held: Vec<Vec<(DateTime<Utc>, DateTime<Utc>)>>,
    /// The wijk (index) of each cast person.
    person_wijk: Vec<usize>,
    /// Per wijk: whether it is one of the busiest, and how many answers it got so far.
    busy: Vec<bool>,
    answers: Vec<u32>,
    /// Fates that must occur, taken before any drawn at random.
    must: VecDeque<Fate>,
    listings: usize,
    consents: usize,
    referrals: usize,
    matches: usize,
    support: usize,
}

fn pick<T: Copy>(rng: &mut SmallRng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (v, w) in weighted {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    weighted[weighted.len() - 1].0
}

fn overlaps(a: &[ActivityCategory], b: &[ActivityCategory]) -> bool {
    a.iter().any(|x| b.contains(x))
}

impl<'a> Planner<'a> {
    pub(super) fn new(cast: &'a Cast, anchor: DateTime<Utc>) -> Self {
        let start = anchor - days(DAYS);
        let wijk_of = |code: &str| cast.wijken.iter().position(|w| w.code == code).unwrap_or(0);
        let person_wijk: Vec<usize> = cast.people.iter().map(|p| wijk_of(&p.wijk)).collect();
        // The wijken with the most of the town's residents get most of the answers.
        let mut residents_in = vec![0usize; cast.wijken.len()];
        for w in &person_wijk {
            residents_in[*w] += 1;
        }
        let mut by_size: Vec<usize> = (0..cast.wijken.len()).collect();
        by_size.sort_by_key(|w| (std::cmp::Reverse(residents_in[*w]), *w));
        let mut busy = vec![false; cast.wijken.len()];
        for w in by_size.into_iter().take(BUSY_WIJKEN) {
            busy[w] = true;
        }
        let residents = cast
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| PlannedResident {
                key: p.key.clone(),
                wijk: person_wijk[i],
                name: None,
                town: Some(i),
                joined: true,
                busy_until: start,
                consent: None,
            })
            .collect();
        let mut rng = SmallRng::seed_from_u64(stable_seed("buurtkracht demo history"));
        // Every decline reason, every outcome, every open state left standing and every way of
        // calling a referral off, once each early in the year; the rest is drawn.
        let mut must: Vec<Fate> = ReferralDeclineReason::ALL.iter().map(|r| Fate::Declined(*r)).collect();
        must.extend(ReferralOutcome::ALL.iter().map(|o| Fate::Closed { outcome: *o, from_accepted: false, by_pro: false }));
        must.extend([ReferralState::Sent, ReferralState::Accepted, ReferralState::InProgress].map(Fate::Stall));
        must.extend([
            Fate::Cancelled { stage: ReferralState::Sent, by: Canceller::Professional },
            Fate::Cancelled { stage: ReferralState::Accepted, by: Canceller::Resident },
            Fate::Cancelled { stage: ReferralState::InProgress, by: Canceller::Withdrawal },
        ]);
        must.shuffle(&mut rng);
        Self {
            cast,
            rng,
            anchor,
            start,
            actions: Vec::new(),
            residents,
            offers: Vec::new(),
            held: vec![Vec::new(); cast.initiatives.len()],
            person_wijk,
            answers: vec![0; busy.len()],
            busy,
            must: must.into(),
            listings: 0,
            consents: 0,
            referrals: 0,
            matches: 0,
            support: 0,
        }
    }

    pub(super) fn plan(mut self) -> Plan {
        self.plan_offers();
        let mut starts: Vec<DateTime<Utc>> =
            (0..CASES).map(|_| self.start + days(self.rng.random_range(3..DAYS - 1)) + hours(self.rng.random_range(8..18))).collect();
        starts.sort();
        for t in starts {
            // Residents find their own match about one time in ten; late in the year there is
            // no time left to finish one, and the team refers instead.
            if t < self.anchor - days(60) && self.rng.random_bool(0.1) {
                self.match_case(t);
            } else {
                self.referral_case(t);
            }
        }
        self.plan_support();
        // A stable sort: what happens at the same moment keeps the order it was planned in.
        self.actions.sort_by_key(|(t, _)| *t);
        Plan { residents: self.residents, actions: self.actions }
    }

    /// Adds an action at `t`, unless `t` is at or past the anchor: what falls after it has
    /// not happened yet. Returns whether it happens.
    fn emit(&mut self, t: DateTime<Utc>, a: Action) -> bool {
        if t >= self.anchor {
            return false;
        }
        self.actions.push((t, a));
        true
    }

    fn slot(counter: &mut usize) -> usize {
        *counter += 1;
        *counter - 1
    }

    fn pro_of(wijk: usize) -> usize {
        wijk % PROFESSIONALS
    }

    fn wijk_weight(&self, w: usize) -> u32 {
        if self.busy[w] { 4 } else { 1 }
    }

    // --- residents -----------------------------------------------------------------------

    /// A resident free at `t`: one of those known, or (often, and always when nobody is free)
    /// a new one, placed in a wijk where the busy ones weigh more.
    fn resident_at(&mut self, t: DateTime<Utc>) -> usize {
        let free: Vec<(usize, u32)> = (0..self.residents.len())
            .filter(|r| self.residents[*r].busy_until + days(14) <= t)
            .map(|r| (r, self.wijk_weight(self.residents[r].wijk)))
            .collect();
        if free.is_empty() || self.rng.random_bool(0.4) {
            let wijken: Vec<(usize, u32)> = (0..self.cast.wijken.len()).map(|w| (w, self.wijk_weight(w))).collect();
            let wijk = pick(&mut self.rng, &wijken);
            let n = self.residents.iter().filter(|r| r.town.is_none()).count();
            self.residents.push(PlannedResident {
                key: format!("h-{:03}", n + 1),
                wijk,
                name: Some(name(n)),
                town: None,
                joined: false,
                busy_until: self.start,
                consent: None,
            });
            return self.residents.len() - 1;
        }
        pick(&mut self.rng, &free)
    }

    /// Has a new resident join a few days before `t`.
    fn join(&mut self, r: usize, t: DateTime<Utc>) {
        if !self.residents[r].joined {
            let at = t - hours(self.rng.random_range(50..120));
            self.emit(at, Action::Join(r));
            self.residents[r].joined = true;
        }
    }

    // --- helpers ---------------------------------------------------------------------------

    fn plan_offers(&mut self) {
        for i in 0..OFFERS {
            let v = self.rng.random_range(0..self.cast.volunteers.len());
            let owner = self.cast.volunteers[v].person;
            let from = self.start + days(self.rng.random_range(0..DAYS - 30)) + hours(self.rng.random_range(7..21));
            let valid_until = (from + days(self.rng.random_range(45..90))).min(self.anchor);
            let listing = Self::slot(&mut self.listings);
            let gift = i % GIFTS.len();
            self.emit(from, Action::Post { listing, owner, kind: ListingKind::Offer, what: gift, valid_until });
            let mut until = valid_until;
            if self.rng.random_bool(0.5) {
                let closing = valid_until - days(self.rng.random_range(1..10));
                if closing > from + days(7) && self.emit(closing, Action::Close { listing, owner, status: ListingStatus::Closed }) {
                    until = closing;
                }
            }
            self.offers.push(PlannedOffer { listing, owner, gift, from, until });
        }
    }

    /// Whether initiative `i` has a place for a referral or match made at `t`, counting every
    /// planned one that may hold a place within the next months as holding one.
    fn has_room(&self, i: usize, t: DateTime<Utc>) -> bool {
        let Some(places) = self.cast.initiatives[i].capacity else { return true };
        let held = self.held[i].iter().filter(|(from, until)| *from < t + days(120) && *until > t).count();
        (held as u32) + 2 <= places
    }

    /// A helper for `need` of resident `r` at `t`, other than `used`: by kind on the
    /// informal-first ladder, then among those that do what is asked, nearby ones first.
    fn helper_for(&mut self, need: usize, r: usize, used: &[Helper], t: DateTime<Utc>, professional: bool) -> Helper {
        let cats = NEEDS[need].categories;
        let wijk = self.residents[r].wijk;
        for _ in 0..20 {
            let kind = if professional {
                pick(
                    &mut self.rng,
                    &[
                        (ReferralHelperKind::Offer, 12),
                        (ReferralHelperKind::Volunteer, 30),
                        (ReferralHelperKind::Initiative, 45),
                        (ReferralHelperKind::ProfessionalService, 13),
                    ],
                )
            } else {
                pick(&mut self.rng, &[(ReferralHelperKind::Volunteer, 1), (ReferralHelperKind::Initiative, 1)])
            };
            let mut pool: Vec<(Helper, usize)> = match kind {
                ReferralHelperKind::Offer => self
                    .offers
                    .iter()
                    .filter(|o| o.from + hours(1) < t && t + hours(1) < o.until && o.owner != r)
                    .filter(|o| overlaps(GIFTS[o.gift].categories, cats))
                    .map(|o| (Helper::Offer { listing: o.listing, owner: o.owner }, self.residents[o.owner].wijk))
                    .collect(),
                ReferralHelperKind::Volunteer => self
                    .cast
                    .volunteers
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.person != r && overlaps(&v.skills, cats))
                    .map(|(i, v)| (Helper::Volunteer(i), self.person_wijk[v.person]))
                    .collect(),
                ReferralHelperKind::Initiative | ReferralHelperKind::ProfessionalService => {
                    let want_professional = kind == ReferralHelperKind::ProfessionalService;
                    let of_kind: Vec<usize> = (0..self.cast.initiatives.len())
                        .filter(|i| (self.cast.initiatives[*i].kind == InitiativeKind::ProfessionalService) == want_professional)
                        .filter(|i| self.has_room(*i, t))
                        .collect();
                    let fitting: Vec<usize> =
                        of_kind.iter().copied().filter(|i| overlaps(&self.cast.initiatives[*i].categories, cats)).collect();
                    // Professional services are few; the team refers to one that does not list
                    // the category when it is the one for the resident's wider problem.
                    let chosen = if fitting.is_empty() && want_professional { of_kind } else { fitting };
                    chosen.into_iter().map(|i| (Helper::Initiative(i), self.wijk_of_initiative(i))).collect()
                }
            };
            pool.retain(|(h, _)| !used.contains(h));
            if pool.is_empty() {
                continue;
            }
            let weighted: Vec<(Helper, u32)> = pool.iter().map(|(h, w)| (*h, if *w == wijk { 4 } else { 1 })).collect();
            return pick(&mut self.rng, &weighted);
        }
        // Someone always helps: any volunteer not yet asked.
        let left: Vec<(Helper, u32)> = (0..self.cast.volunteers.len())
            .filter(|v| self.cast.volunteers[*v].person != r && !used.contains(&Helper::Volunteer(*v)))
            .map(|v| (Helper::Volunteer(v), 1))
            .collect();
        pick(&mut self.rng, &left)
    }

    fn wijk_of_initiative(&self, i: usize) -> usize {
        self.cast.wijken.iter().position(|w| w.code == self.cast.initiatives[i].wijk).unwrap_or(0)
    }

    /// Who takes the helper's steps.
    fn helper_actor(&self, h: Helper) -> Actor {
        match h {
            Helper::Offer { owner, .. } => Actor::Resident(owner),
            Helper::Volunteer(v) => Actor::Resident(self.cast.volunteers[v].person),
            Helper::Initiative(i) => Actor::Organiser(i),
        }
    }

    fn hold(&mut self, h: Helper, from: DateTime<Utc>, until: DateTime<Utc>) {
        if let Helper::Initiative(i) = h {
            self.held[i].push((from, until));
        }
    }

    // --- referrals ---------------------------------------------------------------------------

    fn fate(&mut self) -> Fate {
        if let Some(f) = self.must.pop_front() {
            return f;
        }
        let rng = &mut self.rng;
        match pick(rng, &[(0u8, 66), (1, 18), (2, 12), (3, 4)]) {
            0 => {
                use ReferralOutcome::*;
                let outcome = pick(
                    rng,
                    &[
                        (GotHelp, 48),
                        (CouldNotContact, 9),
                        (NotEligible, 6),
                        (NoCapacity, 6),
                        (CouldNotGetHelp, 10),
                        (NoLongerInterested, 11),
                        (ReferredElsewhere, 10),
                    ],
                );
                // Some end before the help started: nobody was reached, or it turned out not to fit.
                let from_accepted = match outcome {
                    CouldNotContact => rng.random_bool(0.8),
                    NoLongerInterested => rng.random_bool(0.4),
                    NotEligible | NoCapacity => rng.random_bool(0.5),
                    _ => false,
                };
                let by_pro = rng.random_bool(if outcome == CouldNotContact { 0.5 } else { 0.15 });
                Fate::Closed { outcome, from_accepted, by_pro }
            }
            1 => {
                use ReferralDeclineReason::*;
                Fate::Declined(pick(rng, &[(NoCapacity, 35), (NotAFit, 25), (OutsideArea, 10), (CannotMeetConditions, 20), (Other, 10)]))
            }
            2 => {
                let by = pick(rng, &[(Canceller::Professional, 4), (Canceller::Resident, 4), (Canceller::Withdrawal, 2)]);
                let stage = pick(rng, &[(ReferralState::Sent, 5), (ReferralState::Accepted, 3), (ReferralState::InProgress, 2)]);
                Fate::Cancelled { stage, by }
            }
            _ => Fate::Stall(pick(rng, &[(ReferralState::Sent, 4), (ReferralState::Accepted, 3), (ReferralState::InProgress, 3)])),
        }
    }

    /// The step `after` the time in `t`, moving `t` on; false when it falls past the anchor.
    fn step(&mut self, t: &mut DateTime<Utc>, after: Duration, referral: usize, by: Actor, step: Step) -> bool {
        *t += after;
        self.emit(*t, Action::Step { referral, by, step })
    }

    /// The steps of one referral, sent at `sent`, as `fate` has it.
    fn carry_out(&mut self, referral: usize, r: usize, pro: usize, helper: Helper, sent: DateTime<Utc>, fate: Fate) -> Ended {
        let h = self.helper_actor(helper);
        let mut t = sent;
        let open = |t| Ended { at: t, open: true, again: 0.0, got_help: false };
        let answer_after = hours(self.rng.random_range(2..6 * 24));
        let start_after = hours(self.rng.random_range(24..7 * 24));
        match fate {
            Fate::Stall(ReferralState::Sent) => open(t),
            Fate::Stall(stage) => {
                if self.step(&mut t, answer_after, referral, h, Step::Accept) && stage == ReferralState::InProgress {
                    self.step(&mut t, start_after, referral, h, Step::Start);
                }
                open(t)
            }
            Fate::Declined(reason) => {
                if !self.step(&mut t, answer_after, referral, h, Step::Decline(reason)) {
                    return open(t);
                }
                Ended { at: t, open: false, again: 0.75, got_help: false }
            }
            Fate::Cancelled { stage, by } => {
                if stage != ReferralState::Sent && !self.step(&mut t, answer_after, referral, h, Step::Accept) {
                    return open(t);
                }
                if stage == ReferralState::InProgress && !self.step(&mut t, start_after, referral, h, Step::Start) {
                    return open(t);
                }
                let after = hours(self.rng.random_range(24..10 * 24));
                let done = match by {
                    Canceller::Professional => self.step(&mut t, after, referral, Actor::Pro(pro), Step::Cancel),
                    Canceller::Resident => self.step(&mut t, after, referral, Actor::Resident(r), Step::Cancel),
                    Canceller::Withdrawal => {
                        t += after;
                        let consent = self.residents[r].consent;
                        match consent {
                            Some(consent) if self.emit(t, Action::Withdraw { resident: r, consent }) => {
                                self.residents[r].consent = None;
                                true
                            }
                            _ => false,
                        }
                    }
                };
                if !done {
                    return open(t);
                }
                let again = if matches!(by, Canceller::Professional) { 0.3 } else { 0.0 };
                Ended { at: t, open: false, again, got_help: false }
            }
            Fate::Closed { outcome, from_accepted, by_pro } => {
                if !self.step(&mut t, answer_after, referral, h, Step::Accept) {
                    return open(t);
                }
                let after = if from_accepted {
                    days(self.rng.random_range(5..21))
                } else {
                    if !self.step(&mut t, start_after, referral, h, Step::Start) {
                        return open(t);
                    }
                    days(self.rng.random_range(7..60)) + hours(self.rng.random_range(0..9))
                };
                let by = if by_pro { Actor::Pro(pro) } else { h };
                if !self.step(&mut t, after, referral, by, Step::Close(outcome)) {
                    return open(t);
                }
                let tone = match outcome {
                    ReferralOutcome::GotHelp => 4.2,
                    ReferralOutcome::ReferredElsewhere => 3.3,
                    ReferralOutcome::NoLongerInterested => 3.0,
                    _ => 2.4,
                };
                self.maybe_answer(r, About::Referral(referral), t, tone);
                let again = match outcome {
                    ReferralOutcome::ReferredElsewhere => 1.0,
                    ReferralOutcome::NoCapacity => 0.6,
                    ReferralOutcome::CouldNotGetHelp => 0.3,
                    ReferralOutcome::CouldNotContact => 0.2,
                    _ => 0.0,
                };
                Ended { at: t, open: false, again, got_help: outcome == ReferralOutcome::GotHelp }
            }
        }
    }

    /// A resident's request, followed through the team's referrals until it ends or the year
    /// does.
    fn referral_case(&mut self, t0: DateTime<Utc>) {
        let r = self.resident_at(t0);
        self.join(r, t0);
        let pro = Self::pro_of(self.residents[r].wijk);
        let need = self.rng.random_range(0..NEEDS.len());
        // Most residents post their request themself; for the others the professional records it.
        let mut request: Option<(usize, DateTime<Utc>)> = None;
        if self.rng.random_bool(0.65) {
            let posted = t0 - Duration::minutes(self.rng.random_range(60..48 * 60));
            let listing = Self::slot(&mut self.listings);
            let valid_until = (posted + days(30)).min(self.anchor);
            self.emit(posted, Action::Post { listing, owner: r, kind: ListingKind::Request, what: need, valid_until });
            request = Some((listing, valid_until));
        }
        if self.residents[r].consent.is_none() {
            let consent = Self::slot(&mut self.consents);
            self.emit(t0, Action::Consent { resident: r, consent });
            self.residents[r].consent = Some(consent);
        }
        let mut t = t0 + Duration::minutes(self.rng.random_range(10..48 * 60));
        let mut used = Vec::new();
        let mut end = t0;
        let mut got_help = false;
        for k in 0..MAX_REFERRALS_PER_CASE {
            let helper = self.helper_for(need, r, &used, t, true);
            used.push(helper);
            let req = match request {
                Some((listing, valid_until)) if t + hours(1) < valid_until => Req::Existing(listing),
                _ => {
                    let listing = Self::slot(&mut self.listings);
                    let valid_until = (t + days(30)).min(self.anchor);
                    request = Some((listing, valid_until));
                    Req::Recorded { listing, owner: r, need, valid_until }
                }
            };
            let note = self.rng.random_bool(0.3).then(|| self.rng.random_range(0..NOTES.len()));
            let referral = Self::slot(&mut self.referrals);
            if !self.emit(t, Action::Refer { referral, pro, request: req, helper, note }) {
                self.residents[r].busy_until = self.anchor;
                return;
            }
            let fate = self.fate();
            let ended = self.carry_out(referral, r, pro, helper, t, fate);
            self.hold(helper, t, if ended.open { self.anchor } else { ended.at });
            if ended.open {
                self.residents[r].busy_until = self.anchor;
                return;
            }
            end = ended.at;
            got_help = ended.got_help;
            if k + 1 == MAX_REFERRALS_PER_CASE || !self.rng.random_bool(ended.again) {
                break;
            }
            t = ended.at + hours(self.rng.random_range(4..5 * 24));
        }
        // The resident takes their request down once it is over, if it has not expired.
        if let Some((listing, valid_until)) = request {
            let at = end + hours(self.rng.random_range(2..72));
            let status = if got_help { ListingStatus::Matched } else { ListingStatus::Closed };
            if at < valid_until && self.emit(at, Action::Close { listing, owner: r, status }) {
                end = at;
            }
        }
        self.residents[r].busy_until = end;
    }

    // --- matches -----------------------------------------------------------------------------

    /// A resident posts a request and finds a volunteer or an initiative themself.
    fn match_case(&mut self, t0: DateTime<Utc>) {
        let r = self.resident_at(t0);
        self.join(r, t0);
        let need = self.rng.random_range(0..NEEDS.len());
        let listing = Self::slot(&mut self.listings);
        let valid_until = t0 + days(30);
        self.emit(t0, Action::Post { listing, owner: r, kind: ListingKind::Request, what: need, valid_until });
        let mut t = t0 + hours(self.rng.random_range(2..48));
        let helper = self.helper_for(need, r, &[], t, false);
        let m = Self::slot(&mut self.matches);
        self.emit(t, Action::Propose { m, resident: r, request: listing, helper });
        let proposed = t;
        t += hours(self.rng.random_range(3..5 * 24));
        self.emit(t, Action::MatchAccept { m, by: self.helper_actor(helper) });
        t += hours(self.rng.random_range(1..24));
        self.emit(t, Action::Close { listing, owner: r, status: ListingStatus::Matched });
        t += days(self.rng.random_range(7..35));
        self.emit(t, Action::MatchComplete { m, resident: r });
        self.hold(helper, proposed, t);
        self.maybe_answer(r, About::Match(m), t, 4.4);
        self.residents[r].busy_until = t;
    }

    // --- answers -----------------------------------------------------------------------------

    /// The most answers a quiet wijk gets in the year: 1 to 4, by wijk, so that it never
    /// passes k = 5 and (where it gets any) shows its themes suppressed.
    fn quiet_cap(&self, w: usize) -> u32 {
        1 + (stable_seed(&self.cast.wijken[w].code) % 4) as u32
    }

    /// Whether resident `r` answers on what ended at `ended`, and how: scores around `tone`.
    fn maybe_answer(&mut self, r: usize, about: About, ended: DateTime<Utc>, tone: f64) {
        let w = self.residents[r].wijk;
        let p = if self.busy[w] {
            0.75
        } else if self.answers[w] < self.quiet_cap(w) {
            0.45
        } else {
            0.0
        };
        if !self.rng.random_bool(p) {
            return;
        }
        let at = ended + hours(self.rng.random_range(12..14 * 24));
        // Each wijk's answers lean a little its own way, so wijken differ.
        let lean = ((stable_seed(&self.cast.wijken[w].code) >> 8) % 5) as f64 * 0.15 - 0.3;
        let mut scores = [0u8; 6];
        for s in &mut scores {
            let v: f64 = tone + lean + self.rng.random_range(-1.0..1.0);
            *s = v.round().clamp(1.0, 5.0) as u8;
        }
        let comment = self.rng.random_bool(0.35).then(|| {
            let pool = if tone >= 3.5 { PRAISE } else { COMPLAINTS };
            (pool[self.rng.random_range(0..pool.len())], self.rng.random_bool(0.65))
        });
        if self.emit(at, Action::Answer { resident: r, about, scores, comment }) {
            self.answers[w] += 1;
        }
    }

    // --- support requests --------------------------------------------------------------------

    fn plan_support(&mut self) {
        let askers: Vec<usize> =
            (0..self.cast.initiatives.len()).filter(|i| self.cast.initiatives[*i].kind != InitiativeKind::ProfessionalService).collect();
        let mut kinds: VecDeque<SupportKind> = SupportKind::ALL.to_vec().into();
        let mut ends: VecDeque<SupportStatus> =
            [SupportStatus::Granted, SupportStatus::Declined, SupportStatus::Withdrawn, SupportStatus::InReview].into();
        let mut reasons: VecDeque<SupportDeclineReason> = SupportDeclineReason::ALL.to_vec().into();
        for n in 0..SUPPORT_REQUESTS {
            let initiative = askers[self.rng.random_range(0..askers.len())];
            // The last one stays as it came in: nobody has picked it up yet.
            let submitted = if n + 1 == SUPPORT_REQUESTS {
                self.anchor - days(self.rng.random_range(3..12)) + hours(self.rng.random_range(9..17))
            } else {
                self.start + days(self.rng.random_range(5..DAYS - 2)) + hours(self.rng.random_range(8..20))
            };
            let kind = kinds.pop_front().unwrap_or_else(|| SupportKind::ALL[self.rng.random_range(0..SupportKind::ALL.len())]);
            // An admin asks on an initiative's behalf now and then, as the rules allow.
            let by = if self.rng.random_bool(0.2) { Actor::Admin } else { Actor::Organiser(initiative) };
            let amount_cents = (kind == SupportKind::Grant).then(|| self.rng.random_range(10..60) * 2_500);
            let wish_in_days = self.rng.random_bool(0.5).then(|| self.rng.random_range(14..120));
            let support = Self::slot(&mut self.support);
            let wording = self.rng.random_range(0..2);
            self.emit(submitted, Action::Submit { support, initiative, by, kind, wording, amount_cents, wish_in_days });
            if n + 1 == SUPPORT_REQUESTS {
                continue;
            }
            let pro = Actor::Pro(Self::pro_of(self.wijk_of_initiative(initiative)));
            let end = ends.pop_front().unwrap_or_else(|| {
                pick(
                    &mut self.rng,
                    &[
                        (SupportStatus::Granted, 55),
                        (SupportStatus::Declined, 28),
                        (SupportStatus::Withdrawn, 12),
                        (SupportStatus::InReview, 5),
                    ],
                )
            });
            let mut t = submitted;
            if end == SupportStatus::InReview || self.rng.random_bool(0.6) {
                t += hours(self.rng.random_range(20..10 * 24));
                if !self.emit(t, Action::Decide { support, by: pro, kind, decision: Decide::Review }) || end == SupportStatus::InReview {
                    continue;
                }
            }
            t += days(self.rng.random_range(3..25)) + hours(self.rng.random_range(0..8));
            let decision = match end {
                SupportStatus::Granted => {
                    // A grant may be less than was asked.
                    let given = amount_cents.map(|a| if self.rng.random_bool(0.3) { a / 2 } else { a });
                    Decide::Grant { amount_cents: given }
                }
                SupportStatus::Declined => Decide::Decline(reasons.pop_front().unwrap_or_else(|| {
                    use SupportDeclineReason::*;
                    pick(&mut self.rng, &[(NoBudget, 3), (NotEligible, 2), (OtherProvision, 2), (Incomplete, 2), (Other, 1)])
                })),
                _ => Decide::Withdraw,
            };
            let by = if matches!(decision, Decide::Withdraw) { by } else { pro };
            self.emit(t, Action::Decide { support, by, kind, decision });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Carrying the plan out.

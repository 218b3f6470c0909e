//! `GET /v1/areas/{code}/kompas`: what the wijkteam's work came to, per wijk and month and for
//! the gemeente as a whole, as JSON or CSV. Every definition is on its field below.

use std::collections::HashMap;
use std::sync::Arc;

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, ResponseContent};

use super::ApiTags;
use super::caller::Caller;
use super::common::{field, now};
use crate::domain::CbsCode;
use crate::domain::experience::Period;
use crate::error::ApiError;
use crate::service::State;
use crate::service::kompas::{self as service, Kompas as Model, Lang, Level, Row};
use crate::stats::Shown;
use crate::stats::kompas::Unit;
use crate::stats::kompas::suppress::Audience;

/// A count of people or things in one area and month. Counts of 1 to 4 are never shown
/// (k = 5), nor counts that shown ones would give away by subtraction.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct KompasCount {
    /// The count; absent when suppressed.
    pub value: Option<u64>,
    /// Whether it is held back (k = 5).
    pub suppressed: bool,
}

/// A share (0 to 1, four decimals), a median in days or a mean score (1 to 5, two decimals).
/// Shown only where the counts under it are, and (for a share) where the rest of its
/// denominator is not 1 to 4.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct KompasFigure {
    /// The figure; absent when suppressed or when there is nothing to take it over (no
    /// requests, no answers).
    pub value: Option<f64>,
    /// Whether it is held back (k = 5).
    pub suppressed: bool,
}

/// Requests posted in the month that had help under way within 14 days.
#[derive(Debug, Clone, Object)]
pub struct WithinFourteenDays {
    /// Of the requests posted in the month: those with a match accepted by both sides, or a
    /// referral sent, within 14 days (336 hours) of posting.
    pub count: KompasCount,
    /// `count` over `requests_posted`.
    pub share: KompasFigure,
}

/// How long requests waited for their first match.
#[derive(Debug, Clone, Object)]
pub struct DaysToFirstMatch {
    /// Of the requests posted in the month: those with a match accepted by both sides (by now).
    pub requests: KompasCount,
    /// Their median of whole days from posting to the first match accepted by both sides
    /// (accepted at the later of the two acceptances); waits of a year or more count as 365.
    pub median: KompasFigure,
}

/// Help from one rung of the ladder.
#[derive(Debug, Clone, Object)]
pub struct RungFigures {
    /// Matches and referrals accepted in the month with a helper on this rung.
    pub count: KompasCount,
    /// `count` over `help.accepted`.
    pub share: KompasFigure,
}

/// Help per rung of the ladder, informal first. Own network: the resident belonged to the
/// helping initiative's network before the help was accepted; neighbours: a resident's offer
/// or a volunteer; then initiatives by their kind (informal groups and resident initiatives,
/// volunteer organisations, general provisions, professional services); a referral to a
/// professional service is the last rung.
#[derive(Debug, Clone, Object)]
pub struct HelpByRung {
    /// Rung 1: the resident's own network.
    pub own_network: RungFigures,
    /// Rung 2: neighbours' offers and volunteers.
    pub neighbours: RungFigures,
    /// Rung 3: informal groups and resident initiatives.
    pub resident_initiative: RungFigures,
    /// Rung 4: volunteer organisations.
    pub volunteer_organisation: RungFigures,
    /// Rung 5: general provisions.
    pub general_provision: RungFigures,
    /// Rung 6: professional services.
    pub professional_service: RungFigures,
}

/// Where help came from.
#[derive(Debug, Clone, Object)]
pub struct HelpFigures {
    /// Matches accepted by both sides in the month (at the later acceptance) and referrals
    /// accepted by their helper in the month. Help from an initiative that has since been
    /// removed is left out: its rung is no longer known.
    pub accepted: KompasCount,
    /// Per rung.
    pub by_rung: HelpByRung,
    /// Rungs 1 to 3 (own network, neighbours, resident initiatives) over `accepted`.
    pub informal_share: KompasFigure,
}

/// Matches declined in the month, per reason.
#[derive(Debug, Clone, Object)]
pub struct DeclinedByReason {
    /// Not available at the times needed.
    pub not_available: KompasCount,
    /// Too far.
    pub too_far: KompasCount,
    /// Not a good fit.
    pub not_a_fit: KompasCount,
    /// No places or time left.
    pub no_capacity: KompasCount,
    /// The help is no longer needed.
    pub no_longer_needed: KompasCount,
    /// Something else.
    pub other: KompasCount,
}

/// Matches declined.
#[derive(Debug, Clone, Object)]
pub struct MatchesDeclined {
    /// Matches declined by a side in the month (of the requests of this area).
    pub total: KompasCount,
    /// Per reason.
    pub by_reason: DeclinedByReason,
}

/// How matches went.
#[derive(Debug, Clone, Object)]
pub struct MatchFigures {
    /// Matches completed in the month (of the requests of this area).
    pub completed: KompasCount,
    /// Declined in the month.
    pub declined: MatchesDeclined,
    /// Feedback given in the month that marks the other side as not having shown up.
    pub no_shows: KompasCount,
}

/// Referrals made in the month, by the state they are in now.
#[derive(Debug, Clone, Object)]
pub struct ReferralsByState {
    /// Sent, not answered yet.
    pub sent: KompasCount,
    /// Accepted by the helper.
    pub accepted: KompasCount,
    /// Declined by the helper.
    pub declined: KompasCount,
    /// Under way.
    pub in_progress: KompasCount,
    /// Closed with an outcome.
    pub closed: KompasCount,
    /// Cancelled.
    pub cancelled: KompasCount,
}

/// Referrals closed in the month, by outcome.
#[derive(Debug, Clone, Object)]
pub struct ReferralsByOutcome {
    /// Got help.
    pub got_help: KompasCount,
    /// Could not make contact.
    pub could_not_contact: KompasCount,
    /// Not eligible.
    pub not_eligible: KompasCount,
    /// No place.
    pub no_capacity: KompasCount,
    /// The help did not come.
    pub could_not_get_help: KompasCount,
    /// No longer interested.
    pub no_longer_interested: KompasCount,
    /// Referred elsewhere.
    pub referred_elsewhere: KompasCount,
}

/// The team's referrals. Never per professional.
#[derive(Debug, Clone, Object)]
pub struct ReferralFigures {
    /// Referrals made (sent) in the month, of requests in this area.
    pub made: KompasCount,
    /// Those, by their current state.
    pub by_state: ReferralsByState,
    /// Of those made in the month: still sent (unanswered), sent on a day at least 7 days
    /// before today (UTC). Changes as time passes.
    pub stale: KompasCount,
    /// Referrals closed in the month.
    pub closed: KompasCount,
    /// Those, by outcome.
    pub by_outcome: ReferralsByOutcome,
}

/// Support requests submitted in the month, by kind.
#[derive(Debug, Clone, Object)]
pub struct SupportByKind {
    /// A room.
    pub room: KompasCount,
    /// A grant.
    pub grant: KompasCount,
    /// Volunteers.
    pub volunteers: KompasCount,
    /// Training or expertise.
    pub training: KompasCount,
    /// Publicity.
    pub publicity: KompasCount,
    /// A contact at the municipality.
    pub municipal_contact: KompasCount,
}

/// Support requests submitted in the month, by their current status.
#[derive(Debug, Clone, Object)]
pub struct SupportByStatus {
    /// Submitted.
    pub submitted: KompasCount,
    /// In review.
    pub in_review: KompasCount,
    /// Granted.
    pub granted: KompasCount,
    /// Declined.
    pub declined: KompasCount,
    /// Withdrawn.
    pub withdrawn: KompasCount,
}

/// What initiatives asked of the wijkteam (by the initiative's wijk when it asked).
#[derive(Debug, Clone, Object)]
pub struct SupportFigures {
    /// Support requests submitted in the month.
    pub total: KompasCount,
    /// Per kind.
    pub by_kind: SupportByKind,
    /// Per current status.
    pub by_status: SupportByStatus,
}

/// Answers on one theme of how the help went.
#[derive(Debug, Clone, Object)]
pub struct ThemeFigures {
    /// Answers given in the month that scored the theme.
    pub answers: KompasCount,
    /// Their mean score, 1 to 5.
    pub mean: KompasFigure,
}

/// How the help went, per theme (answers given in the month; see `/v1/taxonomy`).
#[derive(Debug, Clone, Object)]
pub struct ExperienceFigures {
    /// Ik werd gehoord.
    pub listened: ThemeFigures,
    /// De hulp paste bij mijn vraag.
    pub fitted: ThemeFigures,
    /// Het ging snel genoeg.
    pub quick: ThemeFigures,
    /// Ik red me nu beter.
    pub manage_better: ThemeFigures,
    /// Mijn kwaliteit van leven is beter.
    pub quality_of_life: ThemeFigures,
    /// Ik zou het aanraden.
    pub recommend: ThemeFigures,
}

/// A row's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum KompasLevel {
    /// One wijk.
    Wijk,
    /// The gemeente: all its wijken together, listed or not.
    Gemeente,
}

/// One area in one month.
#[derive(Debug, Clone, Object)]
pub struct KompasRow {
    /// The wijk or gemeente (CBS code).
    pub area_code: String,
    /// Its name.
    pub area_name: String,
    /// Wijk or gemeente.
    pub level: KompasLevel,
    /// The month, `YYYY-MM` (UTC).
    pub month: String,
    /// Whether nothing of the row is shown (for the public: some count in it is 1 to 4).
    pub suppressed: bool,
    /// The codes (see `indicators`) of the figures held back.
    pub suppressed_indicators: Vec<String>,
    /// Requests (listings of kind request) posted in the month in this area.
    pub requests_posted: KompasCount,
    /// Matched or referred within 14 days.
    pub within_14_days: WithinFourteenDays,
    /// Days to the first match.
    pub days_to_first_match: DaysToFirstMatch,
    /// Where help came from.
    pub help: HelpFigures,
    /// Matches.
    pub matches: MatchFigures,
    /// Referrals.
    pub referrals: ReferralFigures,
    /// Support requests.
    pub support_requests: SupportFigures,
    /// How the help went.
    pub experience: ExperienceFigures,
    /// People who joined an initiative's network in the month (they join through completed
    /// matches), by the initiative's wijk.
    pub new_network_members: KompasCount,
}

/// What a figure measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum KompasUnit {
    /// A whole number.
    Count,
    /// 0 to 1.
    Share,
    /// Whole days.
    Days,
    /// A mean score, 1 to 5.
    Score,
}

/// One figure of every row.
#[derive(Debug, Clone, Object)]
pub struct KompasIndicator {
    /// Its code: the path of its object in a row (`help.by_rung.neighbours.share` is
    /// `row.help.by_rung.neighbours.share`), and the CSV's `indicator`.
    pub code: String,
    /// What it measures.
    pub unit: KompasUnit,
}

/// A named area.
#[derive(Debug, Clone, Object)]
pub struct KompasArea {
    /// CBS code.
    pub code: String,
    /// CBS name.
    pub name: String,
}

/// Who the figures are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum KompasScope {
    /// The gemeente's professionals and admins: each count shown unless k = 5 holds it back.
    Team,
    /// Everyone else: a row is shown only where no count in it is held back.
    Public,
}

/// The kompas of an area over a period.
#[derive(Debug, Clone, Object)]
pub struct Kompas {
    /// The area asked for.
    pub area: KompasArea,
    /// Its gemeente.
    pub gemeente: KompasArea,
    /// The first month, `YYYY-MM`.
    pub from: String,
    /// The last month (included), `YYYY-MM`.
    pub to: String,
    /// Who the figures are for.
    pub scope: KompasScope,
    /// The wijken listed, in code order (or as asked).
    pub wijken: Vec<KompasArea>,
    /// Every figure of a row, in order: to draw a line chart per indicator, take each code's
    /// value from the rows of one area, month by month.
    pub indicators: Vec<KompasIndicator>,
    /// Per listed wijk its months in order, then the gemeente's months.
    pub rows: Vec<KompasRow>,
}

fn unit(u: Unit) -> KompasUnit {
    match u {
        Unit::Count => KompasUnit::Count,
        Unit::Share => KompasUnit::Share,
        Unit::Days => KompasUnit::Days,
        Unit::Score => KompasUnit::Score,
    }
}

/// The figures of one row, by code.
struct Figures<'a>(HashMap<&'a str, Shown<Option<f64>>>);

impl Figures<'_> {
    fn get(&self, code: &str) -> Shown<Option<f64>> {
        self.0.get(code).copied().unwrap_or(Shown::Suppressed)
    }

    fn count(&self, code: &str) -> KompasCount {
        let f = self.get(code);
        KompasCount { value: f.value().flatten().map(|v| v.round() as u64), suppressed: f.is_suppressed() }
    }

    fn figure(&self, code: &str) -> KompasFigure {
        let f = self.get(code);
        KompasFigure { value: f.value().flatten(), suppressed: f.is_suppressed() }
    }

    fn rung(&self, r: &str) -> RungFigures {
        RungFigures { count: self.count(&format!("help.by_rung.{r}.count")), share: self.figure(&format!("help.by_rung.{r}.share")) }
    }

    fn theme(&self, t: &str) -> ThemeFigures {
        ThemeFigures { answers: self.count(&format!("experience.{t}.answers")), mean: self.figure(&format!("experience.{t}.mean")) }
    }
}

fn row(r: &Row) -> KompasRow {
    let catalogue = service::catalogue();
    let f = Figures(catalogue.iter().map(|i| i.code.as_str()).zip(r.figures.iter().copied()).collect());
    let declined = |x: &str| f.count(&format!("matches.declined.by_reason.{x}"));
    let state = |x: &str| f.count(&format!("referrals.by_state.{x}"));
    let outcome = |x: &str| f.count(&format!("referrals.by_outcome.{x}"));
    let kind = |x: &str| f.count(&format!("support_requests.by_kind.{x}"));
    let status = |x: &str| f.count(&format!("support_requests.by_status.{x}"));
    KompasRow {
        area_code: r.area_code.clone(),
        area_name: r.area_name.clone(),
        level: if r.level == Level::Wijk { KompasLevel::Wijk } else { KompasLevel::Gemeente },
        month: r.month.to_string(),
        suppressed: r.all_suppressed(),
        suppressed_indicators: catalogue.iter().zip(&r.figures).filter(|(_, s)| s.is_suppressed()).map(|(i, _)| i.code.clone()).collect(),
        requests_posted: f.count("requests_posted"),
        within_14_days: WithinFourteenDays { count: f.count("within_14_days.count"), share: f.figure("within_14_days.share") },
        days_to_first_match: DaysToFirstMatch {
            requests: f.count("days_to_first_match.requests"),
            median: f.figure("days_to_first_match.median"),
        },
        help: HelpFigures {
            accepted: f.count("help.accepted"),
            by_rung: HelpByRung {
                own_network: f.rung("own_network"),
                neighbours: f.rung("neighbours"),
                resident_initiative: f.rung("resident_initiative"),
                volunteer_organisation: f.rung("volunteer_organisation"),
                general_provision: f.rung("general_provision"),
                professional_service: f.rung("professional_service"),
            },
            informal_share: f.figure("help.informal_share"),
        },
        matches: MatchFigures {
            completed: f.count("matches.completed"),
            declined: MatchesDeclined {
                total: f.count("matches.declined.total"),
                by_reason: DeclinedByReason {
                    not_available: declined("not_available"),
                    too_far: declined("too_far"),
                    not_a_fit: declined("not_a_fit"),
                    no_capacity: declined("no_capacity"),
                    no_longer_needed: declined("no_longer_needed"),
                    other: declined("other"),
                },
            },
            no_shows: f.count("matches.no_shows"),
        },
        referrals: ReferralFigures {
            made: f.count("referrals.made"),
            by_state: ReferralsByState {
                sent: state("sent"),
                accepted: state("accepted"),
                declined: state("declined"),
                in_progress: state("in_progress"),
                closed: state("closed"),
                cancelled: state("cancelled"),
            },
            stale: f.count("referrals.stale"),
            closed: f.count("referrals.closed"),
            by_outcome: ReferralsByOutcome {
                got_help: outcome("got_help"),
                could_not_contact: outcome("could_not_contact"),
                not_eligible: outcome("not_eligible"),
                no_capacity: outcome("no_capacity"),
                could_not_get_help: outcome("could_not_get_help"),
                no_longer_interested: outcome("no_longer_interested"),
                referred_elsewhere: outcome("referred_elsewhere"),
            },
        },
        support_requests: SupportFigures {
            total: f.count("support_requests.total"),
            by_kind: SupportByKind {
                room: kind("room"),
                grant: kind("grant"),
                volunteers: kind("volunteers"),
                training: kind("training"),
                publicity: kind("publicity"),
                municipal_contact: kind("municipal_contact"),
            },
            by_status: SupportByStatus {
                submitted: status("submitted"),
                in_review: status("in_review"),
                granted: status("granted"),
                declined: status("declined"),
                withdrawn: status("withdrawn"),
            },
        },
        experience: ExperienceFigures {
            listened: f.theme("listened"),
            fitted: f.theme("fitted"),
            quick: f.theme("quick"),
            manage_better: f.theme("manage_better"),
            quality_of_life: f.theme("quality_of_life"),
            recommend: f.theme("recommend"),
        },
        new_network_members: f.count("new_network_members"),
    }
}

impl Kompas {
    /// The wire form of a kompas.
    pub fn of(k: &Model) -> Self {
        let area = |(code, name): &(String, String)| KompasArea { code: code.clone(), name: name.clone() };
        Self {
            area: KompasArea { code: k.area.as_str().to_owned(), name: k.area_name.clone() },
            gemeente: area(&k.gemeente),
            from: k.period.from.to_string(),
            to: k.period.to.to_string(),
            scope: if k.audience == Audience::Team { KompasScope::Team } else { KompasScope::Public },
            wijken: k.wijken.iter().map(area).collect(),
            indicators: service::catalogue().iter().map(|i| KompasIndicator { code: i.code.clone(), unit: unit(i.unit) }).collect(),
            rows: k.rows.iter().map(row).collect(),
        }
    }
}

/// The kompas as JSON or CSV.
#[derive(Debug, ResponseContent)]
pub enum KompasBody {
    /// `application/json`.
    Json(Json<Kompas>),
    /// `text/csv; charset=utf-8` (RFC 4180, CRLF line ends): a header row, then one row per
    /// area, month and indicator: `area_code,area_name,month,indicator,value,suppressed`; with
    /// `lang=nl` `gebied_code;gebied_naam;maand;indicator;waarde;onderdrukt`, `;` between
    /// fields, decimal commas and `ja`/`nee`. `value` is empty where nothing is shown.
    #[oai(content_type = "text/csv; charset=utf-8")]
    Csv(PlainText<String>),
}

/// The kompas.
#[derive(Debug, ApiResponse)]
pub enum KompasResponse {
    /// The figures; a CSV comes as an attachment (`Content-Disposition`).
    #[oai(status = 200)]
    Ok(KompasBody, #[oai(header = "Content-Disposition")] Option<String>),
}

/// The most wijken one request may list.
const MAX_WIJKEN: usize = 100;

/// The kompas resource.
pub struct KompasApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(prefix_path = "/v1/areas", tag = "ApiTags::Wijkteam")]
impl KompasApi {
    /// The kompas of an area
    ///
    /// Per wijk and month, and for the gemeente as a whole, what the wijkteam's work came to:
    /// requests posted and how soon they were helped, where help came from on the ladder
    /// (informal first), how matches and referrals went, what initiatives asked, how residents
    /// said it went, and who joined a network. Each figure's definition is on its field; every
    /// count is by the month its event happened in (UTC) and the area of its request (support
    /// requests and new members: of the initiative).
    ///
    /// For a gemeente (GM...) every wijk is listed, or those named in `wijk`; for a wijk (WK...)
    /// that wijk. The gemeente's rows always follow: each adds up ALL its wijken, whichever are
    /// listed, so what is suppressed never depends on a query parameter. No figure adds up
    /// months, so periods shifted by a month cannot be subtracted to find a hidden month.
    ///
    /// Anyone may read it. The gemeente's professionals and admins see every count of 0 or at
    /// least 5 (`scope: team`), unless shown counts would give a hidden one away; everyone else
    /// (`scope: public`) sees a row only where nothing in it is held back. No figure names or
    /// ranks a professional.
    #[oai(path = "/:code/kompas", method = "get", operation_id = "get_kompas")]
    #[allow(clippy::too_many_arguments)]
    async fn kompas(
        &self,
        req: &Request,
        caller: Caller,
        /// A CBS gemeente (GM....) or wijk (WK......) code.
        #[oai(validator(max_length = 8))]
        code: Path<String>,
        /// The first month, `YYYY-MM` (default: 11 months before `to`).
        #[oai(validator(max_length = 7))]
        from: Query<Option<String>>,
        /// The last month, included, `YYYY-MM` (default: this month, so far); at most 36 months
        /// from `from`.
        #[oai(validator(max_length = 7))]
        to: Query<Option<String>>,
        /// With a gemeente's code: the wijken to list side by side (repeat it, or separate
        /// codes with commas); each must be a wijk of that gemeente. Default: all of them.
        wijk: Query<Option<Vec<String>>>,
        /// `json` (default) or `csv`; `Accept: text/csv` asks for CSV too.
        #[oai(validator(max_length = 8))]
        format: Query<Option<String>>,
        /// The CSV's language: `en` (default) or `nl`.
        #[oai(validator(max_length = 8))]
        lang: Query<Option<String>>,
    ) -> Result<KompasResponse, ApiError> {
        let area = field("code", CbsCode::parse(&code.0))?;
        let period = Period::parse(from.0.as_deref(), to.0.as_deref(), now()).map_err(|(f, e)| ApiError::invalid(f, e.0))?;
        let listed = match wijk.0 {
            None => None,
            Some(values) => {
                let mut codes = Vec::new();
                for v in values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()) {
                    match CbsCode::parse(v) {
                        Ok(c @ CbsCode::Wijk(_)) => codes.push(c),
                        _ => return Err(ApiError::invalid("wijk", format!("{v:?} is not a wijk code (WK followed by 6 characters)"))),
                    }
                }
                if codes.is_empty() || codes.len() > MAX_WIJKEN {
                    return Err(ApiError::invalid("wijk", format!("name 1 to {MAX_WIJKEN} wijken")));
                }
                Some(codes)
            }
        };
        let csv = match format.0.as_deref() {
            None => req
                .headers()
                .get(poem::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.split(',').any(|p| p.trim().split(';').next().is_some_and(|t| t.trim() == "text/csv"))),
            Some("json") => false,
            Some("csv") => true,
            Some(_) => return Err(ApiError::invalid("format", "json or csv")),
        };
        let lang = match lang.0.as_deref() {
            None | Some("en") => Lang::En,
            Some("nl") => Lang::Nl,
            Some(_) => return Err(ApiError::invalid("lang", "en or nl")),
        };
        let k = service::kompas(&self.state, &caller.0, area, period, listed).await?;
        if csv {
            let name = format!("attachment; filename=\"kompas-{}-{}-{}.csv\"", k.area.as_str(), k.period.from, k.period.to);
            return Ok(KompasResponse::Ok(KompasBody::Csv(PlainText(service::csv(&k, lang))), Some(name)));
        }
        Ok(KompasResponse::Ok(KompasBody::Json(Json(Kompas::of(&k))), None))
    }
}

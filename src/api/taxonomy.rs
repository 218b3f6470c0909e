//! `/v1/taxonomy`: the vocabularies, with the labels people read.

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::caller::Caller;
use super::common::Label;
use crate::domain::referral::{ReferralDeclineReason, ReferralHelperKind, ReferralOutcome, ReferralState};
use crate::domain::{ActivityCategory, ExperienceTheme, InitiativeKind, SupportDeclineReason, SupportKind, SupportStatus, ZrmDomain};

/// One term of a vocabulary.
#[derive(Debug, Clone, Object)]
pub struct Term {
    /// Stable code, used in every filter and body.
    pub code: String,
    /// Labels.
    pub label: Label,
}

/// All vocabularies.
#[derive(Debug, Clone, Object)]
pub struct Taxonomy {
    /// The 13 life domains of the Zelfredzaamheid-Matrix (2017).
    pub zrm_domains: Vec<Term>,
    /// Activity categories.
    pub categories: Vec<Term>,
    /// Initiative kinds, in informal-first order.
    pub initiative_kinds: Vec<Term>,
    /// The states of a referral.
    pub referral_states: Vec<Term>,
    /// Why a helper declines a referral.
    pub referral_decline_reasons: Vec<Term>,
    /// How a closed referral ended.
    pub referral_outcomes: Vec<Term>,
    /// What a referral's helper is, informal first.
    pub referral_helper_kinds: Vec<Term>,
    /// The themes residents score how the help went on (`/v1/experiences`), in questionnaire order.
    pub experience_themes: Vec<Term>,
    /// What an initiative may ask its wijkteam for.
    pub support_kinds: Vec<Term>,
    /// The states of a support request.
    pub support_statuses: Vec<Term>,
    /// Why the wijkteam declines a support request.
    pub support_decline_reasons: Vec<Term>,
}

/// The taxonomy.
#[derive(Debug, ApiResponse)]
pub enum TaxonomyResponse {
    /// The vocabularies.
    #[oai(status = 200)]
    Ok(Json<Taxonomy>),
}

/// The taxonomy resource.
pub struct TaxonomyApi;

fn term(code: &str, nl: &str, en: &str) -> Term {
    Term { code: code.into(), label: Label { nl: nl.into(), en: en.into() } }
}

#[OpenApi(prefix_path = "/v1/taxonomy", tag = "ApiTags::Taxonomy")]
impl TaxonomyApi {
    /// Get the taxonomy
    ///
    /// ZRM life domains, activity categories, initiative kinds, the referral vocabularies
    /// (states, decline reasons, outcomes, helper kinds), the support vocabularies (kinds,
    /// statuses, decline reasons) and the themes of residents' experience, with Dutch and
    /// English labels.
    #[oai(path = "/", method = "get", operation_id = "get_taxonomy")]
    async fn get(&self, _caller: Caller) -> TaxonomyResponse {
        TaxonomyResponse::Ok(Json(Taxonomy {
            zrm_domains: ZrmDomain::ALL.iter().map(|d| term(d.code(), d.label_nl(), d.label_en())).collect(),
            categories: ActivityCategory::ALL.iter().map(|c| term(c.code(), c.label_nl(), c.label_en())).collect(),
            initiative_kinds: InitiativeKind::ALL.iter().map(|k| term(k.code(), k.label_nl(), k.label_en())).collect(),
            referral_states: ReferralState::ALL.iter().map(|k| term(k.code(), k.label_nl(), k.label_en())).collect(),
            referral_decline_reasons: ReferralDeclineReason::ALL.iter().map(|k| term(k.code(), k.label_nl(), k.label_en())).collect(),
            referral_outcomes: ReferralOutcome::ALL.iter().map(|k| term(k.code(), k.label_nl(), k.label_en())).collect(),
            referral_helper_kinds: ReferralHelperKind::ALL.iter().map(|k| term(k.code(), k.label_nl(), k.label_en())).collect(),
            experience_themes: ExperienceTheme::ALL.iter().map(|t| term(t.code(), t.label_nl(), t.label_en())).collect(),
            support_kinds: SupportKind::ALL.iter().map(|k| term(k.code(), k.label_nl(), k.label_en())).collect(),
            support_statuses: SupportStatus::ALL.iter().map(|s| term(s.code(), s.label_nl(), s.label_en())).collect(),
            support_decline_reasons: SupportDeclineReason::ALL.iter().map(|r| term(r.code(), r.label_nl(), r.label_en())).collect(),
        }))
    }
}

//! The production engine: Meilisearch, through meilisearch-sdk.
//!
//! Filters are built here from parsed domain values (codes, ids, numbers), each string quoted;
//! the caller's words go only into `q`, never into filter syntax. The visibility rules of the
//! embedded engine are expressed as filters, so Meilisearch never returns a document the
//! caller may not find, and a summary is cut down here before it leaves.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use meilisearch_sdk::client::Client;
use meilisearch_sdk::indexes::Index;
use meilisearch_sdk::search::Selectors;
use meilisearch_sdk::settings::{
    FilterFeatureModes, FilterFeatures, FilterableAttribute, FilterableAttributesSettings, PaginationSetting, Settings,
};
use meilisearch_sdk::task_info::TaskInfo;

use super::document::{SearchDocument, audience};
use super::{DocType, Facet, NextPage, SearchHit, SearchRequest, SearchResults, SearchSort, merge_buckets};
use crate::auth::policy;
use crate::auth::{Principal, Role};
use crate::domain::text::query_words;
use crate::domain::{CbsCode, CellId, Coordinates};
use crate::store::query::Bucket;

/// Where the production search engine is.
#[derive(Clone)]
pub struct MeiliSettings {
    /// Its address, e.g. `http://127.0.0.1:7700`.
    pub url: String,
    /// The key it was started with (a secret).
    pub key: Option<String>,
    /// The index to use (default `buurtkracht`).
    pub index: String,
}

impl std::fmt::Debug for MeiliSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeiliSettings")
            .field("url", &self.url)
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("index", &self.index)
            .finish()
    }
}

/// What went wrong talking to Meilisearch.
#[derive(Debug, thiserror::Error)]
pub enum MeiliError {
    /// The request failed or Meilisearch refused it.
    #[error("meilisearch: {0}")]
    Client(#[from] meilisearch_sdk::errors::Error),
    /// A task was accepted but did not succeed.
    #[error("meilisearch task failed: {0}")]
    Task(String),
}

/// How long a write may take to be applied before delivery counts it as failed.
const TASK_TIMEOUT: Duration = Duration::from_secs(60);

/// Markers Meilisearch puts around matches; they are swapped for `<mark>` after the text is
/// HTML-escaped, so a resident's text never becomes markup.
const PRE: &str = "\u{2}";
const POST: &str = "\u{3}";

/// Deepest a caller may page (offset + limit).
pub const MAX_TOTAL_HITS: usize = 10_000;

/// One index on one Meilisearch server.
#[derive(Clone)]
pub struct MeiliIndex {
    client: Client,
    uid: String,
}

impl std::fmt::Debug for MeiliIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeiliIndex").field("uid", &self.uid).finish()
    }
}

/// Dutch words too common to search by.
const STOP_WORDS: &[&str] = &[
    "de", "het", "een", "en", "van", "in", "op", "te", "met", "voor", "bij", "is", "of", "aan", "er", "om", "die", "dat", "als", "ook",
    "tot", "uit", "naar", "door", "over", "je", "we", "wij", "ik", "u", "zijn", "wordt", "worden",
];

/// Words residents and professionals use for the same help.
const SYNONYMS: &[&[&str]] = &[
    &["boodschappen", "supermarkt", "winkelen"],
    &["klussen", "reparatie", "repareren", "klusjes"],
    &["eenzaamheid", "gezelschap", "eenzaam", "contact"],
    &["taalcafe", "taalcafé", "taalmaatje", "nederlands oefenen"],
    &["formulieren", "post", "administratie", "papieren"],
    &["vervoer", "rijden", "autorit"],
];

impl MeiliIndex {
    /// A handle on the configured index; nothing is sent yet.
    pub fn new(s: &MeiliSettings) -> Result<Self, MeiliError> {
        Ok(Self { client: Client::new(s.url.clone(), s.key.clone())?, uid: s.index.clone() })
    }

    fn index(&self) -> Index {
        self.client.index(&self.uid)
    }

    async fn wait(&self, task: TaskInfo) -> Result<(), MeiliError> {
        self.wait_up_to(task, TASK_TIMEOUT).await
    }

    async fn wait_up_to(&self, task: TaskInfo, timeout: Duration) -> Result<(), MeiliError> {
        let done = task.wait_for_completion(&self.client, Some(Duration::from_millis(20)), Some(timeout)).await?;
        if done.is_success() { Ok(()) } else { Err(MeiliError::Task(format!("{:?}", done.unwrap_failure()))) }
    }

    /// Whether the server answers.
    pub async fn reachable(&self) -> bool {
        self.client.health().await.is_ok()
    }

    /// The index's name in Meilisearch.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The index a rebuild fills before it replaces this one.
    pub fn staging(&self) -> Self {
        Self { client: self.client.clone(), uid: format!("{}-rebuild", self.uid) }
    }

    /// Whether the index exists.
    pub async fn exists(&self) -> bool {
        self.client.get_index(&self.uid).await.is_ok()
    }

    /// Swaps the contents of this index and `other` in one step, so searches go from one
    /// complete index to the other. Both must exist.
    pub async fn swap_with(&self, other: &MeiliIndex) -> Result<(), MeiliError> {
        let swap = meilisearch_sdk::client::SwapIndexes { indexes: (self.uid.clone(), other.uid.clone()), rename: None };
        let task = self.client.swap_indexes([&swap]).await?;
        self.wait(task).await
    }

    /// Creates the index if needed and applies its settings: attributes, ranking, Dutch stop
    /// words and synonyms.
    pub async fn apply_settings(&self) -> Result<(), MeiliError> {
        if self.client.get_index(&self.uid).await.is_err() {
            let created = self.client.create_index(&self.uid, Some("doc_id")).await?;
            // Another instance may have created it meanwhile; the settings below still apply.
            let _ = self.wait(created).await;
        }
        let mut synonyms: HashMap<String, Vec<String>> = HashMap::new();
        for group in SYNONYMS {
            for w in *group {
                synonyms.insert((*w).to_owned(), group.iter().filter(|o| *o != w).map(|o| (*o).to_owned()).collect());
            }
        }
        // Each filter gets only what its queries use: equality everywhere, a range only on
        // `valid_until`, and no facet search (facet counts need none). Every feature left out
        // is an index Meilisearch does not build for each document.
        let filter = |patterns: &[&str], comparison: bool| {
            FilterableAttribute::Settings(FilterableAttributesSettings {
                attribute_patterns: patterns.iter().map(|p| (*p).to_owned()).collect(),
                features: FilterFeatures { facet_search: false, filter: FilterFeatureModes { equality: true, comparison } },
            })
        };
        let settings = Settings::new()
            .with_searchable_attributes(["title", "text"])
            .with_proximity_precision("byAttribute")
            .with_filterable_attributes_advanced([
                filter(&["type", "categories", "zrm", "kind", "gemeente", "wijk", "audience", "owner_person", "personal"], false),
                filter(&["valid_until"], true),
                FilterableAttribute::Attribute("_geo".to_owned()),
            ])
            .with_sortable_attributes(["_geo", "created"])
            .with_ranking_rules(["words", "typo", "proximity", "attribute", "sort", "exactness"])
            .with_stop_words(STOP_WORDS.iter().copied())
            .with_synonyms(synonyms)
            .with_pagination(PaginationSetting { max_total_hits: MAX_TOTAL_HITS });
        let task = self.index().set_settings(&settings).await?;
        self.wait(task).await
    }

    /// Adds or replaces documents by `doc_id`, and waits until they are applied.
    pub async fn replace(&self, docs: &[SearchDocument]) -> Result<(), MeiliError> {
        if docs.is_empty() {
            return Ok(());
        }
        let task = self.index().add_or_replace(docs, Some("doc_id")).await?;
        self.wait(task).await
    }

    /// Sends documents to add or replace without waiting: Meilisearch indexes queued batches
    /// together, which is what makes a rebuild fast. Pass the tasks to [`Self::wait_all`].
    pub async fn enqueue_replace(&self, docs: &[SearchDocument]) -> Result<TaskInfo, MeiliError> {
        Ok(self.index().add_or_replace(docs, Some("doc_id")).await?)
    }

    /// Waits until every task succeeded; the first failure is the error.
    pub async fn wait_all(&self, tasks: Vec<TaskInfo>) -> Result<(), MeiliError> {
        // Queued batches may be indexed together, so the first may finish only with the last.
        for t in tasks {
            self.wait_up_to(t, Duration::from_secs(3600)).await?;
        }
        Ok(())
    }

    /// Deletes documents by `doc_id` (absent ones are no error), and waits.
    pub async fn delete(&self, doc_ids: &[String]) -> Result<(), MeiliError> {
        if doc_ids.is_empty() {
            return Ok(());
        }
        let task = self.index().delete_documents(doc_ids).await?;
        self.wait(task).await
    }

    /// Deletes every document, and waits.
    pub async fn clear(&self) -> Result<(), MeiliError> {
        let task = self.index().delete_all_documents().await?;
        self.wait(task).await
    }

    /// How many documents the index holds.
    pub async fn count(&self) -> Result<usize, MeiliError> {
        Ok(self.index().get_stats().await?.number_of_documents)
    }

    /// Deletes the whole index (tests clean up with it).
    pub async fn drop_index(&self) -> Result<(), MeiliError> {
        let task = self.index().delete().await?;
        self.wait(task).await
    }

    /// Runs `req` for `p`; `offset` is where the page starts.
    pub async fn search(&self, p: &Principal, req: &SearchRequest, offset: usize, now: DateTime<Utc>) -> Result<SearchResults, MeiliError> {
        let has_text = req.text.as_deref().is_some_and(|t| !query_words(t).is_empty());
        let filter = filters(p, req, has_text, now);
        let text = req.text.clone().unwrap_or_default();
        let sort_spec = match (req.sort, req.near, has_text) {
            (SearchSort::Distance, Some(n), _) | (SearchSort::Relevance, Some(n), false) => {
                vec![format!("_geoPoint({}, {}):asc", n.centre.lat(), n.centre.lng())]
            }
            (SearchSort::Relevance, None, false) => vec!["created:desc".to_owned()],
            _ => Vec::new(),
        };
        let sort: Vec<&str> = sort_spec.iter().map(String::as_str).collect();
        let limit = req.limit as usize;
        let index = self.index();
        let mut query = index.search();
        query
            .with_query(&text)
            .with_filter(&filter)
            .with_offset(offset)
            .with_limit(limit + 1)
            .with_attributes_to_crop(Selectors::Some(&[("text", Some(30))]))
            .with_attributes_to_highlight(Selectors::Some(&["text", "title"]))
            .with_highlight_pre_tag(PRE)
            .with_highlight_post_tag(POST)
            .with_crop_marker("…");
        if !sort.is_empty() {
            query.with_sort(&sort);
        }
        let found = query.execute::<SearchDocument>().await?;

        let mut hits = Vec::new();
        for h in found.hits.iter().take(limit) {
            if let Some(hit) = to_hit(p, &h.result, h.formatted_result.as_ref(), req, has_text) {
                hits.push(hit);
            }
        }
        let next = (found.hits.len() > limit && offset + limit < MAX_TOTAL_HITS).then_some(NextPage::Offset(offset + limit));

        let mut facets = Vec::new();
        if !req.facets.is_empty() {
            let plain: Vec<&str> = req.facets.iter().filter(|f| **f != Facet::Area).map(|f| attribute(*f)).collect();
            let mut parts: Vec<(Facet, Bucket)> = Vec::new();
            if !plain.is_empty() {
                self.count_into(&text, &filter, &plain, &mut parts).await?;
            }
            if req.facets.contains(&Facet::Area) {
                // A summary's wijk is not public.
                let filter = format!("{filter} AND {}", wijk_visible(p));
                self.count_into(&text, &filter, &["wijk"], &mut parts).await?;
            }
            for f in &req.facets {
                facets.push((*f, merge_buckets(parts.iter().filter(|(g, _)| g == f).map(|(_, b)| b.clone()))));
            }
        }
        Ok(SearchResults { hits, facets, next })
    }

    /// Counts of `attributes` over all matches, with how many of each are a person's.
    async fn count_into(&self, text: &str, filter: &str, attributes: &[&str], out: &mut Vec<(Facet, Bucket)>) -> Result<(), MeiliError> {
        let index = self.index();
        let personal_filter = format!("{filter} AND personal = true");
        let mut all = HashMap::new();
        let mut personal = HashMap::new();
        for (f, into) in [(filter, &mut all), (personal_filter.as_str(), &mut personal)] {
            let r = index
                .search()
                .with_query(text)
                .with_filter(f)
                .with_limit(0)
                .with_facets(Selectors::Some(attributes))
                .execute::<serde_json::Value>()
                .await?;
            *into = r.facet_distribution.unwrap_or_default();
        }
        for (attr, values) in all {
            let Some(facet) = Facet::ALL.into_iter().find(|f| attribute(*f) == attr) else { continue };
            for (value, count) in values {
                let p = personal.get(&attr).and_then(|m| m.get(&value)).copied().unwrap_or(0);
                out.push((facet, Bucket { value, count: count as u64, personal: p as u64 }));
            }
        }
        Ok(())
    }
}

fn attribute(f: Facet) -> &'static str {
    match f {
        Facet::Category => "categories",
        Facet::Zrm => "zrm",
        Facet::Kind => "kind",
        Facet::Area => "wijk",
    }
}

/// A filter string literal. Values are codes and ids this service parsed, but they are quoted
/// and escaped all the same.
fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

fn quoted_list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    format!("[{}]", values.into_iter().map(quote).collect::<Vec<_>>().join(", "))
}

/// Documents `p` reads in full beyond the public ones: their own, and a professional's
/// gemeenten. `None` when there are none.
fn privileged(p: &Principal) -> Option<String> {
    let mut any = Vec::new();
    if p.role == Role::Professional && !p.gemeenten.is_empty() {
        any.push(format!("gemeente IN {}", quoted_list(p.gemeenten.iter().map(String::as_str))));
    }
    if let Some(me) = p.person_id {
        any.push(format!("owner_person = {}", quote(&me.to_string())));
    }
    (!any.is_empty()).then(|| format!("({})", any.join(" OR ")))
}

/// Rows whose wijk `p` may know.
fn wijk_visible(p: &Principal) -> String {
    match privileged(p) {
        Some(own) => format!("(audience != {} OR {own})", quote(audience::PERSON_REQUEST)),
        None => format!("audience != {}", quote(audience::PERSON_REQUEST)),
    }
}

/// The whole filter of a search: visibility first, then the caller's filters.
fn filters(p: &Principal, req: &SearchRequest, has_text: bool, now: DateTime<Utc>) -> String {
    let mut visible = vec![format!("audience = {}", quote(audience::PUBLIC))];
    // Words never match a summary: only its owner and the professionals of its gemeente may
    // search its text.
    if !has_text {
        visible.push(format!("audience = {}", quote(audience::PERSON_REQUEST)));
    }
    if let Some(own) = privileged(p) {
        visible.push(format!("(audience IN {} AND {own})", quoted_list([audience::PERSON_REQUEST, audience::VOLUNTEER])));
    }
    let mut all = vec![format!("({})", visible.join(" OR ")), format!("valid_until > {}", now.timestamp())];
    if !req.types.is_empty() {
        all.push(format!("type IN {}", quoted_list(req.types.iter().map(|t| t.code()))));
    }
    if !req.categories.is_empty() {
        all.push(format!("categories IN {}", quoted_list(req.categories.iter().map(|c| c.code()))));
    }
    if !req.zrm.is_empty() {
        all.push(format!("zrm IN {}", quoted_list(req.zrm.iter().map(|z| z.code()))));
    }
    match &req.area {
        Some(CbsCode::Gemeente(g)) => all.push(format!("gemeente = {}", quote(g))),
        Some(CbsCode::Wijk(w)) => {
            all.push(format!("wijk = {}", quote(w)));
            all.push(wijk_visible(p));
        }
        None => {}
    }
    if let Some(n) = req.near {
        all.push(format!("_geoRadius({}, {}, {})", n.centre.lat(), n.centre.lng(), n.radius.metres()));
    }
    all.join(" AND ")
}

/// Escapes the text and turns the match markers into `<mark>`.
fn marked(formatted: &str) -> String {
    let mut out = String::with_capacity(formatted.len() + 16);
    for c in formatted.chars() {
        match c {
            '\u{2}' => out.push_str("<mark>"),
            '\u{3}' => out.push_str("</mark>"),
            c => super::highlight::escape_char(&mut out, c),
        }
    }
    out
}

/// The hit `p` may see of a document the filter let through.
fn to_hit(
    p: &Principal,
    d: &SearchDocument,
    formatted: Option<&serde_json::Map<String, serde_json::Value>>,
    req: &SearchRequest,
    has_text: bool,
) -> Option<SearchHit> {
    let id = uuid::Uuid::parse_str(&d.item_id).ok()?;
    let doc_type = DocType::ALL.into_iter().find(|t| t.code() == d.doc_type)?;
    let owner = d.owner_person.as_deref().and_then(|o| uuid::Uuid::parse_str(o).ok());
    let own = owner.is_some_and(|o| p.is_person(o));
    let full = d.audience == audience::PUBLIC || own || p.professional_in(&d.gemeente);
    if d.audience == audience::VOLUNTEER && !full {
        return None;
    }
    let at = Coordinates::parse(d.geo.lat, d.geo.lng).ok()?;
    let distance_m = req.near.map(|n| n.centre.distance_m(at));
    let text_of = |field: &str| formatted.and_then(|f| f.get(field)).and_then(|v| v.as_str()).map(marked);
    if !full {
        // A resident's request, to the public: a summary.
        return Some(SearchHit {
            id,
            doc_type,
            title: None,
            snippet: None,
            distance_m,
            cell: CellId::parse(&d.coarse_cell).ok()?,
            kind: d.kind.clone(),
            gemeente_code: d.gemeente.clone(),
            audited_person: None,
        });
    }
    let snippet = if has_text { text_of("text") } else { None }.unwrap_or_else(|| super::highlight::snippet(&d.text, &[]));
    let audited = match doc_type {
        DocType::Volunteer | DocType::Request | DocType::Offer => {
            owner.filter(|o| policy::audited_read(p, *o) && d.audience != audience::PUBLIC)
        }
        DocType::Initiative => None,
    };
    Some(SearchHit {
        id,
        doc_type,
        title: Some(d.title.clone()),
        snippet: Some(snippet),
        distance_m,
        cell: CellId::parse(&d.cell).ok()?,
        kind: d.kind.clone(),
        gemeente_code: d.gemeente.clone(),
        audited_person: audited,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_cannot_break_out_of_a_string() {
        assert_eq!(quote(r#"a" OR type = "x"#), r#""a\" OR type = \"x""#);
        assert_eq!(quote(r"\"), r#""\\""#);
    }

    #[test]
    fn markers_become_marks_after_escaping() {
        assert_eq!(marked("<b>\u{2}koken\u{3}</b>"), "&lt;b&gt;<mark>koken</mark>&lt;/b&gt;");
    }
}

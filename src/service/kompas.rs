//! The kompas: per wijk and month, and for the gemeente as a whole, what the wijkteam's work
//! came to (docs/wijkteam.md section 5). Figures come from the counters the database keeps per
//! wijk and month (`store::kompas`), refreshed where a write marked them; what a caller sees of
//! them follows k = 5 (`stats::kompas::suppress`). No figure names or ranks a professional.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::error::{Error, Result};
use super::{State, now};
use crate::auth::Principal;
use crate::domain::CbsCode;
use crate::domain::experience::{Month, Period};
use crate::stats::Shown;
use crate::stats::kompas::suppress::{self, Audience};
use crate::stats::kompas::{Indicator, Raw, Unit, indicators};
use crate::store::kompas as rows;

/// Whether a row is a wijk's or the gemeente's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// One wijk.
    Wijk,
    /// The gemeente: all its wijken together.
    Gemeente,
}

/// One area in one month.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The wijk or gemeente code.
    pub area_code: String,
    /// Its name.
    pub area_name: String,
    /// Wijk or gemeente.
    pub level: Level,
    /// The month.
    pub month: Month,
    /// Every figure, in [`indicators`] order: `Value(None)` where there is nothing to show
    /// (a share of no requests), `Suppressed` where k = 5 holds it back.
    pub figures: Vec<Shown<Option<f64>>>,
}

impl Row {
    /// Whether nothing in the row is shown (the public's view of a row with a small count).
    pub fn all_suppressed(&self) -> bool {
        self.figures.iter().all(Shown::is_suppressed)
    }
}

/// A kompas as a caller may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Kompas {
    /// The area asked for.
    pub area: CbsCode,
    /// Its name.
    pub area_name: String,
    /// Its gemeente, code and name.
    pub gemeente: (String, String),
    /// The months.
    pub period: Period,
    /// Who the figures are for: the gemeente's team, or the public.
    pub audience: Audience,
    /// The wijken listed, code and name.
    pub wijken: Vec<(String, String)>,
    /// Per listed wijk its months, then the gemeente's months.
    pub rows: Vec<Row>,
}

/// Every figure's code and unit, in the order of a row's figures.
pub fn catalogue() -> &'static [Indicator] {
    indicators()
}

/// The kompas of `area` (a gemeente, or one wijk with its gemeente) over `period`, with the
/// wijken `listed` side by side (default: every wijk of the gemeente, or the one wijk). The
/// gemeente's professionals and admins see each count under k = 5; everyone else sees a row
/// only where nothing in it is held back.
pub async fn kompas(state: &State, p: &Principal, area: CbsCode, period: Period, listed: Option<Vec<CbsCode>>) -> Result<Kompas> {
    let gemeente = area.gemeente();
    let audience = if p.professional_in(&gemeente) || p.admin_of(&gemeente) { Audience::Team } else { Audience::Public };
    let names = crate::store::areas::names(&state.db, &[area.as_str(), gemeente.as_str()]).await?;
    let area_name = names.get(area.as_str()).cloned().ok_or(Error::NotFound("area"))?;
    let gemeente_name = names.get(gemeente.as_str()).cloned().unwrap_or_else(|| gemeente.clone());
    let all = rows::wijken(&state.db, &gemeente).await?;
    let wijken: Vec<(String, String)> = match (&area, listed) {
        (CbsCode::Wijk(_), Some(_)) => {
            return Err(Error::invalid("wijk", "list wijken side by side with the gemeente's code (GM...), not a wijk's"));
        }
        (CbsCode::Wijk(w), None) => all.iter().filter(|(c, _)| c == w).cloned().collect(),
        (_, None) => all.clone(),
        (_, Some(codes)) => {
            let mut out = Vec::new();
            for c in codes {
                let found = all
                    .iter()
                    .find(|(w, _)| w == c.as_str())
                    .ok_or_else(|| Error::invalid("wijk", format!("{} is not a wijk of {gemeente}", c.as_str())))?;
                if !out.contains(found) {
                    out.push(found.clone());
                }
            }
            out
        }
    };
    let range = Some((period.from, period.to));
    if rows::any_dirty(&state.db, &gemeente, range).await? {
        rows::refresh(&state.db, &gemeente, range).await?;
    }
    let cells = rows::cells(&state.db, &gemeente, period.from, period.to).await?;
    let today = now().date_naive();
    // Every wijk counts in the gemeente's row, listed or not, and so does a wijk code the rows
    // hold that the boundaries do not know.
    let mut parts: Vec<String> = all.iter().map(|(c, _)| c.clone()).collect();
    let known: BTreeSet<String> = parts.iter().cloned().collect();
    let extra: BTreeSet<String> = cells.keys().map(|(w, _)| w.clone()).filter(|w| !known.contains(w)).collect();
    parts.extend(extra);
    let empty = Default::default();
    let mut by_area: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let mut month = period.from;
    while month <= period.to {
        let raws: Vec<Raw> = parts.iter().map(|w| Raw::of(cells.get(&(w.clone(), month)).unwrap_or(&empty), month, today)).collect();
        let (judged, g) = suppress::month(&raws, audience);
        for (code, name) in &wijken {
            if let Some(i) = parts.iter().position(|w| w == code) {
                by_area.entry(code.clone()).or_default().push(Row {
                    area_code: code.clone(),
                    area_name: name.clone(),
                    level: Level::Wijk,
                    month,
                    figures: judged[i].figures.clone(),
                });
            }
        }
        by_area.entry(gemeente.clone()).or_default().push(Row {
            area_code: gemeente.clone(),
            area_name: gemeente_name.clone(),
            level: Level::Gemeente,
            month,
            figures: g.figures,
        });
        month = month.plus(1);
    }
    let mut out_rows = Vec::new();
    for (code, _) in &wijken {
        out_rows.extend(by_area.remove(code).unwrap_or_default());
    }
    out_rows.extend(by_area.remove(&gemeente).unwrap_or_default());
    Ok(Kompas { area, area_name, gemeente: (gemeente, gemeente_name), period, audience, wijken, rows: out_rows })
}

/// Refreshes every dirty slice of every gemeente; returns how many marks it took.
pub async fn refresh_all(state: &State) -> Result<usize> {
    Ok(refresh_everything(&state.db).await?)
}

async fn refresh_everything(db: &DatabaseConnection) -> std::result::Result<usize, sea_orm::DbErr> {
    let mut n = 0;
    let mut failed = None;
    for g in rows::dirty_gemeenten(db).await? {
        // One gemeente's failure must not hold back the others' refresh.
        match rows::refresh(db, &g, None).await {
            Ok(k) => n += k,
            Err(e) => {
                tracing::warn!(gemeente = %g, error = %e, "kompas refresh of a gemeente failed");
                failed = Some(e);
            }
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(n)
}

/// How often the background refresher looks for dirty slices.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// Refreshes the dirty slices every [`REFRESH_EVERY`] until the runtime stops (a refresh cut
/// off mid-way rolls back and leaves its marks). Safe next to other instances: see
/// `store::kompas`.
pub async fn run_refresher(db: DatabaseConnection) {
    loop {
        tokio::time::sleep(REFRESH_EVERY).await;
        match refresh_everything(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(marks = n, "kompas refreshed"),
            Err(e) => tracing::warn!(error = %e, "kompas refresh failed; retrying"),
        }
    }
}

/// The language of a CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English column names, `,` between fields, a decimal point.
    En,
    /// Dutch column names, `;` between fields, a decimal comma (as Dutch spreadsheets read it).
    Nl,
}

/// One field, quoted as RFC 4180 asks where it holds the separator, a quote or a line break.
fn field(out: &mut String, text: &str, sep: char) {
    if text.contains([sep, '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// A figure as CSV text: whole numbers for counts and days, the decimal mark of `lang`.
fn number(value: f64, unit: Unit, lang: Lang) -> String {
    let text = match unit {
        Unit::Count | Unit::Days => format!("{}", value.round() as i64),
        Unit::Share | Unit::Score => format!("{value}"),
    };
    if lang == Lang::Nl { text.replace('.', ",") } else { text }
}

/// The kompas as CSV (RFC 4180, CRLF line ends): a header row, then one row per area, month
/// and indicator, in the order of the JSON rows and figures. `value` is empty where there is
/// nothing to show or k = 5 holds it back; `suppressed` says which.
pub fn csv(k: &Kompas, lang: Lang) -> String {
    let (sep, header, yes, no) = match lang {
        Lang::En => (',', ["area_code", "area_name", "month", "indicator", "value", "suppressed"], "true", "false"),
        Lang::Nl => (';', ["gebied_code", "gebied_naam", "maand", "indicator", "waarde", "onderdrukt"], "ja", "nee"),
    };
    let catalogue = indicators();
    let mut out = String::with_capacity(64 + k.rows.len() * catalogue.len() * 48);
    let line = |out: &mut String, cells: [&str; 6]| {
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(sep);
            }
            field(out, c, sep);
        }
        out.push_str("\r\n");
    };
    line(&mut out, header);
    for row in &k.rows {
        let month = row.month.to_string();
        for (ind, f) in catalogue.iter().zip(&row.figures) {
            let value = match f {
                Shown::Value(Some(v)) => number(*v, ind.unit, lang),
                _ => String::new(),
            };
            line(&mut out, [&row.area_code, &row.area_name, &month, &ind.code, &value, if f.is_suppressed() { yes } else { no }]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_asks() {
        let mut s = String::new();
        field(&mut s, "Oud-Zaandam; \"Noord\"", ';');
        assert_eq!(s, "\"Oud-Zaandam; \"\"Noord\"\"\"");
        let mut s = String::new();
        field(&mut s, "Poelenburg", ',');
        assert_eq!(s, "Poelenburg");
        assert_eq!(number(0.25, Unit::Share, Lang::Nl), "0,25");
        assert_eq!(number(12.0, Unit::Count, Lang::En), "12");
    }
}

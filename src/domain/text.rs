//! Free text with limits, and language codes.

use super::Invalid;

/// Trimmed text of 1..=MAX characters (Unicode scalar values), with no control characters
/// other than newlines and tabs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    /// Parses required text of at most `max` characters.
    pub fn parse(text: &str, max: usize) -> Result<Self, Invalid> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        let count = trimmed.chars().count();
        if count > max {
            return Err(Invalid::new(format!("must be at most {max} characters, got {count}")));
        }
        if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
            return Err(Invalid::new("must not contain control characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Parses optional text: absent or blank becomes `None`.
    pub fn parse_optional(text: Option<&str>, max: usize) -> Result<Option<Self>, Invalid> {
        match text {
            None => Ok(None),
            Some(t) if t.trim().is_empty() => Ok(None),
            Some(t) => Self::parse(t, max).map(Some),
        }
    }

    /// Text the store wrote after parsing it, read back as it is: rules added since must not
    /// make old rows unreadable.
    pub fn stored(text: String) -> Self {
        Self(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A language as an ISO 639-1 (or 639-3) code in lower case, e.g. `nl`, `ar`, `tr`, `pap`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode(String);

impl LanguageCode {
    /// Accepts two or three ASCII letters.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let code = text.trim().to_ascii_lowercase();
        if (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Self(code))
        } else {
            Err(Invalid::new("a language is an ISO 639 code of 2 or 3 letters, e.g. nl"))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lower-cases `c` and strips the accents Dutch and its neighbours use: only letters SQLite's
/// full-text tokenizer (`unicode61 remove_diacritics 2`) folds too, since a query word folded
/// further than the index would no longer match it (ø, ł and ı have no decomposition and stay;
/// `tests/store_sqlite.rs` checks every letter against the tokenizer).
pub fn fold_char(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ō' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
        'ý' | 'ÿ' => 'y',
        'ç' | 'ć' | 'č' => 'c',
        'ñ' | 'ń' => 'n',
        'š' | 'ś' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        'ğ' => 'g',
        other => other,
    }
}

/// `text` lower-cased and without accents.
pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// The words of `text`, folded: runs of letters and digits. Every engine and every check in
/// memory splits text this way, so that what one finds the others find.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(fold)
}

/// The words of a query: its first 12 [`words`]. Only letters and digits, so nothing a user
/// types reaches a full-text query language as syntax.
pub fn query_words(q: &str) -> Vec<String> {
    words(q).take(12).collect()
}

/// Byte ranges of the words of `text`.
pub fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

/// Whether every query word starts some word of `text`.
pub fn contains_all(text: &str, words: &[String]) -> bool {
    let folded: Vec<String> = word_spans(text).into_iter().map(|(a, b)| fold(&text[a..b])).collect();
    words.iter().all(|w| folded.iter().any(|t| t.starts_with(w.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_counts_characters_not_bytes() {
        assert_eq!(BoundedText::parse("  café ", 4).unwrap().as_str(), "café");
        assert!(BoundedText::parse("cafés", 4).is_err());
        assert!(BoundedText::parse("   ", 4).is_err());
        assert!(BoundedText::parse("a\u{0}b", 4).is_err());
        assert!(BoundedText::parse("a\nb", 4).is_ok());
        assert_eq!(BoundedText::parse_optional(Some(" "), 4).unwrap(), None);
    }

    #[test]
    fn languages() {
        assert_eq!(LanguageCode::parse("NL").unwrap().as_str(), "nl");
        assert!(LanguageCode::parse("pap").is_ok());
        for bad in ["n", "dutch", "n1", ""] {
            assert!(LanguageCode::parse(bad).is_err());
        }
    }
}

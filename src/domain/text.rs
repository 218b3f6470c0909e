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
        refuse_controls(trimmed, true)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// Parses a title or a name: one line of at most `max` characters with at least one letter
    /// or digit (text made only of invisible characters such as U+200B looks empty wherever
    /// it is shown) and no bidirectional override or isolate controls.
    pub fn title(text: &str, max: usize) -> Result<Self, Invalid> {
        let parsed = Self::parse(text, max)?;
        refuse_controls(parsed.as_str(), false)?;
        if parsed.0.chars().any(is_bidi_control) {
            return Err(Invalid::new("must not contain bidirectional override or isolate controls (U+202A to U+202E, U+2066 to U+2069)"));
        }
        if !parsed.0.chars().any(char::is_alphanumeric) {
            return Err(Invalid::new("needs at least one visible letter or digit"));
        }
        Ok(parsed)
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

/// The one rule for control characters in text input (README, "Control characters"): none of
/// C0 (U+0000 to U+001F), DEL or C1 (U+007F to U+009F), except that free text (a description,
/// a note) may hold tab, CR and LF, since it spans lines. NUL alone is reason enough: PostgreSQL
/// cannot store it in text and fails the whole statement, while SQLite stores it and cuts the
/// text short in some functions; refusing at the edge keeps both engines alike.
pub fn refuse_controls(text: &str, free_text: bool) -> Result<(), Invalid> {
    let allowed = |c: char| free_text && matches!(c, '\t' | '\n' | '\r');
    match text.chars().find(|&c| c.is_control() && !allowed(c)) {
        None => Ok(()),
        Some(c) if free_text => {
            Err(Invalid::new(format!("must not contain control characters other than tab and line breaks (found U+{:04X})", c as u32)))
        }
        Some(c) => Err(Invalid::new(format!("must not contain control characters (found U+{:04X})", c as u32))),
    }
}

/// Bidirectional embedding, override and isolate controls: in a title they can make the text
/// read differently from what it holds (a listing that shows one word and is another).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
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
    fn titles_need_a_visible_letter_or_digit() {
        for ok in ["Buurtkamer", "7", "Café 't Hoekje", "مقهى", "Ik kook \u{200B}graag", "שלום\u{200F}"] {
            assert!(BoundedText::title(ok, 200).is_ok(), "{ok:?}");
        }
        for bad in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}",
            "\u{202E}\u{202C}",
            "\u{00AD}",
            "...",
            "-- !",
            "Koffie\u{202E}eiffoK",
            "Koffie\u{2066}x\u{2069}",
            "Twee\nregels",
            "Met\ttab",
            "Nul\u{0}",
            "C1\u{85}x",
            "Del\u{7f}",
        ] {
            assert!(BoundedText::title(bad, 200).is_err(), "{bad:?}");
        }
        // Free text keeps its line breaks and tabs, but no other control character.
        assert!(BoundedText::parse("Op vrijdag\r\n\tom vijf uur", 200).is_ok());
        for bad in ["a\u{1}b", "a\u{1b}[31m", "a\u{7f}", "a\u{9f}"] {
            assert!(BoundedText::parse(bad, 200).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Whatever surrounds it, a title is refused for any control character, bidi control,
        /// or when nothing in it is a letter or digit; and accepted otherwise (within length).
        #[test]
        fn title_rule_holds_for_any_text(text in "[a-z \u{0}-\u{1f}\u{7f}-\u{9f}\u{200b}\u{202a}-\u{202e}\u{2066}-\u{2069}é.]{0,12}") {
            let trimmed = text.trim();
            let expect_ok = !trimmed.is_empty()
                && !trimmed.chars().any(|c| c.is_control() || is_bidi_control(c))
                && trimmed.chars().any(char::is_alphanumeric);
            proptest::prop_assert_eq!(BoundedText::title(&text, 200).is_ok(), expect_ok, "{:?}", text);
        }

        /// Free text is refused exactly when it holds a control character other than tab, CR, LF.
        #[test]
        fn free_text_rule_holds_for_any_text(text in "[a-z\u{0}-\u{1f}\u{7f}-\u{9f}]{0,12}") {
            let bad = text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
            proptest::prop_assert_eq!(refuse_controls(&text, true).is_err(), bad);
            proptest::prop_assert_eq!(refuse_controls(&text, false).is_err(), text.chars().any(char::is_control));
        }
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

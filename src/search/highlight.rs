//! Snippets with the matched words marked, for search hits: plain Rust, no engine inside.
//!
//! A word of the text matches when it starts with one of the query's words, ignoring case and
//! accents, as the full-text engines match (prefix matching, `remove_diacritics`). The snippet
//! is HTML-escaped text with `<mark>` around each match, so a frontend may render it as HTML
//! without letting a resident's text inject markup.

/// Characters around the first match that a snippet keeps, roughly.
pub const SNIPPET_CHARS: usize = 160;

pub use crate::domain::text::contains_all;
use crate::domain::text::{fold, word_spans};

/// Whether the word starts with one of `words` (already folded).
fn matches(word: &str, words: &[String]) -> bool {
    let folded = fold(word);
    words.iter().any(|w| folded.starts_with(w.as_str()))
}

/// Appends `c`, HTML-escaped.
pub fn escape_char(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

fn escape_into(out: &mut String, text: &str) {
    text.chars().for_each(|c| escape_char(out, c));
}

/// The start of `text`'s char at or before byte `i`.
fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A snippet of `text` around its first match of `words`, matches marked; the start of the
/// text when nothing matches (or no words are given).
pub fn snippet(text: &str, words: &[String]) -> String {
    let spans = word_spans(text);
    let hits: Vec<(usize, usize)> = spans.iter().copied().filter(|&(a, b)| !words.is_empty() && matches(&text[a..b], words)).collect();
    let first = hits.first().map_or(0, |h| h.0);
    // The window starts a little before the first match, at a word's start.
    let mut from = floor_char(text, first.saturating_sub(SNIPPET_CHARS / 4));
    if from > 0 {
        from = spans.iter().map(|s| s.0).find(|&s| s >= from).unwrap_or(first).min(first);
    }
    let mut to = floor_char(text, (from + SNIPPET_CHARS).min(text.len()));
    if to < text.len() {
        // End after a whole word.
        to = spans.iter().map(|s| s.1).rfind(|&e| e <= to && e > from).unwrap_or(to);
    }
    let mut out = String::with_capacity(to - from + 32);
    if from > 0 {
        out.push('…');
    }
    let mut at = from;
    for &(a, b) in hits.iter().filter(|&&(a, b)| a >= from && b <= to) {
        escape_into(&mut out, &text[at..a]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[a..b]);
        out.push_str("</mark>");
        at = b;
    }
    escape_into(&mut out, &text[at..to]);
    if to < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::query_words;

    fn unescape(s: &str) -> String {
        let s = s.strip_prefix('…').unwrap_or(s);
        let s = s.strip_suffix('…').unwrap_or(s);
        s.replace("<mark>", "")
            .replace("</mark>", "")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    #[test]
    fn marks_prefixes_ignoring_accents_and_case() {
        let words = query_words("taalcafe");
        assert_eq!(snippet("Het Taalcafé in de bieb", &words), "Het <mark>Taalcafé</mark> in de bieb");
        assert_eq!(snippet("Samen koken", &query_words("kok")), "Samen <mark>koken</mark>");
        assert_eq!(snippet("Samen koken", &query_words("oken")), "Samen koken", "prefixes only, not infixes");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(snippet("<b>koken</b> & eten", &query_words("koken")), "&lt;b&gt;<mark>koken</mark>&lt;/b&gt; &amp; eten");
    }

    #[test]
    fn long_texts_are_cut_around_the_first_match() {
        let text = format!("{} fietsreparatie {}", "woord ".repeat(100), "ander ".repeat(100));
        let s = snippet(&text, &query_words("fiets"));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>fietsreparatie</mark>"));
        assert!(s.chars().count() < SNIPPET_CHARS + 40);
    }

    #[test]
    fn contains_all_needs_every_word() {
        let words = query_words("hulp boodsch");
        assert!(contains_all("Hulp bij boodschappen", &words));
        assert!(!contains_all("Hulp bij de tuin", &words));
    }

    proptest::proptest! {
        /// A snippet is a piece of the text: without its marks and escapes it is a substring.
        #[test]
        fn snippet_is_a_piece_of_the_text(text in "\\PC{0,400}", q in "[a-zé ]{0,12}") {
            let s = snippet(&text, &query_words(&q));
            let plain = unescape(&s);
            proptest::prop_assert!(text.contains(plain.as_str()), "{plain:?} not in {text:?}");
            proptest::prop_assert!(!s.replace("<mark>", "").replace("</mark>", "").contains('<'));
        }
    }
}

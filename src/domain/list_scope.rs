//! Which list a cursor belongs to. A cursor is a position in one list: one endpoint with one
//! set of filters. Given to another endpoint, or with other filters, it would continue a list
//! it was never in (an empty page, or one that skips items), so every cursor carries a digest
//! of its list and is refused (400, `cursor`) where the digest differs.
//!
//! The list is the request's: its method, path and query parameters other than `cursor` and
//! `limit` (a page size may change from page to page). The HTTP layer computes it once per
//! request ([`ListScope::of`]) and runs the handler [`within`] it; every cursor the handler
//! writes ([`seal`]) or reads ([`open`]) is bound to it, whatever its inner form (a keyset
//! position, a Meilisearch offset, an area code, an audit sequence number). So no endpoint can
//! forget the binding, and the handlers need not carry it.

use std::future::Future;

use sha2::{Digest, Sha256};

use crate::domain::Invalid;

/// A digest of one list: endpoint and filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListScope(u64);

impl ListScope {
    /// Outside any request (tools, tests of the store): cursors are bound to nothing in particular.
    pub const NONE: ListScope = ListScope(0);

    /// The list a request asks for: `method`, `path` (without a trailing `/`) and the decoded
    /// query pairs but `cursor` and `limit`, in any order (a client may send them in another
    /// order on the next page).
    pub fn of<'a>(method: &str, path: &str, query: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut pairs: Vec<(&str, &str)> = query.into_iter().filter(|(k, _)| *k != "cursor" && *k != "limit").collect();
        pairs.sort_unstable();
        let mut h = Sha256::new();
        // Every part length-prefixed, so that no two lists share an input.
        let mut part = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        part(method);
        part(path.trim_end_matches('/'));
        for (k, v) in pairs {
            part(k);
            part(v);
        }
        let digest = h.finalize();
        ListScope(u64::from_le_bytes(digest[..8].try_into().expect("8 bytes")))
    }

    fn current() -> Self {
        CURRENT.try_with(|s| *s).unwrap_or(Self::NONE)
    }
}

tokio::task_local! {
    static CURRENT: ListScope;
}

/// Runs `f` (a request's handling) with `scope` as the list its cursors belong to.
pub async fn within<F: Future>(scope: ListScope, f: F) -> F::Output {
    CURRENT.scope(scope, f).await
}

/// The text handed to a client as `next_cursor`: `inner` (which never holds a `.`) bound to
/// the current list.
pub fn seal(inner: &str) -> String {
    format!("{inner}.{:016x}", ListScope::current().0)
}

/// The inner form of a cursor a client sent back, if it belongs to the current list.
pub fn open(text: &str) -> Result<&str, Invalid> {
    let text = text.trim();
    let bad = || Invalid::new("not a cursor this service issued");
    let (inner, digest) = text.rsplit_once('.').ok_or_else(bad)?;
    let digest = (digest.len() == 16).then(|| u64::from_str_radix(digest, 16).ok()).flatten().ok_or_else(bad)?;
    if digest != ListScope::current().0 {
        return Err(Invalid::new(
            "the cursor belongs to another list (another endpoint, or other filters than this request's); \
             page on with the parameters of the first page, or start again without a cursor",
        ));
    }
    Ok(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_its_endpoint_and_filters() {
        let a = ListScope::of("GET", "/v1/initiatives", [("area", "GM0479"), ("category", "repair"), ("category", "meals")]);
        // Order, page size and cursor do not matter; a trailing slash neither.
        assert_eq!(
            a,
            ListScope::of(
                "GET",
                "/v1/initiatives/",
                [("limit", "5"), ("category", "meals"), ("area", "GM0479"), ("category", "repair"), ("cursor", "x")]
            )
        );
        assert_ne!(a, ListScope::of("GET", "/v1/listings", [("area", "GM0479"), ("category", "repair"), ("category", "meals")]));
        assert_ne!(a, ListScope::of("GET", "/v1/initiatives", [("area", "GM0479"), ("category", "repair")]));
        assert_ne!(a, ListScope::of("GET", "/v1/initiatives", [("area", "GM0479"), ("category", "repairmeals")]));
        assert_ne!(ListScope::of("GET", "/v1/x", [("a", "bc")]), ListScope::of("GET", "/v1/x", [("ab", "c")]));
    }

    #[tokio::test]
    async fn a_cursor_opens_only_in_its_own_list() {
        let a = ListScope::of("GET", "/v1/initiatives", []);
        let b = ListScope::of("GET", "/v1/listings", []);
        let sealed = within(a, async { seal("abc") }).await;
        assert_eq!(within(a, async { open(&sealed).map(str::to_owned) }).await, Ok("abc".to_owned()));
        assert!(within(b, async { open(&sealed).map(str::to_owned) }).await.is_err());
        assert!(open(&sealed).is_err(), "outside a request it is no cursor of any list");
        for bad in ["abc", "abc.", "abc.123", "abc.zzzzzzzzzzzzzzzz", ""] {
            assert!(within(a, async { open(bad).map(str::to_owned) }).await.is_err(), "{bad}");
        }
    }
}

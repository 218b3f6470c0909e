//! API keys: random, shown once, stored only as a SHA-256 hash.
//!
//! A key reads `bk_` followed by 43 URL-safe base64 characters (32 random bytes). The secret has
//! 256 bits of entropy, so a plain hash is enough: there is nothing to brute-force, and lookups
//! by hash do not leak timing about the secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every key starts with this, so leaked keys are easy to recognise and scan for.
pub const PREFIX: &str = "bk_";

/// A fresh key and its hash; only the hash is stored.
pub fn generate() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let key = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&key);
    (key, hash)
}

/// The stored form of a key (or of any other bearer secret, such as an invitation code).
pub fn hash(secret: &str) -> String {
    hash_bytes(secret.as_bytes())
}

/// SHA-256 of any bytes, as lower-case hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a text has the shape of one of our keys (checked before any lookup).
pub fn looks_like_key(text: &str) -> bool {
    text.len() == PREFIX.len() + 43
        && text.starts_with(PREFIX)
        && text[PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_well_formed_and_hashed() {
        let (a, ha) = generate();
        let (b, hb) = generate();
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert!(looks_like_key(&a) && looks_like_key(&b), "{a} {b}");
        assert_eq!(hash(&a), ha);
        assert_eq!(ha.len(), 64);
        assert!(!ha.contains(&a[PREFIX.len()..]));
    }

    #[test]
    fn shape_check_rejects_other_text() {
        for bad in
            ["", "bk_", "bk_short", "xx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "bk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!A"]
        {
            assert!(!looks_like_key(bad), "{bad}");
        }
    }
}

//! Bearer tokens from the trusted issuer: a frontend logs its users in and the service checks
//! the signature (HS256 secret or RS256 public key), `iss`, `aud` and `exp`.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::domain::CbsCode;

/// How tokens are signed.
#[derive(Clone)]
pub enum TokenKey {
    /// A shared secret (HS256).
    Hs256(Vec<u8>),
    /// The issuer's RSA public key in PEM (RS256).
    Rs256(String),
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        match self {
            Self::Hs256(_) => f.write_str("Hs256(<redacted>)"),
            Self::Rs256(_) => f.write_str("Rs256(<public key>)"),
        }
    }
}

/// The trusted issuer.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// Expected `iss`.
    pub issuer: String,
    /// Expected `aud`.
    pub audience: String,
    /// The signing key.
    pub key: TokenKey,
}

/// The claims the service reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user at the issuer; maps to one person.
    pub sub: String,
    /// resident, volunteer, organiser, professional or admin.
    pub role: String,
    /// Gemeente codes a professional or admin works in.
    #[serde(default)]
    pub gemeenten: Vec<String>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    #[serde(default)]
    pub iat: Option<i64>,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The subject.
    pub subject: String,
    /// The role.
    pub role: Role,
    /// Gemeenten, checked for shape.
    pub gemeenten: Vec<String>,
}

/// Why a token was refused; the text is safe to show the caller.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TokenRejected(pub String);

/// Checks tokens against the configured issuer.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl Verifier {
    /// A verifier for the settings; fails on an unreadable public key.
    pub fn new(settings: &TokenSettings) -> Result<Self, String> {
        let (key, alg) = match &settings.key {
            TokenKey::Hs256(secret) => (DecodingKey::from_secret(secret), Algorithm::HS256),
            TokenKey::Rs256(pem) => {
                (DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| format!("RS256 public key: {e}"))?, Algorithm::RS256)
            }
        };
        // One algorithm only: a token cannot choose a weaker one (or `none`).
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Ok(Self { key, validation })
    }

    /// Checks a token and reads its claims.
    pub fn verify(&self, token: &str) -> Result<Verified, TokenRejected> {
        let data = decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            TokenRejected(
                match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::InvalidIssuer => "the token was issued by an issuer this service does not trust",
                    ErrorKind::InvalidAudience => "the token is meant for another audience",
                    ErrorKind::InvalidSignature => "the token's signature does not verify",
                    ErrorKind::InvalidAlgorithm => "the token is signed with an algorithm this service does not accept",
                    ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim (sub, iss, aud, exp)",
                    _ => "the token is malformed",
                }
                .to_owned(),
            )
        })?;
        let c = data.claims;
        if c.sub.trim().is_empty() || c.sub.len() > 200 {
            return Err(TokenRejected("the token's subject is empty or too long".into()));
        }
        let role = Role::parse(&c.role).ok_or_else(|| TokenRejected(format!("unknown role {:?} in the token", c.role)))?;
        for g in &c.gemeenten {
            if !matches!(CbsCode::parse(g), Ok(CbsCode::Gemeente(_))) {
                return Err(TokenRejected(format!("{g:?} in the token's gemeenten is not a GM code")));
            }
        }
        Ok(Verified { subject: c.sub, role, gemeenten: c.gemeenten })
    }
}

/// Signs an HS256 token: for the `token` subcommand on a development setup and for tests.
pub fn mint_hs256(settings: &TokenSettings, subject: &str, role: &str, gemeenten: &[&str], ttl_seconds: i64) -> Result<String, String> {
    let TokenKey::Hs256(secret) = &settings.key else {
        return Err("tokens can only be minted with an HS256 secret; an RS256 issuer signs its own".into());
    };
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: subject.to_owned(),
        role: role.to_owned(),
        gemeenten: gemeenten.iter().map(|g| g.to_string()).collect(),
        iss: settings.issuer.clone(),
        aud: settings.audience.clone(),
        exp: now + ttl_seconds,
        iat: Some(now),
    };
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(secret: &str) -> TokenSettings {
        TokenSettings { issuer: "https://login.example".into(), audience: "buurtkracht".into(), key: TokenKey::Hs256(secret.into()) }
    }

    #[test]
    fn a_minted_token_verifies_with_its_claims() {
        let s = settings("s3cret-s3cret-s3cret-s3cret-s3cret");
        let t = mint_hs256(&s, "user-1", "professional", &["GM0479"], 600).unwrap();
        let v = Verifier::new(&s).unwrap().verify(&t).unwrap();
        assert_eq!(v, Verified { subject: "user-1".into(), role: Role::Professional, gemeenten: vec!["GM0479".into()] });
    }

    #[test]
    fn wrong_secret_issuer_audience_expiry_and_role_are_refused() {
        let s = settings("s3cret-s3cret-s3cret-s3cret-s3cret");
        let v = Verifier::new(&s).unwrap();
        let other = settings("another-secret-another-secret-xx");
        assert!(v.verify(&mint_hs256(&other, "u", "resident", &[], 600).unwrap()).unwrap_err().0.contains("signature"));
        let mut iss = s.clone();
        iss.issuer = "https://evil.example".into();
        assert!(v.verify(&mint_hs256(&iss, "u", "resident", &[], 600).unwrap()).unwrap_err().0.contains("issuer"));
        let mut aud = s.clone();
        aud.audience = "other-app".into();
        assert!(v.verify(&mint_hs256(&aud, "u", "resident", &[], 600).unwrap()).unwrap_err().0.contains("audience"));
        assert!(v.verify(&mint_hs256(&s, "u", "resident", &[], -600).unwrap()).unwrap_err().0.contains("expired"));
        assert!(v.verify(&mint_hs256(&s, "u", "root", &[], 600).unwrap()).unwrap_err().0.contains("role"));
        assert!(v.verify(&mint_hs256(&s, "u", "admin", &["WK047901"], 600).unwrap()).unwrap_err().0.contains("GM code"));
        assert!(v.verify("not.a.token").is_err());
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        let s = settings("s3cret-s3cret-s3cret-s3cret-s3cret");
        let signed = mint_hs256(&s, "u", "admin", &["GM0479"], 600).unwrap();
        let mut parts = signed.split('.');
        let (_, body) = (parts.next(), parts.next().unwrap());
        // {"alg":"none","typ":"JWT"}
        let forged = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{body}.");
        assert!(Verifier::new(&s).unwrap().verify(&forged).is_err());
    }
}

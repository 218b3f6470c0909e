//! Settings: working defaults, overridden by environment variables. Secrets never print.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::jwt::{TokenKey, TokenSettings};

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything the service needs to start.
#[derive(Clone)]
pub struct Settings {
    /// `sqlite://...` (default `sqlite://data/buurtkracht.db?mode=rwc`) or `postgres://...`.
    pub database_url: String,
    /// Where to listen (default 127.0.0.1:8080).
    pub bind_addr: SocketAddr,
    /// Log format (default text).
    pub log_format: LogFormat,
    /// Load the demo town on first start (default true).
    pub seed_demo: bool,
    /// A folder with `gemeente*.geojson` and `wijk*.geojson` to use instead of the bundled
    /// CBS 2025 boundaries.
    pub areas_dir: Option<PathBuf>,
    /// The trusted token issuer (`JWT_ISSUER`, `JWT_AUDIENCE`, and `JWT_HS256_SECRET` or
    /// `JWT_RS256_PUBLIC_KEY` / `JWT_RS256_PUBLIC_KEY_FILE`); without it bearer tokens are refused.
    pub tokens: Option<TokenSettings>,
    /// Browser origins allowed to call the API (`CORS_ALLOWED_ORIGINS`, comma-separated; none by default).
    pub cors_origins: Vec<String>,
    /// Requests per minute per client address (`RATE_LIMIT_PER_IP`, default 600).
    pub rate_limit_per_ip: u32,
    /// Requests per minute per API key or token subject (`RATE_LIMIT_PER_CREDENTIAL`, default 1200).
    pub rate_limit_per_credential: u32,
    /// The Meilisearch server (`MEILI_URL`, `MEILI_MASTER_KEY`, `MEILI_INDEX`); without it
    /// search runs on the embedded engine.
    pub meili: Option<MeiliSettings>,
    /// How long clients may take and how many may be connected (`HTTP_*`).
    pub http: HttpSettings,
    /// How long a claimed `Idempotency-Key` holds without renewal (`IDEMPOTENCY_LEASE_SECS`,
    /// 1 to 86,400, default 60): long enough that a renewal held up by a busy database (SQLite
    /// waits up to 5 s for its write lock) never lets it lapse under a live request, short
    /// enough that a key left by a crash is free again within a minute.
    pub idempotency_lease: Duration,
}

/// The limits the HTTP server puts on clients, so that slow or idle ones cannot hold
/// connections (and with them memory and file descriptors) for long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// Time a client has to send a request's headers, from the first byte (or from connecting)
    /// (`HTTP_HEADER_TIMEOUT_SECS`, default 10). A few hundred bytes take well under a second
    /// even on a poor mobile link; ten seconds is generous and still cuts off a slowloris.
    pub header_timeout: Duration,
    /// Time a client has to send a whole request body once its headers are in
    /// (`HTTP_BODY_TIMEOUT_SECS`, default 30). Bodies are at most 1 MiB, so this asks for about
    /// 35 kB/s at worst; a body that stops arriving is answered 408 and the connection closed.
    pub body_timeout: Duration,
    /// Time a kept-alive connection may wait for its next request (`HTTP_IDLE_TIMEOUT_SECS`,
    /// default 75). Longer than the 60 s idle timeout of common load balancers, so the proxy,
    /// not we, closes a connection it pools, and never one it is about to reuse.
    pub idle_timeout: Duration,
    /// Open connections at most (`HTTP_MAX_CONNECTIONS`, default 1024); beyond it a new
    /// connection is answered 503 and closed. Each holds a file descriptor and a task; 1024
    /// covers a proxy's pool and many direct clients while staying inside common descriptor limits.
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            max_connections: 1024,
        }
    }
}

pub use crate::search::meili::MeiliSettings;

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("setting {name}: {message}")]
pub struct SettingError {
    /// The variable.
    pub name: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Settings {
    /// The defaults: embedded SQLite under ./data, 127.0.0.1:8080, text logs, demo data.
    pub fn defaults() -> Self {
        Self {
            database_url: "sqlite://data/buurtkracht.db?mode=rwc".into(),
            bind_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: LogFormat::Text,
            seed_demo: true,
            areas_dir: None,
            tokens: None,
            cors_origins: Vec::new(),
            rate_limit_per_ip: 600,
            rate_limit_per_credential: 1200,
            meili: None,
            http: HttpSettings::default(),
            idempotency_lease: Duration::from_secs(60),
        }
    }

    /// Reads `DATABASE_URL`, `BIND_ADDR`, `LOG_FORMAT`, `SEED_DEMO` and `AREAS_DIR` over the defaults.
    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let mut s = Self::defaults();
        if let Some(url) = get("DATABASE_URL").filter(|v| !v.is_empty()) {
            if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(SettingError { name: "DATABASE_URL", message: "must start with sqlite:, postgres:// or postgresql://".into() });
            }
            s.database_url = url;
        }
        if let Some(addr) = get("BIND_ADDR").filter(|v| !v.is_empty()) {
            s.bind_addr = addr.parse().map_err(|_| SettingError { name: "BIND_ADDR", message: format!("{addr:?} is not host:port") })?;
        }
        if let Some(fmt) = get("LOG_FORMAT").filter(|v| !v.is_empty()) {
            s.log_format = match fmt.to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => return Err(SettingError { name: "LOG_FORMAT", message: "must be text or json".into() }),
            };
        }
        if let Some(seed) = get("SEED_DEMO").filter(|v| !v.is_empty()) {
            s.seed_demo = match seed.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => return Err(SettingError { name: "SEED_DEMO", message: "must be true or false".into() }),
            };
        }
        s.areas_dir = get("AREAS_DIR").filter(|v| !v.is_empty()).map(PathBuf::from);
        s.tokens = token_settings(&get)?;
        if let Some(origins) = get("CORS_ALLOWED_ORIGINS").filter(|v| !v.is_empty()) {
            for o in origins.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                let ok = (o.starts_with("https://") || o.starts_with("http://")) && !o.ends_with('/') && !o.contains('*');
                if !ok {
                    return Err(SettingError {
                        name: "CORS_ALLOWED_ORIGINS",
                        message: format!("{o:?} is not an origin like https://app.example.nl (no path, no wildcard)"),
                    });
                }
                s.cors_origins.push(o.to_owned());
            }
        }
        for (name, slot) in
            [("RATE_LIMIT_PER_IP", &mut s.rate_limit_per_ip), ("RATE_LIMIT_PER_CREDENTIAL", &mut s.rate_limit_per_credential)]
        {
            if let Some(v) = get(name).filter(|v| !v.is_empty()) {
                *slot = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| SettingError { name, message: "must be a positive whole number".into() })?;
            }
        }
        s.http = http_settings(&get)?;
        if let Some(v) = get("IDEMPOTENCY_LEASE_SECS").filter(|v| !v.trim().is_empty()) {
            let secs =
                v.trim().parse::<u64>().ok().filter(|n| (1..=86_400).contains(n)).ok_or_else(|| SettingError {
                    name: "IDEMPOTENCY_LEASE_SECS",
                    message: "must be a whole number from 1 to 86400".into(),
                })?;
            s.idempotency_lease = Duration::from_secs(secs);
        }
        if let Some(url) = get("MEILI_URL").filter(|v| !v.trim().is_empty()) {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(SettingError { name: "MEILI_URL", message: "must start with http:// or https://".into() });
            }
            let index = get("MEILI_INDEX").filter(|v| !v.is_empty()).unwrap_or_else(|| "buurtkracht".into());
            if !index.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || index.len() > 400 {
                return Err(SettingError { name: "MEILI_INDEX", message: "letters, digits, - and _ only".into() });
            }
            s.meili = Some(MeiliSettings {
                url: url.trim_end_matches('/').to_owned(),
                key: get("MEILI_MASTER_KEY").filter(|v| !v.is_empty()),
                index,
            });
        }
        Ok(s)
    }
}

/// The `HTTP_*` limits over their defaults: whole seconds (at most an hour) and a connection
/// count (at most a million), none of them zero, which would refuse every client.
fn http_settings(get: &impl Fn(&str) -> Option<String>) -> Result<HttpSettings, SettingError> {
    let number = |name: &'static str, max: u64| -> Result<Option<u64>, SettingError> {
        let Some(v) = get(name).filter(|v| !v.trim().is_empty()) else { return Ok(None) };
        v.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .map(Some)
            .ok_or_else(|| SettingError { name, message: format!("must be a whole number from 1 to {max}") })
    };
    let mut h = HttpSettings::default();
    for (name, slot) in [
        ("HTTP_HEADER_TIMEOUT_SECS", &mut h.header_timeout),
        ("HTTP_BODY_TIMEOUT_SECS", &mut h.body_timeout),
        ("HTTP_IDLE_TIMEOUT_SECS", &mut h.idle_timeout),
    ] {
        if let Some(secs) = number(name, 3600)? {
            *slot = Duration::from_secs(secs);
        }
    }
    if let Some(n) = number("HTTP_MAX_CONNECTIONS", 1_000_000)? {
        h.max_connections = n as usize;
    }
    Ok(h)
}

/// The token issuer settings, all or nothing.
fn token_settings(get: &impl Fn(&str) -> Option<String>) -> Result<Option<TokenSettings>, SettingError> {
    let val = |k: &str| get(k).filter(|v| !v.trim().is_empty());
    let secret = val("JWT_HS256_SECRET");
    let pem = match (val("JWT_RS256_PUBLIC_KEY"), val("JWT_RS256_PUBLIC_KEY_FILE")) {
        (Some(p), _) => Some(p),
        (None, Some(file)) => Some(
            std::fs::read_to_string(&file)
                .map_err(|e| SettingError { name: "JWT_RS256_PUBLIC_KEY_FILE", message: format!("cannot read {file}: {e}") })?,
        ),
        (None, None) => None,
    };
    let key = match (secret, pem) {
        (None, None) => {
            if val("JWT_ISSUER").is_some() {
                return Err(SettingError { name: "JWT_ISSUER", message: "needs JWT_HS256_SECRET or JWT_RS256_PUBLIC_KEY(_FILE)".into() });
            }
            return Ok(None);
        }
        (Some(_), Some(_)) => {
            return Err(SettingError {
                name: "JWT_HS256_SECRET",
                message: "give either an HS256 secret or an RS256 public key, not both".into(),
            });
        }
        (Some(secret), None) => {
            if secret.len() < 32 {
                return Err(SettingError { name: "JWT_HS256_SECRET", message: "must be at least 32 characters".into() });
            }
            TokenKey::Hs256(secret.into_bytes())
        }
        (None, Some(pem)) => TokenKey::Rs256(pem),
    };
    let issuer = val("JWT_ISSUER").ok_or(SettingError { name: "JWT_ISSUER", message: "is required with a token key".into() })?;
    let audience = val("JWT_AUDIENCE").unwrap_or_else(|| "buurtkracht".into());
    let settings = TokenSettings { issuer, audience, key };
    crate::auth::jwt::Verifier::new(&settings).map_err(|message| SettingError { name: "JWT_RS256_PUBLIC_KEY", message })?;
    Ok(Some(settings))
}

/// Hides the password of a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind_addr", &self.bind_addr)
            .field("log_format", &self.log_format)
            .field("seed_demo", &self.seed_demo)
            .field("areas_dir", &self.areas_dir)
            .field("tokens", &self.tokens)
            .field("cors_origins", &self.cors_origins)
            .field("rate_limit_per_ip", &self.rate_limit_per_ip)
            .field("rate_limit_per_credential", &self.rate_limit_per_credential)
            .field("meili", &self.meili)
            .field("http", &self.http)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let map: std::collections::HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_and_overrides() {
        let s = with(&[]).unwrap();
        assert!(s.database_url.starts_with("sqlite://"));
        assert_eq!(s.bind_addr.to_string(), "127.0.0.1:8080");
        let s = with(&[("BIND_ADDR", "0.0.0.0:9000"), ("LOG_FORMAT", "JSON"), ("SEED_DEMO", "false")]).unwrap();
        assert_eq!(s.bind_addr.port(), 9000);
        assert_eq!(s.log_format, LogFormat::Json);
        assert!(!s.seed_demo);
    }

    #[test]
    fn bad_values_name_the_setting() {
        assert_eq!(with(&[("BIND_ADDR", "nope")]).unwrap_err().name, "BIND_ADDR");
        assert_eq!(with(&[("LOG_FORMAT", "xml")]).unwrap_err().name, "LOG_FORMAT");
        assert_eq!(with(&[("DATABASE_URL", "mysql://x")]).unwrap_err().name, "DATABASE_URL");
        assert_eq!(with(&[("SEED_DEMO", "maybe")]).unwrap_err().name, "SEED_DEMO");
    }

    #[test]
    fn token_settings_are_all_or_nothing() {
        assert!(with(&[]).unwrap().tokens.is_none());
        let secret = "0123456789abcdef0123456789abcdef";
        let s = with(&[("JWT_ISSUER", "https://login.example"), ("JWT_HS256_SECRET", secret)]).unwrap();
        let t = s.tokens.unwrap();
        assert_eq!(t.audience, "buurtkracht");
        assert!(!format!("{t:?}").contains(secret));
        assert_eq!(with(&[("JWT_ISSUER", "https://login.example")]).unwrap_err().name, "JWT_ISSUER");
        assert_eq!(with(&[("JWT_HS256_SECRET", secret)]).unwrap_err().name, "JWT_ISSUER");
        assert_eq!(with(&[("JWT_ISSUER", "i"), ("JWT_HS256_SECRET", "short")]).unwrap_err().name, "JWT_HS256_SECRET");
        let both = with(&[("JWT_ISSUER", "i"), ("JWT_HS256_SECRET", secret), ("JWT_RS256_PUBLIC_KEY", "x")]);
        assert_eq!(both.unwrap_err().name, "JWT_HS256_SECRET");
        assert_eq!(with(&[("JWT_ISSUER", "i"), ("JWT_RS256_PUBLIC_KEY", "not a pem")]).unwrap_err().name, "JWT_RS256_PUBLIC_KEY");
        assert_eq!(
            with(&[("JWT_ISSUER", "i"), ("JWT_RS256_PUBLIC_KEY_FILE", "/nonexistent.pem")]).unwrap_err().name,
            "JWT_RS256_PUBLIC_KEY_FILE"
        );
    }

    #[test]
    fn cors_origins_and_rate_limits_are_checked() {
        let s = with(&[("CORS_ALLOWED_ORIGINS", "https://a.example, http://localhost:3000"), ("RATE_LIMIT_PER_IP", "10")]).unwrap();
        assert_eq!(s.cors_origins, vec!["https://a.example", "http://localhost:3000"]);
        assert_eq!(s.rate_limit_per_ip, 10);
        for bad in ["*", "https://a.example/", "a.example"] {
            assert_eq!(with(&[("CORS_ALLOWED_ORIGINS", bad)]).unwrap_err().name, "CORS_ALLOWED_ORIGINS", "{bad}");
        }
        assert_eq!(with(&[("RATE_LIMIT_PER_CREDENTIAL", "0")]).unwrap_err().name, "RATE_LIMIT_PER_CREDENTIAL");
    }

    #[test]
    fn http_limits_have_defaults_and_are_checked() {
        let h = with(&[]).unwrap().http;
        assert_eq!(h, HttpSettings::default());
        assert_eq!((h.header_timeout.as_secs(), h.body_timeout.as_secs(), h.idle_timeout.as_secs()), (10, 30, 75));
        let h = with(&[
            ("HTTP_HEADER_TIMEOUT_SECS", "3"),
            ("HTTP_BODY_TIMEOUT_SECS", "4"),
            ("HTTP_IDLE_TIMEOUT_SECS", "5"),
            ("HTTP_MAX_CONNECTIONS", "6"),
        ])
        .unwrap()
        .http;
        assert_eq!(
            h,
            HttpSettings {
                header_timeout: Duration::from_secs(3),
                body_timeout: Duration::from_secs(4),
                idle_timeout: Duration::from_secs(5),
                max_connections: 6
            }
        );
        for name in [
            "HTTP_HEADER_TIMEOUT_SECS",
            "HTTP_BODY_TIMEOUT_SECS",
            "HTTP_IDLE_TIMEOUT_SECS",
            "HTTP_MAX_CONNECTIONS",
            "IDEMPOTENCY_LEASE_SECS",
        ] {
            for bad in ["0", "-1", "1.5", "ten", "99999999"] {
                assert_eq!(with(&[(name, bad)]).unwrap_err().name, name, "{name}={bad}");
            }
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let s = with(&[("DATABASE_URL", "postgres://app:s3cret@db:5432/bk")]).unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("app:***@db"));
    }
}

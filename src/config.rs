//! Settings: working defaults, overridden by environment variables. Secrets never print.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

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
}

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
        Ok(s)
    }
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
    fn secrets_do_not_print() {
        let s = with(&[("DATABASE_URL", "postgres://app:s3cret@db:5432/bk")]).unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("app:***@db"));
    }
}

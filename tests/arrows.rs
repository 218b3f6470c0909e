//! The arrows between the modules of `src/` point one way:
//!
//! ```text
//! boot (startup, config, telemetry) -> api (and error) -> service, seed -> store, search
//!      -> matching, geo, auth, rate, stats -> domain
//! ```
//!
//! This test reads every `crate::…` path in every file under `src/` (use lines and paths
//! written inline alike) and fails on one that points up or sideways where it may not, naming
//! the file and the line. Comments are skipped: a doc link is not an arrow.

use std::path::{Path, PathBuf};

/// The modules each module may use, besides itself.
fn allowed(from: &str) -> Option<&'static [&'static str]> {
    const CORE: &[&str] = &["domain"];
    Some(match from {
        "domain" => &[],
        "geo" | "rate" => CORE,
        // Small numbers (k = 5): one rule for every report, in plain Rust.
        "stats" => CORE,
        "auth" => &["domain"],
        "matching" => &["domain", "geo", "auth"],
        "store" => &["domain", "geo", "auth", "matching", "stats"],
        // search indexes what the store holds.
        "search" => &["domain", "geo", "auth", "matching", "store"],
        "service" => &["domain", "geo", "auth", "matching", "rate", "stats", "store", "search"],
        // The seed writes through the use cases, never through the store or the API.
        "seed" => &["domain", "geo", "auth", "service"],
        // Handlers reach the store and the search engines only through the service.
        "api" | "error" => &["domain", "geo", "auth", "matching", "rate", "stats", "service", "api", "error", "config"],
        "startup" | "server" | "config" | "telemetry" => &[
            "domain",
            "geo",
            "auth",
            "matching",
            "rate",
            "stats",
            "store",
            "search",
            "service",
            "seed",
            "api",
            "error",
            "config",
            "telemetry",
            "server",
        ],
        _ => return None,
    })
}

/// The core, which is tested and benchmarked alone: no web framework, no database.
const PLAIN: &[&str] = &["domain", "geo", "auth", "matching", "rate", "stats"];

/// The crates the core never names.
const WEB_AND_DATABASE: &[&str] = &["poem", "poem_openapi", "sea_orm", "sqlx", "rusqlite"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top module a file under `src/` belongs to (`src/api/listings.rs` -> `api`,
/// `src/startup.rs` -> `startup`); `None` for the crate roots.
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?.to_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

/// The modules a line names through `crate::`: `crate::store::x` and `crate::{store, api}`.
fn targets(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
        rest = after;
    }
    out
}

/// The lines of a file with their numbers, a `crate::{ ... }` group spread over several lines
/// joined into its first one, so that every name in it is read.
fn joined_lines(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        if let Some((start, mut group)) = open.take() {
            group.push(' ');
            group.push_str(line.trim());
            if line.contains('}') {
                out.push((start, group));
            } else {
                open = Some((start, group));
            }
            continue;
        }
        let code = line.trim_start();
        if !code.starts_with("//") && code.contains("crate::{") && !code.contains('}') {
            open = Some((n, line.to_owned()));
        } else {
            out.push((n, line.to_owned()));
        }
    }
    out.extend(open);
    out
}

/// Every arrow that points where it may not, as `file:line: from -> to`.
fn wrong_arrows(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let modules: Vec<String> = files.iter().filter_map(|f| module_of(f.strip_prefix(src).unwrap())).collect();
    let mut wrong = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap().to_owned();
        let Some(from) = module_of(&relative) else { continue };
        let Some(may) = allowed(&from) else {
            wrong.push(format!("src/{}: module `{from}` has no place in the arrows; add it to tests/arrows.rs", relative.display()));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let plain = PLAIN.contains(&from.as_str());
        for (n, line) in joined_lines(&text) {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            // A trailing comment is not code either.
            let code = code.split(" //").next().unwrap_or(code);
            if plain && WEB_AND_DATABASE.iter().any(|c| code.contains(&format!("{c}::"))) {
                wrong.push(format!("src/{}:{}: {from} is plain Rust, without poem or sea-orm: {}", relative.display(), n + 1, line.trim()));
            }
            for to in targets(code) {
                // `crate::vocabulary!` and the like: exported macros live at the root, not in a module.
                if !modules.contains(&to) {
                    continue;
                }
                if to != from && !may.contains(&to.as_str()) {
                    wrong.push(format!("src/{}:{}: {from} -> {to}: {}", relative.display(), n + 1, line.trim()));
                }
            }
        }
    }
    wrong
}

#[test]
fn arrows_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let wrong = wrong_arrows(&src);
    assert!(wrong.is_empty(), "arrows that point up (see tests/arrows.rs for the allowed ones):\n{}", wrong.join("\n"));
}

#[test]
fn the_reader_finds_arrows() {
    assert_eq!(targets("use crate::store::listings;"), vec!["store"]);
    assert_eq!(targets("use crate::{api, service::State};"), vec!["api", "service"]);
    assert_eq!(targets("let x = crate::search::highlight(a, crate::domain::text::fold(b));"), vec!["search", "domain"]);
    assert!(targets("use super::common;").is_empty());
    // A file that reaches up is caught, with its line.
    let dir = std::env::temp_dir().join(format!("arrows-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("store")).unwrap();
    std::fs::create_dir_all(dir.join("api")).unwrap();
    std::fs::create_dir_all(dir.join("domain")).unwrap();
    std::fs::create_dir_all(dir.join("search")).unwrap();
    std::fs::write(dir.join("search/mod.rs"), "").unwrap();
    std::fs::write(dir.join("store/mod.rs"), "//! doc crate::api\nuse crate::domain::Coordinates;\nuse crate::api::common;\n").unwrap();
    std::fs::write(dir.join("api/mod.rs"), "use crate::store::Conn;\nuse crate::{\n    domain,\n    search::x,\n};\n").unwrap();
    std::fs::write(dir.join("domain/mod.rs"), "use poem_openapi::Enum;\nuse crate::vocabulary;\n").unwrap();
    let wrong = wrong_arrows(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(wrong.len(), 4, "{wrong:?}");
    assert!(wrong[0].starts_with("src/api/mod.rs:1: api -> store"), "{wrong:?}");
    assert!(wrong[1].starts_with("src/api/mod.rs:2: api -> search"), "a group over several lines is read: {wrong:?}");
    assert!(wrong[2].starts_with("src/domain/mod.rs:1: domain is plain Rust"), "{wrong:?}");
    assert!(wrong[3].starts_with("src/store/mod.rs:3: store -> api"), "{wrong:?}");
}

//! The `buurtkracht` binary's help: printed at once, without reading settings or touching a
//! database.

use std::process::Command;

/// A scratch folder and a SQLite URL inside it whose file must never appear.
fn scratch() -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join("buurtkracht-tests").join(format!("cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("help.db").display());
    (dir, url)
}

fn run(args: &[&str], database_url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_buurtkracht"))
        .args(args)
        .env("DATABASE_URL", database_url)
        // A setting that would fail to read: help must not read the settings at all.
        .env("BIND_ADDR", "not an address")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

#[test]
fn help_is_printed_without_opening_a_database() {
    let cases: &[(&[&str], &str)] = &[
        (&["help"], "keys create"),
        (&["--help"], "keys create"),
        (&["-h"], "migrate"),
        (&["help", "keys"], "keys revoke"),
        (&["help", "serve"], "HTTP_HEADER_TIMEOUT_SECS"),
        (&["serve", "--help"], "HTTP_MAX_CONNECTIONS"),
        (&["migrate", "--help"], "migrate"),
        (&["seed", "-h"], "seed"),
        (&["reindex", "--help"], "reindex"),
        (&["openapi", "--help"], "openapi"),
        (&["keys", "--help"], "keys list"),
        (&["keys", "create", "--help"], "keys create --role"),
        (&["keys", "create", "--role", "admin", "-h"], "keys create --role"),
        (&["keys", "list", "--help"], "keys list"),
        (&["keys", "revoke", "-h"], "keys revoke"),
        (&["token", "--help"], "token --sub"),
    ];
    for (args, expected) in cases {
        let (dir, url) = scratch();
        let out = run(args, &url);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {:?}\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
        assert!(stdout.starts_with("usage: buurtkracht"), "{args:?}: {stdout}");
        assert!(stdout.contains(expected), "{args:?} does not mention {expected:?}: {stdout}");
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(files.is_empty(), "{args:?} created {files:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn a_mistyped_keys_command_fails_before_opening_the_database() {
    let (dir, url) = scratch();
    let out = Command::new(env!("CARGO_BIN_EXE_buurtkracht"))
        .args(["keys", "crate", "--role", "admin"])
        .env("DATABASE_URL", &url)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("keys create|list|revoke"));
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(files.is_empty(), "created {files:?}");
    std::fs::remove_dir_all(&dir).ok();
}

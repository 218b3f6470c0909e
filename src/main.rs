//! The `buurtkracht` binary: `serve` (default), `migrate`, `seed`, `openapi`, `keys`, `token`.

use anyhow::Context;
use buurtkracht::config::Settings;
use buurtkracht::startup::App;
use buurtkracht::{api, seed, store, telemetry};

/// What each command does, in `help`'s order; `help COMMAND` and `COMMAND --help` print one.
const COMMANDS: &[(&str, &str)] = &[
    (
        "serve",
        "  serve    start the API (default); settings from DATABASE_URL, BIND_ADDR, LOG_FORMAT, SEED_DEMO, AREAS_DIR,
           JWT_ISSUER, JWT_AUDIENCE, JWT_HS256_SECRET or JWT_RS256_PUBLIC_KEY(_FILE), CORS_ALLOWED_ORIGINS,
           RATE_LIMIT_PER_IP, RATE_LIMIT_PER_CREDENTIAL, MEILI_URL, MEILI_MASTER_KEY, MEILI_INDEX,
           HTTP_HEADER_TIMEOUT_SECS (10), HTTP_BODY_TIMEOUT_SECS (30), HTTP_IDLE_TIMEOUT_SECS (75),
           HTTP_MAX_CONNECTIONS (1024), IDEMPOTENCY_LEASE_SECS (60)",
    ),
    ("migrate", "  migrate  apply database migrations and exit"),
    ("seed", "  seed     load the demo town (Zaanstad) into an empty database and exit"),
    ("reindex", "  reindex  rebuild the Meilisearch index from the database (MEILI_URL)"),
    ("openapi", "  openapi  print the OpenAPI spec (JSON) and exit"),
    (
        "keys",
        "  keys create --role admin|professional --gemeente GM0479 [--gemeente ...] [--label TEXT] [--expires-days N]
  keys create --role organiser --initiative UUID [--label TEXT] [--expires-days N]
           create an API key and print it once
  keys list                  list keys (never the keys themselves)
  keys revoke UUID           revoke a key at once",
    ),
    (
        "token",
        "  token --sub SUBJECT --role resident|organiser|professional|admin [--gemeente GM0479 ...] [--hours N]
           mint a bearer token with JWT_HS256_SECRET (development: a real issuer signs its own)",
    ),
];

/// The help of one command, or of all when `command` is none or unknown.
fn usage(command: Option<&str>) -> String {
    let sections: Vec<&str> = match COMMANDS.iter().find(|(name, _)| Some(*name) == command) {
        Some((_, text)) => vec![text],
        None => COMMANDS.iter().map(|(_, text)| *text).collect(),
    };
    format!(
        "usage: buurtkracht [serve|migrate|seed|reindex|openapi|keys|token] (help [COMMAND] or COMMAND --help)\n\n{}",
        sections.join("\n")
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Help never reads the settings nor touches a database: asking how to run a command must
    // not create a database file (or fail on a setting) on the way.
    let asks_help = |a: &String| matches!(a.as_str(), "-h" | "--help");
    if args.first().is_some_and(|a| a == "help") {
        println!("{}", usage(args.get(1).map(String::as_str)));
        return Ok(());
    }
    if args.iter().any(asks_help) {
        println!("{}", usage(args.first().filter(|a| !asks_help(a)).map(String::as_str)));
        return Ok(());
    }
    let command = args.first().cloned().unwrap_or_else(|| "serve".into());
    if command == "openapi" {
        println!("{}", api::spec_json());
        return Ok(());
    }
    let mut settings = Settings::from_env()?;
    telemetry::init(settings.log_format);
    match command.as_str() {
        "serve" => {
            tracing::info!(?settings, "starting");
            App::build(&settings).await?.run(&settings).await
        }
        "migrate" => {
            let db = store::connect(&settings.database_url).await.context("connecting")?;
            store::migrate(&db).await.context("migrating")?;
            println!("migrations applied");
            Ok(())
        }
        "seed" => {
            settings.seed_demo = false;
            let app = App::build(&settings).await?;
            match seed::seed_if_empty(&app.state).await? {
                Some(report) => println!("loaded the demo town: {report:?}"),
                None => println!("the database already holds initiatives; nothing loaded"),
            }
            Ok(())
        }
        "reindex" => {
            let Some(meili) = &settings.meili else {
                eprintln!("reindex needs MEILI_URL (and MEILI_MASTER_KEY): the embedded engine reads the tables directly");
                std::process::exit(2);
            };
            let db = store::connect(&settings.database_url).await.context("connecting")?;
            store::migrate(&db).await.context("migrating")?;
            let index = buurtkracht::search::meili::MeiliIndex::new(meili)?;
            let started = std::time::Instant::now();
            let n = buurtkracht::search::outbox::reindex(&db, &index).await.context("reindexing")?;
            println!("indexed {n} documents in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        "keys" => keys(&settings).await,
        "token" => token(&settings),
        other => {
            eprintln!("unknown command {other:?}\n\n{}", usage(None));
            std::process::exit(2);
        }
    }
}

/// `--name value` pairs after the subcommand words.
fn flags(skip: usize) -> anyhow::Result<Vec<(String, String)>> {
    let args: Vec<String> = std::env::args().skip(skip).collect();
    let mut out = Vec::new();
    let mut it = args.into_iter();
    while let Some(name) = it.next() {
        let Some(flag) = name.strip_prefix("--") else { anyhow::bail!("unexpected argument {name:?}\n\n{}", usage(Some("keys"))) };
        let value = it.next().with_context(|| format!("--{flag} needs a value"))?;
        out.push((flag.to_owned(), value));
    }
    Ok(out)
}

fn all(flags: &[(String, String)], name: &str) -> Vec<String> {
    flags.iter().filter(|(n, _)| n == name).map(|(_, v)| v.clone()).collect()
}

fn one(flags: &[(String, String)], name: &str) -> Option<String> {
    all(flags, name).pop()
}

async fn keys(settings: &Settings) -> anyhow::Result<()> {
    use buurtkracht::auth::Role;
    use buurtkracht::service::accounts::{self, KeySpec};
    let mut settings = settings.clone();
    settings.seed_demo = false;
    // The arguments are read before the database is opened, so a mistyped command creates nothing.
    let open = || App::build(&settings);
    match std::env::args().nth(2).as_deref() {
        Some("create") => {
            let f = flags(3)?;
            let role = match one(&f, "role").as_deref() {
                Some("organiser") => Role::Organiser,
                Some("professional") => Role::Professional,
                Some("admin") => Role::Admin,
                _ => anyhow::bail!("--role must be organiser, professional or admin"),
            };
            let expires_at = match one(&f, "expires-days") {
                Some(d) => Some(chrono::Utc::now() + chrono::Duration::days(d.parse().context("--expires-days must be a number")?)),
                None => None,
            };
            let initiative_id = one(&f, "initiative").map(|i| i.parse()).transpose().context("--initiative must be a UUID")?;
            let mut gemeenten = Vec::new();
            for g in all(&f, "gemeente") {
                match buurtkracht::domain::CbsCode::parse(&g) {
                    Ok(buurtkracht::domain::CbsCode::Gemeente(code)) => gemeenten.push(code),
                    _ => anyhow::bail!("--gemeente {g:?} is not a gemeente code such as GM0479"),
                }
            }
            let label = one(&f, "label").unwrap_or_else(|| format!("{} key", role.code()));
            let spec = KeySpec { label, role, gemeenten, initiative_id, expires_at };
            let app = open().await?;
            let (m, key) = accounts::create_key_as_operator(&app.state, spec).await?;
            println!("{key}");
            eprintln!("created key {} ({}, {}); it is shown only now", m.id, m.role, m.gemeenten);
            Ok(())
        }
        Some("list") => {
            let app = open().await?;
            for k in accounts::all_keys(&app.state).await? {
                let live = if k.revoked_at.is_some() { "revoked" } else { "live" };
                println!("{}  {:12} {:8} {:20} {}", k.id, k.role, live, k.gemeenten, k.label);
            }
            Ok(())
        }
        Some("revoke") => {
            let id: uuid::Uuid = std::env::args().nth(3).context("keys revoke needs a key id")?.parse().context("not a UUID")?;
            let app = open().await?;
            accounts::revoke_key_as_operator(&app.state, id).await?;
            println!("revoked {id}");
            Ok(())
        }
        _ => anyhow::bail!("keys create|list|revoke\n\n{}", usage(Some("keys"))),
    }
}

fn token(settings: &Settings) -> anyhow::Result<()> {
    let t = settings.tokens.as_ref().context("set JWT_ISSUER and JWT_HS256_SECRET to mint tokens")?;
    let f = flags(2)?;
    let sub = one(&f, "sub").context("--sub is required")?;
    let role = one(&f, "role").context("--role is required")?;
    let gemeenten = all(&f, "gemeente");
    let hours: i64 = one(&f, "hours").map(|h| h.parse()).transpose().context("--hours must be a number")?.unwrap_or(8);
    let refs: Vec<&str> = gemeenten.iter().map(String::as_str).collect();
    let jwt = buurtkracht::auth::jwt::mint_hs256(t, &sub, &role, &refs, hours * 3600).map_err(anyhow::Error::msg)?;
    println!("{jwt}");
    Ok(())
}

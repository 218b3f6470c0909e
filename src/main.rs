//! The `buurtkracht` binary: `serve` (default), `migrate`, `seed`, `openapi`.

use anyhow::Context;
use buurtkracht::config::Settings;
use buurtkracht::startup::App;
use buurtkracht::{api, seed, store, telemetry};

const USAGE: &str = "usage: buurtkracht [serve|migrate|seed|openapi]

  serve    start the API (default); settings from DATABASE_URL, BIND_ADDR, LOG_FORMAT, SEED_DEMO, AREAS_DIR
  migrate  apply database migrations and exit
  seed     load the demo town (Zaanstad) into an empty database and exit
  openapi  print the OpenAPI spec (JSON) and exit";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if command == "openapi" {
        println!("{}", api::spec_json());
        return Ok(());
    }
    if matches!(command.as_str(), "-h" | "--help" | "help") {
        println!("{USAGE}");
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
        other => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            std::process::exit(2);
        }
    }
}

//! Logging: `RUST_LOG` filters (default `info`), text or JSON lines.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// The filter without `RUST_LOG`. sqlx and sea-orm stay at `warn`: at `debug` sea-orm writes
/// every statement with its values, which would put residents' coordinates in the log.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn";

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER))
}

/// The subscriber the service logs through, writing to `writer`: tests capture the very lines
/// production writes by passing their own writer.
pub fn subscriber<W>(format: LogFormat, filter: EnvFilter, writer: W) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(writer);
    match format {
        LogFormat::Json => Box::new(builder.json().finish()),
        LogFormat::Text => Box::new(builder.finish()),
    }
}

/// Installs the global subscriber once; later calls are ignored (tests call it freely).
pub fn init(format: LogFormat) {
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = subscriber(format, filter(), std::io::stdout).try_init();
}

/// As [`init`], writing through the test harness so logs show only for failing tests.
pub fn init_for_tests() {
    let _ = tracing_subscriber::fmt().with_env_filter(filter()).with_target(false).with_test_writer().try_init();
}

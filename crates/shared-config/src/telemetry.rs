//! Logging (docs/decisions.md#d15): readable text by default, JSON lines with
//! `LOG_FORMAT=json` or `APP_ENV=production`. One global subscriber per process; each
//! service's own level is applied to its crate's target and to its request log lines.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::LogFormat;

/// Installs the subscriber. `services` are `(crate_target, level)` pairs; the request log
/// (target `http`) and the shared crate log at the most verbose of those levels, and
/// noisy dependencies at `warn`. A second call (tests) is a no-op.
pub fn init(format: LogFormat, services: &[(&str, LevelFilter)]) {
    install(format, services, std::io::stdout);
}

/// Like [`init`], but logs go to stderr: for command-line tools whose stdout carries
/// their own output (e.g. timescaledb-sync's JSON summary lines).
pub fn init_stderr(format: LogFormat, services: &[(&str, LevelFilter)]) {
    install(format, services, std::io::stderr);
}

fn install<W>(format: LogFormat, services: &[(&str, LevelFilter)], writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let loudest = services
        .iter()
        .map(|(_, l)| *l)
        .max()
        .unwrap_or(LevelFilter::INFO);
    let mut directives = format!("warn,http={loudest},shared={loudest}");
    for (target, level) in services {
        directives.push_str(&format!(",{target}={level}"));
    }
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter)
        .with_target(true);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
}

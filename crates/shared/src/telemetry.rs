//! Logging (decision 13): readable text by default, JSON lines with `LOG_FORMAT=json` or
//! `APP_ENV=production`. One global subscriber per process; each service's own level is
//! applied to its crate's target and to its request log lines.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the subscriber. `services` are `(crate_target, level)` pairs; the request log
/// (target `http`) and the shared crate log at the most verbose of those levels, and
/// noisy dependencies at `warn`. A second call (tests) is a no-op.
pub fn init(format: LogFormat, services: &[(&str, LevelFilter)]) {
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

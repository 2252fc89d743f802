//! The sync's typed configuration (docs/decisions.md#d4 and #d23), read once from the
//! env hierarchy.
//!
//! The Python original's names keep working (`QUESTDB_REST_URL`, `QUESTDB_QUERY`,
//! `TIMESCALEDB_DSN`, `TIMESCALEDB_STREAM`, `TIMESCALEDB_BATCH_SIZE`,
//! `TIMESCALEDB_SYNC_LOG_LEVEL`); new settings use the `TIMESCALEDB_SYNC_` prefix. Several
//! streams come from the streams file (`config/sync-streams.toml` under the root);
//! without it, the env describes one.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use shared_config::{ConfigError, ConfigReader, Env, LogFormat};
use sqlx::postgres::PgConnectOptions;
use tracing::level_filters::LevelFilter;

use crate::dsn::parse_dsn;
use crate::streams::{self, IDENT_FORM, Ident, Key, Source, Stream};

pub const DEFAULT_QUESTDB_URL: &str = "http://localhost:9000";
/// The Python original's default DSN, without its built-in password (supply one in the
/// DSN or `PGPASSWORD`).
pub const DEFAULT_DSN: &str = "postgresql://timescale@localhost:5433/tradingsystem";
pub const DEFAULT_STREAMS_FILE: &str = "config/sync-streams.toml";
const DSN_FORM: &str = "a postgres:// URL or libpq key=value pairs (host, hostaddr, port, dbname, user, password, sslmode, application_name, options, connect_timeout)";

pub struct QuestDbSettings {
    /// `{QUESTDB_REST_URL}/exec`.
    pub exec_url: Url,
    /// Per request, and sent as `Statement-Timeout` so QuestDB stops the query too.
    pub timeout: Duration,
    /// HTTP Basic credentials, when QuestDB has `http.user`/`http.password` set.
    pub credentials: Option<(String, String)>,
}

#[derive(Clone)]
pub struct TargetSettings {
    pub options: PgConnectOptions,
    pub connect_timeout: Duration,
    /// Apply `sync_control` migrations and create missing target tables.
    pub run_migrations: bool,
}

pub struct Config {
    pub questdb: QuestDbSettings,
    pub target: TargetSettings,
    pub streams: Vec<Stream>,
    pub log_level: LevelFilter,
    pub log_format: LogFormat,
    /// Where the node-exporter textfile goes (`TIMESCALEDB_SYNC_TEXTFILE_DIR`).
    pub textfile_dir: Option<PathBuf>,
    /// Settings that were understood but have no effect, logged once at start-up.
    pub warnings: Vec<String>,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut reader = ConfigReader::new(env);
        let mut warnings = Vec::new();
        let log_level = reader.value(
            &["TIMESCALEDB_SYNC_LOG_LEVEL", "LOG_LEVEL"],
            LevelFilter::INFO,
            "one of trace, debug, info, warn, error, off",
            parse_level,
        );
        let log_format = LogFormat::read(&mut reader);
        let questdb = read_questdb(&mut reader);
        let target = read_target(&mut reader);
        let batch_size = reader.number(
            &["TIMESCALEDB_BATCH_SIZE"],
            streams::DEFAULT_BATCH_SIZE,
            1..=streams::MAX_BATCH_SIZE,
        );
        let explicit_file = env.get("TIMESCALEDB_SYNC_STREAMS_FILE");
        let streams_file = env
            .root()
            .join(explicit_file.unwrap_or(DEFAULT_STREAMS_FILE));
        let streams = if explicit_file.is_some() || streams_file.is_file() {
            for name in SINGLE_STREAM_NAMES.iter().filter(|n| env.get(n).is_some()) {
                warnings.push(format!(
                    "{name} is ignored: {} defines the streams",
                    streams_file.display()
                ));
            }
            streams::load_file(&streams_file, batch_size).unwrap_or_else(|problems| {
                problems.into_iter().for_each(|p| reader.problem(p));
                Vec::new()
            })
        } else {
            read_single_stream(&mut reader, batch_size)
                .into_iter()
                .collect()
        };
        if env.get("QUESTDB_INCREMENTAL_QUERY").is_some() {
            warnings.push("QUESTDB_INCREMENTAL_QUERY is ignored: the sync builds its own incremental filter from the watermark".to_string());
        }
        let textfile_dir = reader.optional(
            &["TIMESCALEDB_SYNC_TEXTFILE_DIR"],
            "an existing directory (node-exporter's textfile collector directory)",
            |raw| Some(env.root().join(raw)).filter(|dir| dir.is_dir()),
        );
        reader.finish(Self {
            questdb,
            target,
            streams,
            log_level,
            log_format,
            textfile_dir,
            warnings,
        })
    }
}

/// The variables that describe the single stream when there is no streams file.
const SINGLE_STREAM_NAMES: [&str; 5] = [
    "TIMESCALEDB_STREAM",
    "QUESTDB_QUERY",
    "TIMESCALEDB_SYNC_TIMESTAMP_COLUMN",
    "TIMESCALEDB_SYNC_KEY_COLUMNS",
    "TIMESCALEDB_SYNC_OVERLAP_SECONDS",
];

fn read_single_stream(reader: &mut ConfigReader<'_>, batch_size: usize) -> Option<Stream> {
    let default = Stream::tp_capital_signals(batch_size);
    let name = reader.value(
        &["TIMESCALEDB_STREAM"],
        Some(default.name.clone()),
        IDENT_FORM,
        |raw| Ident::parse(raw).map(Some),
    );
    let query = reader.optional(&["QUESTDB_QUERY"], "a QuestDB SELECT statement", |raw| {
        Some(raw.to_string())
    });
    let timestamp = reader.value(
        &["TIMESCALEDB_SYNC_TIMESTAMP_COLUMN"],
        Some(default.timestamp.clone()),
        IDENT_FORM,
        |raw| Ident::parse(raw).map(Some),
    );
    let keys = reader.value(
        &["TIMESCALEDB_SYNC_KEY_COLUMNS"],
        Some(Vec::new()),
        "a comma list of identifiers (empty: a hash of all source columns)",
        |raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(Ident::parse)
                .collect::<Option<Vec<_>>>()
                .map(Some)
        },
    );
    let overlap = reader.number(
        &["TIMESCALEDB_SYNC_OVERLAP_SECONDS"],
        streams::DEFAULT_OVERLAP_SECONDS,
        0..=streams::MAX_OVERLAP_SECONDS,
    );
    let (name, timestamp, keys) = (name?, timestamp?, keys?);
    let stream = Stream {
        source: query.map_or_else(|| Source::Table(name.clone()), Source::Query),
        target: name.clone(),
        name,
        timestamp,
        key: if keys.is_empty() {
            Key::RowHash
        } else {
            Key::Columns(keys)
        },
        overlap: Duration::from_secs(overlap),
        batch_size,
    };
    let problems = streams::cross_checks(&stream);
    let valid = problems.is_empty();
    problems.into_iter().for_each(|p| reader.problem(p));
    valid.then_some(stream)
}

fn read_questdb(reader: &mut ConfigReader<'_>) -> QuestDbSettings {
    let default_url = Url::parse(DEFAULT_QUESTDB_URL).expect("valid default URL");
    let base = reader.value(
        &["QUESTDB_REST_URL"],
        default_url,
        "an http:// URL such as http://localhost:9000 (this build speaks plain HTTP only)",
        |raw| {
            Url::parse(raw)
                .ok()
                .filter(|u| u.scheme() == "http" && u.host().is_some())
                .filter(|u| u.query().is_none() && u.fragment().is_none())
        },
    );
    // Keep a base path (QuestDB behind the gateway's /db-ui/questdb) and add /exec to it.
    let exec_url = base
        .join(&format!("{}/exec", base.path().trim_end_matches('/')))
        .unwrap_or(base);
    let timeout_ms = reader.number(
        &["TIMESCALEDB_SYNC_QUESTDB_TIMEOUT_MS"],
        30_000u64,
        100..=3_600_000,
    );
    let user = reader.env().get("TIMESCALEDB_SYNC_QUESTDB_USER");
    let password = reader.env().get("TIMESCALEDB_SYNC_QUESTDB_PASSWORD");
    let credentials = match (user, password) {
        (Some(user), Some(password)) => Some((user.to_string(), password.to_string())),
        (None, None) => None,
        _ => {
            reader.problem("TIMESCALEDB_SYNC_QUESTDB_USER and TIMESCALEDB_SYNC_QUESTDB_PASSWORD: set both or neither");
            None
        }
    };
    QuestDbSettings {
        exec_url,
        timeout: Duration::from_millis(timeout_ms),
        credentials,
    }
}

fn read_target(reader: &mut ConfigReader<'_>) -> TargetSettings {
    let raw = reader.env().get("TIMESCALEDB_DSN").unwrap_or(DEFAULT_DSN);
    let (options, dsn_timeout) = match parse_dsn(raw) {
        Ok(parsed) => parsed,
        Err(reason) => {
            // The reason names keys only: a DSN may hold a password.
            reader.problem(format!(
                "TIMESCALEDB_DSN: invalid value <redacted>: {reason} (expected {DSN_FORM})"
            ));
            (PgConnectOptions::new(), None)
        }
    };
    let timeout_ms = reader.number(
        &["TIMESCALEDB_SYNC_CONNECT_TIMEOUT_MS"],
        dsn_timeout.map_or(10_000, |t: Duration| t.as_millis() as u64),
        100..=600_000,
    );
    let run_migrations = reader.boolean(&["TIMESCALEDB_SYNC_RUN_MIGRATIONS"], true);
    // Named in pg_stat_activity, unless the DSN names itself.
    let options = match options.get_application_name() {
        Some(_) => options,
        None => options.application_name("timescaledb-sync"),
    };
    TargetSettings {
        options,
        connect_timeout: Duration::from_millis(timeout_ms),
        run_migrations,
    }
}

fn parse_level(raw: &str) -> Option<LevelFilter> {
    match raw.to_ascii_lowercase().as_str() {
        // The Python original's logging names.
        "warning" => Some(LevelFilter::WARN),
        "critical" | "fatal" => Some(LevelFilter::ERROR),
        other => other.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let root = tempfile::tempdir().expect("tempdir");
        Config::from_env(&Env::from_pairs(root.path(), pairs.iter().copied()))
    }

    #[test]
    fn defaults_describe_the_seed_stream() {
        let c = config(&[]).expect("valid");
        assert_eq!(c.streams, [Stream::tp_capital_signals(5000)]);
        assert_eq!(c.questdb.exec_url.as_str(), "http://localhost:9000/exec");
        assert_eq!(c.questdb.timeout, Duration::from_secs(30));
        assert_eq!(c.target.options.get_database(), Some("tradingsystem"));
        assert_eq!(c.log_level, LevelFilter::INFO);
        assert!(c.target.run_migrations);
    }

    #[test]
    fn seed_names_configure_the_single_stream() {
        let c = config(&[
            ("QUESTDB_REST_URL", "http://q:9000/db-ui/questdb/"),
            ("QUESTDB_QUERY", "SELECT * FROM signals WHERE asset <> 'X'"),
            ("TIMESCALEDB_STREAM", "signals"),
            ("TIMESCALEDB_BATCH_SIZE", "250"),
            ("TIMESCALEDB_SYNC_LOG_LEVEL", "WARNING"),
            ("TIMESCALEDB_SYNC_KEY_COLUMNS", "id, channel"),
            ("QUESTDB_INCREMENTAL_QUERY", "SELECT 1"),
        ])
        .expect("valid");
        assert_eq!(
            c.questdb.exec_url.as_str(),
            "http://q:9000/db-ui/questdb/exec"
        );
        let s = &c.streams[0];
        assert_eq!(
            (s.name.as_str(), s.target.as_str(), s.batch_size),
            ("signals", "signals", 250)
        );
        assert!(matches!(&s.source, Source::Query(q) if q.contains("asset <> 'X'")));
        assert_eq!(s.key_columns(), ["\"ts\"", "\"id\"", "\"channel\""]);
        assert_eq!(c.log_level, LevelFilter::WARN);
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn every_bad_variable_is_reported_and_secrets_are_not() {
        let ConfigError(lines) = config(&[
            ("QUESTDB_REST_URL", "ftp://q"),
            ("TIMESCALEDB_DSN", "host=db password=hunter2 colour=blue"),
            ("TIMESCALEDB_BATCH_SIZE", "0"),
            ("TIMESCALEDB_STREAM", "bad-name"),
            ("TIMESCALEDB_SYNC_TEXTFILE_DIR", "/nonexistent/dir"),
            ("TIMESCALEDB_SYNC_QUESTDB_USER", "admin"),
        ])
        .err()
        .expect("invalid");
        assert_eq!(lines.len(), 6, "{lines:#?}");
        assert!(lines.iter().all(|l| !l.contains("hunter2")), "{lines:#?}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("TIMESCALEDB_DSN:") && l.contains("\"colour\""))
        );
    }
}

//! The documentation service's typed configuration (docs/decisions.md#d4).

use std::path::{Path, PathBuf};
use std::time::Duration;

use shared::config::{ConfigError, ConfigReader, Env, HttpSettings, ServicePrefix};
use shared::db::{Backend, DEFAULT_POOL_SIZE};
use shared::target::TargetRule;

pub const PREFIX: ServicePrefix = ServicePrefix("DOCUMENTATION_API_");
pub const DEFAULT_PORT: u16 = 3400;
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/documentation.db";
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Config {
    pub http: HttpSettings,
    pub database_url: String,
    pub pool_size: u32,
    /// Where relative SQLite paths are resolved.
    pub root: std::path::PathBuf,
    /// The most bytes one uploaded file may have.
    pub max_upload_bytes: u64,
    pub health_checks: HealthCheckSettings,
    pub docs: DocsSettings,
    pub specs: SpecsSettings,
}

/// The markdown corpus behind docs search, content and the documentation-health audit.
#[derive(Debug, Clone)]
pub struct DocsSettings {
    /// `DOCS_CONTENT_DIR`, default `docs/content` under the root.
    pub content_dir: PathBuf,
    /// `DOCS_WATCH`: rebuild the index when a file under `content_dir` changes.
    pub watch: bool,
    /// `DOCS_AUDIT_ON_REINDEX`: run the documentation-health audit after every index build.
    pub audit_on_reindex: bool,
    /// `DOCS_REINDEX_MIN_INTERVAL_S`: the least time between two `POST /api/v1/docs/reindex`
    /// builds (the start-up build counts).
    pub reindex_min_interval: Duration,
}

/// The OpenAPI/AsyncAPI documents served, validated, versioned and searched.
#[derive(Debug, Clone)]
pub struct SpecsSettings {
    /// `SPECS_DIR`, default `openapi/` under the root; only ever read.
    pub dir: PathBuf,
    /// `SPECS_VERSIONS_DIR`, default `data/versions` under the root: published versions as
    /// `<semver>/<file>`.
    pub versions_dir: PathBuf,
}

/// How registered systems' URLs are checked.
#[derive(Debug, Clone)]
pub struct HealthCheckSettings {
    /// The whole check: connect, redirects, response headers.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Checks in flight at once, per call and for the background checker.
    pub concurrency: usize,
    /// How often the background checker re-checks every system; `None` when off.
    pub interval: Option<Duration>,
    /// Which addresses a check may reach (every redirect hop, every resolved address).
    pub targets: TargetRule,
}

impl Config {
    /// `standalone` adds the legacy `PORT`, which the fleet launcher must not read.
    pub fn from_env(env: &Env, standalone: bool) -> Result<Self, ConfigError> {
        let mut reader = ConfigReader::new(env);
        let legacy: &[&str] = if standalone { &["PORT"] } else { &[] };
        let http = HttpSettings::read(&mut reader, PREFIX, DEFAULT_PORT, legacy, 120);
        let database_url = reader.value(
            &["DOCUMENTATION_DATABASE_URL"],
            DEFAULT_DATABASE_URL.to_string(),
            "a postgres://, postgresql:// or sqlite:// URL",
            |raw| Backend::from_url(raw).map(|_| raw.to_string()),
        );
        let pool_size = reader.number(
            &["DOCUMENTATION_DATABASE_POOL_SIZE"],
            DEFAULT_POOL_SIZE,
            1..=200,
        );
        let max_upload_bytes = reader.number(
            &["DOCUMENTATION_MAX_UPLOAD_BYTES"],
            DEFAULT_MAX_UPLOAD_BYTES,
            1..=1024 * 1024 * 1024,
        );
        let timeout_ms: u64 = reader.number(
            &["DOCUMENTATION_HEALTH_CHECK_TIMEOUT_MS"],
            5000,
            100..=120_000,
        );
        let concurrency = reader.number(&["DOCUMENTATION_HEALTH_CHECK_CONCURRENCY"], 8, 1..=256);
        let interval_s: u64 = reader.number(
            &["DOCUMENTATION_HEALTH_CHECK_INTERVAL_S"],
            300,
            0..=7 * 24 * 3600,
        );
        let deny_private = reader.boolean(&["DOCUMENTATION_DENY_PRIVATE_TARGETS"], false);
        if let Some(strategy) = env.get("DOCUMENTATION_DB_STRATEGY") {
            shared::db::warn_on_strategy(
                "DOCUMENTATION_DB_STRATEGY",
                strategy,
                "DOCUMENTATION_DATABASE_URL",
                &database_url,
            );
        }
        let root = env.root();
        let content_dir = reader.value(
            &["DOCS_CONTENT_DIR"],
            root.join("docs/content"),
            "a directory path",
            |raw| under_root(root, raw),
        );
        let watch = reader.boolean(&["DOCS_WATCH"], false);
        let audit_on_reindex = reader.boolean(&["DOCS_AUDIT_ON_REINDEX"], true);
        let reindex_min_interval_s: u64 =
            reader.number(&["DOCS_REINDEX_MIN_INTERVAL_S"], 60, 0..=24 * 3600);
        let specs_dir = reader.value(
            &["SPECS_DIR"],
            root.join("openapi"),
            "a directory path",
            |raw| under_root(root, raw),
        );
        let versions_dir = reader.value(
            &["SPECS_VERSIONS_DIR"],
            root.join("data/versions"),
            "a directory path",
            |raw| under_root(root, raw),
        );
        let timeout = Duration::from_millis(timeout_ms);
        reader.finish(Self {
            http,
            database_url,
            pool_size,
            root: env.root().to_path_buf(),
            max_upload_bytes,
            health_checks: HealthCheckSettings {
                timeout,
                connect_timeout: timeout.min(Duration::from_millis(2000)),
                concurrency,
                interval: (interval_s > 0).then(|| Duration::from_secs(interval_s)),
                targets: TargetRule { deny_private },
            },
            docs: DocsSettings {
                content_dir,
                watch,
                audit_on_reindex,
                reindex_min_interval: Duration::from_secs(reindex_min_interval_s),
            },
            specs: SpecsSettings {
                dir: specs_dir,
                versions_dir,
            },
        })
    }
}

/// A non-empty path, relative ones taken from the root (as the SQLite paths are).
fn under_root(root: &Path, raw: &str) -> Option<PathBuf> {
    let raw = raw.trim();
    (!raw.is_empty() && !raw.contains('\0')).then(|| root.join(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)], standalone: bool) -> Result<Config, ConfigError> {
        Config::from_env(
            &Env::from_pairs("/srv/ts", pairs.iter().copied()),
            standalone,
        )
    }

    #[test]
    fn defaults_to_embedded_sqlite_on_3400() {
        let c = config(&[], true).expect("valid");
        assert_eq!(c.http.port, 3400);
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.max_upload_bytes, 10 * 1024 * 1024);
        assert_eq!(c.health_checks.timeout, Duration::from_secs(5));
        assert_eq!(c.health_checks.connect_timeout, Duration::from_secs(2));
        assert_eq!(c.health_checks.concurrency, 8);
        assert_eq!(c.health_checks.interval, Some(Duration::from_secs(300)));
        assert_eq!(c.docs.content_dir, Path::new("/srv/ts/docs/content"));
        assert!(!c.docs.watch);
        assert!(c.docs.audit_on_reindex);
        assert_eq!(c.docs.reindex_min_interval, Duration::from_secs(60));
        assert_eq!(c.specs.dir, Path::new("/srv/ts/openapi"));
        assert_eq!(c.specs.versions_dir, Path::new("/srv/ts/data/versions"));
    }

    #[test]
    fn corpus_and_spec_paths_are_relative_to_the_root_unless_absolute() {
        let c = config(
            &[("DOCS_CONTENT_DIR", "pages"), ("SPECS_DIR", "/etc/specs")],
            true,
        )
        .expect("valid");
        assert_eq!(c.docs.content_dir, Path::new("/srv/ts/pages"));
        assert_eq!(c.specs.dir, Path::new("/etc/specs"));
    }

    #[test]
    fn zero_interval_turns_the_background_checker_off() {
        let c = config(&[("DOCUMENTATION_HEALTH_CHECK_INTERVAL_S", "0")], true).expect("valid");
        assert_eq!(c.health_checks.interval, None);
    }

    #[test]
    fn legacy_port_only_for_the_standalone_binary() {
        assert_eq!(
            config(&[("PORT", "4000")], true).expect("valid").http.port,
            4000
        );
        assert_eq!(
            config(&[("PORT", "4000")], false).expect("valid").http.port,
            3400
        );
        let c = config(
            &[("DOCUMENTATION_API_PORT", "4001"), ("PORT", "4000")],
            true,
        );
        assert_eq!(c.expect("valid").http.port, 4001);
    }

    #[test]
    fn bad_values_are_named() {
        let ConfigError(lines) = config(
            &[
                ("DOCUMENTATION_DATABASE_URL", "mysql://x"),
                ("DOCUMENTATION_MAX_UPLOAD_BYTES", "0"),
                ("DOCUMENTATION_HEALTH_CHECK_CONCURRENCY", "many"),
            ],
            true,
        )
        .expect_err("invalid");
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("DOCUMENTATION_DATABASE_URL"),
            "{lines:?}"
        );
    }

    #[test]
    fn strategy_never_selects_a_backend() {
        let c = config(&[("DOCUMENTATION_DB_STRATEGY", "postgres")], true).expect("valid");
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
    }
}

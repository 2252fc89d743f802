//! The workspace service's typed configuration (docs/decisions.md#d4).

use shared::config::{ConfigError, ConfigReader, Env, HttpSettings, ServicePrefix};
use shared::db::{Backend, DEFAULT_POOL_SIZE};

pub const PREFIX: ServicePrefix = ServicePrefix("WORKSPACE_API_");
pub const DEFAULT_PORT: u16 = 3200;
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/workspace.db";

#[derive(Debug, Clone)]
pub struct Config {
    pub http: HttpSettings,
    pub database_url: String,
    pub pool_size: u32,
    /// Where relative SQLite paths are resolved.
    pub root: std::path::PathBuf,
}

impl Config {
    /// `standalone` adds the legacy port names (`WORKSPACE_PORT`, `PORT`), which the fleet
    /// launcher must not read (one `PORT` cannot serve three services).
    pub fn from_env(env: &Env, standalone: bool) -> Result<Self, ConfigError> {
        let mut reader = ConfigReader::new(env);
        let legacy: &[&str] = if standalone {
            &["WORKSPACE_PORT", "PORT"]
        } else {
            &[]
        };
        let http = HttpSettings::read(&mut reader, PREFIX, DEFAULT_PORT, legacy, 120);
        let database_url = reader.value(
            &["WORKSPACE_DATABASE_URL"],
            DEFAULT_DATABASE_URL.to_string(),
            "a postgres://, postgresql:// or sqlite:// URL",
            |raw| Backend::from_url(raw).map(|_| raw.to_string()),
        );
        let pool_size = reader.number(
            &["WORKSPACE_DATABASE_POOL_SIZE"],
            DEFAULT_POOL_SIZE,
            1..=200,
        );
        if let Some(strategy) = env.get("LIBRARY_DB_STRATEGY") {
            shared::db::warn_on_strategy(
                "LIBRARY_DB_STRATEGY",
                strategy,
                "WORKSPACE_DATABASE_URL",
                &database_url,
            );
        }
        reader.finish(Self {
            http,
            database_url,
            pool_size,
            root: env.root().to_path_buf(),
        })
    }
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
    fn defaults_to_embedded_sqlite_on_3200() {
        let c = config(&[], true).expect("valid");
        assert_eq!(c.http.port, 3200);
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.pool_size, 10);
    }

    #[test]
    fn legacy_port_only_for_the_standalone_binary() {
        assert_eq!(
            config(&[("PORT", "4000")], true).expect("valid").http.port,
            4000
        );
        assert_eq!(
            config(&[("PORT", "4000")], false).expect("valid").http.port,
            3200
        );
        assert_eq!(
            config(&[("WORKSPACE_PORT", "4001"), ("PORT", "4000")], true)
                .expect("valid")
                .http
                .port,
            4001
        );
    }

    #[test]
    fn bad_database_url_is_named() {
        let ConfigError(lines) =
            config(&[("WORKSPACE_DATABASE_URL", "mysql://x")], true).expect_err("invalid");
        assert!(
            lines[0].starts_with("WORKSPACE_DATABASE_URL: invalid value <redacted>"),
            "{lines:?}"
        );
    }

    #[test]
    fn strategy_never_selects_a_backend() {
        let c = config(&[("LIBRARY_DB_STRATEGY", "postgresql")], true).expect("valid");
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
    }
}

//! The settings every HTTP service of the fleet reads, with the naming rules of
//! docs/decisions.md#d4: `{P}NAME` > fleet-wide `NAME` > built-in default, plus a few
//! fleet-wide-only names.

use std::time::Duration;

use axum::http::HeaderValue;
use ipnet::IpNet;
use tracing::level_filters::LevelFilter;

use super::{ConfigReader, LogFormat, ServicePrefix};

/// `CORS_ORIGIN`: `*` (any origin, never with credentials) or an explicit list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    List(Vec<HeaderValue>),
}

/// One `name:token` pair of `AUTH_TOKENS`; the name is the actor recorded in audit rows.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken {
    pub name: String,
    pub token: String,
}

impl std::fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens never reach a log, even through `{:?}` of a whole config.
        f.debug_struct("AuthToken")
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .finish()
    }
}

pub const DEFAULT_CORS_ORIGINS: &str =
    "http://localhost:3103,http://localhost:9080,http://localhost:9082,http://localhost:3400";
pub const DEFAULT_TRUSTED_PROXIES: &str = "127.0.0.1/32,::1/128";

/// HTTP-layer settings shared by every API service.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub port: u16,
    pub log_level: LevelFilter,
    pub log_format: LogFormat,
    pub rate_limit_window: Duration,
    pub rate_limit_max: u32,
    pub request_timeout: Duration,
    pub run_migrations: bool,
    pub auth_tokens: Vec<AuthToken>,
    pub cors_origins: CorsOrigins,
    pub trusted_proxies: Vec<IpNet>,
    pub body_limit_bytes: usize,
    pub shutdown_grace: Duration,
    /// How long a client may take to send a request's headers, and how long a keep-alive
    /// connection may sit idle before its next request (one timer in hyper).
    pub header_read_timeout: Duration,
    /// Open connections per listener, before the file-descriptor limit's share.
    pub max_connections: usize,
}

impl HttpSettings {
    /// Reads the settings of the service with `prefix`. `legacy_ports` are the
    /// lowest-priority port names (e.g. `WORKSPACE_PORT`, `PORT`), which the fleet launcher
    /// passes empty; `default_rate_max` is 120, or 100 for the proxy.
    pub fn read(
        reader: &mut ConfigReader<'_>,
        prefix: ServicePrefix,
        default_port: u16,
        legacy_ports: &[&str],
        default_rate_max: u32,
    ) -> Self {
        let own = |suffix: &str| prefix.name(suffix);
        let port_name = own("PORT");
        let mut port_names = vec![port_name.as_str()];
        port_names.extend_from_slice(legacy_ports);
        let port = reader.number(&port_names, default_port, 1..=65535);

        let level_name = own("LOG_LEVEL");
        let log_level = reader.value(
            &[&level_name, "LOG_LEVEL"],
            LevelFilter::INFO,
            "one of trace, debug, info, warn, error, off",
            |raw| raw.parse().ok(),
        );
        let log_format = LogFormat::read(reader);

        let window_name = own("RATE_LIMIT_WINDOW_MS");
        let window_ms = reader.number(
            &[&window_name, "RATE_LIMIT_WINDOW_MS"],
            60_000u64,
            1..=86_400_000,
        );
        let max_name = own("RATE_LIMIT_MAX");
        let rate_limit_max = reader.number(
            &[&max_name, "RATE_LIMIT_MAX"],
            default_rate_max,
            1..=1_000_000,
        );
        let timeout_name = own("REQUEST_TIMEOUT_MS");
        let timeout_ms = reader.number(
            &[&timeout_name, "REQUEST_TIMEOUT_MS"],
            30_000u64,
            1..=3_600_000,
        );
        let migrations_name = own("RUN_MIGRATIONS");
        let run_migrations = reader.boolean(&[&migrations_name], true);
        let tokens_name = own("AUTH_TOKENS");
        let auth_tokens = reader.value(
            &[&tokens_name, "AUTH_TOKENS"],
            Vec::new(),
            "a comma list of name:token pairs (token at least 16 characters)",
            parse_auth_tokens,
        );

        let cors_origins = reader.value(
            &["CORS_ORIGIN"],
            parse_cors(DEFAULT_CORS_ORIGINS).unwrap_or(CorsOrigins::Any),
            "* or a comma list of origins like http://localhost:3103",
            parse_cors,
        );
        let trusted_proxies = reader.value(
            &["TRUSTED_PROXIES"],
            parse_cidrs(DEFAULT_TRUSTED_PROXIES).unwrap_or_default(),
            "a comma list of CIDRs or IP addresses",
            parse_cidrs,
        );
        let body_limit_bytes =
            reader.number(&["BODY_LIMIT_BYTES"], 1_048_576usize, 1..=1_073_741_824);
        let grace_ms = reader.number(&["SHUTDOWN_GRACE_MS"], 10_000u64, 0..=600_000);
        let header_read_ms = reader.number(&["HEADER_READ_TIMEOUT_MS"], 30_000u64, 100..=3_600_000);
        let max_connections = reader.number(&["MAX_CONNECTIONS"], 4096usize, 1..=1_000_000);

        Self {
            port,
            log_level,
            log_format,
            rate_limit_window: Duration::from_millis(window_ms),
            rate_limit_max,
            request_timeout: Duration::from_millis(timeout_ms),
            run_migrations,
            auth_tokens,
            cors_origins,
            trusted_proxies,
            body_limit_bytes,
            shutdown_grace: Duration::from_millis(grace_ms),
            header_read_timeout: Duration::from_millis(header_read_ms),
            max_connections,
        }
    }
}

fn parse_auth_tokens(raw: &str) -> Option<Vec<AuthToken>> {
    raw.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, token) = pair.split_once(':')?;
            let (name, token) = (name.trim(), token.trim());
            let name_ok = !name.is_empty()
                && name.len() <= 100
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
            (name_ok && token.len() >= 16 && !token.contains(char::is_whitespace)).then(|| {
                AuthToken {
                    name: name.to_string(),
                    token: token.to_string(),
                }
            })
        })
        .collect()
}

fn parse_cors(raw: &str) -> Option<CorsOrigins> {
    if raw.trim() == "*" {
        return Some(CorsOrigins::Any);
    }
    let origins: Option<Vec<HeaderValue>> = raw
        .split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let origin = origin.trim_end_matches('/');
            let (scheme, host) = origin.split_once("://")?;
            let valid = matches!(scheme, "http" | "https")
                && !host.is_empty()
                && !host.contains(['/', ' ', '*', '?', '#']);
            valid.then(|| HeaderValue::from_str(origin).ok()).flatten()
        })
        .collect();
    origins
        .filter(|list| !list.is_empty())
        .map(CorsOrigins::List)
}

fn parse_cidrs(raw: &str) -> Option<Vec<IpNet>> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .ok()
                .or_else(|| item.parse::<std::net::IpAddr>().ok().map(IpNet::from))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigError, Env};

    const PREFIX: ServicePrefix = ServicePrefix("WORKSPACE_API_");

    fn read(pairs: &[(&str, &str)]) -> Result<HttpSettings, ConfigError> {
        let env = Env::from_pairs(".", pairs.iter().copied());
        let mut reader = ConfigReader::new(&env);
        let settings =
            HttpSettings::read(&mut reader, PREFIX, 3200, &["WORKSPACE_PORT", "PORT"], 120);
        reader.finish(settings)
    }

    #[test]
    fn defaults_match_the_contract() {
        let s = read(&[]).expect("defaults are valid");
        assert_eq!(s.port, 3200);
        assert_eq!(s.rate_limit_window, Duration::from_secs(60));
        assert_eq!(s.rate_limit_max, 120);
        assert_eq!(s.request_timeout, Duration::from_secs(30));
        assert_eq!(s.body_limit_bytes, 1_048_576);
        assert_eq!(s.shutdown_grace, Duration::from_secs(10));
        assert_eq!(s.header_read_timeout, Duration::from_secs(30));
        assert_eq!(s.max_connections, 4096);
        assert!(s.run_migrations && s.auth_tokens.is_empty());
        assert_eq!(s.log_format, LogFormat::Text);
        assert!(matches!(s.cors_origins, CorsOrigins::List(ref l) if l.len() == 4));
        assert_eq!(s.trusted_proxies.len(), 2);
    }

    #[test]
    fn prefixed_beats_fleet_wide_beats_legacy() {
        let s = read(&[
            ("PORT", "1"),
            ("WORKSPACE_PORT", "2"),
            ("WORKSPACE_API_PORT", "3"),
            ("RATE_LIMIT_MAX", "10"),
            ("WORKSPACE_API_RATE_LIMIT_MAX", "20"),
            ("RATE_LIMIT_WINDOW_MS", "1000"),
        ])
        .expect("valid");
        assert_eq!(s.port, 3);
        assert_eq!(s.rate_limit_max, 20);
        assert_eq!(s.rate_limit_window, Duration::from_secs(1));
        assert_eq!(read(&[("PORT", "9")]).expect("valid").port, 9);
    }

    #[test]
    fn production_means_json_logs() {
        assert_eq!(
            read(&[("APP_ENV", "production")])
                .expect("valid")
                .log_format,
            LogFormat::Json
        );
    }

    #[test]
    fn bad_values_are_named() {
        let ConfigError(lines) = read(&[
            ("WORKSPACE_API_PORT", "70000"),
            ("CORS_ORIGIN", "not a url"),
            ("TRUSTED_PROXIES", "10.0.0.0/99"),
            ("AUTH_TOKENS", "dashboard"),
            ("LOG_LEVEL", "loud"),
            ("HEADER_READ_TIMEOUT_MS", "soon"),
            ("MAX_CONNECTIONS", "0"),
        ])
        .expect_err("invalid");
        let names: Vec<&str> = lines.iter().filter_map(|l| l.split(':').next()).collect();
        assert_eq!(
            names,
            [
                "WORKSPACE_API_PORT",
                "LOG_LEVEL",
                "AUTH_TOKENS",
                "CORS_ORIGIN",
                "TRUSTED_PROXIES",
                "HEADER_READ_TIMEOUT_MS",
                "MAX_CONNECTIONS"
            ]
        );
    }

    #[test]
    fn tokens_and_origins_parse() {
        let s = read(&[
            (
                "AUTH_TOKENS",
                "dashboard:0123456789abcdef, ops:fedcba9876543210",
            ),
            ("CORS_ORIGIN", "*"),
            ("TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12"),
        ])
        .expect("valid");
        assert_eq!(s.auth_tokens.len(), 2);
        assert_eq!(s.auth_tokens[1].name, "ops");
        assert!(!format!("{s:?}").contains("0123456789abcdef"));
        assert_eq!(s.cors_origins, CorsOrigins::Any);
        assert_eq!(s.trusted_proxies.len(), 2);
    }
}

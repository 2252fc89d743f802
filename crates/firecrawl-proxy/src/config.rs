//! The proxy's typed configuration (docs/decisions.md#d4, and #d22 for its own names),
//! highest priority first:
//!
//! * upstream base: `FIRECRAWL_PROXY_BASE_URL`, `FIRECRAWL_BASE_URL`, `FIRECRAWL_API_URL`,
//!   default `http://localhost:3002`;
//! * outbound key (unrelated to the inbound `AUTH_TOKENS`): `FIRECRAWL_PROXY_API_KEY`,
//!   `FIRECRAWL_API_KEY`, sent as Bearer only when set;
//! * upstream timeout in ms: `FIRECRAWL_PROXY_TIMEOUT`, `FIRECRAWL_TIMEOUT`, default 30000;
//! * `FIRECRAWL_PROXY_PUBLIC_URL`: prefix of the URLs handed to clients;
//! * `FIRECRAWL_PROXY_MAX_IN_FLIGHT` (default 16, 0 = no cap) and
//!   `FIRECRAWL_PROXY_QUEUE_TIMEOUT_MS` (default 10000): the outbound concurrency cap;
//! * `FIRECRAWL_PROXY_MAX_RESPONSE_BYTES` (default 32 MiB): the largest answer read;
//! * `FIRECRAWL_PROXY_DENY_PRIVATE_TARGETS` (default false): refuse loopback and private
//!   scrape targets too (link-local and metadata addresses are always refused).

use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;
use shared::config::{ConfigError, ConfigReader, Env, HttpSettings, ServicePrefix};
use shared::target::TargetRule;

pub const PREFIX: ServicePrefix = ServicePrefix("FIRECRAWL_PROXY_");
pub const DEFAULT_PORT: u16 = 3600;
/// The proxy's own default (the original proxy's), lower than the fleet's 120.
pub const DEFAULT_RATE_LIMIT_MAX: u32 = 100;
pub const DEFAULT_BASE_URL: &str = "http://localhost:3002";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);
/// Upstream answers are read whole, so this cap times the response cap is what
/// answers in flight can take in memory (16 × 32 MiB).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// The largest scrape budget a request can ask for: `timeout` ≤ 120 s plus `waitFor` ≤ 30 s.
pub const MAX_SCRAPE_BUDGET: Duration = Duration::from_millis(120_000 + 30_000);
/// Time Firecrawl gets beyond a scrape's own budget to answer (its 408 included), and
/// the time a route gets beyond its upstream deadline (docs/decisions.md#d22).
pub const MARGIN: Duration = Duration::from_secs(5);

/// Where and how the proxy talks to Firecrawl.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Scheme, host, port and optional path prefix; never a query, fragment or credentials.
    pub base_url: Url,
    /// Sent as `Authorization: Bearer` only when set; marked sensitive so it never prints.
    pub api_key: Option<HeaderValue>,
    /// The default deadline of one upstream call.
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub http: HttpSettings,
    pub upstream: Upstream,
    /// Prefix of the URLs handed to clients (`data.url`, `next`); empty = root-relative.
    pub public_url: String,
    /// At most this many upstream calls at once; `None` = no cap.
    pub max_in_flight: Option<usize>,
    /// The largest upstream answer read; a larger one is a 502. With `max_in_flight`
    /// it bounds the memory answers can take.
    pub max_response_bytes: usize,
    /// Which scrape and crawl targets are refused.
    pub targets: TargetRule,
    /// How long a call waits for a free slot before 503.
    pub queue_timeout: Duration,
}

impl Config {
    /// `standalone` adds the legacy `PORT`, which the fleet launcher must not read (one
    /// `PORT` cannot serve three services).
    pub fn from_env(env: &Env, standalone: bool) -> Result<Self, ConfigError> {
        let mut reader = ConfigReader::new(env);
        let legacy: &[&str] = if standalone { &["PORT"] } else { &[] };
        let mut http = HttpSettings::read(
            &mut reader,
            PREFIX,
            DEFAULT_PORT,
            legacy,
            DEFAULT_RATE_LIMIT_MAX,
        );
        let base_url = reader.value(
            &[
                "FIRECRAWL_PROXY_BASE_URL",
                "FIRECRAWL_BASE_URL",
                "FIRECRAWL_API_URL",
            ],
            default_base_url(),
            "an http:// URL such as http://firecrawl-api:3002, without credentials, query or fragment",
            parse_base_url,
        );
        let api_key = reader.optional(
            &["FIRECRAWL_PROXY_API_KEY", "FIRECRAWL_API_KEY"],
            "a token without spaces or control characters",
            parse_api_key,
        );
        let timeout_ms = reader.number(
            &["FIRECRAWL_PROXY_TIMEOUT", "FIRECRAWL_TIMEOUT"],
            millis(DEFAULT_TIMEOUT),
            1..=600_000,
        );
        let public_url = reader.value(
            &["FIRECRAWL_PROXY_PUBLIC_URL"],
            String::new(),
            "an http(s):// URL such as http://localhost:9080/api/firecrawl, without query or fragment",
            parse_public_url,
        );
        let max_in_flight = reader.number(
            &["FIRECRAWL_PROXY_MAX_IN_FLIGHT"],
            DEFAULT_MAX_IN_FLIGHT,
            0..=10_000,
        );
        let max_response_bytes = reader.number(
            &["FIRECRAWL_PROXY_MAX_RESPONSE_BYTES"],
            DEFAULT_MAX_RESPONSE_BYTES,
            1024..=1_073_741_824,
        );
        let deny_private = reader.boolean(&["FIRECRAWL_PROXY_DENY_PRIVATE_TARGETS"], false);
        let queue_ms = reader.number(
            &["FIRECRAWL_PROXY_QUEUE_TIMEOUT_MS"],
            millis(DEFAULT_QUEUE_TIMEOUT),
            0..=600_000,
        );
        let upstream = Upstream {
            base_url,
            api_key,
            timeout: Duration::from_millis(timeout_ms),
        };
        let queue_timeout = Duration::from_millis(queue_ms);
        // The shared stack gives every route one deadline. A scrape may legitimately run
        // for its own budget plus margins, so the stack's deadline is raised to the
        // longest route deadline; each upstream route then enforces its own, shorter one
        // (`route_deadline`), and the remaining routes answer at once.
        http.request_timeout = http
            .request_timeout
            .max(route_deadline(queue_timeout, longest_upstream_deadline(&upstream)) + MARGIN);
        reader.finish(Self {
            http,
            upstream,
            public_url,
            max_in_flight: (max_in_flight > 0).then_some(max_in_flight),
            max_response_bytes,
            targets: TargetRule { deny_private },
            queue_timeout,
        })
    }
}

/// The deadline of a scrape call: the configured `timeout`, but never below the scrape's
/// own `budget` (its `timeout + waitFor`) plus the margin, or the proxy would give up
/// with a 504 while Firecrawl is still within its time.
pub fn scrape_deadline(timeout: Duration, budget: Duration) -> Duration {
    timeout.max(budget + MARGIN)
}

fn longest_upstream_deadline(upstream: &Upstream) -> Duration {
    scrape_deadline(upstream.timeout, MAX_SCRAPE_BUDGET)
}

/// A route's deadline: waiting for a slot, then the upstream call, then the margin.
pub fn route_deadline(queue_timeout: Duration, upstream_deadline: Duration) -> Duration {
    queue_timeout + upstream_deadline + MARGIN
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn default_base_url() -> Url {
    Url::parse(DEFAULT_BASE_URL).expect("the default base URL is valid")
}

/// An http(s) URL with a host and nothing that could redirect or leak: no credentials
/// (the key has its own variable), no query, no fragment. A trailing slash is dropped so
/// paths can be appended segment by segment.
fn parse_url(raw: &str) -> Option<Url> {
    let url = Url::parse(raw).ok()?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    ok.then_some(url)
}

fn parse_base_url(raw: &str) -> Option<Url> {
    let url = parse_url(raw)?;
    // This build speaks plain HTTP only (self-hosted Firecrawl on the compose network);
    // an https:// base would fail on every call, so it is a configuration error.
    (url.scheme() == "http").then_some(url)
}

fn parse_public_url(raw: &str) -> Option<String> {
    parse_url(raw).map(|url| url.as_str().trim_end_matches('/').to_string())
}

fn parse_api_key(raw: &str) -> Option<HeaderValue> {
    if raw.is_empty() || raw.bytes().any(|b| !b.is_ascii_graphic()) {
        return None;
    }
    let mut value = HeaderValue::from_str(&format!("Bearer {raw}")).ok()?;
    value.set_sensitive(true);
    Some(value)
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

    /// The versioned config files alone (not a developer's `.env`) keep the documented
    /// defaults: a fleet-wide value there would reach the proxy through the fallback.
    #[test]
    fn the_shipped_config_files_keep_the_proxy_limit_at_100() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(root.path().join("config")).expect("config dir");
        for file in ["config/container-images.env", "config/.env.defaults"] {
            std::fs::copy(repo.join(file), root.path().join(file)).expect("versioned file");
        }
        let env = Env::from_root(root.path().to_path_buf(), Vec::new());
        let c = Config::from_env(&env, true).expect("valid");
        assert_eq!(c.http.rate_limit_max, 100);
        assert_eq!(c.http.rate_limit_window, Duration::from_secs(60));
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = config(&[], true).expect("valid");
        assert_eq!(c.http.port, 3600);
        assert_eq!(c.http.rate_limit_max, 100);
        assert_eq!(c.upstream.base_url.as_str(), "http://localhost:3002/");
        assert!(c.upstream.api_key.is_none());
        assert_eq!(c.upstream.timeout, Duration::from_secs(30));
        assert_eq!(c.public_url, "");
        assert_eq!(
            c.max_in_flight,
            Some(16),
            "finite, so answers' memory is bounded"
        );
        assert_eq!(c.max_response_bytes, 32 * 1024 * 1024);
        assert!(!c.targets.deny_private);
        let unlimited = config(&[("FIRECRAWL_PROXY_MAX_IN_FLIGHT", "0")], true).expect("valid");
        assert_eq!(unlimited.max_in_flight, None);
        // 10 s queue + (150 s budget + 5 s) + 5 s route margin + 5 s so the shared
        // deadline never fires before a route's own.
        assert_eq!(c.http.request_timeout, Duration::from_secs(175));
    }

    #[test]
    fn names_fall_back_in_the_documented_order() {
        let c = config(
            &[
                ("FIRECRAWL_API_URL", "http://c:3"),
                ("FIRECRAWL_BASE_URL", "http://b:2"),
                ("FIRECRAWL_API_KEY", "fallback-key"),
                ("FIRECRAWL_TIMEOUT", "1234"),
            ],
            true,
        )
        .expect("valid");
        assert_eq!(c.upstream.base_url.as_str(), "http://b:2/");
        assert_eq!(c.upstream.timeout, Duration::from_millis(1234));
        let key = c.upstream.api_key.expect("key");
        assert_eq!(key.to_str().expect("ascii"), "Bearer fallback-key");
        assert!(key.is_sensitive());
        let c = config(
            &[
                ("FIRECRAWL_PROXY_BASE_URL", "http://a:1/prefix/"),
                ("FIRECRAWL_BASE_URL", "http://b:2"),
                ("FIRECRAWL_PROXY_API_KEY", "own"),
                ("FIRECRAWL_API_KEY", "other"),
                (
                    "FIRECRAWL_PROXY_PUBLIC_URL",
                    "http://localhost:9080/api/firecrawl/",
                ),
            ],
            true,
        )
        .expect("valid");
        assert_eq!(c.upstream.base_url.as_str(), "http://a:1/prefix/");
        assert_eq!(
            c.upstream.api_key.expect("key").to_str().expect("ascii"),
            "Bearer own"
        );
        assert_eq!(c.public_url, "http://localhost:9080/api/firecrawl");
    }

    #[test]
    fn legacy_port_only_for_the_standalone_binary() {
        assert_eq!(
            config(&[("PORT", "4000")], true).expect("ok").http.port,
            4000
        );
        assert_eq!(
            config(&[("PORT", "4000")], false).expect("ok").http.port,
            3600
        );
        let both = [("FIRECRAWL_PROXY_PORT", "4001"), ("PORT", "4000")];
        assert_eq!(config(&both, true).expect("ok").http.port, 4001);
    }

    #[test]
    fn rate_limit_prefers_the_prefixed_names() {
        let c = config(
            &[
                ("RATE_LIMIT_MAX", "7"),
                ("FIRECRAWL_PROXY_RATE_LIMIT_MAX", "9"),
            ],
            false,
        )
        .expect("valid");
        assert_eq!(c.http.rate_limit_max, 9);
        assert_eq!(
            config(&[("RATE_LIMIT_MAX", "7")], false)
                .expect("ok")
                .http
                .rate_limit_max,
            7
        );
    }

    #[test]
    fn every_bad_value_is_named() {
        let ConfigError(lines) = config(
            &[
                ("FIRECRAWL_PROXY_BASE_URL", "ftp://firecrawl"),
                ("FIRECRAWL_PROXY_API_KEY", "has space"),
                ("FIRECRAWL_PROXY_TIMEOUT", "soon"),
                ("FIRECRAWL_PROXY_PUBLIC_URL", "localhost:9080"),
                ("FIRECRAWL_PROXY_MAX_IN_FLIGHT", "-1"),
                ("FIRECRAWL_PROXY_QUEUE_TIMEOUT_MS", "forever"),
            ],
            true,
        )
        .expect_err("invalid");
        let names: Vec<&str> = lines.iter().filter_map(|l| l.split(':').next()).collect();
        assert_eq!(
            names,
            [
                "FIRECRAWL_PROXY_BASE_URL",
                "FIRECRAWL_PROXY_API_KEY",
                "FIRECRAWL_PROXY_TIMEOUT",
                "FIRECRAWL_PROXY_PUBLIC_URL",
                "FIRECRAWL_PROXY_MAX_IN_FLIGHT",
                "FIRECRAWL_PROXY_QUEUE_TIMEOUT_MS",
            ],
            "{lines:?}"
        );
        assert!(lines[1].contains("<redacted>") && !lines[1].contains("has space"));
    }

    #[test]
    fn base_urls_that_could_leak_or_redirect_are_refused() {
        for bad in [
            "http://user:pw@firecrawl:3002",
            "http://firecrawl:3002/?x=1",
            "http://firecrawl:3002/#f",
            "https://api.firecrawl.dev",
            "firecrawl:3002",
            "http://",
        ] {
            assert!(
                config(&[("FIRECRAWL_BASE_URL", bad)], true).is_err(),
                "{bad} must be refused"
            );
        }
    }

    #[test]
    fn a_long_configured_timeout_raises_the_route_deadline() {
        let c = config(
            &[
                ("FIRECRAWL_PROXY_TIMEOUT", "300000"),
                ("FIRECRAWL_PROXY_QUEUE_TIMEOUT_MS", "0"),
            ],
            false,
        )
        .expect("valid");
        assert_eq!(c.http.request_timeout, Duration::from_secs(310));
        assert_eq!(
            scrape_deadline(c.upstream.timeout, Duration::from_secs(1)),
            Duration::from_secs(300)
        );
        assert_eq!(
            scrape_deadline(Duration::from_secs(1), Duration::from_secs(60)),
            Duration::from_secs(65)
        );
    }
}

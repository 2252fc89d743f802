//! Request validation (docs/decisions.md#d22; `timeout` up to 120000 as the dashboard
//! allows) and
//! the shaping of what is forwarded: Firecrawl v1 rejects unknown keys, so only the keys
//! listed here leave the proxy, and every problem is reported at once (fleet envelope,
//! `errors[]` naming each field).

use std::time::Duration;

use reqwest::Url;
use serde_json::{Map, Value};
use shared::extract::QueryPairs;
use shared::target::TargetRule;
use shared::validate::Fields;
use shared::{ApiError, FieldError};

use crate::error::Error;

pub const MAX_URL_LEN: usize = 2048;
pub const FORMATS: [&str; 7] = [
    "markdown",
    "html",
    "rawHtml",
    "links",
    "screenshot",
    "screenshot@fullPage",
    "json",
];
const WAIT_FOR: std::ops::RangeInclusive<i64> = 0..=30_000;
const TIMEOUT: std::ops::RangeInclusive<i64> = 1_000..=120_000;
const CRAWL_LIMIT: std::ops::RangeInclusive<i64> = 1..=1_000;
const MAX_DEPTH: std::ops::RangeInclusive<i64> = 1..=10;
/// Firecrawl's own defaults when a scrape names no `timeout`: 30 s, raised to
/// 60 s for the `json` format.
const DEFAULT_TIMEOUT_MS: i64 = 30_000;
const JSON_TIMEOUT_MS: i64 = 60_000;

/// A validated scrape: the body to forward and how long Firecrawl may take for it.
#[derive(Debug)]
pub struct Scrape {
    pub body: Value,
    /// `timeout + waitFor` as Firecrawl will apply them.
    pub budget: Duration,
}

impl Scrape {
    pub fn parse(input: &Map<String, Value>, targets: TargetRule) -> Result<Self, Error> {
        let mut fields = Fields::new(input);
        let mut body = Map::new();
        if let Some(url) = url(&mut fields, input, targets) {
            body.insert("url".into(), Value::String(url));
        }
        let budget = scrape_options(&mut fields, &mut body);
        fields.finish()?;
        Ok(Self {
            body: Value::Object(body),
            budget,
        })
    }
}

/// A validated crawl request, ready to forward.
pub fn crawl(input: &Map<String, Value>, targets: TargetRule) -> Result<Value, Error> {
    let mut fields = Fields::new(input);
    let mut body = Map::new();
    if let Some(url) = url(&mut fields, input, targets) {
        body.insert("url".into(), Value::String(url));
    }
    for (key, range) in [("limit", CRAWL_LIMIT), ("maxDepth", MAX_DEPTH)] {
        if let Some(n) = integer(&mut fields, key, range) {
            body.insert(key.into(), n.into());
        }
    }
    for key in ["excludePaths", "includePaths"] {
        if let Some(paths) = strings(&mut fields, key, true) {
            body.insert(key.into(), paths);
        }
    }
    if let Some(options) = fields.optional_object("scrapeOptions") {
        // The nested object is checked with the scrape rules and shaped the same way, its
        // problems reported as `scrapeOptions.<field>`.
        let mut nested = Fields::new(&options);
        let mut shaped = Map::new();
        scrape_options(&mut nested, &mut shaped);
        if let Err(error) = nested.finish() {
            for e in error.field_errors() {
                fields.error(format!("scrapeOptions.{}", e.field), &e.code, &e.message);
            }
        }
        body.insert("scrapeOptions".into(), Value::Object(shaped));
    }
    for key in ["allowBackwardLinks", "allowExternalLinks"] {
        if let Some(flag) = fields.optional_bool(key) {
            body.insert(key.into(), flag.into());
        }
    }
    fields.finish()?;
    Ok(Value::Object(body))
}

/// The options a scrape and a crawl's `scrapeOptions` share; returns the time budget.
fn scrape_options(fields: &mut Fields<'_>, out: &mut Map<String, Value>) -> Duration {
    let mut wants_json = false;
    if let Some(formats) = fields.optional_string_array("formats") {
        for (i, format) in formats.iter().enumerate() {
            if !FORMATS.contains(&format.as_str()) {
                fields.error(
                    format!("formats.{i}"),
                    "invalid_enum_value",
                    format!("formats must each be one of {}", FORMATS.join(", ")),
                );
            }
        }
        wants_json = formats.iter().any(|f| f == "json");
        out.insert("formats".into(), formats.into());
    }
    if let Some(flag) = fields.optional_bool("onlyMainContent") {
        out.insert("onlyMainContent".into(), flag.into());
    }
    let wait_for = integer(fields, "waitFor", WAIT_FOR);
    let timeout = integer(fields, "timeout", TIMEOUT);
    for (key, value) in [("waitFor", wait_for), ("timeout", timeout)] {
        if let Some(n) = value {
            out.insert(key.into(), n.into());
        }
    }
    for key in ["includeTags", "excludeTags"] {
        if let Some(tags) = strings(fields, key, false) {
            out.insert(key.into(), tags);
        }
    }
    let default_timeout = if wants_json {
        JSON_TIMEOUT_MS
    } else {
        DEFAULT_TIMEOUT_MS
    };
    let total = timeout.unwrap_or(default_timeout) + wait_for.unwrap_or(0);
    Duration::from_millis(u64::try_from(total).unwrap_or(0))
}

/// `url`: required, http or https with a host (localhost and IP literals included),
/// at most [`MAX_URL_LEN`] characters, and a host the target rule allows. Surrounding
/// blanks are dropped. Firecrawl resolves names and follows redirects itself, so only
/// the host as written can be checked here.
fn url(fields: &mut Fields<'_>, input: &Map<String, Value>, targets: TargetRule) -> Option<String> {
    let problem = match input.get("url") {
        None | Some(Value::Null) => ("required", "URL is required"),
        Some(Value::String(s)) if s.trim().is_empty() => ("required", "URL is required"),
        Some(Value::String(s)) if s.trim().chars().count() > MAX_URL_LEN => {
            ("too_long", "URL exceeds maximum length")
        }
        Some(Value::String(s)) if is_http_url(s.trim()) => {
            let url = s.trim();
            let host = Url::parse(url).ok()?.host_str().map(str::to_owned)?;
            match targets.check_host(&host) {
                Ok(()) => return Some(url.to_string()),
                Err(refusal) => ("forbidden_target", refusal.message()),
            }
        }
        Some(_) => ("invalid_url", "URL must be valid and use http/https"),
    };
    fields.error("url", problem.0, problem.1);
    None
}

pub fn is_http_url(raw: &str) -> bool {
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    // An explicit scheme with `//`: the URL parser would otherwise accept `http:host`.
    let explicit = lower.starts_with("http://") || lower.starts_with("https://");
    explicit
        && !raw.chars().any(char::is_whitespace)
        && Url::parse(raw).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// An optional integer within `range`, with a sentence naming the range.
fn integer(
    fields: &mut Fields<'_>,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    let value = fields.optional_integer(key)?;
    if range.contains(&value) {
        Some(value)
    } else {
        fields.error(
            key,
            "out_of_range",
            format!(
                "{key} must be an integer from {} to {}",
                range.start(),
                range.end()
            ),
        );
        None
    }
}

/// An optional array of strings, each at most [`MAX_URL_LEN`] characters and, unless
/// `allow_empty`, non-empty.
fn strings(fields: &mut Fields<'_>, key: &str, allow_empty: bool) -> Option<Value> {
    let items = fields.optional_string_array(key)?;
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let problem = if !allow_empty && item.is_empty() {
            Some(("too_small", format!("{key} entries must not be empty")))
        } else if item.chars().count() > MAX_URL_LEN {
            Some((
                "too_long",
                format!("{key} entries must be at most {MAX_URL_LEN} characters"),
            ))
        } else {
            None
        };
        if let Some((code, message)) = problem {
            ok = false;
            fields.error(format!("{key}.{i}"), code, message);
        }
    }
    ok.then(|| items.into())
}

/// A crawl id as Firecrawl issues them: `[A-Za-z0-9_-]{1,100}`. Anything else is refused
/// before any upstream call, so an id can never carry a path or query into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlId(String);

/// Names of Firecrawl's own routes under `/v1/crawl/`: as ids they would reach those
/// routes instead of a crawl's status.
const RESERVED_IDS: [&str; 2] = ["ongoing", "active"];

impl CrawlId {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let problem = if !Self::is_valid(raw) {
            "Crawl ID must be alphanumeric (letters, digits, - and _, at most 100 characters)"
        } else if RESERVED_IDS.iter().any(|r| r.eq_ignore_ascii_case(raw)) {
            "Crawl ID must be an id issued by Firecrawl, not a route name"
        } else {
            return Ok(Self(raw.to_string()));
        };
        Err(ApiError::validation(vec![FieldError::new("id", "invalid_id", problem)]).into())
    }

    pub fn is_valid(raw: &str) -> bool {
        (1..=100).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The `skip`/`limit` of a crawl-status read, the only query keys forwarded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page {
    pub skip: Option<u64>,
    pub limit: Option<u64>,
}

impl Page {
    pub fn parse(query: &QueryPairs) -> Result<Self, Error> {
        let mut errors = query.repeated(&["skip", "limit"]);
        let mut read = |key: &str, min: u64| {
            let raw = query.get(key)?;
            match raw.parse::<u64>() {
                Ok(n) if (min..=1_000_000_000).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError::new(
                        key,
                        "invalid_type",
                        format!("{key} must be an integer from {min} to 1000000000"),
                    ));
                    None
                }
            }
        };
        let page = Self {
            skip: read("skip", 0),
            limit: read("limit", 1),
        };
        if errors.is_empty() {
            Ok(page)
        } else {
            Err(ApiError::validation(errors).into())
        }
    }

    pub fn query(&self) -> Vec<(&'static str, String)> {
        [("skip", self.skip), ("limit", self.limit)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v.to_string())))
            .collect()
    }
}

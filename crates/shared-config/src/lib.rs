//! How every binary of the fleet starts: the env hierarchy ([`Env`]), a reader that
//! collects every bad variable ([`ConfigReader`]), and logging ([`telemetry`]).
//!
//! A binary parses its typed `Config` once at start-up; any bad or missing value ends
//! the process with status 78 (`EX_CONFIG`) and one line per bad variable. The HTTP
//! services' shared settings live with the HTTP layer (`shared::config::HttpSettings`),
//! so the sync worker links no HTTP code.

mod env;
pub mod telemetry;

pub use env::{ENV_FILES, Env, discover_root};

use std::fmt::Display;
use std::str::FromStr;

/// Exit status for configuration errors (sysexits.h `EX_CONFIG`).
pub const EXIT_CONFIG: i32 = 78;

/// Every problem found while reading a config, one line each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration:\n{}", .0.join("\n"))]
pub struct ConfigError(pub Vec<String>);

/// Reads typed values out of an [`Env`], remembering each failure instead of stopping at
/// the first, so an operator sees every bad variable in one run.
pub struct ConfigReader<'a> {
    env: &'a Env,
    problems: Vec<String>,
}

impl<'a> ConfigReader<'a> {
    pub fn new(env: &'a Env) -> Self {
        Self {
            env,
            problems: Vec::new(),
        }
    }

    pub fn env(&self) -> &'a Env {
        self.env
    }

    /// The first set variable among `names` (highest priority first), parsed by `parse`;
    /// `default` when none is set. `expected` describes the accepted form.
    pub fn value<T>(
        &mut self,
        names: &[&str],
        default: T,
        expected: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> T {
        match self.env.first(names) {
            None => default,
            Some((name, raw)) => parse(raw.trim()).unwrap_or_else(|| {
                self.invalid(name, raw, expected);
                default
            }),
        }
    }

    /// Like [`Self::value`] but for a variable without a default.
    pub fn optional<T>(
        &mut self,
        names: &[&str],
        expected: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let (name, raw) = self.env.first(names)?;
        let parsed = parse(raw.trim());
        if parsed.is_none() {
            self.invalid(name, raw, expected);
        }
        parsed
    }

    /// A `FromStr` value within `range`.
    pub fn number<T>(&mut self, names: &[&str], default: T, range: std::ops::RangeInclusive<T>) -> T
    where
        T: FromStr + PartialOrd + Display + Copy,
    {
        let expected = format!("an integer from {} to {}", range.start(), range.end());
        self.value(names, default, &expected, |raw| {
            raw.parse::<T>().ok().filter(|v| range.contains(v))
        })
    }

    /// `true/1/yes/on` or `false/0/no/off`, any case.
    pub fn boolean(&mut self, names: &[&str], default: bool) -> bool {
        self.value(
            names,
            default,
            "true or false (also 1/0, yes/no, on/off)",
            parse_bool,
        )
    }

    /// A variable that must be set.
    pub fn required<T>(
        &mut self,
        name: &str,
        expected: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        if self.env.get(name).is_none() {
            self.problems
                .push(format!("{name}: missing (expected {expected})"));
            return None;
        }
        self.optional(&[name], expected, parse)
    }

    /// Records a problem found by the caller's own cross-field checks.
    pub fn problem(&mut self, line: impl Into<String>) {
        self.problems.push(line.into());
    }

    pub fn invalid(&mut self, name: &str, raw: &str, expected: &str) {
        // Values of secret-looking variables never reach a terminal or a log.
        let shown = if is_secret_name(name) {
            "<redacted>".to_string()
        } else {
            format!("{raw:?}")
        };
        self.problems.push(format!(
            "{name}: invalid value {shown} (expected {expected})"
        ));
    }

    /// `Ok(value)` when nothing went wrong, else every problem found.
    pub fn finish<T>(self, value: T) -> Result<T, ConfigError> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(ConfigError(self.problems))
        }
    }
}

pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn is_secret_name(name: &str) -> bool {
    ["TOKEN", "KEY", "PASSWORD", "SECRET", "DSN", "DATABASE_URL"]
        .iter()
        .any(|marker| name.contains(marker))
}

/// Prints each problem on its own line to stderr and exits with status 78.
pub fn exit_on_config_error(error: &ConfigError) -> ! {
    for line in &error.0 {
        eprintln!("config error: {line}");
    }
    std::process::exit(EXIT_CONFIG)
}

/// The env prefix of one service, e.g. `WORKSPACE_API_`.
#[derive(Debug, Clone, Copy)]
pub struct ServicePrefix(pub &'static str);

impl ServicePrefix {
    pub fn name(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT` (`json`, `text`/`pretty`), defaulting to JSON when
    /// `APP_ENV=production`: the same for every binary of the fleet.
    pub fn read(reader: &mut ConfigReader<'_>) -> Self {
        let production = reader
            .env()
            .get("APP_ENV")
            .is_some_and(|v| v.eq_ignore_ascii_case("production"));
        reader.value(
            &["LOG_FORMAT"],
            if production { Self::Json } else { Self::Text },
            "json or text",
            |raw| match raw.to_ascii_lowercase().as_str() {
                "json" => Some(Self::Json),
                "text" | "pretty" => Some(Self::Text),
                _ => None,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(".", pairs.iter().copied())
    }

    #[test]
    fn first_set_name_wins_and_defaults_apply() {
        let env = env(&[("B", "7"), ("C", "9")]);
        let mut reader = ConfigReader::new(&env);
        assert_eq!(reader.number(&["A", "B", "C"], 1u16, 1..=100), 7);
        assert_eq!(reader.number(&["Z"], 5u16, 1..=100), 5);
        assert!(reader.finish(()).is_ok());
    }

    #[test]
    fn every_bad_value_is_reported_with_its_name() {
        let env = env(&[
            ("PORT", "eighty"),
            ("MAX", "0"),
            ("FLAG", "maybe"),
            ("API_TOKEN", "x"),
        ]);
        let mut reader = ConfigReader::new(&env);
        reader.number(&["PORT"], 1u16, 1..=65535);
        reader.number(&["MAX"], 1u32, 1..=10);
        reader.boolean(&["FLAG"], true);
        reader.value(&["API_TOKEN"], 0, "a number", |_| None::<i32>);
        reader.required("NEEDED", "a URL", |v| Some(v.to_string()));
        let ConfigError(lines) = reader.finish(()).expect_err("must fail");
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert!(lines[0].starts_with("PORT: invalid value \"eighty\""));
        assert!(lines[1].contains("from 1 to 10"));
        assert!(lines[2].starts_with("FLAG:"));
        assert!(
            lines[3].contains("<redacted>") && !lines[3].contains("\"x\""),
            "{}",
            lines[3]
        );
        assert_eq!(lines[4], "NEEDED: missing (expected a URL)");
    }

    #[test]
    fn booleans_accept_common_spellings() {
        for (raw, want) in [("TRUE", true), ("on", true), ("0", false), ("No", false)] {
            assert_eq!(parse_bool(raw), Some(want), "{raw}");
        }
        assert_eq!(parse_bool("2"), None);
    }
}

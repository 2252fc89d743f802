//! Reading a query string's parameters into typed values while collecting every problem,
//! as [`crate::validate::Fields`] does for bodies: one 400 names every bad parameter.
//! Unknown keys are ignored (the fleet's rule outside `GET /api/items`); a key the route
//! reads may appear once.

use std::ops::RangeInclusive;

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{ApiError, FieldError};
use crate::extract::QueryPairs;

pub struct QueryFields<'a> {
    query: &'a QueryPairs,
    errors: Vec<FieldError>,
}

impl<'a> QueryFields<'a> {
    /// A reader of the parameters `known`, each of which may appear at most once.
    pub fn new(query: &'a QueryPairs, known: &[&str]) -> Self {
        Self {
            query,
            errors: query.repeated(known),
        }
    }

    pub fn error(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// The trimmed value, absent when missing or blank.
    pub fn text(&mut self, key: &str, max_chars: usize) -> Option<String> {
        let value = self.query.get(key)?.trim();
        if value.is_empty() {
            return None;
        }
        if value.chars().count() > max_chars {
            self.error(
                key,
                "too_big",
                format!("{key} must be at most {max_chars} characters"),
            );
            return None;
        }
        Some(value.to_string())
    }

    /// One of `allowed`, exactly as written.
    pub fn one_of(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let value = self.query.get(key)?.trim();
        if value.is_empty() {
            return None;
        }
        if allowed.contains(&value) {
            return Some(value.to_string());
        }
        self.error(
            key,
            "invalid_value",
            format!("{key} must be one of: {}", allowed.join(", ")),
        );
        None
    }

    /// An integer within `range`.
    pub fn integer(&mut self, key: &str, range: RangeInclusive<i64>) -> Option<i64> {
        let raw = self.query.get(key)?.trim();
        match raw.parse::<i64>() {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                let (lo, hi) = (range.start(), range.end());
                let expected = if *hi == i64::MAX {
                    format!("{key} must be an integer of at least {lo}")
                } else {
                    format!("{key} must be an integer from {lo} to {hi}")
                };
                self.error(key, "invalid_number", expected);
                None
            }
        }
    }

    /// A finite decimal number within `range`.
    pub fn decimal(&mut self, key: &str, range: RangeInclusive<f64>) -> Option<f64> {
        let raw = self.query.get(key)?.trim();
        match raw.parse::<f64>() {
            Ok(n) if n.is_finite() && range.contains(&n) => Some(n),
            _ => {
                let (lo, hi) = (range.start(), range.end());
                self.error(
                    key,
                    "invalid_number",
                    format!("{key} must be a number from {lo} to {hi}"),
                );
                None
            }
        }
    }

    /// `true`/`false` (also `1`/`0`), any case.
    pub fn boolean(&mut self, key: &str) -> Option<bool> {
        let raw = self.query.get(key)?.trim();
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => {
                self.error(
                    key,
                    "invalid_boolean",
                    format!("{key} must be true or false"),
                );
                None
            }
        }
    }

    /// An RFC 3339 time, or a date (its midnight, UTC).
    pub fn time(&mut self, key: &str) -> Option<DateTime<Utc>> {
        let raw = self.query.get(key)?.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
            return Some(at.with_timezone(&Utc));
        }
        if let Some(midnight) = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
        {
            return Some(midnight.and_utc());
        }
        self.error(
            key,
            "invalid_date",
            format!("{key} must be an ISO 8601 date or date-time"),
        );
        None
    }

    /// Every problem found, as one 400.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(raw: &str) -> QueryPairs {
        QueryPairs::parse(Some(raw)).expect("query")
    }

    #[test]
    fn reads_typed_values_and_ignores_unknown_keys() {
        let q = query("limit=5&status=online&from=2026-01-02&ok=TRUE&unknown=x&search=%20ab%20");
        let mut f = QueryFields::new(&q, &["limit", "status", "from", "ok", "search"]);
        assert_eq!(f.integer("limit", 1..=100), Some(5));
        assert_eq!(
            f.one_of("status", &["online", "offline"]).as_deref(),
            Some("online")
        );
        assert_eq!(
            f.time("from").map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-01-02T00:00:00+00:00")
        );
        assert_eq!(f.boolean("ok"), Some(true));
        assert_eq!(f.text("search", 10).as_deref(), Some("ab"));
        assert_eq!(f.integer("absent", 1..=2), None);
        assert!(f.finish().is_ok());
        let q = query("alpha=0.25&beta=NaN&gamma=2");
        let mut f = QueryFields::new(&q, &["alpha", "beta", "gamma"]);
        assert_eq!(f.decimal("alpha", 0.0..=1.0), Some(0.25));
        assert_eq!(f.decimal("beta", 0.0..=1.0), None);
        assert_eq!(f.decimal("gamma", 0.0..=1.0), None);
        assert_eq!(f.finish().expect_err("invalid").field_errors().len(), 2);
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let q = query("limit=0&status=up&from=yesterday&ok=maybe&status=down");
        let mut f = QueryFields::new(&q, &["limit", "status", "from", "ok"]);
        f.integer("limit", 1..=100);
        f.one_of("status", &["online"]);
        f.time("from");
        f.boolean("ok");
        let error = f.finish().expect_err("invalid");
        let fields: Vec<&str> = error
            .field_errors()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(fields, ["status", "limit", "status", "from", "ok"]);
    }
}

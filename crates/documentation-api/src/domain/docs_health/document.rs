//! Reading an audit document the way the original's audit script wrote it: a figure is
//! the first of its accepted keys present (dotted keys reach into nested objects), a list
//! counting its length; a record's age is a day count or a review date.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use shared::FieldError;

use super::audit::parse_review_date;
use super::posted::MAX_AGE_DAYS;

pub(super) const AGE_KEYS: &[&str] = &[
    "days_old",
    "lastReviewedDays",
    "last_reviewed_days",
    "daysSinceLastReview",
    "days_since_last_review",
    "age",
    "freshness.days",
    "freshness",
];
pub(super) const DATE_KEYS: &[&str] = &[
    "last_review",
    "lastReviewed",
    "last_reviewed",
    "lastReview",
    "reviewedAt",
    "reviewed_at",
];

pub(super) struct Reader<'a> {
    pub(super) errors: Vec<FieldError>,
    section: &'a str,
    object: &'a Map<String, Value>,
}

/// `a.b` inside `object`.
pub(super) fn lookup<'v>(object: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let mut parts = path.split('.');
    let mut value = object.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

impl<'a> Reader<'a> {
    pub(super) fn new(section: &'a str, object: &'a Map<String, Value>) -> Self {
        Self {
            errors: Vec::new(),
            section,
            object,
        }
    }

    /// The first positive count among `keys` (a number, or a list's length); 0 when the
    /// keys present are all zero; `None` when none is present. Other types are errors.
    pub(super) fn count(&mut self, keys: &[&str]) -> Option<i64> {
        let mut seen = None;
        for key in keys {
            let n = match lookup(self.object, key) {
                None | Some(Value::Null) => continue,
                Some(Value::Array(items)) => items.len() as i64,
                Some(Value::Number(n)) => match n.as_f64() {
                    Some(x) if x >= 0.0 && x.fract() == 0.0 && x < 1e15 => x as i64,
                    _ => {
                        self.error(key, "must be a non-negative integer");
                        continue;
                    }
                },
                Some(_) if key.contains('.') => continue,
                Some(_) => {
                    self.error(key, "must be a non-negative integer or a list");
                    continue;
                }
            };
            if n > 0 {
                return Some(n);
            }
            seen = Some(0);
        }
        seen
    }

    pub(super) fn list(&self, keys: &[&str]) -> &'a [Value] {
        keys.iter()
            .find_map(|k| lookup(self.object, k).and_then(Value::as_array))
            .map_or(&[], Vec::as_slice)
    }

    pub(super) fn error(&mut self, key: &str, message: &str) {
        let field = format!("{}.{key}", self.section);
        self.errors.push(FieldError::new(
            field.clone(),
            "invalid_value",
            format!("{field} {message}"),
        ));
    }
}

pub(super) fn text_of<'v>(value: &'v Value, keys: &[&str]) -> Option<&'v str> {
    match value {
        Value::String(s) => Some(s.as_str()),
        Value::Object(o) => text_in(o, keys),
        _ => None,
    }
}

pub(super) fn text_in<'v>(object: &'v Map<String, Value>, keys: &[&str]) -> Option<&'v str> {
    keys.iter()
        .find_map(|k| lookup(object, k).and_then(Value::as_str))
}

/// A record's age in days: a day count, else a review date (future dates count 0).
pub(super) fn age_of(record: &Map<String, Value>, now: DateTime<Utc>) -> Option<i64> {
    for key in AGE_KEYS {
        if let Some(x) = lookup(record, key).and_then(Value::as_f64)
            && x.is_finite()
        {
            return Some(x.clamp(0.0, 1e9) as i64);
        }
    }
    let scopes = [
        Some(record),
        lookup(record, "metadata").and_then(Value::as_object),
        lookup(record, "frontmatter").and_then(Value::as_object),
    ];
    scopes.into_iter().flatten().find_map(|scope| {
        DATE_KEYS.iter().find_map(|k| {
            let date = parse_review_date(lookup(scope, k)?.as_str()?)?;
            Some((now.date_naive() - date).num_days().max(0))
        })
    })
}

/// When the audit says it ran: `timestamp`, `generated_at`, `generatedAt` or
/// `audit_date`, not in the future and within the history's retention.
pub(super) fn posted_at(
    body: &Map<String, Value>,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> DateTime<Utc> {
    let Some((key, value)) = ["timestamp", "generated_at", "generatedAt", "audit_date"]
        .iter()
        .find_map(|k| body.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
    else {
        return now;
    };
    let at = value.as_str().and_then(|raw| {
        DateTime::parse_from_rfc3339(raw.trim())
            .map(|d| d.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                parse_review_date(raw)?
                    .and_hms_opt(12, 0, 0)
                    .map(|d| d.and_utc())
            })
    });
    match at {
        Some(at)
            if at <= now + Duration::minutes(5) && at >= now - Duration::days(MAX_AGE_DAYS) =>
        {
            at.min(now)
        }
        _ => {
            errors.push(FieldError::new(
                key,
                "invalid_date",
                format!("{key} must be an ISO 8601 date-time within the last {MAX_AGE_DAYS} days"),
            ));
            now
        }
    }
}

//! `GET /api/items` query parameters: strict, as the original's schema was, with real
//! pagination and sorting.

use std::collections::BTreeMap;

use serde::Serialize;
use shared::ApiError;
use shared::extract::QueryPairs;
use shared::validate::is_slug;

use super::item::{Priority, Status};

/// Without `limit` the list returns every match up to this cap (`total` tells the truth).
pub const UNPAGED_CAP: i64 = 10_000;
pub const LIMIT_MAX: i64 = 1000;
pub const SEARCH_MAX: usize = 200;

const KEYS: [&str; 8] = [
    "category", "status", "priority", "search", "limit", "offset", "sort", "order",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SortKey {
    #[serde(rename = "createdAt")]
    CreatedAt,
    #[serde(rename = "updatedAt")]
    UpdatedAt,
    #[serde(rename = "priority")]
    Priority,
    #[serde(rename = "title")]
    Title,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    Desc,
}

/// Counts by category, status and priority.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemStats {
    pub total: i64,
    pub by_category: BTreeMap<String, i64>,
    pub by_status: BTreeMap<String, i64>,
    pub by_priority: BTreeMap<String, i64>,
}

impl ItemStats {
    pub fn add(&mut self, category: String, status: String, priority: String, n: i64) {
        self.total += n;
        *self.by_category.entry(category).or_default() += n;
        *self.by_status.entry(status).or_default() += n;
        *self.by_priority.entry(priority).or_default() += n;
    }
}

/// The effective list query, echoed back as `filters`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    pub offset: i64,
    pub sort: SortKey,
    pub order: SortOrder,
}

impl ItemQuery {
    /// The number of rows to fetch: the given limit, or the unpaged cap.
    pub fn effective_limit(&self) -> i64 {
        self.limit.unwrap_or(UNPAGED_CAP)
    }

    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let mut errors: Vec<shared::FieldError> = query
            .keys()
            .filter(|key| !KEYS.contains(key))
            .map(|key| {
                shared::FieldError::new(
                    key,
                    "unrecognized_keys",
                    format!("Unrecognized key: \"{key}\""),
                )
            })
            .collect();
        errors.extend(query.repeated(&KEYS));
        let mut error = |field: &str, code: &str, message: String| {
            errors.push(shared::FieldError::new(field, code, message));
        };
        let category = query.get("category").map(str::trim).and_then(|c| {
            if c.is_empty() || c.len() > 100 || !is_slug(c) {
                error(
                    "category",
                    "invalid_format",
                    "Category must be lowercase letters, numbers, and hyphens only".into(),
                );
                None
            } else {
                Some(c.to_string())
            }
        });
        let status = query.get("status").and_then(|s| {
            Status::parse(s).or_else(|| {
                error("status", "invalid_value", Status::invalid_message());
                None
            })
        });
        let priority = query.get("priority").and_then(|p| {
            Priority::parse(p).or_else(|| {
                error("priority", "invalid_value", Priority::invalid_message());
                None
            })
        });
        let search = query
            .get("search")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| {
                if s.chars().count() > SEARCH_MAX {
                    error(
                        "search",
                        "too_big",
                        format!("Too big: expected string to have <={SEARCH_MAX} characters"),
                    );
                    None
                } else {
                    Some(s.to_string())
                }
            });
        let limit = query.get("limit").and_then(|raw| match integer(raw) {
            Err(message) => {
                error("limit", "invalid_type", message);
                None
            }
            Ok(v) if v < 1 => {
                error(
                    "limit",
                    "too_small",
                    "Too small: expected number to be >0".into(),
                );
                None
            }
            Ok(v) if v > LIMIT_MAX => {
                error(
                    "limit",
                    "too_big",
                    format!("Too big: expected number to be <={LIMIT_MAX}"),
                );
                None
            }
            Ok(v) => Some(v),
        });
        let offset = query.get("offset").map_or(0, |raw| match integer(raw) {
            Err(message) => {
                error("offset", "invalid_type", message);
                0
            }
            Ok(v) if v < 0 => {
                error(
                    "offset",
                    "too_small",
                    "Too small: expected number to be >=0".into(),
                );
                0
            }
            Ok(v) => v,
        });
        let sort = match query.get("sort") {
            None => SortKey::CreatedAt,
            Some("createdAt") => SortKey::CreatedAt,
            Some("updatedAt") => SortKey::UpdatedAt,
            Some("priority") => SortKey::Priority,
            Some("title") => SortKey::Title,
            Some(_) => {
                error(
                    "sort",
                    "invalid_value",
                    "Invalid option: expected one of \"createdAt\"|\"updatedAt\"|\"priority\"|\"title\"".into(),
                );
                SortKey::CreatedAt
            }
        };
        let order = match query.get("order").map(str::to_ascii_lowercase).as_deref() {
            None | Some("desc") => SortOrder::Desc,
            Some("asc") => SortOrder::Asc,
            Some(_) => {
                error(
                    "order",
                    "invalid_value",
                    "Invalid option: expected one of \"asc\"|\"desc\"".into(),
                );
                SortOrder::Desc
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(Self {
            category,
            status,
            priority,
            search,
            limit,
            offset,
            sort,
            order,
        })
    }
}

/// Zod's coercion wording: `abc` is NaN, `1.5` is not an int, blank is 0.
fn integer(raw: &str) -> Result<i64, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(0);
    }
    match trimmed.parse::<f64>() {
        Err(_) => Err("Invalid input: expected number, received NaN".into()),
        Ok(v) if !v.is_finite() => Err("Invalid input: expected number, received NaN".into()),
        Ok(v) if v.fract() != 0.0 => Err("Invalid input: expected int, received number".into()),
        Ok(v) => Ok(v.clamp(i64::MIN as f64, i64::MAX as f64) as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<ItemQuery, ApiError> {
        ItemQuery::parse(&QueryPairs::parse(Some(q)).expect("query"))
    }

    fn first_error(q: &str) -> (String, String) {
        let e = parse(q).expect_err("invalid");
        let f = &e.field_errors()[0];
        (f.field.clone(), f.message.clone())
    }

    #[test]
    fn defaults() {
        let q = parse("").expect("valid");
        assert_eq!(
            serde_json::to_value(&q).expect("json"),
            serde_json::json!({"offset": 0, "sort": "createdAt", "order": "desc"})
        );
        assert_eq!(q.effective_limit(), UNPAGED_CAP);
    }

    #[test]
    fn original_rejections() {
        assert_eq!(
            first_error("foo=bar"),
            ("foo".into(), "Unrecognized key: \"foo\"".into())
        );
        assert_eq!(
            first_error("limit=0").1,
            "Too small: expected number to be >0"
        );
        assert_eq!(
            first_error("limit=").1,
            "Too small: expected number to be >0"
        );
        assert_eq!(
            first_error("limit=1001").1,
            "Too big: expected number to be <=1000"
        );
        assert_eq!(
            first_error("limit=abc").1,
            "Invalid input: expected number, received NaN"
        );
        assert_eq!(
            first_error("limit=1.5").1,
            "Invalid input: expected int, received number"
        );
        assert_eq!(
            first_error("offset=-1").1,
            "Too small: expected number to be >=0"
        );
        assert_eq!(first_error("category=Bad").0, "category");
        assert_eq!(first_error("status=a&status=b").0, "status");
    }

    #[test]
    fn cache_buster_and_empty_search_are_ignored() {
        let q = parse("_t=123&search=%20%20&limit=5&sort=priority&order=ASC").expect("valid");
        assert_eq!(q.search, None);
        assert_eq!(q.limit, Some(5));
        assert_eq!((q.sort, q.order), (SortKey::Priority, SortOrder::Asc));
    }
}

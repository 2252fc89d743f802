//! The docs-search endpoints' query parameters, parsed and validated: one 400 names every
//! bad parameter.

use serde::Serialize;
use shared::ApiError;
use shared::extract::QueryPairs;
use shared::query::QueryFields;

use super::index::Entry;

/// Only the first ten tags of a `tags=a,b,…` list count, as they did in the original.
const MAX_TAGS: usize = 10;
const QUERY_CHARS: std::ops::RangeInclusive<usize> = 2..=200;

/// The filters every search endpoint shares. A page must match each one given; of tags,
/// it must carry all.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Filters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub doc_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Filters {
    const KEYS: [&str; 4] = ["domain", "type", "status", "tags"];

    fn read(q: &mut QueryFields<'_>) -> Self {
        let tags = q
            .text("tags", 2000)
            .map(|csv| {
                let mut tags: Vec<String> = Vec::new();
                for tag in csv.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    if !tags.iter().any(|seen| seen == tag) {
                        tags.push(tag.to_string());
                    }
                }
                tags.truncate(MAX_TAGS);
                tags
            })
            .unwrap_or_default();
        Self {
            domain: q.text("domain", 100),
            doc_type: q.text("type", 100),
            status: q.text("status", 50),
            tags,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.domain.is_none()
            && self.doc_type.is_none()
            && self.status.is_none()
            && self.tags.is_empty()
    }

    /// `(index field, value)` of each filter.
    pub fn terms(&self) -> Vec<(&'static str, &str)> {
        let mut terms = Vec::new();
        terms.extend(self.domain.as_deref().map(|v| ("domain", v)));
        terms.extend(self.doc_type.as_deref().map(|v| ("type", v)));
        terms.extend(self.status.as_deref().map(|v| ("status", v)));
        terms.extend(self.tags.iter().map(|t| ("tag", t.as_str())));
        terms
    }

    pub fn admits(&self, entry: &Entry) -> bool {
        self.domain.as_ref().is_none_or(|d| *d == entry.domain)
            && self.doc_type.as_ref().is_none_or(|t| *t == entry.doc_type)
            && self.status.as_ref().is_none_or(|s| *s == entry.status)
            && self.tags.iter().all(|t| entry.tags.contains(t))
    }
}

/// `q`, which when present must be 2–200 characters (an explicit empty `q=` too).
fn read_q(query: &QueryPairs, q: &mut QueryFields<'_>, required: bool) -> Option<String> {
    let Some(raw) = query.get("q") else {
        if required {
            q.error("q", "required", "q is required");
        }
        return None;
    };
    let text = raw.trim();
    if !QUERY_CHARS.contains(&text.chars().count()) {
        q.error(
            "q",
            "invalid_length",
            "q must be between 2 and 200 characters",
        );
        return None;
    }
    Some(text.to_string())
}

/// `GET /api/v1/docs/search`: an optional query, filters and a page size.
#[derive(Debug)]
pub struct SearchParams {
    pub q: Option<String>,
    pub filters: Filters,
    pub limit: usize,
}

impl SearchParams {
    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let mut q = QueryFields::new(query, &[&["q", "limit"][..], &Filters::KEYS].concat());
        let parsed = Self {
            q: read_q(query, &mut q, false),
            filters: Filters::read(&mut q),
            limit: q.integer("limit", 1..=100).unwrap_or(20) as usize,
        };
        q.finish()?;
        Ok(parsed)
    }
}

/// `GET /api/v1/docs/facets`: counts over what a query and the filters match.
#[derive(Debug)]
pub struct FacetParams {
    pub q: Option<String>,
    pub filters: Filters,
}

impl FacetParams {
    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let mut q = QueryFields::new(query, &[&["q"][..], &Filters::KEYS].concat());
        let parsed = Self {
            q: q.text("q", 200),
            filters: Filters::read(&mut q),
        };
        q.finish()?;
        Ok(parsed)
    }
}

/// `GET /api/v1/docs/suggest`.
#[derive(Debug)]
pub struct SuggestParams {
    pub q: String,
    pub limit: usize,
}

impl SuggestParams {
    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let mut q = QueryFields::new(query, &["q", "limit"]);
        let text = read_q(query, &mut q, true);
        let limit = q.integer("limit", 1..=10).unwrap_or(5) as usize;
        q.finish()?;
        Ok(Self {
            q: text.unwrap_or_default(),
            limit,
        })
    }
}

/// `GET /api/v1/docs/search-hybrid`: the dashboard's search, answered lexically.
#[derive(Debug)]
pub struct HybridParams {
    pub q: String,
    pub filters: Filters,
    pub limit: usize,
    pub alpha: f64,
    pub collection: String,
}

impl HybridParams {
    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let keys = [&["q", "limit", "alpha", "collection"][..], &Filters::KEYS].concat();
        let mut q = QueryFields::new(query, &keys);
        let parsed = Self {
            q: read_q(query, &mut q, true).unwrap_or_default(),
            filters: Filters::read(&mut q),
            limit: q.integer("limit", 1..=50).unwrap_or(10) as usize,
            alpha: q.decimal("alpha", 0.0..=1.0).unwrap_or(0.65),
            collection: q
                .text("collection", 128)
                .unwrap_or_else(|| "documentation".into()),
        };
        q.finish()?;
        Ok(parsed)
    }
}

/// `GET /api/v1/docs/content?path=`.
pub fn content_path(query: &QueryPairs) -> Result<String, ApiError> {
    let mut q = QueryFields::new(query, &["path"]);
    let path = q.text("path", 500);
    // A repeated `path` is already an error of its own.
    if path.is_none() && query.count("path") <= 1 {
        q.error("path", "required", "path is required");
    }
    q.finish()?;
    Ok(path.unwrap_or_default())
}

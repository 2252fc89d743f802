//! Spec search and suggest parameters: every problem is one 400 with `errors`.

use shared::extract::QueryPairs;
use shared::query::QueryFields;

use super::search::{SearchQuery, VersionFilter};
use crate::error::Result;

pub const TYPES: [&str; 4] = ["endpoint", "schema", "channel", "message"];
pub const SOURCES: [&str; 3] = ["openapi", "asyncapi", "schema"];

/// The version selector as given (`latest` by default) and the filter it means.
fn version(fields: &mut QueryFields<'_>, raw: Option<String>) -> (String, VersionFilter) {
    let text = raw.unwrap_or_else(|| "latest".to_string());
    let filter = match text.as_str() {
        "latest" => VersionFilter::Label("latest"),
        "stable" => VersionFilter::Label("stable"),
        "current" | "base" => VersionFilter::Label("current"),
        "all" => VersionFilter::All,
        other => match semver::Version::parse(other.strip_prefix('v').unwrap_or(other)) {
            Ok(v) => VersionFilter::Exact(v.to_string()),
            Err(_) => {
                fields.error(
                    "version",
                    "invalid_value",
                    "version must be latest, stable, current, base, all or a semantic version",
                );
                VersionFilter::All
            }
        },
    };
    (text, filter)
}

/// `q` required; `type`, `source`, `document`, `version` filters; `limit` within
/// `1..=max_limit`, `default_limit` when absent. Answers the query and the version text.
pub fn parse(
    query: &QueryPairs,
    default_limit: i64,
    max_limit: i64,
) -> Result<(SearchQuery, String)> {
    let mut fields = QueryFields::new(
        query,
        &["q", "type", "source", "document", "version", "limit"],
    );
    let q = fields.text("q", 200);
    if q.is_none() {
        fields.error("q", "invalid_type", "Search query (q) is required");
    }
    let kind = fields.one_of("type", &TYPES);
    let source = fields.one_of("source", &SOURCES);
    // A document by stem, as results name it; its file name works too.
    let document = fields.text("document", 200).map(|d| {
        [".yaml", ".yml", ".json"]
            .iter()
            .find_map(|ext| d.strip_suffix(ext))
            .map_or(d.clone(), str::to_string)
    });
    let raw_version = fields.text("version", 100);
    let (version_text, version) = version(&mut fields, raw_version);
    let limit = fields
        .integer("limit", 1..=max_limit)
        .unwrap_or(default_limit);
    fields.finish()?;
    let search = SearchQuery {
        q: q.unwrap_or_default(),
        kind,
        source,
        document,
        version,
        limit: usize::try_from(limit).unwrap_or(1),
    };
    Ok((search, version_text))
}

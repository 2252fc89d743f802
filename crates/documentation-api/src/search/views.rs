//! The docs-search answers, in the keys the dashboard reads.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::index::{Entry, Hit, Hits, Snapshot};
use super::query::{FacetParams, HybridParams, SearchParams, SuggestParams};

const TOP_TAGS: usize = 50;

/// Scores as JSON numbers: finite, four decimals.
fn score(score: f32) -> f64 {
    let score = f64::from(score);
    if score.is_finite() {
        (score * 10_000.0).round() / 10_000.0
    } else {
        0.0
    }
}

fn result(entry: &Entry, score_value: f64, snippet: &str) -> Value {
    json!({
        "id": entry.id,
        "title": entry.title,
        "domain": entry.domain,
        "type": entry.doc_type,
        "tags": entry.tags,
        "status": entry.status,
        "path": entry.path,
        "url": entry.url,
        "summary": entry.summary,
        "snippet": snippet,
        "score": score_value,
    })
}

/// `GET /api/v1/docs/search`: ranked hits for a query, or every page (in path order)
/// that the filters admit when there is none. `total` counts every match.
pub fn search(snapshot: &Snapshot, params: &SearchParams) -> tantivy::Result<Value> {
    let (results, total): (Vec<Value>, usize) = match &params.q {
        Some(q) => {
            let hits = snapshot.search(q, &params.filters, params.limit)?;
            let results = hits
                .top
                .iter()
                .map(
                    |Hit {
                         entry,
                         score: s,
                         snippet,
                     }| result(entry, score(*s), snippet),
                )
                .collect();
            (results, hits.total)
        }
        None => {
            let admitted: Vec<&Entry> = snapshot
                .entries
                .iter()
                .filter(|e| params.filters.admits(e))
                .collect();
            let results = admitted
                .iter()
                .take(params.limit)
                .map(|e| result(e, 0.0, &e.summary))
                .collect();
            (results, admitted.len())
        }
    };
    Ok(json!({
        "success": true,
        "total": total,
        "results": results,
        "query": {"q": params.q, "filters": params.filters},
    }))
}

/// `GET /api/v1/docs/search-hybrid`, answered by the lexical index alone. A search that
/// fails answers with no results: the dashboard offers no fallback for a 500.
pub fn hybrid(snapshot: &Snapshot, params: &HybridParams, indexing: bool) -> Value {
    let hits = snapshot
        .search(&params.q, &params.filters, params.limit)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "hybrid docs search failed");
            Hits::default()
        });
    let results: Vec<Value> = hits
        .top
        .iter()
        .map(
            |Hit {
                 entry,
                 score: s,
                 snippet,
             }| {
                json!({
                    "title": entry.title,
                    "url": entry.url,
                    "path": entry.path,
                    "snippet": snippet,
                    "score": score(*s),
                    "source": "lexical",
                    "components": {"semantic": false, "lexical": true},
                    "tags": entry.tags,
                    "domain": entry.domain,
                    "type": entry.doc_type,
                    "status": entry.status,
                })
            },
        )
        .collect();
    json!({
        "success": true,
        "total": hits.total,
        "results": results,
        "query": params.q,
        "alpha": params.alpha,
        "collection": params.collection,
        "indexing": indexing,
    })
}

/// `GET /api/v1/docs/facets`: counts over what the query and filters match.
pub fn facets(snapshot: &Snapshot, params: &FacetParams) -> tantivy::Result<Value> {
    if params.q.is_none() && params.filters.is_empty() {
        let counted =
            snapshot.all_facets(|entries| facet_counts(&entries.iter().collect::<Vec<_>>()));
        let mut body = counted.clone();
        body["query"] = json!({"q": null, "filters": {}});
        return Ok(body);
    }
    let entries: Vec<&Entry> = match &params.q {
        Some(q) => snapshot.matching(q, &params.filters)?,
        None => snapshot
            .entries
            .iter()
            .filter(|e| params.filters.admits(e))
            .collect(),
    };
    let mut body = facet_counts(&entries);
    body["query"] = json!({"q": params.q, "filters": params.filters});
    Ok(body)
}

fn facet_counts(entries: &[&Entry]) -> Value {
    json!({
        "success": true,
        "total": entries.len(),
        "facets": {
            "domains": counts(entries.iter().map(|e| e.domain.as_str()), usize::MAX),
            "types": counts(entries.iter().map(|e| e.doc_type.as_str()), usize::MAX),
            "tags": counts(entries.iter().flat_map(|e| e.tags.iter().map(String::as_str)), TOP_TAGS),
            "statuses": counts(entries.iter().map(|e| e.status.as_str()), usize::MAX),
        },
    })
}

/// `[{value, count}]`, most frequent first, then by value.
fn counts<'a>(values: impl Iterator<Item = &'a str>, keep: usize) -> Value {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for value in values {
        *counts.entry(value).or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts.truncate(keep);
    counts
        .into_iter()
        .map(|(value, count)| json!({"value": value, "count": count}))
        .collect()
}

/// `GET /api/v1/docs/suggest`: titles that start like the query.
pub fn suggest(snapshot: &Snapshot, params: &SuggestParams) -> tantivy::Result<Value> {
    let suggestions: Vec<Value> = snapshot
        .suggest(&params.q, params.limit)?
        .into_iter()
        .map(|e| {
            json!({
                "text": e.title,
                "domain": e.domain,
                "type": e.doc_type,
                "path": e.path,
                "url": e.url,
            })
        })
        .collect();
    Ok(json!({"success": true, "suggestions": suggestions}))
}

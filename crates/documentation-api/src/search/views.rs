//! The docs-search answers, in the keys the dashboard reads.

use serde::Serialize;
use serde_json::{Value, json};

use super::index::{Entry, Hit, Hits, Snapshot};
use super::query::{FacetParams, Filters, HybridParams, SearchParams, SuggestParams};

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

/// One page of `/search`'s results, borrowed from the index: the answer is written
/// straight from it, with no JSON tree built and copied on the way.
#[derive(Serialize)]
struct SearchResult<'a> {
    id: &'a str,
    title: &'a str,
    domain: &'a str,
    #[serde(rename = "type")]
    doc_type: &'a str,
    tags: &'a [String],
    status: &'a str,
    path: &'a str,
    url: &'a str,
    summary: &'a str,
    snippet: &'a str,
    score: f64,
}

impl<'a> SearchResult<'a> {
    fn of(entry: &'a Entry, score: f64, snippet: &'a str) -> Self {
        Self {
            id: &entry.id,
            title: &entry.title,
            domain: &entry.domain,
            doc_type: &entry.doc_type,
            tags: &entry.tags,
            status: &entry.status,
            path: &entry.path,
            url: &entry.url,
            summary: &entry.summary,
            snippet,
            score,
        }
    }
}

#[derive(Serialize)]
pub struct SearchAnswer<'a> {
    success: bool,
    total: usize,
    results: Vec<SearchResult<'a>>,
    query: SearchEcho<'a>,
}

#[derive(Serialize)]
struct SearchEcho<'a> {
    q: Option<&'a str>,
    filters: &'a Filters,
}

/// `GET /api/v1/docs/search`: ranked hits for a query, or every page (in path order)
/// that the filters admit when there is none. `total` counts every match.
pub fn search<'a>(
    hits: &'a Hits<'a>,
    snapshot: &'a Snapshot,
    params: &'a SearchParams,
) -> SearchAnswer<'a> {
    let (results, total) = match &params.q {
        Some(_) => {
            let results = hits
                .top
                .iter()
                .map(|hit| SearchResult::of(hit.entry, score(hit.score), &hit.snippet))
                .collect();
            (results, hits.total)
        }
        None => {
            let mut admitted = snapshot.entries.iter().filter(|e| params.filters.admits(e));
            let results = admitted
                .by_ref()
                .take(params.limit)
                .map(|e| SearchResult::of(e, 0.0, &e.summary))
                .collect::<Vec<_>>();
            let total = results.len() + admitted.count();
            (results, total)
        }
    };
    SearchAnswer {
        success: true,
        total,
        results,
        query: SearchEcho {
            q: params.q.as_deref(),
            filters: &params.filters,
        },
    }
}

/// The hits of `/search`'s query; none without one.
pub fn search_hits<'a>(snapshot: &'a Snapshot, params: &SearchParams) -> tantivy::Result<Hits<'a>> {
    match &params.q {
        Some(q) => snapshot.search(q, &params.filters, params.limit),
        None => Ok(Hits::default()),
    }
}

#[derive(Serialize)]
struct HybridResult<'a> {
    title: &'a str,
    url: &'a str,
    path: &'a str,
    snippet: &'a str,
    score: f64,
    source: &'static str,
    components: Components,
    tags: &'a [String],
    domain: &'a str,
    #[serde(rename = "type")]
    doc_type: &'a str,
    status: &'a str,
}

#[derive(Serialize)]
struct Components {
    semantic: bool,
    lexical: bool,
}

#[derive(Serialize)]
pub struct HybridAnswer<'a> {
    success: bool,
    total: usize,
    results: Vec<HybridResult<'a>>,
    query: &'a str,
    alpha: f64,
    collection: &'a str,
    indexing: bool,
}

/// The hits of `/search-hybrid`. A search that fails answers with no results: the
/// dashboard offers no fallback for a 500.
pub fn hybrid_hits<'a>(snapshot: &'a Snapshot, params: &HybridParams) -> Hits<'a> {
    snapshot
        .search(&params.q, &params.filters, params.limit)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "hybrid docs search failed");
            Hits::default()
        })
}

/// `GET /api/v1/docs/search-hybrid`, answered by the lexical index alone.
pub fn hybrid<'a>(
    hits: &'a Hits<'a>,
    params: &'a HybridParams,
    indexing: bool,
) -> HybridAnswer<'a> {
    let results = hits
        .top
        .iter()
        .map(
            |Hit {
                 entry,
                 score: s,
                 snippet,
             }| HybridResult {
                title: &entry.title,
                url: &entry.url,
                path: &entry.path,
                snippet,
                score: score(*s),
                source: "lexical",
                components: Components {
                    semantic: false,
                    lexical: true,
                },
                tags: &entry.tags,
                domain: &entry.domain,
                doc_type: &entry.doc_type,
                status: &entry.status,
            },
        )
        .collect();
    HybridAnswer {
        success: true,
        total: hits.total,
        results,
        query: &params.q,
        alpha: params.alpha,
        collection: &params.collection,
        indexing,
    }
}

/// `GET /api/v1/docs/facets`: counts over what the query and filters match.
pub fn facets(snapshot: &Snapshot, params: &FacetParams) -> tantivy::Result<Value> {
    if params.q.is_none() && params.filters.is_empty() {
        let counted = snapshot.all_facets(|entries| facet_counts(snapshot, entries.iter()));
        let mut body = counted.clone();
        body["query"] = json!({"q": null, "filters": {}});
        return Ok(body);
    }
    let mut body = match &params.q {
        Some(q) => facet_counts(snapshot, snapshot.matching(q, &params.filters)?.into_iter()),
        None => facet_counts(
            snapshot,
            snapshot.entries.iter().filter(|e| params.filters.admits(e)),
        ),
    };
    body["query"] = json!({"q": params.q, "filters": params.filters});
    Ok(body)
}

fn facet_counts<'e>(snapshot: &Snapshot, entries: impl Iterator<Item = &'e Entry>) -> Value {
    let counts = snapshot.facets.count(entries.map(|e| &e.facets), TOP_TAGS);
    let listed = |values: Vec<(&str, usize)>| -> Value {
        values
            .into_iter()
            .map(|(value, count)| json!({"value": value, "count": count}))
            .collect()
    };
    json!({
        "success": true,
        "total": counts.total,
        "facets": {
            "domains": listed(counts.domains),
            "types": listed(counts.types),
            "tags": listed(counts.tags),
            "statuses": listed(counts.statuses),
        },
    })
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

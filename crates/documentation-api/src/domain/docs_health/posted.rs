//! An audit document posted to `update-metrics` (what the original's audit script
//! wrote), read into the same [`AuditReport`] as the built-in audit. The script's key
//! spellings are accepted: for each figure the first key present is read, a list counting
//! its length; file records come from `files`, `results` or `records`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use shared::{ApiError, FieldError};

use super::document::{DATE_KEYS, Reader, age_of, lookup, posted_at, text_in, text_of};
use super::{
    AGE_BUCKETS_DAYS, AuditReport, Count, DuplicateGroup, Freshness, FrontMatterIssue, Histogram,
    LinkIssue, MAX_FINDINGS, OUTDATED_DAYS, OutdatedDoc, Totals, counted, sort_counts, views,
};

pub const INVALID_AUDIT: &str =
    "Invalid audit data. Must include frontmatter, links, and duplicates";
/// How far back a posted audit's own date may lie: the history's retention.
pub const MAX_AGE_DAYS: i64 = 365;

/// A posted audit: what it found, and when (its own date, else now).
#[derive(Debug)]
pub struct Posted {
    pub report: AuditReport,
    pub at: DateTime<Utc>,
}

pub fn parse(body: &Map<String, Value>, now: DateTime<Utc>) -> Result<Posted, ApiError> {
    let section = |key: &str| body.get(key).and_then(Value::as_object);
    let (Some(fm), Some(links), Some(dups)) = (
        section("frontmatter"),
        section("links"),
        section("duplicates"),
    ) else {
        let errors = ["frontmatter", "links", "duplicates"]
            .into_iter()
            .filter(|k| section(k).is_none())
            .map(|k| FieldError::new(k, "required", format!("{k} must be an object")))
            .collect();
        return Err(ApiError::bad_request("INVALID_AUDIT_DATA", INVALID_AUDIT).with_errors(errors));
    };
    let mut errors = Vec::new();
    let at = posted_at(body, now, &mut errors);
    let mut f = Reader::new("frontmatter", fm);
    let records: Vec<&Map<String, Value>> = f
        .list(&["files", "results", "records"])
        .iter()
        .filter_map(Value::as_object)
        .collect();
    let total_files = f
        .count(&["total_files", "total", "summary.total_files"])
        .unwrap_or(records.len() as i64);
    let missing = f
        .count(&[
            "missing",
            "missing_count",
            "missing_frontmatter",
            "missing_files",
            "summary.missing",
        ])
        .unwrap_or(0);
    let incomplete = f
        .count(&[
            "incomplete",
            "incomplete_count",
            "incomplete_frontmatter",
            "incomplete_files",
            "summary.incomplete",
        ])
        .unwrap_or(0);
    let invalid = f
        .count(&[
            "invalid",
            "invalid_count",
            "invalid_values",
            "summary.issue_counts.invalid_value",
        ])
        .unwrap_or(0)
        + f.count(&["summary.issue_counts.invalid_date"]).unwrap_or(0);
    let complete = f
        .count(&[
            "complete",
            "complete_count",
            "frontmatter_complete",
            "summary.complete",
        ])
        .unwrap_or((total_files - missing - incomplete - invalid).max(0));
    if f.errors.is_empty() && complete > total_files {
        f.error("complete", "must not exceed total_files");
    }
    let ages: Vec<i64> = records.iter().filter_map(|r| age_of(r, now)).collect();
    let freshness = Freshness::of(&ages);
    let outdated = f
        .count(&[
            "outdated_count",
            "stale_count",
            "freshness_analysis.outdated_count",
            "freshness_analysis.stale_count",
            "outdated_files",
            "freshness_analysis.outdated_documents",
        ])
        .unwrap_or(freshness.buckets[3]);
    let short = f
        .count(&["short_files", "short_count", "short_files_list"])
        .unwrap_or(0);
    let owners = match lookup(fm, "owner_distribution").and_then(Value::as_object) {
        Some(dist) => sort_counts(
            dist.iter()
                .map(|(name, n)| Count {
                    name: name.clone(),
                    count: n
                        .as_f64()
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .unwrap_or(0.0) as i64,
                })
                .collect(),
        ),
        None => counted(records.iter().map(|r| {
            text_in(r, &["owner", "frontmatter.owner", "metadata.owner"]).unwrap_or("unassigned")
        })),
    };
    let paths: Vec<String> = records
        .iter()
        .filter_map(|r| {
            text_in(r, &["path", "file", "filePath", "relative_path"]).map(str::to_string)
        })
        .collect();
    let categories = counted(
        paths
            .iter()
            .map(|p| views::category_of(p.strip_prefix("docs/").unwrap_or(p))),
    );

    let mut l = Reader::new("links", links);
    let broken = l
        .count(&[
            "broken_links",
            "total_broken",
            "broken_links_list",
            "broken",
        ])
        .unwrap_or(0);
    let total_links = l
        .count(&["total_links", "total", "summary.total_links"])
        .unwrap_or(broken);
    if broken > total_links {
        l.error("broken_links", "must not exceed total_links");
    }

    let mut d = Reader::new("duplicates", dups);
    let groups = d
        .count(&[
            "exact_duplicates",
            "exact_duplicate_groups",
            "duplicate_groups",
            "groups",
            "exact",
        ])
        .unwrap_or(0);

    let findings = super::Findings {
        frontmatter: frontmatter_findings(&f),
        links: link_findings(&l),
        duplicates: duplicate_findings(&d),
        outdated: outdated_findings(&records, now),
    };
    errors.extend(f.errors);
    errors.extend(l.errors);
    errors.extend(d.errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let totals = Totals {
        total_files,
        frontmatter_complete: complete,
        frontmatter_missing: missing,
        frontmatter_incomplete: incomplete,
        frontmatter_invalid: invalid,
        links_checked: total_links,
        links_internal: total_links,
        links_broken: broken,
        // A posted audit does not say why a link is broken: all count as missing files.
        broken_files: broken,
        duplicate_groups: groups,
        duplicate_files: groups,
        outdated,
        short_files: short,
        ..Totals::default()
    };
    let report = AuditReport {
        totals,
        freshness,
        owners,
        categories,
        domains: Vec::new(),
        findings,
        age_days: Histogram::of(ages.iter().map(|&d| d as f64), &AGE_BUCKETS_DAYS),
        size_lines: Histogram::default(),
    };
    Ok(Posted { report, at })
}

/// Broken links a posted audit lists as objects.
fn link_findings(l: &Reader) -> Vec<LinkIssue> {
    l.list(&["broken_links", "broken_links_list"])
        .iter()
        .filter_map(|v| {
            let o = v.as_object()?;
            let get = |keys: &[&str]| text_of(v, keys).unwrap_or_default().to_string();
            Some(LinkIssue {
                file: get(&["file", "path", "source"]),
                line: o.get("line").and_then(Value::as_i64).unwrap_or(0),
                link_text: get(&["link_text", "text"]),
                url: get(&["url", "link", "target"]),
                error: get(&["error", "reason"]),
                priority: text_of(v, &["priority"]).unwrap_or("high").to_string(),
            })
        })
        .take(MAX_FINDINGS)
        .collect()
}

/// Duplicate groups a posted audit lists with their files.
fn duplicate_findings(d: &Reader) -> Vec<DuplicateGroup> {
    d.list(&["exact_duplicates", "exact_duplicate_groups", "groups"])
        .iter()
        .filter_map(|g| {
            let files: Vec<String> = g
                .get("files")?
                .as_array()?
                .iter()
                .filter_map(|f| text_of(f, &["file", "path"]).map(str::to_string))
                .collect();
            Some(DuplicateGroup {
                count: files.len() as i64,
                hash: text_of(g, &["hash"]).unwrap_or_default().to_string(),
                files,
                category: "exact_duplicate".into(),
            })
        })
        .take(MAX_FINDINGS)
        .collect()
}

/// Pages a posted audit lists without, or with incomplete, front matter.
fn frontmatter_findings(f: &Reader) -> Vec<FrontMatterIssue> {
    [
        (
            f.list(&["missing_frontmatter", "missing_files", "missing"]),
            "Missing frontmatter",
            "critical",
        ),
        (
            f.list(&["incomplete_frontmatter", "incomplete_files", "incomplete"]),
            "Incomplete frontmatter",
            "high",
        ),
    ]
    .into_iter()
    .flat_map(|(items, issue, severity)| {
        items.iter().filter_map(move |v| {
            Some(FrontMatterIssue {
                file: text_of(v, &["file", "path"])?.to_string(),
                issue: issue.into(),
                severity: severity.into(),
                details: text_of(v, &["details", "missing"])
                    .unwrap_or_default()
                    .to_string(),
            })
        })
    })
    .take(MAX_FINDINGS)
    .collect()
}

/// Records older than the outdated threshold.
fn outdated_findings(records: &[&Map<String, Value>], now: DateTime<Utc>) -> Vec<OutdatedDoc> {
    records
        .iter()
        .filter_map(|r| {
            let days = age_of(r, now)?;
            let get = |keys: &[&str]| text_in(r, keys).unwrap_or_default().to_string();
            (days > OUTDATED_DAYS).then(|| OutdatedDoc {
                file: get(&["path", "file"]),
                last_review: get(DATE_KEYS),
                days_old: days,
                domain: get(&["domain", "frontmatter.domain"]),
                doc_type: get(&["type", "frontmatter.type"]),
            })
        })
        .take(MAX_FINDINGS)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().expect("object").clone()
    }

    #[test]
    fn the_contract_example() {
        let now = Utc::now();
        let posted = parse(
            &body(json!({
                "frontmatter": {"total_files": 10, "complete": 8, "missing": 1, "outdated_count": 2,
                    "owner_distribution": {"A": 6, "B": 4},
                    "files": [{"path": "docs/tools/x.md", "days_old": 10}, {"path": "docs/api/y.md", "days_old": 100}]},
                "links": {"total_links": 10, "broken_links": 1},
                "duplicates": {"exact_duplicates": 1},
            })),
            now,
        )
        .expect("valid");
        let r = posted.report;
        assert_eq!(r.score().health_score, 88.4);
        assert_eq!(r.totals.outdated, 2);
        assert_eq!(r.freshness.buckets, [1, 0, 0, 1]);
        assert_eq!(
            r.owners[0],
            Count {
                name: "A".into(),
                count: 6
            }
        );
        let cats: Vec<&str> = r.categories.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cats, ["API", "Tools"]);
        assert_eq!(posted.at, now);
    }

    #[test]
    fn refusals() {
        let now = Utc::now();
        let err = parse(&body(json!({"frontmatter": {}})), now).expect_err("incomplete");
        assert_eq!(err.message(), INVALID_AUDIT);
        assert_eq!(err.field_errors().len(), 2);
        let err = parse(
            &body(json!({"frontmatter": {"total_files": -1}, "links": {"total_links": 1, "broken_links": 2}, "duplicates": {}, "timestamp": "soon"})),
            now,
        )
        .expect_err("bad values");
        let fields: Vec<&str> = err
            .field_errors()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(
            fields,
            ["timestamp", "frontmatter.total_files", "links.broken_links"]
        );
    }
}

//! What the endpoints answer, built from stored runs: the summary, the flat metrics, the
//! dashboard's metrics (its keys exactly as the dashboard reads them), trends and the
//! latest report. Every number is finite; percentages are whole numbers.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::score::{self, Grade, Status, Trend};
use super::{AuditReport, Count, FRESHNESS_LABELS, IssueType, Trigger};

/// What the dashboard shows when no audit was stored yet (or reading it failed).
pub const NO_DATA_MESSAGE: &str = "No audit data available. Run POST /api/v1/docs/health/audit (or a reindex) to populate dashboard metrics.";

/// One stored run.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub trigger: Trigger,
    pub report: AuditReport,
}

/// The last run of one UTC day, as the history keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct DayPoint {
    pub date: NaiveDate,
    pub health_score: f64,
    pub broken_links: i64,
    pub outdated: i64,
    pub issue_count: i64,
}

/// Counters kept across runs: runs ever stored, fixes recorded per kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    pub audit_runs: i64,
    pub fixed: Vec<(IssueType, i64)>,
}

impl Counters {
    pub fn fixed_total(&self) -> i64 {
        self.fixed.iter().map(|(_, n)| n).sum()
    }
}

/// The category of a page by its path below the corpus root: the first of `api`, `apps`,
/// `frontend`, `tools`, `reference`, `governance` among its directories, else its first
/// directory, else `Other`.
pub fn category_of(rel_path: &str) -> &str {
    const RULES: [(&str, &str); 6] = [
        ("/api/", "API"),
        ("/apps/", "Apps"),
        ("/frontend/", "Frontend"),
        ("/tools/", "Tools"),
        ("/reference/", "Reference"),
        ("/governance/", "Governance"),
    ];
    let slashed = format!("/{rel_path}");
    if let Some((_, category)) = RULES.iter().find(|(segment, _)| slashed.contains(segment)) {
        return category;
    }
    match rel_path.split_once('/') {
        Some((first, _)) if !first.is_empty() => first,
        _ => "Other",
    }
}

fn percentage(count: i64, whole: i64) -> i64 {
    score::percent(count, whole, 0.0).round() as i64
}

fn time(at: DateTime<Utc>) -> String {
    shared::time::rfc3339_millis(at)
}

/// The issue counts the dashboard groups.
struct Issues {
    missing: i64,
    incomplete: i64,
    invalid: i64,
    broken: i64,
    stale: i64,
    short: i64,
}

impl Issues {
    fn of(r: &AuditReport) -> Self {
        let t = &r.totals;
        Self {
            missing: t.frontmatter_missing,
            incomplete: t.frontmatter_incomplete,
            invalid: t.frontmatter_invalid,
            broken: t.links_broken,
            stale: t.outdated,
            short: t.short_files,
        }
    }

    fn frontmatter(&self) -> i64 {
        self.missing + self.incomplete + self.invalid
    }

    fn json(&self) -> Value {
        let breakdown = json!({
            "frontmatter": self.frontmatter(),
            "links": self.broken,
            "content": self.stale + self.short,
        });
        json!({
            "breakdown": breakdown,
            "bySeverity": {
                "critical": self.missing + self.broken,
                "high": self.invalid + self.incomplete,
                "medium": self.stale,
                "low": self.short,
            },
            "total": self.frontmatter() + self.broken + self.stale + self.short,
        })
    }
}

/// What a stored run comes to: `GET …/summary`'s data, and what storing a run answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditSummary {
    pub id: Uuid,
    pub health_score: f64,
    pub grade: Grade,
    pub status: Status,
    pub last_audit_date: String,
    pub trigger: Trigger,
    pub total_files: i64,
    pub issues_summary: IssuesSummary,
    pub has_data: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct IssuesSummary {
    pub frontmatter: i64,
    pub links: i64,
    pub duplicates: i64,
    pub outdated: i64,
}

impl AuditSummary {
    pub fn of(run: &Run) -> Self {
        let s = run.report.score();
        let t = &run.report.totals;
        Self {
            id: run.id,
            health_score: s.health_score,
            grade: s.grade,
            status: s.status,
            last_audit_date: time(run.at),
            trigger: run.trigger,
            total_files: t.total_files,
            issues_summary: IssuesSummary {
                frontmatter: Issues::of(&run.report).frontmatter(),
                links: t.links_broken,
                duplicates: t.duplicate_groups,
                outdated: t.outdated,
            },
            has_data: true,
        }
    }
}

/// `GET …/summary`.
pub fn summary(latest: Option<&Run>) -> Value {
    match latest {
        Some(run) => serde_json::to_value(AuditSummary::of(run)).unwrap_or_default(),
        None => json!({
            "healthScore": 0, "grade": "N/A", "status": Status::NoData.as_str(),
            "lastAuditDate": null, "totalFiles": 0,
            "issuesSummary": {"frontmatter": 0, "links": 0, "duplicates": 0, "outdated": 0},
            "hasData": false, "message": NO_DATA_MESSAGE,
        }),
    }
}

/// `GET …/metrics`: the figures the gauges show.
pub fn metrics(latest: Option<&Run>, counters: &Counters) -> Value {
    let (t, s) = match latest {
        Some(run) => (run.report.totals.clone(), Some(run.report.score())),
        None => Default::default(),
    };
    json!({
        "health_score": s.map_or(0.0, |s| s.health_score),
        "total_files": t.total_files,
        "frontmatter_complete": t.frontmatter_complete,
        "frontmatter_missing": t.frontmatter_missing,
        "frontmatter_incomplete": t.frontmatter_incomplete,
        "links_total": t.links_checked + t.links_external,
        "links_broken": t.links_broken,
        "links_success_rate": s.map_or(0.0, |s| s.links_success_rate),
        "outdated_count": t.outdated,
        "duplicate_groups": t.duplicate_groups,
        "audit_runs_total": counters.audit_runs,
        "issues_fixed_total": counters.fixed_total(),
        "grade": s.map_or("N/A", |s| s.grade.as_str()),
        "status": s.map_or(Status::NoData, |s| s.status),
        "has_data": s.is_some(),
    })
}

fn counts(list: &[Count], key: &str, whole: i64) -> Vec<Value> {
    list.iter()
        .map(|c| json!({key: c.name, "count": c.count, "percentage": percentage(c.count, whole)}))
        .collect()
}

fn historical(history: &[DayPoint]) -> Vec<Value> {
    history
        .iter()
        .map(|p| {
            json!({
                "date": p.date.format("%Y-%m-%d").to_string(),
                "healthScore": p.health_score,
                "issueCount": p.issue_count,
            })
        })
        .collect()
}

/// `GET …/dashboard-metrics`: `history` oldest first; without a run, the zero-filled
/// payload with `hasData: false` and `message` (also what a failure answers).
pub fn dashboard(latest: Option<&Run>, history: &[DayPoint], now: DateTime<Utc>) -> Value {
    let metadata =
        json!({"generatedAt": time(now), "version": "1.0.0", "source": "documentation-api"});
    let Some(run) = latest else {
        return json!({
            "metadata": metadata,
            "healthScore": {"current": 0, "grade": Grade::F, "status": Status::NoData, "trend": Trend::Stable},
            "freshness": {
                "distribution": FRESHNESS_LABELS.map(|l| json!({"label": l, "count": 0, "percentage": 0})),
                "outdatedCount": 0, "averageAge": 0,
            },
            "issues": {
                "breakdown": {"frontmatter": 0, "links": 0, "content": 0},
                "bySeverity": {"critical": 0, "high": 0, "medium": 0, "low": 0},
                "total": 0,
            },
            "coverage": {"byOwner": [], "byCategory": [], "totalFiles": 0},
            "historical": historical(history),
            "hasData": false,
            "message": NO_DATA_MESSAGE,
        });
    };
    let r = &run.report;
    let s = r.score();
    let scores: Vec<f64> = history.iter().map(|p| p.health_score).collect();
    let f = &r.freshness;
    let distribution: Vec<Value> = FRESHNESS_LABELS
        .iter()
        .zip(f.buckets)
        .map(|(label, count)| json!({"label": label, "count": count, "percentage": percentage(count, f.aged)}))
        .collect();
    let total = r.totals.total_files;
    json!({
        "metadata": metadata,
        "healthScore": {"current": s.health_score, "grade": s.grade, "status": s.status, "trend": score::trend(&scores)},
        "freshness": {
            "distribution": distribution,
            "outdatedCount": r.totals.outdated,
            "averageAge": score::round1(f.average_age_days).round() as i64,
        },
        "issues": Issues::of(r).json(),
        "coverage": {
            "byOwner": counts(&r.owners, "owner", total),
            "byCategory": counts(&r.categories, "category", total),
            "totalFiles": total,
        },
        "historical": historical(history),
        "lastAuditDate": time(run.at),
        "hasData": true,
    })
}

/// `GET …/trends`: one point per day with a run, oldest first.
pub fn trends(days: i64, history: &[DayPoint]) -> Value {
    let series = |value: fn(&DayPoint) -> Value| -> Vec<Value> {
        history
            .iter()
            .map(|p| json!({"timestamp": p.date.format("%Y-%m-%d").to_string(), "value": value(p)}))
            .collect()
    };
    json!({
        "days": days,
        "health_score": series(|p| json!(p.health_score)),
        "broken_links": series(|p| json!(p.broken_links)),
        "outdated_docs": series(|p| json!(p.outdated)),
        "has_data": !history.is_empty(),
    })
}

/// `GET …/latest-report`: the latest run, with a markdown rendering of it.
pub fn latest_report(run: &Run) -> Value {
    let r = &run.report;
    let s = r.score();
    let t = &r.totals;
    let date = run.at.format("%Y-%m-%d").to_string();
    let issues = Issues::of(r);
    let issue_count = issues.frontmatter() + t.links_broken + t.duplicate_groups + t.outdated;
    let content = format!(
        "# Documentation audit {date}\n\n\
         - Health score: {} (grade {}, {})\n- Pages: {}\n\
         - Front matter: {} complete, {} missing, {} incomplete, {} invalid\n\
         - Links: {} checked, {} broken, {} external (not fetched)\n\
         - Exact duplicates: {} groups\n- Outdated (> 90 days since review): {}\n",
        s.health_score,
        s.grade.as_str(),
        s.status.as_str(),
        t.total_files,
        t.frontmatter_complete,
        t.frontmatter_missing,
        t.frontmatter_incomplete,
        t.frontmatter_invalid,
        t.links_checked,
        t.links_broken,
        t.links_external,
        t.duplicate_groups,
        t.outdated,
    );
    json!({
        "id": run.id,
        "reportDate": time(run.at),
        "reportFile": format!("{date}-documentation-audit.md"),
        "trigger": run.trigger,
        "healthScore": s.health_score,
        "grade": s.grade,
        "status": s.status,
        "issueCount": issue_count,
        "totals": t,
        "content": content,
    })
}

/// `GET …/issues?type=`: the first `limit` findings of one kind and how many there are.
pub fn issues(kind: IssueType, limit: usize, latest: Option<&Run>) -> Value {
    let Some(run) = latest else {
        return json!({
            "type": kind, "total": 0, "showing": 0, "issues": [],
            "hasData": false, "message": NO_DATA_MESSAGE,
        });
    };
    let (r, t) = (&run.report, &run.report.totals);
    fn first<T: Serialize>(list: &[T], limit: usize) -> Vec<Value> {
        list.iter()
            .take(limit)
            .map(|i| serde_json::to_value(i).unwrap_or_default())
            .collect()
    }
    let (total, items) = match kind {
        IssueType::Frontmatter => (
            t.frontmatter_missing + t.frontmatter_incomplete + t.frontmatter_invalid,
            first(&r.findings.frontmatter, limit),
        ),
        IssueType::Links => (t.links_broken, first(&r.findings.links, limit)),
        IssueType::Duplicates => (t.duplicate_groups, first(&r.findings.duplicates, limit)),
        IssueType::Outdated => (t.outdated, first(&r.findings.outdated, limit)),
    };
    json!({"type": kind, "total": total, "showing": items.len(), "issues": items, "hasData": true})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_the_path_rules() {
        assert_eq!(category_of("apps/workspace/api/x.md"), "API");
        assert_eq!(category_of("api/x.md"), "API");
        assert_eq!(category_of("tools/docker.md"), "Tools");
        assert_eq!(category_of("operations/run.md"), "operations");
        assert_eq!(category_of("intro.md"), "Other");
    }
}

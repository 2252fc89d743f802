//! Documentation health: what an audit of the docs corpus finds, how it is scored, and
//! the views the dashboard reads. Everything here is a pure function over values (the
//! corpus, a posted audit document, stored runs); the service stores and serves it.
//!
//! An [`AuditReport`] is what one run found: exact totals, and the findings themselves
//! (each list capped at [`MAX_FINDINGS`] so that a huge corpus cannot make a stored run
//! huge; totals always count everything).

pub mod audit;
pub mod document;
pub mod links;
pub mod posted;
pub mod score;
pub mod views;

use serde::{Deserialize, Serialize};

pub use score::{Grade, Score, Status, Trend};

/// Pages whose `last_review` is older than this many days are outdated.
pub const OUTDATED_DAYS: i64 = 90;
/// At most this many findings of each kind are kept with a run.
pub const MAX_FINDINGS: usize = 1000;
/// The freshness buckets' labels, youngest first (the dashboard shows them as written).
pub const FRESHNESS_LABELS: [&str; 4] = ["<30 days", "30-60 days", "60-90 days", ">90 days"];
/// Upper bounds (days) of the file-age histogram's buckets.
pub const AGE_BUCKETS_DAYS: [f64; 7] = [0.0, 7.0, 30.0, 60.0, 90.0, 180.0, 365.0];
/// Upper bounds (lines) of the file-size histogram's buckets.
pub const SIZE_BUCKETS_LINES: [f64; 7] = [0.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0];

string_enum!(
    /// What started a run.
    Trigger {
        Manual = "manual",
        Reindex = "reindex",
        Posted = "posted",
    }
);

string_enum!(
    /// The kinds of findings, as `issues?type=` and `record-fix` name them.
    IssueType {
        Frontmatter = "frontmatter",
        Links = "links",
        Duplicates = "duplicates",
        Outdated = "outdated",
    }
);

/// Exact counts of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Totals {
    pub total_files: i64,
    /// Pages with front matter holding every required key, each valid.
    pub frontmatter_complete: i64,
    pub frontmatter_missing: i64,
    pub frontmatter_incomplete: i64,
    pub frontmatter_invalid: i64,
    /// Links checked: relative links (files and their anchors) and same-page anchors.
    pub links_checked: i64,
    pub links_internal: i64,
    pub links_anchor: i64,
    /// Counted, never fetched.
    pub links_external: i64,
    pub links_broken: i64,
    /// Of the broken links, those whose file is missing (priority `high`) and those whose
    /// anchor is (`medium`); the rest are empty targets (`low`).
    pub broken_files: i64,
    pub broken_anchors: i64,
    pub duplicate_groups: i64,
    /// Pages in a duplicate group beyond its first.
    pub duplicate_files: i64,
    pub outdated: i64,
    pub short_files: i64,
    /// Files the scan could not read (they are not pages).
    pub unreadable_files: i64,
}

/// A front-matter problem of one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontMatterIssue {
    pub file: String,
    pub issue: String,
    pub severity: String,
    pub details: String,
}

/// A link whose target is missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkIssue {
    pub file: String,
    pub line: i64,
    pub link_text: String,
    pub url: String,
    pub error: String,
    pub priority: String,
}

/// Pages with exactly the same body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateGroup {
    pub files: Vec<String>,
    pub hash: String,
    pub count: i64,
    pub category: String,
}

/// A page not reviewed for over [`OUTDATED_DAYS`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutdatedDoc {
    pub file: String,
    pub last_review: String,
    pub days_old: i64,
    pub domain: String,
    #[serde(rename = "type")]
    pub doc_type: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Findings {
    pub frontmatter: Vec<FrontMatterIssue>,
    pub links: Vec<LinkIssue>,
    pub duplicates: Vec<DuplicateGroup>,
    pub outdated: Vec<OutdatedDoc>,
}

/// `name` counted `count` times (owners, categories, domains).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub name: String,
    pub count: i64,
}

/// Ages of the pages whose review date is known.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Freshness {
    /// Pages per [`FRESHNESS_LABELS`] bucket.
    pub buckets: [i64; 4],
    /// Pages with a known age.
    pub aged: i64,
    pub average_age_days: f64,
}

impl Freshness {
    pub fn of(ages_days: &[i64]) -> Self {
        let mut buckets = [0; 4];
        for &age in ages_days {
            buckets[freshness_bucket(age)] += 1;
        }
        let aged = ages_days.len() as i64;
        let sum: i64 = ages_days.iter().sum();
        Self {
            buckets,
            aged,
            average_age_days: if aged == 0 {
                0.0
            } else {
                sum as f64 / aged as f64
            },
        }
    }
}

/// `<30`, `30-60` (30..59), `60-90` (60..90), `>90` (over [`OUTDATED_DAYS`], as outdated).
pub fn freshness_bucket(age_days: i64) -> usize {
    match age_days {
        ..30 => 0,
        30..60 => 1,
        60..=OUTDATED_DAYS => 2,
        _ => 3,
    }
}

/// A histogram of one run's values: per bucket bound, how many values were at most it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Histogram {
    pub cumulative: Vec<i64>,
    pub count: i64,
    pub sum: f64,
}

impl Histogram {
    pub fn of(values: impl IntoIterator<Item = f64>, bounds: &[f64]) -> Self {
        let mut h = Self {
            cumulative: vec![0; bounds.len()],
            ..Self::default()
        };
        for v in values {
            h.count += 1;
            h.sum += v;
            for (slot, bound) in h.cumulative.iter_mut().zip(bounds) {
                if v <= *bound {
                    *slot += 1;
                }
            }
        }
        h
    }
}

/// What one audit run found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditReport {
    pub totals: Totals,
    pub freshness: Freshness,
    /// Pages per owner (`unassigned` without one), most first.
    pub owners: Vec<Count>,
    /// Pages per category (see [`views::category_of`]), most first.
    pub categories: Vec<Count>,
    /// Pages per front-matter domain, most first.
    pub domains: Vec<Count>,
    pub findings: Findings,
    /// Days since review (`last_review`) of the pages that have a valid one.
    pub age_days: Histogram,
    pub size_lines: Histogram,
}

impl AuditReport {
    pub fn score(&self) -> Score {
        Score::of(&self.totals)
    }

    /// The issue count of the history's points: broken links, pages without front
    /// matter and outdated pages.
    pub fn history_issue_count(&self) -> i64 {
        let t = &self.totals;
        t.links_broken + t.frontmatter_missing + t.outdated
    }
}

/// Counts of names, most first, then by name.
pub fn counted<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Count> {
    let mut map = std::collections::BTreeMap::<&str, i64>::new();
    for name in names {
        *map.entry(name).or_default() += 1;
    }
    sort_counts(
        map.into_iter()
            .map(|(name, count)| Count {
                name: name.to_string(),
                count,
            })
            .collect(),
    )
}

pub fn sort_counts(mut counts: Vec<Count>) -> Vec<Count> {
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    counts
}

//! The built-in audit: front-matter completeness, broken links and anchors, exact
//! duplicates, outdated reviews, freshness and coverage, computed from the corpus.
//!
//! [`AuditInput`] is the part of a [`Corpus`] the audit reads (everything but the pages'
//! text), owned, so that the audit can run on a blocking thread while the caller keeps
//! its corpus.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::links::{self, Files, Kind, PageIndex, Resolution};
use super::{
    AGE_BUCKETS_DAYS, AuditReport, DuplicateGroup, Findings, Freshness, FrontMatterIssue,
    Histogram, LinkIssue, MAX_FINDINGS, OUTDATED_DAYS, OutdatedDoc, SIZE_BUCKETS_LINES, Totals,
    counted, views,
};
use crate::corpus::{Corpus, Link, REQUIRED_KEYS, front_matter};

/// Pages with fewer words than this are stubs (`short_files`, low severity).
pub const SHORT_PAGE_WORDS: usize = 30;

#[derive(Debug, Clone)]
pub struct AuditInput {
    pub pages: Vec<PageFacts>,
    /// Files the scan could not make a page of.
    pub unreadable: usize,
}

/// What the audit reads of one page.
#[derive(Debug, Clone)]
pub struct PageFacts {
    pub rel_path: String,
    pub domain: String,
    pub doc_type: String,
    pub owner: Option<String>,
    pub last_review: Option<String>,
    pub front_matter: FrontMatterState,
    pub anchors: Vec<String>,
    pub links: Vec<Link>,
    pub body_sha256: String,
    /// No text at all after the front matter (such pages are never duplicates).
    pub body_empty: bool,
    pub words: usize,
    pub lines: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrontMatterState {
    Missing,
    /// A block that is not valid YAML, with what is wrong.
    Broken(String),
    /// A valid block; the required keys it lacks.
    Present {
        missing_keys: Vec<&'static str>,
    },
}

impl AuditInput {
    pub fn of(corpus: &Corpus) -> Self {
        let pages: Vec<PageFacts> = corpus
            .pages
            .iter()
            .map(|p| {
                let state = match &p.front_matter {
                    Some(map) => FrontMatterState::Present {
                        missing_keys: REQUIRED_KEYS
                            .iter()
                            .copied()
                            .filter(|key| match *key {
                                "last_review" => p.last_review.is_none(),
                                key => front_matter::text(map, key).is_none(),
                            })
                            .collect(),
                    },
                    None => match corpus.errors.iter().find(|e| e.file == p.rel_path) {
                        Some(e) => FrontMatterState::Broken(e.error.clone()),
                        None => FrontMatterState::Missing,
                    },
                };
                PageFacts {
                    rel_path: p.rel_path.clone(),
                    domain: p.domain.clone(),
                    doc_type: p.doc_type.clone(),
                    owner: p.owner.clone(),
                    last_review: p.last_review.clone(),
                    front_matter: state,
                    anchors: p.headings.iter().map(|h| h.anchor.clone()).collect(),
                    links: p.links.clone(),
                    body_sha256: p.body_sha256.clone(),
                    body_empty: p.text.trim().is_empty(),
                    words: p.text.split_whitespace().count(),
                    lines: p.lines,
                }
            })
            .collect();
        let unreadable = corpus
            .errors
            .iter()
            .filter(|e| !pages.iter().any(|p| p.rel_path == e.file))
            .count();
        Self { pages, unreadable }
    }
}

/// A review date as written: `YYYY-MM-DD`, RFC 3339, or a date-time without zone (UTC).
pub fn parse_review_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(raw)
                .ok()
                .map(|d| d.date_naive())
        })
        .or_else(|| {
            NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S"))
                .ok()
                .map(|d| d.date())
        })
}

/// Audits `input` as of `now`; `files` answers for files that are not pages.
pub fn audit(input: &AuditInput, now: DateTime<Utc>, files: &dyn Files) -> AuditReport {
    let today = now.date_naive();
    let index = PageIndex::new(input.pages.iter().map(|p| {
        (
            p.rel_path.as_str(),
            p.anchors.iter().map(String::as_str).collect(),
        )
    }));
    let mut t = Totals {
        total_files: input.pages.len() as i64,
        unreadable_files: input.unreadable as i64,
        ..Totals::default()
    };
    let mut findings = Findings::default();
    let mut ages = Vec::new();
    for page in &input.pages {
        let age = front_matter_findings(page, today, &mut t, &mut findings);
        if let Some(days) = age {
            ages.push(days);
            if days > OUTDATED_DAYS {
                t.outdated += 1;
                push(
                    &mut findings.outdated,
                    OutdatedDoc {
                        file: page.rel_path.clone(),
                        last_review: page.last_review.clone().unwrap_or_default(),
                        days_old: days,
                        domain: page.domain.clone(),
                        doc_type: page.doc_type.clone(),
                    },
                );
            }
        }
        if page.words < SHORT_PAGE_WORDS {
            t.short_files += 1;
        }
        link_findings(&index, files, page, &mut t, &mut findings);
    }
    findings.duplicates = duplicates(input, &mut t);
    AuditReport {
        totals: t,
        freshness: Freshness::of(&ages),
        owners: counted(
            input
                .pages
                .iter()
                .map(|p| p.owner.as_deref().unwrap_or("unassigned")),
        ),
        categories: counted(input.pages.iter().map(|p| views::category_of(&p.rel_path))),
        domains: counted(input.pages.iter().map(|p| p.domain.as_str())),
        findings,
        age_days: Histogram::of(ages.iter().map(|&d| d as f64), &AGE_BUCKETS_DAYS),
        size_lines: Histogram::of(
            input.pages.iter().map(|p| p.lines as f64),
            &SIZE_BUCKETS_LINES,
        ),
    }
}

fn push<T>(list: &mut Vec<T>, item: T) {
    if list.len() < MAX_FINDINGS {
        list.push(item);
    }
}

/// Records the page's front-matter problems; answers its age in days when its review
/// date is valid.
fn front_matter_findings(
    page: &PageFacts,
    today: NaiveDate,
    t: &mut Totals,
    findings: &mut Findings,
) -> Option<i64> {
    let mut issue = |issue: &str, severity: &str, details: String| {
        push(
            &mut findings.frontmatter,
            FrontMatterIssue {
                file: page.rel_path.clone(),
                issue: issue.into(),
                severity: severity.into(),
                details,
            },
        );
    };
    let missing_keys = match &page.front_matter {
        FrontMatterState::Missing => {
            t.frontmatter_missing += 1;
            issue(
                "Missing frontmatter",
                "critical",
                format!("required keys: {}", REQUIRED_KEYS.join(", ")),
            );
            return None;
        }
        FrontMatterState::Broken(error) => {
            t.frontmatter_invalid += 1;
            issue("Invalid frontmatter", "high", error.clone());
            return None;
        }
        FrontMatterState::Present { missing_keys } => missing_keys,
    };
    if !missing_keys.is_empty() {
        t.frontmatter_incomplete += 1;
        issue(
            "Incomplete frontmatter",
            "high",
            format!("missing: {}", missing_keys.join(", ")),
        );
    }
    let mut age = None;
    let mut invalid = false;
    if let Some(raw) = &page.last_review {
        match parse_review_date(raw) {
            None => {
                invalid = true;
                issue(
                    "Invalid last_review",
                    "high",
                    format!("'{raw}' is not a date (YYYY-MM-DD)"),
                );
            }
            // A day of slack for time zones; later than that is a typo.
            Some(date) if (date - today).num_days() > 1 => {
                invalid = true;
                issue(
                    "Invalid last_review",
                    "high",
                    format!("'{raw}' is in the future"),
                );
            }
            Some(date) => age = Some((today - date).num_days().max(0)),
        }
    }
    if invalid {
        t.frontmatter_invalid += 1;
    }
    if missing_keys.is_empty() && !invalid {
        t.frontmatter_complete += 1;
    }
    age
}

fn link_findings(
    index: &PageIndex,
    files: &dyn Files,
    page: &PageFacts,
    t: &mut Totals,
    findings: &mut Findings,
) {
    for link in &page.links {
        let resolution = links::resolve(index, files, &page.rel_path, &link.target);
        if resolution == Resolution::External {
            t.links_external += 1;
            continue;
        }
        t.links_checked += 1;
        match links::kind(&link.target) {
            Kind::Anchor => t.links_anchor += 1,
            _ => t.links_internal += 1,
        }
        let (error, priority) = match resolution {
            Resolution::Ok | Resolution::External => continue,
            Resolution::Empty => ("Empty link target".to_string(), "low"),
            Resolution::MissingFile(path) => {
                t.broken_files += 1;
                (format!("File not found: {path}"), "high")
            }
            Resolution::MissingAnchor { page, anchor } => {
                t.broken_anchors += 1;
                (format!("Anchor not found: #{anchor} in {page}"), "medium")
            }
        };
        t.links_broken += 1;
        push(
            &mut findings.links,
            LinkIssue {
                file: page.rel_path.clone(),
                line: link.line as i64,
                link_text: link.text.clone(),
                url: link.target.clone(),
                error,
                priority: priority.into(),
            },
        );
    }
}

fn duplicates(input: &AuditInput, t: &mut Totals) -> Vec<DuplicateGroup> {
    let mut by_hash: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for page in input.pages.iter().filter(|p| !p.body_empty) {
        by_hash
            .entry(page.body_sha256.as_str())
            .or_default()
            .push(page.rel_path.as_str());
    }
    let mut groups: Vec<DuplicateGroup> = by_hash
        .into_iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(hash, files)| DuplicateGroup {
            count: files.len() as i64,
            files: files.into_iter().map(str::to_string).collect(),
            hash: hash.to_string(),
            category: "exact_duplicate".into(),
        })
        .collect();
    groups.sort_by(|a, b| a.files.cmp(&b.files));
    t.duplicate_groups = groups.len() as i64;
    t.duplicate_files = groups.iter().map(|g| g.count - 1).sum();
    groups.truncate(MAX_FINDINGS);
    groups
}

//! The statistics' figures and their queries. Every count and sum comes from SQL; the
//! derived numbers (rates, megabytes, health scores) are the service's, and every one of
//! them is a finite JSON number.

use std::collections::BTreeMap;

use serde::Serialize;
use shared::ApiError;
use shared::extract::QueryPairs;
use shared::query::QueryFields;

use super::idea::{IdeaCategory, IdeaPriority, IdeaStatus};
use super::system::SystemStats;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortRange {
    pub min: i64,
    pub max: i64,
}

/// The systems' figures: `/systems/statistics`' and what the dashboard's stats page reads.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemFigures {
    #[serde(flatten)]
    pub stats: SystemStats,
    pub online_count: i64,
    /// The lowest and highest registered port; `null` when no system has one.
    pub port_range: Option<PortRange>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RecentIdeas {
    pub created_last_7_days: i64,
    pub completed_last_7_days: i64,
}

/// The ideas' figures. The maps list every value of their vocabulary, zeros included.
#[derive(Debug, Clone, Serialize)]
pub struct IdeaFigures {
    pub total: i64,
    /// `done`.
    pub completed: i64,
    pub in_progress: i64,
    /// `backlog` and `todo`.
    pub pending: i64,
    pub review: i64,
    pub cancelled: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_category: BTreeMap<String, i64>,
    pub by_priority: BTreeMap<String, i64>,
    /// completed / total, a fraction from 0 to 1 (0 without ideas).
    pub completion_rate: f64,
    /// Mean days from creation to completion of the completed ideas, one decimal.
    pub average_completion_days: f64,
    pub recent_activity: RecentIdeas,
}

impl Default for IdeaFigures {
    fn default() -> Self {
        let zeros = |names: Vec<&str>| names.into_iter().map(|n| (n.to_string(), 0)).collect();
        Self {
            total: 0,
            completed: 0,
            in_progress: 0,
            pending: 0,
            review: 0,
            cancelled: 0,
            by_status: zeros(IdeaStatus::names()),
            by_category: zeros(IdeaCategory::names()),
            by_priority: zeros(IdeaPriority::names()),
            completion_rate: 0.0,
            average_completion_days: 0.0,
            recent_activity: RecentIdeas::default(),
        }
    }
}

impl IdeaFigures {
    /// Adds `n` ideas of one (status, category, priority) group.
    pub fn add(&mut self, status: &str, category: &str, priority: &str, n: i64) {
        self.total += n;
        *self.by_status.entry(status.to_string()).or_default() += n;
        *self.by_category.entry(category.to_string()).or_default() += n;
        *self.by_priority.entry(priority.to_string()).or_default() += n;
        let bucket = match IdeaStatus::parse(status) {
            Some(IdeaStatus::Done) => &mut self.completed,
            Some(IdeaStatus::InProgress) => &mut self.in_progress,
            Some(IdeaStatus::Backlog | IdeaStatus::Todo) => &mut self.pending,
            Some(IdeaStatus::Review) => &mut self.review,
            _ => &mut self.cancelled,
        };
        *bucket += n;
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CountSize {
    pub count: i64,
    pub size: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Visibility {
    pub public: CountSize,
    pub private: CountSize,
}

/// Files by size: small under 1 MiB, medium under 10 MiB, large under 100 MiB, xlarge
/// the rest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SizeDistribution {
    pub small: i64,
    pub medium: i64,
    pub large: i64,
    pub xlarge: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StorageEfficiency {
    pub small_files_percentage: i64,
    pub large_files_percentage: i64,
}

/// The files' figures (`total_size` and `total_size_bytes` are the same sum: the
/// dashboard reads one, the original's statistics the other).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileFigures {
    pub total: i64,
    pub total_size: i64,
    pub total_size_bytes: i64,
    pub total_size_mb: f64,
    pub total_downloads: i64,
    pub by_mime_type: BTreeMap<String, CountSize>,
    pub by_uploader: BTreeMap<String, i64>,
    /// Files per idea id, for files attached to an idea.
    pub by_idea: BTreeMap<String, i64>,
    pub by_visibility: Visibility,
    pub size_distribution: SizeDistribution,
    pub average_size_mb: f64,
    pub downloads_per_file: f64,
    pub storage_efficiency: StorageEfficiency,
}

/// One UTC day of `/stats/activity`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActivityDay {
    pub date: String,
    pub systems_created: i64,
    pub ideas_created: i64,
    pub ideas_completed: i64,
    pub files_uploaded: i64,
}

/// `timeframe=<N>d` (1 to 365 days), default `30d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeframe {
    pub text: String,
    pub days: i64,
}

impl Timeframe {
    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let mut q = QueryFields::new(query, &["timeframe"]);
        let raw = q.text("timeframe", 10);
        let parsed = match raw {
            None => Some(Self {
                text: "30d".to_string(),
                days: 30,
            }),
            Some(raw) => match raw.strip_suffix('d').and_then(|n| n.parse::<i64>().ok()) {
                Some(days) if (1..=365).contains(&days) => Some(Self { text: raw, days }),
                _ => {
                    q.error(
                        "timeframe",
                        "invalid_value",
                        "timeframe must be a number of days from 1d to 365d",
                    );
                    None
                }
            },
        };
        q.finish()?;
        Ok(parsed.unwrap_or(Self {
            text: "30d".to_string(),
            days: 30,
        }))
    }
}

/// `/stats/activity`'s `days` (1 to 365, default 30).
pub fn activity_days(query: &QueryPairs) -> Result<i64, ApiError> {
    let mut q = QueryFields::new(query, &["days"]);
    let days = q.integer("days", 1..=365).unwrap_or(30);
    q.finish()?;
    Ok(days)
}

/// `/stats/search`'s query: the text (at least 2 characters once trimmed), which kinds to
/// search (each on unless `false`) and how many of each.
#[derive(Debug, Clone, Serialize)]
pub struct StatsSearch {
    #[serde(skip)]
    pub query: String,
    pub systems: bool,
    pub ideas: bool,
    pub files: bool,
    pub limit: i64,
}

impl StatsSearch {
    pub const DEFAULT_LIMIT: i64 = 20;

    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let mut q = QueryFields::new(query, &["q", "systems", "ideas", "files", "limit"]);
        let text = q.text("q", 100);
        let parsed = Self {
            query: String::new(),
            systems: q.boolean("systems").unwrap_or(true),
            ideas: q.boolean("ideas").unwrap_or(true),
            files: q.boolean("files").unwrap_or(true),
            limit: q.integer("limit", 1..=100).unwrap_or(Self::DEFAULT_LIMIT),
        };
        q.finish()?;
        match text.filter(|t| t.chars().count() >= 2) {
            Some(query) => Ok(Self { query, ..parsed }),
            None => Err(ApiError::bad_request(
                "VALIDATION_ERROR",
                "Search query must be at least 2 characters long",
            )),
        }
    }
}

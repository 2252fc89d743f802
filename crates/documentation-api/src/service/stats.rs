//! Statistics: the repository's counts and sums, and the figures derived from them
//! (rates as 0..1 fractions, megabytes to 2 decimals, the zero-filled daily series, the
//! charts). Every derived number is finite: a rate over nothing is 0.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Utc};
use serde::Serialize;

use super::Documentation;
use crate::domain::file::Viewer;
use crate::domain::idea::{IdeaCategory, IdeaPriority, IdeaStatus, IdeaView};
use crate::domain::idea_query::IdeaQuery;
use crate::domain::now;
use crate::domain::stats::{
    ActivityDay, FileFigures, IdeaFigures, StatsSearch, StorageEfficiency, SystemFigures,
};
use crate::domain::system::{System, SystemQuery};
use crate::error::Result;

const MIB: f64 = 1024.0 * 1024.0;
/// The window of `recent_activity` in the ideas' figures.
const RECENT_DAYS: i64 = 7;

/// `x` rounded to `places` decimals; 0 for anything not finite.
pub(super) fn round(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    let rounded = (x * scale).round() / scale;
    if rounded.is_finite() { rounded } else { 0.0 }
}

/// `part / whole`, 0 when `whole` is 0.
fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// `/api/v1/stats`: the dashboard's aggregate.
#[derive(Debug, Serialize)]
pub struct Overview {
    pub systems: SystemFigures,
    pub ideas: IdeaFigures,
    pub files: FileFigures,
}

#[derive(Debug, Serialize)]
pub struct DashboardOverview {
    pub total_systems: i64,
    /// Systems whose last check found them online.
    pub active_systems: i64,
    pub total_ideas: i64,
    pub completed_ideas: i64,
    pub total_files: i64,
    pub total_storage_mb: f64,
}

/// What happened over the timeframe, summed from the daily series.
#[derive(Debug, Default, Serialize)]
pub struct ActivityTotals {
    pub period_days: i64,
    pub systems_created: i64,
    pub ideas_created: i64,
    pub ideas_completed: i64,
    pub files_uploaded: i64,
}

#[derive(Debug, Serialize)]
pub struct Dashboard {
    pub overview: DashboardOverview,
    pub systems: SystemFigures,
    pub ideas: IdeaFigures,
    pub files: FileFigures,
    pub recent_activity: ActivityTotals,
}

/// A chart's series: `labels[i]` has `values[i]`.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Chart {
    pub labels: Vec<String>,
    pub values: Vec<i64>,
}

impl Chart {
    fn of<'a>(pairs: impl IntoIterator<Item = (&'a str, i64)>) -> Self {
        let (labels, values) = pairs.into_iter().map(|(l, v)| (l.to_string(), v)).unzip();
        Self { labels, values }
    }

    fn of_map(map: &BTreeMap<String, i64>) -> Self {
        Self::of(map.iter().map(|(k, v)| (k.as_str(), *v)))
    }

    /// A zero-filled vocabulary map in the vocabulary's own order.
    fn in_order(map: &BTreeMap<String, i64>, names: Vec<&str>) -> Self {
        Self::of(
            names
                .into_iter()
                .map(|n| (n, map.get(n).copied().unwrap_or(0))),
        )
    }
}

#[derive(Debug, Serialize)]
pub struct Analytics {
    pub timeframe: String,
    pub charts: serde_json::Value,
}

#[derive(Debug, Serialize)]
pub struct SearchResults {
    pub systems: Vec<System>,
    pub ideas: Vec<IdeaView>,
    pub files: Vec<crate::domain::file::File>,
}

impl Documentation {
    pub async fn system_figures(&self) -> Result<SystemFigures> {
        let stats = self.store.system_stats().await?;
        Ok(SystemFigures {
            online_count: stats.active,
            port_range: self.store.port_range().await?,
            stats,
        })
    }

    pub async fn idea_figures(&self) -> Result<IdeaFigures> {
        let since = now() - Duration::days(RECENT_DAYS);
        let (mut figures, times) = self.store.idea_counts(since).await?;
        figures.completion_rate = round(ratio(figures.completed, figures.total), 4);
        figures.average_completion_days =
            round(times.completion_seconds.unwrap_or(0.0) / 86_400.0, 1);
        figures.recent_activity.created_last_7_days = times.created_recently;
        figures.recent_activity.completed_last_7_days = times.completed_recently;
        Ok(figures)
    }

    pub async fn file_figures(&self) -> Result<FileFigures> {
        let mut f = self.store.file_counts().await?;
        f.total_size_mb = round(f.total_size as f64 / MIB, 2);
        f.average_size_mb = round(ratio(f.total_size, f.total) / MIB, 2);
        f.downloads_per_file = round(ratio(f.total_downloads, f.total), 2);
        let large = f.size_distribution.large + f.size_distribution.xlarge;
        f.storage_efficiency = StorageEfficiency {
            small_files_percentage: round(ratio(f.size_distribution.small, f.total) * 100.0, 0)
                as i64,
            large_files_percentage: round(ratio(large, f.total) * 100.0, 0) as i64,
        };
        Ok(f)
    }

    pub async fn overview(&self) -> Result<Overview> {
        Ok(Overview {
            systems: self.system_figures().await?,
            ideas: self.idea_figures().await?,
            files: self.file_figures().await?,
        })
    }

    pub async fn dashboard(&self, days: i64) -> Result<Dashboard> {
        let Overview {
            systems,
            ideas,
            files,
        } = self.overview().await?;
        let mut recent = ActivityTotals {
            period_days: days,
            ..ActivityTotals::default()
        };
        for day in self.activity(days).await? {
            recent.systems_created += day.systems_created;
            recent.ideas_created += day.ideas_created;
            recent.ideas_completed += day.ideas_completed;
            recent.files_uploaded += day.files_uploaded;
        }
        Ok(Dashboard {
            overview: DashboardOverview {
                total_systems: systems.stats.total,
                active_systems: systems.online_count,
                total_ideas: ideas.total,
                completed_ideas: ideas.completed,
                total_files: files.total,
                total_storage_mb: files.total_size_mb,
            },
            systems,
            ideas,
            files,
            recent_activity: recent,
        })
    }

    /// One entry per UTC day of the last `days` (today included), oldest first, days
    /// without activity included with zeros.
    pub async fn activity(&self, days: i64) -> Result<Vec<ActivityDay>> {
        let today = Utc::now().date_naive();
        let first = today - Duration::days(days - 1);
        let from = first.and_time(chrono::NaiveTime::MIN).and_utc();
        let to = (today + Duration::days(1))
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        let mut series: Vec<ActivityDay> = (0..days)
            .map(|i| ActivityDay {
                date: (first + Duration::days(i)).format("%Y-%m-%d").to_string(),
                ..ActivityDay::default()
            })
            .collect();
        let first_number = epoch_day(first);
        for count in self.store.activity(from, to).await? {
            let Some(day) = usize::try_from(count.day - first_number)
                .ok()
                .and_then(|i| series.get_mut(i))
            else {
                continue;
            };
            let slot = match count.kind.as_str() {
                "systems_created" => &mut day.systems_created,
                "ideas_created" => &mut day.ideas_created,
                "ideas_completed" => &mut day.ideas_completed,
                _ => &mut day.files_uploaded,
            };
            *slot += count.n;
        }
        Ok(series)
    }

    pub async fn analytics(&self, timeframe: String) -> Result<Analytics> {
        let Overview {
            systems,
            ideas,
            files,
        } = self.overview().await?;
        // Files by the MIME type's subtype (`application/pdf` → `pdf`), summed.
        let mut by_subtype: BTreeMap<String, i64> = BTreeMap::new();
        for (mime, figures) in &files.by_mime_type {
            let subtype = mime.split_once('/').map_or(mime.as_str(), |(_, s)| s);
            *by_subtype.entry(subtype.to_string()).or_default() += figures.count;
        }
        let sizes = &files.size_distribution;
        let charts = serde_json::json!({
            "systems": {
                "by_type": Chart::of_map(&systems.stats.by_type),
                "by_status": Chart::of_map(&systems.stats.by_status),
            },
            "ideas": {
                "by_status": Chart::in_order(&ideas.by_status, IdeaStatus::names()),
                "by_category": Chart::in_order(&ideas.by_category, IdeaCategory::names()),
                "by_priority": Chart::in_order(&ideas.by_priority, IdeaPriority::names()),
            },
            "files": {
                "by_type": Chart::of_map(&by_subtype),
                "size_distribution": Chart::of([
                    ("Small (<1MB)", sizes.small),
                    ("Medium (1-10MB)", sizes.medium),
                    ("Large (10-100MB)", sizes.large),
                    ("X-Large (>100MB)", sizes.xlarge),
                ]),
                "by_visibility": Chart::of([
                    ("Public", files.by_visibility.public.count),
                    ("Private", files.by_visibility.private.count),
                ]),
            },
        });
        Ok(Analytics { timeframe, charts })
    }

    /// Systems, ideas and files matching the text, each kind unless switched off; private
    /// files only for a `viewer` who may see them.
    pub async fn search_everything(
        &self,
        s: &StatsSearch,
        viewer: Viewer,
    ) -> Result<SearchResults> {
        let systems = if s.systems {
            let query = SystemQuery {
                search: Some(s.query.clone()),
                limit: Some(s.limit),
                ..SystemQuery::default()
            };
            self.store.systems(&query).await?.0
        } else {
            Vec::new()
        };
        let ideas = if s.ideas {
            let query = IdeaQuery {
                search: Some(s.query.clone()),
                limit: Some(s.limit),
                ..IdeaQuery::default()
            };
            self.store.ideas(&query).await?.0
        } else {
            Vec::new()
        };
        let files = if s.files {
            self.store
                .search_files(&s.query, s.limit, !viewer.sees_private)
                .await?
        } else {
            Vec::new()
        };
        Ok(SearchResults {
            systems,
            ideas,
            files,
        })
    }
}

/// Days since 1970-01-01, as the activity query numbers them.
fn epoch_day(date: NaiveDate) -> i64 {
    (date - chrono::DateTime::UNIX_EPOCH.date_naive()).num_days()
}

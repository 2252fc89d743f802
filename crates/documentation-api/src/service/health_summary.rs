//! `/stats/health`: a score and the issues of every system, and the fleet's overall state.
//!
//! **Score** (0..100): the status gives the base — online 100, maintenance 75, unknown 50,
//! error 25, offline 0 — then, outside maintenance, never checked −10, last checked more
//! than 24 hours ago −10, and for an online system a slow last check −10 (over 1 s) or −20
//! (over 2 s). Each deduction and each status other than online is an issue, in words.
//!
//! **Overall**: `no_systems` without systems; among the systems not in maintenance,
//! `critical` when at least half are offline or in error, `degraded` when any is offline,
//! in error or unknown (or when every system is in maintenance), else `healthy`.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Documentation;
use crate::domain::system::{Direction, System, SystemOrder, SystemQuery, SystemStatus};
use crate::error::Result;

const STALE_AFTER_HOURS: i64 = 24;

#[derive(Debug, Serialize)]
pub struct SystemHealth {
    pub id: Uuid,
    pub name: String,
    pub status: SystemStatus,
    pub url: Option<String>,
    #[serde(with = "shared::time::serde_millis")]
    pub last_updated: DateTime<Utc>,
    #[serde(serialize_with = "shared::time::serde_millis::option::serialize")]
    pub last_checked: Option<DateTime<Utc>>,
    pub health_score: i64,
    pub issues: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct HealthCounters {
    pub total: i64,
    pub online: i64,
    pub offline: i64,
    pub error: i64,
    pub unknown: i64,
    pub maintenance: i64,
}

#[derive(Debug, Serialize)]
pub struct HealthSummary {
    pub systems: Vec<SystemHealth>,
    pub overall_health: &'static str,
    pub counters: HealthCounters,
}

/// The score and issues of one system at `now`.
pub fn assess(system: &System, now: DateTime<Utc>) -> SystemHealth {
    let mut issues = Vec::new();
    let mut score: i64 = match system.status {
        SystemStatus::Online => 100,
        SystemStatus::Maintenance => {
            issues.push("In maintenance".to_string());
            75
        }
        SystemStatus::Unknown => {
            issues.push("Status unknown".to_string());
            50
        }
        SystemStatus::Error => {
            issues.push(match &system.last_message {
                Some(message) => format!("Last check failed: {message}"),
                None => "Last check failed".to_string(),
            });
            25
        }
        SystemStatus::Offline => {
            issues.push("System is offline".to_string());
            0
        }
    };
    if system.url.is_none() {
        issues.push("No URL to check".to_string());
    }
    if system.status != SystemStatus::Maintenance {
        match system.last_checked {
            None => {
                score -= 10;
                issues.push("Never checked".to_string());
            }
            Some(at) if now - at > Duration::hours(STALE_AFTER_HOURS) => {
                score -= 10;
                issues.push(format!("Not checked for over {STALE_AFTER_HOURS} hours"));
            }
            Some(_) => {}
        }
    }
    if system.status == SystemStatus::Online
        && let Some(ms) = system.response_time_ms.filter(|ms| *ms > 1000)
    {
        score -= if ms > 2000 { 20 } else { 10 };
        issues.push(format!("Slow response: {ms} ms"));
    }
    SystemHealth {
        id: system.id,
        name: system.name.clone(),
        status: system.status,
        url: system.url.clone(),
        last_updated: system.updated_at,
        last_checked: system.last_checked,
        health_score: score.clamp(0, 100),
        issues,
    }
}

/// The overall state from the counters (see the module's rules).
pub fn overall(c: &HealthCounters) -> &'static str {
    let watched = c.total - c.maintenance;
    let failing = c.offline + c.error;
    if c.total == 0 {
        "no_systems"
    } else if watched == 0 {
        "degraded"
    } else if failing * 2 >= watched {
        "critical"
    } else if failing > 0 || c.unknown > 0 {
        "degraded"
    } else {
        "healthy"
    }
}

impl Documentation {
    pub async fn health_summary(&self) -> Result<HealthSummary> {
        let stats = self.store.system_stats().await?;
        let status = |s: SystemStatus| stats.by_status.get(s.as_str()).copied().unwrap_or(0);
        let counters = HealthCounters {
            total: stats.total,
            online: status(SystemStatus::Online),
            offline: status(SystemStatus::Offline),
            error: status(SystemStatus::Error),
            unknown: status(SystemStatus::Unknown),
            maintenance: status(SystemStatus::Maintenance),
        };
        let query = SystemQuery {
            order_by: SystemOrder::Name,
            order_direction: Direction::Asc,
            ..SystemQuery::default()
        };
        let (systems, _) = self.store.systems(&query).await?;
        let at = Utc::now();
        Ok(HealthSummary {
            systems: systems.iter().map(|s| assess(s, at)).collect(),
            overall_health: overall(&counters),
            counters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overall_follows_the_failing_share() {
        let c = |online, offline, error, unknown, maintenance| HealthCounters {
            total: online + offline + error + unknown + maintenance,
            online,
            offline,
            error,
            unknown,
            maintenance,
        };
        assert_eq!(overall(&c(0, 0, 0, 0, 0)), "no_systems");
        assert_eq!(overall(&c(3, 0, 0, 0, 1)), "healthy");
        assert_eq!(overall(&c(3, 1, 0, 0, 0)), "degraded");
        assert_eq!(overall(&c(2, 0, 0, 1, 0)), "degraded");
        assert_eq!(overall(&c(1, 0, 1, 0, 5)), "critical");
        assert_eq!(overall(&c(0, 0, 0, 0, 2)), "degraded");
    }
}

//! Health checks of registered systems, on demand and in rounds: a check's figures
//! (when, how fast, what answered) are observations and stored as they come; a change of
//! status is a change of the system, written with its audit row. A system in
//! `maintenance` keeps that status whatever a check finds: leaving it is a person's call.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::{Change, Documentation, HealthReport, image};
use crate::domain::audit::{Action, AuditEntry, RequestMeta};
use crate::domain::system::{System, SystemQuery, SystemStatus};
use crate::domain::{Entity, now};
use crate::error::{Error, Result};

/// The actor of the background rounds' audit rows.
const ROUND_ACTOR: &str = "health-checker";

impl Documentation {
    /// Checks one system now. Without a URL there is nothing to check, and nothing is stored.
    pub async fn check_system(&self, id: Uuid, meta: &RequestMeta) -> Result<HealthReport> {
        let system = self.system(id).await?;
        let Some(url) = system.url.as_deref() else {
            return Ok(HealthReport {
                status: SystemStatus::Unknown,
                message: "No URL configured for health check".into(),
                response_time_ms: None,
                http_status: None,
                last_checked: None,
            });
        };
        let report = self.checker.check(url).await;
        self.record_check(id, &report, meta).await?;
        Ok(report)
    }

    /// Checks every system, answering within the request's deadline: a system whose
    /// check has not finished by then comes back without a report (`skipped`).
    pub async fn check_all(
        self: &Arc<Self>,
        meta: &RequestMeta,
    ) -> Result<Vec<(System, Option<HealthReport>)>> {
        let (systems, _) = self.store.systems(&SystemQuery::default()).await?;
        let mut checks = JoinSet::new();
        for (index, system) in systems.iter().enumerate() {
            let (docs, id, meta) = (Arc::clone(self), system.id, meta.clone());
            checks.spawn(async move { (index, docs.check_system(id, &meta).await) });
        }
        let mut reports: Vec<Option<HealthReport>> = vec![None; systems.len()];
        let gather = async {
            while let Some(done) = checks.join_next().await {
                if let Ok((index, Ok(report))) = done {
                    reports[index] = Some(report);
                }
            }
        };
        let _ = tokio::time::timeout(self.check_all_within, gather).await;
        checks.abort_all();
        let skipped = reports.iter().filter(|r| r.is_none()).count();
        for _ in 0..skipped {
            self.checker.metrics().skipped();
        }
        Ok(systems.into_iter().zip(reports).collect())
    }

    /// Stores what a check found; audits a change of status.
    async fn record_check(
        &self,
        id: Uuid,
        report: &HealthReport,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.store.set_check_figures(id, report).await?;
        self.write("checks.record", || {
            async |tx| {
                let Some(current) = tx.system(id).await? else {
                    return Ok(Change::None(()));
                };
                if current.status == SystemStatus::Maintenance || current.status == report.status {
                    return Ok(Change::None(()));
                }
                let mut next = current.clone();
                next.status = report.status;
                tx.update_system(&next).await?;
                let audit = AuditEntry::record(
                    Entity::System,
                    id,
                    Action::StatusChange,
                    Some(image(&current)),
                    Some(image(&next)),
                    meta,
                    now(),
                );
                Ok(Change::Made((), tx.record(&audit).await?))
            }
        })
        .await
    }

    /// One background round: every system with a URL, except those in maintenance.
    async fn check_round(self: &Arc<Self>) -> Result<()> {
        let meta = RequestMeta {
            actor: ROUND_ACTOR.into(),
            ..RequestMeta::default()
        };
        let mut checks = JoinSet::new();
        for system in self.store.systems_to_check().await? {
            let (docs, meta) = (Arc::clone(self), meta.clone());
            checks.spawn(async move { docs.check_system(system.id, &meta).await });
        }
        while let Some(done) = checks.join_next().await {
            match done {
                Ok(Ok(_)) | Ok(Err(Error::NotFound(_))) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "health check round: a check failed"),
                Err(e) => tracing::warn!(error = %e, "health check round: a check panicked"),
            }
        }
        self.refresh_system_gauges().await
    }

    pub async fn refresh_system_gauges(&self) -> Result<()> {
        let counts = self.store.status_counts().await?;
        self.checker.metrics().set_systems(&counts);
        Ok(())
    }
}

/// The background checker: a round every `interval`, taken by one instance of all those
/// sharing the database; stops when told.
pub struct Rounds {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Rounds {
    pub fn start(docs: Arc<Documentation>, interval: Duration) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stopped.wait_for(|s| *s) => return,
                    _ = ticks.tick() => {}
                }
                match docs.store.take_round(interval).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "health check round: the database did not answer");
                        continue;
                    }
                }
                tokio::select! {
                    _ = stopped.wait_for(|s| *s) => return,
                    result = docs.check_round() => {
                        if let Err(e) = result {
                            tracing::warn!(error = %e, "health check round failed");
                        }
                    }
                }
            }
        });
        Self { stop, task }
    }

    /// Stops the rounds (a round in progress is abandoned) and waits for the task.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

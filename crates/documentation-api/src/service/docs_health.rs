//! Documentation health: runs the built-in audit over the corpus (on demand, or after an
//! index build through [`DocsHealth::record_audit`]), stores posted audits, keeps the
//! metrics on the latest stored run, and answers the views. Runs live in the database,
//! so they survive restarts and every instance on one database shows the same figures.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use serde_json::{Map, Value};
use shared::ApiError;

use super::DocsHealthMetrics;
use crate::corpus::{self, Corpus};
use crate::domain::docs_health::audit::{AuditInput, audit};
use crate::domain::docs_health::links::Files;
use crate::domain::docs_health::views::{self, AuditSummary, Run};
use crate::domain::docs_health::{AuditReport, IssueType, Trigger, posted};
use crate::error::Result;
use crate::repo::Store;

/// The days of history the dashboard's `historical` shows.
const DASHBOARD_DAYS: i64 = 30;

/// Cheap to clone: the search side keeps one to call [`DocsHealth::record_audit`].
#[derive(Clone)]
pub struct DocsHealth {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    metrics: DocsHealthMetrics,
    content_dir: PathBuf,
    /// Held while `POST …/audit` runs: requests that arrive meanwhile get its result.
    manual_audit: tokio::sync::Mutex<()>,
}

impl DocsHealth {
    pub fn new(store: Store, metrics: DocsHealthMetrics, content_dir: PathBuf) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                metrics,
                content_dir,
                manual_audit: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Sets the metrics from the latest stored run, in the background: the start does not
    /// wait for the database, and a failure only leaves them empty until the next run.
    pub fn load_in_background(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            let store = &this.inner.store;
            match tokio::try_join!(store.latest_health_run(), store.health_counters()) {
                Ok((latest, counters)) => this.inner.metrics.set_initial(latest, counters),
                Err(e) => tracing::warn!(error = %e, "docs health metrics not loaded at start"),
            }
        });
    }

    /// Audits `corpus` (the pages an index build just read), stores the run and answers
    /// its summary. The audit runs on a blocking thread (it may look at files that are not
    /// pages, and at pages' HTML anchors).
    pub async fn record_audit(&self, corpus: &Corpus, trigger: Trigger) -> Result<AuditSummary> {
        let input = AuditInput::of(corpus);
        let dir = self.inner.content_dir.clone();
        let started = Instant::now();
        let report = blocking(move || audit(&input, Utc::now(), &DiskFiles::new(&dir))).await?;
        self.inner.metrics.observe_duration(started.elapsed());
        self.store(Utc::now(), trigger, &report).await
    }

    /// `POST …/audit`: reads the corpus now, audits it and stores the run. Concurrent
    /// requests never audit twice: one that waited for a running audit answers its run.
    pub async fn audit_now(&self) -> Result<AuditSummary> {
        let asked = Utc::now();
        let _turn = self.inner.manual_audit.lock().await;
        if let Some(run) = self.inner.store.latest_health_run().await?
            && run.trigger == Trigger::Manual
            && run.at >= asked
        {
            return Ok(AuditSummary::of(&run));
        }
        let dir = self.inner.content_dir.clone();
        let started = Instant::now();
        let report = blocking(move || {
            let corpus = corpus::scan(&dir);
            audit(&AuditInput::of(&corpus), Utc::now(), &DiskFiles::new(&dir))
        })
        .await?;
        self.inner.metrics.observe_duration(started.elapsed());
        self.store(Utc::now(), Trigger::Manual, &report).await
    }

    /// `POST …/update-metrics`: a posted audit document, stored as a run.
    pub async fn record_posted(&self, body: &Map<String, Value>) -> Result<AuditSummary> {
        let posted = posted::parse(body, Utc::now())?;
        self.store(posted.at, Trigger::Posted, &posted.report).await
    }

    async fn store(
        &self,
        at: chrono::DateTime<Utc>,
        trigger: Trigger,
        report: &AuditReport,
    ) -> Result<AuditSummary> {
        let store = &self.inner.store;
        let run = store.insert_health_run(at, trigger, report).await?;
        let counters = store.health_counters().await?;
        let summary = AuditSummary::of(&run);
        self.inner.metrics.set(Some(run), Some(counters));
        tracing::info!(
            trigger = trigger.as_str(),
            score = summary.health_score,
            files = summary.total_files,
            "documentation audit stored"
        );
        Ok(summary)
    }

    /// The latest stored run, which the metrics then show too (another instance may
    /// have stored it).
    async fn latest(&self) -> Result<Option<Run>> {
        let latest = self.inner.store.latest_health_run().await?;
        if latest.is_some() {
            self.inner.metrics.set(latest.clone(), None);
        }
        Ok(latest)
    }

    pub async fn summary(&self) -> Result<Value> {
        Ok(views::summary(self.latest().await?.as_ref()))
    }

    pub async fn metrics(&self) -> Result<Value> {
        let latest = self.latest().await?;
        let counters = self.inner.store.health_counters().await?;
        Ok(views::metrics(latest.as_ref(), &counters))
    }

    pub async fn issues(&self, kind: IssueType, limit: usize) -> Result<Value> {
        Ok(views::issues(kind, limit, self.latest().await?.as_ref()))
    }

    pub async fn trends(&self, days: i64) -> Result<Value> {
        let history = self.history(days).await?;
        Ok(views::trends(days, &history))
    }

    /// The last `days` UTC days, today included.
    async fn history(&self, days: i64) -> Result<Vec<views::DayPoint>> {
        let first_day = Utc::now().date_naive() - Duration::days(days - 1);
        let since = first_day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        Ok(self.inner.store.health_history(since).await?)
    }

    pub async fn latest_report(&self) -> Result<Value> {
        match self.latest().await? {
            Some(run) => Ok(views::latest_report(&run)),
            None => Err(ApiError::not_found("No audit reports found").into()),
        }
    }

    /// Never fails: without data, or when reading it fails, the zero-filled payload.
    pub async fn dashboard(&self) -> Value {
        let read = async {
            Ok::<_, crate::error::Error>((
                self.latest().await?,
                self.history(DASHBOARD_DAYS).await?,
            ))
        };
        match read.await {
            Ok((latest, history)) => views::dashboard(latest.as_ref(), &history, Utc::now()),
            Err(e) => {
                tracing::warn!(error = %e, "dashboard metrics answered without data");
                views::dashboard(None, &[], Utc::now())
            }
        }
    }

    /// `POST …/record-fix`: counts one fix; answers the total of that kind.
    pub async fn record_fix(&self, kind: IssueType) -> Result<i64> {
        let store = &self.inner.store;
        store.record_health_fix(kind).await?;
        let counters = store.health_counters().await?;
        let fixed = counters
            .fixed
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n);
        self.inner.metrics.set(None, Some(counters));
        Ok(fixed)
    }
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("documentation audit failed: {e}")).into())
}

/// The corpus directory as the audit sees it. Link targets are relative paths inside the
/// corpus already (the audit never asks about a path above its root).
struct DiskFiles<'a> {
    dir: &'a Path,
    anchors: RefCell<HashMap<String, Vec<String>>>,
}

impl<'a> DiskFiles<'a> {
    fn new(dir: &'a Path) -> Self {
        Self {
            dir,
            anchors: RefCell::default(),
        }
    }
}

impl Files for DiskFiles<'_> {
    fn exists(&self, rel_path: &str) -> bool {
        self.dir.join(rel_path).exists()
    }

    /// `id="…"` and `name="…"` attributes of the page's HTML (`<a id="d24"></a>`), read
    /// once per page and only for pages some anchor link did not find among headings.
    fn html_anchors(&self, rel_path: &str) -> Vec<String> {
        self.anchors
            .borrow_mut()
            .entry(rel_path.to_string())
            .or_insert_with(|| {
                std::fs::read_to_string(self.dir.join(rel_path))
                    .map(|text| html_ids(&text))
                    .unwrap_or_default()
            })
            .clone()
    }
}

fn html_ids(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for attribute in [" id=", " name="] {
        let mut rest = text;
        while let Some(at) = rest.find(attribute) {
            rest = &rest[at + attribute.len()..];
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            if let Some(end) = rest[1..].find(quote) {
                ids.push(rest[1..1 + end].to_string());
            }
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_ids_are_read_from_attributes() {
        let ids = super::html_ids("<a id=\"d24\"></a>\n<span name='x'>y</span> id=bare");
        assert_eq!(ids, ["d24", "x"]);
    }
}

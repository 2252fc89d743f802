//! Docs search: the corpus indexed with tantivy, rebuilt in the background while searches
//! keep answering from the index before it.
//!
//! Builds happen at start-up (readiness does not wait), on `POST /api/v1/docs/reindex`
//! (throttled: at most one per `DOCS_REINDEX_MIN_INTERVAL_S`, the start-up build
//! included, and never two at once) and, with `DOCS_WATCH=true`, after files change
//! (debounced; a change during a build queues one more build).

pub mod analysis;
pub mod content;
pub mod facets;
pub mod index;
mod matches;
pub mod query;
mod ranking;
pub mod snippet;
pub mod views;
mod watch;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;
use shared::health::{BoxFuture, CheckOutcome, HealthCheck};

use crate::config::DocsSettings;
use crate::corpus::{self, Corpus, ScanError};
pub use index::Snapshot;
pub use watch::Watcher;

/// The errors a reindex report lists; `errorsTotal` says how many there were.
const LISTED_ERRORS: usize = 10;

/// Run after every build with the corpus it indexed (the documentation-health audit);
/// what it answers joins the reindex report as `audit`.
pub type AfterBuild = Arc<dyn Fn(Arc<Corpus>) -> BoxFuture<'static, Option<Value>> + Send + Sync>;

/// What one build indexed, as `POST /api/v1/docs/reindex` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub files: usize,
    pub domains: usize,
    pub types: usize,
    pub tags: usize,
    pub statuses: usize,
    pub duration_ms: u64,
    pub errors: Vec<ScanErrorView>,
    #[serde(rename = "errorsTotal")]
    pub errors_total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<Value>,
    #[serde(skip)]
    pub finished_at: SystemTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanErrorView {
    pub file: String,
    pub error: String,
}

/// Why a reindex request was not started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    InProgress,
    TooSoon { retry_after: Duration },
}

#[derive(Default)]
struct BuildState {
    building: bool,
    /// A watched change arrived during a build: build once more after it.
    pending: bool,
    last_started: Option<Instant>,
    last: Option<BuildReport>,
}

pub struct DocsSearch {
    settings: DocsSettings,
    current: RwLock<Arc<Snapshot>>,
    state: Mutex<BuildState>,
    after_build: Option<AfterBuild>,
    watcher: Mutex<Option<Watcher>>,
}

impl DocsSearch {
    pub fn new(settings: DocsSettings, after_build: Option<AfterBuild>) -> Arc<Self> {
        Arc::new(Self {
            settings,
            current: RwLock::new(Arc::new(Snapshot::empty())),
            state: Mutex::new(BuildState::default()),
            after_build,
            watcher: Mutex::new(None),
        })
    }

    pub fn settings(&self) -> &DocsSettings {
        &self.settings
    }

    /// The index searches read: the last one built (empty before the first build).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn is_building(&self) -> bool {
        self.lock().building
    }

    pub fn last_build(&self) -> Option<BuildReport> {
        self.lock().last.clone()
    }

    /// Starts the start-up build in the background, and the watcher when asked for.
    pub fn start(self: &Arc<Self>) -> anyhow::Result<()> {
        self.queue_rebuild();
        if self.settings.watch {
            let watcher = Watcher::start(self)?;
            *self.watcher.lock().unwrap_or_else(PoisonError::into_inner) = Some(watcher);
        }
        Ok(())
    }

    /// Stops watching the corpus.
    pub fn stop(&self) {
        self.watcher
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// A reindex request: builds now and answers with the report, or says why not.
    pub async fn reindex(self: &Arc<Self>) -> Result<BuildReport, Refusal> {
        {
            let mut state = self.lock();
            if state.building {
                return Err(Refusal::InProgress);
            }
            let min = self.settings.reindex_min_interval;
            if let Some(elapsed) = state.last_started.map(|at| at.elapsed())
                && elapsed < min
            {
                return Err(Refusal::TooSoon {
                    retry_after: min - elapsed,
                });
            }
            state.building = true;
            state.last_started = Some(Instant::now());
        }
        Ok(self.clone().build_claimed().await)
    }

    /// A build after a change: now, or after the build under way.
    pub fn queue_rebuild(self: &Arc<Self>) {
        {
            let mut state = self.lock();
            if state.building {
                state.pending = true;
                return;
            }
            state.building = true;
            state.last_started = Some(Instant::now());
        }
        let search = self.clone();
        tokio::spawn(async move {
            search.build_claimed().await;
        });
    }

    /// Builds, the `building` flag already claimed by the caller; builds again while
    /// changes arrived during the build. Runs in its own task, so a client that hangs
    /// up mid-way never leaves the flag set.
    async fn build_claimed(self: Arc<Self>) -> BuildReport {
        let task = tokio::spawn(async move {
            loop {
                let report = self.build_once().await;
                let mut state = self.lock();
                if state.pending {
                    state.pending = false;
                    state.last_started = Some(Instant::now());
                    continue;
                }
                state.building = false;
                return report;
            }
        });
        task.await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "the docs index build task failed");
            BuildReport::failed()
        })
    }

    async fn build_once(&self) -> BuildReport {
        let dir = self.settings.content_dir.clone();
        let started = Instant::now();
        let built = tokio::task::spawn_blocking(move || {
            let corpus = corpus::scan(&dir);
            let snapshot = Snapshot::build(&corpus.pages);
            (corpus, snapshot)
        })
        .await;
        let (corpus, snapshot) = match built {
            Ok((corpus, Ok(snapshot))) => (corpus, snapshot),
            Ok((_, Err(e))) => {
                tracing::error!(error = %e, "building the docs index failed");
                return self.record(BuildReport::failed());
            }
            Err(e) => {
                tracing::error!(error = %e, "the docs index build panicked");
                return self.record(BuildReport::failed());
            }
        };
        if !corpus.dir_exists {
            tracing::warn!(dir = %self.settings.content_dir.display(), "the docs corpus directory does not exist");
        }
        let mut report = BuildReport::of(&corpus, started.elapsed());
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(snapshot);
        tracing::info!(
            files = report.files,
            errors = report.errors_total,
            duration_ms = report.duration_ms,
            "docs index built"
        );
        if let Some(after_build) = &self.after_build {
            report.audit = after_build(Arc::new(corpus)).await;
        }
        self.record(report)
    }

    fn record(&self, report: BuildReport) -> BuildReport {
        self.lock().last = Some(report.clone());
        report
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BuildState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl BuildReport {
    fn of(corpus: &Corpus, took: Duration) -> Self {
        let distinct = |f: fn(&corpus::Page) -> Vec<&str>| {
            corpus
                .pages
                .iter()
                .flat_map(f)
                .collect::<BTreeSet<_>>()
                .len()
        };
        Self {
            files: corpus.pages.len(),
            domains: distinct(|p| vec![p.domain.as_str()]),
            types: distinct(|p| vec![p.doc_type.as_str()]),
            tags: distinct(|p| p.tags.iter().map(String::as_str).collect()),
            statuses: distinct(|p| vec![p.status.as_str()]),
            duration_ms: took.as_millis() as u64,
            errors: corpus
                .errors
                .iter()
                .take(LISTED_ERRORS)
                .map(|ScanError { file, error }| ScanErrorView {
                    file: file.clone(),
                    error: error.clone(),
                })
                .collect(),
            errors_total: corpus.errors.len(),
            audit: None,
            finished_at: SystemTime::now(),
        }
    }

    /// A build that indexed nothing new (the previous index stays).
    fn failed() -> Self {
        Self {
            files: 0,
            domains: 0,
            types: 0,
            tags: 0,
            statuses: 0,
            duration_ms: 0,
            errors: vec![ScanErrorView {
                file: String::new(),
                error: "the index could not be built; the previous one is kept".into(),
            }],
            errors_total: 1,
            audit: None,
            finished_at: SystemTime::now(),
        }
    }

    pub fn finished_at_ms(&self) -> u64 {
        self.finished_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}

/// `/health`'s `searchIndex`: degraded while the first build runs or when nothing is
/// indexed, never unhealthy (search answers either way).
pub struct SearchIndexCheck(pub Arc<DocsSearch>);

impl HealthCheck for SearchIndexCheck {
    fn name(&self) -> &'static str {
        "searchIndex"
    }

    fn check(&self) -> BoxFuture<'_, CheckOutcome> {
        Box::pin(async move {
            let documents = self.0.snapshot().len();
            let building = self.0.is_building();
            match (documents, building) {
                (0, true) => CheckOutcome::degraded("the docs index is being built"),
                (0, false) => CheckOutcome::degraded(
                    "0 documents indexed: the docs corpus directory is missing or empty",
                ),
                (n, true) => CheckOutcome::healthy(format!("{n} documents indexed; rebuilding")),
                (n, false) => CheckOutcome::healthy(format!("{n} documents indexed")),
            }
        })
    }
}

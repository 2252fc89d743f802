//! The documentation service's rules, over the repository: what each write checks
//! (unique names, references that exist), what it records (its audit row, in the same
//! transaction), and the health checks of registered systems.

mod checks;
mod docs_health;
mod docs_health_metrics;
mod files;
mod health_check;
mod health_summary;
mod ideas;
pub mod import;
mod stats;
mod systems;

use std::time::Duration;

use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::error::{Error, Result};
use crate::repo::{Recorded, Store, WriteTx};

pub use checks::Rounds;
pub use docs_health::DocsHealth;
pub use docs_health_metrics::DocsHealthMetrics;
pub use files::{MAX_FILES_PER_REQUEST, Received, UploadRefusal};
pub use health_check::HealthChecker;
pub use health_summary::HealthSummary;
pub use ideas::Kanban;
pub use systems::HealthReport;

/// The service every handler calls.
pub struct Documentation {
    store: Store,
    targets: shared::target::TargetRule,
    checker: HealthChecker,
    /// How long `health-check-all` may wait for checks: within the request's deadline.
    check_all_within: Duration,
    upload_limit: u64,
}

impl Documentation {
    pub fn new(
        store: Store,
        checker: HealthChecker,
        targets: shared::target::TargetRule,
        request_timeout: Duration,
    ) -> Self {
        Self {
            store,
            targets,
            checker,
            check_all_within: request_timeout.mul_f64(0.9),
            upload_limit: crate::config::DEFAULT_MAX_UPLOAD_BYTES,
        }
    }

    /// The most bytes one uploaded file may have.
    pub fn with_upload_limit(mut self, bytes: u64) -> Self {
        self.upload_limit = bytes;
        self
    }

    pub fn upload_limit(&self) -> u64 {
        self.upload_limit
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Which outbound targets registered URLs may name.
    pub fn targets(&self) -> shared::target::TargetRule {
        self.targets
    }

    pub async fn audit(&self, filter: &AuditFilter) -> Result<(Vec<AuditEntry>, i64)> {
        Ok(self.store.audit(filter).await?)
    }

    /// Runs `work` in one write transaction and commits it with the proof that `work`
    /// recorded its audit row; on any error, or when nothing changed, nothing of it stays.
    /// A transaction the database rolled back to break a deadlock is run again whole.
    /// `work` makes each attempt's body afresh.
    async fn write<T, W>(&self, operation: &'static str, work: impl Fn() -> W) -> Result<T>
    where
        W: AsyncFnOnce(&mut WriteTx) -> Result<Change<T>>,
    {
        let attempt = || async {
            let mut tx = self.store.write().await?;
            match work()(&mut tx).await? {
                Change::Made(out, recorded) => {
                    tx.commit(recorded).await?;
                    Ok(out)
                }
                Change::None(out) => Ok(out),
            }
        };
        shared::db::retry_conflicts(operation, attempt, Error::database).await
    }
}

/// What a write did: a change with its audit row, or nothing (an update to the values
/// the entity already has: no write, no audit row).
enum Change<T> {
    Made(T, Recorded),
    None(T),
}

/// The JSON image of an entity in an audit row.
fn image<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

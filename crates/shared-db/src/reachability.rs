//! Whether PostgreSQL can be reached, so that a dead database costs a request
//! milliseconds, not the pool's acquire timeout. sqlx retries a refused connection until
//! that timeout (5 s), which is right for a busy pool but makes every request wait out
//! an outage. So a call that has not finished after [`SUSPECT_AFTER`] starts one probe,
//! a connection of its own outside the pool: if that is refused or does not answer
//! within [`PROBE_TIMEOUT`], the database is marked unreachable and every waiting and
//! new call fails at once; a probe every [`RETRY_EVERY`] then marks it reachable again.
//! A busy but healthy server answers the probe, so its callers keep queueing; a slow but
//! alive one is left to the request deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::Connection;
use sqlx::postgres::PgConnectOptions;
use tokio::sync::watch;

/// How long a call runs before the database is suspected.
const SUSPECT_AFTER: Duration = Duration::from_millis(200);
/// How long a probe may take to connect and answer before the database counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_millis(700);
/// How often an unreachable database is probed.
const RETRY_EVERY: Duration = Duration::from_millis(100);

pub(crate) struct Reachability {
    /// `true` while the database is believed reachable.
    reachable: watch::Sender<bool>,
    probing: AtomicBool,
    options: PgConnectOptions,
}

impl std::fmt::Debug for Reachability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reachability")
            .field("reachable", &self.is_reachable())
            .finish_non_exhaustive()
    }
}

impl Reachability {
    pub(crate) fn new(options: PgConnectOptions) -> Arc<Self> {
        Arc::new(Self {
            reachable: watch::Sender::new(true),
            probing: AtomicBool::new(false),
            options,
        })
    }

    pub(crate) fn is_reachable(&self) -> bool {
        *self.reachable.borrow()
    }

    /// `fut`'s output, or `None` when the database is or becomes unreachable first.
    pub(crate) async fn guard<F: Future>(self: &Arc<Self>, fut: F) -> Option<F::Output> {
        if !self.is_reachable() {
            return None;
        }
        let mut fut = std::pin::pin!(fut);
        tokio::select! {
            biased;
            out = &mut fut => return Some(out),
            () = tokio::time::sleep(SUSPECT_AFTER) => {}
        }
        self.suspect();
        let mut reachable = self.reachable.subscribe();
        tokio::select! {
            biased;
            out = fut => Some(out),
            _ = reachable.wait_for(|up| !up) => None,
        }
    }

    /// Starts the probe, unless one runs already.
    fn suspect(self: &Arc<Self>) {
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            while !this.probe().await {
                if this.reachable.send_replace(false) {
                    tracing::warn!("database unreachable; failing requests fast until it answers");
                }
                tokio::time::sleep(RETRY_EVERY).await;
            }
            if !this.reachable.send_replace(true) {
                tracing::info!("database reachable again");
            }
            this.probing.store(false, Ordering::Release);
        });
    }

    /// One connection outside the pool. A server that answers at all, even with an
    /// error such as "too many connections", is reachable.
    async fn probe(&self) -> bool {
        let attempt = async {
            let mut connection = self.options.connect().await?;
            connection.ping().await?;
            connection.close().await
        };
        match tokio::time::timeout(PROBE_TIMEOUT, attempt).await {
            Ok(Ok(())) | Ok(Err(sqlx::Error::Database(_))) => true,
            Ok(Err(_)) | Err(_) => false,
        }
    }
}

/// The error a call gets while the database is unreachable.
pub(crate) fn unreachable() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "the database is unreachable",
    ))
}

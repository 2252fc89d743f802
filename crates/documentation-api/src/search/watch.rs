//! `DOCS_WATCH=true`: rebuild the index after the corpus changes. notify's debouncer
//! folds a burst of events (an editor's save, a `git pull`) into one, so a burst costs
//! one build.

use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc;

use super::DocsSearch;

const DEBOUNCE: Duration = Duration::from_millis(500);

/// Watches while it lives; dropping it stops the watcher and its task.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    task: tokio::task::JoinHandle<()>,
}

impl Watcher {
    /// Holds the search weakly: the search owns its watcher.
    pub fn start(search: &Arc<DocsSearch>) -> anyhow::Result<Self> {
        let (changes, mut changed) = mpsc::channel::<()>(1);
        let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
            match result {
                // A full channel already holds a pending rebuild.
                Ok(events) if !events.is_empty() => {
                    let _ = changes.try_send(());
                }
                Ok(_) => {}
                Err(errors) => {
                    for error in errors {
                        tracing::warn!(error = %error, "watching the docs corpus");
                    }
                }
            }
        })?;
        debouncer.watch(&search.settings().content_dir, RecursiveMode::Recursive)?;
        let search = Arc::downgrade(search);
        let task = tokio::spawn(async move {
            while changed.recv().await.is_some() {
                let Some(search) = search.upgrade() else {
                    return;
                };
                tracing::info!("the docs corpus changed; rebuilding the index");
                search.queue_rebuild();
            }
        });
        Ok(Self {
            _debouncer: debouncer,
            task,
        })
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

//! The workspace's rules, over the repository: which writes are allowed (active
//! categories, `If-Match`), what each one records (its audit rows), and the list cache
//! that every write invalidates. An item write is one guarded statement and a category
//! write one [`WriteTx`]; either way a failed request leaves nothing behind and a
//! committed one carries its audit row and the cache invalidation with it.

mod categories;
pub mod import;
mod items;

use axum::body::Bytes;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::Value;
use shared::db::Db;

use crate::cache::ListCache;
use crate::domain::audit::{AuditEntry, AuditFilter, EntityType};
use crate::domain::category::Category;
use crate::domain::item::{Item, ItemId, ItemKey};
use crate::domain::query::{ItemQuery, ItemStats};
use crate::error::{Error, Result};
use crate::repo::{Recorded, Store, WriteTx};

/// The service every handler calls.
pub struct Workspace {
    store: Store,
    list_cache: ListCache,
    item_locks: ItemLocks,
    active_categories: SeenActive,
}

impl Workspace {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            list_cache: ListCache::default(),
            item_locks: ItemLocks::default(),
            active_categories: SeenActive::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn db(&self) -> &Db {
        self.store.db()
    }

    /// The list body for `query`: served from the cache while the data has not changed
    /// (one cheap read of the change version), otherwise queried and `render`ed.
    pub async fn list_items(
        &self,
        query: &ItemQuery,
        render: impl FnOnce(&[Item], i64) -> Result<Bytes>,
    ) -> Result<Bytes> {
        let key = serde_json::to_string(query).unwrap_or_default();
        let version = self.store.change_version().await?;
        if let Some(body) = self.list_cache.get(&key, version) {
            return Ok(body);
        }
        let (items, total) = self.store.list_items(query).await?;
        let body = render(&items, total)?;
        self.list_cache.put(key, version, body.clone());
        Ok(body)
    }

    pub async fn item(&self, key: &ItemKey) -> Result<Item> {
        let found = match key.id() {
            Some(id) => self.store.item(id).await?,
            None => None,
        };
        found.ok_or_else(|| Error::ItemNotFound(key.to_string()))
    }

    pub async fn item_stats(&self) -> Result<ItemStats> {
        Ok(self.store.item_stats().await?)
    }

    /// The item's audit rows, newest first; they outlive the item, but an id that never
    /// existed is a 404.
    pub async fn item_history(&self, key: &ItemKey) -> Result<Vec<AuditEntry>> {
        let filter = AuditFilter {
            entity_type: Some(EntityType::Item),
            entity_id: Some(key.to_string()),
            action: None,
            limit: 1000,
            offset: 0,
        };
        let (entries, _) = self.store.audit(&filter).await?;
        if entries.is_empty() {
            self.item(key).await?;
        }
        Ok(entries)
    }

    pub async fn audit(&self, filter: &AuditFilter) -> Result<(Vec<AuditEntry>, i64)> {
        Ok(self.store.audit(filter).await?)
    }

    /// Every category, ordered by display order then name.
    pub async fn categories(&self) -> Result<Vec<Category>> {
        Ok(self.store.categories().await?)
    }

    /// Runs `work` in one write transaction, timed as `operation`, and commits it with
    /// the proof that `work` recorded its audit row (and so the cache invalidation). A
    /// transaction the database rolled back to break a deadlock is run again whole.
    /// `work` makes each attempt's body afresh.
    async fn write<T, W>(&self, operation: &'static str, work: impl Fn() -> W) -> Result<T>
    where
        W: AsyncFnOnce(&mut WriteTx) -> Result<(T, Recorded)>,
    {
        self.timed(operation, async {
            let attempt = || async {
                let mut tx = self.store.write().await?;
                let (out, recorded) = work()(&mut tx).await?;
                tx.commit(recorded).await?;
                Ok(out)
            };
            shared::db::retry_conflicts(operation, attempt, Error::database).await
        })
        .await
    }

    async fn timed<T>(
        &self,
        operation: &'static str,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        self.store.db().timed(operation, work).await
    }
}

/// The categories this instance last found active: a hint that spares item writes a
/// read, never a reason to refuse one.
#[derive(Default)]
struct SeenActive(std::sync::Mutex<std::collections::HashSet<String>>);

impl SeenActive {
    fn seen(&self, name: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(name)
    }

    /// Only names the database had as active categories are kept, so the set stays as
    /// small as the category table.
    fn remember(&self, name: &str, active: bool) {
        let mut names = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if active {
            names.insert(name.to_string());
        } else {
            names.remove(name);
        }
    }
}

/// Turns for writes to one item, so that this instance's writers of an item wait here,
/// holding no database connection, instead of overtaking each other's decisions. Striped:
/// a fixed number of locks, an item's being chosen by its id. Each also keeps the item as
/// the last turn wrote it, so that the next writer need not read it back (unless another
/// instance wrote since, which the write's guard catches), and the updates waiting for a
/// turn, which the next turn of their item takes all at once.
struct ItemLocks([Stripe; 64]);

#[derive(Default)]
struct Stripe {
    last: tokio::sync::Mutex<Option<Item>>,
    queue: std::sync::Mutex<Queue>,
}

/// The updates of a stripe's items waiting for a turn, and the items that have a task
/// taking their turns (at most one each, so that waiting callers never pile up tasks).
#[derive(Default)]
struct Queue {
    waiting: Vec<items::QueuedUpdate>,
    taking: Vec<ItemId>,
}

impl Default for ItemLocks {
    fn default() -> Self {
        Self(std::array::from_fn(|_| Stripe::default()))
    }
}

impl ItemLocks {
    fn stripe(&self, id: ItemId) -> &Stripe {
        // The low bits of a UUIDv7 are random.
        &self.0[(id.uuid().as_u128() % self.0.len() as u128) as usize]
    }

    fn queue(&self, id: ItemId) -> std::sync::MutexGuard<'_, Queue> {
        let queue = self.stripe(id).queue.lock();
        queue.unwrap_or_else(|p| p.into_inner())
    }

    async fn turn(&self, id: ItemId) -> Turn<'_> {
        Turn {
            id,
            last: self.stripe(id).last.lock().await,
        }
    }

    /// Queues `update`; true when no task is taking its item's turns yet, so the caller
    /// must start one.
    fn wait(&self, update: items::QueuedUpdate) -> bool {
        let id = update.id;
        let mut queue = self.queue(id);
        queue.waiting.push(update);
        if queue.taking.contains(&id) {
            return false;
        }
        queue.taking.push(id);
        true
    }

    fn forget_taker(&self, id: ItemId) {
        self.queue(id).taking.retain(|taking| *taking != id);
    }

    /// The updates of `id` waiting for a turn, oldest first, at most `max`, without those
    /// whose caller has gone (a closed connection, the request deadline). None left ends
    /// the taker's task, in the same step, so a later update starts a new one.
    fn take_waiting(&self, id: ItemId, max: usize) -> Vec<items::QueuedUpdate> {
        let mut queue = self.queue(id);
        let mut taken = Vec::new();
        for update in std::mem::take(&mut queue.waiting) {
            if update.abandoned() {
                continue;
            }
            if update.id == id && taken.len() < max {
                taken.push(update);
            } else {
                queue.waiting.push(update);
            }
        }
        if taken.is_empty() {
            queue.taking.retain(|taking| *taking != id);
        }
        taken
    }
}

/// The turn of one write to item `id`.
struct Turn<'a> {
    id: ItemId,
    last: tokio::sync::MutexGuard<'a, Option<Item>>,
}

impl Turn<'_> {
    /// The item as the last turn left it, if that turn wrote this item.
    fn take_last(&mut self) -> Option<Item> {
        self.last.take_if(|item| item.id == self.id)
    }

    fn keep(&mut self, item: Option<Item>) {
        *self.last = item;
    }
}

/// The server clock at the precision both backends store (microseconds).
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The JSON image of an entity in an audit row.
fn image<T: Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

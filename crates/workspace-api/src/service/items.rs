//! Item writes: create, update (with `If-Match`), delete, each with its audit row.
//!
//! Each is decided on plain reads and applied by one guarded statement that writes
//! nothing if what the decision assumed has changed meanwhile (another instance's write,
//! a category toggled); then it is decided again on fresh reads. Writes to one item from
//! this instance take turns on an in-process lock first, so they do not race each other
//! in the database, and start from the item as the previous turn wrote it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use shared::ApiError;
use tokio::sync::oneshot;

use super::{Turn, Workspace, image, now};
use crate::domain::audit::{AuditEntry, EntityType, RequestMeta};
use crate::domain::item::{IfMatch, Item, ItemId, ItemKey, ItemPatch, NewItem};
use crate::error::{Error, Result};
use crate::repo::ItemWrite;

/// Decisions overtaken this many times in a row give up with a 503.
const ATTEMPTS: usize = 16;

/// The most updates one write carries.
const MAX_RUN: usize = 64;

impl Workspace {
    pub async fn create_item(&self, new: NewItem, meta: &RequestMeta) -> Result<Item> {
        self.timed("items.create", async {
            for attempt in 0..ATTEMPTS {
                self.require_active_category(&new.category, attempt == 0)
                    .await?;
                let at = now();
                let item = Item {
                    id: ItemId::new(at),
                    title: new.title.clone(),
                    description: new.description.clone(),
                    category: new.category.clone(),
                    priority: new.priority,
                    status: new.status,
                    tags: new.tags.clone(),
                    metadata: new.metadata.clone(),
                    created_at: at,
                    updated_at: at,
                    created_by: Some(meta.actor.clone()),
                    updated_by: Some(meta.actor.clone()),
                    version: 1,
                };
                let audit = item_audit(None, Some(&item), meta, at);
                if self
                    .store
                    .write_item(ItemWrite::Insert(&item), &audit)
                    .await?
                {
                    return Ok(item);
                }
            }
            Err(Error::Contended)
        })
        .await
    }

    /// Queues the update for its item's next turn, which decides every update then
    /// waiting for that item in order and writes them as one guarded statement: one item
    /// row written, an audit row for each. Updates of one item queue behind each other
    /// anyway (each needs the version before it), so under load this turns many waits for
    /// the database into one.
    pub async fn update_item(
        self: &Arc<Self>,
        key: &ItemKey,
        patch: ItemPatch,
        if_match: Option<IfMatch>,
        meta: &RequestMeta,
    ) -> Result<Item> {
        self.timed("items.update", async {
            let Some(id) = key.id() else {
                // The original validated the category before looking the item up; keep that order.
                if let Some(category) = &patch.category {
                    self.require_active_category(category, false).await?;
                }
                return Err(Error::ItemNotFound(key.to_string()));
            };
            let (reply, answer) = oneshot::channel();
            let update = QueuedUpdate {
                id,
                key: key.clone(),
                patch,
                if_match,
                meta: meta.clone(),
                reply,
            };
            if self.item_locks.wait(update) {
                // The turns run in a task of their own: they answer other callers too, so
                // they must not end with this caller's request (a closed connection, the
                // deadline).
                let workspace = Arc::clone(self);
                tokio::spawn(async move { workspace.take_turns(id).await });
            }
            answer.await.unwrap_or_else(|_| {
                Err(ApiError::internal("an item update's turn ended without its answer").into())
            })
        })
        .await
    }

    /// Takes `id`'s turns while updates wait for it, answering them a run at a time. The
    /// turn is released between runs, so deletes and the stripe's other items get theirs.
    async fn take_turns(&self, id: ItemId) {
        let _unwinding = TakerGuard(&self.item_locks, id);
        loop {
            let mut turn = self.item_locks.turn(id).await;
            let mut waiting = self.item_locks.take_waiting(id, MAX_RUN);
            if waiting.is_empty() {
                return;
            }
            while !waiting.is_empty() {
                let answers = match self.update_run(&mut turn, &waiting).await {
                    Ok(answers) => answers,
                    Err(failed) => {
                        let failed = Arc::new(failed);
                        waiting
                            .iter()
                            .map(|_| Err(Error::Database(Arc::clone(&failed))))
                            .collect()
                    }
                };
                for (update, answer) in waiting.drain(..answers.len()).zip(answers) {
                    // A caller that has gone no longer needs its answer.
                    let _ = update.reply.send(answer);
                }
            }
        }
    }

    /// Decides `run` in order, from the item as it stands, and writes what changes in one
    /// guarded write. Answers a prefix of `run`: a run ends after an update that moves the
    /// item to another category, the one category its write can check.
    async fn update_run(
        &self,
        turn: &mut Turn<'_>,
        run: &[QueuedUpdate],
    ) -> Result<Vec<Result<Item>>, sqlx::Error> {
        let mut remembered = turn.take_last();
        for attempt in 0..ATTEMPTS {
            let from_memory = remembered.is_some();
            let read = match remembered.take() {
                Some(item) => Some(item),
                None => self.store.item(turn.id).await?,
            };
            let decided = self.decide_run(read.clone(), run, attempt == 0).await;
            let (Some(read), Some(next)) = (&read, &decided.next) else {
                // Nothing to write, so nothing proves the memory right: the answers must
                // stand on what the database holds. No write, no audit row, the same ETag.
                if from_memory {
                    continue;
                }
                turn.keep(read);
                return Ok(decided.answers);
            };
            let Some((first, later)) = decided.audits.split_first() else {
                unreachable!("a run with a next version has its audit rows");
            };
            let write = ItemWrite::Update {
                next,
                moves: decided.moves,
                read_version: read.version,
                later,
            };
            if self.store.write_item(write, first).await? {
                turn.keep(decided.next);
                return Ok(decided.answers);
            }
        }
        Ok(run.iter().map(|_| Err(Error::Contended)).collect())
    }

    /// The rules of each update of `run` in turn, each applied to the item as the one
    /// before left it.
    async fn decide_run(&self, read: Option<Item>, run: &[QueuedUpdate], known: bool) -> Run {
        let mut current = read;
        let mut decided = Run::default();
        for update in run {
            let rules = (&update.patch, update.if_match.as_ref(), &update.meta);
            match self
                .decide_update(&update.key, current.clone(), rules, known)
                .await
            {
                Ok(Update {
                    current,
                    next: None,
                    ..
                }) => decided.answers.push(Ok(current)),
                Ok(Update {
                    current: before,
                    next: Some(next),
                    moves,
                }) => {
                    let audit =
                        item_audit(Some(&before), Some(&next), &update.meta, next.updated_at);
                    decided.audits.push(audit);
                    decided.answers.push(Ok(next.clone()));
                    current = Some(next.clone());
                    decided.next = Some(next);
                    if moves {
                        decided.moves = true;
                        break;
                    }
                }
                Err(refusal) => decided.answers.push(Err(refusal)),
            }
        }
        decided
    }

    /// The rules of an update of `current`: the new version and whether it moves to
    /// another (active) category, that nothing changes, or why it may not happen.
    /// `known` as for [`Self::require_active_category`].
    async fn decide_update(
        &self,
        key: &ItemKey,
        current: Option<Item>,
        (patch, if_match, meta): (&ItemPatch, Option<&IfMatch>, &RequestMeta),
        known: bool,
    ) -> Result<Update> {
        let Some(current) = current else {
            if let Some(category) = &patch.category {
                self.require_active_category(category, false).await?;
            }
            return Err(Error::ItemNotFound(key.to_string()));
        };
        let moves = patch.category.as_ref().filter(|c| **c != current.category);
        if let Some(category) = moves {
            self.require_active_category(category, known).await?;
        }
        if if_match.is_some_and(|m| !m.admits(&current)) {
            return Err(Error::Stale);
        }
        let moves = moves.is_some();
        let mut next = current.clone();
        patch.clone().apply_to(&mut next);
        let next = (next != current).then(|| next_version(&current, next, meta, now()));
        Ok(Update {
            current,
            next,
            moves,
        })
    }

    pub async fn delete_item(
        &self,
        key: &ItemKey,
        if_match: Option<IfMatch>,
        meta: &RequestMeta,
    ) -> Result<()> {
        let not_found = || Error::ItemNotFound(key.to_string());
        let id = key.id().ok_or_else(not_found)?;
        self.timed("items.delete", async {
            let mut turn = self.item_locks.turn(id).await;
            let mut remembered = turn.take_last();
            for _ in 0..ATTEMPTS {
                let from_memory = remembered.is_some();
                let current = match remembered.take() {
                    Some(item) => Some(item),
                    None => self.store.item(id).await?,
                };
                let current = current.ok_or_else(not_found)?;
                if if_match.as_ref().is_some_and(|m| !m.admits(&current)) {
                    if from_memory {
                        continue;
                    }
                    return Err(Error::Stale);
                }
                let audit = item_audit(Some(&current), None, meta, now());
                if self
                    .store
                    .write_item(ItemWrite::Delete(&current), &audit)
                    .await?
                {
                    turn.keep(None);
                    return Ok(());
                }
            }
            Err(Error::Contended)
        })
        .await
    }

    /// Items may only be filed under an active category. With `known`, a category this
    /// instance last found active passes without a read: only for a decision a guarded
    /// write follows, which checks it again; a refusal is always decided on a fresh read.
    pub(super) async fn require_active_category(&self, name: &str, known: bool) -> Result<()> {
        if known && self.active_categories.seen(name) {
            return Ok(());
        }
        match self.store.category(name).await? {
            Some(c) if c.is_active => {
                self.active_categories.remember(name, true);
                Ok(())
            }
            _ => {
                self.active_categories.remember(name, false);
                Err(Error::InvalidCategory {
                    name: name.to_string(),
                    valid: self.store.active_category_names().await?,
                })
            }
        }
    }
}

/// Should a taker's task panic, its item gets a new taker with the next update instead
/// of none ever again.
struct TakerGuard<'a>(&'a super::ItemLocks, ItemId);

impl Drop for TakerGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.forget_taker(self.1);
        }
    }
}

/// An update waiting for its item's turn.
pub(super) struct QueuedUpdate {
    pub(super) id: ItemId,
    key: ItemKey,
    patch: ItemPatch,
    if_match: Option<IfMatch>,
    meta: RequestMeta,
    reply: oneshot::Sender<Result<Item>>,
}

impl QueuedUpdate {
    pub(super) fn abandoned(&self) -> bool {
        self.reply.is_closed()
    }
}

/// What a run of updates decided: an answer for each update decided (a prefix of the
/// run), and, if any changes the item, its state after the last, an audit row per change,
/// and whether the last moves it to another category.
#[derive(Default)]
struct Run {
    answers: Vec<Result<Item>>,
    next: Option<Item>,
    audits: Vec<AuditEntry>,
    moves: bool,
}

/// An update the rules allow: from `current` to `next`, into another category if `moves`;
/// no `next` when the patch changes nothing.
struct Update {
    current: Item,
    next: Option<Item>,
    moves: bool,
}

/// Stamps `next` as the version after `current`.
pub(super) fn next_version(
    current: &Item,
    mut next: Item,
    meta: &RequestMeta,
    at: DateTime<Utc>,
) -> Item {
    next.updated_at = at.max(current.updated_at);
    next.updated_by = Some(meta.actor.clone());
    next.version = current.version + 1;
    next
}

/// The audit row of an item's change from `old` to `new`.
pub(super) fn item_audit(
    old: Option<&Item>,
    new: Option<&Item>,
    meta: &RequestMeta,
    at: DateTime<Utc>,
) -> AuditEntry {
    let id = new.or(old).map(|i| i.id.to_string()).unwrap_or_default();
    AuditEntry::record(
        EntityType::Item,
        &id,
        old.and_then(image),
        new.and_then(image),
        meta,
        at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::ItemLocks;

    fn queued(id: ItemId) -> (QueuedUpdate, oneshot::Receiver<Result<Item>>) {
        let (reply, answer) = oneshot::channel();
        let update = QueuedUpdate {
            id,
            key: ItemKey::from(id.to_string().as_str()),
            patch: ItemPatch::default(),
            if_match: None,
            meta: RequestMeta::default(),
            reply,
        };
        (update, answer)
    }

    #[test]
    fn one_taker_per_item_however_many_wait() {
        let locks = ItemLocks::default();
        let (a, b) = (ItemId::new(now()), ItemId::new(now()));
        let mut answers = Vec::new();
        let mut started = Vec::new();
        for id in [a, a, b, a] {
            let (update, answer) = queued(id);
            answers.push(answer);
            started.push(locks.wait(update));
        }
        assert_eq!(
            started,
            [true, false, true, false],
            "a task per item, not per update"
        );
        assert_eq!(
            locks.take_waiting(a, MAX_RUN).len(),
            3,
            "a's waiting updates, all at once"
        );
        assert_eq!(locks.take_waiting(b, MAX_RUN).len(), 1);
        assert!(locks.take_waiting(a, MAX_RUN).is_empty());
        let (update, _answer) = queued(a);
        assert!(
            locks.wait(update),
            "a drained queue ends the taker: the next update starts one"
        );
    }

    #[test]
    fn abandoned_updates_are_not_taken() {
        let locks = ItemLocks::default();
        let id = ItemId::new(now());
        let (gone, answer) = queued(id);
        drop(answer);
        locks.wait(gone);
        let (kept, _answer) = queued(id);
        locks.wait(kept);
        assert_eq!(locks.take_waiting(id, MAX_RUN).len(), 1);
    }
}

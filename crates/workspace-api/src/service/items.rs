//! Item writes: create, update (with `If-Match`), delete, each with its audit row.
//!
//! Each is decided on plain reads and applied by one guarded statement that writes
//! nothing if what the decision assumed has changed meanwhile (another instance's write,
//! a category toggled); then it is decided again on fresh reads. Writes to one item from
//! this instance take turns on an in-process lock first, so they do not race each other
//! in the database, and start from the item as the previous turn wrote it.

use chrono::{DateTime, Utc};

use super::{Workspace, image, now};
use crate::domain::audit::{AuditEntry, EntityType, RequestMeta};
use crate::domain::item::{IfMatch, Item, ItemId, ItemKey, ItemPatch, NewItem};
use crate::error::{Error, Result};
use crate::repo::ItemWrite;

/// Decisions overtaken this many times in a row give up with a 503.
const ATTEMPTS: usize = 16;

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

    pub async fn update_item(
        &self,
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
            let mut turn = self.item_locks.turn(id).await;
            let mut remembered = turn.take_last();
            for attempt in 0..ATTEMPTS {
                let from_memory = remembered.is_some();
                let current = match remembered.take() {
                    Some(item) => Some(item),
                    None => self.store.item(id).await?,
                };
                let rules = (&patch, if_match.as_ref(), meta);
                match self.decide_update(key, current, rules, attempt == 0).await {
                    // Nothing changes: no write, no audit row, the same ETag, so other
                    // clients' If-Match still holds. Decided on what the database holds.
                    Ok(Update { next: None, .. }) if from_memory => {}
                    Ok(Update {
                        current,
                        next: None,
                        ..
                    }) => {
                        turn.keep(Some(current.clone()));
                        return Ok(current);
                    }
                    Ok(Update {
                        current,
                        next: Some(next),
                        moves,
                    }) => {
                        let audit = item_audit(Some(&current), Some(&next), meta, next.updated_at);
                        let write = ItemWrite::Update { next: &next, moves };
                        if self.store.write_item(write, &audit).await? {
                            turn.keep(Some(next.clone()));
                            return Ok(next);
                        }
                    }
                    // A refusal must stand on what the database holds, not on memory.
                    Err(_) if from_memory => {}
                    Err(refusal) => return Err(refusal),
                }
            }
            Err(Error::Contended)
        })
        .await
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

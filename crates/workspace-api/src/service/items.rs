//! Item writes: create, update (with `If-Match`), delete, each with its audit row.

use chrono::{DateTime, Utc};

use super::{Workspace, image, now, require_active_category};
use crate::domain::audit::{AuditEntry, EntityType, RequestMeta};
use crate::domain::item::{IfMatch, Item, ItemId, ItemKey, ItemPatch, NewItem};
use crate::error::{Error, Result};
use crate::repo::{ItemChange, Recorded, WriteTx};

impl Workspace {
    pub async fn create_item(&self, new: NewItem, meta: &RequestMeta) -> Result<Item> {
        self.write("items.create", async |tx| {
            require_active_category(tx, &new.category).await?;
            let at = now();
            let item = Item {
                id: ItemId::new(at),
                title: new.title,
                description: new.description,
                category: new.category,
                priority: new.priority,
                status: new.status,
                tags: new.tags,
                metadata: new.metadata,
                created_at: at,
                updated_at: at,
                created_by: Some(meta.actor.clone()),
                updated_by: Some(meta.actor.clone()),
                version: 1,
            };
            let audit = AuditEntry::record(
                EntityType::Item,
                &item.id.to_string(),
                None,
                image(&item),
                meta,
                at,
            );
            let recorded = tx.record_item(ItemChange::Insert(&item), &audit).await?;
            Ok((item, recorded))
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
        self.write("items.update", async |tx| {
            let current = match key.id() {
                Some(id) => tx.item(id).await?,
                None => None,
            };
            let Some(current) = current else {
                // The original validated the category before looking the item up; keep that order.
                if let Some(category) = &patch.category {
                    require_active_category(tx, category).await?;
                }
                return Err(Error::ItemNotFound(key.to_string()));
            };
            if let Some(category) = patch.category.as_ref().filter(|c| **c != current.category) {
                require_active_category(tx, category).await?;
            }
            if if_match.is_some_and(|m| !m.admits(&current)) {
                return Err(Error::Stale);
            }
            let mut next = current.clone();
            patch.apply_to(&mut next);
            save_item_change(tx, &current, next, meta, now()).await
        })
        .await
    }

    pub async fn delete_item(
        &self,
        key: &ItemKey,
        if_match: Option<IfMatch>,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.write("items.delete", async |tx| {
            let current = match key.id() {
                Some(id) => tx.item(id).await?,
                None => None,
            };
            let current = current.ok_or_else(|| Error::ItemNotFound(key.to_string()))?;
            if if_match.is_some_and(|m| !m.admits(&current)) {
                return Err(Error::Stale);
            }
            let audit = AuditEntry::record(
                EntityType::Item,
                &current.id.to_string(),
                image(&current),
                None,
                meta,
                now(),
            );
            let recorded = tx.record_item(ItemChange::Delete(&current), &audit).await?;
            Ok(((), recorded))
        })
        .await
    }
}

/// Stamps `next` as the following version of `current`, writes it and its audit row.
pub(super) async fn save_item_change(
    tx: &mut WriteTx,
    current: &Item,
    mut next: Item,
    meta: &RequestMeta,
    at: DateTime<Utc>,
) -> Result<(Item, Recorded)> {
    next.updated_at = at.max(current.updated_at);
    next.updated_by = Some(meta.actor.clone());
    next.version = current.version + 1;
    let audit = AuditEntry::record(
        EntityType::Item,
        &next.id.to_string(),
        image(current),
        image(&next),
        meta,
        at,
    );
    let recorded = tx.record_item(ItemChange::Update(&next), &audit).await?;
    Ok((next, recorded))
}

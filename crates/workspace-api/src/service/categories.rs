//! Category writes: create, update (a rename moves the category's items along), delete.

use super::items::{item_audit, next_version};
use super::{Workspace, image, now};
use crate::domain::audit::{AuditEntry, EntityType, RequestMeta};
use crate::domain::category::{Category, CategoryChange, CategoryPatch, NewCategory};
use crate::error::{Error, Result};

impl Workspace {
    pub async fn create_category(&self, new: NewCategory, meta: &RequestMeta) -> Result<Category> {
        self.write("categories.create", || {
            async |tx| {
                let new = new.clone();
                if tx.category(&new.name).await?.is_some() {
                    return Err(Error::CategoryExists(new.name));
                }
                let at = now();
                let display_order = match new.display_order {
                    Some(order) => order,
                    None => tx.next_display_order().await?,
                };
                let category = Category {
                    id: new.name.clone(),
                    name: new.name,
                    display_name: new.display_name,
                    description: new.description,
                    color: new.color,
                    icon: new.icon,
                    display_order,
                    is_active: new.is_active,
                    created_at: at,
                    updated_at: at,
                    created_by: Some(meta.actor.clone()),
                };
                tx.insert_category(&category)
                    .await
                    .map_err(|e| unique_to_exists(e, &category.name))?;
                let recorded = tx
                    .record(&AuditEntry::record(
                        EntityType::Category,
                        &category.name,
                        None,
                        image(&category),
                        meta,
                        at,
                    ))
                    .await?;
                Ok((category, recorded))
            }
        })
        .await
    }

    /// Applies the change; a rename moves every item of the category along, in the same
    /// transaction, each with its own audit row.
    pub async fn update_category(
        &self,
        name: &str,
        change: CategoryChange,
        meta: &RequestMeta,
    ) -> Result<Category> {
        let renamed = match &change {
            CategoryChange::Patch(patch) => patch.name.clone().filter(|n| n != name),
            CategoryChange::Toggle => None,
        };
        self.write("categories.update", || {
            async |tx| {
                // A rename locks both names, the smaller first, so two renames that cross
                // (a to b, b to a) queue instead of deadlocking.
                let taken = match &renamed {
                    Some(new_name) if new_name.as_str() < name => tx.category(new_name).await?,
                    _ => None,
                };
                let current = tx
                    .category(name)
                    .await?
                    .ok_or_else(|| Error::CategoryNotFound(name.to_string()))?;
                let taken = match &renamed {
                    Some(new_name) if new_name.as_str() > name => tx.category(new_name).await?,
                    _ => taken,
                };
                if let (Some(new_name), Some(_)) = (&renamed, taken) {
                    return Err(Error::CategoryExists(new_name.clone()));
                }
                let patch = match &change {
                    CategoryChange::Patch(patch) => patch.clone(),
                    CategoryChange::Toggle => CategoryPatch {
                        is_active: Some(!current.is_active),
                        ..CategoryPatch::default()
                    },
                };
                let at = now();
                let mut next = current.clone();
                patch.apply_to(&mut next);
                if let Some(new_name) = &renamed {
                    next.name = new_name.clone();
                    next.id = new_name.clone();
                }
                next.updated_at = at.max(current.updated_at);
                tx.write_category(&current.name, &next)
                    .await
                    .map_err(|e| unique_to_exists(e, &next.name))?;
                if renamed.is_some() {
                    for item in tx.items_in_category(&current.name).await? {
                        let mut moved = item.clone();
                        moved.category = next.name.clone();
                        let moved = next_version(&item, moved, meta, at);
                        let audit = item_audit(Some(&item), Some(&moved), meta, at);
                        // The category's own audit row below is the one the commit needs.
                        let _moved = tx.record_item_update(&moved, &audit).await?;
                    }
                }
                let recorded = tx
                    .record(&AuditEntry::record(
                        EntityType::Category,
                        &next.name,
                        image(&current),
                        image(&next),
                        meta,
                        at,
                    ))
                    .await?;
                Ok((next, recorded))
            }
        })
        .await
    }

    /// Only a category no item uses can go.
    pub async fn delete_category(&self, name: &str, meta: &RequestMeta) -> Result<()> {
        self.write("categories.delete", || {
            async |tx| {
                let current = tx
                    .category(name)
                    .await?
                    .ok_or_else(|| Error::CategoryNotFound(name.to_string()))?;
                let count =
                    i64::try_from(tx.items_in_category(name).await?.len()).unwrap_or(i64::MAX);
                if count > 0 {
                    return Err(Error::CategoryInUse {
                        name: name.to_string(),
                        count,
                    });
                }
                tx.delete_category(name).await?;
                let recorded = tx
                    .record(&AuditEntry::record(
                        EntityType::Category,
                        name,
                        image(&current),
                        None,
                        meta,
                        now(),
                    ))
                    .await?;
                Ok(((), recorded))
            }
        })
        .await
    }
}

fn unique_to_exists(error: sqlx::Error, name: &str) -> Error {
    if shared::db::is_unique_violation(&error) {
        Error::CategoryExists(name.to_string())
    } else {
        Error::from(error)
    }
}

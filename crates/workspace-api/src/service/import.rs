//! `workspace-api import` (docs/decisions.md#d28): the original's categories, then its
//! items, each written in a transaction of its own with an `imported` audit row by the
//! actor `import`, so a run stopped anywhere leaves whole entities and a rerun carries
//! on. Keyed by the original's key (a category's slug, an item's id or the id derived
//! from it): what is already here is left alone, so a second run changes nothing. A dry
//! run takes the same steps and rolls each transaction back.

use std::collections::HashSet;

use shared::import::{ImportError, Outcome, Summary};

use super::{Workspace, image, now};
use crate::domain::audit::{AuditEntry, EntityType};
use crate::domain::category::Category;
use crate::domain::item::Item;
use crate::domain::legacy::{self, Mapped};
use crate::repo::{LegacySource, Recorded, WriteTx};

pub const CATEGORIES: &str = "categories";
pub const ITEMS: &str = "items";

impl Workspace {
    /// Imports `source` into this workspace, counting every row into `summary`.
    pub async fn import(
        &self,
        source: &LegacySource,
        dry_run: bool,
        summary: &mut Summary,
    ) -> Result<(), ImportError> {
        for note in &source.notes {
            summary.report("source", source.kind.name(), note.as_str());
        }
        summary.read(CATEGORIES, source.categories.len() as u64);
        summary.read(ITEMS, source.items.len() as u64);
        // Categories this run has seen here or brought in (a dry run writes none, so the
        // database cannot tell).
        let mut known = HashSet::new();
        let at = now();
        for (index, row) in source.categories.iter().enumerate() {
            match legacy::category(source.kind, row, index, at) {
                Err(refused) => summary.skipped(CATEGORIES, &refused.key, &refused.reason),
                Ok(mapped) => {
                    notes(summary, CATEGORIES, &mapped);
                    let done = self.import_category(&mapped.value, dry_run).await;
                    if let Some(outcome) = summary.unless_refused(CATEGORIES, &mapped.key, done)? {
                        known.insert(mapped.value.name.clone());
                        summary.record(CATEGORIES, outcome);
                    }
                }
            }
        }
        for (index, row) in source.items.iter().enumerate() {
            let mapped = match legacy::item(row, index) {
                Err(refused) => {
                    summary.skipped(ITEMS, &refused.key, &refused.reason);
                    continue;
                }
                Ok(mapped) => mapped,
            };
            let category = &mapped.value.category;
            if !known.contains(category) {
                if self.import_missing_category(category, dry_run).await? {
                    summary.created(CATEGORIES);
                    summary.report(
                        CATEGORIES,
                        category,
                        format!(
                            "item {} names it but the source has no such category: created inactive",
                            mapped.key
                        ),
                    );
                }
                known.insert(category.clone());
            }
            notes(summary, ITEMS, &mapped);
            let done = self.import_item(&mapped.value, dry_run).await;
            if let Some(outcome) = summary.unless_refused(ITEMS, &mapped.key, done)? {
                summary.record(ITEMS, outcome);
            }
        }
        Ok(())
    }

    /// A new category is created; one the migration seeded and nobody has changed since
    /// takes the original's values (its name, colour, order, activity); any other is left
    /// as it is.
    async fn import_category(
        &self,
        category: &Category,
        dry_run: bool,
    ) -> Result<Outcome, ImportError> {
        let mut tx = self.store.write().await?;
        let Some(current) = tx.category(&category.name).await? else {
            tx.insert_category(category).await?;
            let audit = AuditEntry::imported(
                EntityType::Category,
                &category.name,
                None,
                image(category),
                now(),
            );
            let recorded = tx.record(&audit).await?;
            return finish(tx, recorded, dry_run, Outcome::Created).await;
        };
        if same_category(&current, category)
            || tx.has_history(EntityType::Category, &category.name).await?
        {
            tx.roll_back().await?;
            return Ok(Outcome::AlreadyPresent);
        }
        let next = Category {
            created_at: current.created_at,
            created_by: current.created_by.clone(),
            ..category.clone()
        };
        tx.write_category(&current.name, &next).await?;
        let audit = AuditEntry::imported(
            EntityType::Category,
            &next.name,
            image(&current),
            image(&next),
            now(),
        );
        let recorded = tx.record(&audit).await?;
        finish(tx, recorded, dry_run, Outcome::Updated).await
    }

    /// Creates the category an item names when it does not exist: whether it did.
    async fn import_missing_category(
        &self,
        name: &str,
        dry_run: bool,
    ) -> Result<bool, ImportError> {
        let mut tx = self.store.write().await?;
        if tx.category(name).await?.is_some() {
            tx.roll_back().await?;
            return Ok(false);
        }
        let at = now();
        let category = legacy::missing_category(name, tx.next_display_order().await?, at);
        tx.insert_category(&category).await?;
        let audit = AuditEntry::imported(EntityType::Category, name, None, image(&category), at);
        let recorded = tx.record(&audit).await?;
        finish(tx, recorded, dry_run, Outcome::Created).await?;
        Ok(true)
    }

    async fn import_item(&self, item: &Item, dry_run: bool) -> Result<Outcome, ImportError> {
        let mut tx = self.store.write().await?;
        if tx.item(item.id).await?.is_some() {
            tx.roll_back().await?;
            return Ok(Outcome::AlreadyPresent);
        }
        let id = item.id.to_string();
        let audit = AuditEntry::imported(EntityType::Item, &id, None, image(item), now());
        let recorded = tx.record_item_insert(item, &audit).await?;
        finish(tx, recorded, dry_run, Outcome::Created).await
    }
}

fn notes<T>(summary: &mut Summary, entity: &'static str, mapped: &Mapped<T>) {
    for note in &mapped.notes {
        summary.report(entity, &mapped.key, note.as_str());
    }
}

/// What a user sees of a category (its times and creator aside).
fn same_category(a: &Category, b: &Category) -> bool {
    (
        &a.display_name,
        &a.description,
        &a.color,
        &a.icon,
        a.display_order,
        a.is_active,
    ) == (
        &b.display_name,
        &b.description,
        &b.color,
        &b.icon,
        b.display_order,
        b.is_active,
    )
}

/// Commits the entity's transaction, or rolls it back in a dry run.
async fn finish(
    tx: WriteTx,
    recorded: Recorded,
    dry_run: bool,
    outcome: Outcome,
) -> Result<Outcome, ImportError> {
    if dry_run {
        drop(recorded);
        tx.roll_back().await?;
    } else {
        tx.commit(recorded).await?;
    }
    Ok(outcome)
}

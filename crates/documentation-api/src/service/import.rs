//! `documentation-api import` (docs/decisions.md#d28): the original's systems, ideas,
//! files (with their bytes) and audit rows, in that order so that references find what
//! they name. Each entity is written in a transaction of its own with an `imported`
//! audit row by the actor `import` (the original's audit rows are history themselves and
//! carry none); keyed by the original id, so what is already here is left alone and a
//! rerun carries on where a stopped run ended. A dry run only looks.

use shared::import::{ImportError, Outcome, Summary};

use super::{Documentation, image};
use crate::domain::audit::AuditEntry;
use crate::domain::legacy::{self, IdMap, LegacyAudit, Mapped};
use crate::domain::{Entity, now};
use crate::repo::{LegacyDocs, Recorded, WriteTx};

pub const SYSTEMS: &str = "systems";
pub const IDEAS: &str = "ideas";
pub const FILES: &str = "files";
pub const AUDIT: &str = "audit_log";

impl Documentation {
    pub async fn import(
        &self,
        source: &LegacyDocs,
        dry_run: bool,
        summary: &mut Summary,
    ) -> Result<(), ImportError> {
        for note in &source.notes {
            summary.report("source", "postgresql", note.as_str());
        }
        summary.read(SYSTEMS, source.systems.len() as u64);
        summary.read(IDEAS, source.ideas.len() as u64);
        summary.read(FILES, source.files.len() as u64);
        summary.read(AUDIT, source.audit.len() as u64);
        let (mut systems, mut ideas, mut files) = (IdMap::new(), IdMap::new(), IdMap::new());
        for (index, row) in source.systems.iter().enumerate() {
            match legacy::system(row, index, &mut systems) {
                Err(refused) => summary.skipped(SYSTEMS, &refused.key, &refused.reason),
                Ok(mapped) => {
                    let key = mapped.key.clone();
                    let done = self.import_system(mapped, dry_run, summary).await;
                    if let Some(outcome) = summary.unless_refused(SYSTEMS, &key, done)? {
                        summary.record(SYSTEMS, outcome);
                    }
                }
            }
        }
        for (index, row) in source.ideas.iter().enumerate() {
            match legacy::idea(row, index, &systems, &mut ideas) {
                Err(refused) => summary.skipped(IDEAS, &refused.key, &refused.reason),
                Ok(mapped) => {
                    notes(summary, IDEAS, &mapped);
                    let done = self
                        .import_entity(Entity::Idea, &mapped, dry_run, async |tx| {
                            tx.insert_idea(&mapped.value).await
                        })
                        .await;
                    if let Some(outcome) = summary.unless_refused(IDEAS, &mapped.key, done)? {
                        summary.record(IDEAS, outcome);
                    }
                }
            }
        }
        for (index, row) in source.files.iter().enumerate() {
            let key = shared::import::field(row, &["id"]).and_then(shared::import::legacy_id);
            let path = row.get("file_path").and_then(|p| p.as_str());
            let content = match &key {
                Some(key) => source.content(key, path).await?,
                None => None,
            };
            let Some(content) = content else {
                let key = key.unwrap_or_else(|| format!("#{}", index + 1));
                summary.skipped(
                    FILES,
                    &key,
                    "no bytes: no content, and file_path not readable here",
                );
                continue;
            };
            match legacy::file(row, index, &content, (&ideas, &systems), &mut files) {
                Err(refused) => summary.skipped(FILES, &refused.key, &refused.reason),
                Ok(mapped) => {
                    notes(summary, FILES, &mapped);
                    let done = self
                        .import_entity(Entity::File, &mapped, dry_run, async |tx| {
                            tx.insert_file(&mapped.value, &content).await
                        })
                        .await;
                    if let Some(outcome) = summary.unless_refused(FILES, &mapped.key, done)? {
                        summary.record(FILES, outcome);
                    }
                }
            }
        }
        let ids: IdMap = systems.into_iter().chain(ideas).chain(files).collect();
        for (index, row) in source.audit.iter().enumerate() {
            match legacy::audit(row, index, &ids) {
                Err(refused) => summary.skipped(AUDIT, &refused.key, &refused.reason),
                Ok(mapped) => {
                    notes(summary, AUDIT, &mapped);
                    let done = self.import_audit(&mapped.value, dry_run).await;
                    if let Some(outcome) = summary.unless_refused(AUDIT, &mapped.key, done)? {
                        summary.record(AUDIT, outcome);
                    }
                }
            }
        }
        Ok(())
    }

    /// A system; one whose name another system holds here takes the name with its old
    /// id's start appended (names are unique here, not in the original), and says so.
    async fn import_system(
        &self,
        mut mapped: Mapped<crate::domain::system::System>,
        dry_run: bool,
        summary: &mut Summary,
    ) -> Result<Outcome, ImportError> {
        let mut tx = self.store.write().await?;
        if tx.system(mapped.value.id).await?.is_some() {
            tx.roll_back().await?;
            return Ok(Outcome::AlreadyPresent);
        }
        if tx.system_named(&mapped.value.name).await?.is_some() {
            let short: String = mapped.key.chars().take(8).collect();
            let renamed = format!("{} ({short})", mapped.value.name);
            mapped.notes.push(format!(
                "another system is named {:?}: imported as {renamed:?}, original kept",
                mapped.value.name
            ));
            let metadata = mapped.value.metadata.get_or_insert_with(Default::default);
            let legacy = metadata
                .entry("legacy")
                .or_insert_with(|| serde_json::json!({}));
            if let Some(legacy) = legacy.as_object_mut() {
                legacy.insert("name".into(), serde_json::json!(mapped.value.name));
            }
            mapped
                .legacy
                .insert("name".into(), serde_json::json!(mapped.value.name));
            mapped.value.name = renamed;
        }
        notes(summary, SYSTEMS, &mapped);
        if dry_run {
            tx.roll_back().await?;
            return Ok(Outcome::Created);
        }
        tx.insert_system(&mapped.value).await?;
        let recorded = record(&mut tx, Entity::System, &mapped).await?;
        tx.commit(recorded).await?;
        Ok(Outcome::Created)
    }

    /// An idea or a file: created unless its id is here already.
    async fn import_entity<T: serde::Serialize + HasId>(
        &self,
        entity: Entity,
        mapped: &Mapped<T>,
        dry_run: bool,
        insert: impl AsyncFnOnce(&mut WriteTx) -> sqlx::Result<()>,
    ) -> Result<Outcome, ImportError> {
        let mut tx = self.store.write().await?;
        let id = mapped.value.id();
        let present = match entity {
            Entity::Idea => tx.idea(id).await?.is_some(),
            Entity::File => tx.file(id).await?.is_some(),
            Entity::System => tx.system(id).await?.is_some(),
        };
        if present || dry_run {
            tx.roll_back().await?;
            return Ok(if present {
                Outcome::AlreadyPresent
            } else {
                Outcome::Created
            });
        }
        insert(&mut tx).await?;
        let recorded = record(&mut tx, entity, mapped).await?;
        tx.commit(recorded).await?;
        Ok(Outcome::Created)
    }

    /// One of the original's audit rows, as it was.
    async fn import_audit(&self, row: &LegacyAudit, dry_run: bool) -> Result<Outcome, ImportError> {
        let mut tx = self.store.write().await?;
        let present = tx.audit_exists(row.id).await?;
        if present || dry_run {
            tx.roll_back().await?;
            return Ok(if present {
                Outcome::AlreadyPresent
            } else {
                Outcome::Created
            });
        }
        let entry = AuditEntry {
            id: row.id,
            entity_type: row.entity,
            entity_id: row.entity_id.clone(),
            action: row.action,
            user_id: row.user_id.clone(),
            changes: row.changes.clone(),
            ip_address: row.ip_address.clone(),
            user_agent: row.user_agent.clone(),
            request_id: None,
            created_at: row.created_at,
        };
        let recorded = tx.record(&entry).await?;
        tx.commit(recorded).await?;
        Ok(Outcome::Created)
    }
}

/// The entities an import writes, by their id.
pub trait HasId {
    fn id(&self) -> uuid::Uuid;
}

impl HasId for crate::domain::idea::Idea {
    fn id(&self) -> uuid::Uuid {
        self.id
    }
}

impl HasId for crate::domain::file::File {
    fn id(&self) -> uuid::Uuid {
        self.id
    }
}

impl HasId for crate::domain::system::System {
    fn id(&self) -> uuid::Uuid {
        self.id
    }
}

/// The `imported` audit row of an entity just written.
async fn record<T: serde::Serialize + HasId>(
    tx: &mut WriteTx,
    entity: Entity,
    mapped: &Mapped<T>,
) -> sqlx::Result<Recorded> {
    let audit = AuditEntry::imported(
        entity,
        mapped.value.id(),
        image(&mapped.value),
        &mapped.legacy,
        now(),
    );
    tx.record(&audit).await
}

fn notes<T>(summary: &mut Summary, entity: &'static str, mapped: &Mapped<T>) {
    for note in &mapped.notes {
        summary.report(entity, &mapped.key, note.as_str());
    }
}

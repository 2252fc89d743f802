//! Systems: create, update and delete with their audit rows; names unique whatever
//! their case.

use uuid::Uuid;

use super::{Change, Documentation, image};
use crate::domain::audit::{Action, AuditEntry, RequestMeta};
use crate::domain::system::{System, SystemPatch, SystemQuery, SystemStats, SystemStatus};
use crate::domain::{Entity, new_id, now};
use crate::error::{Error, Result};

/// What a health check found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HealthReport {
    pub status: SystemStatus,
    pub message: String,
    pub response_time_ms: Option<i64>,
    pub http_status: Option<i64>,
    #[serde(serialize_with = "shared::time::serde_millis::option::serialize")]
    pub last_checked: Option<chrono::DateTime<chrono::Utc>>,
}

impl Documentation {
    pub async fn systems(&self, query: &SystemQuery) -> Result<(Vec<System>, i64)> {
        Ok(self.store.systems(query).await?)
    }

    pub async fn system(&self, id: Uuid) -> Result<System> {
        self.store
            .system(id)
            .await?
            .ok_or(Error::NotFound(Entity::System))
    }

    pub async fn system_stats(&self) -> Result<SystemStats> {
        Ok(self.store.system_stats().await?)
    }

    pub async fn create_system(&self, patch: SystemPatch, meta: &RequestMeta) -> Result<System> {
        let at = now();
        let system = patch.into_system(new_id(), &meta.actor, at);
        self.write("systems.create", || {
            async |tx| {
                tx.insert_system(&system)
                    .await
                    .map_err(|e| duplicate_name(e, &system.name))?;
                let audit = AuditEntry::record(
                    Entity::System,
                    system.id,
                    Action::Create,
                    None,
                    Some(image(&system)),
                    meta,
                    at,
                );
                Ok(Change::Made(system.clone(), tx.record(&audit).await?))
            }
        })
        .await
    }

    pub async fn update_system(
        &self,
        id: Uuid,
        patch: SystemPatch,
        meta: &RequestMeta,
    ) -> Result<System> {
        self.write("systems.update", || {
            async |tx| {
                let current = tx
                    .system(id)
                    .await?
                    .ok_or(Error::NotFound(Entity::System))?;
                let mut next = current.clone();
                patch.clone().apply_to(&mut next);
                if next == current {
                    return Ok(Change::None(current));
                }
                let at = now();
                next.updated_at = at.max(current.updated_at);
                next.updated_by = Some(meta.actor.clone());
                tx.update_system(&next)
                    .await
                    .map_err(|e| duplicate_name(e, &next.name))?;
                let audit =
                    AuditEntry::update(Entity::System, id, image(&current), image(&next), meta, at);
                Ok(Change::Made(next, tx.record(&audit).await?))
            }
        })
        .await
    }

    /// Deletes the system; its ideas and files stay, with their link cleared.
    pub async fn delete_system(&self, id: Uuid, meta: &RequestMeta) -> Result<()> {
        self.write("systems.delete", || {
            async |tx| {
                let current = tx
                    .system(id)
                    .await?
                    .ok_or(Error::NotFound(Entity::System))?;
                tx.delete_system(id).await?;
                let audit = AuditEntry::delete(Entity::System, id, image(&current), meta, now());
                Ok(Change::Made((), tx.record(&audit).await?))
            }
        })
        .await
    }
}

fn duplicate_name(error: sqlx::Error, name: &str) -> Error {
    if shared::db::is_unique_violation(&error) {
        Error::DuplicateName(name.to_string())
    } else {
        Error::from(error)
    }
}

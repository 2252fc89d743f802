//! Audit rows: every item and category change, written in the change's transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Updated,
    Deleted,
    StatusChanged,
    /// Written by `workspace-api import` for each row it brings over from an original.
    Imported,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Deleted => "deleted",
            Action::StatusChanged => "status_changed",
            Action::Imported => "imported",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Action::Created,
            Action::Updated,
            Action::Deleted,
            Action::StatusChanged,
            Action::Imported,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    Item,
    Category,
}

impl EntityType {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Item => "item",
            EntityType::Category => "category",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "item" => Some(EntityType::Item),
            "category" => Some(EntityType::Category),
            _ => None,
        }
    }
}

pub use shared::middleware::RequestMeta;

/// Filters of `GET /api/audit`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<EntityType>,
    pub entity_id: Option<String>,
    pub action: Option<Action>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: uuid::Uuid,
    pub entity_type: EntityType,
    pub entity_id: String,
    pub action: Action,
    pub old_values: Option<Value>,
    pub new_values: Option<Value>,
    pub changed_fields: Vec<String>,
    pub actor: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    #[serde(with = "shared::time::serde_millis")]
    pub changed_at: DateTime<Utc>,
}

impl AuditEntry {
    /// An entry for a change from `old` to `new` (JSON images of the entity).
    pub fn record(
        entity_type: EntityType,
        entity_id: &str,
        old: Option<Value>,
        new: Option<Value>,
        meta: &RequestMeta,
        at: DateTime<Utc>,
    ) -> Self {
        let changed_fields = changed_fields(old.as_ref(), new.as_ref());
        let action = match (&old, &new) {
            (None, _) => Action::Created,
            (_, None) => Action::Deleted,
            // A drag between kanban columns: only the status moved.
            _ if changed_fields == ["status"] => Action::StatusChanged,
            _ => Action::Updated,
        };
        Self {
            id: uuid::Uuid::now_v7(),
            entity_type,
            entity_id: entity_id.to_string(),
            action,
            old_values: old,
            new_values: new,
            changed_fields,
            actor: meta.actor.clone(),
            ip_address: meta.ip_address.clone(),
            user_agent: meta.user_agent.clone(),
            request_id: meta.request_id.clone(),
            changed_at: at,
        }
    }
}

/// The actor of every row `import` writes.
pub const IMPORT_ACTOR: &str = "import";

impl AuditEntry {
    /// The row of an entity brought over from an original (`old`: what an update by the
    /// import replaced), written by the actor `import`.
    pub fn imported(
        entity_type: EntityType,
        entity_id: &str,
        old: Option<Value>,
        new: Option<Value>,
        at: DateTime<Utc>,
    ) -> Self {
        let meta = RequestMeta {
            actor: IMPORT_ACTOR.to_string(),
            ..Default::default()
        };
        Self {
            action: Action::Imported,
            ..Self::record(entity_type, entity_id, old, new, &meta, at)
        }
    }
}

/// Server-maintained stamps that change with every write and say nothing on their own.
const STAMPS: [&str; 3] = ["updatedAt", "updatedBy", "updated_at"];

fn changed_fields(old: Option<&Value>, new: Option<&Value>) -> Vec<String> {
    shared::audit::changed_fields(old, new, &STAMPS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_only_moves_are_status_changed() {
        let meta = RequestMeta {
            actor: "a".into(),
            ..Default::default()
        };
        let now = Utc::now();
        let old = json!({"status": "new", "title": "t", "updatedAt": "1"});
        let moved = AuditEntry::record(
            EntityType::Item,
            "1",
            Some(old.clone()),
            Some(json!({"status": "review", "title": "t", "updatedAt": "2"})),
            &meta,
            now,
        );
        assert_eq!(moved.action, Action::StatusChanged);
        assert_eq!(moved.changed_fields, ["status"]);
        let edited = AuditEntry::record(
            EntityType::Item,
            "1",
            Some(old.clone()),
            Some(json!({"status": "review", "title": "u", "updatedAt": "2"})),
            &meta,
            now,
        );
        assert_eq!(edited.action, Action::Updated);
        assert_eq!(
            AuditEntry::record(EntityType::Item, "1", None, Some(old.clone()), &meta, now).action,
            Action::Created
        );
        assert_eq!(
            AuditEntry::record(EntityType::Item, "1", Some(old), None, &meta, now).action,
            Action::Deleted
        );
    }
}

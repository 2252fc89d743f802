//! The original's own audit rows, kept as history.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::import::{field, legacy_uuid};
use uuid::Uuid;

use super::row::Row;
use super::{IdMap, Mapped, Refused};
use crate::domain::Entity;
use crate::domain::audit::Action;

/// One of the original's own audit rows, kept as history: its entity's id follows the
/// entity's, an action outside ours becomes `update` with the original kept in `changes`.
pub struct LegacyAudit {
    pub id: Uuid,
    pub entity: Entity,
    pub entity_id: String,
    pub action: Action,
    pub user_id: String,
    pub changes: Option<Value>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub fn audit(raw: &Value, index: usize, ids: &IdMap) -> Result<Mapped<LegacyAudit>, Refused> {
    let mut row = Row::new(raw, index);
    let created_at = row.created_at()?;
    let Some(entity) = row
        .text("entity_type")
        .and_then(|t| Entity::parse(t.to_lowercase().trim_end_matches('s')))
    else {
        return row.refuse("audit row of an entity other than system, idea or file");
    };
    let Some(old_entity) = row.text("entity_id") else {
        return row.refuse("audit row without an entity id");
    };
    let entity_id = ids.get(&old_entity).map_or(old_entity, Uuid::to_string);
    let text = row.text("action").unwrap_or_default();
    let aliases = [
        ("created", "create"),
        ("updated", "update"),
        ("deleted", "delete"),
        ("status_changed", "status_change"),
    ];
    let name = aliases
        .iter()
        .find(|(a, _)| *a == text)
        .map_or(text.as_str(), |(_, ours)| *ours);
    let action = Action::parse(&name.to_lowercase()).unwrap_or_else(|| {
        row.keep(
            "action",
            json!(text.clone()),
            "is not one of ours: update used",
        );
        Action::Update
    });
    let mut changes = field(raw, &["changes"]).cloned();
    let key = row.key.clone();
    let id = match Uuid::parse_str(&key) {
        Ok(uuid) if !uuid.is_nil() => uuid,
        _ => {
            row.legacy.insert("legacyId".into(), json!(key));
            legacy_uuid("documentation-audit", &key, created_at)
        }
    };
    if !row.legacy.is_empty() {
        changes = Some(json!({"original": changes, "legacy": row.legacy}));
    }
    let entry = LegacyAudit {
        id,
        entity,
        entity_id,
        action,
        user_id: row.text("user_id").unwrap_or_else(|| "anonymous".into()),
        changes,
        ip_address: row.text("ip_address"),
        user_agent: row.text("user_agent"),
        created_at,
    };
    Ok(row.done(entry))
}

//! Audit rows: one per create, update, delete, download and status change, written in
//! the transaction of the change it records.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use shared::ApiError;
use shared::extract::QueryPairs;
use shared::query::QueryFields;
use uuid::Uuid;

pub use shared::middleware::RequestMeta;

use super::Entity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    Download,
    StatusChange,
    /// Written by `documentation-api import` for each row it brings over from the original.
    Imported,
}

impl Action {
    pub const ALL: [Self; 6] = [
        Self::Create,
        Self::Update,
        Self::Delete,
        Self::Download,
        Self::StatusChange,
        Self::Imported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Download => "download",
            Self::StatusChange => "status_change",
            Self::Imported => "imported",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// The actor of every row `import` writes.
pub const IMPORT_ACTOR: &str = "import";

/// Stamps that change with every write and say nothing on their own.
const STAMPS: [&str; 2] = ["updated_at", "updated_by"];

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    #[serde(serialize_with = "entity_name")]
    pub entity_type: Entity,
    pub entity_id: String,
    pub action: Action,
    pub user_id: String,
    /// `{before, after, fields}`: the images of the entity around the change (never a
    /// file's bytes) and the fields it touched.
    pub changes: Option<Value>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    #[serde(with = "shared::time::serde_millis")]
    pub created_at: DateTime<Utc>,
}

fn entity_name<S: serde::Serializer>(entity: &Entity, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(entity.name())
}

impl AuditEntry {
    /// The row of `action` on an entity, from its JSON images before and after.
    pub fn record(
        entity: Entity,
        entity_id: Uuid,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
        meta: &RequestMeta,
        at: DateTime<Utc>,
    ) -> Self {
        let fields = shared::audit::changed_fields(before.as_ref(), after.as_ref(), &STAMPS);
        let changes = (before.is_some() || after.is_some())
            .then(|| json!({"before": before, "after": after, "fields": fields}));
        Self {
            id: Uuid::now_v7(),
            entity_type: entity,
            entity_id: entity_id.to_string(),
            action,
            user_id: meta.actor.clone(),
            changes,
            ip_address: meta.ip_address.clone(),
            user_agent: meta.user_agent.clone(),
            request_id: meta.request_id.clone(),
            created_at: at,
        }
    }

    /// The row of an entity brought over from the original by the actor `import`:
    /// `changes` holds its image and, under `legacy`, what of the original did not map.
    pub fn imported(
        entity: Entity,
        entity_id: Uuid,
        after: Value,
        legacy: &serde_json::Map<String, Value>,
        at: DateTime<Utc>,
    ) -> Self {
        let meta = RequestMeta {
            actor: IMPORT_ACTOR.to_string(),
            ..Default::default()
        };
        let mut entry = Self::record(
            entity,
            entity_id,
            Action::Imported,
            None,
            Some(after),
            &meta,
            at,
        );
        if let (false, Some(Value::Object(changes))) = (legacy.is_empty(), entry.changes.as_mut()) {
            changes.insert("legacy".into(), Value::Object(legacy.clone()));
        }
        entry
    }

    /// The row of an update: a status change when the status is the only field it
    /// touched, an update otherwise.
    pub fn update(
        entity: Entity,
        entity_id: Uuid,
        before: Value,
        after: Value,
        meta: &RequestMeta,
        at: DateTime<Utc>,
    ) -> Self {
        let fields = shared::audit::changed_fields(Some(&before), Some(&after), &STAMPS);
        let action = if fields == ["status"] {
            Action::StatusChange
        } else {
            Action::Update
        };
        Self::record(
            entity,
            entity_id,
            action,
            Some(before),
            Some(after),
            meta,
            at,
        )
    }

    /// The row of a delete: the entity as it was.
    pub fn delete(
        entity: Entity,
        entity_id: Uuid,
        before: Value,
        meta: &RequestMeta,
        at: DateTime<Utc>,
    ) -> Self {
        Self::record(
            entity,
            entity_id,
            Action::Delete,
            Some(before),
            None,
            meta,
            at,
        )
    }
}

/// `GET /api/v1/audit`'s filters, echoed back as `filters`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "shared::time::serde_millis::option::serialize"
    )]
    pub from: Option<DateTime<Utc>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "shared::time::serde_millis::option::serialize"
    )]
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

impl AuditFilter {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 1000;

    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let keys = [
            "entity_type",
            "entity_id",
            "action",
            "user_id",
            "from",
            "to",
            "limit",
            "offset",
        ];
        let mut q = QueryFields::new(query, &keys);
        let entity_type = q
            .one_of("entity_type", &["system", "idea", "file"])
            .and_then(|e| Entity::parse(&e))
            .map(Entity::name);
        let action = q
            .one_of("action", &Action::ALL.map(Action::as_str))
            .and_then(|a| Action::parse(&a));
        let filter = Self {
            entity_type,
            entity_id: q.text("entity_id", 100),
            action,
            user_id: q.text("user_id", 100),
            from: q.time("from"),
            to: q.time("to"),
            limit: q
                .integer("limit", 1..=Self::MAX_LIMIT)
                .unwrap_or(Self::DEFAULT_LIMIT),
            offset: q.integer("offset", 0..=i64::MAX).unwrap_or(0),
        };
        q.finish()?;
        Ok(filter)
    }
}

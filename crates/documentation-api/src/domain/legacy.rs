//! The original's rows (its Prisma tables `documentation_systems`, `_ideas`, `_files`,
//! `_audit_log`) as our systems, ideas, files and audit rows (docs/decisions.md#d28).
//! Each row arrives as a JSON object of its columns. A value that does not map onto our
//! vocabularies takes our default and is kept: in `metadata.legacy` for systems, and
//! for every entity in its `imported` audit row (`changes.legacy`); each is reported.
//! Nothing here reads or writes storage.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use shared::import::{field, legacy_id, legacy_time, legacy_uuid};
use uuid::Uuid;

use super::audit::Action;
use super::file::File;
use super::file_type;
use super::idea::{Idea, IdeaCategory, IdeaPriority, IdeaStatus};
use super::system::{System, SystemStatus, SystemType};
use super::Entity;

/// A row that became ours: its original id, what did not map (kept in `legacy`, each
/// said in `notes`).
#[derive(Debug, Clone)]
pub struct Mapped<T> {
    pub value: T,
    pub key: String,
    pub legacy: Map<String, Value>,
    pub notes: Vec<String>,
}

/// A row that cannot become ours: its id (as far as it has one) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub key: String,
    pub reason: String,
}

/// The ids given to the original's rows so far, by their old id: references between
/// them (an idea's system, a file's idea) follow.
pub type IdMap = HashMap<String, Uuid>;

/// Reading one row: its key, and what of it did not map.
struct Row<'a> {
    row: &'a Value,
    key: String,
    legacy: Map<String, Value>,
    notes: Vec<String>,
}

impl<'a> Row<'a> {
    fn new(row: &'a Value, index: usize) -> Self {
        let key = field(row, &["id"])
            .and_then(legacy_id)
            .unwrap_or_else(|| format!("#{}", index + 1));
        Self {
            row,
            key,
            legacy: Map::new(),
            notes: Vec::new(),
        }
    }

    fn refuse<T>(&self, reason: &str) -> Result<T, Refused> {
        Err(Refused {
            key: self.key.clone(),
            reason: reason.to_string(),
        })
    }

    fn text(&self, key: &str) -> Option<String> {
        match field(self.row, &[key])? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn time(&self, key: &str) -> Option<DateTime<Utc>> {
        field(self.row, &[key]).and_then(legacy_time)
    }

    /// A whole number, or none (and the value kept) when it is something else.
    fn int(&mut self, key: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        let value = field(self.row, &[key])?;
        match value.as_i64().filter(|n| range.contains(n)) {
            Some(n) => Some(n),
            None => {
                self.keep(key, value.clone(), "is not a whole number in range: left empty");
                None
            }
        }
    }

    fn keep(&mut self, key: &str, value: Value, what: &str) {
        self.notes.push(format!("{key} {value} {what}, original kept"));
        self.legacy.insert(key.to_string(), value);
    }

    /// An enum value, or `default` (and the original kept).
    fn one_of<T: Copy>(&mut self, key: &str, parse: fn(&str) -> Option<T>, default: T) -> T {
        match self.text(key) {
            None => default,
            Some(text) => parse(&text).unwrap_or_else(|| {
                self.keep(key, json!(text), "is not one of ours: the default used");
                default
            }),
        }
    }

    /// When it was created: `created_at`, else the designated timestamp, else `updated_at`.
    fn created_at(&self) -> Result<DateTime<Utc>, Refused> {
        match self
            .time("created_at")
            .or_else(|| self.time("designated_timestamp"))
            .or_else(|| self.time("updated_at"))
        {
            Some(at) => Ok(at),
            None => self.refuse("no creation time"),
        }
    }

    /// Its UUID kept, or (an id of another form) a UUIDv7 of its creation time derived
    /// from it, the old id kept.
    fn id(&mut self, entity: Entity, created_at: DateTime<Utc>, ids: &mut IdMap) -> Uuid {
        let id = match Uuid::parse_str(&self.key) {
            Ok(uuid) if !uuid.is_nil() => uuid,
            _ => {
                self.legacy.insert("legacyId".into(), json!(self.key));
                legacy_uuid(&format!("documentation-{}", entity.name()), &self.key, created_at)
            }
        };
        ids.insert(self.key.clone(), id);
        id
    }

    /// A reference to a row imported before (`ids`), or none (and the old id kept).
    fn reference(&mut self, key: &str, ids: &IdMap) -> Option<Uuid> {
        let old = field(self.row, &[key]).and_then(legacy_id)?;
        let found = ids.get(&old).copied();
        if found.is_none() {
            self.keep(key, json!(old), "names nothing the source holds: left empty");
        }
        found
    }

    fn tags(&mut self) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        let mut push = |tag: &str| {
            let tag = tag.trim();
            if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_string());
            }
        };
        match field(self.row, &["tags"]) {
            None => {}
            Some(Value::Array(values)) => values.iter().for_each(|v| match v {
                Value::String(s) => push(s.as_str()),
                Value::Null => {}
                other => push(&other.to_string()),
            }),
            Some(Value::String(s)) => s.split(',').for_each(&mut push),
            Some(other) => {
                let other = other.clone();
                self.keep("tags", other, "is not a list: no tags");
            }
        }
        tags
    }

    fn done<T>(self, value: T) -> Mapped<T> {
        Mapped {
            value,
            key: self.key,
            legacy: self.legacy,
            notes: self.notes,
        }
    }
}

pub fn system(raw: &Value, index: usize, ids: &mut IdMap) -> Result<Mapped<System>, Refused> {
    let mut row = Row::new(raw, index);
    let created_at = row.created_at()?;
    let Some(name) = row.text("name").map(|n| n.trim().to_string()).filter(|n| !n.is_empty())
    else {
        return row.refuse("system without a name");
    };
    let system_type = row.one_of("type", SystemType::parse, SystemType::Tool);
    let status = row.one_of("status", SystemStatus::parse, SystemStatus::Unknown);
    let mut metadata = match field(raw, &["metadata"]) {
        None => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(other) => {
            let other = other.clone();
            row.keep("metadata", other, "is not an object");
            None
        }
    };
    let port = row.int("port", 1..=65535);
    let response_time_ms = row.int("response_time_ms", 0..=i64::MAX);
    let tags = row.tags();
    let id = row.id(Entity::System, created_at, ids);
    if !row.legacy.is_empty() {
        let m = metadata.get_or_insert_with(Map::new);
        if let Some(old) = row.legacy.get("legacyId") {
            m.insert("legacyId".into(), old.clone());
        }
        let rest: Map<String, Value> =
            row.legacy.iter().filter(|(k, _)| *k != "legacyId").map(|(k, v)| (k.clone(), v.clone())).collect();
        if !rest.is_empty() {
            m.insert("legacy".into(), Value::Object(rest));
        }
    }
    let system = System {
        id,
        name,
        description: row.text("description"),
        system_type,
        url: row.text("url"),
        status,
        last_checked: row.time("last_checked"),
        response_time_ms,
        last_http_status: None,
        last_message: None,
        version: row.text("version"),
        owner: row.text("owner"),
        tags,
        metadata,
        icon: row.text("icon"),
        color: row.text("color"),
        host: row.text("host"),
        port,
        created_by: row.text("created_by"),
        updated_by: None,
        updated_at: row.time("updated_at").unwrap_or(created_at).max(created_at),
        created_at,
    };
    Ok(row.done(system))
}

/// `systems`: the ids given to the source's systems.
pub fn idea(
    raw: &Value,
    index: usize,
    systems: &IdMap,
    ids: &mut IdMap,
) -> Result<Mapped<Idea>, Refused> {
    let mut row = Row::new(raw, index);
    let created_at = row.created_at()?;
    let Some(title) = row.text("title").map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
    else {
        return row.refuse("idea without a title");
    };
    let status = row.one_of("status", IdeaStatus::parse, IdeaStatus::Backlog);
    let category = row.one_of("category", IdeaCategory::parse, IdeaCategory::Improvement);
    let priority = row.one_of("priority", IdeaPriority::parse, IdeaPriority::Medium);
    let system_id = row.reference("system_id", systems);
    let estimated_hours = row.int("estimated_hours", 0..=i64::MAX);
    let actual_hours = row.int("actual_hours", 0..=i64::MAX);
    let tags = row.tags();
    let id = row.id(Entity::Idea, created_at, ids);
    let idea = Idea {
        id,
        title,
        description: row.text("description"),
        status,
        category,
        priority,
        assigned_to: row.text("assigned_to"),
        created_by: row.text("created_by").unwrap_or_else(|| "anonymous".into()),
        updated_by: None,
        system_id,
        tags,
        estimated_hours,
        actual_hours,
        due_date: row.time("due_date"),
        completed_at: row.time("completed_at"),
        updated_at: row.time("updated_at").unwrap_or(created_at).max(created_at),
        created_at,
    };
    Ok(row.done(idea))
}

/// A file and its bytes (`content`: the original's BYTEA, or what its `file_path`
/// held). Bytes of a type we would refuse on upload are kept, with the original's type.
pub fn file(
    raw: &Value,
    index: usize,
    content: &[u8],
    parents: (&IdMap, &IdMap),
    ids: &mut IdMap,
) -> Result<Mapped<File>, Refused> {
    let (ideas, systems) = parents;
    let mut row = Row::new(raw, index);
    let created_at = row.created_at()?;
    let original_name = file_type::clean_name(
        &row.text("original_name").or_else(|| row.text("filename")).unwrap_or_default(),
    );
    let idea_id = row.reference("idea_id", ideas);
    let system_id = row.reference("system_id", systems);
    let id = row.id(Entity::File, created_at, ids);
    let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
    if let Some(declared) = field(raw, &["size_bytes"]).and_then(Value::as_i64)
        && declared != size
    {
        row.keep("size_bytes", json!(declared), "differs from the bytes' length");
    }
    let checksum = crate::domain::file::checksum(content);
    if let Some(old) = row.text("checksum").filter(|c| !c.is_empty() && *c != checksum) {
        row.keep("checksum", json!(old), "is not the bytes' SHA-256");
    }
    if let Some(path) = row.text("file_path") {
        row.legacy.insert("file_path".into(), json!(path));
    }
    let (filename, mime_type) = match file_type::classify(&original_name, content) {
        Ok(kind) => (file_type::stored_name(id, &original_name, kind), kind.mime.to_string()),
        Err(refusal) => {
            let mime = row.text("mime_type").unwrap_or_else(|| "application/octet-stream".into());
            row.notes.push(format!("{}: kept as {mime}", refusal.message()));
            let ext = file_type::extension(&original_name).unwrap_or_else(|| "bin".into());
            (format!("{id}.{ext}"), mime)
        }
    };
    let file = File {
        id,
        filename,
        original_name,
        mime_type,
        size_bytes: size,
        description: row.text("description"),
        idea_id,
        system_id,
        uploaded_by: row.text("uploaded_by").unwrap_or_else(|| "anonymous".into()),
        is_public: field(raw, &["is_public"]).and_then(Value::as_bool).unwrap_or(false),
        download_count: field(raw, &["download_count"]).and_then(Value::as_i64).unwrap_or(0).max(0),
        checksum,
        updated_at: row.time("updated_at").unwrap_or(created_at).max(created_at),
        created_at,
    };
    Ok(row.done(file))
}

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
    let aliases = [("created", "create"), ("updated", "update"), ("deleted", "delete"),
        ("status_changed", "status_change")];
    let name = aliases.iter().find(|(a, _)| *a == text).map_or(text.as_str(), |(_, ours)| *ours);
    let action = Action::parse(&name.to_lowercase()).unwrap_or_else(|| {
        row.keep("action", json!(text.clone()), "is not one of ours: update used");
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

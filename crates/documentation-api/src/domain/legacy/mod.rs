//! The original's rows (its Prisma tables `documentation_systems`, `_ideas`, `_files`,
//! `_audit_log`) as our systems, ideas, files and audit rows (docs/decisions.md#d28).
//! Each row arrives as a JSON object of its columns. A value that does not map onto our
//! vocabularies takes our default and is kept: in `metadata.legacy` for systems, and
//! for every entity in its `imported` audit row (`changes.legacy`); each is reported.
//! Nothing here reads or writes storage.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use shared::import::field;
use uuid::Uuid;

use super::Entity;
use super::file::File;
use super::file_type;
use super::idea::{Idea, IdeaCategory, IdeaPriority, IdeaStatus};
use super::system::{System, SystemStatus, SystemType};

mod audit;
mod row;
pub use audit::{LegacyAudit, audit};
use row::Row;

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

pub fn system(raw: &Value, index: usize, ids: &mut IdMap) -> Result<Mapped<System>, Refused> {
    let mut row = Row::new(raw, index);
    let created_at = row.created_at()?;
    let Some(name) = row
        .text("name")
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
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
        let rest: Map<String, Value> = row
            .legacy
            .iter()
            .filter(|(k, _)| *k != "legacyId")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
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
    let Some(title) = row
        .text("title")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
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
        &row.text("original_name")
            .or_else(|| row.text("filename"))
            .unwrap_or_default(),
    );
    let idea_id = row.reference("idea_id", ideas);
    let system_id = row.reference("system_id", systems);
    let id = row.id(Entity::File, created_at, ids);
    let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
    if let Some(declared) = field(raw, &["size_bytes"]).and_then(Value::as_i64)
        && declared != size
    {
        row.keep(
            "size_bytes",
            json!(declared),
            "differs from the bytes' length",
        );
    }
    let checksum = crate::domain::file::checksum(content);
    if let Some(old) = row
        .text("checksum")
        .filter(|c| !c.is_empty() && *c != checksum)
    {
        row.keep("checksum", json!(old), "is not the bytes' SHA-256");
    }
    if let Some(path) = row.text("file_path") {
        row.legacy.insert("file_path".into(), json!(path));
    }
    let (filename, mime_type) = match file_type::classify(&original_name, content) {
        Ok(kind) => (
            file_type::stored_name(id, &original_name, kind),
            kind.mime.to_string(),
        ),
        Err(refusal) => {
            let mime = row
                .text("mime_type")
                .unwrap_or_else(|| "application/octet-stream".into());
            row.notes
                .push(format!("{}: kept as {mime}", refusal.message()));
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
        uploaded_by: row
            .text("uploaded_by")
            .unwrap_or_else(|| "anonymous".into()),
        is_public: field(raw, &["is_public"])
            .and_then(Value::as_bool)
            .unwrap_or(false),
        download_count: field(raw, &["download_count"])
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .max(0),
        checksum,
        updated_at: row.time("updated_at").unwrap_or(created_at).max(created_at),
        created_at,
    };
    Ok(row.done(file))
}

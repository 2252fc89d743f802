//! The originals' rows as our categories and items (docs/decisions.md#d28): LowDB's
//! `library.json` and the PostgreSQL schema actually deployed, with its variants (SERIAL
//! or UUID ids, tags as `text[]` or JSON, the categories table with or without
//! `display_name`). Every row arrives as a JSON object, whatever the source; this module
//! decides what it becomes, and what of it does not fit (kept in `metadata.legacy`, and
//! reported) — nothing here reads or writes storage.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use shared::import::{field, legacy_id, legacy_time, legacy_uuid};
use shared::validate::is_slug;
use uuid::Uuid;

use super::category::{Category, DEFAULT_COLOUR};
use super::item::{CATEGORY_MAX, Item, ItemId, Priority, Status};

/// Where the rows come from: their shapes differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `library.json`: categories `{id, name, description, color, display_order, active}`
    /// where `id` is the slug and `name` the label; items in camelCase.
    LowDb,
    /// `workspace.workspace_categories` (slug in `name`, label in `display_name`,
    /// `sort_order`) and `workspace.workspace_items` (snake_case).
    Postgres,
}

impl SourceKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::LowDb => "lowdb",
            Self::Postgres => "postgresql",
        }
    }
}

/// The categories LowDB used when its file had none (`src/db/lowdb.js`), as stored.
pub fn lowdb_default_categories() -> Vec<Value> {
    [
        ("feature", "Feature", "Novas funcionalidades", "#10b981"),
        ("bug", "Bug", "Correção de bugs", "#ef4444"),
        (
            "improvement",
            "Melhoria",
            "Melhorias em funcionalidades existentes",
            "#3b82f6",
        ),
        (
            "documentation",
            "Documentação",
            "Documentação técnica",
            "#8b5cf6",
        ),
        (
            "research",
            "Pesquisa",
            "Pesquisa e exploração de tecnologias",
            "#f59e0b",
        ),
        (
            "other",
            "Outro",
            "Outros itens não categorizados",
            "#6b7280",
        ),
    ]
    .iter()
    .enumerate()
    .map(|(i, (id, name, description, color))| {
        json!({"id": id, "name": name, "description": description, "color": color,
            "display_order": i + 1, "active": true})
    })
    .collect()
}

/// A row that became ours, with what did not fit, in sentences for the summary.
#[derive(Debug, Clone)]
pub struct Mapped<T> {
    pub value: T,
    /// The original's own key (an item's old id, a category's slug).
    pub key: String,
    pub notes: Vec<String>,
}

/// A row that cannot become ours: its key (as far as it has one) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub key: String,
    pub reason: String,
}

fn refuse<T>(key: &str, reason: &str) -> Result<T, Refused> {
    Err(Refused {
        key: key.to_string(),
        reason: reason.to_string(),
    })
}

fn text(row: &Value, keys: &[&str]) -> Option<String> {
    match field(row, keys)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// The `index`-th category of the source (0-based, in source order). `now` stands in for
/// the times LowDB never recorded.
pub fn category(
    kind: SourceKind,
    row: &Value,
    index: usize,
    now: DateTime<Utc>,
) -> Result<Mapped<Category>, Refused> {
    let (slug_keys, label_keys): (&[&str], &[&str]) = match kind {
        SourceKind::LowDb => (&["id", "name"], &["name", "display_name", "displayName"]),
        SourceKind::Postgres => (&["name"], &["display_name", "displayName", "name"]),
    };
    let Some(slug) = text(row, slug_keys) else {
        return refuse(&format!("#{}", index + 1), "category without a name");
    };
    if !is_slug(&slug) || slug.chars().count() > CATEGORY_MAX {
        return refuse(&slug, "category name is not a slug ([a-z0-9-], 1-100)");
    }
    let mut notes = Vec::new();
    let mut display_name = text(row, label_keys).unwrap_or_else(|| slug.clone());
    if display_name.trim().is_empty() {
        display_name = slug.clone();
    }
    if display_name.chars().count() > 200 {
        notes.push(format!(
            "display name cut to 200 characters from {display_name:?}"
        ));
        display_name = display_name.chars().take(200).collect();
    }
    let color = match text(row, &["color", "colour"]) {
        Some(c) if is_colour(&c) => c,
        Some(c) => {
            notes.push(format!(
                "colour {c:?} is not #RRGGBB: {DEFAULT_COLOUR} used"
            ));
            DEFAULT_COLOUR.to_string()
        }
        None => DEFAULT_COLOUR.to_string(),
    };
    let display_order = ["display_order", "sort_order", "order"]
        .iter()
        .find_map(|k| row.get(k).and_then(Value::as_i64))
        .filter(|n| *n >= 0)
        .unwrap_or_else(|| i64::try_from(index).unwrap_or(0) + 1);
    let is_active = ["is_active", "active"]
        .iter()
        .find_map(|k| row.get(k).and_then(Value::as_bool))
        .unwrap_or(true);
    let created_at = field(row, &["created_at", "createdAt"])
        .and_then(legacy_time)
        .unwrap_or(now);
    let updated_at = field(row, &["updated_at", "updatedAt"])
        .and_then(legacy_time)
        .unwrap_or(created_at);
    let value = Category {
        id: slug.clone(),
        name: slug.clone(),
        display_name,
        description: text(row, &["description"]),
        color,
        icon: text(row, &["icon"]),
        display_order,
        is_active,
        created_at,
        updated_at,
        created_by: text(row, &["created_by", "createdBy"]),
    };
    if holds_nul(&value) {
        return refuse(&slug, NUL);
    }
    Ok(Mapped {
        value,
        key: slug,
        notes,
    })
}

/// PostgreSQL's text cannot hold U+0000 (SQLite's can): refused on both, alike.
const NUL: &str = "text holds U+0000, which PostgreSQL cannot store";

fn holds_nul<T: serde::Serialize>(value: &T) -> bool {
    serde_json::to_string(value).is_ok_and(|text| text.contains("\\u0000"))
}

/// A category an item names but the source lacks: created inactive, so that nobody
/// files new items under it by accident, and reported.
pub fn missing_category(name: &str, display_order: i64, now: DateTime<Utc>) -> Category {
    Category {
        id: name.to_string(),
        name: name.to_string(),
        display_name: name.to_string(),
        description: None,
        color: DEFAULT_COLOUR.to_string(),
        icon: None,
        display_order,
        is_active: false,
        created_at: now,
        updated_at: now,
        created_by: Some(super::audit::IMPORT_ACTOR.to_string()),
    }
}

/// LowDB's ids are `item-<milliseconds>-<random>`: the time they were created.
fn lowdb_id_time(id: &str) -> Option<DateTime<Utc>> {
    let millis = id.strip_prefix("item-")?.split('-').next()?.parse().ok()?;
    DateTime::from_timestamp_millis(millis)
}

/// The id an item keeps or gets: its own UUID when it is one we can serve (a v4, or a v7
/// naming its creation time), else a UUIDv7 of its creation time derived from the old id.
fn item_id(legacy: &str, created_at: DateTime<Utc>) -> (ItemId, bool) {
    if let Some(id) = Uuid::parse_str(legacy).ok().and_then(ItemId::from_uuid) {
        let (from, to) = id.created_window();
        if (from..to).contains(&created_at) {
            return (id, false);
        }
    }
    let derived = ItemId::from_uuid(legacy_uuid("workspace-item", legacy, created_at))
        .unwrap_or_else(|| ItemId::new(created_at));
    (derived, true)
}

fn tags(value: Option<&Value>, notes: &mut Vec<String>) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let mut push = |tag: &str| {
        let tag = tag.trim();
        if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    };
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Array(values)) => {
            for v in values {
                match v {
                    Value::String(s) => push(s.as_str()),
                    Value::Null => {}
                    other => push(&other.to_string()),
                }
            }
        }
        // Tags stored as one comma list (JSON text columns of some variants).
        Some(Value::String(s)) => s.split(',').for_each(&mut push),
        Some(other) => notes.push(format!("tags {other} are not a list: kept in metadata")),
    }
    tags
}

/// The `index`-th item of the source. What does not map onto our enums takes our
/// default and is kept in `metadata.legacy`; an id that is not a UUID becomes a UUIDv7
/// with the old one in `metadata.legacyId`.
pub fn item(row: &Value, index: usize) -> Result<Mapped<Item>, Refused> {
    let Some(legacy) = field(row, &["id"]).and_then(legacy_id) else {
        return refuse(&format!("#{}", index + 1), "item without an id");
    };
    let created_at = field(row, &["created_at", "createdAt"])
        .and_then(legacy_time)
        .or_else(|| lowdb_id_time(&legacy))
        .or_else(|| field(row, &["updated_at", "updatedAt"]).and_then(legacy_time));
    let Some(created_at) = created_at else {
        return refuse(&legacy, "item without a creation time");
    };
    let updated_at = field(row, &["updated_at", "updatedAt"])
        .and_then(legacy_time)
        .unwrap_or(created_at)
        .max(created_at);
    let Some(title) = text(row, &["title"]).filter(|t| !t.trim().is_empty()) else {
        return refuse(&legacy, "item without a title");
    };
    let Some(category) = text(row, &["category"]) else {
        return refuse(&legacy, "item without a category");
    };
    if !is_slug(&category) || category.chars().count() > CATEGORY_MAX {
        return refuse(&legacy, "item's category is not a slug ([a-z0-9-], 1-100)");
    }
    let mut notes = Vec::new();
    let mut kept = Map::new();
    let mut metadata = match field(row, &["metadata"]) {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            notes.push("metadata is not an object: kept in metadata.legacy".into());
            kept.insert("metadata".into(), other.clone());
            Map::new()
        }
    };
    let priority = match text(row, &["priority"]) {
        None => Priority::Medium,
        Some(p) => Priority::parse(&p).unwrap_or_else(|| {
            notes.push(format!("priority {p:?} is not ours: medium, original kept"));
            kept.insert("priority".into(), json!(p));
            Priority::Medium
        }),
    };
    let status = match text(row, &["status"]) {
        None => Status::New,
        Some(s) => Status::parse(&s).unwrap_or_else(|| {
            notes.push(format!("status {s:?} is not ours: new, original kept"));
            kept.insert("status".into(), json!(s));
            Status::New
        }),
    };
    let raw_tags = field(row, &["tags"]);
    let tags = tags(raw_tags, &mut notes);
    if matches!(
        raw_tags,
        Some(Value::Object(_) | Value::Bool(_) | Value::Number(_))
    ) {
        kept.insert("tags".into(), raw_tags.cloned().unwrap_or_default());
    }
    let (id, derived) = item_id(&legacy, created_at);
    if derived {
        metadata.insert("legacyId".into(), json!(legacy));
    }
    if !kept.is_empty() {
        metadata.insert("legacy".into(), Value::Object(kept));
    }
    let value = Item {
        id,
        title: title.trim().to_string(),
        description: text(row, &["description"]).unwrap_or_default(),
        category,
        priority,
        status,
        tags,
        metadata,
        created_at,
        updated_at,
        created_by: text(row, &["created_by", "createdBy"]),
        updated_by: text(row, &["updated_by", "updatedBy"]),
        version: 1,
    };
    if holds_nul(&value) {
        return refuse(&legacy, NUL);
    }
    Ok(Mapped {
        value,
        key: legacy,
        notes,
    })
}

#[cfg(test)]
mod tests;

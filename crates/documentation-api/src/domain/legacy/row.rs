//! One source row being read: its key, and what of it did not map.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use shared::import::{field, legacy_id, legacy_time, legacy_uuid};
use uuid::Uuid;

use super::{IdMap, Mapped, Refused};
use crate::domain::Entity;

/// Reading one row: its key, and what of it did not map.
pub(super) struct Row<'a> {
    pub row: &'a Value,
    pub key: String,
    pub legacy: Map<String, Value>,
    pub notes: Vec<String>,
}

impl<'a> Row<'a> {
    pub fn new(row: &'a Value, index: usize) -> Self {
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

    pub fn refuse<T>(&self, reason: &str) -> Result<T, Refused> {
        Err(Refused {
            key: self.key.clone(),
            reason: reason.to_string(),
        })
    }

    pub fn text(&self, key: &str) -> Option<String> {
        match field(self.row, &[key])? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn time(&self, key: &str) -> Option<DateTime<Utc>> {
        field(self.row, &[key]).and_then(legacy_time)
    }

    /// A whole number, or none (and the value kept) when it is something else.
    pub fn int(&mut self, key: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        let value = field(self.row, &[key])?;
        match value.as_i64().filter(|n| range.contains(n)) {
            Some(n) => Some(n),
            None => {
                self.keep(
                    key,
                    value.clone(),
                    "is not a whole number in range: left empty",
                );
                None
            }
        }
    }

    pub fn keep(&mut self, key: &str, value: Value, what: &str) {
        self.notes
            .push(format!("{key} {value} {what}, original kept"));
        self.legacy.insert(key.to_string(), value);
    }

    /// An enum value, or `default` (and the original kept).
    pub fn one_of<T: Copy>(&mut self, key: &str, parse: fn(&str) -> Option<T>, default: T) -> T {
        match self.text(key) {
            None => default,
            Some(text) => parse(&text).unwrap_or_else(|| {
                self.keep(key, json!(text), "is not one of ours: the default used");
                default
            }),
        }
    }

    /// When it was created: `created_at`, else the designated timestamp, else `updated_at`.
    pub fn created_at(&self) -> Result<DateTime<Utc>, Refused> {
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
    pub fn id(&mut self, entity: Entity, created_at: DateTime<Utc>, ids: &mut IdMap) -> Uuid {
        let id = match Uuid::parse_str(&self.key) {
            Ok(uuid) if !uuid.is_nil() => uuid,
            _ => {
                self.legacy.insert("legacyId".into(), json!(self.key));
                legacy_uuid(
                    &format!("documentation-{}", entity.name()),
                    &self.key,
                    created_at,
                )
            }
        };
        ids.insert(self.key.clone(), id);
        id
    }

    /// A reference to a row imported before (`ids`), or none (and the old id kept).
    pub fn reference(&mut self, key: &str, ids: &IdMap) -> Option<Uuid> {
        let old = field(self.row, &[key]).and_then(legacy_id)?;
        let found = ids.get(&old).copied();
        if found.is_none() {
            self.keep(
                key,
                json!(old),
                "names nothing the source holds: left empty",
            );
        }
        found
    }

    pub fn tags(&mut self) -> Vec<String> {
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

    pub fn done<T>(self, value: T) -> Mapped<T> {
        Mapped {
            value,
            key: self.key,
            legacy: self.legacy,
            notes: self.notes,
        }
    }
}

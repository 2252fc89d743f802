//! Work items: the wire shape the dashboard reads and the parsing of what clients send.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use shared::ApiError;
use shared::validate::{Fields, is_slug};

pub use super::item_id::{ItemId, ItemKey};

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 2000;
pub const TAGS_MAX: usize = 50;
pub const TAG_LEN_MAX: usize = 50;
pub const METADATA_MAX_BYTES: usize = 16 * 1024;
pub const CATEGORY_MAX: usize = 100;

macro_rules! string_enum {
    ($name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Zod's wording for a value outside the enum.
            pub fn invalid_message() -> String {
                let options: Vec<String> = Self::ALL.iter().map(|v| format!("\"{}\"", v.as_str())).collect();
                format!("Invalid option: expected one of {}", options.join("|"))
            }
        }
    };
}

string_enum!(Priority { Low = "low", Medium = "medium", High = "high", Critical = "critical" });
string_enum!(Status {
    New = "new",
    Review = "review",
    InProgress = "in-progress",
    Completed = "completed",
    Rejected = "rejected",
});

impl Priority {
    /// Sort rank: critical > high > medium > low.
    pub fn rank(self) -> i32 {
        match self {
            Priority::Low => 1,
            Priority::Medium => 2,
            Priority::High => 3,
            Priority::Critical => 4,
        }
    }
}

/// An item as stored and as returned (camelCase, as the dashboard reads it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub id: ItemId,
    pub title: String,
    pub description: String,
    pub category: String,
    pub priority: Priority,
    pub status: Status,
    pub tags: Vec<String>,
    pub metadata: Map<String, Value>,
    #[serde(with = "shared::time::serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "shared::time::serde_millis")]
    pub updated_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    #[serde(skip)]
    pub version: i64,
}

impl Item {
    /// The strong ETag of this version of the item.
    pub fn etag(&self) -> String {
        format!("\"v{}\"", self.version)
    }
}

/// `If-Match`: `*`, or a list of ETags (absent: the write is unconditional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    pub fn admits(&self, item: &Item) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Tags(tags) => tags.contains(&item.etag()),
        }
    }
}

/// A validated create request.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub title: String,
    pub description: String,
    pub category: String,
    pub priority: Priority,
    pub status: Status,
    pub tags: Vec<String>,
    pub metadata: Map<String, Value>,
}

/// A validated partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ItemPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub priority: Option<Priority>,
    pub status: Option<Status>,
    pub tags: Option<Vec<String>>,
    pub metadata: Option<Map<String, Value>>,
}

const UPDATE_KEYS: [&str; 7] = [
    "title",
    "description",
    "category",
    "priority",
    "status",
    "tags",
    "metadata",
];

impl NewItem {
    /// Unknown keys (`id`, `createdBy`, …) are dropped: clients never set server fields.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut f = Fields::new(body);
        let title = f
            .required_string("title")
            .and_then(|t| text(&mut f, "title", &t, TITLE_MAX, "Title is required", "Title"));
        let description = f.required_string("description").and_then(|d| {
            text(
                &mut f,
                "description",
                &d,
                DESCRIPTION_MAX,
                "Description is required",
                "Description",
            )
        });
        let category = f
            .required_string("category")
            .and_then(|c| category(&mut f, &c));
        let priority = enum_field(
            &mut f,
            "priority",
            true,
            Priority::parse,
            Priority::invalid_message,
        );
        let status = enum_field(
            &mut f,
            "status",
            false,
            Status::parse,
            Status::invalid_message,
        );
        let tags = f
            .optional_string_array("tags")
            .and_then(|t| tags(&mut f, t));
        let metadata = f
            .optional_object("metadata")
            .and_then(|m| metadata(&mut f, m));
        let tags_ok = !f.has("tags") || tags.is_some();
        let metadata_ok = !f.has("metadata") || metadata.is_some();
        f.finish()?;
        match (
            title,
            description,
            category,
            priority,
            tags_ok && metadata_ok,
        ) {
            (Some(title), Some(description), Some(category), Some(priority), true) => Ok(Self {
                title,
                description,
                category,
                priority,
                status: status.unwrap_or(Status::New),
                tags: tags.unwrap_or_default(),
                metadata: metadata.unwrap_or_default(),
            }),
            _ => Err(ApiError::validation(Vec::new())),
        }
    }
}

impl ItemPatch {
    /// Overwrites the fields this patch sets.
    pub fn apply_to(self, item: &mut Item) {
        let Self {
            title,
            description,
            category,
            priority,
            status,
            tags,
            metadata,
        } = self;
        if let Some(v) = title {
            item.title = v;
        }
        if let Some(v) = description {
            item.description = v;
        }
        if let Some(v) = category {
            item.category = v;
        }
        if let Some(v) = priority {
            item.priority = v;
        }
        if let Some(v) = status {
            item.status = v;
        }
        if let Some(v) = tags {
            item.tags = v;
        }
        if let Some(v) = metadata {
            item.metadata = v;
        }
    }

    /// Every key must be known: a client echoing a whole item back is told which keys.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut f = Fields::new(body);
        let title = f.optional_string("title").and_then(|t| {
            text(
                &mut f,
                "title",
                &t,
                TITLE_MAX,
                "Title cannot be empty",
                "Title",
            )
        });
        let description = f.optional_string("description").and_then(|d| {
            text(
                &mut f,
                "description",
                &d,
                DESCRIPTION_MAX,
                "Description cannot be empty",
                "Description",
            )
        });
        let category = f
            .optional_string("category")
            .and_then(|c| category(&mut f, &c));
        let priority = enum_field(
            &mut f,
            "priority",
            false,
            Priority::parse,
            Priority::invalid_message,
        );
        let status = enum_field(
            &mut f,
            "status",
            false,
            Status::parse,
            Status::invalid_message,
        );
        let tags = f
            .optional_string_array("tags")
            .and_then(|t| tags(&mut f, t));
        let metadata = f
            .optional_object("metadata")
            .and_then(|m| metadata(&mut f, m));
        f.reject_unknown(&UPDATE_KEYS);
        f.finish()?;
        Ok(Self {
            title,
            description,
            category,
            priority,
            status,
            tags,
            metadata,
        })
    }
}

fn text(
    f: &mut Fields<'_>,
    key: &str,
    raw: &str,
    max: usize,
    empty: &str,
    label: &str,
) -> Option<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        f.error(key, "too_small", empty);
        return None;
    }
    if trimmed.chars().count() > max {
        f.error(
            key,
            "too_big",
            format!("{label} must be less than {max} characters"),
        );
        return None;
    }
    Some(trimmed.to_string())
}

fn category(f: &mut Fields<'_>, raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.len() > CATEGORY_MAX {
        f.error(
            "category",
            "too_small",
            "Category is required (1-100 characters)",
        );
        return None;
    }
    if !is_slug(trimmed) {
        f.error(
            "category",
            "invalid_format",
            "Category must be lowercase letters, numbers, and hyphens only",
        );
        return None;
    }
    Some(trimmed.to_string())
}

fn enum_field<T>(
    f: &mut Fields<'_>,
    key: &str,
    required: bool,
    parse: fn(&str) -> Option<T>,
    message: fn() -> String,
) -> Option<T> {
    if !required && !f.has(key) {
        return None;
    }
    let raw = if required {
        f.required_string(key)
    } else {
        f.optional_string(key)
    };
    // A missing or mistyped enum gets the enum message, as Zod gave it.
    let parsed = raw.as_deref().and_then(parse);
    if parsed.is_none() {
        if raw.is_some() || required {
            f.error(key, "invalid_value", message());
        }
        return None;
    }
    parsed
}

/// Trims, drops duplicates (first occurrence wins), and bounds count and length.
fn tags(f: &mut Fields<'_>, raw: Vec<String>) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for tag in raw {
        let tag = tag.trim();
        if tag.is_empty() || tag.chars().count() > TAG_LEN_MAX {
            f.error(
                "tags",
                "custom",
                format!("Each tag must be between 1 and {TAG_LEN_MAX} characters"),
            );
            return None;
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    if out.len() > TAGS_MAX {
        f.error(
            "tags",
            "too_big",
            format!("At most {TAGS_MAX} tags are allowed"),
        );
        return None;
    }
    Some(out)
}

fn metadata(f: &mut Fields<'_>, map: Map<String, Value>) -> Option<Map<String, Value>> {
    let size = serde_json::to_vec(&map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > METADATA_MAX_BYTES {
        f.error(
            "metadata",
            "too_big",
            format!("Metadata must be at most {METADATA_MAX_BYTES} bytes of JSON"),
        );
        return None;
    }
    Some(map)
}

#[cfg(test)]
mod tests;

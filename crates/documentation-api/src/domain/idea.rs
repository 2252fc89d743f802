//! An idea on the kanban: what it is, where it stands, who works on it, and the system
//! it is about.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use shared::ApiError;
use shared::validate::Fields;
use uuid::Uuid;

use super::fields::{self, SERVER_SET};
use super::system::System;

string_enum!(
    /// The kanban's columns, in workflow order (`cancelled` last).
    #[derive(Default)]
    IdeaStatus {
        #[default]
        Backlog = "backlog",
        Todo = "todo",
        InProgress = "in_progress",
        Review = "review",
        Done = "done",
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// Lowest first: the kanban shows the last first.
    #[derive(Default)]
    IdeaPriority {
        Low = "low",
        #[default]
        Medium = "medium",
        High = "high",
        Urgent = "urgent",
    }
);

string_enum!(
    /// The original's five categories and the dashboard's four, together.
    IdeaCategory {
        NewFeature = "new_feature",
        Improvement = "improvement",
        BugFix = "bug_fix",
        Content = "content",
        Structure = "structure",
        Api = "api",
        Frontend = "frontend",
        Backend = "backend",
        Infrastructure = "infrastructure",
    }
);

/// An idea as stored (and as its audit images show it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Idea {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub status: IdeaStatus,
    pub category: IdeaCategory,
    pub priority: IdeaPriority,
    pub assigned_to: Option<String>,
    pub created_by: String,
    pub updated_by: Option<String>,
    pub system_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub estimated_hours: Option<i64>,
    pub actual_hours: Option<i64>,
    #[serde(serialize_with = "shared::time::serde_millis::option::serialize")]
    pub due_date: Option<DateTime<Utc>>,
    /// Set on entering `done`, cleared on leaving it.
    #[serde(serialize_with = "shared::time::serde_millis::option::serialize")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(with = "shared::time::serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "shared::time::serde_millis")]
    pub updated_at: DateTime<Utc>,
}

impl Idea {
    /// Moves `completed_at` with the status: stamped with `at` on entering `done` (or on
    /// being created there), cleared on leaving it, kept while it stays.
    pub fn track_completion(&mut self, previous: Option<IdeaStatus>, at: DateTime<Utc>) {
        match (previous, self.status) {
            (Some(IdeaStatus::Done), IdeaStatus::Done) => {}
            (_, IdeaStatus::Done) => self.completed_at = Some(at),
            _ => self.completed_at = None,
        }
    }
}

/// An idea as returned: with the system it links to (`null` when none).
#[derive(Debug, Clone, Serialize)]
pub struct IdeaView {
    #[serde(flatten)]
    pub idea: Idea,
    pub system: Option<System>,
}

/// The fields a client sets, all optional: a create starts from the defaults, an update
/// from the idea as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdeaPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub status: Option<IdeaStatus>,
    pub category: Option<IdeaCategory>,
    pub priority: Option<IdeaPriority>,
    pub assigned_to: Option<Option<String>>,
    pub system_id: Option<Option<Uuid>>,
    pub tags: Option<Vec<String>>,
    pub estimated_hours: Option<Option<i64>>,
    pub actual_hours: Option<Option<i64>>,
    pub due_date: Option<Option<DateTime<Utc>>>,
}

const KEYS: [&str; 11] = [
    "title",
    "description",
    "status",
    "category",
    "priority",
    "assigned_to",
    "system_id",
    "tags",
    "estimated_hours",
    "actual_hours",
    "due_date",
];
/// The camelCase names the original's repository also read.
const ALIASES: [(&str, &str); 5] = [
    ("assigned_to", "assignedTo"),
    ("system_id", "systemId"),
    ("estimated_hours", "estimatedHours"),
    ("actual_hours", "actualHours"),
    ("due_date", "dueDate"),
];
/// Set by the server, or read-only parts of a returned idea: accepted and ignored, so
/// that a client may send an idea back as it got it.
const READ_ONLY: [&str; 2] = ["completed_at", "system"];

/// The key a field is read from: its snake_case name, else its camelCase alias when only
/// that is present (so errors name the key the client sent).
fn key<'k>(body: &Map<String, Value>, snake: &'k str) -> &'k str {
    match ALIASES.iter().find(|(s, _)| *s == snake) {
        Some((_, camel)) if !body.contains_key(snake) && body.contains_key(*camel) => camel,
        _ => snake,
    }
}

impl IdeaPatch {
    /// A create's body: `title` and `category` required, unknown keys dropped.
    pub fn parse_new(body: &Map<String, Value>) -> Result<Self, ApiError> {
        Self::parse(body, true)
    }

    /// An update's body: every field optional, unknown keys refused by name.
    pub fn parse_update(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let patch = Self::parse(body, false)?;
        if patch == Self::default() {
            return Err(ApiError::bad_request(
                "VALIDATION_ERROR",
                "No valid fields to update",
            ));
        }
        Ok(patch)
    }

    fn parse(body: &Map<String, Value>, create: bool) -> Result<Self, ApiError> {
        let mut f = Fields::new(body);
        if !create {
            let allowed: Vec<&str> = KEYS
                .iter()
                .chain(ALIASES.iter().map(|(_, camel)| camel))
                .chain(&SERVER_SET)
                .chain(&READ_ONLY)
                .copied()
                .collect();
            f.reject_unknown(&allowed);
        }
        if create && !f.has("category") {
            f.required_string("category");
        }
        let assigned_to = key(body, "assigned_to");
        let system_id = key(body, "system_id");
        let estimated = key(body, "estimated_hours");
        let actual = key(body, "actual_hours");
        let due_date = key(body, "due_date");
        let patch = Self {
            title: fields::name(&mut f, "title", 255, create),
            description: fields::text(&mut f, "description", 2000),
            status: fields::one_of(&mut f, "status", IdeaStatus::ALL),
            category: fields::one_of(&mut f, "category", IdeaCategory::ALL),
            priority: fields::one_of(&mut f, "priority", IdeaPriority::ALL),
            assigned_to: fields::text(&mut f, assigned_to, 100),
            system_id: nullable_uuid(&mut f, system_id),
            tags: fields::tags(&mut f, "tags", body),
            estimated_hours: fields::nullable_integer(&mut f, body, estimated, 1..=1000),
            actual_hours: fields::nullable_integer(&mut f, body, actual, 0..=10_000),
            due_date: nullable_time(&mut f, due_date),
        };
        f.finish()?;
        Ok(patch)
    }

    /// A new idea from a create's patch (`completed_at` is the service's to set).
    pub fn into_idea(self, id: Uuid, actor: &str, at: DateTime<Utc>) -> Idea {
        let mut idea = Idea {
            id,
            title: String::new(),
            description: None,
            status: IdeaStatus::default(),
            category: IdeaCategory::Content,
            priority: IdeaPriority::default(),
            assigned_to: None,
            created_by: actor.to_string(),
            updated_by: Some(actor.to_string()),
            system_id: None,
            tags: Vec::new(),
            estimated_hours: None,
            actual_hours: None,
            due_date: None,
            completed_at: None,
            created_at: at,
            updated_at: at,
        };
        self.apply_to(&mut idea);
        idea
    }

    pub fn apply_to(self, i: &mut Idea) {
        fn set<T>(field: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *field = value;
            }
        }
        set(&mut i.title, self.title);
        set(&mut i.description, self.description);
        set(&mut i.status, self.status);
        set(&mut i.category, self.category);
        set(&mut i.priority, self.priority);
        set(&mut i.assigned_to, self.assigned_to);
        set(&mut i.system_id, self.system_id);
        set(&mut i.tags, self.tags);
        set(&mut i.estimated_hours, self.estimated_hours);
        set(&mut i.actual_hours, self.actual_hours);
        set(&mut i.due_date, self.due_date);
    }
}

/// A UUID or `null`, when present.
fn nullable_uuid(f: &mut Fields<'_>, key: &str) -> Option<Option<Uuid>> {
    let raw = f.nullable_string(key)?;
    let Some(raw) = raw else {
        return Some(None);
    };
    match Uuid::parse_str(raw.trim()) {
        Ok(id) => Some(Some(id)),
        Err(_) => {
            f.error(key, "invalid_uuid", format!("{key} must be a valid UUID"));
            None
        }
    }
}

/// An RFC 3339 time or a date (its midnight, UTC), or `null`, when present; kept to
/// the microsecond, as both backends store it.
fn nullable_time(f: &mut Fields<'_>, key: &str) -> Option<Option<DateTime<Utc>>> {
    let raw = f.nullable_string(key)?;
    let Some(raw) = raw.map(|r| r.trim().to_string()).filter(|r| !r.is_empty()) else {
        return Some(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(&raw) {
        return Some(Some(at.with_timezone(&Utc).trunc_subsecs(6)));
    }
    if let Some(midnight) = NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Some(Some(midnight.and_utc()));
    }
    f.error(
        key,
        "invalid_date",
        format!("{key} must be an ISO 8601 date or date-time"),
    );
    None
}

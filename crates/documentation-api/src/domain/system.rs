//! A registered system: what it is, where it answers, and how its last health check went.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use shared::ApiError;
use shared::extract::QueryPairs;
use shared::query::QueryFields;
use shared::target::TargetRule;
use shared::validate::Fields;
use uuid::Uuid;

use super::fields::{self, SERVER_SET};

string_enum!(SystemType {
    Api = "api",
    Webapp = "webapp",
    Docs = "docs",
    Tool = "tool",
});

string_enum!(
    /// `maintenance` is set by hand and spares a system the background checks.
    SystemStatus {
        Online = "online",
        Offline = "offline",
        Error = "error",
        Unknown = "unknown",
        Maintenance = "maintenance",
    }
);

/// A system as stored and as returned (snake_case, as the dashboard reads it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct System {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub system_type: SystemType,
    pub url: Option<String>,
    pub status: SystemStatus,
    #[serde(serialize_with = "shared::time::serde_millis::option::serialize")]
    pub last_checked: Option<DateTime<Utc>>,
    pub response_time_ms: Option<i64>,
    /// The HTTP status of the last check, when it got a response.
    pub last_http_status: Option<i64>,
    /// What the last check found, in a sentence.
    pub last_message: Option<String>,
    pub version: Option<String>,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    pub metadata: Option<Map<String, Value>>,
    pub icon: Option<String>,
    pub color: Option<String>,
    pub host: Option<String>,
    pub port: Option<i64>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    #[serde(with = "shared::time::serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "shared::time::serde_millis")]
    pub updated_at: DateTime<Utc>,
}

impl System {
    /// The unique key of a name: lower-cased over all of Unicode (SQLite's NOCASE folds
    /// ASCII only, so the key is computed here for both backends).
    pub fn name_key(name: &str) -> String {
        name.to_lowercase()
    }
}

/// The fields a client sets, all optional: a create starts from the defaults, an update
/// from the system as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SystemPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub system_type: Option<SystemType>,
    pub url: Option<Option<String>>,
    pub status: Option<SystemStatus>,
    pub version: Option<Option<String>>,
    pub owner: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub metadata: Option<Option<Map<String, Value>>>,
    pub icon: Option<Option<String>>,
    pub color: Option<Option<String>>,
    pub host: Option<Option<String>>,
    pub port: Option<Option<i64>>,
}

const KEYS: [&str; 13] = [
    "name",
    "description",
    "type",
    "url",
    "status",
    "version",
    "owner",
    "tags",
    "metadata",
    "icon",
    "color",
    "host",
    "port",
];
/// Health-check results: written by checks, accepted in a body and ignored.
const CHECK_RESULTS: [&str; 4] = [
    "last_checked",
    "response_time_ms",
    "last_http_status",
    "last_message",
];

impl SystemPatch {
    /// A create's body: `name` required, `type` defaulting to `tool`, unknown keys dropped.
    pub fn parse_new(body: &Map<String, Value>, targets: TargetRule) -> Result<Self, ApiError> {
        Self::parse(body, targets, true)
    }

    /// An update's body: every field optional, unknown keys refused by name.
    pub fn parse_update(body: &Map<String, Value>, targets: TargetRule) -> Result<Self, ApiError> {
        let patch = Self::parse(body, targets, false)?;
        if patch == Self::default() {
            return Err(ApiError::bad_request(
                "VALIDATION_ERROR",
                "No valid fields to update",
            ));
        }
        Ok(patch)
    }

    fn parse(
        body: &Map<String, Value>,
        targets: TargetRule,
        create: bool,
    ) -> Result<Self, ApiError> {
        let mut f = Fields::new(body);
        if !create {
            let allowed: Vec<&str> = KEYS
                .iter()
                .chain(&SERVER_SET)
                .chain(&CHECK_RESULTS)
                .copied()
                .collect();
            f.reject_unknown(&allowed);
        }
        let patch = Self {
            name: fields::name(&mut f, "name", 255, create),
            description: fields::text(&mut f, "description", 1000),
            system_type: fields::one_of(&mut f, "type", SystemType::ALL),
            url: fields::text(&mut f, "url", 512)
                .map(|url| url.and_then(|u| check_url(&mut f, &u, targets))),
            status: fields::one_of(&mut f, "status", SystemStatus::ALL),
            version: fields::text(&mut f, "version", 100),
            owner: fields::text(&mut f, "owner", 100),
            tags: fields::tags(&mut f, "tags", body),
            metadata: match body.get("metadata") {
                Some(Value::Null) => Some(None),
                _ => f.optional_object("metadata").map(Some),
            },
            icon: fields::text(&mut f, "icon", 255),
            color: fields::text(&mut f, "color", 100),
            host: fields::text(&mut f, "host", 255),
            port: fields::nullable_integer(&mut f, body, "port", 1..=65535),
        };
        f.finish()?;
        Ok(patch)
    }

    /// A new system from a create's patch.
    pub fn into_system(self, id: Uuid, actor: &str, at: DateTime<Utc>) -> System {
        let mut system = System {
            id,
            name: String::new(),
            description: None,
            system_type: SystemType::Tool,
            url: None,
            status: SystemStatus::Unknown,
            last_checked: None,
            response_time_ms: None,
            last_http_status: None,
            last_message: None,
            version: None,
            owner: None,
            tags: Vec::new(),
            metadata: None,
            icon: None,
            color: None,
            host: None,
            port: None,
            created_by: Some(actor.to_string()),
            updated_by: Some(actor.to_string()),
            created_at: at,
            updated_at: at,
        };
        self.apply_to(&mut system);
        system
    }

    pub fn apply_to(self, s: &mut System) {
        fn set<T>(field: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *field = value;
            }
        }
        set(&mut s.name, self.name);
        set(&mut s.description, self.description);
        set(&mut s.system_type, self.system_type);
        set(&mut s.url, self.url);
        set(&mut s.status, self.status);
        set(&mut s.version, self.version);
        set(&mut s.owner, self.owner);
        set(&mut s.tags, self.tags);
        set(&mut s.metadata, self.metadata);
        set(&mut s.icon, self.icon);
        set(&mut s.color, self.color);
        set(&mut s.host, self.host);
        set(&mut s.port, self.port);
    }
}

/// An absolute http(s) URL (localhost and private addresses included, unless the
/// deployment denies them) whose host the target rule allows.
fn check_url(f: &mut Fields<'_>, raw: &str, targets: TargetRule) -> Option<String> {
    let parsed = match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
        _ => {
            f.error("url", "invalid_url", "URL must be a valid HTTP/HTTPS URL");
            return None;
        }
    };
    let host = parsed.host_str().unwrap_or_default();
    if let Err(refusal) = targets.check_host(host) {
        f.error("url", "forbidden_target", refusal.message());
        return None;
    }
    Some(raw.to_string())
}

/// `GET /api/v1/systems`' query, echoed back as `filters`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<SystemStatus>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub system_type: Option<SystemType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    pub offset: i64,
    pub order_by: SystemOrder,
    pub order_direction: Direction,
}

string_enum!(
    #[derive(Default)]
    SystemOrder {
    /// The original's order: most recently changed first.
    #[default]
    UpdatedAt = "updated_at",
    CreatedAt = "created_at",
    Name = "name",
    Status = "status",
    Type = "type",
    ResponseTime = "response_time_ms",
    LastChecked = "last_checked",
});

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum Direction {
    #[serde(rename = "ASC")]
    Asc,
    #[default]
    #[serde(rename = "DESC")]
    Desc,
}

impl Direction {
    /// `asc`/`desc`, any case.
    pub fn read(q: &mut QueryFields<'_>, key: &str) -> Option<Self> {
        let raw = q.text(key, 4)?;
        match raw.to_ascii_uppercase().as_str() {
            "ASC" => Some(Self::Asc),
            "DESC" => Some(Self::Desc),
            _ => {
                q.error(key, "invalid_value", format!("{key} must be ASC or DESC"));
                None
            }
        }
    }
}

/// Without `limit` a list returns every match up to this cap (`total` tells the truth).
pub const UNPAGED_CAP: i64 = 10_000;

impl SystemQuery {
    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let keys = [
            "status",
            "type",
            "owner",
            "search",
            "limit",
            "offset",
            "order_by",
            "order_direction",
        ];
        let mut q = QueryFields::new(query, &keys);
        let parsed = Self {
            status: SystemStatus::from_query(&mut q, "status"),
            system_type: SystemType::from_query(&mut q, "type"),
            owner: q.text("owner", 100),
            search: q.text("search", 100),
            limit: q.integer("limit", 1..=1000),
            offset: q.integer("offset", 0..=i64::MAX).unwrap_or(0),
            order_by: SystemOrder::from_query(&mut q, "order_by").unwrap_or_default(),
            order_direction: Direction::read(&mut q, "order_direction").unwrap_or_default(),
        };
        q.finish()?;
        Ok(parsed)
    }

    pub fn effective_limit(&self) -> i64 {
        self.limit.unwrap_or(UNPAGED_CAP)
    }
}

/// `/api/v1/systems/statistics`: counts by status, type and owner, the status buckets and
/// the mean response time of the last checks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemStats {
    pub total: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_type: BTreeMap<String, i64>,
    pub by_owner: BTreeMap<String, i64>,
    pub active: i64,
    pub inactive: i64,
    pub degraded: i64,
    pub unknown: i64,
    pub maintenance: i64,
    /// Milliseconds, rounded; 0 when no system has been checked.
    pub avg_response_time: i64,
}

impl SystemStats {
    /// Adds `n` systems of one (status, type, owner) group.
    pub fn add(&mut self, status: &str, system_type: &str, owner: Option<&str>, n: i64) {
        self.total += n;
        *self.by_status.entry(status.to_string()).or_default() += n;
        *self.by_type.entry(system_type.to_string()).or_default() += n;
        *self
            .by_owner
            .entry(owner.unwrap_or("unknown").to_string())
            .or_default() += n;
        let bucket = match SystemStatus::parse(status) {
            Some(SystemStatus::Online) => &mut self.active,
            Some(SystemStatus::Offline) => &mut self.inactive,
            Some(SystemStatus::Error) => &mut self.degraded,
            Some(SystemStatus::Maintenance) => &mut self.maintenance,
            _ => &mut self.unknown,
        };
        *bucket += n;
    }
}

//! The documentation service's domain: what a system, an idea, a file and an audit row
//! are, and the parsing that turns request bodies and queries into them.

/// A closed set of values with their wire names: `ALL` (name, value) pairs, `as_str`,
/// `parse`, `names`.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$attr:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
        pub enum $name { $($(#[$attr])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &[(&str, Self)] = &[$(($text, Self::$variant)),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().find(|(t, _)| *t == text).map(|(_, v)| *v)
            }

            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|(t, _)| *t).collect()
            }

            /// The query parameter `key`, when given: one of the names, else a field error.
            pub fn from_query(q: &mut shared::query::QueryFields<'_>, key: &str) -> Option<Self> {
                q.one_of(key, &Self::names()).and_then(|v| Self::parse(&v))
            }
        }
    };
}

pub mod audit;
pub mod docs_health;
pub mod download;
pub mod fields;
pub mod file;
pub mod file_stats;
pub mod file_type;
pub mod idea;
pub mod idea_query;
pub mod legacy;
pub mod stats;
pub mod system;

use shared::{ApiError, FieldError};
use uuid::Uuid;

/// The entities of this service, as audit rows and messages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    System,
    Idea,
    File,
}

impl Entity {
    pub fn name(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Idea => "idea",
            Self::File => "file",
        }
    }

    /// The capitalised name, as messages start with it ("System not found").
    pub fn title(self) -> &'static str {
        match self {
            Self::System => "System",
            Self::Idea => "Idea",
            Self::File => "File",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::System, Self::Idea, Self::File]
            .into_iter()
            .find(|e| e.name() == text)
    }
}

/// The id in a path: a UUID, or a 400 naming the `id` field (the original's rule, which
/// clients match).
pub fn path_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::validation(vec![FieldError::new(
            "id",
            "invalid_uuid",
            "ID must be a valid UUID",
        )])
    })
}

/// A new entity id: a UUIDv7, time-ordered.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The server clock at the precision both backends store (microseconds).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

//! A file stored in the database: its metadata (the bytes live in a side table and are
//! never part of this type), the fields a client may change and the list's query
//! (statistics: [`super::file_stats`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use shared::extract::QueryPairs;
use shared::query::QueryFields;
use shared::validate::Fields;
use shared::{ApiError, FieldError};
use uuid::Uuid;

use super::fields::{self, SERVER_SET};
use super::system::{Direction, UNPAGED_CAP};

/// A file as stored and as returned: never a server path, never its bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct File {
    pub id: Uuid,
    /// The server's own name for it: `<id>.<extension>`.
    pub filename: String,
    /// The client's name, without any directory part.
    pub original_name: String,
    /// The type sniffed from the bytes (see [`super::file_type`]).
    pub mime_type: String,
    pub size_bytes: i64,
    pub description: Option<String>,
    pub idea_id: Option<Uuid>,
    pub system_id: Option<Uuid>,
    pub uploaded_by: String,
    pub is_public: bool,
    pub download_count: i64,
    /// SHA-256 of the bytes, lower-case hex; the download's ETag.
    pub checksum: String,
    #[serde(with = "shared::time::serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "shared::time::serde_millis")]
    pub updated_at: DateTime<Utc>,
}

impl File {
    /// The strong entity tag of the bytes.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.checksum)
    }
}

/// `GET /api/v1/files/{id}/metadata`: the file plus the dashboard's names for two of its
/// fields (`size`, `uploaded_at`).
#[derive(Debug, Serialize)]
pub struct FileMetadata<'a> {
    #[serde(flatten)]
    pub file: &'a File,
    pub size: i64,
    #[serde(with = "shared::time::serde_millis")]
    pub uploaded_at: DateTime<Utc>,
}

impl<'a> From<&'a File> for FileMetadata<'a> {
    fn from(file: &'a File) -> Self {
        Self {
            file,
            size: file.size_bytes,
            uploaded_at: file.created_at,
        }
    }
}

/// Who may see private files: everyone when auth is off, only callers with a valid
/// token when it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub sees_private: bool,
}

impl Viewer {
    pub fn can_see(self, file: &File) -> bool {
        self.sees_private || file.is_public
    }
}

/// What a `PUT /api/v1/files/{id}` may change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilePatch {
    pub description: Option<Option<String>>,
    pub idea_id: Option<Option<Uuid>>,
    pub system_id: Option<Option<Uuid>>,
    pub is_public: Option<bool>,
}

const KEYS: [&str; 4] = ["description", "idea_id", "system_id", "is_public"];
/// The file's other fields: set by the server, accepted in a body (clients echo files
/// back) and ignored.
const FILE_SET: [&str; 9] = [
    "filename",
    "original_name",
    "mime_type",
    "size_bytes",
    "checksum",
    "uploaded_by",
    "download_count",
    "size",
    "uploaded_at",
];
pub const DESCRIPTION_MAX: usize = 1000;

impl FilePatch {
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut f = Fields::new(body);
        let allowed: Vec<&str> = KEYS
            .iter()
            .chain(&SERVER_SET)
            .chain(&FILE_SET)
            .copied()
            .collect();
        f.reject_unknown(&allowed);
        let patch = Self {
            description: fields::text(&mut f, "description", DESCRIPTION_MAX),
            idea_id: nullable_uuid(&mut f, "idea_id"),
            system_id: nullable_uuid(&mut f, "system_id"),
            is_public: f.optional_bool("is_public"),
        };
        f.finish()?;
        if patch == Self::default() {
            return Err(ApiError::bad_request(
                "VALIDATION_ERROR",
                "No valid fields to update",
            ));
        }
        Ok(patch)
    }

    pub fn apply_to(self, file: &mut File) {
        fn set<T>(field: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *field = value;
            }
        }
        set(&mut file.description, self.description);
        set(&mut file.idea_id, self.idea_id);
        set(&mut file.system_id, self.system_id);
        set(&mut file.is_public, self.is_public);
    }
}

fn nullable_uuid(f: &mut Fields<'_>, key: &str) -> Option<Option<Uuid>> {
    let value = f.nullable_string(key)?;
    let Some(text) = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    else {
        return Some(None);
    };
    match Uuid::parse_str(&text) {
        Ok(id) => Some(Some(id)),
        Err(_) => {
            f.error(key, "invalid_uuid", format!("{key} must be a valid UUID"));
            None
        }
    }
}

/// The text fields of an upload's form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadFields {
    pub description: Option<String>,
    pub idea_id: Option<Uuid>,
    pub system_id: Option<Uuid>,
    /// `"true"` is public; anything else, or nothing, private (the original's rule).
    pub is_public: bool,
    /// The uploader the form names (used only when auth is off).
    pub uploaded_by: Option<String>,
}

impl UploadFields {
    /// The form's text fields, in the order sent; the last of a repeated key wins, and
    /// keys the form does not define are ignored.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let get = |key: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let mut errors = Vec::new();
        let description = get("description").map(str::to_string);
        if description
            .as_ref()
            .is_some_and(|d| d.chars().count() > DESCRIPTION_MAX)
        {
            errors.push(FieldError::new(
                "description",
                "too_big",
                format!("description must be at most {DESCRIPTION_MAX} characters"),
            ));
        }
        let mut id = |key: &str| {
            let raw = get(key)?;
            Uuid::parse_str(raw)
                .map_err(|_| {
                    errors.push(FieldError::new(
                        key,
                        "invalid_uuid",
                        format!("{key} must be a valid UUID"),
                    ))
                })
                .ok()
        };
        let idea_id = id("idea_id");
        let system_id = id("system_id");
        let uploaded_by = get("uploaded_by").map(str::to_string);
        if uploaded_by
            .as_ref()
            .is_some_and(|u| u.chars().count() > 100)
        {
            errors.push(FieldError::new(
                "uploaded_by",
                "too_big",
                "uploaded_by must be at most 100 characters",
            ));
        }
        for (key, value) in pairs {
            if value.contains('\0') {
                errors.push(FieldError::new(
                    key.as_str(),
                    "invalid_string",
                    "Must not contain the NUL character (U+0000)",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(Self {
            description,
            idea_id,
            system_id,
            is_public: get("is_public") == Some("true"),
            uploaded_by,
        })
    }
}

string_enum!(
    #[derive(Default)]
    FileOrder {
    #[default]
    CreatedAt = "created_at",
    UpdatedAt = "updated_at",
    SizeBytes = "size_bytes",
    DownloadCount = "download_count",
    OriginalName = "original_name",
});

/// `GET /api/v1/files`' query; also the by-idea, by-system and search views.
#[derive(Debug, Clone)]
pub struct FileQuery {
    pub system_id: Option<Uuid>,
    pub idea_id: Option<Uuid>,
    pub uploaded_by: Option<String>,
    pub mime_type: Option<String>,
    pub search: Option<String>,
    pub is_public: Option<bool>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
    pub order_by: FileOrder,
    pub order_direction: Direction,
}

impl Default for FileQuery {
    fn default() -> Self {
        Self {
            system_id: None,
            idea_id: None,
            uploaded_by: None,
            mime_type: None,
            search: None,
            is_public: None,
            min_size: None,
            max_size: None,
            created_from: None,
            created_to: None,
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
            order_by: FileOrder::default(),
            order_direction: Direction::Desc,
        }
    }
}

impl FileQuery {
    pub const DEFAULT_LIMIT: i64 = 50;

    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let keys = [
            "system_id",
            "idea_id",
            "uploaded_by",
            "mime_type",
            "search",
            "is_public",
            "min_size",
            "max_size",
            "created_from",
            "created_to",
            "limit",
            "offset",
            "order_by",
            "order_direction",
        ];
        let mut q = QueryFields::new(query, &keys);
        let id = |q: &mut QueryFields<'_>, key: &str| {
            let raw = q.text(key, 100)?;
            Uuid::parse_str(&raw)
                .map_err(|_| q.error(key, "invalid_uuid", format!("{key} must be a valid UUID")))
                .ok()
        };
        let parsed = Self {
            system_id: id(&mut q, "system_id"),
            idea_id: id(&mut q, "idea_id"),
            uploaded_by: q.text("uploaded_by", 100),
            mime_type: q.text("mime_type", 255),
            search: q.text("search", 100),
            is_public: q.boolean("is_public"),
            min_size: q.integer("min_size", 0..=i64::MAX),
            max_size: q.integer("max_size", 0..=i64::MAX),
            created_from: q.time("created_from"),
            created_to: q.time("created_to"),
            limit: q.integer("limit", 1..=1000).unwrap_or(Self::DEFAULT_LIMIT),
            offset: q.integer("offset", 0..=i64::MAX).unwrap_or(0),
            order_by: FileOrder::from_query(&mut q, "order_by").unwrap_or_default(),
            order_direction: Direction::read(&mut q, "order_direction").unwrap_or_default(),
        };
        q.finish()?;
        Ok(parsed)
    }

    /// Every file of one parent, oldest first (the by-idea and by-system views).
    pub fn children(idea_id: Option<Uuid>, system_id: Option<Uuid>) -> Self {
        Self {
            idea_id,
            system_id,
            limit: UNPAGED_CAP,
            order_direction: Direction::Asc,
            ..Self::default()
        }
    }
}

/// SHA-256 of `bytes`, lower-case hex, as uploads' checksums are.
pub fn checksum(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn upload_fields_follow_the_original_is_public_rule() {
        let f = UploadFields::parse(&pairs(&[("is_public", "true"), ("x", "y")])).expect("ok");
        assert!(f.is_public);
        for other in ["TRUE", "1", "yes", "false", ""] {
            let f = UploadFields::parse(&pairs(&[("is_public", other)])).expect("ok");
            assert!(!f.is_public, "{other}");
        }
        let bad = UploadFields::parse(&pairs(&[("idea_id", "nope")])).expect_err("bad");
        assert_eq!(bad.field_errors()[0].field, "idea_id");
    }
}

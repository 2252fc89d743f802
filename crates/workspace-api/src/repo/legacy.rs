//! The originals' data as they stored it, read for `import`: LowDB's `library.json`
//! (with the original's own fallbacks) and the PostgreSQL schema it ran on. Each row
//! comes back as one JSON object of its columns (`to_jsonb` of the row), so that every
//! variant of the schema (SERIAL or UUID ids, `text[]` or JSON tags, with or without a
//! categories table) reads the same way; what the rows mean is the domain's business.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use shared::import::ImportError;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::domain::legacy::{SourceKind, lowdb_default_categories};

/// Rows of one original, in the order it kept them.
#[derive(Debug, Clone)]
pub struct LegacySource {
    pub kind: SourceKind,
    pub categories: Vec<Value>,
    pub items: Vec<Value>,
    /// What the original would have done with this data that a reader should know.
    pub notes: Vec<String>,
}

/// A LowDB file, read as the original read it: `null` or a non-object is the defaults,
/// a missing `categories` key the six default categories; items in file order.
pub fn read_library(path: &Path) -> Result<LegacySource, ImportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ImportError::usage(format!("cannot read {}: {e}", path.display())))?;
    let data: Value = serde_json::from_str(&text).map_err(|e| {
        ImportError::usage(format!(
            "{} is not a LowDB file (JSON: {e})",
            path.display()
        ))
    })?;
    let mut notes = Vec::new();
    let list = |key: &str, notes: &mut Vec<String>| match data.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Array(rows)) => Some(rows.clone()),
        Some(_) => {
            notes.push(format!("`{key}` is not a list: read as absent"));
            None
        }
    };
    if !data.is_object() {
        notes.push("the file holds no object: the original's defaults".into());
    }
    let categories = list("categories", &mut notes).unwrap_or_else(|| {
        notes.push("no categories in the file: the original's six defaults".into());
        lowdb_default_categories()
    });
    let items = list("items", &mut notes).unwrap_or_else(|| {
        notes.push("no items in the file".into());
        Vec::new()
    });
    Ok(LegacySource {
        kind: SourceKind::LowDb,
        categories,
        items,
        notes,
    })
}

/// The original's PostgreSQL: `workspace_items` and `workspace_categories` on the URL's
/// `search_path`, by default `workspace, public` (as the original connected). Times are
/// read in UTC.
pub async fn read_postgres(url: &str) -> Result<LegacySource, ImportError> {
    let pool = connect(url).await?;
    let found = sqlx::query(
        "SELECT to_regclass('workspace_items') IS NOT NULL AS items, \
         to_regclass('workspace_categories') IS NOT NULL AS categories",
    )
    .fetch_one(&pool)
    .await?;
    let mut notes = Vec::new();
    if !found.try_get::<bool, _>("items")? {
        pool.close().await;
        return Err(ImportError::usage(
            "the source has no workspace_items table (search_path workspace, public, or the URL's)",
        ));
    }
    let categories = if found.try_get::<bool, _>("categories")? {
        rows(
            &pool,
            "SELECT to_jsonb(t) AS row FROM workspace_categories t ORDER BY to_jsonb(t)->>'name'",
        )
        .await?
    } else {
        notes.push("the source has no workspace_categories table".into());
        Vec::new()
    };
    let items = rows(
        &pool,
        "SELECT to_jsonb(t) AS row FROM workspace_items t ORDER BY t.created_at, t.id",
    )
    .await?;
    pool.close().await;
    Ok(LegacySource {
        kind: SourceKind::Postgres,
        categories,
        items,
        notes,
    })
}

/// A small pool on the original's database, its times in UTC, its `search_path` the
/// URL's or `workspace, public`.
pub async fn connect(url: &str) -> Result<sqlx::PgPool, ImportError> {
    let mut options = PgConnectOptions::from_str(url)
        .map_err(|e| ImportError::usage(format!("--from is not a usable PostgreSQL URL: {e}")))?
        .options([("TimeZone", "UTC")]);
    if !url.contains("search_path") {
        options = options.options([("search_path", "workspace,public")]);
    }
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| {
            ImportError::Failed(anyhow::anyhow!(
                "cannot connect to the source database: {}",
                shared::db::short(&e)
            ))
        })
}

async fn rows(pool: &sqlx::PgPool, sql: &'static str) -> sqlx::Result<Vec<Value>> {
    sqlx::query(sql)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.try_get::<Value, _>("row"))
        .collect()
}

//! The original's PostgreSQL, read for `import`, and the few statements the import needs
//! beyond the service's own. Each source row comes back as one JSON object of its columns
//! (`to_jsonb`), so that columns a deployment lacks or added read the same way; file
//! bytes are read one file at a time, never with the list.

use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use shared::db::{Codec, Tx, on_tx};
use shared::import::ImportError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool, Row};
use uuid::Uuid;

use super::WriteTx;
use crate::domain::system::System;

/// The original's tables, rows in creation order.
pub struct LegacyDocs {
    pool: PgPool,
    pub systems: Vec<Value>,
    pub ideas: Vec<Value>,
    /// Without their bytes ([`LegacyDocs::content`]).
    pub files: Vec<Value>,
    pub audit: Vec<Value>,
    has_content: bool,
    pub notes: Vec<String>,
}

const TABLES: [&str; 4] = [
    "documentation_systems",
    "documentation_ideas",
    "documentation_files",
    "documentation_audit_log",
];

/// Connects to the original (its `search_path` the URL's, else PostgreSQL's default;
/// times in UTC) and reads every row but file bytes.
pub async fn read_postgres(url: &str) -> Result<LegacyDocs, ImportError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| ImportError::usage(format!("--from is not a usable PostgreSQL URL: {e}")))?
        .options([("TimeZone", "UTC")]);
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| {
            ImportError::Failed(anyhow::anyhow!(
                "cannot connect to the source database: {}",
                shared::db::short(&e)
            ))
        })?;
    let mut notes = Vec::new();
    let mut found = Vec::new();
    for table in TABLES {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table)
            .fetch_one(&pool)
            .await?;
        if !exists {
            notes.push(format!("the source has no {table} table"));
        }
        found.push(exists);
    }
    if !found[..3].iter().any(|f| *f) {
        pool.close().await;
        return Err(ImportError::usage(
            "the source has none of documentation_systems, documentation_ideas, documentation_files",
        ));
    }
    let mut docs = LegacyDocs {
        systems: Vec::new(),
        ideas: Vec::new(),
        files: Vec::new(),
        audit: Vec::new(),
        has_content: false,
        notes,
        pool,
    };
    if found[0] {
        docs.systems = docs
            .rows(concat!(
                "SELECT to_jsonb(t) AS row FROM documentation_systems t ",
                "ORDER BY t.created_at, t.id"
            ))
            .await?;
    }
    if found[1] {
        docs.ideas = docs
            .rows(concat!(
                "SELECT to_jsonb(t) AS row FROM documentation_ideas t ",
                "ORDER BY t.created_at, t.id"
            ))
            .await?;
    }
    if found[2] {
        docs.read_files().await?;
    }
    if found[3] {
        docs.audit = docs
            .rows(concat!(
                "SELECT to_jsonb(t) AS row FROM documentation_audit_log t ",
                "ORDER BY t.created_at, t.id"
            ))
            .await?;
    }
    Ok(docs)
}

impl LegacyDocs {
    async fn rows(&self, sql: &'static str) -> sqlx::Result<Vec<Value>> {
        sqlx::query(sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| row.try_get::<Value, _>("row"))
            .collect()
    }

    /// The files' rows with every column but `content`, named from the catalog (so the
    /// list never carries the bytes).
    async fn read_files(&mut self) -> sqlx::Result<()> {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = to_regclass('documentation_files') \
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        )
        .fetch_all(&self.pool)
        .await?;
        self.has_content = columns.iter().any(|c| c == "content");
        let listed: Vec<String> = columns
            .iter()
            .filter(|c| *c != "content")
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        // Identifiers from the catalog, quoted; no value is spliced in.
        let sql = format!(
            "SELECT to_jsonb(t) AS row FROM (SELECT {} FROM documentation_files) t ORDER BY t.created_at, t.id",
            listed.join(", ")
        );
        self.files = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| row.try_get::<Value, _>("row"))
            .collect::<sqlx::Result<_>>()?;
        if !self.has_content {
            self.notes.push(
                "documentation_files has no content column: bytes read from file_path".into(),
            );
        }
        Ok(())
    }

    /// A file's bytes: its `content`, else what its `file_path` holds on this machine.
    pub async fn content(
        &self,
        id: &str,
        file_path: Option<&str>,
    ) -> sqlx::Result<Option<Vec<u8>>> {
        if self.has_content {
            let bytes: Option<Vec<u8>> =
                sqlx::query_scalar("SELECT content FROM documentation_files WHERE id::text = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .flatten();
            if bytes.is_some() {
                return Ok(bytes);
            }
        }
        Ok(file_path.and_then(|path| std::fs::read(path).ok()))
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl WriteTx {
    /// The id of the system holding `name` (its unique key), if any.
    pub async fn system_named(&mut self, name: &str) -> sqlx::Result<Option<Uuid>> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query("SELECT id FROM documentation_systems WHERE name_key = $1")
                .bind(System::name_key(name))
                .fetch_optional(&mut *conn)
                .await?
                .as_ref()
                .map(|row| D::get_uuid(row, "id"))
                .transpose()
        })
    }

    /// Whether the audit row `id` exists.
    pub async fn audit_exists(&mut self, id: Uuid) -> sqlx::Result<bool> {
        on_tx!(&mut self.0, |conn, D| async {
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM documentation_audit_log WHERE id = $1")
                    .bind(D::uuid(id))
                    .fetch_one(&mut *conn)
                    .await?;
            Ok::<_, sqlx::Error>(n > 0)
        })
    }

    /// Ends the transaction without writing anything (`import --dry-run`).
    pub async fn roll_back(self) -> sqlx::Result<()> {
        match self.0 {
            Tx::Postgres(tx) => tx.rollback().await,
            Tx::Sqlite(tx) => tx.rollback().await,
        }
    }
}

//! Statistics: every figure against what is stored (files and past timestamps written
//! straight into the database, in each engine's dialect, by the helpers here).

mod figures;
mod views;

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const MIB: i64 = 1024 * 1024;

/// Runs a statement straight on the app's database, in the engine's own dialect.
async fn exec(app: &TestApp, postgres: &str, sqlite: &str) {
    if app.database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.database_url)
            .await
            .expect("sqlite");
        sqlx::query(sqlx::AssertSqlSafe(sqlite.to_string()))
            .execute(&pool)
            .await
            .expect("sqlite statement");
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&app.database_url)
            .await
            .expect("postgres");
        sqlx::query(sqlx::AssertSqlSafe(postgres.to_string()))
            .execute(&pool)
            .await
            .expect("postgres statement");
        pool.close().await;
    }
}

/// A time as a literal of each engine's column: (PostgreSQL, SQLite).
fn at(t: DateTime<Utc>) -> (String, String) {
    (
        format!("'{}'", t.to_rfc3339()),
        t.timestamp_micros().to_string(),
    )
}

/// Moves `column` of the rows of `table` where `filter` holds `days` into the past.
async fn backdate(app: &TestApp, table: &str, column: &str, days: i64, filter: &str) {
    exec(
        app,
        &format!("UPDATE {table} SET {column} = {column} - INTERVAL '{days} days' WHERE {filter}"),
        &format!("UPDATE {table} SET {column} = {column} - {days} * 86400000000 WHERE {filter}"),
    )
    .await;
}

struct FileRow<'a> {
    name: &'a str,
    mime: &'a str,
    size: i64,
    public: bool,
    downloads: i64,
    idea: Option<&'a str>,
    uploader: &'a str,
    description: Option<&'a str>,
    days_ago: i64,
}

async fn insert_file(app: &TestApp, f: FileRow<'_>) {
    let (pg_time, sqlite_time) = at(Utc::now() - Duration::days(f.days_ago));
    let text = |v: Option<&str>| v.map_or("NULL".to_string(), |v| format!("'{v}'"));
    let statement = |time: &str, public: &str| {
        format!(
            "INSERT INTO documentation_files (id, filename, original_name, mime_type, size_bytes, checksum, \
             description, idea_id, system_id, uploaded_by, is_public, download_count, created_at, updated_at) \
             VALUES ('{}', 'stored-{}', '{}', '{}', {}, 'sha', {}, {}, NULL, '{}', {public}, {}, {time}, {time})",
            uuid::Uuid::now_v7(),
            f.name,
            f.name,
            f.mime,
            f.size,
            text(f.description),
            text(f.idea),
            f.uploader,
            f.downloads,
        )
    };
    let (pg_bool, sqlite_bool) = if f.public {
        ("TRUE", "1")
    } else {
        ("FALSE", "0")
    };
    exec(
        app,
        &statement(&pg_time, pg_bool),
        &statement(&sqlite_time, sqlite_bool),
    )
    .await;
}

async fn create(app: &TestApp, path: &str, body: Value) -> Value {
    let reply = app.post(path, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["data"].clone()
}

async fn data(app: &TestApp, path: &str) -> Value {
    let reply = app.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
    assert_eq!(reply.body["success"], true);
    reply.body["data"].clone()
}

//! Embedded SQLite queries. Timestamps are INTEGER microseconds; tags, metadata and audit
//! images are JSON text. Writes go through the single writer connection with
//! `BEGIN IMMEDIATE`, so two writers queue instead of failing mid-transaction.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, Sqlite, SqlitePool, Transaction};
use uuid::Uuid;

use super::{Reads, Tx, order_clause, search_pattern};
use crate::domain::audit::{Action, AuditEntry, AuditFilter, EntityType};
use crate::domain::category::Category;
use crate::domain::item::{Item, ItemId, Priority, Status};
use crate::domain::query::{ItemQuery, ItemStats};

const ITEM_COLUMNS: &str = "id, title, description, category, priority, status, tags, metadata, version, created_at, updated_at, created_by, updated_by";
const CATEGORY_COLUMNS: &str = "name, display_name, description, color, icon, display_order, is_active, created_at, updated_at, created_by";
const ITEM_FILTER: &str = "WHERE (?1 IS NULL OR category = ?1) AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR priority = ?3) \
     AND (?4 IS NULL OR title LIKE ?4 ESCAPE '\\' OR description LIKE ?4 ESCAPE '\\' \
          OR EXISTS (SELECT 1 FROM json_each(workspace_items.tags) WHERE json_each.value LIKE ?4 ESCAPE '\\'))";

#[derive(Clone, Debug)]
pub struct SqliteStore {
    reader: SqlitePool,
    writer: SqlitePool,
}

impl SqliteStore {
    pub fn new(reader: SqlitePool, writer: SqlitePool) -> Self {
        Self { reader, writer }
    }

    pub async fn begin(&self) -> sqlx::Result<SqliteTx> {
        Ok(SqliteTx(self.writer.begin_with("BEGIN IMMEDIATE").await?))
    }
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn time(row: &SqliteRow, column: &str) -> sqlx::Result<DateTime<Utc>> {
    let value: i64 = row.try_get(column)?;
    DateTime::from_timestamp_micros(value).ok_or_else(|| decode_err(column))
}

fn decode_err(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} in the workspace database").into())
}

fn json<T: serde::de::DeserializeOwned>(row: &SqliteRow, column: &str) -> sqlx::Result<T> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(e.into()))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

fn item(row: &SqliteRow) -> sqlx::Result<Item> {
    let priority: String = row.try_get("priority")?;
    let status: String = row.try_get("status")?;
    Ok(Item {
        id: ItemId::parse(&row.try_get::<String, _>("id")?).ok_or_else(|| decode_err("id"))?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        category: row.try_get("category")?,
        priority: Priority::parse(&priority).ok_or_else(|| decode_err("priority"))?,
        status: Status::parse(&status).ok_or_else(|| decode_err("status"))?,
        tags: json(row, "tags")?,
        metadata: json::<Map<String, Value>>(row, "metadata")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        created_by: row.try_get("created_by")?,
        updated_by: row.try_get("updated_by")?,
        version: row.try_get("version")?,
    })
}

fn category(row: &SqliteRow) -> sqlx::Result<Category> {
    let name: String = row.try_get("name")?;
    Ok(Category {
        id: name.clone(),
        name,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        color: row.try_get("color")?,
        icon: row.try_get("icon")?,
        display_order: row.try_get("display_order")?,
        is_active: row.try_get("is_active")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        created_by: row.try_get("created_by")?,
    })
}

fn audit_entry(row: &SqliteRow) -> sqlx::Result<AuditEntry> {
    let entity_type: String = row.try_get("entity_type")?;
    let action: String = row.try_get("action")?;
    let old: Option<String> = row.try_get("old_values")?;
    let new: Option<String> = row.try_get("new_values")?;
    let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str::<Value>(&t).ok());
    Ok(AuditEntry {
        id: Uuid::parse_str(&row.try_get::<String, _>("id")?)
            .map_err(|e| sqlx::Error::Decode(e.into()))?,
        entity_type: EntityType::parse(&entity_type).ok_or_else(|| decode_err("entity_type"))?,
        entity_id: row.try_get("entity_id")?,
        action: Action::parse(&action).ok_or_else(|| decode_err("action"))?,
        old_values: parse(old),
        new_values: parse(new),
        changed_fields: json(row, "changed_fields")?,
        actor: row.try_get("actor")?,
        ip_address: row.try_get("ip_address")?,
        user_agent: row.try_get("user_agent")?,
        request_id: row.try_get("request_id")?,
        changed_at: time(row, "changed_at")?,
    })
}

impl Reads for SqliteStore {
    async fn list_items(&self, q: &ItemQuery) -> sqlx::Result<(Vec<Item>, i64)> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS}, COUNT(*) OVER () AS total FROM workspace_items {ITEM_FILTER} ORDER BY {} LIMIT ?5 OFFSET ?6",
            order_clause(q.sort, q.order)
        );
        let pattern = q.search.as_deref().map(search_pattern);
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(q.category.clone())
            .bind(q.status.map(Status::as_str))
            .bind(q.priority.map(Priority::as_str))
            .bind(pattern.clone())
            .bind(q.effective_limit())
            .bind(q.offset)
            .fetch_all(&self.reader)
            .await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total")?,
            None if q.offset > 0 => {
                sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM workspace_items {ITEM_FILTER}"
                )))
                .bind(q.category.clone())
                .bind(q.status.map(Status::as_str))
                .bind(q.priority.map(Priority::as_str))
                .bind(pattern)
                .fetch_one(&self.reader)
                .await?
            }
            None => 0,
        };
        let items = rows.iter().map(item).collect::<sqlx::Result<_>>()?;
        Ok((items, total))
    }

    async fn item(&self, id: ItemId) -> sqlx::Result<Option<Item>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM workspace_items WHERE id = ?1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(item)
        .transpose()
    }

    async fn item_stats(&self) -> sqlx::Result<ItemStats> {
        let rows = sqlx::query("SELECT category, status, priority, COUNT(*) AS n FROM workspace_items GROUP BY 1, 2, 3")
            .fetch_all(&self.reader)
            .await?;
        let mut stats = ItemStats::default();
        for row in rows {
            stats.add(
                row.try_get("category")?,
                row.try_get("status")?,
                row.try_get("priority")?,
                row.try_get("n")?,
            );
        }
        Ok(stats)
    }

    async fn audit(&self, f: &AuditFilter) -> sqlx::Result<(Vec<AuditEntry>, i64)> {
        const FILTER: &str = "WHERE (?1 IS NULL OR entity_type = ?1) AND (?2 IS NULL OR entity_id = ?2) AND (?3 IS NULL OR action = ?3)";
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT *, COUNT(*) OVER () AS total FROM workspace_audit_log {FILTER} ORDER BY changed_at DESC, id DESC LIMIT ?4 OFFSET ?5"
        )))
        .bind(f.entity_type.map(EntityType::as_str))
        .bind(f.entity_id.clone())
        .bind(f.action.map(Action::as_str))
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(&self.reader)
        .await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total")?,
            None => {
                sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM workspace_audit_log {FILTER}"
                )))
                .bind(f.entity_type.map(EntityType::as_str))
                .bind(f.entity_id.clone())
                .bind(f.action.map(Action::as_str))
                .fetch_one(&self.reader)
                .await?
            }
        };
        let entries = rows.iter().map(audit_entry).collect::<sqlx::Result<_>>()?;
        Ok((entries, total))
    }

    async fn categories(&self) -> sqlx::Result<Vec<Category>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {CATEGORY_COLUMNS} FROM workspace_categories ORDER BY display_order, name"
        )))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(category)
        .collect()
    }

    async fn change_version(&self) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT version FROM workspace_changes WHERE id = 1")
            .fetch_one(&self.reader)
            .await
    }
}

pub struct SqliteTx(Transaction<'static, Sqlite>);

impl Tx for SqliteTx {
    async fn category(&mut self, name: &str) -> sqlx::Result<Option<Category>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {CATEGORY_COLUMNS} FROM workspace_categories WHERE name = ?1"
        )))
        .bind(name.to_string())
        .fetch_optional(&mut *self.0)
        .await?
        .as_ref()
        .map(category)
        .transpose()
    }

    async fn active_category_names(&mut self) -> sqlx::Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT name FROM workspace_categories WHERE is_active ORDER BY display_order, name",
        )
        .fetch_all(&mut *self.0)
        .await
    }

    async fn next_display_order(&mut self) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(display_order), 0) + 1 FROM workspace_categories")
            .fetch_one(&mut *self.0)
            .await
    }

    async fn insert_category(&mut self, c: &Category) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO workspace_categories (name, display_name, description, color, icon, display_order, is_active, created_at, updated_at, created_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(c.name.clone())
        .bind(c.display_name.clone())
        .bind(c.description.clone())
        .bind(c.color.clone())
        .bind(c.icon.clone())
        .bind(c.display_order)
        .bind(c.is_active)
        .bind(micros(c.created_at))
        .bind(micros(c.updated_at))
        .bind(c.created_by.clone())
        .execute(&mut *self.0)
        .await
        .map(|_| ())
    }

    async fn write_category(&mut self, old_name: &str, c: &Category) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE workspace_categories SET name = ?2, display_name = ?3, description = ?4, color = ?5, icon = ?6, \
             display_order = ?7, is_active = ?8, updated_at = ?9 WHERE name = ?1",
        )
        .bind(old_name.to_string())
        .bind(c.name.clone())
        .bind(c.display_name.clone())
        .bind(c.description.clone())
        .bind(c.color.clone())
        .bind(c.icon.clone())
        .bind(c.display_order)
        .bind(c.is_active)
        .bind(micros(c.updated_at))
        .execute(&mut *self.0)
        .await
        .map(|_| ())
    }

    async fn delete_category(&mut self, name: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM workspace_categories WHERE name = ?1")
            .bind(name.to_string())
            .execute(&mut *self.0)
            .await
            .map(|_| ())
    }

    async fn items_in_category(&mut self, name: &str) -> sqlx::Result<Vec<Item>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM workspace_items WHERE category = ?1"
        )))
        .bind(name.to_string())
        .fetch_all(&mut *self.0)
        .await?
        .iter()
        .map(item)
        .collect()
    }

    async fn item(&mut self, id: ItemId) -> sqlx::Result<Option<Item>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM workspace_items WHERE id = ?1"
        )))
        .bind(id.to_string())
        .fetch_optional(&mut *self.0)
        .await?
        .as_ref()
        .map(item)
        .transpose()
    }

    async fn insert_item(&mut self, i: &Item) -> sqlx::Result<()> {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO workspace_items ({ITEM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        )))
        .bind(i.id.to_string())
        .bind(i.title.clone())
        .bind(i.description.clone())
        .bind(i.category.clone())
        .bind(i.priority.as_str())
        .bind(i.status.as_str())
        .bind(to_json(&i.tags))
        .bind(to_json(&i.metadata))
        .bind(i.version)
        .bind(micros(i.created_at))
        .bind(micros(i.updated_at))
        .bind(i.created_by.clone())
        .bind(i.updated_by.clone())
        .execute(&mut *self.0)
        .await
        .map(|_| ())
    }

    async fn write_item(&mut self, i: &Item) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE workspace_items SET title = ?2, description = ?3, category = ?4, priority = ?5, status = ?6, tags = ?7, \
             metadata = ?8, version = ?9, updated_at = ?10, updated_by = ?11 WHERE id = ?1",
        )
        .bind(i.id.to_string())
        .bind(i.title.clone())
        .bind(i.description.clone())
        .bind(i.category.clone())
        .bind(i.priority.as_str())
        .bind(i.status.as_str())
        .bind(to_json(&i.tags))
        .bind(to_json(&i.metadata))
        .bind(i.version)
        .bind(micros(i.updated_at))
        .bind(i.updated_by.clone())
        .execute(&mut *self.0)
        .await
        .map(|_| ())
    }

    async fn delete_item(&mut self, i: &Item) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM workspace_items WHERE id = ?1")
            .bind(i.id.to_string())
            .execute(&mut *self.0)
            .await
            .map(|_| ())
    }

    async fn audit(&mut self, e: &AuditEntry) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO workspace_audit_log (id, entity_type, entity_id, action, old_values, new_values, changed_fields, \
             actor, ip_address, user_agent, request_id, changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .bind(e.id.to_string())
        .bind(e.entity_type.as_str())
        .bind(e.entity_id.clone())
        .bind(e.action.as_str())
        .bind(e.old_values.as_ref().map(to_json))
        .bind(e.new_values.as_ref().map(to_json))
        .bind(to_json(&e.changed_fields))
        .bind(e.actor.clone())
        .bind(e.ip_address.clone())
        .bind(e.user_agent.clone())
        .bind(e.request_id.clone())
        .bind(micros(e.changed_at))
        .execute(&mut *self.0)
        .await
        .map(|_| ())
    }

    async fn touch(&mut self) -> sqlx::Result<()> {
        sqlx::query("UPDATE workspace_changes SET version = version + 1 WHERE id = 1")
            .execute(&mut *self.0)
            .await
            .map(|_| ())
    }

    async fn commit(self) -> sqlx::Result<()> {
        self.0.commit().await
    }
}

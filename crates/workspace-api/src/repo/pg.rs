//! PostgreSQL / TimescaleDB queries. Lookups by item id add the creation time carried by
//! the UUIDv7, so a hypertable search touches a single chunk.

use serde_json::{Map, Value};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgPool, Postgres, Row, Transaction};

use super::{Reads, Tx, order_clause, search_pattern};
use crate::domain::audit::{Action, AuditEntry, AuditFilter, EntityType};
use crate::domain::category::Category;
use crate::domain::item::{Item, ItemId, Priority, Status};
use crate::domain::query::{ItemQuery, ItemStats};

const ITEM_COLUMNS: &str = "id, title, description, category, priority, status, tags, metadata, version, created_at, updated_at, created_by, updated_by";
const CATEGORY_COLUMNS: &str = "name, display_name, description, color, icon, display_order, is_active, created_at, updated_at, created_by";
const ITEM_BY_ID: &str =
    "WHERE id = $1 AND created_at >= $2 AND created_at < $2 + INTERVAL '1 millisecond'";

#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub async fn begin(&self) -> sqlx::Result<PgTx> {
        Ok(PgTx(self.pool.begin().await?))
    }

    /// Hypertables where the extension exists; compression and retention of the audit log
    /// where the license allows. Items are never retained away.
    pub async fn apply_timescale(&self) {
        use shared::db::{Timescale, optional_step};
        let ts = Timescale::detect(&self.pool).await;
        if !ts.hypertables {
            tracing::info!("timescaledb not installed: plain PostgreSQL tables");
            return;
        }
        optional_step(&self.pool, "workspace_items hypertable (1 month)",
            "SELECT create_hypertable('workspace_items', 'created_at', chunk_time_interval => INTERVAL '1 month', if_not_exists => TRUE, migrate_data => TRUE)").await;
        optional_step(&self.pool, "workspace_audit_log hypertable (1 day)",
            "SELECT create_hypertable('workspace_audit_log', 'changed_at', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)").await;
        if !ts.policies {
            tracing::info!("timescaledb Apache license: compression and retention skipped");
            return;
        }
        optional_step(&self.pool, "workspace_audit_log compression",
            "ALTER TABLE workspace_audit_log SET (timescaledb.compress, timescaledb.compress_segmentby = 'entity_type')").await;
        optional_step(&self.pool, "workspace_audit_log compression policy (30 days)",
            "SELECT add_compression_policy('workspace_audit_log', INTERVAL '30 days', if_not_exists => TRUE)").await;
        optional_step(&self.pool, "workspace_audit_log retention policy (365 days)",
            "SELECT add_retention_policy('workspace_audit_log', INTERVAL '365 days', if_not_exists => TRUE)").await;
    }
}

fn decode_err(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} in workspace_items").into())
}

fn item(row: &PgRow) -> sqlx::Result<Item> {
    let priority: String = row.try_get("priority")?;
    let status: String = row.try_get("status")?;
    let Json(metadata): Json<Map<String, Value>> = row.try_get("metadata")?;
    Ok(Item {
        id: ItemId::from_uuid(row.try_get("id")?).ok_or_else(|| decode_err("id"))?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        category: row.try_get("category")?,
        priority: Priority::parse(&priority).ok_or_else(|| decode_err("priority"))?,
        status: Status::parse(&status).ok_or_else(|| decode_err("status"))?,
        tags: row.try_get("tags")?,
        metadata,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        created_by: row.try_get("created_by")?,
        updated_by: row.try_get("updated_by")?,
        version: row.try_get("version")?,
    })
}

fn category(row: &PgRow) -> sqlx::Result<Category> {
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
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        created_by: row.try_get("created_by")?,
    })
}

fn audit_entry(row: &PgRow) -> sqlx::Result<AuditEntry> {
    let entity_type: String = row.try_get("entity_type")?;
    let action: String = row.try_get("action")?;
    let old: Option<Json<Value>> = row.try_get("old_values")?;
    let new: Option<Json<Value>> = row.try_get("new_values")?;
    Ok(AuditEntry {
        id: row.try_get("id")?,
        entity_type: EntityType::parse(&entity_type).ok_or_else(|| decode_err("entity_type"))?,
        entity_id: row.try_get("entity_id")?,
        action: Action::parse(&action).ok_or_else(|| decode_err("action"))?,
        old_values: old.map(|Json(v)| v),
        new_values: new.map(|Json(v)| v),
        changed_fields: row.try_get("changed_fields")?,
        actor: row.try_get("actor")?,
        ip_address: row.try_get("ip_address")?,
        user_agent: row.try_get("user_agent")?,
        request_id: row.try_get("request_id")?,
        changed_at: row.try_get("changed_at")?,
    })
}

const ITEM_FILTER: &str = "WHERE ($1::text IS NULL OR category = $1) \
     AND ($2::text IS NULL OR status = $2) \
     AND ($3::text IS NULL OR priority = $3) \
     AND ($4::text IS NULL OR title ILIKE $4 ESCAPE '\\' OR description ILIKE $4 ESCAPE '\\' \
          OR EXISTS (SELECT 1 FROM unnest(tags) AS tag WHERE tag ILIKE $4 ESCAPE '\\'))";

impl Reads for PgStore {
    async fn list_items(&self, q: &ItemQuery) -> sqlx::Result<(Vec<Item>, i64)> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS}, COUNT(*) OVER () AS total FROM workspace_items {ITEM_FILTER} ORDER BY {} LIMIT $5 OFFSET $6",
            order_clause(q.sort, q.order)
        );
        let pattern = q.search.as_deref().map(search_pattern);
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(q.category.as_deref())
            .bind(q.status.map(Status::as_str))
            .bind(q.priority.map(Priority::as_str))
            .bind(pattern.as_deref())
            .bind(q.effective_limit())
            .bind(q.offset)
            .fetch_all(&self.pool)
            .await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total")?,
            None if q.offset > 0 => {
                sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM workspace_items {ITEM_FILTER}"
                )))
                .bind(q.category.as_deref())
                .bind(q.status.map(Status::as_str))
                .bind(q.priority.map(Priority::as_str))
                .bind(pattern.as_deref())
                .fetch_one(&self.pool)
                .await?
            }
            None => 0,
        };
        let items = rows.iter().map(item).collect::<sqlx::Result<_>>()?;
        Ok((items, total))
    }

    async fn item(&self, id: ItemId) -> sqlx::Result<Option<Item>> {
        let at = id.created_at();
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM workspace_items {ITEM_BY_ID}"
        )))
        .bind(id.uuid())
        .bind(at)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(item)
        .transpose()
    }

    async fn item_stats(&self) -> sqlx::Result<ItemStats> {
        let rows = sqlx::query("SELECT category, status, priority, COUNT(*) AS n FROM workspace_items GROUP BY 1, 2, 3")
            .fetch_all(&self.pool)
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
        const FILTER: &str = "WHERE ($1::text IS NULL OR entity_type = $1) AND ($2::text IS NULL OR entity_id = $2) \
             AND ($3::text IS NULL OR action = $3)";
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT *, COUNT(*) OVER () AS total FROM workspace_audit_log {FILTER} ORDER BY changed_at DESC, id DESC LIMIT $4 OFFSET $5"
        )))
        .bind(f.entity_type.map(EntityType::as_str))
        .bind(f.entity_id.as_deref())
        .bind(f.action.map(Action::as_str))
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(&self.pool)
        .await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total")?,
            None => {
                sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM workspace_audit_log {FILTER}"
                )))
                .bind(f.entity_type.map(EntityType::as_str))
                .bind(f.entity_id.as_deref())
                .bind(f.action.map(Action::as_str))
                .fetch_one(&self.pool)
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
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(category)
        .collect()
    }

    async fn change_version(&self) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT version FROM workspace_changes WHERE id = 1")
            .fetch_one(&self.pool)
            .await
    }
}

pub struct PgTx(Transaction<'static, Postgres>);

impl Tx for PgTx {
    async fn category(&mut self, name: &str) -> sqlx::Result<Option<Category>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {CATEGORY_COLUMNS} FROM workspace_categories WHERE name = $1 FOR UPDATE"
        )))
        .bind(name)
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&c.name)
        .bind(&c.display_name)
        .bind(&c.description)
        .bind(&c.color)
        .bind(&c.icon)
        .bind(c.display_order)
        .bind(c.is_active)
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(&c.created_by)
        .execute(&mut *self.0)
        .await
        .map(|_| ())
    }

    async fn write_category(&mut self, old_name: &str, c: &Category) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE workspace_categories SET name = $2, display_name = $3, description = $4, color = $5, icon = $6, \
             display_order = $7, is_active = $8, updated_at = $9 WHERE name = $1",
        )
        .bind(old_name)
        .bind(&c.name)
        .bind(&c.display_name)
        .bind(&c.description)
        .bind(&c.color)
        .bind(&c.icon)
        .bind(c.display_order)
        .bind(c.is_active)
        .bind(c.updated_at)
        .execute(&mut *self.0)
        .await
        .map(|_| ())
    }

    async fn delete_category(&mut self, name: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM workspace_categories WHERE name = $1")
            .bind(name)
            .execute(&mut *self.0)
            .await
            .map(|_| ())
    }

    async fn items_in_category(&mut self, name: &str) -> sqlx::Result<Vec<Item>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM workspace_items WHERE category = $1 FOR UPDATE"
        )))
        .bind(name)
        .fetch_all(&mut *self.0)
        .await?
        .iter()
        .map(item)
        .collect()
    }

    async fn item(&mut self, id: ItemId) -> sqlx::Result<Option<Item>> {
        let at = id.created_at();
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM workspace_items {ITEM_BY_ID} FOR UPDATE"
        )))
        .bind(id.uuid())
        .bind(at)
        .fetch_optional(&mut *self.0)
        .await?
        .as_ref()
        .map(item)
        .transpose()
    }

    async fn insert_item(&mut self, i: &Item) -> sqlx::Result<()> {
        let id = i.id.uuid();
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO workspace_items ({ITEM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )))
        .bind(id)
        .bind(&i.title)
        .bind(&i.description)
        .bind(&i.category)
        .bind(i.priority.as_str())
        .bind(i.status.as_str())
        .bind(&i.tags)
        .bind(Json(&i.metadata))
        .bind(i.version)
        .bind(i.created_at)
        .bind(i.updated_at)
        .bind(&i.created_by)
        .bind(&i.updated_by)
        .execute(&mut *self.0)
        .await
        .map(|_| ())
    }

    async fn write_item(&mut self, i: &Item) -> sqlx::Result<()> {
        let id = i.id.uuid();
        sqlx::query(
            "UPDATE workspace_items SET title = $3, description = $4, category = $5, priority = $6, status = $7, tags = $8, \
             metadata = $9, version = $10, updated_at = $11, updated_by = $12 WHERE id = $1 AND created_at = $2",
        )
        .bind(id)
        .bind(i.created_at)
        .bind(&i.title)
        .bind(&i.description)
        .bind(&i.category)
        .bind(i.priority.as_str())
        .bind(i.status.as_str())
        .bind(&i.tags)
        .bind(Json(&i.metadata))
        .bind(i.version)
        .bind(i.updated_at)
        .bind(&i.updated_by)
        .execute(&mut *self.0)
        .await
        .map(|_| ())
    }

    async fn delete_item(&mut self, i: &Item) -> sqlx::Result<()> {
        let id = i.id.uuid();
        sqlx::query("DELETE FROM workspace_items WHERE id = $1 AND created_at = $2")
            .bind(id)
            .bind(i.created_at)
            .execute(&mut *self.0)
            .await
            .map(|_| ())
    }

    async fn audit(&mut self, e: &AuditEntry) -> sqlx::Result<()> {
        let id = e.id;
        sqlx::query(
            "INSERT INTO workspace_audit_log (id, entity_type, entity_id, action, old_values, new_values, changed_fields, \
             actor, ip_address, user_agent, request_id, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id)
        .bind(e.entity_type.as_str())
        .bind(&e.entity_id)
        .bind(e.action.as_str())
        .bind(e.old_values.as_ref().map(Json))
        .bind(e.new_values.as_ref().map(Json))
        .bind(&e.changed_fields)
        .bind(&e.actor)
        .bind(&e.ip_address)
        .bind(&e.user_agent)
        .bind(&e.request_id)
        .bind(e.changed_at)
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

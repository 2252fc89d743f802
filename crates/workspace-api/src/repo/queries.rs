//! Every statement, written once for both engines: the SQL both accept is a literal here,
//! what differs comes from the backend's [`Dialect`], and rows become domain types in one
//! mapper whose backend-specific columns (times, ids, lists, JSON) the dialect decodes.

use std::marker::PhantomData;

use serde_json::Value;
use shared::db::Codec;
use sqlx::{AssertSqlSafe, ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};

use super::order_clause;
use super::sql::*;
use crate::domain::audit::{Action, AuditEntry, AuditFilter, EntityType};
use crate::domain::category::Category;
use crate::domain::item::{Item, ItemId, Priority, Status};
use crate::domain::query::{ItemQuery, ItemStats};

/// What the two engines do differently: the SQL that genuinely differs; how the columns
/// that have no common type are bound and read is the shared [`Codec`].
pub(super) trait Dialect: Codec {
    /// Opens a write transaction.
    const BEGIN_WRITE: &'static str;
    /// Audit rows, with or without an item change, written with the change mark.
    const RECORDS: Records;
    /// Whether a guarded write (several statements on SQLite) needs a transaction to be
    /// atomic; on PostgreSQL it is a single statement.
    const GUARDED_NEEDS_TRANSACTION: bool;
    /// `WHERE` of the item list and its count: `$1` category, `$2` status, `$3` priority,
    /// `$4` search pattern.
    const ITEM_FILTER: &'static str;
    /// A category by name, locked against any concurrent change.
    const CATEGORY_LOCKED: &'static str;
    /// The items of a category (`$1`), locked.
    const ITEMS_IN_CATEGORY_LOCKED: &'static str;
}

fn decode_err(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} in the workspace database").into())
}

/// The statements, for whichever engine `DB` is.
pub(super) struct Queries<DB>(PhantomData<DB>);

impl<DB: Dialect> Queries<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB>,
    for<'a> Option<DB::Json<'a>>: Encode<'a, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
{
    pub async fn begin_write(pool: &Pool<DB>) -> sqlx::Result<sqlx::Transaction<'static, DB>> {
        pool.begin_with(DB::BEGIN_WRITE).await
    }

    pub async fn list_items(pool: &Pool<DB>, q: &ItemQuery) -> sqlx::Result<(Vec<Item>, i64)> {
        // The one statement built at run time: the ORDER BY is one of a fixed set.
        let sql = format!(
            concat!(
                "SELECT ",
                item_columns!(),
                ", COUNT(*) OVER () AS total FROM workspace_items {} ORDER BY {} LIMIT $5 OFFSET $6"
            ),
            DB::ITEM_FILTER,
            order_clause(q.sort, q.order)
        );
        let pattern = q.search.as_deref().map(shared::db::like_pattern);
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(q.category.as_deref())
            .bind(q.status.map(Status::as_str))
            .bind(q.priority.map(Priority::as_str))
            .bind(pattern.as_deref())
            .bind(q.effective_limit())
            .bind(q.offset)
            .fetch_all(pool)
            .await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total")?,
            None if q.offset > 0 => {
                let sql = format!(
                    "SELECT COUNT(*) AS n FROM workspace_items {}",
                    DB::ITEM_FILTER
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(q.category.as_deref())
                    .bind(q.status.map(Status::as_str))
                    .bind(q.priority.map(Priority::as_str))
                    .bind(pattern.as_deref())
                    .fetch_one(pool)
                    .await?
                    .try_get("n")?
            }
            None => 0,
        };
        let items = rows
            .iter()
            .map(Self::item_row)
            .collect::<sqlx::Result<_>>()?;
        Ok((items, total))
    }

    /// The item `id`; `sql` is [`item_by_id`] or its locking form.
    pub async fn item<'c>(
        e: impl Executor<'c, Database = DB>,
        sql: &'static str,
        id: ItemId,
    ) -> sqlx::Result<Option<Item>> {
        let (from, to) = id.created_window();
        sqlx::query(sql)
            .bind(DB::uuid(id.uuid()))
            .bind(DB::time(from))
            .bind(DB::time(to))
            .fetch_optional(e)
            .await?
            .as_ref()
            .map(Self::item_row)
            .transpose()
    }

    pub async fn items_in_category<'c>(
        e: impl Executor<'c, Database = DB>,
        name: &str,
    ) -> sqlx::Result<Vec<Item>> {
        sqlx::query(DB::ITEMS_IN_CATEGORY_LOCKED)
            .bind(name)
            .fetch_all(e)
            .await?
            .iter()
            .map(Self::item_row)
            .collect()
    }

    pub async fn item_stats(pool: &Pool<DB>) -> sqlx::Result<ItemStats> {
        let mut stats = ItemStats::default();
        for row in sqlx::query(ITEM_STATS).fetch_all(pool).await? {
            stats.add(
                row.try_get("category")?,
                row.try_get("status")?,
                row.try_get("priority")?,
                row.try_get("n")?,
            );
        }
        Ok(stats)
    }

    pub async fn audit(pool: &Pool<DB>, f: &AuditFilter) -> sqlx::Result<(Vec<AuditEntry>, i64)> {
        let entity_type = f.entity_type.map(EntityType::as_str);
        let action = f.action.map(Action::as_str);
        let rows = sqlx::query(AUDIT_PAGE)
            .bind(entity_type)
            .bind(f.entity_id.as_deref())
            .bind(action)
            .bind(f.limit)
            .bind(f.offset)
            .fetch_all(pool)
            .await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total")?,
            None => sqlx::query(AUDIT_COUNT)
                .bind(entity_type)
                .bind(f.entity_id.as_deref())
                .bind(action)
                .fetch_one(pool)
                .await?
                .try_get("n")?,
        };
        let entries = rows
            .iter()
            .map(Self::audit_row)
            .collect::<sqlx::Result<_>>()?;
        Ok((entries, total))
    }

    pub async fn categories(pool: &Pool<DB>) -> sqlx::Result<Vec<Category>> {
        sqlx::query(CATEGORIES)
            .fetch_all(pool)
            .await?
            .iter()
            .map(Self::category_row)
            .collect()
    }

    pub async fn change_version(pool: &Pool<DB>) -> sqlx::Result<i64> {
        sqlx::query(CHANGE_VERSION)
            .fetch_one(pool)
            .await?
            .try_get("version")
    }

    /// The category `name`; `sql` is the dialect's locking form.
    pub async fn category<'c>(
        e: impl Executor<'c, Database = DB>,
        sql: &'static str,
        name: &str,
    ) -> sqlx::Result<Option<Category>> {
        sqlx::query(sql)
            .bind(name)
            .fetch_optional(e)
            .await?
            .as_ref()
            .map(Self::category_row)
            .transpose()
    }

    pub async fn active_category_names<'c>(
        e: impl Executor<'c, Database = DB>,
    ) -> sqlx::Result<Vec<String>> {
        sqlx::query(ACTIVE_CATEGORY_NAMES)
            .fetch_all(e)
            .await?
            .iter()
            .map(|row| row.try_get("name"))
            .collect()
    }

    pub async fn next_display_order<'c>(e: impl Executor<'c, Database = DB>) -> sqlx::Result<i64> {
        sqlx::query(NEXT_DISPLAY_ORDER)
            .fetch_one(e)
            .await?
            .try_get("n")
    }

    pub async fn insert_category<'c>(
        e: impl Executor<'c, Database = DB>,
        c: &Category,
    ) -> sqlx::Result<()> {
        sqlx::query(INSERT_CATEGORY)
            .bind(c.name.as_str())
            .bind(c.display_name.as_str())
            .bind(c.description.as_deref())
            .bind(c.color.as_str())
            .bind(c.icon.as_deref())
            .bind(c.display_order)
            .bind(c.is_active)
            .bind(DB::time(c.created_at))
            .bind(DB::time(c.updated_at))
            .bind(c.created_by.as_deref())
            .execute(e)
            .await
            .map(|_| ())
    }

    pub async fn update_category<'c>(
        e: impl Executor<'c, Database = DB>,
        old_name: &str,
        c: &Category,
    ) -> sqlx::Result<()> {
        sqlx::query(UPDATE_CATEGORY)
            .bind(old_name)
            .bind(c.name.as_str())
            .bind(c.display_name.as_str())
            .bind(c.description.as_deref())
            .bind(c.color.as_str())
            .bind(c.icon.as_deref())
            .bind(c.display_order)
            .bind(c.is_active)
            .bind(DB::time(c.updated_at))
            .execute(e)
            .await
            .map(|_| ())
    }

    pub async fn delete_category<'c>(
        e: impl Executor<'c, Database = DB>,
        name: &str,
    ) -> sqlx::Result<()> {
        sqlx::query(DELETE_CATEGORY)
            .bind(name)
            .execute(e)
            .await
            .map(|_| ())
    }

    /// One of the dialect's unguarded [`Records`], inside a transaction.
    pub async fn record<'c>(
        e: impl Executor<'c, Database = DB>,
        sql: &'static str,
        a: &AuditEntry,
        item: Option<&Item>,
    ) -> sqlx::Result<()> {
        Self::record_query(sql, a, item.map(|i| (i, false)))
            .execute(e)
            .await
            .map(|_| ())
    }

    /// One of the dialect's guarded [`Records`]: whether it wrote anything. `run` is an
    /// update's later audit rows and the version it was decided on.
    pub async fn record_if(
        pool: &Pool<DB>,
        sql: &'static str,
        a: &AuditEntry,
        item: &Item,
        moves: bool,
        run: Option<(&[AuditEntry], i64)>,
    ) -> sqlx::Result<bool> {
        let later = run.map(|(later, _)| Self::audit_rows(later));
        let mut query = Self::record_query(sql, a, Some((item, moves)));
        if let (Some(later), Some((_, read_version))) = (&later, run) {
            query = query.bind(DB::json(later)).bind(read_version);
        }
        let n: i64 = if DB::GUARDED_NEEDS_TRANSACTION {
            let mut tx = pool.begin_with(DB::BEGIN_WRITE).await?;
            let n = query.fetch_one(&mut *tx).await?.try_get("n")?;
            tx.commit().await?;
            n
        } else {
            query.fetch_one(pool).await?.try_get("n")?
        };
        Ok(n > 0)
    }

    /// Audit rows as one JSON array of objects keyed by column, each column encoded as
    /// the dialect stores it (the statement only unpacks them).
    fn audit_rows(rows: &[AuditEntry]) -> Value {
        let row = |a: &AuditEntry| {
            serde_json::json!({
                "id": a.id,
                "entity_type": a.entity_type.as_str(),
                "entity_id": a.entity_id,
                "action": a.action.as_str(),
                "old_values": a.old_values,
                "new_values": a.new_values,
                "changed_fields": a.changed_fields,
                "actor": a.actor,
                "ip_address": a.ip_address,
                "user_agent": a.user_agent,
                "request_id": a.request_id,
                "changed_at": DB::json_time(a.changed_at),
            })
        };
        Value::Array(rows.iter().map(row).collect())
    }

    /// Binds an audit row, then the item (even where the statement reads only its key) and
    /// whether it moves to another category.
    fn record_query<'q>(
        sql: &'static str,
        a: &'q AuditEntry,
        item: Option<(&'q Item, bool)>,
    ) -> sqlx::query::Query<'q, DB, DB::Arguments> {
        let query = sqlx::query(sql)
            .bind(DB::uuid(a.id))
            .bind(a.entity_type.as_str())
            .bind(a.entity_id.as_str())
            .bind(a.action.as_str())
            .bind(a.old_values.as_ref().map(DB::json))
            .bind(a.new_values.as_ref().map(DB::json))
            .bind(DB::strings(&a.changed_fields))
            .bind(a.actor.as_str())
            .bind(a.ip_address.as_deref())
            .bind(a.user_agent.as_deref())
            .bind(a.request_id.as_deref())
            .bind(DB::time(a.changed_at));
        let Some((i, moves)) = item else {
            return query;
        };
        let metadata = Value::Object(i.metadata.clone());
        query
            .bind(DB::uuid(i.id.uuid()))
            .bind(i.title.as_str())
            .bind(i.description.as_str())
            .bind(i.category.as_str())
            .bind(i.priority.as_str())
            .bind(i.status.as_str())
            .bind(DB::strings(&i.tags))
            .bind(DB::json(&metadata))
            .bind(i.version)
            .bind(DB::time(i.created_at))
            .bind(DB::time(i.updated_at))
            .bind(i.created_by.as_deref())
            .bind(i.updated_by.as_deref())
            .bind(moves)
    }

    /// A text column that must parse as a domain value.
    fn parsed<T>(row: &DB::Row, column: &str, parse: fn(&str) -> Option<T>) -> sqlx::Result<T> {
        let text: String = row.try_get(column)?;
        parse(&text).ok_or_else(|| decode_err(column))
    }

    fn item_row(row: &DB::Row) -> sqlx::Result<Item> {
        let Some(Value::Object(metadata)) = DB::get_json(row, "metadata")? else {
            return Err(decode_err("metadata"));
        };
        Ok(Item {
            id: ItemId::from_uuid(DB::get_uuid(row, "id")?).ok_or_else(|| decode_err("id"))?,
            title: row.try_get("title")?,
            description: row.try_get("description")?,
            category: row.try_get("category")?,
            priority: Self::parsed(row, "priority", Priority::parse)?,
            status: Self::parsed(row, "status", Status::parse)?,
            tags: DB::get_strings(row, "tags")?,
            metadata,
            created_at: DB::get_time(row, "created_at")?,
            updated_at: DB::get_time(row, "updated_at")?,
            created_by: row.try_get("created_by")?,
            updated_by: row.try_get("updated_by")?,
            version: row.try_get("version")?,
        })
    }

    fn category_row(row: &DB::Row) -> sqlx::Result<Category> {
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
            created_at: DB::get_time(row, "created_at")?,
            updated_at: DB::get_time(row, "updated_at")?,
            created_by: row.try_get("created_by")?,
        })
    }

    fn audit_row(row: &DB::Row) -> sqlx::Result<AuditEntry> {
        Ok(AuditEntry {
            id: DB::get_uuid(row, "id")?,
            entity_type: Self::parsed(row, "entity_type", EntityType::parse)?,
            entity_id: row.try_get("entity_id")?,
            action: Self::parsed(row, "action", Action::parse)?,
            old_values: DB::get_json(row, "old_values")?,
            new_values: DB::get_json(row, "new_values")?,
            changed_fields: DB::get_strings(row, "changed_fields")?,
            actor: row.try_get("actor")?,
            ip_address: row.try_get("ip_address")?,
            user_agent: row.try_get("user_agent")?,
            request_id: row.try_get("request_id")?,
            changed_at: DB::get_time(row, "changed_at")?,
        })
    }
}

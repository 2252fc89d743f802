//! The repository layer: the only place with SQL. Each backend implements two small
//! traits (reads on the pool, writes inside a transaction); the rules of every write —
//! category checks, If-Match, audit rows, the change counter — are written once, here,
//! and run inside one transaction, so a failed request leaves nothing behind.

mod pg;
mod sqlite;

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::Value;
use shared::db::{Db, Pools};
use uuid::Uuid;

use crate::domain::audit::{AuditEntry, EntityType, RequestMeta};
use crate::domain::category::{Category, CategoryPatch, NewCategory};
use crate::domain::item::{Item, ItemPatch, NewItem};
use crate::domain::query::{ItemQuery, SortKey, SortOrder};
use crate::error::{Error, Result};

/// Counts by category, status and priority.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemStats {
    pub total: i64,
    pub by_category: std::collections::BTreeMap<String, i64>,
    pub by_status: std::collections::BTreeMap<String, i64>,
    pub by_priority: std::collections::BTreeMap<String, i64>,
}

impl ItemStats {
    fn add(&mut self, category: String, status: String, priority: String, n: i64) {
        self.total += n;
        *self.by_category.entry(category).or_default() += n;
        *self.by_status.entry(status).or_default() += n;
        *self.by_priority.entry(priority).or_default() += n;
    }
}

/// The ORDER BY of the item list: whitelisted fragments, never client text. Every order
/// ends on `id` so pages are stable.
fn order_clause(sort: SortKey, order: SortOrder) -> &'static str {
    use SortKey::*;
    use SortOrder::*;
    match (sort, order) {
        (CreatedAt, Desc) => "created_at DESC, id DESC",
        (CreatedAt, Asc) => "created_at ASC, id ASC",
        (UpdatedAt, Desc) => "updated_at DESC, id DESC",
        (UpdatedAt, Asc) => "updated_at ASC, id ASC",
        (Priority, Desc) => {
            "CASE priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, created_at DESC, id DESC"
        }
        (Priority, Asc) => {
            "CASE priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END ASC, created_at DESC, id DESC"
        }
        (Title, Desc) => "lower(title) DESC, id DESC",
        (Title, Asc) => "lower(title) ASC, id ASC",
    }
}

/// A substring LIKE pattern with the client's `%`, `_` and `\` taken literally.
fn search_pattern(search: &str) -> String {
    let mut out = String::with_capacity(search.len() + 2);
    out.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Filters of `GET /api/audit`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<EntityType>,
    pub entity_id: Option<String>,
    pub action: Option<crate::domain::audit::Action>,
    pub limit: i64,
    pub offset: i64,
}

/// A category update: fields from a client, or the toggle of `is_active`.
#[derive(Debug, Clone)]
pub enum CategoryChange {
    Patch(CategoryPatch),
    Toggle,
}

/// `If-Match`: absent (unconditional), `*`, or a list of ETags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    fn admits(&self, item: &Item) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Tags(tags) => tags.contains(&item.etag()),
        }
    }
}

/// Reads, straight from the pool.
pub(crate) trait Reads: Send + Sync {
    fn list_items(
        &self,
        q: &ItemQuery,
    ) -> impl Future<Output = sqlx::Result<(Vec<Item>, i64)>> + Send;
    fn item(&self, id: Uuid) -> impl Future<Output = sqlx::Result<Option<Item>>> + Send;
    fn item_stats(&self) -> impl Future<Output = sqlx::Result<ItemStats>> + Send;
    fn audit(
        &self,
        f: &AuditFilter,
    ) -> impl Future<Output = sqlx::Result<(Vec<AuditEntry>, i64)>> + Send;
    fn categories(&self) -> impl Future<Output = sqlx::Result<Vec<Category>>> + Send;
    fn change_version(&self) -> impl Future<Output = sqlx::Result<i64>> + Send;
}

/// Writes, inside one transaction.
pub(crate) trait Tx: Send + Sized {
    /// The category, locked against concurrent deletion/rename when the backend can.
    fn category(
        &mut self,
        name: &str,
    ) -> impl Future<Output = sqlx::Result<Option<Category>>> + Send;
    fn active_category_names(&mut self) -> impl Future<Output = sqlx::Result<Vec<String>>> + Send;
    fn next_display_order(&mut self) -> impl Future<Output = sqlx::Result<i64>> + Send;
    fn insert_category(&mut self, c: &Category) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn write_category(
        &mut self,
        old_name: &str,
        c: &Category,
    ) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn delete_category(&mut self, name: &str) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn items_in_category(
        &mut self,
        name: &str,
    ) -> impl Future<Output = sqlx::Result<Vec<Item>>> + Send;
    /// The item, locked for the rest of the transaction.
    fn item(&mut self, id: Uuid) -> impl Future<Output = sqlx::Result<Option<Item>>> + Send;
    fn insert_item(&mut self, item: &Item) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn write_item(&mut self, item: &Item) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn delete_item(&mut self, item: &Item) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn audit(&mut self, entry: &AuditEntry) -> impl Future<Output = sqlx::Result<()>> + Send;
    /// Bumps the change counter every list cache validates against.
    fn touch(&mut self) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn commit(self) -> impl Future<Output = sqlx::Result<()>> + Send;
}

#[derive(Clone, Debug)]
enum Backend {
    Pg(pg::PgStore),
    Sqlite(sqlite::SqliteStore),
}

/// The workspace's storage, whichever backend the URL picked.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    backend: Backend,
}

/// Runs `$body` with `$s` bound to the backend's store, timed as `$op`.
macro_rules! on_backend {
    ($self:ident, $op:literal, $s:ident => $body:expr) => {
        match &$self.backend {
            Backend::Pg($s) => $self.db.timed($op, $body).await,
            Backend::Sqlite($s) => $self.db.timed($op, $body).await,
        }
    };
}

impl Store {
    pub fn new(db: Db) -> Self {
        let backend = match &db.pools {
            Pools::Postgres(pool) => Backend::Pg(pg::PgStore::new(pool.clone())),
            Pools::Sqlite { reader, writer } => {
                Backend::Sqlite(sqlite::SqliteStore::new(reader.clone(), writer.clone()))
            }
        };
        Self { db, backend }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Creates hypertables and policies where TimescaleDB offers them (PostgreSQL only).
    pub async fn apply_timescale(&self) {
        if let Backend::Pg(s) = &self.backend {
            s.apply_timescale().await;
        }
    }

    pub async fn list_items(&self, q: &ItemQuery) -> Result<(Vec<Item>, i64)> {
        Ok(on_backend!(self, "items.list", s => s.list_items(q))?)
    }

    pub async fn item(&self, id: Uuid) -> Result<Option<Item>> {
        Ok(on_backend!(self, "items.get", s => s.item(id))?)
    }

    pub async fn item_stats(&self) -> Result<ItemStats> {
        Ok(on_backend!(self, "items.stats", s => s.item_stats())?)
    }

    pub async fn audit(&self, f: &AuditFilter) -> Result<(Vec<AuditEntry>, i64)> {
        Ok(on_backend!(self, "audit.list", s => s.audit(f))?)
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        Ok(on_backend!(self, "categories.list", s => s.categories())?)
    }

    pub async fn change_version(&self) -> Result<i64> {
        Ok(on_backend!(self, "changes.version", s => s.change_version())?)
    }

    pub async fn create_item(&self, new: NewItem, meta: &RequestMeta) -> Result<Item> {
        on_backend!(self, "items.create", s => async { create_item(s.begin().await?, new, meta).await })
    }

    pub async fn update_item(
        &self,
        id: &str,
        patch: ItemPatch,
        if_match: Option<IfMatch>,
        meta: &RequestMeta,
    ) -> Result<Item> {
        on_backend!(self, "items.update", s => async { update_item(s.begin().await?, id, patch, if_match, meta).await })
    }

    pub async fn delete_item(
        &self,
        id: &str,
        if_match: Option<IfMatch>,
        meta: &RequestMeta,
    ) -> Result<()> {
        on_backend!(self, "items.delete", s => async { delete_item(s.begin().await?, id, if_match, meta).await })
    }

    pub async fn create_category(&self, new: NewCategory, meta: &RequestMeta) -> Result<Category> {
        on_backend!(self, "categories.create", s => async { create_category(s.begin().await?, new, meta).await })
    }

    pub async fn update_category(
        &self,
        name: &str,
        change: CategoryChange,
        meta: &RequestMeta,
    ) -> Result<Category> {
        on_backend!(self, "categories.update", s => async { update_category(s.begin().await?, name, change, meta).await })
    }

    pub async fn delete_category(&self, name: &str, meta: &RequestMeta) -> Result<()> {
        on_backend!(self, "categories.delete", s => async { delete_category(s.begin().await?, name, meta).await })
    }
}

/// Item ids are UUIDv7; anything else simply does not exist (404, never 400).
pub fn parse_item_id(id: &str) -> Option<Uuid> {
    Uuid::parse_str(id)
        .ok()
        .filter(|u| u.get_version_num() == 7)
}

/// The creation time a UUIDv7 carries (milliseconds), which lets PostgreSQL search one chunk.
pub fn uuid_time(id: Uuid) -> Option<DateTime<Utc>> {
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
}

/// The server clock at the precision both backends store (microseconds).
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn image<T: Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

async fn require_active_category<T: Tx>(tx: &mut T, name: &str) -> Result<()> {
    match tx.category(name).await? {
        Some(c) if c.is_active => Ok(()),
        _ => Err(Error::InvalidCategory {
            name: name.to_string(),
            valid: tx.active_category_names().await?,
        }),
    }
}

async fn create_item<T: Tx>(mut tx: T, new: NewItem, meta: &RequestMeta) -> Result<Item> {
    require_active_category(&mut tx, &new.category).await?;
    let at = now();
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        at.timestamp() as u64,
        at.timestamp_subsec_nanos(),
    );
    let item = Item {
        id: Uuid::new_v7(ts).to_string(),
        title: new.title,
        description: new.description,
        category: new.category,
        priority: new.priority,
        status: new.status,
        tags: new.tags,
        metadata: new.metadata,
        created_at: at,
        updated_at: at,
        created_by: Some(meta.actor.clone()),
        updated_by: Some(meta.actor.clone()),
        version: 1,
    };
    tx.insert_item(&item).await?;
    tx.audit(&AuditEntry::record(
        EntityType::Item,
        &item.id,
        None,
        image(&item),
        meta,
        at,
    ))
    .await?;
    finish(tx).await?;
    Ok(item)
}

async fn update_item<T: Tx>(
    mut tx: T,
    id: &str,
    patch: ItemPatch,
    if_match: Option<IfMatch>,
    meta: &RequestMeta,
) -> Result<Item> {
    let current = match parse_item_id(id) {
        Some(uuid) => tx.item(uuid).await?,
        None => None,
    };
    let Some(current) = current else {
        // The original validated the category before looking the item up; keep that order.
        if let Some(category) = &patch.category {
            require_active_category(&mut tx, category).await?;
        }
        return Err(Error::ItemNotFound(id.to_string()));
    };
    if let Some(category) = patch.category.as_ref().filter(|c| **c != current.category) {
        require_active_category(&mut tx, category).await?;
    }
    if if_match.is_some_and(|m| !m.admits(&current)) {
        return Err(Error::Stale);
    }
    let at = now();
    let mut next = current.clone();
    patch.apply_to(&mut next);
    let next = save_item_change(&mut tx, &current, next, meta, at).await?;
    finish(tx).await?;
    Ok(next)
}

/// Commits a write, bumping the change counter in the same transaction so every list
/// cache (of any instance) sees that it is stale.
async fn finish<T: Tx>(mut tx: T) -> Result<()> {
    tx.touch().await?;
    tx.commit().await?;
    Ok(())
}

/// Stamps `next` as the following version of `current`, writes it and its audit row.
async fn save_item_change<T: Tx>(
    tx: &mut T,
    current: &Item,
    mut next: Item,
    meta: &RequestMeta,
    at: DateTime<Utc>,
) -> Result<Item> {
    next.updated_at = at.max(current.updated_at);
    next.updated_by = Some(meta.actor.clone());
    next.version = current.version + 1;
    tx.write_item(&next).await?;
    tx.audit(&AuditEntry::record(
        EntityType::Item,
        &next.id,
        image(current),
        image(&next),
        meta,
        at,
    ))
    .await?;
    Ok(next)
}

async fn delete_item<T: Tx>(
    mut tx: T,
    id: &str,
    if_match: Option<IfMatch>,
    meta: &RequestMeta,
) -> Result<()> {
    let current = match parse_item_id(id) {
        Some(uuid) => tx.item(uuid).await?,
        None => None,
    };
    let current = current.ok_or_else(|| Error::ItemNotFound(id.to_string()))?;
    if if_match.is_some_and(|m| !m.admits(&current)) {
        return Err(Error::Stale);
    }
    tx.delete_item(&current).await?;
    tx.audit(&AuditEntry::record(
        EntityType::Item,
        &current.id,
        image(&current),
        None,
        meta,
        now(),
    ))
    .await?;
    finish(tx).await?;
    Ok(())
}

async fn create_category<T: Tx>(
    mut tx: T,
    new: NewCategory,
    meta: &RequestMeta,
) -> Result<Category> {
    if tx.category(&new.name).await?.is_some() {
        return Err(Error::CategoryExists(new.name));
    }
    let at = now();
    let display_order = match new.display_order {
        Some(order) => order,
        None => tx.next_display_order().await?,
    };
    let category = Category {
        id: new.name.clone(),
        name: new.name,
        display_name: new.display_name,
        description: new.description,
        color: new.color,
        icon: new.icon,
        display_order,
        is_active: new.is_active,
        created_at: at,
        updated_at: at,
        created_by: Some(meta.actor.clone()),
    };
    tx.insert_category(&category)
        .await
        .map_err(|e| unique_to_exists(e, &category.name))?;
    tx.audit(&AuditEntry::record(
        EntityType::Category,
        &category.name,
        None,
        image(&category),
        meta,
        at,
    ))
    .await?;
    finish(tx).await?;
    Ok(category)
}

/// Applies `patch`; a rename moves every item of the category along, in the same
/// transaction, each with its own audit row.
async fn update_category<T: Tx>(
    mut tx: T,
    name: &str,
    change: CategoryChange,
    meta: &RequestMeta,
) -> Result<Category> {
    let current = tx
        .category(name)
        .await?
        .ok_or_else(|| Error::CategoryNotFound(name.to_string()))?;
    let patch = match change {
        CategoryChange::Patch(patch) => patch,
        CategoryChange::Toggle => CategoryPatch {
            is_active: Some(!current.is_active),
            ..CategoryPatch::default()
        },
    };
    let at = now();
    let mut next = current.clone();
    patch.apply_to(&mut next);
    let renamed = patch.name.filter(|n| *n != current.name);
    if let Some(new_name) = &renamed {
        if tx.category(new_name).await?.is_some() {
            return Err(Error::CategoryExists(new_name.clone()));
        }
        next.name = new_name.clone();
        next.id = new_name.clone();
    }
    next.updated_at = at.max(current.updated_at);
    tx.write_category(&current.name, &next)
        .await
        .map_err(|e| unique_to_exists(e, &next.name))?;
    if renamed.is_some() {
        for item in tx.items_in_category(&current.name).await? {
            let mut moved = item.clone();
            moved.category = next.name.clone();
            save_item_change(&mut tx, &item, moved, meta, at).await?;
        }
    }
    tx.audit(&AuditEntry::record(
        EntityType::Category,
        &next.name,
        image(&current),
        image(&next),
        meta,
        at,
    ))
    .await?;
    finish(tx).await?;
    Ok(next)
}

async fn delete_category<T: Tx>(mut tx: T, name: &str, meta: &RequestMeta) -> Result<()> {
    let current = tx
        .category(name)
        .await?
        .ok_or_else(|| Error::CategoryNotFound(name.to_string()))?;
    let count = i64::try_from(tx.items_in_category(name).await?.len()).unwrap_or(i64::MAX);
    if count > 0 {
        return Err(Error::CategoryInUse {
            name: name.to_string(),
            count,
        });
    }
    tx.delete_category(name).await?;
    tx.audit(&AuditEntry::record(
        EntityType::Category,
        name,
        image(&current),
        None,
        meta,
        now(),
    ))
    .await?;
    finish(tx).await?;
    Ok(())
}

fn unique_to_exists(error: sqlx::Error, name: &str) -> Error {
    if shared::db::is_unique_violation(&error) {
        Error::CategoryExists(name.to_string())
    } else {
        Error::Database(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uuid_v7_ids_exist() {
        let id = Uuid::now_v7();
        assert_eq!(parse_item_id(&id.to_string()), Some(id));
        assert_eq!(parse_item_id("abc"), None);
        assert_eq!(parse_item_id("1"), None);
        assert_eq!(parse_item_id(&Uuid::new_v4().to_string()), None);
        let at = uuid_time(id).expect("v7 has a time");
        assert!((Utc::now() - at).num_seconds().abs() < 5);
    }
}

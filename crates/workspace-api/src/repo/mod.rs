//! The repository layer: the only place with SQL, and nothing but SQL. Reads run on the
//! pool; item writes are single guarded statements ([`Store::write_item`]) and category
//! writes run inside a [`WriteTx`]; the rules of both (category checks, If-Match, audit
//! rows) are the service layer's. Every statement is written once ([`queries`]), for
//! whichever engine the URL picked; `pg` and `sqlite` hold only what differs.

#[macro_use]
mod sql;
mod legacy;
mod pg;
mod queries;
mod sqlite;

use shared::db::{Db, Pools};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use legacy::{LegacySource, read_library, read_postgres};
pub use pg::apply_timescale;
use queries::{Dialect, Queries};
use sql::Records;

use crate::domain::audit::{AuditEntry, AuditFilter, EntityType};
use crate::domain::category::Category;
use crate::domain::item::{Item, ItemId};
use crate::domain::query::{ItemQuery, ItemStats, SortKey, SortOrder};

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

#[derive(Clone, Debug)]
enum Backend {
    Pg(PgPool),
    Sqlite {
        reader: SqlitePool,
        writer: SqlitePool,
    },
}

/// The workspace's storage, whichever backend the URL picked.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    backend: Backend,
}

/// Runs `$body` with `$pool` bound to the backend's read pool, timed as `$op`.
macro_rules! on_pool {
    ($self:ident, $op:literal, |$pool:ident| $body:expr) => {
        match &$self.backend {
            Backend::Pg($pool) => $self.db.timed($op, $body).await,
            Backend::Sqlite { reader: $pool, .. } => $self.db.timed($op, $body).await,
        }
    };
}

impl Store {
    pub fn new(db: Db) -> Self {
        let backend = match &db.pools {
            Pools::Postgres(pool) => Backend::Pg(pool.clone()),
            Pools::Sqlite { reader, writer } => Backend::Sqlite {
                reader: reader.clone(),
                writer: writer.clone(),
            },
        };
        Self { db, backend }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn list_items(&self, q: &ItemQuery) -> sqlx::Result<(Vec<Item>, i64)> {
        on_pool!(self, "items.list", |pool| Queries::list_items(pool, q))
    }

    pub async fn item(&self, id: ItemId) -> sqlx::Result<Option<Item>> {
        on_pool!(self, "items.get", |pool| Queries::item(
            pool,
            item_by_id!(),
            id
        ))
    }

    pub async fn item_stats(&self) -> sqlx::Result<ItemStats> {
        on_pool!(self, "items.stats", |pool| Queries::item_stats(pool))
    }

    pub async fn audit(&self, f: &AuditFilter) -> sqlx::Result<(Vec<AuditEntry>, i64)> {
        on_pool!(self, "audit.list", |pool| Queries::audit(pool, f))
    }

    pub async fn categories(&self) -> sqlx::Result<Vec<Category>> {
        on_pool!(self, "categories.list", |pool| Queries::categories(pool))
    }

    /// Where the data stands: any committed write, by any instance, changes it.
    pub async fn change_version(&self) -> sqlx::Result<i64> {
        on_pool!(self, "changes.version", |pool| Queries::change_version(
            pool
        ))
    }

    /// Applies `write` with its audit row and the change mark, all or nothing, in one
    /// statement on PostgreSQL (no transaction to open, no lock held across round trips),
    /// if what it assumed still holds: the version that was read, the category that was
    /// active. Answers whether it did; when it did not, nothing was written and the caller
    /// decides again on fresh reads. That includes the statement PostgreSQL rolled back to
    /// break a deadlock with a category rename, which locks the same rows the other way.
    pub async fn write_item(&self, write: ItemWrite<'_>, audit: &AuditEntry) -> sqlx::Result<bool> {
        let (pick, item, moves, run): (fn(&Records) -> &'static str, _, _, _) = match write {
            ItemWrite::Insert(item) => (|r| r.guarded_insert_item, item, false, None),
            ItemWrite::Update {
                next,
                moves,
                read_version,
                later,
            } => (
                |r| r.guarded_update_item,
                next,
                moves,
                Some((later, read_version)),
            ),
            ItemWrite::Delete(item) => (|r| r.guarded_delete_item, item, false, None),
        };
        let written = match &self.backend {
            Backend::Pg(pool) => {
                let sql = pick(&Postgres::RECORDS);
                Queries::record_if(pool, sql, audit, item, moves, run).await
            }
            Backend::Sqlite { writer, .. } => {
                let sql = pick(&Sqlite::RECORDS);
                Queries::record_if(writer, sql, audit, item, moves, run).await
            }
        };
        match written {
            Err(e) if shared::db::is_conflict(&e) => Ok(false),
            written => written,
        }
    }

    /// The category, as it stands.
    pub async fn category(&self, name: &str) -> sqlx::Result<Option<Category>> {
        on_pool!(self, "categories.get", |pool| Queries::category(
            pool,
            category_by_name!(),
            name
        ))
    }

    pub async fn active_category_names(&self) -> sqlx::Result<Vec<String>> {
        on_pool!(self, "categories.active", |pool| {
            Queries::active_category_names(pool)
        })
    }

    /// Opens a write.
    pub async fn write(&self) -> sqlx::Result<WriteTx> {
        Ok(WriteTx(match &self.backend {
            Backend::Pg(pool) => TxBackend::Pg(Queries::begin_write(pool).await?),
            Backend::Sqlite { writer, .. } => {
                TxBackend::Sqlite(Queries::begin_write(writer).await?)
            }
        }))
    }
}

enum TxBackend {
    Pg(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

/// One write transaction, from [`Store::write`], for the writes that lock what they read
/// (category changes, which move items along). Its writes that matter to readers go
/// through [`WriteTx::record_item_update`] and [`WriteTx::record`], which write an audit
/// row and the change mark list caches validate against in the same statement as the
/// change; and [`WriteTx::commit`] takes the [`Recorded`] only they return. So no write
/// commits without its audit row and its cache invalidation, and a `WriteTx` dropped
/// without commit rolls back all three. Item writes on their own use
/// [`Store::write_item`], whose one statement carries all three.
pub struct WriteTx(TxBackend);

/// Proof that a transaction wrote an audit row and the change mark.
#[must_use = "a write commits with the Recorded of its audit row"]
pub struct Recorded(());

/// An item write the service decided on, and what the decision assumed.
#[derive(Clone, Copy)]
pub enum ItemWrite<'a> {
    /// A new item, in a category that was active.
    Insert(&'a Item),
    /// The item after a run of updates decided on version `read_version`: `next` is its
    /// state after the last of them, `moves` when that one gave it a category new to it
    /// (and active). The write's own audit row is the run's first; `later` holds the
    /// others, in order (none for a run of one).
    Update {
        next: &'a Item,
        moves: bool,
        read_version: i64,
        later: &'a [AuditEntry],
    },
    /// The item as read.
    Delete(&'a Item),
}

/// Runs `$body` with `$conn` bound to the transaction's connection (and `$D` to the
/// engine, when named).
macro_rules! on_tx {
    ($self:ident, |$conn:ident, $D:ident| $body:expr) => {
        match &mut $self.0 {
            TxBackend::Pg(tx) => {
                type $D = Postgres;
                let $conn = &mut **tx;
                $body.await
            }
            TxBackend::Sqlite(tx) => {
                type $D = Sqlite;
                let $conn = &mut **tx;
                $body.await
            }
        }
    };
    ($self:ident, |$conn:ident| $body:expr) => {
        match &mut $self.0 {
            TxBackend::Pg(tx) => {
                let $conn = &mut **tx;
                $body.await
            }
            TxBackend::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body.await
            }
        }
    };
}

impl WriteTx {
    /// The category, locked against any concurrent change for the rest of the transaction.
    pub async fn category(&mut self, name: &str) -> sqlx::Result<Option<Category>> {
        on_tx!(self, |c, D| Queries::category(c, D::CATEGORY_LOCKED, name))
    }

    pub async fn next_display_order(&mut self) -> sqlx::Result<i64> {
        on_tx!(self, |c| Queries::next_display_order(c))
    }

    pub async fn insert_category(&mut self, category: &Category) -> sqlx::Result<()> {
        on_tx!(self, |c| Queries::insert_category(c, category))
    }

    pub async fn write_category(
        &mut self,
        old_name: &str,
        category: &Category,
    ) -> sqlx::Result<()> {
        on_tx!(self, |c| Queries::update_category(c, old_name, category))
    }

    pub async fn delete_category(&mut self, name: &str) -> sqlx::Result<()> {
        on_tx!(self, |c| Queries::delete_category(c, name))
    }

    /// The items of a category, locked.
    pub async fn items_in_category(&mut self, name: &str) -> sqlx::Result<Vec<Item>> {
        on_tx!(self, |c| Queries::items_in_category(c, name))
    }

    /// Writes a new version of an item this transaction has locked, its audit row and the
    /// change mark, as one statement.
    pub async fn record_item_update(
        &mut self,
        item: &Item,
        audit: &AuditEntry,
    ) -> sqlx::Result<Recorded> {
        on_tx!(self, |c, D| Queries::record(
            c,
            D::RECORDS.update_item,
            audit,
            Some(item)
        ))?;
        Ok(Recorded(()))
    }

    /// Writes the audit row of a change made by the other statements, with the change mark.
    pub async fn record(&mut self, audit: &AuditEntry) -> sqlx::Result<Recorded> {
        on_tx!(self, |c, D| Queries::record(
            c,
            D::RECORDS.audit,
            audit,
            None
        ))?;
        Ok(Recorded(()))
    }

    /// The item, as it stands (for `import`, which only adds what is missing).
    pub async fn item(&mut self, id: ItemId) -> sqlx::Result<Option<Item>> {
        on_tx!(self, |c| Queries::item(c, item_by_id!(), id))
    }

    /// Writes an imported item, its audit row and the change mark, as one statement.
    pub async fn record_item_insert(
        &mut self,
        item: &Item,
        audit: &AuditEntry,
    ) -> sqlx::Result<Recorded> {
        on_tx!(self, |c, D| Queries::record(
            c,
            D::RECORDS.insert_item,
            audit,
            Some(item)
        ))?;
        Ok(Recorded(()))
    }

    /// Whether the entity has audit rows: anything but a seed nobody touched has.
    pub async fn has_history(&mut self, entity_type: EntityType, id: &str) -> sqlx::Result<bool> {
        let n: i64 = on_tx!(self, |c| sqlx::query_scalar(sql::HISTORY)
            .bind(entity_type.as_str())
            .bind(id)
            .fetch_one(c))?;
        Ok(n > 0)
    }

    /// Ends the transaction without writing anything (`import --dry-run`).
    pub async fn roll_back(self) -> sqlx::Result<()> {
        match self.0 {
            TxBackend::Pg(tx) => tx.rollback().await,
            TxBackend::Sqlite(tx) => tx.rollback().await,
        }
    }

    pub async fn commit(self, _: Recorded) -> sqlx::Result<()> {
        match self.0 {
            TxBackend::Pg(tx) => tx.commit().await,
            TxBackend::Sqlite(tx) => tx.commit().await,
        }
    }
}

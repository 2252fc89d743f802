//! The repository layer: the only place with SQL, and nothing but SQL. Each statement is
//! written once; [`shared::db::on_reader`] and [`shared::db::on_tx`] run it on whichever
//! engine the URL picked, and the [`Dialect`] holds the few texts that differ. Writes go
//! through a [`WriteTx`], which commits only with the [`Recorded`] proof that the change's
//! audit row was written in it.

#[macro_use]
mod sql;
mod audit;
mod checks;
mod dialect;
mod docs_health;
mod files;
mod ideas;
mod legacy;
mod stats;
mod systems;

use shared::db::{Db, Tx};

use crate::domain::audit::AuditEntry;

pub use dialect::{Dialect, apply_timescale};
pub use files::Parent;
pub use legacy::{LegacyDocs, read_postgres};

/// The documentation service's storage.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
}

impl Store {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Opens a write.
    pub async fn write(&self) -> sqlx::Result<WriteTx> {
        Ok(WriteTx(self.db.begin_write().await?))
    }
}

/// One write transaction; dropped without [`WriteTx::commit`] it rolls back.
pub struct WriteTx(Tx);

/// Proof that a transaction wrote the audit row of its change.
#[must_use = "a write commits with the Recorded of its audit row"]
pub struct Recorded(());

impl WriteTx {
    pub async fn record(&mut self, entry: &AuditEntry) -> sqlx::Result<Recorded> {
        audit::insert(&mut self.0, entry).await?;
        Ok(Recorded(()))
    }

    pub async fn commit(self, _: Recorded) -> sqlx::Result<()> {
        self.0.commit().await
    }
}

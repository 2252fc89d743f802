//! Running one statement text on whichever engine the URL picked: the macros expand a
//! body once per engine, with `$D` naming the engine's type, so a repository writes each
//! query once and binds with `D::time(..)` ([`crate::Codec`]) without generic bounds.

use sqlx::{Postgres, Sqlite, Transaction};

use crate::{Db, Pools};

/// A write transaction on either engine: on SQLite through the single writer connection,
/// opened with `BEGIN IMMEDIATE` so writers queue instead of failing mid-transaction.
pub enum Tx {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

impl Db {
    pub async fn begin_write(&self) -> sqlx::Result<Tx> {
        Ok(match &self.pools {
            Pools::Postgres(pool) => Tx::Postgres(pool.begin().await?),
            Pools::Sqlite { writer, .. } => Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
        })
    }
}

impl Tx {
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Self::Postgres(tx) => tx.commit().await,
            Self::Sqlite(tx) => tx.commit().await,
        }
    }
}

/// `on_reader!(db, |pool, D| future)`: the future on the read pool (PostgreSQL's pool,
/// SQLite's readers), `D` the engine.
#[macro_export]
macro_rules! on_reader {
    ($db:expr, |$pool:ident, $D:ident| $body:expr) => {
        match &$db.pools {
            $crate::Pools::Postgres($pool) => {
                #[allow(dead_code)]
                type $D = $crate::sqlx::Postgres;
                $body.await
            }
            $crate::Pools::Sqlite { reader: $pool, .. } => {
                #[allow(dead_code)]
                type $D = $crate::sqlx::Sqlite;
                $body.await
            }
        }
    };
}

/// `on_tx!(tx, |conn, D| future)`: the future on the transaction's connection.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$conn:ident, $D:ident| $body:expr) => {
        match $tx {
            $crate::Tx::Postgres(tx) => {
                #[allow(dead_code)]
                type $D = $crate::sqlx::Postgres;
                let $conn = &mut **tx;
                $body.await
            }
            $crate::Tx::Sqlite(tx) => {
                #[allow(dead_code)]
                type $D = $crate::sqlx::Sqlite;
                let $conn = &mut **tx;
                $body.await
            }
        }
    };
}

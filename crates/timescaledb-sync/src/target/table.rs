//! The target table: created from the source's columns (a hypertable where TimescaleDB
//! is installed), checked before a run writes to it, and the two inserts of a stream.

use std::sync::Arc;

use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, Connection};

use super::{InsertPlan, Session, bind};
use crate::error::{Error, Result};
use crate::streams::{ROW_HASH_COLUMN, Stream};
use crate::types::{Batch, Kind, Layout, Values};

impl Session<'_> {
    /// Creates the target table from the source's columns, then makes it a hypertable on
    /// the timestamp where TimescaleDB is installed (an optional step: skipped and logged
    /// when it fails).
    pub async fn create_table(&mut self, stream: &Stream, layout: &Layout) -> Result<()> {
        if !self.settings.run_migrations {
            return Err(Error::Target(format!(
                "table {} does not exist and TIMESCALEDB_SYNC_RUN_MIGRATIONS=false: create it first",
                stream.target
            )));
        }
        let keys = stream.key_columns();
        let mut columns: Vec<String> = layout
            .columns
            .iter()
            .map(|c| {
                let required = keys.contains(&c.name.to_string());
                format!(
                    "{} {}{}",
                    c.name,
                    c.kind.pg_type(),
                    if required { " NOT NULL" } else { "" }
                )
            })
            .collect();
        if layout.hashed {
            columns.push(format!("\"{ROW_HASH_COLUMN}\" bytea NOT NULL"));
        }
        columns.push(format!("UNIQUE ({})", keys.join(", ")));
        let ddl = format!(
            "CREATE TABLE IF NOT EXISTS {} (\n  {}\n)",
            stream.target,
            columns.join(",\n  ")
        );
        sqlx::query(AssertSqlSafe(ddl))
            .execute(&mut self.conn)
            .await
            .map_err(Error::target)?;
        tracing::info!(
            stream = stream.name.as_str(),
            table = stream.target.as_str(),
            "target table created"
        );

        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(self.settings.connect_timeout)
            .connect_with(self.settings.options.clone())
            .await
            .map_err(Error::target)?;
        if shared_db::Timescale::detect(&pool).await.hypertables {
            let statement = format!(
                "SELECT create_hypertable('{}', '{}', if_not_exists => TRUE, migrate_data => TRUE)",
                stream.target,
                stream.timestamp.as_str()
            );
            let description = format!(
                "{} hypertable on {}",
                stream.target.as_str(),
                stream.timestamp.as_str()
            );
            shared_db::optional_step(&pool, &description, sqlx::AssertSqlSafe(statement)).await;
        } else {
            tracing::info!(
                table = stream.target.as_str(),
                "timescaledb not installed: plain PostgreSQL table"
            );
        }
        pool.close().await;
        Ok(())
    }

    /// Proves the table can take this stream's rows: the real insert with zero rows,
    /// rolled back (PostgreSQL checks every column type and the ON CONFLICT key), plus
    /// no NOT NULL column without a default that the source does not fill.
    pub async fn check_table(&mut self, stream: &Stream, layout: &Layout) -> Result<InsertPlan> {
        let idempotent = insert_sql(stream, layout);
        let plain = match idempotent.find(" ON CONFLICT") {
            Some(end) => idempotent[..end].to_string(),
            None => idempotent.clone(),
        };
        let plan = InsertPlan {
            plain: plain.into(),
            idempotent: idempotent.into(),
        };
        let mut filled: Vec<&str> = layout.columns.iter().map(|c| c.name.as_str()).collect();
        if layout.hashed {
            filled.push(ROW_HASH_COLUMN);
        }
        let unfilled: Vec<String> = sqlx::query_scalar(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND attnotnull AND NOT atthasdef AND attidentity = '' AND attgenerated = '' AND NOT (attname::text = ANY($2))",
        )
        .bind(stream.target.to_string())
        .bind(&filled)
        .fetch_all(&mut self.conn)
        .await
        .map_err(Error::target)?;
        if !unfilled.is_empty() {
            return Err(Error::Target(format!(
                "table {} has NOT NULL columns the source does not fill: {}",
                stream.target,
                unfilled.join(", ")
            )));
        }
        let empty = empty_like(layout);
        let mut tx = self.conn.begin().await.map_err(Error::target)?;
        let probe = bind(
            sqlx::query(AssertSqlSafe(Arc::clone(&plan.idempotent))),
            &empty,
        )
        .execute(&mut *tx)
        .await;
        tx.rollback().await.map_err(Error::target)?;
        probe.map_err(|e| match Error::target(e) {
            Error::Target(why) => Error::Target(format!(
                "table {} cannot take the source's rows: {why}",
                stream.target
            )),
            other => other,
        })?;
        Ok(plan)
    }
}

/// `INSERT INTO t (cols) SELECT cols FROM UNNEST($1::type[], ...) ON CONFLICT (key) DO NOTHING`.
fn insert_sql(stream: &Stream, layout: &Layout) -> String {
    let mut names: Vec<String> = layout.columns.iter().map(|c| c.name.to_string()).collect();
    let mut params: Vec<String> = layout
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}[]", i + 1, c.kind.param_type()))
        .collect();
    let mut selected: Vec<String> = layout
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Inet | Kind::DoubleArray => format!("{}::{}", c.name, c.kind.pg_type()),
            _ => c.name.to_string(),
        })
        .collect();
    if layout.hashed {
        let hash = format!("\"{ROW_HASH_COLUMN}\"");
        params.push(format!("${}::bytea[]", names.len() + 1));
        names.push(hash.clone());
        selected.push(hash);
    }
    let names = names.join(", ");
    format!(
        "INSERT INTO {} ({names}) SELECT {} FROM UNNEST({}) AS u({names}) ON CONFLICT ({}) DO NOTHING",
        stream.target,
        selected.join(", "),
        params.join(", "),
        stream.key_columns().join(", "),
    )
}

fn empty_like(layout: &Layout) -> Batch {
    let values = layout
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Bool => Values::Bool(Vec::new()),
            Kind::Int16 => Values::Int16(Vec::new()),
            Kind::Int32 => Values::Int32(Vec::new()),
            Kind::Int64 => Values::Int64(Vec::new()),
            Kind::Float32 => Values::Float32(Vec::new()),
            Kind::Float64 => Values::Float64(Vec::new()),
            Kind::Text | Kind::Inet | Kind::DoubleArray => Values::Text(Vec::new()),
            Kind::Timestamp => Values::Timestamp(Vec::new()),
            Kind::Uuid => Values::Uuid(Vec::new()),
        })
        .collect();
    Batch {
        layout: Arc::new(layout.clone()),
        values,
        hashes: Vec::new(),
        micros: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::{Ident, Key};
    use crate::types::{Column, Layout};

    fn column(name: &str, questdb_type: &str) -> Column {
        Column {
            name: Ident::parse(name).expect("ident"),
            questdb_type: questdb_type.into(),
            kind: Kind::of(questdb_type).expect("kind"),
        }
    }

    #[test]
    fn one_statement_per_batch_with_casts_and_the_key() {
        let mut stream = Stream::tp_capital_signals(10);
        let layout = Layout {
            columns: vec![
                column("ts", "TIMESTAMP"),
                column("ip", "IPv4"),
                column("v", "DOUBLE[]"),
            ],
            timestamp: 0,
            hashed: true,
        };
        assert_eq!(
            insert_sql(&stream, &layout),
            r#"INSERT INTO "tp_capital_signals" ("ts", "ip", "v", "row_hash") SELECT "ts", "ip"::inet, "v"::double precision[], "row_hash" FROM UNNEST($1::timestamptz[], $2::text[], $3::text[], $4::bytea[]) AS u("ts", "ip", "v", "row_hash") ON CONFLICT ("ts", "row_hash") DO NOTHING"#
        );
        stream.key = Key::Columns(vec![Ident::parse("ip").expect("ident")]);
        let keyed = Layout {
            hashed: false,
            ..layout
        };
        assert!(
            insert_sql(&stream, &keyed)
                .ends_with(r#"AS u("ts", "ip", "v") ON CONFLICT ("ts", "ip") DO NOTHING"#)
        );
    }
}

//! The harness: a fresh PostgreSQL schema per test (in the cluster `scripts/test.sh`
//! starts), the fake QuestDB, and the real binary run as cron would run it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, PgPool};

use crate::fake_questdb::FakeQuestDb;

pub const BIN: &str = env!("CARGO_BIN_EXE_timescaledb-sync");
/// 2025-01-01T00:00:00Z in µs.
pub const T0: i64 = 1_735_689_600_000_000;

/// A fresh schema; `url` makes every connection use it (and so keys the sync's lock).
pub struct TestDb {
    pub url: String,
    pub pool: PgPool,
    pub schema: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let fresh = shared_db::testing::fresh_schema("sync").await;
        let schema = fresh.name;
        // The binary's connections also carry the schema as application_name, so a test
        // can find them among those of tests running beside it.
        let url = format!("{}&application_name={schema}", fresh.url);
        let pool = PgPool::connect(&fresh.url)
            .await
            .expect("connect to the test schema");
        Self { url, pool, schema }
    }

    pub async fn scalar<T>(&self, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        sqlx::query_scalar(AssertSqlSafe(sql.to_string()))
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Waits until no connection of the binary is left (a killed run's backend ends
    /// when PostgreSQL notices, releasing its session lock).
    pub async fn wait_for_no_sync_backend(&self) {
        eventually("the killed run's backend to end", || async {
            !sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $1)",
            )
            .bind(&self.schema)
            .fetch_one(&self.pool)
            .await
            .expect("pg_stat_activity")
        })
        .await;
    }

    pub async fn count(&self, table: &str) -> i64 {
        self.scalar(&format!("SELECT count(*) FROM {table}")).await
    }

    pub async fn exists(&self, relation: &str) -> bool {
        self.scalar(&format!("SELECT to_regclass('{relation}') IS NOT NULL"))
            .await
    }

    pub async fn watermark(&self, stream: &str) -> Option<DateTime<Utc>> {
        if !self.exists("sync_control").await {
            return None;
        }
        sqlx::query_scalar("SELECT last_synced FROM sync_control WHERE stream = $1")
            .bind(stream)
            .fetch_optional(&self.pool)
            .await
            .expect("watermark")
            .flatten()
    }

    /// Asserts the target holds exactly `expected` signals (by `raw_message`), once each.
    pub async fn assert_signals(&self, table: &str, expected: impl IntoIterator<Item = u64>) {
        let mut want: Vec<String> = expected.into_iter().map(message).collect();
        want.sort();
        let got: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT raw_message FROM {table} ORDER BY raw_message"
        )))
        .fetch_all(&self.pool)
        .await
        .expect("messages");
        assert_eq!(got.len(), want.len(), "row count (duplicates or gaps)");
        assert_eq!(got, want);
    }
}

/// The columns of the real QuestDB `tp_capital_signals` table: the default stream must
/// copy them as they are.
pub const SIGNAL_COLUMNS: [(&str, &str); 13] = [
    ("ts", "TIMESTAMP"),
    ("channel", "SYMBOL"),
    ("signal_type", "SYMBOL"),
    ("asset", "SYMBOL"),
    ("buy_min", "DOUBLE"),
    ("buy_max", "DOUBLE"),
    ("target_1", "DOUBLE"),
    ("target_2", "DOUBLE"),
    ("target_final", "DOUBLE"),
    ("stop", "DOUBLE"),
    ("raw_message", "STRING"),
    ("source", "SYMBOL"),
    ("ingested_at", "TIMESTAMP"),
];

pub fn iso(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .expect("in range")
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

pub fn message(n: u64) -> String {
    format!("signal {n:06}")
}

/// Signal number `n` at `micros`; `stop` is NaN (JSON null) on every seventh.
pub fn signal(micros: i64, n: u64) -> Vec<Value> {
    let price = 10.0 + (n % 100) as f64 / 4.0;
    json!([
        iso(micros),
        "TP Capital",
        "Swing Trade",
        format!("PETR{}", n % 5),
        price,
        price + 0.5,
        price + 1.0,
        price + 2.0,
        price + 3.0,
        if n.is_multiple_of(7) {
            Value::Null
        } else {
            json!(price - 1.0)
        },
        message(n),
        "forwarder",
        iso(micros + 1_000)
    ])
    .as_array()
    .expect("array")
    .clone()
}

/// A fake with `tp_capital_signals` holding signals `range`, one second apart from T0.
pub async fn fake_with_signals(range: std::ops::Range<u64>) -> FakeQuestDb {
    let fake = FakeQuestDb::start().await;
    fake.create_table("tp_capital_signals", &SIGNAL_COLUMNS, "ts");
    add_signals(&fake, range);
    fake
}

pub fn add_signals(fake: &FakeQuestDb, range: std::ops::Range<u64>) {
    fake.insert(
        "tp_capital_signals",
        range.map(|n| signal(T0 + n as i64 * 1_000_000, n)),
    );
}

/// One configured invocation of the binary: its own root, the env the test chose.
pub struct Sync {
    pub root: tempfile::TempDir,
    env: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub lines: Vec<Value>,
    pub stderr: String,
}

impl Outcome {
    /// The only JSON line, when exactly one stream ran.
    pub fn summary(&self) -> &Value {
        assert_eq!(self.lines.len(), 1, "{self:#?}");
        &self.lines[0]
    }
}

impl Sync {
    pub fn new(db: &TestDb, fake: &FakeQuestDb) -> Self {
        Self::with_urls(&db.url, &fake.url)
    }

    pub fn with_urls(dsn: &str, questdb: &str) -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("config")).expect("config dir");
        Self {
            root,
            env: vec![
                ("QUESTDB_REST_URL".into(), questdb.into()),
                ("TIMESCALEDB_DSN".into(), dsn.into()),
                ("TIMESCALEDB_SYNC_CONNECT_TIMEOUT_MS".into(), "5000".into()),
                ("TIMESCALEDB_SYNC_QUESTDB_TIMEOUT_MS".into(), "5000".into()),
            ],
        }
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    pub fn streams_file(self, toml: &str) -> Self {
        std::fs::write(self.root.path().join("config/sync-streams.toml"), toml)
            .expect("streams file");
        self
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(BIN);
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TRADINGSYSTEM_ROOT", self.root.path())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    pub async fn run(&self, args: &[&str]) -> Outcome {
        let output = tokio::time::timeout(Duration::from_secs(60), self.command(args).output())
            .await
            .expect("the binary finished within 60 s")
            .expect("run the binary");
        outcome(output)
    }
}

pub fn outcome(output: std::process::Output) -> Outcome {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines = stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("stdout line {l:?} is not JSON: {e}"))
        })
        .collect();
    Outcome {
        code: output.status.code().unwrap_or(-1),
        lines,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Polls `check` until it holds (20 s at most).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

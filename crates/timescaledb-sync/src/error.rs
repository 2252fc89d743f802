//! The sync's one error type. Each variant maps to the exit status cron and operators see
//! (docs/decisions.md#d23: 0 ok or nothing new, 2 usage, 3 source, 4 target, 5 locked,
//! 78 config).

use shared_config::EXIT_CONFIG;

pub const EXIT_OK: i32 = 0;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_SOURCE: i32 = 3;
pub const EXIT_TARGET: i32 = 4;
pub const EXIT_LOCKED: i32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// QuestDB unreachable, slow, answering an error, or sending rows the sync cannot use.
    #[error("QuestDB: {0}")]
    Source(String),
    /// PostgreSQL unreachable, failing, or holding a table the sync cannot write.
    #[error("PostgreSQL: {0}")]
    Target(String),
    #[error(
        "another timescaledb-sync run holds the lock of stream '{stream}' in this database; exiting"
    )]
    Locked { stream: String },
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Source(_) => EXIT_SOURCE,
            Self::Target(_) => EXIT_TARGET,
            Self::Locked { .. } => EXIT_LOCKED,
            Self::Usage(_) => EXIT_USAGE,
        }
    }

    /// A PostgreSQL failure as one line: the server's message (never the SQL text, which
    /// sqlx does not include) or the connection problem.
    pub fn target(error: sqlx::Error) -> Self {
        Self::Target(match &error {
            sqlx::Error::Database(e) => match e.code() {
                Some(code) => format!("{} (SQLSTATE {code})", e.message()),
                None => e.message().to_string(),
            },
            sqlx::Error::PoolTimedOut => "timed out connecting".to_string(),
            other => other.to_string(),
        })
    }
}

/// Exit status for configuration errors, re-exported so `--help` and tests name one place.
pub const EXIT_CONFIGURATION: i32 = EXIT_CONFIG;

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! What the importers of the Node originals' data share (docs/decisions.md#d28): the
//! `import` subcommand's arguments, the run's summary and progress, its exit status, and
//! the ids given to rows whose original id is not a UUID.
//!
//! A service's importer reads its source, decides each row in its service layer and
//! writes each entity in a transaction of its own; it reports every outcome to a
//! [`Summary`], which prints a progress line on stderr every thousand rows and, at the
//! end, the JSON summary on stdout ([`run_main`]).

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Parser;
use serde::Serialize;

mod legacy;
pub use legacy::{field, legacy_id, legacy_time, legacy_uuid};

/// Nothing skipped.
pub const EXIT_OK: u8 = 0;
/// Something was skipped, or the run stopped on an error (the summary says which).
pub const EXIT_INCOMPLETE: u8 = 1;
/// Bad arguments: unknown flag, or `--from` names no usable source.
pub const EXIT_USAGE: u8 = 78;

/// How many reported rows and skipped ids the summary lists (all are counted).
const LISTED: usize = 1000;
/// A progress line every this many rows.
const PROGRESS_EVERY: u64 = 1000;

/// `<binary> import --from <source> [--dry-run]`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The original's data: a LowDB `library.json` path (workspace-api only) or a
    /// `postgres://` URL of the original's database.
    #[arg(long, value_name = "SOURCE")]
    pub from: String,
    /// Read and decide everything, write nothing: the summary says what a run would do.
    #[arg(long)]
    pub dry_run: bool,
}

impl ImportArgs {
    /// `--from` as the summary names it: a URL's password hidden.
    pub fn from_label(&self) -> String {
        redact_password(&self.from)
    }
}

pub(crate) fn redact_password(source: &str) -> String {
    let Some((scheme, rest)) = source.split_once("://") else {
        return source.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return source.to_string();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => source.to_string(),
    }
}

/// Parses the command line; a usage error exits 78 (`--help` and `--version` exit 0).
pub fn parse_args<C: Parser>() -> C {
    C::try_parse().unwrap_or_else(|e| {
        let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        let _ = e.print();
        std::process::exit(i32::from(code))
    })
}

/// An error that makes the run stop: bad arguments (exit 78) or a failure midway (1).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl ImportError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }
}

impl ImportError {
    /// Why the database refused one row (a constraint it breaks), when that is what
    /// happened: that row is skipped and the run goes on. Any other error stops the run.
    pub fn row_refusal(&self) -> Option<String> {
        use sqlx::error::ErrorKind;
        let Self::Failed(e) = self else {
            return None;
        };
        let db = e.downcast_ref::<sqlx::Error>()?.as_database_error()?;
        matches!(
            db.kind(),
            ErrorKind::UniqueViolation
                | ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation
        )
        .then(|| format!("refused by the database: {}", db.message()))
    }
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        Self::Failed(e.into())
    }
}

/// What importing one entity did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// An entity of ours the original's row replaced (each service says when).
    Updated,
    AlreadyPresent,
}

/// The counts of one entity.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub read: u64,
    pub created: u64,
    pub updated: u64,
    pub already_present: u64,
    pub skipped: u64,
    /// Skipped rows per reason.
    pub skipped_reasons: BTreeMap<String, u64>,
}

/// One row the summary names: a skip with its reason, or something worth knowing (a
/// value that did not map, a category created for a reference).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Note {
    pub entity: &'static str,
    pub id: String,
    pub message: String,
}

/// What a run read and did, printed as JSON on stdout at the end.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub source: String,
    pub dry_run: bool,
    pub entities: BTreeMap<&'static str, Counts>,
    /// Rows imported with a value that does not map onto ours (kept, see each note), and
    /// categories created because items referenced them.
    pub reports: Vec<Note>,
    pub skips: Vec<Note>,
    /// Notes beyond the listed ones (counted, not listed).
    pub unlisted: u64,
    /// Set when the run stopped before the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    processed: u64,
}

impl Summary {
    pub fn new(source: impl Into<String>, dry_run: bool) -> Self {
        Self {
            source: source.into(),
            dry_run,
            entities: BTreeMap::new(),
            reports: Vec::new(),
            skips: Vec::new(),
            unlisted: 0,
            error: None,
            processed: 0,
        }
    }

    pub fn counts(&self, entity: &'static str) -> Counts {
        self.entities.get(entity).cloned().unwrap_or_default()
    }

    fn entity(&mut self, entity: &'static str) -> &mut Counts {
        self.entities.entry(entity).or_default()
    }

    /// `n` rows of `entity` read from the source.
    pub fn read(&mut self, entity: &'static str, n: u64) {
        self.entity(entity).read += n;
    }

    pub fn record(&mut self, entity: &'static str, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created(entity),
            Outcome::Updated => self.updated(entity),
            Outcome::AlreadyPresent => self.already_present(entity),
        }
    }

    pub fn created(&mut self, entity: &'static str) {
        self.entity(entity).created += 1;
        self.progress();
    }

    pub fn updated(&mut self, entity: &'static str) {
        self.entity(entity).updated += 1;
        self.progress();
    }

    pub fn already_present(&mut self, entity: &'static str) {
        self.entity(entity).already_present += 1;
        self.progress();
    }

    pub fn skipped(&mut self, entity: &'static str, id: &str, reason: &str) {
        let counts = self.entity(entity);
        counts.skipped += 1;
        *counts
            .skipped_reasons
            .entry(reason.to_string())
            .or_default() += 1;
        let note = Note {
            entity,
            id: id.to_string(),
            message: reason.to_string(),
        };
        self.list(note, true);
        self.progress();
    }

    /// The result of writing one row: its value; or, when the database refused that row
    /// ([`ImportError::row_refusal`]), `None` and the row skipped with the reason; any
    /// other error stops the run.
    pub fn unless_refused<T>(
        &mut self,
        entity: &'static str,
        id: &str,
        result: Result<T, ImportError>,
    ) -> Result<Option<T>, ImportError> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(e) => match e.row_refusal() {
                Some(reason) => {
                    self.skipped(entity, id, &reason);
                    Ok(None)
                }
                None => Err(e),
            },
        }
    }

    /// Something about a row that was imported anyway.
    pub fn report(&mut self, entity: &'static str, id: &str, message: impl Into<String>) {
        let note = Note {
            entity,
            id: id.to_string(),
            message: message.into(),
        };
        self.list(note, false);
    }

    fn list(&mut self, note: Note, skip: bool) {
        let list = if skip {
            &mut self.skips
        } else {
            &mut self.reports
        };
        if list.len() < LISTED {
            list.push(note);
        } else {
            self.unlisted += 1;
        }
    }

    fn progress(&mut self) {
        self.processed += 1;
        if self.processed.is_multiple_of(PROGRESS_EVERY) {
            let done: Vec<String> = self
                .entities
                .iter()
                .map(|(name, c)| {
                    let n = c.created + c.updated + c.already_present + c.skipped;
                    format!("{name} {n}/{}", c.read)
                })
                .collect();
            eprintln!("import: {} rows done ({})", self.processed, done.join(", "));
        }
    }

    /// Whether any row was skipped (or the run stopped).
    pub fn incomplete(&self) -> bool {
        self.error.is_some() || self.entities.values().any(|c| c.skipped > 0)
    }

    pub fn exit_code(&self) -> u8 {
        if self.incomplete() {
            EXIT_INCOMPLETE
        } else {
            EXIT_OK
        }
    }
}

/// Runs an import on a fresh runtime, logging to stderr (stdout carries the summary):
/// prints the summary and returns its exit status. `work` gets the summary to fill; an
/// error it returns is recorded in it (or, for bad arguments, printed alone: exit 78).
pub fn run_main<F>(
    format: shared_config::LogFormat,
    log_targets: &[(&str, tracing::level_filters::LevelFilter)],
    summary: Summary,
    work: F,
) -> ExitCode
where
    F: AsyncFnOnce(&mut Summary) -> Result<(), ImportError>,
{
    shared_config::telemetry::init_stderr(format, log_targets);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_INCOMPLETE);
        }
    };
    let mut summary = summary;
    match runtime.block_on(work(&mut summary)) {
        Ok(()) => {}
        Err(ImportError::Usage(message)) => {
            eprintln!("import: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
        Err(ImportError::Failed(e)) => {
            eprintln!("import stopped: {e:#}");
            summary.error = Some(format!("{e:#}"));
        }
    }
    match serde_json::to_string(&summary) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("cannot write the summary: {e}"),
    }
    ExitCode::from(summary.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_the_summary() {
        assert_eq!(
            redact_password("postgres://u:secret@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        assert_eq!(redact_password("/data/library.json"), "/data/library.json");
        assert_eq!(redact_password("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn skips_make_the_run_incomplete_and_are_listed() {
        let mut s = Summary::new("x", false);
        s.read("items", 2);
        s.created("items");
        assert_eq!(s.exit_code(), EXIT_OK);
        s.skipped("items", "9", "missing title");
        assert_eq!(s.exit_code(), EXIT_INCOMPLETE);
        assert_eq!(s.counts("items").skipped_reasons["missing title"], 1);
        assert_eq!(s.skips.len(), 1);
    }
}

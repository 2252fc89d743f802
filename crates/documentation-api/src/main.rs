//! `documentation-api`: config → telemetry → state → serve; or `documentation-api
//! import`, which brings the Node original's data over and exits (docs/decisions.md#d28);
//! or `documentation-api migrate`, which brings the schema up to date and exits.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use documentation_api::Config;
use shared::config::{Env, exit_on_config_error};
use shared::import::{ImportArgs, Summary};
use shared::migrate::MigrateArgs;

// mimalloc: the request path allocates small, short-lived objects on every worker
// thread, where glibc malloc showed up as ~10% of CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Systems registry, ideas kanban, files and audit trail on port 3400. Without a command
/// it serves.
#[derive(Parser)]
#[command(name = "documentation-api", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Import the Node original's systems, ideas, files (with their bytes) and audit rows
    /// from its PostgreSQL into this service's database; safe to run again. Prints a JSON
    /// summary; exit 0, 1 when anything was skipped, 78 for bad arguments.
    Import(ImportArgs),
    /// Bring the database schema up to date and exit, with the configured
    /// DOCUMENTATION_DATABASE_URL (an admin's where the service runs with
    /// DOCUMENTATION_API_RUN_MIGRATIONS=false). Prints a JSON report; exit 0, or 1 when the
    /// database failed or did not answer within --wait.
    Migrate(MigrateArgs),
}

fn main() -> ExitCode {
    let cli: Cli = shared::import::parse_args();
    let env = Env::load();
    let config = Config::from_env(&env, true).unwrap_or_else(|e| exit_on_config_error(&e));
    let targets = [("documentation_api", config.http.log_level)];
    match cli.command {
        None => shared::server::run_main(&env, config.http.log_format, &targets, 1, |budget| {
            documentation_api::serve(config, budget, shared::server::shutdown_signal())
        }),
        Some(Command::Migrate(args)) => shared::migrate::run_main(
            documentation_api::NAME,
            config.http.log_format,
            &targets,
            &config.database_url,
            &config.root,
            documentation_api::schema(),
            &args,
        ),
        Some(Command::Import(args)) => {
            let summary = Summary::new(args.from_label(), args.dry_run);
            shared::import::run_main(config.http.log_format, &targets, summary, async |s| {
                documentation_api::import(&config, &args, s).await
            })
        }
    }
}

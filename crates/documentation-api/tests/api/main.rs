//! Black-box tests of documentation-api over HTTP: storage tests on SQLite and on
//! PostgreSQL, the rest once.

mod checks;
mod deadlocks;
mod docs_corpus;
mod docs_health_audit;
mod docs_health_fixture;
mod docs_health_views;
mod docs_index;
mod docs_search;
mod file_downloads;
mod file_lists;
mod file_support;
mod files;
mod helpers;
mod ideas;
mod import;
mod import_killed;
mod infrastructure;
mod specs;
mod specs_search;
mod specs_status;
mod specs_versions;
mod stats;
mod systems;

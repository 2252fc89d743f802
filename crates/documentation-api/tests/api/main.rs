//! Black-box tests of documentation-api over HTTP: storage tests on SQLite and on
//! PostgreSQL, the rest once.

mod checks;
mod docs_health_audit;
mod docs_health_fixture;
mod docs_health_views;
mod file_downloads;
mod file_lists;
mod file_support;
mod files;
mod helpers;
mod ideas;
mod infrastructure;
mod stats;
mod systems;

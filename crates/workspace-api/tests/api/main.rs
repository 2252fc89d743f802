//! Black-box tests of workspace-api over HTTP: storage tests on SQLite and on PostgreSQL,
//! tests of the HTTP stack once.

mod audit;
mod categories;
mod category_races;
mod guards;
mod helpers;
mod hostile;
mod import;
mod import_killed;
mod import_postgres;
mod infrastructure;
mod item_list;
mod item_runs;
mod items;
mod original;
mod outage;
mod unchanged;

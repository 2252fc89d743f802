//! Black-box tests of workspace-api over HTTP, each run on SQLite and on PostgreSQL.

mod audit;
mod categories;
mod helpers;
mod hostile;
mod infrastructure;
mod items;
mod original;

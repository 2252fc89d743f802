//! Black-box tests of workspace-api over HTTP, each run on SQLite and on PostgreSQL.

mod audit;
mod categories;
mod helpers;
mod infrastructure;
mod items;
mod original;

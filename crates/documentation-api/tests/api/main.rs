//! Black-box tests of documentation-api over HTTP: storage tests on SQLite and on
//! PostgreSQL, the rest once.

mod helpers;
mod ideas;
mod infrastructure;
mod stats;
mod systems;

//! Black-box tests of documentation-api over HTTP: storage tests on SQLite and on
//! PostgreSQL, the rest once.

mod checks;
mod helpers;
mod infrastructure;
mod systems;

//! Black-box tests of the `timescaledb-sync` binary over a real PostgreSQL (a fresh
//! schema per test) and a fake QuestDB `/exec` that follows QuestDB's wire format.

mod crash;
mod failures;
mod fake_questdb;
mod helpers;
mod ops;
mod reconcile;
mod runs;
mod types;

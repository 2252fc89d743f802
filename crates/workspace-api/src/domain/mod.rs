//! The workspace's domain: what items, categories and audit rows are, and how client
//! input becomes them.

pub mod audit;
pub mod category;
pub mod item;
pub mod query;

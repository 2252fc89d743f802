//! The workspace's domain: what items, categories and audit rows are, and how client
//! input becomes them.

pub mod audit;
pub mod category;
pub mod item;
mod item_id;
pub mod legacy;
pub mod query;

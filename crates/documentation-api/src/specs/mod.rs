//! Spec serving: the OpenAPI and AsyncAPI documents of `SPECS_DIR` (by default the
//! fleet's own `openapi/`), served as files and as JSON, checked, archived, versioned
//! per document under `SPECS_VERSIONS_DIR`, and searched.
//!
//! Everything reads the disk when asked, so an edited spec is what the next request
//! sees; the search index remembers what it was built from (names, sizes, modification
//! times) and is rebuilt at the first search after any change, a publication included.
//! `SPECS_DIR` is only ever read; publications go to `<versions_dir>/<semver>/<file>`.
//! File work runs on the blocking pool.

mod asyncapi;
mod dirs;
pub mod document;
pub mod entries;
pub mod files;
pub mod query;
pub mod search;
mod service;
pub mod validate;
pub mod versions;

pub use dirs::Status;
pub use service::Specs;

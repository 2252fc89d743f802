//! The documentation service's one error type, converted into the fleet envelope.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use shared::{ApiError, FieldError};

use crate::domain::Entity;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{} not found", .0.title())]
    NotFound(Entity),
    /// A reference in a body (`system_id`, `idea_id`) to an entity that does not exist.
    #[error("Referenced {} not found", .entity.name())]
    MissingReference { field: &'static str, entity: Entity },
    #[error("System with name '{0}' already exists")]
    DuplicateName(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("docs search failed: {0}")]
    Search(#[from] tantivy::TantivyError),
    /// A spec file, document or version that does not exist.
    #[error("{0}")]
    SpecNotFound(String),
    /// A spec path a client gave that is not a plain relative path inside `SPECS_DIR`.
    #[error("Invalid spec path: {0}")]
    InvalidSpecPath(String),
    /// The specs on disk do not allow the request (a broken document, a taken version).
    #[error("{0}")]
    SpecConflict(String),
    /// Reading or writing the specs failed; the sentence is for the log only.
    #[error("spec storage error: {0}")]
    SpecStorage(String),
    /// Shared, because one failure may answer several waiting callers.
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
}

impl Error {
    pub fn spec_io(context: &str, error: std::io::Error) -> Self {
        Self::SpecStorage(format!("{context}: {error}"))
    }

    /// The database's own error, when that is what this is.
    pub fn database(&self) -> Option<&sqlx::Error> {
        match self {
            Self::Database(e) => Some(e),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(Arc::new(error))
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let message = error.to_string();
        match error {
            Error::NotFound(_) => ApiError::not_found(message),
            Error::MissingReference { field, .. } => {
                ApiError::validation(vec![FieldError::new(field, "not_found", message)])
            }
            Error::DuplicateName(_) | Error::SpecConflict(_) => ApiError::conflict(message),
            Error::SpecNotFound(_) => ApiError::not_found(message),
            Error::InvalidSpecPath(_) => ApiError::bad_request("INVALID_PATH", message),
            Error::SpecStorage(cause) => ApiError::internal(cause),
            Error::Api(api) => api,
            Error::Database(e) => shared::db::api_error(&e),
            Error::Search(e) => ApiError::internal(e),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

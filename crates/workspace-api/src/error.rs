//! The workspace service's one error type, converted into the fleet envelope.

use axum::response::{IntoResponse, Response};
use shared::{ApiError, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Item with id {0} not found")]
    ItemNotFound(String),
    #[error("Category '{0}' not found")]
    CategoryNotFound(String),
    #[error("Invalid category '{name}'. Valid categories: {}", .valid.join(", "))]
    InvalidCategory { name: String, valid: Vec<String> },
    #[error("Category '{0}' already exists")]
    CategoryExists(String),
    #[error("Cannot delete category '{name}' - {count} items are using it")]
    CategoryInUse { name: String, count: i64 },
    #[error("The item has changed since it was read: If-Match does not match its current ETag")]
    Stale,
    #[error("The item is being changed by other writers; please retry")]
    Contended,
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Shared, because one failed write of a run of updates answers each of them.
    #[error("database error: {0}")]
    Database(std::sync::Arc<sqlx::Error>),
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(std::sync::Arc::new(error))
    }
}

impl Error {
    /// The database's own error, when that is what this is.
    pub fn database(&self) -> Option<&sqlx::Error> {
        match self {
            Self::Database(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let message = error.to_string();
        match error {
            Error::ItemNotFound(_) | Error::CategoryNotFound(_) => ApiError::not_found(message),
            Error::InvalidCategory { .. } => {
                ApiError::bad_request("INVALID_CATEGORY", message.clone()).with_errors(vec![
                    FieldError::new("category", "invalid_category", message),
                ])
            }
            Error::CategoryExists(_) => ApiError::conflict(message),
            Error::CategoryInUse { .. } => {
                ApiError::new(axum::http::StatusCode::CONFLICT, "CATEGORY_IN_USE", message)
            }
            Error::Stale => ApiError::precondition_failed(message),
            Error::Contended => ApiError::unavailable(message),
            Error::Api(api) => api,
            Error::Database(e) => shared::db::api_error(&e),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

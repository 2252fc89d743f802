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
    /// Shared, because one failure may answer several waiting callers.
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
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
            Error::DuplicateName(_) => ApiError::conflict(message),
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

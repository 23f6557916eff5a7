//! Errors for HTTP handlers. Use [`AppError`] in every handler: `Invalid` and `NotFound` tell the
//! client what is wrong; `Unexpected` is logged with its cause chain and answers with a generic
//! message, so no internal detail leaks. JSON routes answer
//! `{"error": {"code": "...", "message": "..."}}`; HTML routes get a page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_core::StoreError;

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is wrong (422).
    #[error("{0}")]
    Invalid(String),
    /// No such thing (404).
    #[error("not found")]
    NotFound,
    /// The request conflicts with stored data (409).
    #[error("{0}")]
    Conflict(String),
    /// Anything else (500, logged).
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Handler result.
pub(crate) type Result<T, E = AppError> = std::result::Result<T, E>;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(m) => Self::Conflict(m),
            other => Self::Unexpected(anyhow::Error::new(other)),
        }
    }
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", m.clone()),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found", "not found".to_owned()),
            Self::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            Self::Unexpected(e) => {
                tracing::error!(error = ?e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong; it has been logged".to_owned(),
                )
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        (
            status,
            axum::Json(serde_json::json!({"error": {"code": code, "message": message}})),
        )
            .into_response()
    }
}

/// The same error, answered as an HTML page.
#[derive(Debug)]
pub(crate) struct HtmlError(pub(crate) AppError);

impl<E: Into<AppError>> From<E> for HtmlError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for HtmlError {
    fn into_response(self) -> Response {
        let (status, _, message) = self.0.parts();
        let page = crate::web::error_page(status, &message);
        (status, page).into_response()
    }
}

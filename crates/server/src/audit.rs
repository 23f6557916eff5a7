//! Writing the audit log from handlers. Every person-level view, list and change goes through
//! [`record`]; an entry that cannot be written fails the request, so nothing is seen unaudited.
//! Until sign-in arrives the actor is `anonymous`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use lantern_core::audit::NewAuditEntry;
use lantern_core::register::Dataset;

use crate::AppState;
use crate::error::AppError;

/// The client's address, or `unknown` (in tests without a socket).
#[derive(Debug, Clone)]
pub(crate) struct Origin(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(Self(addr.unwrap_or_else(|| "unknown".to_owned())))
    }
}

/// Append one entry about person-level data.
pub(crate) async fn record(
    state: &AppState,
    origin: &Origin,
    action: &str,
    dataset: &Dataset,
    record_id: Option<i64>,
    detail: String,
) -> Result<(), AppError> {
    let entry = NewAuditEntry {
        actor: "anonymous".to_owned(),
        action: action.to_owned(),
        dataset: Some(dataset.name.to_owned()),
        record_id,
        detail,
        origin: origin.0.clone(),
    };
    state.store.append_audit(&entry).await?;
    Ok(())
}

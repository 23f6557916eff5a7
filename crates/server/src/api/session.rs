//! `POST /api/v1/session` signs in a script (`{"username", "password"}`; 200 with the session
//! cookie, 401, or 429), `GET` says who is signed in, and `DELETE` signs out.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::access::{Origin, Principal, Viewer};
use crate::error::{AppError, Result};
use crate::session;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/session",
        post(create_session)
            .get(show_session)
            .delete(delete_session),
    )
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
    /// The authenticator app's code, for users who set one up.
    totp: Option<String>,
}

fn describe(p: &Principal) -> serde_json::Value {
    json!({
        "username": p.username,
        "role": p.role,
        "area": p.area,
        "organisation": p.organisation,
        "csrf_token": p.csrf,
    })
}

async fn create_session(
    State(state): State<AppState>,
    Origin(origin): Origin,
    body: axum::body::Bytes,
) -> Result<Response> {
    let creds: Credentials = serde_json::from_slice(&body).map_err(|_| {
        AppError::Invalid("send {\"username\": \"...\", \"password\": \"...\"}".to_owned())
    })?;
    let signed_in = session::sign_in(
        &state,
        &creds.username,
        &creds.password,
        creds.totp.as_deref(),
        &origin,
    )
    .await?;
    Ok((
        StatusCode::OK,
        [(
            header::SET_COOKIE,
            session::cookie(&state, Some(&signed_in.token)),
        )],
        Json(describe(&signed_in.principal)),
    )
        .into_response())
}

async fn show_session(viewer: Viewer) -> Result<Json<serde_json::Value>> {
    let p = viewer.0.ok_or(AppError::Unauthenticated)?;
    Ok(Json(describe(&p)))
}

async fn delete_session(
    State(state): State<AppState>,
    Origin(origin): Origin,
    viewer: Viewer,
) -> Result<Response> {
    let p = viewer.0.ok_or(AppError::Unauthenticated)?;
    session::sign_out(&state, &p, &origin).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session::cookie(&state, None))],
    )
        .into_response())
}

//! The sign-in page and sign-out. A failed sign-in answers 401 with one message whatever was
//! wrong; a locked-out account or address answers 429 and says when to try again.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Layout, render};
use crate::AppState;
use crate::access::{Origin, Viewer};
use crate::error::{AppError, HtmlError};
use crate::session;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(show_login).post(do_login))
        .route("/logout", post(do_logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NextParam {
    next: Option<String>,
}

/// Only a path on this site: never `//host` or a scheme, so the link cannot send anyone away.
///
/// Browsers read a URL after dropping every tab, carriage return and line feed in it and
/// trimming leading and trailing control characters and spaces (the WHATWG URL standard), and
/// treat `\\` as `/`: `/\t/evil.example` becomes `//evil.example`, another site. So a path
/// with any control or space character, or a backslash, is refused outright rather than
/// cleaned, and what is left must start with exactly one `/`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\') =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

async fn show_login(State(state): State<AppState>, Query(q): Query<NextParam>) -> Response {
    render(&LoginPage {
        layout: Layout::new(&state, "Sign in", "login"),
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: None,
    })
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    /// The authenticator app's code, for users who set one up.
    totp: Option<String>,
    next: Option<String>,
}

async fn do_login(
    State(state): State<AppState>,
    Origin(origin): Origin,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    match session::sign_in(
        &state,
        &form.username,
        &form.password,
        form.totp.as_deref().filter(|t| !t.is_empty()),
        &origin,
    )
    .await
    {
        Ok(signed_in) => (
            [(
                header::SET_COOKIE,
                session::cookie(&state, Some(&signed_in.token)),
            )],
            Redirect::to(&next),
        )
            .into_response(),
        Err(e) => {
            let status = match &e {
                AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
                AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
                _ => return HtmlError(e).into_response(),
            };
            let message = match &e {
                AppError::TooManyRequests(secs) => format!(
                    "Too many failed sign-ins. Try again in {} minutes, or ask an admin to reset your password.",
                    secs.div_ceil(60)
                ),
                _ => "The user name or password is not right.".to_owned(),
            };
            let mut page = render(&LoginPage {
                layout: Layout::new(&state, "Sign in", "login"),
                next,
                username: form.username,
                error: Some(message),
            });
            *page.status_mut() = status;
            page
        }
    }
}

async fn do_logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
) -> Result<Response, HtmlError> {
    if let Some(p) = &viewer.0 {
        session::sign_out(&state, p, &origin).await?;
    }
    Ok((
        [(header::SET_COOKIE, session::cookie(&state, None))],
        Redirect::to("/"),
    )
        .into_response())
}

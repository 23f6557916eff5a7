//! Errors for HTTP handlers. Use [`AppError`] in every handler: `Invalid` and `NotFound` tell the
//! client what is wrong; `Unexpected` is logged with its cause chain and answers with a generic
//! message, so no internal detail leaks. JSON routes answer
//! `{"error": {"code": "...", "message": "..."}}`; HTML routes get a page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use lantern_core::StoreError;

use crate::access;
use crate::page::Layout;

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is wrong (422).
    #[error("{0}")]
    Invalid(String),
    /// The request is well formed but refused, e.g. too fine for its audience (400).
    #[error("{0}")]
    BadRequest(String),
    /// No such thing (404).
    #[error("not found")]
    NotFound,
    /// The request conflicts with stored data (409).
    #[error("{0}")]
    Conflict(String),
    /// Not signed in (401).
    #[error("sign in first")]
    Unauthenticated,
    /// Signed in, but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// An analyst outside their area must give a reason to open this record (403).
    #[error("this record is outside your area")]
    BreakGlass {
        /// The dataset's name.
        dataset: &'static str,
        /// The record.
        id: i64,
    },
    /// Too many failed sign-ins; try again after this many seconds (429).
    #[error("too many failed sign-ins")]
    TooManyRequests(u64),
    /// The database is not answering (503, logged).
    #[error("the database is unavailable")]
    Unavailable(String),
    /// The request body is too large (413).
    #[error("the request is too large")]
    TooLarge,
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
            StoreError::Unavailable(m) => Self::Unavailable(m),
            other => Self::Unexpected(anyhow::Error::new(other)),
        }
    }
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", m.clone()),
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, "refused", m.clone()),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found", "not found".to_owned()),
            Self::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            Self::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in first, or check the user name and password".to_owned(),
            ),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone()),
            Self::BreakGlass { .. } => (
                StatusCode::FORBIDDEN,
                "break_glass_required",
                "this record is outside your area: open it in the web page and give a reason, which is audited"
                    .to_owned(),
            ),
            Self::TooManyRequests(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "too many failed sign-ins: try again in {} minutes, or ask an admin",
                    secs.div_ceil(60)
                ),
            ),
            Self::Unavailable(cause) => {
                tracing::warn!(cause, "database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Lantern cannot reach its database just now; nothing was changed. Try again in a minute."
                        .to_owned(),
                )
            }
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request is too large".to_owned(),
            ),
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

impl AppError {
    fn retry_after(&self) -> Option<(axum::http::HeaderName, String)> {
        match self {
            Self::TooManyRequests(secs) => {
                Some((axum::http::header::RETRY_AFTER, secs.to_string()))
            }
            _ => None,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let retry = self.retry_after();
        let mut res = (
            status,
            axum::Json(serde_json::json!({"error": {"code": code, "message": message}})),
        )
            .into_response();
        if let Some((k, v)) = retry
            && let Ok(v) = axum::http::HeaderValue::from_str(&v)
        {
            res.headers_mut().insert(k, v);
        }
        res
    }
}

/// Every error answers in the shape of its route: the framework's own refusals (a path or query
/// value that does not parse, a body that is not JSON, a method a path does not take, no such
/// route) come as plain text or an empty body; they are rewritten here as the JSON error under
/// `/api` and as an error page elsewhere, with the framework's message kept (it names the value,
/// never anything stored) and its headers (`Allow` on a 405) kept.
pub(crate) async fn uniform_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = crate::access::is_api(req.uri().path());
    let res = next.run(req).await;
    let status = res.status();
    let plain = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
    } else {
        lantern_core::text::printable(&text, 300).into_owned()
    };
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        s if s.is_server_error() => "internal",
        _ => "error",
    };
    parts.headers.remove(axum::http::header::CONTENT_TYPE);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let fresh = if api {
        (
            status,
            axum::Json(serde_json::json!({"error": {"code": code, "message": message}})),
        )
            .into_response()
    } else {
        (status, error_page(status, &message)).into_response()
    };
    let (fresh_parts, body) = fresh.into_parts();
    for (k, v) in &fresh_parts.headers {
        parts.headers.insert(k, v.clone());
    }
    Response::from_parts(parts, body)
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
        if let AppError::BreakGlass { dataset, id } = self.0 {
            return break_glass_page(dataset, id);
        }
        let (status, _, message) = self.0.parts();
        let page = error_page(status, &message);
        (status, page).into_response()
    }
}

// ---------------------------------------------------------------- error pages

/// Render a template into a response; a rendering failure is a logged 500.
pub(crate) fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong; it has been logged",
            )
            .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
}

pub(crate) fn error_page(status: StatusCode, message: &str) -> Html<String> {
    let page = ErrorPage {
        layout: Layout {
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            active: "",
            synthetic: false,
            user: access::current(),
        },
        status: status.as_u16(),
        message: message.to_owned(),
    };
    Html(page.render().unwrap_or_else(|_| message.to_owned()))
}

#[derive(Template)]
#[template(path = "break_glass.html")]
struct BreakGlassPage {
    layout: Layout,
    dataset: &'static str,
    id: i64,
}

/// The page an analyst sees when a record is outside their area: give a reason to open it.
pub(crate) fn break_glass_page(dataset: &'static str, id: i64) -> Response {
    let page = BreakGlassPage {
        layout: Layout {
            title: "Outside your area".to_owned(),
            active: dataset,
            synthetic: false,
            user: access::current(),
        },
        dataset,
        id,
    };
    (StatusCode::FORBIDDEN, render(&page)).into_response()
}

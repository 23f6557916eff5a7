//! HTML pages, server-rendered with askama and usable without JavaScript. Each page file holds its
//! handlers and view structs; `templates/` holds the markup, all extending `base.html`, which
//! always shows where to get help now.

mod areas;
mod audit;
mod home;
mod quality;
pub(crate) mod register;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(home::routes())
        .merge(register::routes())
        .merge(areas::routes())
        .merge(quality::routes())
        .merge(audit::routes())
        .route("/static/style.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/style.css"),
    )
}

/// What `base.html` needs on every page.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The page's title.
    pub(crate) title: String,
    /// Which navigation item is current.
    pub(crate) active: &'static str,
    /// The data is synthetic demo data.
    pub(crate) synthetic: bool,
}

impl Layout {
    pub(crate) fn new(state: &AppState, title: impl Into<String>, active: &'static str) -> Self {
        Self {
            title: title.into(),
            active,
            synthetic: state.config.synthetic,
        }
    }
}

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
        },
        status: status.as_u16(),
        message: message.to_owned(),
    };
    Html(page.render().unwrap_or_else(|_| message.to_owned()))
}

/// One `<option>`.
#[derive(Debug, Clone)]
pub(crate) struct Opt {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

impl Opt {
    pub(crate) fn new(value: &str, label: &str, current: &str) -> Self {
        Self {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == current,
        }
    }
}

/// Percent-encode a query value.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

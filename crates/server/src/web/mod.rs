//! HTML pages, server-rendered with askama and usable without JavaScript. Each page file holds its
//! handlers and view structs; `templates/` holds the markup, all extending `base.html`, which
//! always shows where to get help now.

mod admin;
mod areas;
mod audit;
mod home;
mod login;
mod plan_reports;
pub(crate) mod plans;
mod quality;
pub(crate) mod register;
mod register_forms;
mod signal_pictures;
mod signals;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::access::{self, Principal, Rule};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(home::routes())
        .merge(register::routes())
        .merge(areas::routes())
        .merge(quality::routes())
        .merge(audit::routes())
        .merge(login::routes())
        .merge(admin::routes())
        .merge(plans::routes())
        .merge(signals::routes())
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
    /// The signed-in user, if any.
    pub(crate) user: Option<Principal>,
}

impl Layout {
    pub(crate) fn new(state: &AppState, title: impl Into<String>, active: &'static str) -> Self {
        Self {
            title: title.into(),
            active,
            synthetic: state.config.synthetic,
            user: access::current(),
        }
    }

    /// The user may see person-level records.
    pub(crate) fn people(&self) -> bool {
        self.allows(Rule::People)
    }

    /// The user is an analyst or admin.
    pub(crate) fn analyst(&self) -> bool {
        self.allows(Rule::Analysts)
    }

    /// The user is an admin.
    pub(crate) fn admin(&self) -> bool {
        self.allows(Rule::Admin)
    }

    fn allows(&self, rule: Rule) -> bool {
        self.user.as_ref().is_some_and(|u| rule.allows(u.role))
    }

    /// The CSRF token for this user's forms.
    pub(crate) fn csrf(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.csrf.as_str())
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

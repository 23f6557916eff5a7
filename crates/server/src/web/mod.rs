//! HTML pages, server-rendered with askama and usable without JavaScript. Each page file holds its
//! handlers and view structs; `templates/` holds the markup, all extending `base.html`, which
//! always shows where to get help now.

mod admin;
mod areas;
mod audit;
mod dashboard;
mod explore;
mod home;
mod login;
mod map;
mod plan_reports;
pub(crate) mod plans;
mod profile;
mod quality;
pub(crate) mod register;
mod register_forms;
mod signal_pictures;
mod signals;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;
pub(crate) use crate::error::render;
pub(crate) use crate::page::Layout;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(home::routes())
        .merge(register::routes())
        .merge(areas::routes())
        .merge(map::routes())
        .merge(explore::routes())
        .merge(profile::routes())
        .merge(quality::routes())
        .merge(audit::routes())
        .merge(login::routes())
        .merge(admin::routes())
        .merge(plans::routes())
        .merge(signals::routes())
        .route("/static/style.css", get(stylesheet))
        .route("/static/map.js", get(map_script))
}

/// The map's pan and zoom: the project's own script; the map works without it.
async fn map_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../static/map.js"),
    )
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        concat!(
            include_str!("../../static/style.css"),
            include_str!("../../static/choropleth.css")
        ),
    )
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

/// A chart's downloads as `data:` links, so that the page needs no second request: the image
/// as SVG (with its styles, to stand on its own) and its figures as CSV, naming the disclosure
/// rule they carry.
#[derive(Debug, Clone, Default)]
pub(crate) struct Downloads {
    pub(crate) svg: String,
    pub(crate) csv: String,
}

impl Downloads {
    pub(crate) fn of(
        svg: &str,
        title: &str,
        disclosure: &str,
        columns: &[&str],
        rows: &[Vec<String>],
    ) -> Self {
        let styled = svg.replacen(
            "xmlns=\"http://www.w3.org/2000/svg\">",
            &format!(
                "xmlns=\"http://www.w3.org/2000/svg\"><style>{}</style>",
                include_str!("../../static/choropleth.css")
            ),
            1,
        );
        let table = lantern_core::export::FiguresTable {
            title: title.to_owned(),
            notes: vec![("disclosure".to_owned(), disclosure.to_owned())],
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|c| lantern_core::export::Cell::Text(c.clone()))
                        .collect()
                })
                .collect(),
        };
        let csv = table
            .csv()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        Self {
            svg: format!("data:image/svg+xml;charset=utf-8,{}", encode(&styled)),
            csv: format!("data:text/csv;charset=utf-8,{}", encode(&csv)),
        }
    }
}

//! HTML pages, server-rendered with askama and usable without JavaScript. Each page file holds its
//! handlers and view structs; `templates/` holds the markup, all extending `base.html`, which
//! always shows where to get help now.

mod admin;
mod areas;
mod audit;
mod dashboard;
mod explore;
mod home;
mod imports;
mod login;
mod map;
mod media;
mod plan_import;
mod plan_reports;
pub(crate) mod plans;
pub(crate) mod postvention;
mod profile;
mod quality;
pub(crate) mod register;
mod register_forms;
mod reports;
mod signal_pictures;
mod signals;
pub(crate) mod support;
mod waiting;
mod workforce;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
pub(crate) use crate::error::render;
pub(crate) use crate::page::Layout;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(home::routes())
        .merge(register::routes())
        .merge(imports::routes())
        .merge(plan_import::routes())
        .merge(areas::routes())
        .merge(map::routes())
        .merge(explore::routes())
        .merge(profile::routes())
        .merge(quality::routes())
        .merge(postvention::routes())
        .merge(workforce::routes())
        .merge(media::routes())
        .merge(support::routes())
        .merge(audit::routes())
        .merge(login::routes())
        .merge(admin::routes())
        .merge(plans::routes())
        .merge(signals::routes())
        .merge(reports::routes())
        .route("/static/style.css", get(stylesheet))
        .route("/static/map.js", get(map_script))
        .route("/static/forms.js", get(forms_script))
}

/// Feedback while a long form is sent (uploads): the project's own script; the forms work
/// without it.
async fn forms_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../static/forms.js"),
    )
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
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// The charts' stylesheet as an SVG `<style>` element, percent-encoded once for every `data:`
/// link (encoding is per byte, so it can be spliced between the encoded parts of a chart).
static ENCODED_CHART_STYLE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    encode(&format!(
        "<style>{}</style>",
        include_str!("../../static/choropleth.css")
    ))
});

/// A table on a page, to download as CSV or XLSX from the page's own address
/// (`?table=ID&format=csv|xlsx`), so that the file passes the same access rule, scope and audit
/// as the page, and carries the same figures under the same disclosure rule.
pub(crate) struct PageTable {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl PageTable {
    pub(crate) fn new(id: &str, title: &str, columns: &[&str], rows: Vec<Vec<String>>) -> Self {
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows,
        }
    }
}

/// The file for `?table=ID&format=…` when the query asks for one: `None` when it does not, a
/// refusal when the page has no such table. The CSV holds the page's text exactly; in the XLSX
/// numbers are numbers, while `withheld` and intervals stay as text.
pub(crate) fn table_download(
    raw: &std::collections::HashMap<String, String>,
    tables: Vec<PageTable>,
    notes: &[(&str, &str)],
    name: &str,
) -> Option<Result<Response, crate::error::AppError>> {
    let format = raw.get("format").filter(|f| !f.is_empty())?;
    let id = raw.get("table").map_or("", String::as_str);
    let Some(t) = tables.into_iter().find(|t| t.id == id) else {
        return Some(Err(crate::error::AppError::Invalid(format!(
            "this page has no table '{id}' to download"
        ))));
    };
    let numbers = format == "xlsx";
    let cell = |c: &String| match c.replace(',', "").parse::<f64>() {
        Ok(n) if numbers && n.is_finite() => lantern_core::export::Cell::Number(n),
        _ if c.is_empty() => lantern_core::export::Cell::Empty,
        _ => lantern_core::export::Cell::Text(c.clone()),
    };
    let table = lantern_core::export::FiguresTable {
        title: t.title,
        notes: notes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        columns: t.columns,
        rows: t
            .rows
            .iter()
            .map(|r| r.iter().map(cell).collect())
            .collect(),
    };
    Some(crate::api::map::download(
        &table,
        format,
        &format!("{name}-{}", t.id),
    ))
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
    /// A chart as a `data:` link to an SVG file with its styles, so the image stands on its own.
    pub(crate) fn image(svg: &str) -> String {
        // The styles go just inside the root element, so the image stands on its own.
        let marker = "xmlns=\"http://www.w3.org/2000/svg\">";
        match svg.find(marker) {
            Some(i) => {
                let (head, tail) = svg.split_at(i + marker.len());
                format!(
                    "data:image/svg+xml;charset=utf-8,{}{}{}",
                    encode(head),
                    ENCODED_CHART_STYLE.as_str(),
                    encode(tail)
                )
            }
            None => format!("data:image/svg+xml;charset=utf-8,{}", encode(svg)),
        }
    }

    pub(crate) fn of(
        svg: &str,
        title: &str,
        disclosure: &str,
        columns: &[&str],
        rows: &[Vec<String>],
    ) -> Self {
        let image = Self::image(svg);
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
            svg: image,
            csv: format!("data:text/csv;charset=utf-8,{}", encode(&csv)),
        }
    }
}

/// A form as a one-row file with `columns`, so it is checked by the import's own rules (the
/// CSV writer's neutralising and the reader's undoing of it included).
pub(crate) fn form_table(
    columns: &[&str],
    row: Vec<String>,
) -> Result<lantern_core::import::Table, crate::error::AppError> {
    let mut bytes = Vec::new();
    {
        let mut w = lantern_core::export::CsvWriter::new(&mut bytes);
        w.write_record(columns)
            .map_err(|e| crate::error::AppError::Invalid(e.to_string()))?;
        w.write_record(row)
            .map_err(|e| crate::error::AppError::Invalid(e.to_string()))?;
        w.flush()
            .map_err(|e| crate::error::AppError::Invalid(e.to_string()))?;
    }
    lantern_core::import::Table::from_csv("form", &bytes)
        .map_err(|e| crate::error::AppError::Invalid(e.to_string()))
}

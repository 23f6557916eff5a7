//! `/plans/import`: an analyst uploads a plan (a document's text, CSV or XLSX), sees the tree as
//! the importer understood it, says which column is which (`Aim=outcome,...`) and how sections
//! are headed (`Priority {n}:`) when it did not see them, and imports it. The same reader and
//! options as `lantern import plans`.

use std::sync::OnceLock;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lantern_core::import::ImportError;
use lantern_core::plans::parse::{SectionPattern, parse_columns};
use lantern_core::plans::{Plan, PlanOptions, parse_plan_bytes};
use serde::Deserialize;

use super::waiting::Waiting;
use super::{Layout, render};
use crate::AppState;
use crate::access::{Rule, Viewer};
use crate::error::{AppError, HtmlError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans/import", get(show).post(check))
        .route("/plans/import/confirm", post(confirm))
}

/// A checked plan, waiting for the person who checked it to import it.
struct Pending {
    plan: Plan,
    file_name: String,
}

fn pending() -> &'static Waiting<Pending> {
    static PENDING: OnceLock<Waiting<Pending>> = OnceLock::new();
    PENDING.get_or_init(Waiting::new)
}

#[derive(Template)]
#[template(path = "plan_import.html")]
struct PlanImportPage {
    layout: Layout,
    columns: String,
    sections: String,
    title: String,
    roles: Vec<(&'static str, &'static str)>,
    checked: bool,
    file_name: String,
    problems: Vec<String>,
    warnings: Vec<String>,
    tree: String,
    summary: String,
    token: String,
}

fn page(state: &AppState) -> PlanImportPage {
    PlanImportPage {
        layout: Layout::new(state, "Import a plan", "plans"),
        columns: String::new(),
        sections: String::new(),
        title: String::new(),
        roles: lantern_core::plans::parse::COLUMN_ROLES.to_vec(),
        checked: false,
        file_name: String::new(),
        problems: Vec::new(),
        warnings: Vec::new(),
        tree: String::new(),
        summary: String::new(),
        token: String::new(),
    }
}

async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, HtmlError> {
    viewer.require(Rule::Analysts)?;
    Ok(render(&page(&state)))
}

async fn check(
    State(state): State<AppState>,
    viewer: Viewer,
    mut form: Multipart,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Analysts)?.clone();
    let mut view = page(&state);
    view.checked = true;
    let mut bytes = Vec::new();
    let bad = |e: axum::extract::multipart::MultipartError| AppError::Invalid(e.body_text());
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "file" => {
                view.file_name = field
                    .file_name()
                    .map(|n| lantern_core::text::printable(n, 120).into_owned())
                    .unwrap_or_default();
                bytes = field.bytes().await.map_err(bad)?.to_vec();
            }
            "columns" => view.columns = field.text().await.map_err(bad)?,
            "sections" => view.sections = field.text().await.map_err(bad)?,
            "title" => view.title = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    let mut opts = PlanOptions {
        title: Some(view.title.trim().to_owned()).filter(|t| !t.is_empty()),
        ..PlanOptions::default()
    };
    if !view.columns.trim().is_empty() {
        match parse_columns(&view.columns) {
            Ok(c) => opts.columns = c,
            Err(e) => view.problems.push(format!("Column roles: {e}")),
        }
    }
    if !view.sections.trim().is_empty() {
        match SectionPattern::parse(view.sections.trim()) {
            Ok(p) => opts.sections = Some(p),
            Err(e) => view.problems.push(format!("Section headings: {e}")),
        }
    }
    if bytes.is_empty() {
        view.problems
            .push("Choose a plan file: none was sent, or it is empty.".to_owned());
    }
    if view.problems.is_empty() {
        match parse_plan_bytes(&view.file_name, &bytes, None, &opts) {
            Ok(parsed) => {
                view.tree = parsed.plan.tree();
                view.summary = format!(
                    "{} sections and {} actions understood.",
                    parsed.plan.sections.len(),
                    parsed.plan.action_count()
                );
                view.warnings = parsed.warnings.iter().map(ToString::to_string).collect();
                view.token = pending().keep(
                    &user.username,
                    Pending {
                        plan: parsed.plan,
                        file_name: view.file_name.clone(),
                    },
                );
            }
            Err(ImportError::Invalid(p)) => {
                view.problems = p.iter().map(ToString::to_string).collect();
            }
            Err(e) => view.problems.push(e.to_string()),
        }
    }
    Ok(render(&view))
}

#[derive(Deserialize)]
struct ConfirmForm {
    token: String,
}

async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<ConfirmForm>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Analysts)?.clone();
    let Some(p) = pending().take(&form.token, &user.username) else {
        return Err(AppError::Invalid(
            "this check has expired or was imported already: upload the plan again".to_owned(),
        )
        .into());
    };
    let actions = p.plan.action_count();
    let username = user.username.clone();
    let file_name = p.file_name.clone();
    let audit = move |id: i64| lantern_core::audit::NewAuditEntry {
        actor: username.clone(),
        action: "plan_import".to_owned(),
        dataset: None,
        record_id: None,
        detail: format!("upload={file_name} plan={id} actions={actions}"),
        origin: "web".to_owned(),
    };
    let id = state.store.import_plan(&p.plan, Some(&audit)).await?;
    Ok(Redirect::to(&format!("/plans/{id}")).into_response())
}

//! `/imports`: a recorder or analyst uploads a CSV or XLSX file, picks the register and a saved
//! profile (or pastes one), and sees a preview (new, changed and unchanged rows, and every
//! problem by line and column) with nothing written. Confirm writes it all or nothing, audited.
//! A recorder may upload only their own source's records. Uploads and their outcomes are listed.
//!
//! The checked records wait in this process's memory for the confirm, for 30 minutes at most;
//! the file itself is never written anywhere, since it may hold names, dates of birth and
//! postcodes that Lantern never keeps.

use std::sync::OnceLock;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lantern_core::import::{self, ImportError, Problem, Profile, RegisterContext, Table};
use lantern_core::register::{Dataset, ImportMerge, Record};
use lantern_core::store::Upload;
use serde::Deserialize;

use super::waiting::Waiting;
use super::{Layout, Opt, render};
use crate::AppState;
use crate::access::{Principal, Rule, Viewer};
use crate::error::{AppError, HtmlError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(show).post(check))
        .route("/imports/confirm", post(confirm))
        .route("/register/duplicates", get(show_duplicates))
        .route("/register/duplicates/{id}", post(decide_duplicate))
}

/// A checked file's records, waiting for the person who checked them to confirm.
struct Pending {
    dataset: &'static Dataset,
    records: Vec<Record>,
    fields: Vec<&'static str>,
    file_name: String,
    profile: Option<String>,
}

fn pending() -> &'static Waiting<Pending> {
    static PENDING: OnceLock<Waiting<Pending>> = OnceLock::new();
    PENDING.get_or_init(Waiting::new)
}

struct UploadRow {
    when: String,
    who: String,
    dataset: String,
    file: String,
    profile: String,
    outcome: String,
    counts: String,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    layout: Layout,
    datasets: Vec<Opt>,
    profiles: Vec<Opt>,
    profile_text: String,
    limit_mib: usize,
    organisation: Option<String>,
    /// A file was checked.
    checked: bool,
    file_name: String,
    problems: Vec<String>,
    warnings: Vec<String>,
    counts: Option<(u64, u64, u64)>,
    token: String,
    /// A file was imported.
    imported: Option<String>,
    dataset_link: String,
    uploads: Vec<UploadRow>,
}

async fn page(
    state: &AppState,
    user: &Principal,
    dataset: &str,
    profile: &str,
) -> Result<ImportsPage, AppError> {
    let mut profiles = vec![Opt::new(
        "",
        "None: Lantern's own columns, or labels",
        profile,
    )];
    for p in state.store.profiles().await? {
        profiles.push(Opt::new(
            &p.name,
            &format!("{} ({})", p.name, p.dataset),
            profile,
        ));
    }
    let by = (user.role == lantern_core::auth::Role::Recorder).then_some(user.username.as_str());
    let uploads = state
        .store
        .uploads(by, 50)
        .await?
        .into_iter()
        .map(|u| UploadRow {
            when: u.uploaded_at.format("%Y-%m-%d %H:%M").to_string(),
            who: u.uploaded_by,
            dataset: u.dataset,
            file: u.file_name,
            profile: u.profile.unwrap_or_default(),
            outcome: u.outcome,
            counts: format!(
                "{} new, {} changed, {} unchanged, {} problems",
                u.inserted, u.updated, u.unchanged, u.problems
            ),
        })
        .collect();
    Ok(ImportsPage {
        layout: Layout::new(state, "Upload a file", "imports"),
        datasets: vec![
            Opt::new("suicides", "Suspected suicides", dataset),
            Opt::new("self-harm", "Self-harm presentations", dataset),
        ],
        profiles,
        profile_text: String::new(),
        limit_mib: (state.config.max_body_bytes >> 20).max(1),
        organisation: user.organisation.clone(),
        checked: false,
        file_name: String::new(),
        problems: Vec::new(),
        warnings: Vec::new(),
        counts: None,
        token: String::new(),
        imported: None,
        dataset_link: String::new(),
        uploads,
    })
}

async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::People)?.clone();
    Ok(render(&page(&state, &user, "suicides", "").await?))
}

/// What the upload form sent.
#[derive(Default)]
struct Sent {
    dataset: String,
    profile: String,
    profile_text: String,
    file_name: String,
    bytes: Vec<u8>,
}

async fn read_form(mut form: Multipart) -> Result<Sent, AppError> {
    let mut sent = Sent::default();
    let bad = |e: axum::extract::multipart::MultipartError| AppError::Invalid(e.body_text());
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" => {
                sent.file_name = field
                    .file_name()
                    .map(|n| lantern_core::text::printable(n, 120).into_owned())
                    .unwrap_or_default();
                sent.bytes = field.bytes().await.map_err(bad)?.to_vec();
            }
            "dataset" => sent.dataset = field.text().await.map_err(bad)?,
            "profile" => sent.profile = field.text().await.map_err(bad)?,
            "profile_text" => sent.profile_text = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    Ok(sent)
}

/// The file's type, checked before it is parsed: `.csv` text or an `.xlsx` workbook.
fn check_type(sent: &Sent) -> Result<bool, String> {
    let lower = sent.file_name.to_ascii_lowercase();
    if sent.bytes.is_empty() {
        return Err("choose a file: none was sent, or it is empty".to_owned());
    }
    if lower.ends_with(".xlsx") {
        if !sent.bytes.starts_with(b"PK\x03\x04") {
            return Err(format!(
                "{} is named .xlsx but is not an Excel workbook",
                sent.file_name
            ));
        }
        return Ok(true);
    }
    if lower.ends_with(".csv") || lower.ends_with(".txt") {
        let head = &sent.bytes[..sent.bytes.len().min(64 << 10)];
        if head.contains(&0) || head.starts_with(b"PK\x03\x04") {
            return Err(format!(
                "{} is named as text but is not text",
                sent.file_name
            ));
        }
        return Ok(false);
    }
    Err(format!(
        "{} is not a CSV or XLSX file: save it from the spreadsheet as CSV or Excel workbook",
        sent.file_name
    ))
}

async fn check(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Multipart,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::People)?.clone();
    let sent = read_form(form).await?;
    let dataset = lantern_core::register::dataset(&sent.dataset)
        .ok_or_else(|| AppError::Invalid("choose suicides or self-harm".to_owned()))?;
    let profile_name = if sent.profile_text.trim().is_empty() {
        (!sent.profile.is_empty()).then(|| sent.profile.clone())
    } else {
        Some("pasted".to_owned())
    };
    let outcome = run_check(&state, &user, dataset, &sent).await;
    let mut record = Upload {
        id: 0,
        uploaded_at: chrono::Utc::now(),
        uploaded_by: user.username.clone(),
        dataset: dataset.name.to_owned(),
        file_name: sent.file_name.clone(),
        profile: profile_name.clone(),
        outcome: "refused".to_owned(),
        inserted: 0,
        updated: 0,
        unchanged: 0,
        problems: 0,
    };
    match &outcome {
        Ok((_, _, _, counts)) => {
            record.outcome = "checked".to_owned();
            (record.inserted, record.updated, record.unchanged) =
                (counts.0 as i64, counts.1 as i64, counts.2 as i64);
        }
        Err(problems) => record.problems = problems.len() as i64,
    }
    // Noted first, so the list on the page below includes this upload.
    state.store.add_upload(&record).await?;
    let mut view = page(&state, &user, dataset.name, &sent.profile).await?;
    view.checked = true;
    view.file_name.clone_from(&sent.file_name);
    view.profile_text.clone_from(&sent.profile_text);
    match outcome {
        Ok((records, fields, warnings, counts)) => {
            view.warnings = warnings;
            view.counts = Some(counts);
            view.token = pending().keep(
                &user.username,
                Pending {
                    dataset,
                    records,
                    fields,
                    file_name: sent.file_name.clone(),
                    profile: profile_name,
                },
            );
        }
        Err(problems) => view.problems = problems,
    }
    Ok(render(&view))
}

type Checked = (Vec<Record>, Vec<&'static str>, Vec<String>, (u64, u64, u64));

/// Read and check the file, and count what importing it would do; or every problem.
async fn run_check(
    state: &AppState,
    user: &Principal,
    dataset: &'static Dataset,
    sent: &Sent,
) -> Result<Checked, Vec<String>> {
    let is_xlsx = check_type(sent).map_err(|e| vec![e])?;
    let shown = |e: ImportError| match e {
        ImportError::Invalid(p) => p.iter().map(Problem::to_string).collect(),
        other => vec![other.to_string()],
    };
    let failed = |e: lantern_core::StoreError| vec![e.to_string()];
    let profile = if sent.profile_text.trim().is_empty() {
        match sent.profile.as_str() {
            "" => None,
            name => {
                let saved = state
                    .store
                    .profile(name)
                    .await
                    .map_err(failed)?
                    .ok_or_else(|| vec![format!("no saved profile is called {name}")])?;
                Some(Profile::parse(&format!("profile {name}"), &saved.toml).map_err(shown)?)
            }
        }
    } else {
        Some(Profile::parse("the pasted profile", &sent.profile_text).map_err(shown)?)
    };
    let table = if is_xlsx {
        Table::from_xlsx_bytes(&sent.file_name, sent.bytes.clone())
    } else {
        Table::from_csv_bytes(
            &sent.file_name,
            &sent.bytes,
            profile.as_ref().and_then(|p| p.encoding),
        )
    }
    .map_err(shown)?;
    let store = &state.store;
    let areas = store.area_codes().await.map_err(failed)?;
    let postcodes = store.postcodes().await.map_err(failed)?;
    let sources: Vec<String> = store
        .listed_sources()
        .await
        .map_err(failed)?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let in_register = store.sources(dataset).await.map_err(failed)?;
    let known = |c: &str| areas.contains(c);
    let context = RegisterContext {
        key: state.config.pseudonym_key.as_ref(),
        profile: profile.as_ref(),
        postcodes: Some(&postcodes),
        sources: &sources,
        in_register: &in_register,
        // `lantern serve --today` fixes the day no event may be later than, as for reports.
        today: state.today(),
        ..RegisterContext::new(&known)
    };
    let parsed = import::parse_register_with(dataset, &table, &context).map_err(shown)?;
    if user.role == lantern_core::auth::Role::Recorder {
        let own = user.organisation.clone().unwrap_or_default();
        let others: std::collections::BTreeSet<String> = parsed
            .records
            .iter()
            .map(|r| r.text("source"))
            .filter(|s| *s != own)
            .collect();
        if !others.is_empty() {
            return Err(vec![format!(
                "{}: this file holds records of {}; as a recorder for {own} you may upload {own}'s records only",
                sent.file_name,
                others.into_iter().collect::<Vec<_>>().join(", ")
            )]);
        }
    }
    let merge = ImportMerge::for_columns(dataset, parsed.fields.iter().copied(), false);
    let (summary, _) = store
        .import_merged(
            &parsed.records,
            &merge,
            "upload",
            true,
            None,
            &import::no_progress,
        )
        .await
        .map_err(failed)?;
    let warnings = parsed.warnings.iter().map(Problem::to_string).collect();
    Ok((
        parsed.records,
        parsed.fields,
        warnings,
        (summary.inserted, summary.updated, summary.unchanged),
    ))
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
    let user = viewer.require(Rule::People)?.clone();
    let Some(p) = pending().take(&form.token, &user.username) else {
        return Err(AppError::Invalid(
            "this check has expired or was confirmed already: upload the file again".to_owned(),
        )
        .into());
    };
    let merge = ImportMerge::for_columns(p.dataset, p.fields.iter().copied(), false);
    let origin = format!("upload:{}", p.file_name);
    let username = user.username.clone();
    let file_name = p.file_name.clone();
    let dataset = p.dataset;
    let audit = move |s: &lantern_core::ImportSummary, f: &lantern_core::register::FieldChanges| {
        lantern_core::audit::NewAuditEntry {
            actor: username.clone(),
            action: "import".to_owned(),
            dataset: Some(dataset.name.to_owned()),
            record_id: None,
            detail: format!(
                "upload={} inserted={} updated={} unchanged={} fields={}",
                file_name,
                s.inserted,
                s.updated,
                s.unchanged,
                import::describe_fields(f)
            ),
            origin: "web".to_owned(),
        }
    };
    let (summary, _) = state
        .store
        .import_merged(
            &p.records,
            &merge,
            &origin,
            false,
            Some(&audit),
            &import::no_progress,
        )
        .await?;
    state
        .store
        .add_upload(&Upload {
            id: 0,
            uploaded_at: chrono::Utc::now(),
            uploaded_by: user.username.clone(),
            dataset: p.dataset.name.to_owned(),
            file_name: p.file_name.clone(),
            profile: p.profile.clone(),
            outcome: "imported".to_owned(),
            inserted: summary.inserted as i64,
            updated: summary.updated as i64,
            unchanged: summary.unchanged as i64,
            problems: 0,
        })
        .await?;
    let queued = if p.dataset.is_suicides() {
        state.store.find_duplicates().await?
    } else {
        0
    };
    let mut view = page(&state, &user, p.dataset.name, "").await?;
    view.imported = Some(format!(
        "Imported {}: {} new, {} changed, {} unchanged.{}",
        p.file_name,
        summary.inserted,
        summary.updated,
        summary.unchanged,
        if queued > 0 {
            format!(
                " {queued} possible duplicates (the same death from another source) wait for an analyst's review."
            )
        } else {
            String::new()
        }
    ));
    view.dataset_link = format!("/register/{}", p.dataset.name);
    Ok(render(&view).into_response())
}

/// One record of a pair, as the review page shows it.
struct Side {
    id: i64,
    link: String,
    cells: Vec<(&'static str, String)>,
}

struct PairView {
    id: i64,
    status: String,
    decided_by: String,
    first: Side,
    second: Side,
    /// `(field label, first's value, second's value)`.
    rows: Vec<(&'static str, String, String)>,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    layout: Layout,
    open: Vec<PairView>,
    decided: Vec<PairView>,
}

fn side(r: &lantern_core::register::StoredRecord) -> Side {
    const SHOWN: &[&str] = &[
        "source",
        "source_ref",
        "date_of_death",
        "age",
        "sex",
        "residence_area",
        "status",
        "method_group",
        "location_type",
    ];
    Side {
        id: r.id,
        link: format!("/register/suicides/{}", r.id),
        cells: SHOWN
            .iter()
            .filter_map(|f| {
                let field = r.record.dataset.field(f)?;
                Some((field.label, r.record.text(f)))
            })
            .collect(),
    }
}

/// The review queue: pairs of records from different sources that may be one death.
async fn show_duplicates(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, HtmlError> {
    viewer.require(Rule::Analysts)?;
    let mut open = Vec::new();
    let mut decided = Vec::new();
    for p in state.store.duplicates(None).await? {
        let (first, second) = (side(&p.first), side(&p.second));
        let rows = first
            .cells
            .iter()
            .zip(&second.cells)
            .map(|((label, a), (_, b))| (*label, a.clone(), b.clone()))
            .collect();
        let view = PairView {
            id: p.id,
            status: p.status.clone(),
            decided_by: p.decided_by.clone().unwrap_or_default(),
            first,
            second,
            rows,
        };
        if p.status == "open" {
            open.push(view);
        } else {
            decided.push(view);
        }
    }
    Ok(render(&DuplicatesPage {
        layout: Layout::new(&state, "Possible duplicates", "duplicates"),
        open,
        decided,
    }))
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
}

async fn decide_duplicate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DecisionForm>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Analysts)?.clone();
    if !matches!(form.decision.as_str(), "same" | "distinct" | "open") {
        return Err(AppError::Invalid("decide same, distinct or open".to_owned()).into());
    }
    state
        .store
        .decide_duplicate(id, &form.decision, &user.username)
        .await?;
    crate::access::audit(
        &state,
        &user.username,
        "web",
        "duplicate_decision",
        Some(&lantern_core::register::SUICIDES),
        None,
        format!("pair={id} status={}", form.decision),
    )
    .await?;
    Ok(axum::response::Redirect::to("/register/duplicates").into_response())
}

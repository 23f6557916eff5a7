//! The public support directory: `/support` (search by postcode, postcode district or area, need
//! and age; a plain form that works with no JavaScript), `/support/leaflet?area=` (a printable
//! list for one area), `GET /api/v1/support` (the same search as JSON), and the owners' check of
//! an entry (`POST /support/services/{reference}/verify`).
//!
//! The directory, the areas and the postcode lookup are read once per data version and kept
//! ([`Directory`]): every search after that is in memory.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use lantern_core::area::{Area, AreaLevel};
use lantern_core::support::{self, Search, Service};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Layout, Opt, render};
use crate::AppState;
use crate::access::{Origin, Viewer};
use crate::error::{AppError, HtmlError, Result};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/support", get(show_support))
        .route("/support/leaflet", get(show_leaflet))
        .route("/api/v1/support", get(api_support))
        .route("/support/services/{reference}/verify", post(verify_service))
        .route("/support/services/{reference}/edit", get(edit_service))
        .route("/support/services/{reference}", post(save_service))
}

/// The directory and what a search needs to place a postcode or a name, at one data version.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    services: Vec<Service>,
    areas: Vec<Area>,
    /// Small areas by postcode key.
    postcodes: HashMap<String, String>,
    /// Small areas by postcode district.
    districts: HashMap<String, BTreeSet<String>>,
}

impl Directory {
    /// The entry of a reference, or 404.
    fn entry(&self, reference: &str) -> std::result::Result<&Service, AppError> {
        self.services
            .iter()
            .find(|s| s.reference == reference)
            .ok_or(AppError::NotFound)
    }
}

/// The directory at the current data version.
pub(crate) async fn directory(state: &AppState) -> Result<Arc<Directory>> {
    state
        .directory
        .get(state, "directory".to_owned(), || async {
            let services = state.store.services().await?;
            let areas = state.store.areas(None).await?;
            let mut postcodes = HashMap::new();
            let mut districts: HashMap<String, BTreeSet<String>> = HashMap::new();
            for (key, p) in state.store.postcodes().await? {
                if p.terminated.is_none() && !p.district.is_empty() {
                    districts
                        .entry(p.district.clone())
                        .or_default()
                        .insert(p.area_code.clone());
                }
                postcodes.insert(key, p.area_code);
            }
            Ok(Directory {
                services,
                areas,
                postcodes,
                districts,
            })
        })
        .await
}

/// Where a search is for, as the person wrote it and as the areas it names.
#[derive(Debug, Default)]
struct Place {
    /// The areas to search around (several for a postcode district that spans them).
    codes: Vec<String>,
    /// In words: "Brackenford", "postcode district AV1", "AV1 0AA".
    words: String,
}

/// Place what a person typed: an area code, an area's name, a full postcode or a postcode
/// district. `Ok(None)` for nothing typed; a refusal that says what was read for anything else.
fn place(dir: &Directory, text: &str) -> std::result::Result<Option<Place>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Some(a) = dir
        .areas
        .iter()
        .find(|a| a.code.eq_ignore_ascii_case(t) || a.name.eq_ignore_ascii_case(t))
    {
        return Ok(Some(Place {
            codes: vec![a.code.clone()],
            words: a.name.clone(),
        }));
    }
    if let Some(pc) = lantern_core::import::normalise_postcode(t) {
        return match dir.postcodes.get(&lantern_core::import::postcode_key(&pc)) {
            Some(area) => Ok(Some(Place {
                codes: vec![area.clone()],
                words: pc,
            })),
            // An unknown full postcode is still in a district the lookup may know.
            None => district(
                dir,
                &lantern_core::import::postcodes::postcode_district(&pc),
            )
            .map(Some)
            .ok_or_else(|| format!("{pc} is not a postcode in the partnership's areas")),
        };
    }
    if let Some(d) = lantern_core::import::postcodes::normalise_district(t) {
        return district(dir, &d)
            .map(Some)
            .ok_or_else(|| format!("{d} is not a postcode district in the partnership's areas"));
    }
    Err(format!(
        "'{}' is not a postcode, postcode district or area we know: try a postcode district such as AV1, or choose an area",
        lantern_core::text::printable(t, 40)
    ))
}

fn district(dir: &Directory, d: &str) -> Option<Place> {
    let areas = dir.districts.get(d)?;
    Some(Place {
        codes: areas.iter().cloned().collect(),
        words: format!("postcode district {d}"),
    })
}

/// The search's other choices, read from the request.
fn need_and_age(
    need: Option<&str>,
    age: Option<&str>,
) -> std::result::Result<(Option<String>, Option<u32>), String> {
    let need = match need.map(str::trim).filter(|n| !n.is_empty()) {
        None => None,
        Some(n) => Some(support::need_for(n).map(str::to_owned).ok_or_else(|| {
            format!(
                "need: '{}' is not one of {}",
                lantern_core::text::printable(n, 40),
                lantern_core::codes::list(support::NEEDS).choices()
            )
        })?),
    };
    let age = match age.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => match a.parse::<u32>() {
            Ok(n) if n <= 120 => Some(n),
            _ => {
                return Err(format!(
                    "age: '{}' is not an age (a whole number from 0 to 120)",
                    lantern_core::text::printable(a, 20)
                ));
            }
        },
    };
    Ok((need, age))
}

/// The entries for a place (any of its areas), need and age, by name.
fn found<'a>(
    dir: &'a Directory,
    place: Option<&Place>,
    need: Option<String>,
    age: Option<u32>,
) -> Vec<&'a Service> {
    let base = Search {
        area: None,
        need,
        age,
    };
    let Some(place) = place else {
        return support::search(&dir.services, &dir.areas, &base);
    };
    let mut seen = BTreeSet::new();
    let mut out: Vec<&Service> = place
        .codes
        .iter()
        .flat_map(|code| {
            let q = Search {
                area: Some(code.clone()),
                ..base.clone()
            };
            support::search(&dir.services, &dir.areas, &q)
        })
        .filter(|s| seen.insert(s.reference.clone()))
        .collect();
    support::by_name(&mut out);
    out
}

/// An entry as the pages show it.
struct Entry {
    name: String,
    organisation: String,
    needs: String,
    ages: String,
    access: &'static str,
    how_to_access: String,
    phone: String,
    phone_link: String,
    email: String,
    website: String,
    hours: String,
    description: String,
    verified: String,
    /// "Not checked since ...", when the entry is overdue.
    stale: String,
    reference: String,
}

fn entry(s: &Service, today: NaiveDate) -> Entry {
    let needs = lantern_core::codes::list(support::NEEDS);
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    Entry {
        name: s.name.clone(),
        organisation: s.organisation.clone(),
        needs: s
            .needs
            .iter()
            .map(|n| needs.label(n).to_owned())
            .collect::<Vec<_>>()
            .join(", "),
        ages: s.ages(),
        access: s.access.label(),
        how_to_access: opt(&s.how_to_access),
        phone_link: s
            .phone
            .as_deref()
            .map(|p| {
                p.chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect()
            })
            .unwrap_or_default(),
        phone: opt(&s.phone),
        email: opt(&s.email),
        website: opt(&s.website),
        hours: opt(&s.hours),
        description: opt(&s.description),
        verified: s.last_verified.format("%-d %B %Y").to_string(),
        stale: if s.overdue(today) {
            format!(
                "Not checked since {}: details may have changed, so please check before you travel.",
                s.last_verified.format("%-d %B %Y")
            )
        } else {
            String::new()
        },
        reference: s.reference.clone(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct SupportParams {
    area: Option<String>,
    /// `pdf` for the leaflet as a PDF file.
    format: Option<String>,
    place: Option<String>,
    need: Option<String>,
    age: Option<String>,
}

#[derive(Template)]
#[template(path = "support.html")]
struct SupportPage {
    layout: Layout,
    place: String,
    area_options: Vec<Opt>,
    need_options: Vec<Opt>,
    age: String,
    /// What the search was read as, or what could not be read.
    notice: String,
    problem: bool,
    searched: bool,
    entries: Vec<Entry>,
    leaflet: String,
}

/// The districts (and the partnership's other areas above them) for the area choice.
fn area_choices(dir: &Directory, current: &str) -> Vec<Opt> {
    let mut out = vec![Opt::new("", "Any area", current)];
    out.extend(
        dir.areas
            .iter()
            .filter(|a| matches!(a.level, AreaLevel::Lad | AreaLevel::County))
            .map(|a| Opt::new(&a.code, &a.name, current)),
    );
    out
}

fn need_choices(current: &str) -> Vec<Opt> {
    let mut out = vec![Opt::new("", "Any kind of support", current)];
    out.extend(
        lantern_core::codes::list(support::NEEDS)
            .codes
            .iter()
            .map(|c| Opt::new(&c.code, &c.label, current)),
    );
    out
}

async fn show_support(
    State(state): State<AppState>,
    Query(p): Query<SupportParams>,
) -> std::result::Result<Response, HtmlError> {
    let dir = directory(&state).await?;
    let today = state.today();
    // The typed place wins over the area chosen from the list.
    let typed = p.place.clone().unwrap_or_default();
    let chosen = p.area.clone().unwrap_or_default();
    let text = if typed.trim().is_empty() {
        chosen.clone()
    } else {
        typed.clone()
    };
    let searched = !(text.trim().is_empty()
        && p.need.as_deref().unwrap_or("").is_empty()
        && p.age.as_deref().unwrap_or("").is_empty());
    let (mut notice, mut problem) = (String::new(), false);
    let placed = match place(&dir, &text) {
        Ok(pl) => pl,
        Err(e) => {
            (notice, problem) = (e, true);
            None
        }
    };
    let (need, age) = match need_and_age(p.need.as_deref(), p.age.as_deref()) {
        Ok(x) => x,
        Err(e) => {
            (notice, problem) = (e, true);
            (None, None)
        }
    };
    let entries: Vec<Entry> = if problem {
        Vec::new()
    } else {
        found(&dir, placed.as_ref(), need.clone(), age)
            .into_iter()
            .map(|s| entry(s, today))
            .collect()
    };
    if !problem && searched {
        notice = format!(
            "{} service{} {}{}{}.",
            entries.len(),
            if entries.len() == 1 { "" } else { "s" },
            placed.as_ref().map_or_else(
                || "in every area".to_owned(),
                |pl| format!("for {}", pl.words)
            ),
            need.as_deref().map_or_else(String::new, |n| format!(
                ", for {}",
                lantern_core::codes::list(support::NEEDS)
                    .label(n)
                    .to_lowercase()
            )),
            age.map_or_else(String::new, |a| format!(", taking people aged {a}")),
        );
    }
    let leaflet = placed
        .as_ref()
        .filter(|pl| pl.codes.len() == 1)
        .map(|pl| format!("/support/leaflet?area={}", super::encode(&pl.codes[0])))
        .unwrap_or_default();
    let page = SupportPage {
        layout: Layout::new(&state, "Find support", "support"),
        place: typed,
        area_options: area_choices(&dir, if p.place.is_some() { "" } else { &chosen }),
        need_options: need_choices(need.as_deref().unwrap_or("")),
        age: age.map(|a| a.to_string()).unwrap_or_default(),
        notice,
        problem,
        searched,
        entries,
        leaflet,
    };
    let mut response = render(&page);
    if problem {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "support_leaflet.html")]
struct LeafletPage {
    layout: Layout,
    area: String,
    groups: Vec<(String, Vec<Entry>)>,
    printed: String,
}

async fn show_leaflet(
    State(state): State<AppState>,
    Query(p): Query<SupportParams>,
) -> std::result::Result<Response, HtmlError> {
    let dir = directory(&state).await?;
    let today = state.today();
    let text = p.area.clone().unwrap_or_default();
    let placed = place(&dir, &text)
        .map_err(AppError::Invalid)?
        .ok_or_else(|| AppError::Invalid("area: name an area, e.g. ?area=E07000001".to_owned()))?;
    let services = found(&dir, Some(&placed), None, None);
    // Grouped by need, in the code list's order; an entry appears under each of its needs.
    let mut groups: BTreeMap<usize, (String, Vec<Entry>)> = BTreeMap::new();
    let needs = lantern_core::codes::list(support::NEEDS);
    for s in services {
        for n in &s.needs {
            let at = needs.codes.iter().position(|c| c.code == *n).unwrap_or(0);
            groups
                .entry(at)
                .or_insert_with(|| (needs.label(n).to_owned(), Vec::new()))
                .1
                .push(entry(s, today));
        }
    }
    let printed = today.format("%-d %B %Y").to_string();
    let groups: Vec<(String, Vec<Entry>)> = groups.into_values().collect();
    match p.format.as_deref().filter(|f| !f.is_empty()) {
        None | Some("html") => {}
        Some("pdf") => return leaflet_pdf(&placed.words, &groups, &printed),
        Some(other) => {
            return Err(AppError::Invalid(format!(
                "format: '{}' is not html or pdf",
                lantern_core::text::printable(other, 20)
            ))
            .into());
        }
    }
    let page = LeafletPage {
        layout: Layout::new(&state, format!("Support in {}", placed.words), "support"),
        area: placed.words,
        groups,
        printed,
    };
    Ok(render(&page))
}

/// The leaflet as a PDF, through the report engine's document writer: the help-now box on the
/// cover, then a table of services for each kind of support.
fn leaflet_pdf(
    area: &str,
    groups: &[(String, Vec<Entry>)],
    printed: &str,
) -> std::result::Result<Response, HtmlError> {
    use lantern_core::reports::{Cell, Document, Section, Table};
    let text = |s: &str| Cell::Text(s.to_owned());
    let tables: Vec<Table> = groups
        .iter()
        .enumerate()
        .map(|(i, (need, entries))| Table {
            id: format!("services-{i}"),
            title: need.clone(),
            columns: ["Service", "What they offer", "Who and how", "Get in touch"]
                .map(str::to_owned)
                .to_vec(),
            rows: entries
                .iter()
                .map(|e| {
                    let contact: Vec<&str> = [
                        e.phone.as_str(),
                        e.email.as_str(),
                        e.website.as_str(),
                        e.hours.as_str(),
                    ]
                    .into_iter()
                    .filter(|x| !x.is_empty())
                    .collect();
                    vec![
                        text(&format!("{} ({})", e.name, e.organisation)),
                        text(&e.description),
                        text(&format!("{}. {}. {}", e.ages, e.access, e.how_to_access)),
                        text(&format!(
                            "{}{}",
                            contact.join(" · "),
                            if e.stale.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", e.stale)
                            }
                        )),
                    ]
                })
                .collect(),
            note: None,
        })
        .collect();
    // One section, the kinds of support one after another: a leaflet, not a page each.
    let sections = vec![Section {
        id: "services".to_owned(),
        title: "Services by kind of support".to_owned(),
        paragraphs: vec![format!(
            "Services for people in {area}, grouped by the kind of support they give; a service may appear under more than one."
        )],
        tables,
    }];
    let doc = Document {
        top_line: "Lantern · support directory".to_owned(),
        title: format!("Support in {area}"),
        subtitle: format!("Printed {printed}"),
        cover: vec![
            ("area", area.to_owned()),
            (
                "services",
                groups.iter().map(|g| g.1.len()).sum::<usize>().to_string(),
            ),
            ("printed", printed.to_owned()),
            (
                "note",
                "A service may appear under more than one kind of support. Details change: an entry not checked for six months says so."
                    .to_owned(),
            ),
        ],
        notes: &[],
        sections: &sections,
        head: format!("Support in {area} · printed {printed}"),
        foot: "Need help now? Samaritans 116 123 · NHS 111 option 2 · emergency 999".to_owned(),
        id_seed: format!("{area}{printed}").into_bytes(),
    };
    let bytes = lantern_core::reports::document_pdf(&doc, &|_| String::new())
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"support-{}.pdf\"",
                    area.chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                        .collect::<String>()
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /api/v1/support?area=&need=&age=`: the page's search as JSON. `area` takes an area code
/// or name, a postcode district or a postcode.
async fn api_support(
    State(state): State<AppState>,
    Query(p): Query<SupportParams>,
) -> Result<Json<Value>> {
    let dir = directory(&state).await?;
    let today = state.today();
    let text = p.area.clone().or(p.place.clone()).unwrap_or_default();
    let placed = place(&dir, &text).map_err(|e| AppError::Invalid(format!("area: {e}")))?;
    let (need, age) =
        need_and_age(p.need.as_deref(), p.age.as_deref()).map_err(AppError::Invalid)?;
    let services: Vec<Value> = found(&dir, placed.as_ref(), need.clone(), age)
        .into_iter()
        .map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            if let Value::Object(o) = &mut v {
                o.insert("verify_by".to_owned(), json!(s.verify_by().to_string()));
                o.insert("overdue".to_owned(), json!(s.overdue(today)));
                o.insert("ages".to_owned(), json!(s.ages()));
            }
            v
        })
        .collect();
    Ok(Json(json!({
        "area": placed.as_ref().map(|pl| json!({"query": text.trim(), "areas": pl.codes, "words": pl.words})),
        "need": need,
        "age": age,
        "count": services.len(),
        "services": services,
    })))
}

#[derive(Debug, Deserialize)]
struct VerifyForm {
    next: Option<String>,
}

/// The entries an owner is asked to check: those of their organisation (every entry for
/// analysts and admins) not checked for [`support::VERIFY_MONTHS`] months, oldest first.
pub(crate) async fn due_for_checking(
    state: &AppState,
    layout: &Layout,
) -> Result<Vec<(String, String, String)>> {
    let Some(user) = layout.user.as_ref() else {
        return Ok(Vec::new());
    };
    let everyone = layout.analyst();
    let dir = directory(state).await?;
    let today = state.today();
    let mut due: Vec<&Service> = dir
        .services
        .iter()
        .filter(|s| s.overdue(today))
        .filter(|s| everyone || user.organisation.as_deref() == Some(s.organisation.as_str()))
        .collect();
    due.sort_by_key(|s| s.last_verified);
    Ok(due
        .into_iter()
        .map(|s| {
            (
                s.reference.clone(),
                format!("{} ({})", s.name, s.organisation),
                s.last_verified.format("%-d %B %Y").to_string(),
            )
        })
        .collect())
}

/// An owner (a user of the entry's organisation) or an analyst says the entry was checked
/// today; audited.
async fn verify_service(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Path(reference): Path<String>,
    Form(form): Form<VerifyForm>,
) -> std::result::Result<Response, HtmlError> {
    let dir = directory(&state).await?;
    let service = dir.entry(&reference)?;
    let who = keeper(&viewer, service)?;
    let today = state.today();
    let entry = lantern_core::audit::NewAuditEntry {
        actor: who,
        action: "service_verified".to_owned(),
        dataset: None,
        record_id: None,
        detail: format!("reference={reference} on={today}"),
        origin: origin.clone(),
    };
    if !state.store.verify_service(&reference, today, entry).await? {
        return Err(AppError::NotFound.into());
    }
    let next = form
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned());
    Ok(Redirect::to(&next).into_response())
}

/// The signed-in user who may keep `service`: a user of its organisation, or an analyst.
fn keeper(viewer: &Viewer, service: &Service) -> std::result::Result<String, AppError> {
    let user = viewer.0.as_ref().ok_or(AppError::Unauthenticated)?;
    let analyst = crate::access::Rule::Analysts.allows(user.role);
    if analyst || user.organisation.as_deref() == Some(service.organisation.as_str()) {
        Ok(user.username.clone())
    } else {
        Err(AppError::Forbidden(format!(
            "{} keeps this entry: only its users, or an analyst, can change it",
            service.organisation
        )))
    }
}

/// A field of the entry's form.
struct FormField {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
    /// Shown but not changed here (the organisation, for its own users).
    readonly: bool,
}

#[derive(Template)]
#[template(path = "service_form.html")]
struct ServiceForm {
    layout: Layout,
    reference: String,
    fields: Vec<FormField>,
    needs: Vec<Opt>,
    needs_error: Option<String>,
    access: Vec<Opt>,
    errors: usize,
}

/// The text fields of the form, in order, with their words.
const TEXT_FIELDS: [(&str, &str, &str); 11] = [
    ("name", "Service name", ""),
    ("areas", "Areas served", "Area codes separated by ;, or all"),
    ("age_min", "Youngest age served", "Blank for no limit"),
    ("age_max", "Oldest age served", "Blank for no limit"),
    ("how_to_access", "How to get in touch, in words", ""),
    ("phone", "Phone", ""),
    ("email", "Email", ""),
    (
        "website",
        "Website",
        "The whole address, beginning https://",
    ),
    ("hours", "Opening hours", ""),
    ("description", "What it offers", ""),
    (
        "organisation",
        "Organisation",
        "The organisation whose users keep this entry",
    ),
];

/// The form's values as the directory file's cells.
fn cells_of(s: &Service) -> HashMap<&'static str, String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<u32>| v.map(|a| a.to_string()).unwrap_or_default();
    HashMap::from([
        ("name", s.name.clone()),
        ("organisation", s.organisation.clone()),
        ("needs", s.needs.join(";")),
        ("areas", s.areas.join(";")),
        ("age_min", num(s.age_min)),
        ("age_max", num(s.age_max)),
        ("access", s.access.as_str().to_owned()),
        ("how_to_access", opt(&s.how_to_access)),
        ("phone", opt(&s.phone)),
        ("email", opt(&s.email)),
        ("website", opt(&s.website)),
        ("hours", opt(&s.hours)),
        ("description", opt(&s.description)),
    ])
}

fn service_form(
    state: &AppState,
    reference: &str,
    cells: &HashMap<&'static str, String>,
    errors: &HashMap<String, String>,
) -> Response {
    let needs_list = lantern_core::codes::list(support::NEEDS);
    let chosen: Vec<&str> = cells
        .get("needs")
        .map(|n| n.split(';').collect())
        .unwrap_or_default();
    let access = cells.get("access").map_or("", String::as_str);
    let layout = Layout::new(state, "Change a directory entry", "support");
    let analyst = layout.analyst();
    let page = ServiceForm {
        layout,
        reference: reference.to_owned(),
        fields: TEXT_FIELDS
            .iter()
            .map(|(name, label, hint)| FormField {
                name,
                label,
                hint,
                value: cells.get(name).cloned().unwrap_or_default(),
                error: errors.get(*name).cloned(),
                readonly: *name == "organisation" && !analyst,
            })
            .collect(),
        needs: needs_list
            .codes
            .iter()
            .map(|c| Opt {
                value: c.code.clone(),
                label: c.label.clone(),
                selected: chosen.contains(&c.code.as_str()),
            })
            .collect(),
        needs_error: errors.get("needs").cloned(),
        access: [
            support::Access::SelfReferral,
            support::Access::Referral,
            support::Access::Both,
        ]
        .iter()
        .map(|a| Opt::new(a.as_str(), a.label(), access))
        .collect(),
        errors: errors.len(),
    };
    let mut response = render(&page);
    if !errors.is_empty() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

async fn edit_service(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
) -> std::result::Result<Response, HtmlError> {
    let dir = directory(&state).await?;
    let service = dir.entry(&reference)?;
    keeper(&viewer, service)?;
    Ok(service_form(
        &state,
        &reference,
        &cells_of(service),
        &HashMap::new(),
    ))
}

/// Save an entry from its form, checked by the same rules as an import (the form becomes a
/// one-row directory file), and checked today; audited. A user of the organisation may not
/// hand the entry to another organisation; an analyst may.
async fn save_service(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Path(reference): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> std::result::Result<Response, HtmlError> {
    let dir = directory(&state).await?;
    let old = dir.entry(&reference)?;
    let who = keeper(&viewer, old)?;
    let analyst = viewer
        .0
        .as_ref()
        .is_some_and(|u| crate::access::Rule::Analysts.allows(u.role));
    let mut cells: HashMap<&'static str, String> = HashMap::new();
    let mut needs = Vec::new();
    for (k, v) in &form {
        if k == "needs" {
            needs.push(v.clone());
        } else if let Some((name, _, _)) = TEXT_FIELDS
            .iter()
            .chain([("access", "", "")].iter())
            .find(|f| f.0 == k)
        {
            cells.insert(name, v.clone());
        }
    }
    cells.insert("needs", needs.join(";"));
    if !analyst {
        cells.insert("organisation", old.organisation.clone());
    }
    let today = state.today();
    let columns = support::csv_columns();
    let row: Vec<String> = columns
        .iter()
        .map(|c| match *c {
            "reference" => reference.clone(),
            "last_verified" => today.to_string(),
            other => cells.get(other).cloned().unwrap_or_default(),
        })
        .collect();
    let table = super::form_table(&columns, row)?;
    let known: std::collections::HashSet<&str> =
        dir.areas.iter().map(|a| a.code.as_str()).collect();
    match support::parse_services(&table, &|c| known.contains(c), today) {
        Ok(mut parsed) => {
            let Some(service) = parsed.pop() else {
                return Err(AppError::Invalid("the form held no entry".to_owned()).into());
            };
            let by = lantern_core::import::AuditBy {
                actor: &who,
                origin: &origin,
            };
            let what = reference.clone();
            let audit = move |s: &lantern_core::ImportSummary| lantern_core::audit::NewAuditEntry {
                actor: by.actor.to_owned(),
                action: "service_changed".to_owned(),
                dataset: None,
                record_id: None,
                detail: format!("reference={what} updated={}", s.updated),
                origin: by.origin.to_owned(),
            };
            state
                .store
                .upsert_services(&[service], "web", false, Some(&audit))
                .await?;
            Ok(
                Redirect::to(&format!("/support#service-{}", super::encode(&reference)))
                    .into_response(),
            )
        }
        Err(lantern_core::import::ImportError::Invalid(problems)) => {
            let errors: HashMap<String, String> = problems
                .into_iter()
                .map(|p| (p.column, p.message))
                .collect();
            Ok(service_form(&state, &reference, &cells, &errors))
        }
        Err(other) => Err(AppError::Invalid(other.to_string()).into()),
    }
}

//! The Signals pages: open signals newest first, each explained in plain words with a small map
//! and a timeline; one signal with its method, data snapshot and review (new → under review →
//! responding → closed, every change audited); and the register of locations of concern.
//! Analysts and admins only: signals are about small areas and small numbers.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use lantern_core::signals::{
    DetectOptions, LocationOfConcern, ReviewStatus, Signal, SignalEvent, SignalReview,
};
use serde::Deserialize;

use super::signal_pictures::{Map, Outlines, Timeline};
use super::{Layout, Opt, render};
use crate::AppState;
use crate::access::{Origin, Rule, Viewer, audit};
use crate::error::{AppError, HtmlError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/signals", get(list))
        .route("/signals/locations", get(locations).post(add_location))
        .route("/signals/settings", get(settings).post(save_settings))
        .route("/signals/{id}", get(show).post(review))
        .route("/api/v1/signals", get(api_list))
}

/// One signal as the pages show it.
pub(crate) struct Row {
    signal: Signal,
    map: Map,
    bars: Vec<super::signal_pictures::Bar>,
}

impl Row {
    fn new(signal: Signal, outlines: &Outlines) -> Self {
        Self {
            map: Map::of(&signal, outlines),
            bars: Timeline::bars(&signal, 240.0, 48.0),
            signal,
        }
    }

    fn status_class(&self) -> &'static str {
        self.signal.status.as_str()
    }

    /// The register list of the records behind the signal: its dataset, its district and its
    /// window. The list is scoped and audited as any other.
    fn records_link(&self) -> String {
        let f = &self.signal.found;
        let mut link = format!(
            "/register/{}?from={}&to={}",
            super::encode(&f.dataset),
            f.start,
            f.end
        );
        if let Some(a) = &f.area_code {
            link.push_str(&format!("&area={}", super::encode(a)));
        }
        link
    }
}

#[derive(Debug, Deserialize)]
struct ListParams {
    status: Option<String>,
}

/// Signals that overlap in place and time, as one event.
struct Event {
    /// What it is, in a line: the dataset, the place and the dates.
    heading: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "signals.html")]
struct ListPage {
    layout: Layout,
    events: Vec<Event>,
    signal_count: usize,
    all: bool,
    counts: Vec<(&'static str, usize)>,
    computed: Option<String>,
    settings: DetectOptions,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ListParams>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Analysts)?;
    let signals = visible_signals(&state, user).await?;
    let counts = ReviewStatus::ALL
        .iter()
        .map(|s| (s.label(), signals.iter().filter(|x| x.status == *s).count()))
        .collect();
    let all = params.status.as_deref() == Some("all");
    let outlines = Outlines::load(&state).await?;
    let shown: Vec<Signal> = signals
        .into_iter()
        .filter(|s| all || s.status != ReviewStatus::Closed)
        .collect();
    let signal_count = shown.len();
    let groups =
        lantern_core::signals::events::events(&shown.iter().map(|s| &s.found).collect::<Vec<_>>());
    let names: std::collections::HashMap<String, String> = state
        .store
        .areas(None)
        .await?
        .into_iter()
        .map(|a| (a.code, a.name))
        .collect();
    let mut slots: Vec<Option<Signal>> = shown.into_iter().map(Some).collect();
    let events = groups
        .into_iter()
        .map(|g| {
            let rows: Vec<Row> = g
                .iter()
                .filter_map(|i| slots[*i].take())
                .map(|s| Row::new(s, &outlines))
                .collect();
            let first = rows.iter().map(|r| r.signal.found.start).min();
            let last = rows.iter().map(|r| r.signal.found.end).max();
            let f = &rows[0].signal.found;
            let place = f
                .area_code
                .as_ref()
                .map(|c| names.get(c).cloned().unwrap_or_else(|| c.clone()))
                .or_else(|| f.places.first().map(|p| p.label.clone()))
                .unwrap_or_else(|| "the county".to_owned());
            let what = if f.dataset == "suicides" {
                "Suspected suicides"
            } else {
                "Self-harm"
            };
            let dates = match (first, last) {
                (Some(a), Some(b)) => {
                    format!("{} to {}", a.format("%-d %b %Y"), b.format("%-d %b %Y"))
                }
                _ => String::new(),
            };
            Event {
                heading: if rows.len() > 1 {
                    format!(
                        "{what} in {place}, {dates}: {} detectors found it",
                        rows.len()
                    )
                } else {
                    format!("{what} in {place}, {dates}")
                },
                rows,
            }
        })
        .collect();
    let page = ListPage {
        layout: Layout::new(&state, "Signals", "signals"),
        events,
        signal_count,
        all,
        counts,
        computed: state
            .store
            .setting(lantern_core::signals::SNAPSHOT_SETTING)
            .await?
            .filter(|v| !v.is_empty()),
        settings: lantern_core::signals::saved_options(state.store.as_ref()).await?,
    };
    Ok(render(&page))
}

async fn api_list(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
) -> Result<Response, AppError> {
    let user = viewer.require(Rule::Analysts)?;
    let signals = visible_signals(&state, user).await?;
    audit_view(
        &state,
        user,
        &origin,
        None,
        format!("api: {} signals", signals.len()),
    )
    .await?;
    Ok(Json(signals).into_response())
}

#[derive(Template)]
#[template(path = "signal.html")]
struct SignalPage {
    layout: Layout,
    row: Row,
    events: Vec<SignalEvent>,
    statuses: Vec<Opt>,
    parameters: String,
    message: String,
    saved: bool,
    /// The owner and note as posted, when the form comes back with a problem.
    owner: String,
    note: String,
}

#[derive(Debug, Deserialize)]
struct ShowParams {
    saved: Option<String>,
}

/// Which signals a user may see: signals follow the same area scope as records, so a district's
/// analyst sees the signals of their district only. A signal across districts (no single
/// district) is for users whose scope holds the whole register: no area, or an area that
/// contains every top-level area (a county analyst where the county is the partnership).
pub(crate) struct SignalScope {
    area: Option<String>,
    /// The scope holds the whole register: every signal is visible.
    whole: bool,
}

impl SignalScope {
    /// `user`'s scope, worked out once per request.
    pub(crate) async fn of(
        state: &AppState,
        user: &crate::access::Principal,
    ) -> Result<Self, AppError> {
        let whole = match &user.area {
            None => true,
            Some(scope) => {
                let mut all = true;
                for root in state.store.areas(None).await? {
                    if root.parent_code.is_none() && !state.area_contains(scope, &root.code).await?
                    {
                        all = false;
                        break;
                    }
                }
                all
            }
        };
        Ok(Self {
            area: user.area.clone(),
            whole,
        })
    }

    /// Whether the signal is in scope.
    pub(crate) async fn sees(
        &self,
        state: &AppState,
        signal: &lantern_core::signals::Signal,
    ) -> Result<bool, AppError> {
        if self.whole {
            return Ok(true);
        }
        match (&self.area, &signal.found.area_code) {
            (Some(scope), Some(area)) => Ok(state.area_contains(scope, area).await?),
            _ => Ok(false),
        }
    }
}

/// A signal holds small-area counts and a timeline of deaths: its views are audited.
async fn audit_view(
    state: &AppState,
    user: &crate::access::Principal,
    origin: &str,
    id: Option<i64>,
    detail: String,
) -> Result<(), AppError> {
    audit(
        state,
        &user.username,
        origin,
        "signal_view",
        None,
        id,
        detail,
    )
    .await
}

/// The signals `user` may see.
pub(crate) async fn visible_signals(
    state: &AppState,
    user: &crate::access::Principal,
) -> Result<Vec<lantern_core::signals::Signal>, AppError> {
    let scope = SignalScope::of(state, user).await?;
    let mut out = Vec::new();
    for s in state.store.signals().await? {
        if scope.sees(state, &s).await? {
            out.push(s);
        }
    }
    Ok(out)
}

/// The signal's page; `posted` is the review form as sent, shown again with `message` when it
/// has a problem.
async fn signal_page(
    state: &AppState,
    id: i64,
    message: String,
    saved: bool,
    posted: Option<&ReviewForm>,
) -> Result<Response, AppError> {
    let (signal, events) = state.store.signal(id).await?;
    if let Some(user) = crate::access::current()
        && !SignalScope::of(state, &user)
            .await?
            .sees(state, &signal)
            .await?
    {
        return Err(AppError::Forbidden(
            "this signal is outside your area".to_owned(),
        ));
    }
    let chosen = posted.map_or(signal.status.as_str(), |f| f.status.as_str());
    let statuses = ReviewStatus::ALL
        .iter()
        .map(|s| Opt::new(s.as_str(), s.label(), chosen))
        .collect();
    let owner = posted.map_or_else(
        || signal.owner.clone().unwrap_or_default(),
        |f| f.owner.clone(),
    );
    let note = posted.map(|f| f.note.clone()).unwrap_or_default();
    let parameters = serde_json::to_string_pretty(&signal.found.parameters).unwrap_or_default();
    let page = SignalPage {
        layout: Layout::new(state, signal.found.title.clone(), "signals"),
        row: Row::new(signal, &Outlines::load(state).await?),
        events,
        statuses,
        parameters,
        message,
        saved,
        owner,
        note,
    };
    Ok(render(&page))
}

async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Path(id): Path<i64>,
    Query(params): Query<ShowParams>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Analysts)?;
    let page = signal_page(&state, id, String::new(), params.saved.is_some(), None).await?;
    audit_view(&state, user, &origin, Some(id), "signal page".to_owned()).await?;
    Ok(page)
}

#[derive(Debug, Deserialize)]
struct ReviewForm {
    status: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    note: String,
    version: i64,
}

async fn review(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ReviewForm>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Analysts)?.clone();
    let (current, _) = state.store.signal(id).await?;
    if !SignalScope::of(&state, &user)
        .await?
        .sees(&state, &current)
        .await?
    {
        return Err(AppError::Forbidden("this signal is outside your area".to_owned()).into());
    }
    let problem = match ReviewStatus::parse(form.status.trim()) {
        None => Some("Choose a status from the list."),
        Some(_) if form.note.trim().is_empty() => {
            Some("Say what was decided or done, and why, in the note.")
        }
        Some(_) if form.note.trim().chars().count() > 4000 => {
            Some("The note is longer than 4,000 characters.")
        }
        Some(_)
            if lantern_core::text::checked(&form.note).is_err()
                || lantern_core::text::checked(&form.owner).is_err() =>
        {
            Some("The note or owner holds a control character; only tab and new lines may appear.")
        }
        Some(_) => None,
    };
    let (Some(status), None) = (ReviewStatus::parse(form.status.trim()), problem) else {
        let message = problem.unwrap_or_default().to_owned();
        let mut res = signal_page(&state, id, message, false, Some(&form)).await?;
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    let note = form.note.trim();
    let owner = Some(form.owner.trim().to_owned()).filter(|o| !o.is_empty());
    let change = SignalReview {
        status,
        owner: owner.clone(),
        note: note.to_owned(),
        author: user.username.clone(),
        at: Utc::now(),
        version: form.version,
    };
    state.store.review_signal(id, &change).await?;
    crate::access::audit(
        &state,
        &user.username,
        "web",
        "signal_review",
        None,
        None,
        format!(
            "signal={id} status={} owner={}",
            status.as_str(),
            owner.as_deref().unwrap_or("-")
        ),
    )
    .await?;
    Ok(Redirect::to(&format!("/signals/{id}?saved=1")).into_response())
}

#[derive(Template)]
#[template(path = "locations.html")]
struct LocationsPage {
    layout: Layout,
    concern_metres: f64,
    locations: Vec<LocationOfConcern>,
    message: String,
    form: LocationForm,
}

#[derive(Debug, Default, Deserialize)]
struct LocationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    measures: String,
    #[serde(default)]
    review_date: String,
    #[serde(default)]
    notes: String,
}

async fn locations_page(
    state: &AppState,
    message: String,
    form: LocationForm,
) -> Result<Response, AppError> {
    let page = LocationsPage {
        layout: Layout::new(state, "Locations of concern", "signals"),
        concern_metres: lantern_core::signals::saved_options(state.store.as_ref())
            .await?
            .concern_metres,
        locations: state.store.locations_of_concern().await?,
        message,
        form,
    };
    Ok(render(&page))
}

async fn locations(State(state): State<AppState>, viewer: Viewer) -> Result<Response, HtmlError> {
    viewer.require(Rule::Analysts)?;
    Ok(locations_page(&state, String::new(), LocationForm::default()).await?)
}

/// A number typed in a form field, or "`what` '`text`' is not a number.".
fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{what} '{}' is not a number.", text.trim()))
}

/// The location the form describes, or what is wrong with it.
fn parse_location(f: &LocationForm) -> Result<LocationOfConcern, String> {
    let (lat, lon) = (number(&f.lat, "Latitude")?, number(&f.lon, "Longitude")?);
    let review_date = match f.review_date.trim() {
        "" => None,
        d => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| format!("The review date '{d}' is not a date (YYYY-MM-DD)."))?,
        ),
    };
    LocationOfConcern::new(
        &f.name,
        &f.kind,
        (lat, lon),
        f.measures.split([',', '\n']),
        review_date,
        &f.notes,
    )
}

async fn add_location(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<LocationForm>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Analysts)?.clone();
    let location = match parse_location(&form) {
        Ok(l) => l,
        Err(message) => {
            let mut res = locations_page(&state, message, form).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
    };
    let id = state.store.add_location_of_concern(&location).await?;
    crate::access::audit(
        &state,
        &user.username,
        "web",
        "location_of_concern_add",
        None,
        None,
        format!("{} ({id})", location.name),
    )
    .await?;
    Ok(Redirect::to("/signals/locations").into_response())
}

#[derive(Template)]
#[template(path = "signal_settings.html")]
struct SettingsPage {
    layout: Layout,
    form: SettingsForm,
    message: String,
    saved: bool,
    can_edit: bool,
}

/// The detectors' settings as typed, so that a form with a problem comes back as it was.
#[derive(Debug, Default, Deserialize)]
struct SettingsForm {
    #[serde(default)]
    near_count: String,
    #[serde(default)]
    near_metres: String,
    #[serde(default)]
    near_days: String,
    #[serde(default)]
    concern_metres: String,
    #[serde(default)]
    scan_alpha: String,
    #[serde(default)]
    recurrence_days: String,
    #[serde(default)]
    replications: String,
    #[serde(default)]
    temporal_alpha: String,
    #[serde(default)]
    min_count: String,
    #[serde(default)]
    lookback_weeks: String,
}

impl SettingsForm {
    fn of(o: &DetectOptions) -> Self {
        Self {
            near_count: o.near_count.to_string(),
            near_metres: o.near_metres.to_string(),
            near_days: o.near_days.to_string(),
            concern_metres: o.concern_metres.to_string(),
            scan_alpha: o.scan_alpha.to_string(),
            recurrence_days: o.recurrence_days.to_string(),
            replications: o.replications.to_string(),
            temporal_alpha: o.temporal_alpha.to_string(),
            min_count: o.min_count.to_string(),
            lookback_weeks: o.lookback_weeks.to_string(),
        }
    }

    /// The settings the form gives, on top of `base` (for what it does not hold), or what is
    /// wrong with them.
    fn parse(&self, base: &DetectOptions) -> Result<DetectOptions, String> {
        let o = DetectOptions {
            near_count: number(&self.near_count, "Deaths close together:")?,
            near_metres: number(&self.near_metres, "Within metres:")?,
            near_days: number(&self.near_days, "Within days:")?,
            concern_metres: number(&self.concern_metres, "Location-of-concern distance:")?,
            scan_alpha: number(&self.scan_alpha, "Scan p-value:")?,
            recurrence_days: number(&self.recurrence_days, "Recurrence interval:")?,
            replications: number(&self.replications, "Replications:")?,
            temporal_alpha: number(&self.temporal_alpha, "Unusual-rise alpha:")?,
            min_count: number(&self.min_count, "Minimum count:")?,
            lookback_weeks: number(&self.lookback_weeks, "Weeks looked back:")?,
            ..base.clone()
        };
        o.check().map(|()| o).map_err(|e| {
            let mut e = e;
            if let Some(first) = e.get(..1) {
                e = first.to_uppercase() + &e[1..];
            }
            e + "."
        })
    }
}

async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ShowParams>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Analysts)?;
    let saved = lantern_core::signals::saved_options(state.store.as_ref()).await?;
    let page = SettingsPage {
        layout: Layout::new(&state, "Signal settings", "signals"),
        form: SettingsForm::of(&saved),
        message: String::new(),
        saved: params.saved.is_some(),
        can_edit: Rule::Admin.allows(user.role),
    };
    Ok(render(&page))
}

async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<SettingsForm>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Admin)?.clone();
    let saved = lantern_core::signals::saved_options(state.store.as_ref()).await?;
    let options = match form.parse(&saved) {
        Ok(o) => o,
        Err(message) => {
            let page = SettingsPage {
                layout: Layout::new(&state, "Signal settings", "signals"),
                form,
                message,
                saved: false,
                can_edit: true,
            };
            let mut res = render(&page);
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
    };
    if options != saved {
        lantern_core::signals::save_options(state.store.as_ref(), &options).await?;
        crate::access::audit(
            &state,
            &user.username,
            "web",
            "signals_configure",
            None,
            None,
            serde_json::to_string(&options).unwrap_or_default(),
        )
        .await?;
    }
    Ok(Redirect::to("/signals/settings?saved=1").into_response())
}

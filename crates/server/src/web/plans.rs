//! Action plan pages: the plans, a plan with filters and its link graph, an action with its
//! history, live measures and update form, "My actions", overdue and stale lists, the oversight
//! group's progress summary, and export.
//!
//! Every signed-in user may read plans. An update may be posted by admins and analysts, and by
//! any user whose organisation leads the action. A lead sees their own actions by default.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use lantern_core::auth::Role;
use lantern_core::plans::{self, Action, AgeGroup, Rag, Section, StoredPlan, Update};
use serde::Deserialize;

use super::{Layout, Opt, render};
use crate::AppState;
use crate::access::{Rule, Viewer};
use crate::error::{AppError, HtmlError};
use crate::plans::{MeasureView, add_update, can_update, measure_views, today};
use crate::svg::link_graph;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans", get(show_plans))
        .route("/plans/mine", get(show_mine))
        .route("/plans/{id}", get(show_plan))
        .route(
            "/plans/{id}/actions/{action}",
            get(show_action).post(post_update),
        )
        .merge(super::plan_reports::routes())
}

fn rag_class(r: Option<Rag>) -> &'static str {
    match r {
        Some(Rag::Red) => "rag-red",
        Some(Rag::Amber) => "rag-amber",
        Some(Rag::Green) => "rag-green",
        None => "rag-none",
    }
}

fn status_class(s: Option<&str>) -> String {
    format!(
        "status-{}",
        s.unwrap_or("none")
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    )
}

/// The last update of each action, by action id.
pub(super) fn last_updates(updates: &[Update]) -> BTreeMap<i64, DateTime<Utc>> {
    let mut out = BTreeMap::new();
    for u in updates {
        let e = out.entry(u.action_id).or_insert(u.update.at);
        if u.update.at > *e {
            *e = u.update.at;
        }
    }
    out
}

/// An action in a list.
pub(super) struct ActionRow {
    pub(super) plan_id: i64,
    pub(super) id: i64,
    pub(super) number: String,
    pub(super) text: String,
    pub(super) leads: String,
    pub(super) status: String,
    pub(super) status_class: String,
    pub(super) rag: String,
    pub(super) rag_class: &'static str,
    pub(super) due: String,
    pub(super) overdue: bool,
    pub(super) age_group: String,
    pub(super) subsection: String,
    pub(super) last_update: String,
}

/// An action as a list shows it; `last` holds each action's last update, by action id.
pub(super) fn row(plan: &StoredPlan, a: &Action, last: &BTreeMap<i64, DateTime<Utc>>) -> ActionRow {
    let id = plan.action_id(&a.number).unwrap_or_default();
    ActionRow {
        plan_id: plan.id,
        id,
        number: a.number.clone(),
        text: plans::clip(&a.text, 180),
        leads: a.leads.join("; "),
        status: a.status.clone().unwrap_or_else(|| "no status".to_owned()),
        status_class: status_class(a.status.as_deref()),
        rag: a.rag.map_or("not rated", |r| r.as_str()).to_owned(),
        rag_class: rag_class(a.rag),
        due: a
            .due
            .map(|d| d.format("%-d %b %Y").to_string())
            .unwrap_or_else(|| a.timescale.clone().unwrap_or_default()),
        overdue: a.overdue(today()),
        age_group: a
            .age_group
            .map(|g| g.as_str().to_owned())
            .unwrap_or_default(),
        subsection: a.subsection.clone().unwrap_or_default(),
        last_update: last
            .get(&id)
            .map(|t| t.format("%-d %b %Y").to_string())
            .unwrap_or_else(|| "none".to_owned()),
    }
}

// ---------------------------------------------------------------- the list of plans

struct PlanItem {
    id: i64,
    title: String,
    period: String,
    actions: i64,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    layout: Layout,
    plans: Vec<PlanItem>,
}

async fn show_plans(State(state): State<AppState>) -> Result<Response, HtmlError> {
    let plans = state
        .store
        .plans()
        .await?
        .into_iter()
        .map(|p| PlanItem {
            id: p.id,
            title: p.title,
            period: p.period.unwrap_or_default(),
            actions: p.actions,
        })
        .collect();
    Ok(render(&PlansPage {
        layout: Layout::new(&state, "Action plans", "plans"),
        plans,
    }))
}

// ---------------------------------------------------------------- my actions

/// One plan's share of "My actions".
struct MineGroup {
    plan_id: i64,
    title: String,
    rows: Vec<ActionRow>,
}

#[derive(Template)]
#[template(path = "my_actions.html")]
struct MinePage {
    layout: Layout,
    organisation: String,
    groups: Vec<MineGroup>,
    count: usize,
    overdue: usize,
}

async fn show_mine(State(state): State<AppState>, viewer: Viewer) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::SignedIn)?.clone();
    let organisation = user.organisation.clone().unwrap_or_default();
    let mut groups = Vec::new();
    for summary in state.store.plans().await? {
        let plan = state.store.plan(summary.id).await?;
        let last = last_updates(&state.store.plan_updates(plan.id).await?);
        let rows: Vec<ActionRow> = plan
            .plan
            .actions()
            .filter(|(_, a)| !organisation.is_empty() && a.led_by(&organisation))
            .map(|(_, a)| row(&plan, a, &last))
            .collect();
        if !rows.is_empty() {
            groups.push(MineGroup {
                plan_id: plan.id,
                title: plan.plan.title.clone(),
                rows,
            });
        }
    }
    let all = groups.iter().flat_map(|g| g.rows.iter());
    let (count, overdue) = all.fold((0, 0), |(c, o), r| (c + 1, o + usize::from(r.overdue)));
    Ok(render(&MinePage {
        layout: Layout::new(&state, "My actions", "mine"),
        organisation,
        groups,
        count,
        overdue,
    }))
}

// ---------------------------------------------------------------- one plan

#[derive(Debug, Deserialize, Default)]
struct PlanParams {
    lead: Option<String>,
    status: Option<String>,
    overdue: Option<String>,
    age_group: Option<String>,
    priority_group: Option<String>,
}

struct SectionView {
    number: String,
    title: String,
    total: usize,
    rows: Vec<ActionRow>,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    layout: Layout,
    id: i64,
    title: String,
    facts: Vec<(&'static str, String)>,
    lead_options: Vec<Opt>,
    status_options: Vec<Opt>,
    age_options: Vec<Opt>,
    group_options: Vec<Opt>,
    overdue_only: bool,
    filtered: bool,
    shown: usize,
    total: usize,
    sections: Vec<SectionView>,
    graph: String,
    links: Vec<(String, String)>,
    lead_default: bool,
}

fn options(values: &BTreeSet<String>, current: &str, all: &str) -> Vec<Opt> {
    std::iter::once(Opt::new("", all, current))
        .chain(values.iter().map(|v| Opt::new(v, v, current)))
        .collect()
}

async fn show_plan(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<PlanParams>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::SignedIn)?.clone();
    let plan = state.store.plan(id).await?;
    let updates = state.store.plan_updates(id).await?;
    let last = last_updates(&updates);
    // A lead sees their own actions unless they ask for all (`lead=` given, even empty).
    let lead_default = p.lead.is_none() && user.role == Role::Lead && user.organisation.is_some();
    let lead = p
        .lead
        .clone()
        .or_else(|| lead_default.then(|| user.organisation.clone().unwrap_or_default()))
        .unwrap_or_default();
    let status = p.status.clone().unwrap_or_default();
    let age = p.age_group.clone().unwrap_or_default();
    let group = p.priority_group.clone().unwrap_or_default();
    let overdue_only = p.overdue.as_deref().is_some_and(|v| !v.is_empty());
    let today = today();
    let keep = |a: &Action| {
        (lead.is_empty() || a.led_by(&lead))
            && (status.is_empty() || a.status.as_deref().unwrap_or("no status") == status)
            && (age.is_empty() || a.age_group.map(AgeGroup::as_str) == Some(age.as_str()))
            && (group.is_empty() || a.priority_groups.contains(&group))
            && (!overdue_only || a.overdue(today))
    };
    let mut leads = BTreeSet::new();
    let mut groups = BTreeSet::new();
    for (_, a) in plan.plan.actions() {
        leads.extend(a.leads.iter().cloned());
        groups.extend(a.priority_groups.iter().cloned());
    }
    if !lead.is_empty() {
        leads.insert(lead.clone());
    }
    let sections: Vec<SectionView> = plan
        .plan
        .sections
        .iter()
        .map(|s: &Section| SectionView {
            number: s.number.clone(),
            title: s.title.clone(),
            total: s.actions.len(),
            rows: s
                .actions
                .iter()
                .filter(|a| keep(a))
                .map(|a| row(&plan, a, &last))
                .collect(),
        })
        .collect();
    let shown = sections.iter().map(|s| s.rows.len()).sum();
    let mut statuses: Vec<Opt> = vec![Opt::new("", "Any status", &status)];
    statuses.extend(plan.plan.statuses.iter().map(|s| Opt::new(s, s, &status)));
    statuses.push(Opt::new("no status", "no status", &status));
    let ages: BTreeSet<String> = [
        AgeGroup::ChildrenAndYoungPeople,
        AgeGroup::Adults,
        AgeGroup::AllAges,
    ]
    .iter()
    .map(|g| g.as_str().to_owned())
    .collect();
    let mut facts = Vec::new();
    for (k, v) in [
        ("Area", &plan.plan.area),
        ("Period", &plan.plan.period),
        ("Owner", &plan.plan.owner),
        ("Source document", &plan.plan.source),
    ] {
        if let Some(v) = v {
            facts.push((k, v.clone()));
        }
    }
    let links = plan.plan.internal_links();
    let page = PlanPage {
        layout: Layout::new(&state, plan.plan.title.clone(), "plans"),
        id,
        title: plan.plan.title.clone(),
        facts,
        lead_options: options(&leads, &lead, "Any lead"),
        status_options: statuses,
        age_options: options(&ages, &age, "Any age group"),
        group_options: options(&groups, &group, "Any priority group"),
        overdue_only,
        filtered: !(lead.is_empty()
            && status.is_empty()
            && age.is_empty()
            && group.is_empty()
            && !overdue_only),
        shown,
        total: plan.plan.action_count(),
        sections,
        graph: link_graph(&plan, &links),
        links,
        lead_default,
    };
    Ok(render(&page))
}

// ---------------------------------------------------------------- one action

struct UpdateView {
    at: String,
    author: String,
    text: String,
    change: String,
    rag: String,
    rag_class: &'static str,
    /// `Schools with a lead: 22 of 31 (71%) on 1 Dec 2026`.
    reading: String,
    /// `proposed a new due date, 30 June 2027 (was 31 March 2026)`.
    due: String,
    due_reason: String,
}

fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

impl UpdateView {
    fn of(u: &Update) -> Self {
        let reading = u.update.reading.as_ref().map_or_else(String::new, |r| {
            format!(
                "{}: {} on {}",
                r.measure_text,
                r.describe(),
                r.on.format("%-d %b %Y")
            )
        });
        let (due, due_reason) = u.update.due_change.as_ref().map_or_else(
            || (String::new(), String::new()),
            |d| {
                let verb = if d.agreed {
                    "moved the due date to"
                } else {
                    "proposed a new due date,"
                };
                let was = d.before.map_or_else(
                    || "none before".to_owned(),
                    |b| format!("was {}", long_date(b)),
                );
                (
                    format!("{verb} {} ({was})", long_date(d.due)),
                    d.reason.clone(),
                )
            },
        );
        Self {
            at: u.update.at.format("%-d %b %Y %H:%M").to_string(),
            author: u.update.author.clone(),
            text: u.update.text.clone(),
            change: match (&u.status_before, &u.update.status) {
                (before, Some(after)) if before.as_ref() != Some(after) => {
                    format!("{} → {after}", before.as_deref().unwrap_or("no status"))
                }
                _ => String::new(),
            },
            rag: u
                .update
                .rag
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            rag_class: rag_class(u.update.rag),
            reading,
            due,
            due_reason,
        }
    }
}

/// A lead's proposed due date that no later agreed date has answered: `30 June 2027, proposed by
/// lead on 5 Dec 2026: reason`.
fn open_proposal(updates: &[&Update]) -> String {
    let mut open = None;
    for u in updates {
        if let Some(d) = &u.update.due_change {
            open = (!d.agreed).then_some((*u, d));
        }
    }
    open.map_or_else(String::new, |(u, d)| {
        format!(
            "{}, proposed by {} on {}: {}",
            long_date(d.due),
            u.update.author,
            u.update.at.format("%-d %b %Y"),
            d.reason
        )
    })
}

#[derive(Template)]
#[template(path = "action.html")]
struct ActionPage {
    layout: Layout,
    plan_id: i64,
    plan_title: String,
    id: i64,
    section: String,
    action: ActionFacts,
    measures: Vec<MeasureView>,
    history: Vec<UpdateView>,
    can_update: bool,
    status_options: Vec<Opt>,
    saved: bool,
    error: String,
    linked: Vec<(i64, String)>,
    /// A lead's proposed due date waiting for an analyst, or empty.
    proposal: String,
    /// The action's measures, for recording a value.
    measure_options: Vec<Opt>,
    /// Today, the default date of a value.
    today: String,
    /// Whether a due date given here is agreed at once (analysts) rather than proposed.
    agrees: bool,
}

struct ActionFacts {
    number: String,
    text: String,
    leads: String,
    timescale: String,
    due: String,
    overdue: bool,
    status: String,
    status_class: String,
    status_note: String,
    rag: String,
    rag_class: &'static str,
    age_group: String,
    priority_groups: String,
    outcome: String,
    theme: String,
    references: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
struct ActionParams {
    saved: Option<String>,
}

async fn show_action(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action_id)): Path<(i64, i64)>,
    Query(p): Query<ActionParams>,
) -> Result<Response, HtmlError> {
    action_page(
        &state,
        &viewer,
        id,
        action_id,
        p.saved.is_some(),
        String::new(),
    )
    .await
}

async fn action_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    action_id: i64,
    saved: bool,
    error: String,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::SignedIn)?.clone();
    let plan = state.store.plan(id).await?;
    let (section, a) = plan.action_by_id(action_id).ok_or(AppError::NotFound)?;
    let updates = state.store.plan_updates(id).await?;
    let mine: Vec<&Update> = updates
        .iter()
        .filter(|u| u.action_id == action_id)
        .collect();
    let history = mine.iter().rev().map(|u| UpdateView::of(u)).collect();
    let proposal = open_proposal(&mine);
    let numbers: BTreeSet<&str> = plan
        .plan
        .actions()
        .map(|(_, x)| x.number.as_str())
        .collect();
    let linked = plan
        .plan
        .internal_links()
        .into_iter()
        .filter_map(|(from, to)| {
            let other = if from == a.number {
                to
            } else if to == a.number {
                from
            } else {
                return None;
            };
            plan.action_id(&other).map(|i| (i, other))
        })
        .collect::<BTreeMap<i64, String>>()
        .into_iter()
        .collect();
    let facts = ActionFacts {
        number: a.number.clone(),
        text: a.text.clone(),
        leads: a.leads.join("; "),
        timescale: a.timescale.clone().unwrap_or_default(),
        due: a.due.map(long_date).unwrap_or_default(),
        overdue: a.overdue(today()),
        status: a.status.clone().unwrap_or_else(|| "no status".to_owned()),
        status_class: status_class(a.status.as_deref()),
        status_note: a.status_note.clone().unwrap_or_default(),
        rag: a.rag.map_or("not rated", |r| r.as_str()).to_owned(),
        rag_class: rag_class(a.rag),
        age_group: a
            .age_group
            .map(|g| g.as_str().to_owned())
            .unwrap_or_default(),
        priority_groups: a.priority_groups.join("; "),
        outcome: a
            .outcome
            .as_ref()
            .map(|o| {
                section
                    .outcomes
                    .iter()
                    .find(|x| x.number.as_deref() == Some(o.as_str()))
                    .map_or_else(|| o.clone(), |x| format!("{o} {}", x.text))
            })
            .unwrap_or_default(),
        theme: a.theme.clone().unwrap_or_default(),
        references: a
            .links
            .iter()
            .filter(|l| !numbers.contains(l.as_str()) && !plans::is_number(l))
            .cloned()
            .collect(),
    };
    let current = a.status.clone().unwrap_or_default();
    let mut status_options = vec![Opt::new("", "No change", "")];
    status_options.extend(plan.plan.statuses.iter().map(|s| Opt {
        value: s.clone(),
        label: if *s == current {
            format!("{s} (current)")
        } else {
            s.clone()
        },
        selected: false,
    }));
    let statutory = Rule::Analysts.allows(user.role);
    let measures = measure_views(state, a, &mine, statutory).await;
    let measure_options = a
        .measures
        .iter()
        .enumerate()
        .map(|(i, m)| Opt::new(&(i + 1).to_string(), &m.text, ""))
        .collect();
    let page = ActionPage {
        layout: Layout::new(state, format!("Action {}", a.number), "plans"),
        plan_id: id,
        plan_title: plan.plan.title.clone(),
        id: action_id,
        section: format!("{}. {}", section.number, section.title),
        action: facts,
        measures,
        history,
        can_update: can_update(&user, a),
        status_options,
        saved,
        error,
        linked,
        proposal,
        measure_options,
        today: today().to_string(),
        agrees: user.role.sees_restricted(),
    };
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
struct UpdateForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    rag: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    value_on: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    due_reason: String,
}

async fn post_update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action_id)): Path<(i64, i64)>,
    axum::Form(form): axum::Form<UpdateForm>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::SignedIn)?.clone();
    let fields = lantern_core::plans::updates::UpdateFields {
        text: &form.text,
        status: &form.status,
        rag: &form.rag,
        measure: &form.measure,
        value: &form.value,
        value_on: &form.value_on,
        due: &form.due,
        due_reason: &form.due_reason,
    };
    match add_update(&state, &user, "web", id, action_id, &fields).await? {
        Ok(_) => {
            Ok(Redirect::to(&format!("/plans/{id}/actions/{action_id}?saved=1")).into_response())
        }
        Err(message) => {
            let mut res = action_page(&state, &viewer, id, action_id, false, message).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

//! Action plan pages: the plans, a plan with filters and its link graph, an action with its
//! history, live measures and update form, "My actions", overdue and stale lists, the oversight
//! group's progress summary, and export.
//!
//! Every signed-in user may read plans. An update may be posted by admins and analysts, and by
//! any user whose organisation leads the action. A lead sees their own actions by default.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use lantern_core::auth::Role;
use lantern_core::plans::live::Point;
use lantern_core::plans::{
    self, Action, AgeGroup, NewUpdate, Rag, Section, StoredPlan, Update, write,
};
use serde::Deserialize;

use super::{Layout, Opt, encode, render};
use crate::AppState;
use crate::access::{Principal, Rule, Viewer};
use crate::error::{AppError, HtmlError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans", get(show_plans))
        .route("/plans/mine", get(show_mine))
        .route("/plans/{id}", get(show_plan))
        .route("/plans/{id}/summary", get(show_summary))
        .route("/plans/{id}/attention", get(show_attention))
        .route("/plans/{id}/export", get(export_plan))
        .route(
            "/plans/{id}/actions/{action}",
            get(show_action).post(post_update),
        )
}

/// Whether `user` may post updates on `action`.
pub(crate) fn can_update(user: &Principal, action: &Action) -> bool {
    Rule::Analysts.allows(user.role)
        || user
            .organisation
            .as_deref()
            .is_some_and(|o| action.led_by(o))
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
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
fn last_updates(updates: &[Update]) -> BTreeMap<i64, DateTime<Utc>> {
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
struct ActionRow {
    plan_id: i64,
    id: i64,
    number: String,
    text: String,
    leads: String,
    status: String,
    status_class: String,
    rag: String,
    rag_class: &'static str,
    due: String,
    overdue: bool,
    age_group: String,
    subsection: String,
    last_update: String,
}

/// An action as a list shows it; `last` holds each action's last update, by action id.
fn row(plan: &StoredPlan, a: &Action, last: &BTreeMap<i64, DateTime<Utc>>) -> ActionRow {
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

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The links between actions as an SVG: a column per section, a dot per action, a curve per
/// link. Actions with no links are drawn faint. The same links are listed in text beside it.
fn link_graph(plan: &StoredPlan, links: &[(String, String)]) -> String {
    if links.is_empty() {
        return String::new();
    }
    let linked: BTreeSet<&str> = links
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    let col = 130.0;
    let rowh = 22.0;
    let mut pos: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let mut tallest = 0;
    for (i, s) in plan.plan.sections.iter().enumerate() {
        let mut k = 0;
        for a in &s.actions {
            // Only linked actions take a place, so the graph stays readable.
            if linked.contains(a.number.as_str()) {
                #[allow(clippy::cast_precision_loss)]
                pos.insert(
                    &a.number,
                    (50.0 + col * i as f64, 40.0 + rowh * f64::from(k)),
                );
                k += 1;
            }
        }
        tallest = tallest.max(k);
    }
    #[allow(clippy::cast_precision_loss)]
    let width = 70.0 + col * plan.plan.sections.len() as f64;
    let height = 60.0 + rowh * f64::from(tallest);
    let mut svg = format!(
        "<svg class=\"graph\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"graph-title\"><title id=\"graph-title\">Links between the plan's actions</title><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#23507a\"/></marker></defs>"
    );
    for (i, s) in plan.plan.sections.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = 50.0 + col * i as f64;
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"20\" class=\"graph-head\">Section {}</text>",
            esc(&s.number)
        );
    }
    for (from, to) in links {
        if let (Some(a), Some(b)) = (pos.get(from.as_str()), pos.get(to.as_str())) {
            // Within a column the curve bows out to the left, clear of the labels.
            let mx = f64::midpoint(a.0, b.0) - if (a.0 - b.0).abs() < 1.0 { 40.0 } else { 0.0 };
            let my = f64::midpoint(a.1, b.1) - 10.0;
            let _ = write!(
                svg,
                "<path d=\"M {} {} Q {mx} {my} {} {}\" class=\"edge\" marker-end=\"url(#arrow)\"/>",
                a.0 - if (a.0 - b.0).abs() < 1.0 { 6.0 } else { -6.0 },
                a.1,
                b.0 - 6.0,
                b.1
            );
        }
    }
    for (number, (x, y)) in &pos {
        let id = plan.action_id(number).unwrap_or_default();
        let _ = write!(
            svg,
            "<a href=\"/plans/{}/actions/{id}\"><circle cx=\"{x}\" cy=\"{y}\" r=\"5\" class=\"node\"/><text x=\"{}\" y=\"{}\">{}</text></a>",
            plan.id,
            x + 8.0,
            y + 4.0,
            esc(number)
        );
    }
    svg.push_str("</svg>");
    svg
}

// ---------------------------------------------------------------- one action

/// A measure as the action page shows it.
pub(crate) struct MeasureView {
    pub(crate) text: String,
    pub(crate) binding: String,
    pub(crate) latest: String,
    pub(crate) latest_period: String,
    pub(crate) baseline: String,
    pub(crate) target: String,
    pub(crate) direction: String,
    pub(crate) verdict: String,
    pub(crate) sparkline: String,
    pub(crate) problem: String,
    pub(crate) points: Vec<Point>,
    pub(crate) disclosure: String,
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A small line chart of the figures, with the baseline (dashed) and target (dotted).
fn sparkline(values: &[Option<f64>], baseline: Option<f64>, target: Option<f64>) -> String {
    let known: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .chain(baseline)
        .chain(target)
        .collect();
    if values.iter().flatten().count() == 0 {
        return String::new();
    }
    let lo = known.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
    let hi = known.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (w, h) = (160.0, 40.0);
    #[allow(clippy::cast_precision_loss)]
    let step = if values.len() > 1 {
        w / (values.len() - 1) as f64
    } else {
        0.0
    };
    let y = |v: f64| h - 2.0 - (v - lo) / span * (h - 4.0);
    let mut svg = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" aria-hidden=\"true\">"
    );
    for (v, class) in [(baseline, "baseline"), (target, "target")] {
        if let Some(v) = v {
            let _ = write!(
                svg,
                "<line x1=\"0\" x2=\"{w}\" y1=\"{0:.1}\" y2=\"{0:.1}\" class=\"{class}\"/>",
                y(v)
            );
        }
    }
    let mut path = String::new();
    let mut pen_up = true;
    for (i, v) in values.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = step * i as f64;
        match v {
            Some(v) => {
                let _ = write!(
                    path,
                    "{}{x:.1} {:.1} ",
                    if pen_up { "M" } else { "L" },
                    y(*v)
                );
                pen_up = false;
            }
            None => pen_up = true,
        }
    }
    let _ = write!(svg, "<path d=\"{}\" class=\"line\"/>", path.trim_end());
    if let Some((i, Some(v))) = values.iter().enumerate().rev().find(|(_, v)| v.is_some()) {
        #[allow(clippy::cast_precision_loss)]
        let x = step * i as f64;
        let _ = write!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"2.5\" class=\"dot\"/>",
            y(*v)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The measures of an action, live ones computed for this viewer (statutory figures for
/// analysts and admins; the partner preset for everyone else).
pub(crate) async fn measure_views(
    state: &AppState,
    action: &Action,
    statutory: bool,
) -> Vec<MeasureView> {
    let mut out = Vec::new();
    for m in &action.measures {
        let mut v = MeasureView {
            text: m.text.clone(),
            binding: m
                .indicator
                .as_ref()
                .map(|b| b.compact())
                .unwrap_or_default(),
            latest: String::new(),
            latest_period: String::new(),
            baseline: m
                .baseline
                .map(|b| match &m.baseline_period {
                    Some(p) => format!("{} ({p})", fmt_num(b)),
                    None => fmt_num(b),
                })
                .unwrap_or_default(),
            target: m
                .target
                .map(|t| match m.target_date {
                    Some(d) => format!("{} by {}", fmt_num(t), d.format("%-d %b %Y")),
                    None => fmt_num(t),
                })
                .unwrap_or_default(),
            direction: m
                .direction
                .map(|d| match d {
                    plans::Direction::Down => "Lower is better",
                    plans::Direction::Up => "Higher is better",
                })
                .unwrap_or_default()
                .to_owned(),
            verdict: String::new(),
            sparkline: String::new(),
            problem: String::new(),
            points: Vec::new(),
            disclosure: String::new(),
        };
        if let Some(b) = &m.indicator {
            match state
                .sources
                .series(state.store.as_ref(), b, statutory)
                .await
            {
                Ok(series) => {
                    let stat = b.statistic;
                    let values: Vec<Option<f64>> =
                        series.points.iter().map(|p| p.figure(stat)).collect();
                    v.sparkline = sparkline(&values, m.baseline, m.target);
                    if let Some(last) = series.points.last() {
                        v.latest_period.clone_from(&last.period);
                        v.latest = match last.figure(stat) {
                            Some(x) => fmt_num(x),
                            None if last.suppressed => "withheld (small numbers)".to_owned(),
                            None => "not available".to_owned(),
                        };
                        if let (Some(x), Some(base), Some(dir)) =
                            (last.figure(stat), m.baseline, m.direction)
                        {
                            let better = match dir {
                                plans::Direction::Down => x < base,
                                plans::Direction::Up => x > base,
                            };
                            let met = m.target.is_some_and(|t| match dir {
                                plans::Direction::Down => x <= t,
                                plans::Direction::Up => x >= t,
                            });
                            v.verdict = if met {
                                "target met".to_owned()
                            } else if better {
                                "better than baseline".to_owned()
                            } else if (x - base).abs() < f64::EPSILON {
                                "same as baseline".to_owned()
                            } else {
                                "worse than baseline".to_owned()
                            };
                        }
                    }
                    v.disclosure = series.disclosure;
                    v.points = series.points;
                }
                Err(e) => v.problem = e.to_string(),
            }
        }
        out.push(v);
    }
    out
}

struct UpdateView {
    at: String,
    author: String,
    text: String,
    change: String,
    rag: String,
    rag_class: &'static str,
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
    let history = updates
        .iter()
        .filter(|u| u.action_id == action_id)
        .rev()
        .map(|u| UpdateView {
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
        })
        .collect();
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
        due: a
            .due
            .map(|d| d.format("%-d %B %Y").to_string())
            .unwrap_or_default(),
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
    let measures = measure_views(state, a, statutory).await;
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
    };
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
struct UpdateForm {
    text: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    rag: String,
}

async fn post_update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action_id)): Path<(i64, i64)>,
    axum::Form(form): axum::Form<UpdateForm>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::SignedIn)?.clone();
    let fields = UpdateFields {
        text: &form.text,
        status: &form.status,
        rag: &form.rag,
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

/// An update's fields as posted (blank status or RAG: no change).
pub(crate) struct UpdateFields<'a> {
    pub(crate) text: &'a str,
    pub(crate) status: &'a str,
    pub(crate) rag: &'a str,
}

/// Post an update as `user`, from the web form or the API (`channel`), and audit it: 403 unless
/// the user may update the action, `Ok(Err(message))` when a field is wrong, else the update's
/// id.
pub(crate) async fn add_update(
    state: &AppState,
    user: &Principal,
    channel: &str,
    id: i64,
    action_id: i64,
    fields: &UpdateFields<'_>,
) -> Result<Result<i64, String>, AppError> {
    let plan = state.store.plan(id).await?;
    let (_, a) = plan.action_by_id(action_id).ok_or(AppError::NotFound)?;
    if !can_update(user, a) {
        return Err(AppError::Forbidden(
            "only the action's lead partners (and analysts) can post updates".to_owned(),
        ));
    }
    let update = match check_update(&plan, user, fields.text, fields.status, fields.rag) {
        Ok(u) => u,
        Err(message) => return Ok(Err(message)),
    };
    let uid = state.store.add_update(action_id, &update).await?;
    crate::access::audit(
        state,
        &user.username,
        channel,
        "plan_update",
        None,
        None,
        format!(
            "plan={id} action={} status={}",
            a.number,
            update.status.as_deref().unwrap_or("-")
        ),
    )
    .await?;
    Ok(Ok(uid))
}

/// Check an update's fields; the message says what to fix.
fn check_update(
    plan: &StoredPlan,
    user: &Principal,
    text: &str,
    status: &str,
    rag: &str,
) -> Result<NewUpdate, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Say what has happened: the update needs some words.".to_owned());
    }
    if text.chars().count() > 5_000 {
        return Err("Keep the update under 5,000 characters.".to_owned());
    }
    let text = &*lantern_core::text::checked(text).map_err(|e| format!("The update {e}."))?;
    let status = status.trim();
    let status = if status.is_empty() {
        None
    } else if plan.plan.statuses.iter().any(|s| s == status) {
        Some(status.to_owned())
    } else {
        return Err(format!(
            "'{status}' is not one of the plan's statuses ({})",
            plan.plan.statuses.join(", ")
        ));
    };
    let rag = if rag.trim().is_empty() {
        None
    } else {
        Some(Rag::parse(rag).ok_or_else(|| format!("'{rag}' is not red, amber or green"))?)
    };
    Ok(NewUpdate {
        at: Utc::now(),
        author: user.username.clone(),
        text: text.to_owned(),
        status,
        rag,
    })
}

// ---------------------------------------------------------------- the oversight summary

#[derive(Debug, Deserialize, Default)]
struct SummaryParams {
    since: Option<String>,
}

struct SummaryRow {
    number: String,
    title: String,
    actions: usize,
    by_status: Vec<usize>,
    by_rag: [usize; 4],
    overdue: usize,
    updates: usize,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "plan_summary.html")]
struct SummaryPage {
    layout: Layout,
    id: i64,
    title: String,
    since: String,
    statuses: Vec<String>,
    rows: Vec<SummaryRow>,
    totals: SummaryRow,
}

/// The default "since": six weeks ago, about one oversight meeting's interval.
pub(crate) fn since_of(s: Option<&str>) -> Result<NaiveDate, AppError> {
    match s.filter(|s| !s.is_empty()) {
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| AppError::Invalid(format!("since '{s}' is not a date (YYYY-MM-DD)"))),
        None => Ok(today() - Duration::weeks(6)),
    }
}

async fn show_summary(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<SummaryParams>,
) -> Result<Response, HtmlError> {
    let plan = state.store.plan(id).await?;
    let updates = state.store.plan_updates(id).await?;
    let since = since_of(p.since.as_deref())?;
    let from = since.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let progress = plans::progress(&plan, &updates, from, today());
    let statuses: Vec<String> = progress
        .first()
        .map(|s| s.by_status.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let rows: Vec<SummaryRow> = progress
        .iter()
        .map(|s| SummaryRow {
            number: s.number.clone(),
            title: s.title.clone(),
            actions: s.actions,
            by_status: s.by_status.iter().map(|(_, n)| *n).collect(),
            by_rag: s.by_rag,
            overdue: s.overdue,
            updates: s.updates,
            changes: s
                .changes
                .iter()
                .map(|(n, from, to)| {
                    format!(
                        "{n}: {} → {}",
                        from.as_deref().unwrap_or("no status"),
                        to.as_deref().unwrap_or("no status")
                    )
                })
                .collect(),
        })
        .collect();
    let totals = SummaryRow {
        number: String::new(),
        title: "All sections".to_owned(),
        actions: rows.iter().map(|r| r.actions).sum(),
        by_status: (0..statuses.len())
            .map(|i| rows.iter().map(|r| r.by_status[i]).sum())
            .collect(),
        by_rag: [0, 1, 2, 3].map(|i| rows.iter().map(|r| r.by_rag[i]).sum()),
        overdue: rows.iter().map(|r| r.overdue).sum(),
        updates: rows.iter().map(|r| r.updates).sum(),
        changes: Vec::new(),
    };
    // Statuses no action has are left out, so the table fits a page.
    let keep: Vec<usize> = (0..statuses.len())
        .filter(|&i| totals.by_status[i] > 0)
        .collect();
    let pick = |v: &[usize]| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let statuses = keep.iter().map(|&i| statuses[i].clone()).collect();
    let rows = rows
        .into_iter()
        .map(|r| SummaryRow {
            by_status: pick(&r.by_status),
            ..r
        })
        .collect();
    let totals = SummaryRow {
        by_status: pick(&totals.by_status),
        ..totals
    };
    Ok(render(&SummaryPage {
        layout: Layout::new(&state, format!("Progress: {}", plan.plan.title), "plans"),
        id,
        title: plan.plan.title.clone(),
        since: since.to_string(),
        statuses,
        rows,
        totals,
    }))
}

// ---------------------------------------------------------------- overdue and stale

#[derive(Debug, Deserialize, Default)]
struct AttentionParams {
    weeks: Option<i64>,
}

#[derive(Template)]
#[template(path = "plan_attention.html")]
struct AttentionPage {
    layout: Layout,
    id: i64,
    title: String,
    weeks: i64,
    overdue: Vec<ActionRow>,
    stale: Vec<ActionRow>,
}

async fn show_attention(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<AttentionParams>,
) -> Result<Response, HtmlError> {
    let weeks = p.weeks.unwrap_or(8);
    if !(1..=104).contains(&weeks) {
        return Err(AppError::Invalid("weeks must be between 1 and 104".to_owned()).into());
    }
    let plan = state.store.plan(id).await?;
    let last = last_updates(&state.store.plan_updates(id).await?);
    let cutoff = Utc::now() - Duration::weeks(weeks);
    let today = today();
    let mut overdue = Vec::new();
    let mut stale = Vec::new();
    for (_, a) in plan.plan.actions() {
        if a.overdue(today) {
            overdue.push(row(&plan, a, &last));
        }
        // Stale: open, and no update since the cutoff (an action never updated counts from
        // the plan's import).
        let aid = plan.action_id(&a.number).unwrap_or_default();
        if !a.closed() && *last.get(&aid).unwrap_or(&plan.created_at) < cutoff {
            stale.push(row(&plan, a, &last));
        }
    }
    Ok(render(&AttentionPage {
        layout: Layout::new(
            &state,
            format!("Needs attention: {}", plan.plan.title),
            "plans",
        ),
        id,
        title: plan.plan.title.clone(),
        weeks,
        overdue,
        stale,
    }))
}

// ---------------------------------------------------------------- export

#[derive(Debug, Deserialize, Default)]
struct ExportParams {
    format: Option<String>,
}

async fn export_plan(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<ExportParams>,
) -> Result<Response, AppError> {
    let user = viewer.require(Rule::SignedIn)?.clone();
    let plan = state.store.plan(id).await?;
    let plans = [plan.plan];
    let slug: String = plans[0]
        .title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let format = p.format.as_deref().unwrap_or("csv");
    let (bytes, mime, ext) = match format {
        "json" => {
            let mut b = Vec::new();
            write::write_json(&plans, &mut b).map_err(|e| AppError::Unexpected(e.into()))?;
            (b, "application/json", "json")
        }
        "csv" => {
            let mut b = Vec::new();
            write::write_csv(&plans, &mut b).map_err(|e| AppError::Unexpected(e.into()))?;
            (b, "text/csv; charset=utf-8", "csv")
        }
        "xlsx" => (
            write::xlsx_bytes(&plans).map_err(|e| AppError::Unexpected(e.into()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        other => {
            return Err(AppError::Invalid(format!(
                "format '{other}' is not one of json|csv|xlsx"
            )));
        }
    };
    crate::access::audit(
        &state,
        &user.username,
        "web",
        "plan_export",
        None,
        None,
        format!("plan={id} format={format}"),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.{ext}\"", encode(&slug)),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_breaks_where_figures_are_withheld() {
        let svg = sparkline(
            &[Some(3.0), None, Some(5.0), Some(4.0)],
            Some(6.0),
            Some(2.0),
        );
        assert!(svg.contains("class=\"baseline\""));
        assert!(svg.contains("class=\"target\""));
        let d = svg
            .split("d=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(sparkline(&[None, None], None, None), "");
    }
}

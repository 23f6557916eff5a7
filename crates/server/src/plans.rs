//! What the plan pages and the plans API share: who may update an action, posting an update
//! (checked by [`NewUpdate::parse`] and audited), an action's live measures, and the summary's
//! "since" date.

use chrono::{Duration, NaiveDate, Utc};
use lantern_core::plans::live::Point;
use lantern_core::plans::updates::{Poster, UpdateFields, figure, may_update};
use lantern_core::plans::{self, Action, NewUpdate, Update};

use crate::AppState;
use crate::access::Principal;
use crate::error::AppError;

/// Whether `user` may post updates on `action`.
pub(crate) fn can_update(user: &Principal, action: &Action) -> bool {
    may_update(user.role, user.organisation.as_deref(), action)
}

pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

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
    /// The latest value a lead recorded: `22 of 31 (71%) on 1 Dec 2026, by lead`.
    pub(crate) reported: String,
}

/// The measures of an action, live ones computed for this viewer (statutory figures for
/// analysts and admins; the partner preset for everyone else).
pub(crate) async fn measure_views(
    state: &AppState,
    action: &Action,
    updates: &[&Update],
    statutory: bool,
) -> Vec<MeasureView> {
    let mut out = Vec::new();
    for (i, m) in action.measures.iter().enumerate() {
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
                    Some(p) => format!("{} ({p})", figure(b)),
                    None => figure(b),
                })
                .unwrap_or_default(),
            target: m
                .target
                .map(|t| match m.target_date {
                    Some(d) => format!("{} by {}", figure(t), d.format("%-d %b %Y")),
                    None => figure(t),
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
            reported: updates
                .iter()
                .filter_map(|u| u.update.reading.as_ref().map(|r| (r, u)))
                .filter(|(r, _)| r.measure == i)
                .max_by_key(|(r, u)| (r.on, u.update.at, u.id))
                .map(|(r, u)| {
                    format!(
                        "{} on {}, recorded by {}",
                        r.describe(),
                        r.on.format("%-d %b %Y"),
                        u.update.author
                    )
                })
                .unwrap_or_default(),
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
                    v.sparkline = crate::svg::sparkline(&values, m.baseline, m.target);
                    if let Some(last) = series.points.last() {
                        v.latest_period.clone_from(&last.period);
                        v.latest = match last.figure(stat) {
                            Some(x) => figure(x),
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
    let by = Poster {
        plan: &plan.plan,
        action: a,
        author: &user.username,
        agrees: user.role.sees_restricted(),
        at: Utc::now(),
    };
    let update = match NewUpdate::parse(&by, fields) {
        Ok(u) => u,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let uid = state.store.add_update(action_id, &update).await?;
    crate::access::audit(
        state,
        &user.username,
        channel,
        "plan_update",
        None,
        None,
        audit_detail(id, &a.number, &update),
    )
    .await?;
    Ok(Ok(uid))
}

/// What the audit log says of an update: the action, the status, and any value or due date
/// (a measure's value is the lead's own count of the partnership's work, not a record's).
fn audit_detail(id: i64, number: &str, update: &NewUpdate) -> String {
    let mut s = format!(
        "plan={id} action={number} status={}",
        update.status.as_deref().unwrap_or("-")
    );
    if let Some(r) = &update.reading {
        s.push_str(&format!(
            " measure={} value={} on={}",
            r.measure + 1,
            r.describe().replace(' ', "_"),
            r.on
        ));
    }
    if let Some(d) = &update.due_change {
        s.push_str(&format!(
            " due_from={} due_to={} {}",
            d.before.map_or_else(|| "-".to_owned(), |b| b.to_string()),
            d.due,
            if d.agreed { "agreed" } else { "proposed" }
        ));
    }
    s
}

/// The default "since": six weeks ago, about one oversight meeting's interval.
pub(crate) fn since_of(s: Option<&str>) -> Result<NaiveDate, AppError> {
    match s.filter(|s| !s.is_empty()) {
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| AppError::Invalid(format!("since '{s}' is not a date (YYYY-MM-DD)"))),
        None => Ok(today() - Duration::weeks(6)),
    }
}

//! The demo's action plan: written for the fictional county, with lead partners, timescales
//! either side of the demo's end date, links between actions, measures bound to live
//! indicators (their baselines are the register's own figures for the first full year), and
//! progress updates spread over the last year, so the plan pages, "My actions", the overdue and
//! stale lists and the oversight summary all have something to show.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::geography::{COUNTY_CODE, COUNTY_NAME};
use crate::plans::live::{Binding, Sources};
use crate::plans::{
    Action, AgeGroup, Direction, DueChange, Measure, NewUpdate, Outcome, Plan, Rag, Reading,
    Section, default_statuses, timescale,
};
use crate::{Store, StoreResult};

/// The organisation the demo's `lead` user belongs to.
pub const DEMO_LEAD_ORGANISATION: &str = "Ashvale Public Health";

struct Spec {
    number: &'static str,
    text: &'static str,
    leads: &'static [&'static str],
    /// Months from the demo's end to the due date (negative: already past), or `None` for
    /// "Ongoing".
    due_in_months: Option<i32>,
    status: &'static str,
    age: AgeGroup,
    links: &'static [&'static str],
    measures: &'static [&'static str],
}

/// A section: number, title, and its outcomes (number, words).
type SectionSpec = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const SECTIONS: &[SectionSpec] = &[
    (
        "1",
        "Reduce suicide among middle-aged men",
        &[(
            "1.1",
            "Men at higher risk know where to get help and use it",
        )],
    ),
    (
        "2",
        "Earlier help for children and young people who self-harm",
        &[(
            "2.1",
            "Young people who self-harm are helped early and followed up",
        )],
    ),
    (
        "3",
        "Better care after self-harm",
        &[(
            "3.1",
            "Everyone seen after self-harm has a psychosocial assessment and a plan",
        )],
    ),
    (
        "4",
        "Support for people bereaved by suicide",
        &[(
            "4.1",
            "Everyone bereaved by suicide is offered support within 72 hours",
        )],
    ),
    (
        "5",
        "Better data: real-time surveillance and learning",
        &[(
            "5.1",
            "The partnership sees suspected suicides and self-harm quickly and acts on them",
        )],
    ),
];

const ACTIONS: &[Spec] = &[
    Spec {
        number: "1.1.1",
        text: "Run a workplace wellbeing campaign with construction and haulage firms across Ashvale",
        leads: &["Ashvale Public Health", "Ashvale Chamber of Commerce"],
        due_in_months: Some(4),
        status: "underway",
        age: AgeGroup::Adults,
        links: &["1.1.2"],
        measures: &["Suicides among men aged 35-64 (count a year)"],
    },
    Spec {
        number: "1.1.2",
        text: "Train site supervisors and managers in suicide awareness",
        leads: &["Ashvale Training Hub"],
        due_in_months: Some(-2),
        status: "underway",
        age: AgeGroup::Adults,
        links: &[],
        measures: &["Supervisors trained"],
    },
    Spec {
        number: "1.1.3",
        text: "Add suicide prevention to the debt advice pathway with the Citizens Advice service",
        leads: &["Ashvale Citizens Advice", "Ashvale Public Health"],
        due_in_months: Some(-5),
        status: "initial meeting",
        age: AgeGroup::Adults,
        links: &["NICE QS189"],
        measures: &["Share of debt advice clients asked about suicidal thoughts"],
    },
    Spec {
        number: "1.1.4",
        text: "Promote the men's peer support groups through GP practices and sports clubs",
        leads: &["Ashvale Listening Line"],
        due_in_months: None,
        status: "underway",
        age: AgeGroup::Adults,
        links: &["1.1.1"],
        measures: &["Men attending peer support each month"],
    },
    Spec {
        number: "2.1.1",
        text: "Offer every young person seen in the emergency department after self-harm a follow-up within 72 hours",
        leads: &["Ashvale Hospitals Trust", "Ashvale ICB"],
        due_in_months: Some(6),
        status: "underway",
        age: AgeGroup::ChildrenAndYoungPeople,
        links: &["3.1.1", "NICE QS34 2-5"],
        measures: &["Self-harm presentations among 10-24 year olds (count a year)"],
    },
    Spec {
        number: "2.1.2",
        text: "Deliver help-seeking lessons in every secondary school",
        leads: &["Ashvale Education", "Ashvale Public Health"],
        due_in_months: Some(-1),
        status: "underway",
        age: AgeGroup::ChildrenAndYoungPeople,
        links: &[],
        measures: &["Schools that have delivered the lessons"],
    },
    Spec {
        number: "2.1.3",
        text: "Ensure every school has a trained senior mental health lead",
        leads: &["Ashvale Education"],
        due_in_months: Some(3),
        status: "awaiting",
        age: AgeGroup::ChildrenAndYoungPeople,
        links: &["2.1.2"],
        measures: &["Share of schools with a senior mental health lead"],
    },
    Spec {
        number: "2.1.4",
        text: "Publish a self-harm guide for parents and carers",
        leads: &["Ashvale Public Health"],
        due_in_months: Some(-8),
        status: "complete",
        age: AgeGroup::ChildrenAndYoungPeople,
        links: &[],
        measures: &[],
    },
    Spec {
        number: "3.1.1",
        text: "Audit psychosocial assessments after self-harm in the emergency department against NICE guidance",
        leads: &["Ashvale Mental Health Trust"],
        due_in_months: Some(-3),
        status: "underway",
        age: AgeGroup::AllAges,
        links: &["NICE QS34 2-3"],
        measures: &["Share of presentations with a psychosocial assessment"],
    },
    Spec {
        number: "3.1.2",
        text: "Agree a shared safety plan template across the hospital, mental health trust and GPs",
        leads: &["Ashvale ICB"],
        due_in_months: Some(8),
        status: "initial meeting",
        age: AgeGroup::AllAges,
        links: &["3.1.1"],
        measures: &[],
    },
    Spec {
        number: "3.1.3",
        text: "Pilot a crisis café open evenings and weekends",
        leads: &["Ashvale Listening Line", "Ashvale Mental Health Trust"],
        due_in_months: Some(10),
        status: "idea",
        age: AgeGroup::Adults,
        links: &[],
        measures: &["Visits to the crisis café"],
    },
    Spec {
        number: "4.1.1",
        text: "Commission a suicide bereavement service with referral by the police at the first visit",
        leads: &["Ashvale Public Health", "Ashvale Police"],
        due_in_months: Some(-10),
        status: "complete",
        age: AgeGroup::AllAges,
        links: &["5.1.1"],
        measures: &["Bereaved people referred within 72 hours"],
    },
    Spec {
        number: "4.1.2",
        text: "Publish a directory of bereavement support across the county",
        leads: &["Ashvale Public Health"],
        due_in_months: None,
        status: "underway",
        age: AgeGroup::AllAges,
        links: &["4.1.1"],
        measures: &[],
    },
    Spec {
        number: "4.1.3",
        text: "Offer postvention support to schools after a suspected suicide",
        leads: &["Ashvale Education", "Ashvale Public Health"],
        due_in_months: Some(2),
        status: "paused",
        age: AgeGroup::ChildrenAndYoungPeople,
        links: &["4.1.1"],
        measures: &[],
    },
    Spec {
        number: "5.1.1",
        text: "Run real-time surveillance of suspected suicides with the police and the coroner",
        leads: &["Ashvale Public Health", "Ashvale Police"],
        due_in_months: None,
        status: "underway",
        age: AgeGroup::AllAges,
        links: &[],
        measures: &["Suicide rate, three years pooled (DSR per 100,000)"],
    },
    Spec {
        number: "5.1.2",
        text: "Record self-harm consistently across the emergency department and minor injuries units",
        leads: &["Ashvale Hospitals Trust"],
        due_in_months: Some(-4),
        status: "not started",
        age: AgeGroup::AllAges,
        links: &["5.1.1"],
        measures: &[],
    },
    Spec {
        number: "5.1.3",
        text: "Report quarterly to the oversight group with small numbers protected",
        leads: &["Ashvale Public Health"],
        due_in_months: None,
        status: "underway",
        age: AgeGroup::AllAges,
        links: &["5.1.1", "5.1.2"],
        measures: &[],
    },
];

/// The last day of the month `months` after `d`'s (plans say "by March 2026").
fn months_from(d: NaiveDate, months: i32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months;
    timescale::last_day(total.div_euclid(12), total.rem_euclid(12) as u32 + 1).unwrap_or(d)
}

/// The live bindings of the demo's measures, by their words.
fn binding(measure: &str) -> Option<Binding> {
    let area = COUNTY_CODE;
    let text = match measure {
        m if m.starts_with("Suicides among men aged 35-64") => format!(
            "indicators:dataset=suicides&by=year,sex,age_band&area={area}&audience=statutory where sex=male;age_band=35-39|40-44|45-49|50-54|55-59|60-64"
        ),
        m if m.starts_with("Self-harm presentations among 10-24") => format!(
            "indicators:dataset=self-harm&by=year,age_band&area={area}&audience=statutory where age_band=10-14|15-19|20-24"
        ),
        m if m.starts_with("Suicide rate, three years pooled") => {
            // Exact for the statutory core; partners get the partner rule, under which a DSR is
            // published only when every age band behind it is.
            format!(
                "indicators:dataset=suicides&by=rolling_3_year&area={area}&audience=statutory show value"
            )
        }
        m if m.starts_with("Share of schools with a senior mental health lead") => format!(
            "indicators:dataset=coverage&by=year,organisation_type&area={area}&measure=role:senior_mental_health_lead where organisation_type=school show value"
        ),
        _ => return None,
    };
    Binding::parse(&text).ok()
}

/// The demo's plan for the five years ending on `end`.
pub fn plan(end: NaiveDate) -> Plan {
    let start = end.year() - 2;
    let mut sections: Vec<Section> = SECTIONS
        .iter()
        .map(|(n, t, outcomes)| Section {
            number: (*n).to_owned(),
            title: (*t).to_owned(),
            subsections: Vec::new(),
            outcomes: outcomes
                .iter()
                .map(|(n, t)| Outcome {
                    number: Some((*n).to_owned()),
                    text: (*t).to_owned(),
                })
                .collect(),
            notes: Vec::new(),
            actions: Vec::new(),
        })
        .collect();
    for spec in ACTIONS {
        let mut a = Action::new(spec.number, spec.text);
        a.leads = spec.leads.iter().map(|s| (*s).to_owned()).collect();
        let timescale = match spec.due_in_months {
            Some(m) => months_from(end, m).format("%B %Y").to_string(),
            None => "Ongoing".to_owned(),
        };
        a.due = timescale::due_date(&timescale);
        a.timescale = Some(timescale);
        a.status = Some(spec.status.to_owned());
        a.age_group = Some(spec.age);
        a.links = spec.links.iter().map(|s| (*s).to_owned()).collect();
        a.outcome = spec.number.rsplit_once('.').map(|(o, _)| o.to_owned());
        if spec.number.starts_with("1.") {
            a.priority_groups = vec!["Middle-aged men".to_owned()];
        } else if spec.number.starts_with("2.") {
            a.priority_groups = vec!["Children and young people".to_owned()];
        }
        a.measures = spec
            .measures
            .iter()
            .map(|m| {
                let mut measure = Measure::text(*m);
                measure.indicator = binding(m);
                if let Some(b) = &measure.indicator {
                    // Fewer deaths and presentations; more organisations covered.
                    measure.direction = Some(if b.query.contains("dataset=coverage") {
                        Direction::Up
                    } else {
                        Direction::Down
                    });
                    measure.target_date = NaiveDate::from_ymd_opt(start + 3, 3, 31);
                }
                measure
            })
            .collect();
        let section = spec.number.split('.').next().unwrap_or("1");
        if let Some(s) = sections.iter_mut().find(|s| s.number == section) {
            s.actions.push(a);
        }
    }
    Plan {
        title: format!(
            "{COUNTY_NAME} Suicide Prevention and Self-harm Reduction Action Plan {start}-{}",
            (start + 3) % 100
        ),
        area: Some(COUNTY_CODE.to_owned()),
        period: Some(format!("{start}-{:02}", (start + 3) % 100)),
        owner: Some(format!("{COUNTY_NAME} Suicide Prevention Oversight Group")),
        source: Some("demo (synthetic)".to_owned()),
        statuses: default_statuses(),
        sections,
    }
}

/// Set each live measure's baseline to the register's own figure for the first full year of
/// the demo, and its target 10% lower.
async fn set_baselines(store: &dyn Store, plan: &mut Plan, end: NaiveDate) {
    let year = (end.year() - 4).to_string();
    let sources = Sources::default();
    for s in &mut plan.sections {
        for a in &mut s.actions {
            for m in &mut a.measures {
                let Some(b) = &m.indicator else { continue };
                let Ok(series) = sources.series(store, b, true).await else {
                    continue;
                };
                // A rolling period ending in the baseline year, or the year itself.
                // The baseline year, a rolling period ending in it, or else the first period
                // with a figure.
                let point = series
                    .points
                    .iter()
                    .find(|p| p.period == year || p.period.ends_with(&format!("-{year}")))
                    .or_else(|| {
                        series
                            .points
                            .iter()
                            .find(|p| p.figure(b.statistic).is_some())
                    });
                if let Some(v) = point.and_then(|p| p.figure(b.statistic)) {
                    m.baseline = Some((v * 10.0).round() / 10.0);
                    m.baseline_period = point.map(|p| p.period.clone());
                    m.target = Some((v * 9.0).round() / 10.0);
                }
            }
        }
    }
}

/// Progress updates over the year before `end`: each open action moves along, some go quiet.
fn updates(plan: &Plan, end: NaiveDate, seed: u64) -> Vec<(String, NewUpdate)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let notes = [
        "Met with partners to agree the approach and who does what.",
        "First sessions delivered; feedback has been good.",
        "Waiting on funding confirmation before the next phase.",
        "Progress reported to the oversight group.",
        "Numbers reached are behind plan; a recovery plan is agreed.",
        "Work is on track and the next milestone is booked.",
    ];
    let mut figures = StdRng::seed_from_u64(seed ^ 0x5eed_f16e);
    let mut out = Vec::new();
    for (_, a) in plan.actions() {
        // The third action of each outcome has had no update for months: the stale list
        // shows them.
        let quiet = a.number.ends_with(".3");
        let n = if quiet { 1 } else { rng.random_range(1..=4) };
        let author = if a.led_by(DEMO_LEAD_ORGANISATION) {
            "lead"
        } else {
            "analyst"
        };
        for k in 0..n {
            // Spread over the year; the last a few days before the end (or half a year before,
            // for the quiet ones).
            let days_ago = if quiet {
                180 + rng.random_range(0..30)
            } else {
                3 + 297 * (n - 1 - k) / n + rng.random_range(0..7)
            };
            let day = end - Duration::days(i64::from(days_ago));
            let at = Utc
                .from_utc_datetime(&day.and_hms_opt(10 + k as u32 % 6, 0, 0).unwrap_or_default());
            let last = k + 1 == n;
            let rag = match a.status.as_deref() {
                Some("complete") => Rag::Green,
                Some("paused" | "not started") => Rag::Red,
                _ if a.overdue(end) => Rag::Amber,
                _ => Rag::Green,
            };
            let mut update = NewUpdate::words(
                at,
                author,
                notes[rng.random_range(0..notes.len())],
                // The last update brings the action to its current status.
                if last { a.status.clone() } else { None },
                Some(rag),
            );
            if last {
                lead_figures(a, &mut update, &mut figures);
            }
            out.push((a.number.clone(), update));
        }
    }
    out.sort_by_key(|(_, u)| u.at);
    out
}

/// What a lead adds to their last update: the count so far of a measure that is only words
/// ("22 of 31 schools"), and, on an overdue action, a proposed new due date. These draw on
/// their own generator, so the rest of the demo is the same with or without them.
fn lead_figures(a: &Action, update: &mut NewUpdate, rng: &mut StdRng) {
    if !a.led_by(DEMO_LEAD_ORGANISATION) || a.closed() {
        return;
    }
    let day = update.at.date_naive();
    if let Some((i, m)) = a
        .measures
        .iter()
        .enumerate()
        .find(|(_, m)| m.indicator.is_none())
    {
        let of = rng.random_range(12..40);
        update.reading = Some(Reading {
            measure: i,
            measure_text: m.text.clone(),
            value: f64::from(rng.random_range(of / 3..=of)),
            of: Some(f64::from(of)),
            percent: false,
            on: day - Duration::days(1),
        });
    }
    if a.overdue(day) {
        update.due_change = Some(DueChange {
            due: day + Duration::days(i64::from(rng.random_range(60..150))),
            before: a.due,
            reason: "Partners' staff were redeployed this winter; the work restarts in spring."
                .to_owned(),
            agreed: false,
        });
    }
}

/// Write the demo's plan and its history. Actions start as ideas or initial meetings and reach
/// their current status through the updates.
///
/// # Errors
/// A store failure.
pub async fn load(store: &dyn Store, end: NaiveDate, seed: u64) -> StoreResult<i64> {
    let mut full = plan(end);
    set_baselines(store, &mut full, end).await;
    let history = updates(&full, end, seed);
    let mut start = full.clone();
    for s in &mut start.sections {
        for a in &mut s.actions {
            a.status = Some(
                if matches!(a.status.as_deref(), Some("idea")) {
                    "idea"
                } else {
                    "initial meeting"
                }
                .to_owned(),
            );
            a.rag = None;
        }
    }
    let id = store.create_plan(&start).await?;
    let stored = store.plan(id).await?;
    for (number, u) in history {
        if let Some(aid) = stored.action_id(&number) {
            store.add_update(aid, &u).await?;
        }
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_has_live_measures_and_links() {
        let end = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
        let p = plan(end);
        assert_eq!(p.action_count(), ACTIONS.len());
        let live = p
            .actions()
            .flat_map(|(_, a)| a.measures.iter())
            .filter(|m| m.indicator.is_some())
            .count();
        assert_eq!(live, 4);
        for (_, a) in p.actions() {
            for m in &a.measures {
                if let Some(b) = &m.indicator {
                    assert_eq!(Sources::default().check(b), Ok(()), "{}", m.text);
                }
            }
        }
        assert!(p.internal_links().len() >= 10);
        assert!(p.actions().any(|(_, a)| a.overdue(end)));
        assert!(p.actions().any(|(_, a)| a.led_by(DEMO_LEAD_ORGANISATION)));
        assert!(p.actions().any(|(_, a)| !a.led_by(DEMO_LEAD_ORGANISATION)));
        let u = updates(&p, end, 1);
        assert!(u.windows(2).all(|w| w[0].1.at <= w[1].1.at));
        // Every action reaches its current status through its last update.
        for (_, a) in p.actions() {
            let last = u.iter().rev().find(|(n, _)| *n == a.number);
            assert_eq!(
                last.and_then(|(_, x)| x.status.clone()),
                a.status,
                "{}",
                a.number
            );
        }
    }
}

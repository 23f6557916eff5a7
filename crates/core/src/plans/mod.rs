//! Action plans: the partnership's priorities, outcomes and numbered actions, with lead
//! partners, timescales, statuses, links and measures, and the progress updates that keep a plan
//! alive between oversight meetings.
//!
//! A plan is read from the documents partnerships already have ([`parse`]), kept by the store as
//! a plan row and one row per action, and written back out ([`mod@write`]). A measure may be bound
//! to an indicator Lantern computes itself ([`live`]).

pub mod live;
pub mod parse;
pub mod timescale;
pub mod updates;
pub mod write;

#[cfg(test)]
mod layouts;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use parse::{Parsed, PlanFormat, PlanOptions, parse_plan_bytes, read_plan};

/// The status list a plan uses unless it says otherwise.
pub const DEFAULT_STATUSES: &[&str] = &[
    "idea",
    "initial meeting",
    "underway",
    "awaiting",
    "complete",
    "not started",
    "paused",
    "cancelled",
];

/// Statuses that end an action: it is neither overdue nor stale.
pub const CLOSED_STATUSES: &[&str] = &["complete", "cancelled"];

/// A plan as imported or exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The plan's title.
    pub title: String,
    /// The area it covers (an area code or a name).
    #[serde(default)]
    pub area: Option<String>,
    /// The period, e.g. `2024-25`.
    #[serde(default)]
    pub period: Option<String>,
    /// The group that owns it, e.g. the suicide prevention oversight group.
    #[serde(default)]
    pub owner: Option<String>,
    /// The document it came from.
    #[serde(default)]
    pub source: Option<String>,
    /// The statuses an action may have, in order.
    #[serde(default = "default_statuses")]
    pub statuses: Vec<String>,
    /// Priorities or themes, in order.
    pub sections: Vec<Section>,
}

/// [`DEFAULT_STATUSES`] as owned strings.
pub fn default_statuses() -> Vec<String> {
    DEFAULT_STATUSES.iter().map(|s| (*s).to_owned()).collect()
}

/// A numbered priority or theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// `1`, `2`, ...
    pub number: String,
    /// The heading, without its number.
    pub title: String,
    /// Subsection headings (e.g. priority groups), in order.
    #[serde(default)]
    pub subsections: Vec<String>,
    /// Outcomes or aims, in order.
    #[serde(default)]
    pub outcomes: Vec<Outcome>,
    /// Prose under the heading that is not an action.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The actions, in order.
    pub actions: Vec<Action>,
}

/// An outcome or aim that actions serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// `1.1`, when numbered.
    #[serde(default)]
    pub number: Option<String>,
    /// The outcome's words.
    pub text: String,
}

/// Red, amber or green.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Rag {
    /// Off track.
    Red,
    /// At risk.
    Amber,
    /// On track.
    Green,
}

impl Rag {
    /// `red`, `amber`, `green`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Red => "red",
            Self::Amber => "amber",
            Self::Green => "green",
        }
    }

    /// Parse `red|amber|green` or `R|A|G` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "red" | "r" => Some(Self::Red),
            "amber" | "a" | "yellow" => Some(Self::Amber),
            "green" | "g" => Some(Self::Green),
            _ => None,
        }
    }
}

/// Who an action is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AgeGroup {
    /// Children and young people.
    #[serde(rename = "children and young people")]
    ChildrenAndYoungPeople,
    /// Adults.
    #[serde(rename = "adults")]
    Adults,
    /// All ages.
    #[serde(rename = "all ages")]
    AllAges,
}

impl AgeGroup {
    /// The label in exports and pages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChildrenAndYoungPeople => "children and young people",
            Self::Adults => "adults",
            Self::AllAges => "all ages",
        }
    }

    /// Parse the words plans use: `CYP`, `children and young people`, `young people`,
    /// `adults`, `older people`, `both`, `all`, `all ages`, `all-age`.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim().to_ascii_lowercase().replace(['-', '_'], " ");
        match t.trim_end_matches('.') {
            "cyp"
            | "children and young people"
            | "children & young people"
            | "children"
            | "young people"
            | "children and young people (cyp)"
            | "under 18s"
            | "0 25" => Some(Self::ChildrenAndYoungPeople),
            "adults" | "adult" | "older people" | "adults and older people" | "18+" => {
                Some(Self::Adults)
            }
            "both" | "all" | "all ages" | "all age" | "all aged" | "cyp and adults"
            | "adults and cyp" => Some(Self::AllAges),
            _ => None,
        }
    }
}

/// What a measure's figure should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Lower is better (e.g. suicides).
    Down,
    /// Higher is better (e.g. training uptake).
    Up,
}

impl Direction {
    /// Parse `down|lower|decrease|reduce` or `up|higher|increase`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "down" | "lower" | "decrease" | "reduce" | "lower is better" => Some(Self::Down),
            "up" | "higher" | "increase" | "higher is better" => Some(Self::Up),
            _ => None,
        }
    }

    /// `down` or `up`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Down => "down",
            Self::Up => "up",
        }
    }
}

/// How an action's success is judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// The measure's words.
    pub text: String,
    /// An indicator Lantern computes, when the measure is bound to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator: Option<live::Binding>,
    /// The starting value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// The period the baseline describes (e.g. `2022`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_period: Option<String>,
    /// The value aimed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// Whether lower or higher is better.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// When the target should be met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_date: Option<NaiveDate>,
}

impl Measure {
    /// A measure that is only words.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            indicator: None,
            baseline: None,
            baseline_period: None,
            target: None,
            direction: None,
            target_date: None,
        }
    }
}

/// One action of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// `1.2.3` as the plan numbers it, or generated (`section.n`) when it does not.
    pub number: String,
    /// What will be done.
    pub text: String,
    /// Lead partners (organisations).
    #[serde(default)]
    pub leads: Vec<String>,
    /// The timescale as written ("March 2025", "Ongoing", "31/3/25").
    #[serde(default)]
    pub timescale: Option<String>,
    /// The due date: read from the timescale, where there is one, or the one agreed.
    #[serde(default)]
    pub due: Option<NaiveDate>,
    /// A due date agreed in an update (by an analyst), which moves the timescale's: kept apart
    /// so that an exported plan imports again with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreed_due: Option<NaiveDate>,
    /// One of the plan's statuses.
    #[serde(default)]
    pub status: Option<String>,
    /// The status cell as written, when it says more than the status ("Awaiting result of 2.3.1").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_note: Option<String>,
    /// Red, amber or green.
    #[serde(default)]
    pub rag: Option<Rag>,
    /// Who the action is for.
    #[serde(default)]
    pub age_group: Option<AgeGroup>,
    /// Priority groups (from a column, or the subsection the action sits in).
    #[serde(default)]
    pub priority_groups: Vec<String>,
    /// The subsection heading the action sits under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsection: Option<String>,
    /// The outcome or aim it serves (`1.1` or the aim's words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// A theme or recommendation column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    /// Other actions of the plan (`2.3.1`) and external references ("NICE QS34 2-5").
    #[serde(default)]
    pub links: Vec<String>,
    /// How success is judged.
    #[serde(default)]
    pub measures: Vec<Measure>,
}

impl Action {
    /// An action with only a number and words.
    pub fn new(number: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            number: number.into(),
            text: text.into(),
            leads: Vec::new(),
            timescale: None,
            due: None,
            agreed_due: None,
            status: None,
            status_note: None,
            rag: None,
            age_group: None,
            priority_groups: Vec::new(),
            subsection: None,
            outcome: None,
            theme: None,
            links: Vec::new(),
            measures: Vec::new(),
        }
    }

    /// Whether `organisation` is one of the leads (case and spacing ignored; a lead of
    /// "Public Health team" matches "public health").
    pub fn led_by(&self, organisation: &str) -> bool {
        let o = normal(organisation);
        !o.is_empty()
            && self.leads.iter().any(|l| {
                let l = normal(l);
                l == o || (o.contains(' ') && l.starts_with(&format!("{o} ")))
            })
    }

    /// The action has ended (complete or cancelled).
    pub fn closed(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| CLOSED_STATUSES.contains(&s))
    }

    /// Past its due date on `today` and not ended.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        !self.closed() && self.due.is_some_and(|d| d < today)
    }
}

fn normal(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Plan {
    /// Every action, with its section, in plan order.
    pub fn actions(&self) -> impl Iterator<Item = (&Section, &Action)> {
        self.sections
            .iter()
            .flat_map(|s| s.actions.iter().map(move |a| (s, a)))
    }

    /// How many actions the plan has.
    pub fn action_count(&self) -> usize {
        self.sections.iter().map(|s| s.actions.len()).sum()
    }

    /// The action with this number.
    pub fn action(&self, number: &str) -> Option<&Action> {
        self.actions().map(|(_, a)| a).find(|a| a.number == number)
    }

    /// The links between actions of this plan: `(from, to)` action numbers, where `to` is an
    /// action (or an outcome, whose actions are then each linked) of the plan.
    pub fn internal_links(&self) -> Vec<(String, String)> {
        let numbers: HashSet<&str> = self.actions().map(|(_, a)| a.number.as_str()).collect();
        let mut out = Vec::new();
        for (_, a) in self.actions() {
            for l in &a.links {
                if numbers.contains(l.as_str()) && l != &a.number {
                    out.push((a.number.clone(), l.clone()));
                } else if is_number(l) {
                    // An outcome number: link to each of its actions.
                    for (_, b) in self.actions() {
                        if b.outcome.as_deref() == Some(l.as_str()) && b.number != a.number {
                            out.push((a.number.clone(), b.number.clone()));
                        }
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The plan as an indented tree, as `lantern import plans --dry-run` prints it.
    pub fn tree(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(s, "Plan: {}", self.title);
        for (k, v) in [
            ("area", &self.area),
            ("period", &self.period),
            ("owner", &self.owner),
            ("source", &self.source),
        ] {
            if let Some(v) = v {
                let _ = writeln!(s, "  {k}: {v}");
            }
        }
        let _ = writeln!(
            s,
            "  {} sections, {} actions",
            self.sections.len(),
            self.action_count()
        );
        for sec in &self.sections {
            let _ = writeln!(
                s,
                "{}. {} ({} actions)",
                sec.number,
                clip(&sec.title, 90),
                sec.actions.len()
            );
            let mut outcome: Option<&str> = None;
            let mut sub: Option<&str> = None;
            for a in &sec.actions {
                if a.subsection.as_deref() != sub {
                    sub = a.subsection.as_deref();
                    if let Some(t) = sub {
                        let _ = writeln!(s, "  - {}", clip(t, 90));
                    }
                }
                if a.outcome.as_deref() != outcome {
                    outcome = a.outcome.as_deref();
                    if let Some(o) = outcome {
                        let text = sec
                            .outcomes
                            .iter()
                            .find(|x| x.number.as_deref() == Some(o))
                            .map_or(o.to_owned(), |x| format!("{o} {}", x.text));
                        let _ = writeln!(s, "    outcome: {}", clip(&text, 86));
                    }
                }
                let status = a.status.as_deref().unwrap_or("no status");
                let _ = writeln!(s, "    {} {} [{status}]", a.number, clip(&a.text, 70));
                let mut facts = Vec::new();
                if !a.leads.is_empty() {
                    facts.push(format!("leads: {}", a.leads.join("; ")));
                }
                if let Some(t) = &a.timescale {
                    facts.push(match a.due {
                        Some(d) => format!("timescale: {} (due {d})", clip(t, 40)),
                        None => format!("timescale: {}", clip(t, 40)),
                    });
                }
                if let Some(g) = a.age_group {
                    facts.push(format!("age group: {}", g.as_str()));
                }
                if !a.links.is_empty() {
                    facts.push(format!("links: {}", a.links.join("; ")));
                }
                if !a.measures.is_empty() {
                    facts.push(format!("{} measure(s)", a.measures.len()));
                }
                if !facts.is_empty() {
                    let _ = writeln!(s, "        {}", facts.join(" | "));
                }
            }
        }
        s
    }
}

/// `text`, cut to `n` characters with an ellipsis, on one line.
pub fn clip(text: &str, n: usize) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= n {
        one
    } else {
        let mut s: String = one.chars().take(n.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// `1.2` or `1.2.3`: dotted numbers, as plans number outcomes and actions.
pub fn is_number(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A plan as the store keeps it: its identity and its actions, each with an id for updates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredPlan {
    /// The plan's id.
    pub id: i64,
    /// When it was imported.
    pub created_at: DateTime<Utc>,
    /// The plan, with each action's current status and RAG.
    pub plan: Plan,
    /// Action ids by action number.
    pub action_ids: BTreeMap<String, i64>,
}

impl StoredPlan {
    /// The id of the action with this number.
    pub fn action_id(&self, number: &str) -> Option<i64> {
        self.action_ids.get(number).copied()
    }

    /// The action with this id, with its section.
    pub fn action_by_id(&self, id: i64) -> Option<(&Section, &Action)> {
        let number = self.action_ids.iter().find(|(_, v)| **v == id)?.0;
        self.plan.actions().find(|(_, a)| &a.number == number)
    }
}

/// A plan in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    /// The plan's id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its area.
    pub area: Option<String>,
    /// Its period.
    pub period: Option<String>,
    /// How many actions it has.
    pub actions: i64,
}

/// A progress update on an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUpdate {
    /// When the progress was reported.
    pub at: DateTime<Utc>,
    /// Who reported it (a username).
    pub author: String,
    /// What happened.
    pub text: String,
    /// The new status, when it changes.
    pub status: Option<String>,
    /// The RAG rating given.
    pub rag: Option<Rag>,
    /// A value of one of the action's measures, as the lead counted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading: Option<Reading>,
    /// A new due date for the action, proposed by a lead or agreed by an analyst.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_change: Option<DueChange>,
}

impl NewUpdate {
    /// An update of words, status and RAG only.
    pub fn words(
        at: DateTime<Utc>,
        author: impl Into<String>,
        text: impl Into<String>,
        status: Option<String>,
        rag: Option<Rag>,
    ) -> Self {
        Self {
            at,
            author: author.into(),
            text: text.into(),
            status,
            rag,
            reading: None,
            due_change: None,
        }
    }
}

/// A measure's value as a lead reports it: "22 of 31 schools" on a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// Which of the action's measures (0 for the first).
    pub measure: usize,
    /// The measure's words when the value was recorded, so the history reads true if the plan
    /// is later re-imported with other measures.
    pub measure_text: String,
    /// The value: a count, a figure, or a percentage.
    pub value: f64,
    /// The whole the count is out of ("of 31"), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<f64>,
    /// The value is a percentage ("71%").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub percent: bool,
    /// The date the value describes.
    pub on: NaiveDate,
}

impl Reading {
    /// `22 of 31 (71%)`, `71%`, `140`.
    pub fn describe(&self) -> String {
        let v = updates::figure(self.value);
        match self.of {
            Some(of) if of > 0.0 => format!(
                "{v} of {} ({}%)",
                updates::figure(of),
                (100.0 * self.value / of).round()
            ),
            Some(of) => format!("{v} of {}", updates::figure(of)),
            None if self.percent => format!("{v}%"),
            None => v,
        }
    }
}

/// A new due date for an action, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueChange {
    /// The due date proposed or agreed.
    pub due: NaiveDate,
    /// The due date before (none when the action had none).
    #[serde(default)]
    pub before: Option<NaiveDate>,
    /// Why the date moves.
    pub reason: String,
    /// Agreed (by an analyst, and now the action's due date) rather than proposed.
    #[serde(default)]
    pub agreed: bool,
}

/// A stored progress update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Update {
    /// The update's id.
    pub id: i64,
    /// The action it is about.
    pub action_id: i64,
    /// The status before the update.
    pub status_before: Option<String>,
    /// The update.
    #[serde(flatten)]
    pub update: NewUpdate,
}

/// Counts by status and RAG for one section, and what changed since a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionProgress {
    /// The section's number.
    pub number: String,
    /// Its title.
    pub title: String,
    /// Actions.
    pub actions: usize,
    /// Actions by status (every status of the plan, in order, plus `no status`).
    pub by_status: Vec<(String, usize)>,
    /// Actions by RAG: red, amber, green, unrated.
    pub by_rag: [usize; 4],
    /// Actions past due and not ended.
    pub overdue: usize,
    /// Status changes since the date asked about: `(action number, from, to)`.
    pub changes: Vec<(String, Option<String>, Option<String>)>,
    /// Updates since the date asked about.
    pub updates: usize,
}

/// The oversight group's progress summary: per section, and changes since `since`.
pub fn progress(
    plan: &StoredPlan,
    updates: &[Update],
    since: DateTime<Utc>,
    today: NaiveDate,
) -> Vec<SectionProgress> {
    let number_of: BTreeMap<i64, &str> = plan
        .action_ids
        .iter()
        .map(|(n, id)| (*id, n.as_str()))
        .collect();
    plan.plan
        .sections
        .iter()
        .map(|sec| {
            let mut by_status: Vec<(String, usize)> =
                plan.plan.statuses.iter().map(|s| (s.clone(), 0)).collect();
            by_status.push(("no status".to_owned(), 0));
            let mut by_rag = [0; 4];
            for a in &sec.actions {
                let key = a.status.as_deref().unwrap_or("no status");
                if let Some(e) = by_status.iter_mut().find(|(s, _)| s == key) {
                    e.1 += 1;
                }
                by_rag[match a.rag {
                    Some(Rag::Red) => 0,
                    Some(Rag::Amber) => 1,
                    Some(Rag::Green) => 2,
                    None => 3,
                }] += 1;
            }
            let numbers: HashSet<&str> = sec.actions.iter().map(|a| a.number.as_str()).collect();
            let recent: Vec<&Update> = updates
                .iter()
                .filter(|u| {
                    u.update.at >= since
                        && number_of
                            .get(&u.action_id)
                            .is_some_and(|n| numbers.contains(n))
                })
                .collect();
            let changes = recent
                .iter()
                .filter(|u| u.update.status.is_some() && u.update.status != u.status_before)
                .map(|u| {
                    (
                        number_of
                            .get(&u.action_id)
                            .map_or_else(String::new, |n| (*n).to_owned()),
                        u.status_before.clone(),
                        u.update.status.clone(),
                    )
                })
                .collect();
            SectionProgress {
                number: sec.number.clone(),
                title: sec.title.clone(),
                actions: sec.actions.len(),
                by_status,
                by_rag,
                overdue: sec.actions.iter().filter(|a| a.overdue(today)).count(),
                changes,
                updates: recent.len(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leads_match_whole_words_in_any_case() {
        let mut a = Action::new("1.1", "x");
        a.leads = vec!["Public Health team".to_owned(), "ICB".to_owned()];
        assert!(a.led_by("public health"));
        assert!(a.led_by(" icb "));
        assert!(!a.led_by("Public"));
        assert!(!a.led_by("Police"));
        assert!(!a.led_by(""));
    }

    #[test]
    fn ended_actions_are_never_overdue() {
        let mut a = Action::new("1.1", "x");
        a.due = NaiveDate::from_ymd_opt(2024, 3, 31);
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
        assert!(a.overdue(today));
        a.status = Some("complete".to_owned());
        assert!(!a.overdue(today));
    }

    #[test]
    fn words_become_age_groups_and_rag() {
        assert_eq!(
            AgeGroup::parse("CYP"),
            Some(AgeGroup::ChildrenAndYoungPeople)
        );
        assert_eq!(AgeGroup::parse("Both"), Some(AgeGroup::AllAges));
        assert_eq!(AgeGroup::parse("All-age"), Some(AgeGroup::AllAges));
        assert_eq!(AgeGroup::parse("Adults"), Some(AgeGroup::Adults));
        assert_eq!(AgeGroup::parse("teens"), None);
        assert_eq!(Rag::parse("A"), Some(Rag::Amber));
        assert_eq!(Rag::parse("purple"), None);
    }
}

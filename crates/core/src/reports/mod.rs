//! Reports (issue 16): the annual suicide audit, the children and young people deep dive, the
//! quarterly oversight report, the self-harm report and plan progress, built from the register
//! in one pass and written as HTML (by the server crate, with the pages' styles), CSV or XLSX.
//!
//! A report is data first ([`Report`]: a cover, then sections of sentences and tables) and a
//! file second, so every format carries the same numbers. Three promises shape the code:
//!
//! - **Safe for its audience.** For the statutory core the figures are counted over the exact
//!   period from the records. For partners and the public every count comes from the
//!   indicator engine's catalogue (whole calendar years, areas no finer than a local
//!   authority, one breakdown at a time), whose suppression runs over every table those
//!   audiences can see together (`indicators::linked`). A report therefore publishes nothing a
//!   partner could not already ask the API for, and a withheld count cannot be found from a
//!   report's totals and margins, nor from another report's. Fields outside the catalogue
//!   (circumstances, service contact, postvention) are in statutory reports only.
//! - **Reproducible.** No wall-clock time: "today" for overdue actions is the period's last
//!   day, the cover names the data snapshot (the last record's date and a SHA-256 of what the
//!   report read), rows come in a fixed order and the XLSX's document date is the snapshot's.
//! - **Written from the numbers.** Each section opens with sentences made by rules from its
//!   tables (`narrative.rs`); a change is said to be beyond chance only when the count's exact
//!   Poisson interval excludes the comparison.

mod build;
mod drawing;
mod figures;
mod narrative;
mod pdf;
mod period;
pub mod schedule;
mod write;

use chrono::NaiveDate;

pub use build::build;
pub use period::{MAX_MONTHS, ReportPeriod};

use crate::indicators::Audience;

/// The kinds of report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The annual all-age suicide audit.
    Audit,
    /// The children and young people deep dive.
    CypAudit,
    /// The quarterly report to the oversight group.
    Quarterly,
    /// The self-harm report.
    SelfHarm,
    /// Progress on one plan.
    Plan,
}

impl Kind {
    /// Every kind, in the order menus list them.
    pub const ALL: [Self; 5] = [
        Self::Audit,
        Self::CypAudit,
        Self::Quarterly,
        Self::SelfHarm,
        Self::Plan,
    ];

    /// Parse `audit|cyp-audit|quarterly|self-harm|plan`.
    ///
    /// # Errors
    /// A message listing the kinds.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                format!("'{s}' is not a kind of report: audit|cyp-audit|quarterly|self-harm|plan")
            })
    }

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Audit => "audit",
            Self::CypAudit => "cyp-audit",
            Self::Quarterly => "quarterly",
            Self::SelfHarm => "self-harm",
            Self::Plan => "plan",
        }
    }

    /// The report's title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Audit => "Suicide audit",
            Self::CypAudit => "Children and young people: suicide audit deep dive",
            Self::Quarterly => "Quarterly report to the suicide prevention oversight group",
            Self::SelfHarm => "Self-harm report",
            Self::Plan => "Action plan progress",
        }
    }
}

/// What to report on.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The kind.
    pub kind: Kind,
    /// The period.
    pub period: ReportPeriod,
    /// Residents of this area only; the whole partnership when `None`.
    pub area: Option<String>,
    /// Who the report is for.
    pub audience: Audience,
    /// The ages of the children and young people deep dive (default 10 to 24).
    pub ages: (u32, u32),
    /// The plan (plan progress; the quarterly report takes every plan when `None`).
    pub plan: Option<i64>,
}

/// The ages of the deep dive unless `--ages` says otherwise: the national "young people" group.
pub const CYP_AGES: (u32, u32) = (10, 24);

/// Parse `--ages` as `10-24`.
///
/// # Errors
/// A message saying what is wrong.
pub fn parse_ages(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("'{s}' is not an age range such as 10-24");
    let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
    let a: u32 = a.trim().parse().map_err(|_| bad())?;
    let b: u32 = b.trim().parse().map_err(|_| bad())?;
    if a > b || b > 120 {
        return Err(format!(
            "'{s}' is not an age range: the first age must not be above the second, and ages go up to 120"
        ));
    }
    Ok((a, b))
}

/// A finished report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// What was asked for.
    pub request: Request,
    /// The title, with the ages for a deep dive.
    pub title: String,
    /// The area's name ("all areas" when none was given).
    pub area_name: String,
    /// The disclosure rule, in words.
    pub disclosure: String,
    /// The data the report read.
    pub snapshot: Snapshot,
    /// Notes for the cover: what the audience's rules changed (whole years, sections left out).
    pub notes: Vec<String>,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

/// The data a report read: enough to tell two reports of different data apart, and to show
/// that two files came from the same data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The date of the latest record (death or presentation) read.
    pub last_record: Option<NaiveDate>,
    /// SHA-256 (hex) of the records, areas, plans and signals read, in a canonical order.
    pub hash: String,
}

/// One section: sentences from the numbers, then tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// An identifier, unique in the report (for links and sheet names).
    pub id: String,
    /// The heading.
    pub title: String,
    /// Sentences written from the numbers.
    pub paragraphs: Vec<String>,
    /// The tables.
    pub tables: Vec<Table>,
}

/// A cell of a report's table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Words.
    Text(String),
    /// A count (of people, presentations, actions or signals).
    Count(u64),
    /// A rate or interval limit, written with one decimal place.
    Decimal(f64),
    /// A share, 0 to 1, written as a whole percentage.
    Percent(f64),
    /// Nothing (not computed, or not applicable).
    Empty,
}

impl Cell {
    /// The cell as CSV and HTML write it: `12`, `10.4`, `41%`.
    pub fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Count(n) => n.to_string(),
            Self::Decimal(x) => format!("{x:.1}"),
            Self::Percent(x) => format!("{:.0}%", 100.0 * x),
            Self::Empty => String::new(),
        }
    }

    /// Whether the cell is a number (for right alignment).
    pub fn is_number(&self) -> bool {
        matches!(self, Self::Count(_) | Self::Decimal(_) | Self::Percent(_))
    }
}

/// The column headings that count people (deaths, presentations, distinct people): the
/// disclosure tests look for counts from 1 to 4 under them.
pub const PEOPLE_COLUMNS: [&str; 3] = ["deaths", "presentations", "people"];

/// A table of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// An identifier, unique in the report.
    pub id: String,
    /// What it shows.
    pub title: String,
    /// Column headings.
    pub columns: Vec<String>,
    /// Rows, a cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// A note under the table (what is withheld, what a column means).
    pub note: Option<String>,
}

impl Report {
    /// Every table, in order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.sections.iter().flat_map(|s| &s.tables)
    }

    /// The cover's lines as `(label, text)`, as every format writes them.
    pub fn cover(&self) -> Vec<(&'static str, String)> {
        let r = &self.request;
        let mut lines = vec![
            ("report", self.title.clone()),
            ("kind", r.kind.as_str().to_owned()),
            (
                "period",
                format!("{} ({})", r.period.describe(), r.period.label()),
            ),
            (
                "area",
                match &r.area {
                    Some(code) => format!("{} ({code})", self.area_name),
                    None => self.area_name.clone(),
                },
            ),
            ("audience", r.audience.disclosure().to_owned()),
            ("disclosure", self.disclosure.clone()),
            (
                "data snapshot",
                format!(
                    "last record {}; sha256 {}",
                    self.snapshot
                        .last_record
                        .map_or_else(|| "none".to_owned(), |d| d.to_string()),
                    self.snapshot.hash
                ),
            ),
        ];
        if let Some(p) = r.plan {
            lines.push(("plan", p.to_string()));
        }
        lines
    }
}

/// The help-now lines every report carries on its cover, as every public page does.
pub const HELP_NOW: [&str; 3] = [
    "Need help now? Call Samaritans free on 116 123, day or night.",
    "For a mental health crisis call NHS 111 and choose option 2.",
    "In an emergency call 999.",
];

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The request is wrong or not allowed for its audience.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

impl From<crate::indicators::IndicatorError> for ReportError {
    fn from(e: crate::indicators::IndicatorError) -> Self {
        match e {
            crate::indicators::IndicatorError::Store(s) => Self::Store(s),
            other => Self::Invalid(other.to_string()),
        }
    }
}

pub use drawing::CLASSES as CHART_CLASSES;
pub use pdf::{Document, PdfError, document_pdf, pdf_bytes};
pub use write::{csv_bytes, xlsx_bytes};

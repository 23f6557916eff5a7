//! The partnership's workforce: organisations (schools, refuges, veterans' organisations,
//! employers, ...) with the roles they hold over time, and the training their people take
//! against the national self-harm and suicide prevention competence frameworks.
//!
//! Both are reference data about organisations, not about anyone who died or harmed themselves:
//! no one's name is kept (a role is held by an organisation from a date, not by a named person;
//! training is counted as delegates of an organisation). [`parse_organisations`] and
//! [`parse_training`] read files all or nothing, every problem as `FILE:LINE: COLUMN: message`;
//! the imports are idempotent by reference. `dataset=training` and `dataset=coverage` of the
//! indicators API count them (see `indicators::workforce`).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use crate::ImportSummary;
use crate::codes::CodeList;
use crate::import::columns::{Columns, Spec, area_cell, code_or_word, date_cell};
use crate::import::reading::fold;
use crate::import::{ImportError, Problems, Table, read_table};
use crate::store::SummaryAudit;

/// The code list of sectors.
pub const SECTORS: &str = "organisation_sector";
/// The code list of organisation types.
pub const TYPES: &str = "organisation_type";
/// The code list of roles an organisation holds.
pub const ROLES: &str = "organisation_role";
/// The code list of the four national competence frameworks.
pub const FRAMEWORKS: &str = "competency_framework";
/// The course catalogue, each course mapped to frameworks and competence areas.
pub const COURSES: &str = "course";

/// The value of a breakdown a row does not record (training with no organisation named).
pub const NOT_RECORDED: &str = "not_recorded";

/// A role held by an organisation from a day, until a day or still.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    /// A code of [`ROLES`].
    pub role: String,
    /// The first day it was held.
    pub from: NaiveDate,
    /// The last day it was held; `None` while it still is.
    pub to: Option<NaiveDate>,
}

impl Role {
    /// Whether the role was held on `day`.
    pub fn held_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.to.is_none_or(|t| day <= t)
    }
}

/// An organisation of the partnership's area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    /// Its reference, unique: a re-import updates the organisation by it.
    pub reference: String,
    /// Its name.
    pub name: String,
    /// A code of [`SECTORS`].
    pub sector: String,
    /// A code of [`TYPES`].
    #[serde(rename = "type")]
    pub org_type: String,
    /// The area it is in (an area code at any level).
    pub area: Option<String>,
    /// Its size: staff, pupils or members, as the partnership counts it.
    pub size: Option<u32>,
    /// The roles it has held, in the file's order.
    pub roles: Vec<Role>,
}

impl Organisation {
    /// Whether it held `role` on `day`.
    pub fn holds(&self, role: &str, day: NaiveDate) -> bool {
        self.roles.iter().any(|r| r.role == role && r.held_on(day))
    }
}

/// One session's (or one month's e-learning's) delegates from one organisation, or from no
/// named organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Training {
    /// The session's reference: the rows of one session share it, one per organisation.
    pub reference: String,
    /// The day of the session (for e-learning, of the completions).
    pub date: NaiveDate,
    /// A code of [`COURSES`].
    pub course: String,
    /// Who ran it.
    pub provider: Option<String>,
    /// Where it was, or the organisation's area.
    pub area: Option<String>,
    /// The delegates' organisation (its reference), if named.
    pub organisation: Option<String>,
    /// The delegates' sector: the organisation's, or as the file says.
    pub sector: Option<String>,
    /// Delegates trained (for e-learning, completions).
    pub delegates: u32,
    /// Evaluation forms returned.
    pub evaluations: Option<u32>,
    /// Mean confidence before, 0 to 10, over the evaluations.
    pub confidence_before: Option<f64>,
    /// Mean confidence after, 0 to 10.
    pub confidence_after: Option<f64>,
    /// Mean satisfaction, 1 to 5.
    pub satisfaction: Option<f64>,
}

impl Training {
    /// The row's key within the store: its session and organisation.
    pub fn key(&self) -> (String, String) {
        (
            self.reference.clone(),
            self.organisation.clone().unwrap_or_default(),
        )
    }
}

/// A course's entry in the catalogue: `key=value` parts of its `extra`.
fn course_part(course: &str, key: &str) -> Vec<&'static str> {
    crate::codes::list(COURSES)
        .get(course)
        .map_or_else(Vec::new, |c| {
            c.extra
                .split(';')
                .filter_map(|p| p.split_once('='))
                .filter(|(k, _)| k.trim() == key)
                .flat_map(|(_, v)| v.split_whitespace())
                .collect()
        })
}

/// The frameworks a course builds (codes of [`FRAMEWORKS`]).
pub fn frameworks_of(course: &str) -> Vec<&'static str> {
    course_part(course, "frameworks")
}

/// The competence areas a course covers.
pub fn competence_areas_of(course: &str) -> Vec<&'static str> {
    course_part(course, "areas")
}

/// Whether a course is e-learning (its delegates are completions).
pub fn is_elearning(course: &str) -> bool {
    course_part(course, "mode").contains(&"elearning")
}

/// A code of `list` read from a cell, or a problem naming the choices.
fn code_cell(
    list_name: &str,
    word: &str,
    line: u64,
    column: &str,
    problems: &mut Problems,
) -> Option<String> {
    let list: &'static CodeList = crate::codes::list(list_name);
    let found = code_or_word(list, word);
    if found.is_none() {
        problems.add(
            line,
            column,
            format!(
                "'{}' is not one of {}",
                crate::text::printable(word, 40),
                list.choices()
            ),
        );
    }
    found.map(str::to_owned)
}

/// A whole number from a cell (`1,200` reads as 1200), at most `max`.
fn count_cell(
    text: &str,
    max: u32,
    line: u64,
    column: &str,
    problems: &mut Problems,
) -> Option<u32> {
    match text.replace(',', "").trim().parse::<u32>() {
        Ok(n) if n <= max => Some(n),
        _ => {
            problems.add(
                line,
                column,
                format!(
                    "'{}' is not a whole number from 0 to {max}",
                    crate::text::printable(text, 20)
                ),
            );
            None
        }
    }
}

/// A mean score from a cell, within `range`.
fn score_cell(
    text: &str,
    range: std::ops::RangeInclusive<f64>,
    line: u64,
    column: &str,
    problems: &mut Problems,
) -> Option<f64> {
    match text.trim().parse::<f64>() {
        Ok(v) if range.contains(&v) => Some(v),
        _ => {
            problems.add(
                line,
                column,
                format!(
                    "'{}' is not a score from {} to {}",
                    crate::text::printable(text, 20),
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    }
}

/// A reference: at most 64 characters, once in a file (by `key`, case aside).
fn check_reference(
    reference: &str,
    key: &str,
    seen: &mut HashMap<String, u64>,
    line: u64,
    column: &str,
    problems: &mut Problems,
) {
    if reference.chars().count() > 64 {
        problems.add(line, column, "is longer than 64 characters");
    }
    if let Some(first) = seen.insert(key.to_lowercase(), line) {
        problems.add(line, column, format!("repeats line {first}"));
    }
}

/// The columns of an organisations file, with the other names they go by.
const ORG_COLUMNS: [Spec; 9] = [
    (
        "reference",
        &["ref", "id", "organisation id", "org id", "urn", "ods code"],
    ),
    (
        "name",
        &[
            "organisation",
            "organisation name",
            "organization name",
            "org name",
        ],
    ),
    ("sector", &[]),
    (
        "type",
        &["organisation type", "org type", "kind", "setting type"],
    ),
    ("area", &["area code", "local authority", "lad", "ward"]),
    (
        "size",
        &["staff", "pupils", "members", "headcount", "number on roll"],
    ),
    ("role", &["role held", "lead role", "roles"]),
    (
        "role_from",
        &["from", "since", "appointed", "start date", "role start"],
    ),
    ("role_to", &["to", "until", "end date", "role end"]),
];

/// The columns [`write_organisations`] writes and [`parse_organisations`] reads back.
pub fn organisation_columns() -> [&'static str; 9] {
    ORG_COLUMNS.map(|c| c.0)
}

/// Read an organisations file: one row per organisation, or one per role an organisation holds
/// (its reference repeated; its other cells on the later rows blank or the same). `known_area`
/// says whether an area code is held; `today` refuses a role taken up in the future.
///
/// # Errors
/// Every problem, each with its line and column; nothing is returned unless the whole file is
/// good.
pub fn parse_organisations(
    table: &Table,
    known_area: &dyn Fn(&str) -> bool,
    today: NaiveDate,
) -> Result<Vec<Organisation>, ImportError> {
    let mut problems = Problems::new(&table.file);
    let Some(cols) = Columns::locate(
        table,
        &ORG_COLUMNS,
        &["reference", "name", "sector", "type"],
        &mut problems,
    ) else {
        return problems.into_result(Vec::new());
    };
    let h = |n: &str| cols.header(n);
    let mut out: Vec<Organisation> = Vec::new();
    // Each reference's place in `out` and its first line.
    let mut index: HashMap<String, (usize, u64)> = HashMap::new();
    for (line, cells) in &table.rows {
        let line = *line;
        let c = cols.cells(line, cells, &mut problems);
        let Some(reference) = c.get("reference").cloned() else {
            problems.add(line, &h("reference"), "the reference is empty");
            continue;
        };
        let sector = c
            .get("sector")
            .and_then(|w| code_cell(SECTORS, w, line, &h("sector"), &mut problems));
        let org_type = c
            .get("type")
            .and_then(|w| code_cell(TYPES, w, line, &h("type"), &mut problems));
        let area = c
            .get("area")
            .and_then(|w| area_cell(w, known_area, line, &h("area"), &mut problems));
        let size = c
            .get("size")
            .and_then(|w| count_cell(w, 10_000_000, line, &h("size"), &mut problems));
        let role = read_role(&c, &cols, line, today, &mut problems);
        let key = reference.to_lowercase();
        if let Some(&(i, first)) = index.get(&key) {
            // A later row of the same organisation: its cells agree with the first, or are blank.
            let o = &mut out[i];
            let differs = |name: &str, mine: Option<String>, theirs: Option<String>| {
                (mine.is_some() && mine != theirs).then(|| name.to_owned())
            };
            for column in [
                differs("name", c.get("name").cloned(), Some(o.name.clone())),
                differs("sector", sector, Some(o.sector.clone())),
                differs("type", org_type, Some(o.org_type.clone())),
                differs("area", area, o.area.clone()),
                differs(
                    "size",
                    size.map(|s| s.to_string()),
                    o.size.map(|s| s.to_string()),
                ),
            ]
            .into_iter()
            .flatten()
            {
                problems.add(
                    line,
                    &h(&column),
                    format!(
                        "differs from line {first} of the same organisation (give it once, or the same)"
                    ),
                );
            }
            if let Some(role) = role {
                if let Some(r) = o.roles.iter().find(|r| {
                    r.role == role.role
                        && r.from <= role.to.unwrap_or(NaiveDate::MAX)
                        && role.from <= r.to.unwrap_or(NaiveDate::MAX)
                }) {
                    problems.add(
                        line,
                        &h("role_from"),
                        format!(
                            "{} is already held from {} on an earlier line: the dates overlap",
                            r.role, r.from
                        ),
                    );
                } else {
                    o.roles.push(role);
                }
            }
            continue;
        }
        if reference.chars().count() > 64 {
            problems.add(line, &h("reference"), "is longer than 64 characters");
        }
        let name = c.get("name").cloned();
        if name.is_none() {
            problems.add(line, &h("name"), "the organisation's name is empty");
        }
        if !c.contains_key("sector") {
            problems.add(line, &h("sector"), "the sector is empty");
        }
        if !c.contains_key("type") {
            problems.add(line, &h("type"), "the type of organisation is empty");
        }
        let (Some(name), Some(sector), Some(org_type)) = (name, sector, org_type) else {
            continue;
        };
        index.insert(key, (out.len(), line));
        out.push(Organisation {
            reference,
            name,
            sector,
            org_type,
            area,
            size,
            roles: role.into_iter().collect(),
        });
    }
    if out.is_empty() && problems.is_empty() {
        problems.add(1, &h("reference"), "the file holds no organisations");
    }
    problems.sort();
    problems.into_result(out)
}

/// The role a row gives, if any: its code, the day it was taken up (required) and the day it
/// ended (not before the first).
fn read_role(
    c: &HashMap<&'static str, String>,
    cols: &Columns<'_>,
    line: u64,
    today: NaiveDate,
    problems: &mut Problems,
) -> Option<Role> {
    let h = |n: &str| cols.header(n);
    let Some(word) = c.get("role") else {
        if c.contains_key("role_from") || c.contains_key("role_to") {
            problems.add(
                line,
                &h("role"),
                "a role's dates are given but not the role",
            );
        }
        return None;
    };
    let role = code_cell(ROLES, word, line, &h("role"), problems);
    let from = match c.get("role_from") {
        Some(t) => date_cell(t, today, false, line, &h("role_from"), problems),
        None => {
            problems.add(
                line,
                &h("role_from"),
                "the day the role was taken up is empty",
            );
            None
        }
    };
    let to = c
        .get("role_to")
        .and_then(|t| date_cell(t, today, true, line, &h("role_to"), problems));
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        problems.add(
            line,
            &h("role_to"),
            format!("{t} is before the role was taken up ({f})"),
        );
        return None;
    }
    Some(Role {
        role: role?,
        from: from?,
        to,
    })
}

/// Write organisations as CSV with [`organisation_columns`]: one row per role (an organisation
/// with none on one row), which [`parse_organisations`] reads back the same.
///
/// # Errors
/// A write failure.
pub fn write_organisations(orgs: &[Organisation], out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = crate::export::CsvWriter::new(out);
    w.write_record(organisation_columns())?;
    for o in orgs {
        let head = [
            o.reference.clone(),
            o.name.clone(),
            o.sector.clone(),
            o.org_type.clone(),
            o.area.clone().unwrap_or_default(),
            o.size.map(|s| s.to_string()).unwrap_or_default(),
        ];
        if o.roles.is_empty() {
            w.write_record(head.iter().cloned().chain([
                String::new(),
                String::new(),
                String::new(),
            ]))?;
        }
        for r in &o.roles {
            w.write_record(head.iter().cloned().chain([
                r.role.clone(),
                r.from.to_string(),
                r.to.map(|t| t.to_string()).unwrap_or_default(),
            ]))?;
        }
    }
    w.flush()
}

/// The columns of a training file, with the other names they go by.
const TRAINING_COLUMNS: [Spec; 12] = [
    (
        "reference",
        &[
            "session",
            "session id",
            "session ref",
            "ref",
            "id",
            "course id",
        ],
    ),
    (
        "date",
        &[
            "session date",
            "course date",
            "date of session",
            "completed",
        ],
    ),
    (
        "course",
        &["course name", "training", "programme", "module"],
    ),
    ("provider", &["trainer", "delivered by", "run by"]),
    ("area", &["area code", "venue area", "location"]),
    (
        "organisation",
        &[
            "organisation reference",
            "org",
            "org id",
            "organisation id",
            "organization",
            "employer",
            "organisation name",
        ],
    ),
    ("sector", &["delegate sector"]),
    (
        "delegates",
        &[
            "attendees",
            "number trained",
            "trained",
            "completions",
            "participants",
            "number",
        ],
    ),
    (
        "evaluations",
        &["evaluations returned", "responses", "forms returned"],
    ),
    (
        "confidence_before",
        &["confidence pre", "pre confidence", "mean confidence before"],
    ),
    (
        "confidence_after",
        &[
            "confidence post",
            "post confidence",
            "mean confidence after",
        ],
    ),
    (
        "satisfaction",
        &["mean satisfaction", "rating", "overall rating"],
    ),
];

/// The columns [`write_training`] writes and [`parse_training`] reads back.
pub fn training_columns() -> [&'static str; 12] {
    TRAINING_COLUMNS.map(|c| c.0)
}

/// The organisation a training row names: its reference, or its name when one organisation
/// has it (folded).
fn organisation_named<'o>(
    orgs: &'o [Organisation],
    word: &str,
) -> Result<&'o Organisation, String> {
    if let Some(o) = orgs.iter().find(|o| o.reference.eq_ignore_ascii_case(word)) {
        return Ok(o);
    }
    let f = fold(word);
    let named: Vec<&Organisation> = orgs.iter().filter(|o| fold(&o.name) == f).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "'{}' is not a known organisation's reference or name (import organisations first)",
            crate::text::printable(word, 60)
        )),
        more => Err(format!(
            "'{}' names {} organisations: give the reference",
            crate::text::printable(word, 60),
            more.len()
        )),
    }
}

/// Read a training file: one row per session and organisation (a session's reference repeated
/// for each organisation whose people came), or per month's e-learning completions. `orgs` are
/// the organisations held; `today` refuses a session in the future.
///
/// # Errors
/// Every problem, each with its line and column; nothing is returned unless the whole file is
/// good.
pub fn parse_training(
    table: &Table,
    orgs: &[Organisation],
    known_area: &dyn Fn(&str) -> bool,
    today: NaiveDate,
) -> Result<Vec<Training>, ImportError> {
    let mut problems = Problems::new(&table.file);
    let Some(cols) = Columns::locate(
        table,
        &TRAINING_COLUMNS,
        &["reference", "date", "course", "delegates"],
        &mut problems,
    ) else {
        return problems.into_result(Vec::new());
    };
    let h = |n: &str| cols.header(n);
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    // A session's day and course, from its first line: its rows must agree.
    let mut sessions: HashMap<String, (u64, Option<NaiveDate>, Option<String>)> = HashMap::new();
    for (line, cells) in &table.rows {
        let line = *line;
        let c = cols.cells(line, cells, &mut problems);
        let mut need = |name: &str, what: &str| {
            let t = c.get(name).cloned();
            if t.is_none() {
                problems.add(line, &h(name), format!("{what} is empty"));
            }
            t
        };
        let reference = need("reference", "the session's reference");
        let date_text = need("date", "the day of the session");
        let course_text = need("course", "the course");
        let delegates_text = need("delegates", "the number of delegates");
        let date =
            date_text.and_then(|t| date_cell(&t, today, false, line, &h("date"), &mut problems));
        let course =
            course_text.and_then(|w| code_cell(COURSES, &w, line, &h("course"), &mut problems));
        let delegates = delegates_text
            .and_then(|t| count_cell(&t, 100_000, line, &h("delegates"), &mut problems));
        let organisation = c.get("organisation").and_then(|w| {
            organisation_named(orgs, w)
                .map_err(|e| problems.add(line, &h("organisation"), e))
                .ok()
        });
        let sector_cell = c
            .get("sector")
            .and_then(|w| code_cell(SECTORS, w, line, &h("sector"), &mut problems));
        if let (Some(o), Some(s)) = (organisation, &sector_cell)
            && *s != o.sector
        {
            problems.add(
                line,
                &h("sector"),
                format!(
                    "{s} is not the sector of {} ({}): leave it blank to take the organisation's",
                    o.reference, o.sector
                ),
            );
        }
        let sector = organisation.map(|o| o.sector.clone()).or(sector_cell);
        let area = match c.get("area") {
            Some(w) => area_cell(w, known_area, line, &h("area"), &mut problems),
            None => organisation.and_then(|o| o.area.clone()),
        };
        let evaluations = c
            .get("evaluations")
            .and_then(|t| count_cell(t, 100_000, line, &h("evaluations"), &mut problems));
        let mut score = |name: &str, range| {
            c.get(name)
                .and_then(|t| score_cell(t, range, line, &h(name), &mut problems))
        };
        let confidence_before = score("confidence_before", 0.0..=10.0);
        let confidence_after = score("confidence_after", 0.0..=10.0);
        let satisfaction = score("satisfaction", 1.0..=5.0);
        let scored = [confidence_before, confidence_after, satisfaction]
            .iter()
            .any(Option::is_some);
        match (evaluations, delegates) {
            (Some(e), Some(d)) if e > d => problems.add(
                line,
                &h("evaluations"),
                format!("{e} evaluations is more than the {d} delegates"),
            ),
            (None | Some(0), _) if scored => problems.add(
                line,
                &h("evaluations"),
                "give how many evaluations the mean scores are over",
            ),
            _ => {}
        }
        if let Some(r) = &reference {
            let key = format!(
                "{r}\u{1f}{}",
                organisation.map_or("", |o| o.reference.as_str())
            );
            check_reference(r, &key, &mut seen, line, &h("reference"), &mut problems);
            let entry = sessions
                .entry(r.to_lowercase())
                .or_insert((line, date, course.clone()));
            if entry.0 != line && (entry.1 != date || entry.2 != course) {
                problems.add(
                    line,
                    &h("reference"),
                    format!(
                        "the session of line {} has another day or course: one session, one day and course",
                        entry.0
                    ),
                );
            }
        }
        let (Some(reference), Some(date), Some(course), Some(delegates)) =
            (reference, date, course, delegates)
        else {
            continue;
        };
        out.push(Training {
            reference,
            date,
            course,
            provider: c.get("provider").cloned(),
            area,
            organisation: organisation.map(|o| o.reference.clone()),
            sector,
            delegates,
            evaluations,
            confidence_before,
            confidence_after,
            satisfaction,
        });
    }
    if out.is_empty() && problems.is_empty() {
        problems.add(1, &h("reference"), "the file holds no training");
    }
    problems.sort();
    problems.into_result(out)
}

/// Write training as CSV with [`training_columns`], which [`parse_training`] reads back the
/// same.
///
/// # Errors
/// A write failure.
pub fn write_training(rows: &[Training], out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = crate::export::CsvWriter::new(out);
    w.write_record(training_columns())?;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<u32>| v.map(|a| a.to_string()).unwrap_or_default();
    let score = |v: Option<f64>| v.map(|a| a.to_string()).unwrap_or_default();
    for t in rows {
        w.write_record([
            t.reference.clone(),
            t.date.to_string(),
            t.course.clone(),
            opt(&t.provider),
            opt(&t.area),
            opt(&t.organisation),
            opt(&t.sector),
            t.delegates.to_string(),
            num(t.evaluations),
            score(t.confidence_before),
            score(t.confidence_after),
            score(t.satisfaction),
        ])?;
    }
    w.flush()
}

/// Import an organisations file: every organisation or none, updated by reference (its roles
/// replaced by the file's), with the audit entry (when `audit_by` is given) in the same
/// transaction.
///
/// # Errors
/// Problems in the file, or a store failure; in both cases nothing is written.
pub async fn import_organisations(
    store: &dyn crate::Store,
    path: &Path,
    dry_run: bool,
    today: NaiveDate,
    audit_by: Option<crate::import::AuditBy<'_>>,
) -> Result<ImportSummary, ImportError> {
    import_table(
        store,
        Kind::Organisations,
        &read_table(path)?,
        path,
        dry_run,
        today,
        audit_by,
    )
    .await
}

/// Import a training file: every row or none. A session's rows replace those held for it
/// (by its reference), so a corrected file is imported again as it is.
///
/// # Errors
/// Problems in the file, or a store failure; in both cases nothing is written.
pub async fn import_training(
    store: &dyn crate::Store,
    path: &Path,
    dry_run: bool,
    today: NaiveDate,
    audit_by: Option<crate::import::AuditBy<'_>>,
) -> Result<ImportSummary, ImportError> {
    import_table(
        store,
        Kind::Training,
        &read_table(path)?,
        path,
        dry_run,
        today,
        audit_by,
    )
    .await
}

/// What a workforce file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Organisations and their roles.
    Organisations,
    /// Training sessions and e-learning.
    Training,
}

impl Kind {
    /// `organisations` or `training`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Organisations => "organisations",
            Self::Training => "training",
        }
    }
}

/// Import a table already read (an upload, or a file): as [`import_organisations`] and
/// [`import_training`]; `path` names it in the audit log and as the rows' source.
///
/// # Errors
/// Problems in the table, or a store failure; in both cases nothing is written.
pub async fn import_table(
    store: &dyn crate::Store,
    kind: Kind,
    table: &Table,
    path: &Path,
    dry_run: bool,
    today: NaiveDate,
    audit_by: Option<crate::import::AuditBy<'_>>,
) -> Result<ImportSummary, ImportError> {
    let areas: HashSet<String> = store
        .areas(None)
        .await?
        .into_iter()
        .map(|a| a.code)
        .collect();
    let known = |c: &str| areas.contains(c);
    let source = crate::import::source_name(path);
    let audit = audit_by.map(|by| by.summary_entry(kind.audit_action(), path));
    let audit = audit.as_ref().map(|a| a as SummaryAudit<'_>);
    Ok(match kind {
        Kind::Organisations => {
            let orgs = parse_organisations(table, &known, today)?;
            store
                .upsert_organisations(&orgs, &source, dry_run, audit)
                .await?
        }
        Kind::Training => {
            let orgs = store.organisations().await?;
            let rows = parse_training(table, &orgs, &known, today)?;
            store
                .upsert_training(&rows, &source, dry_run, audit)
                .await?
        }
    })
}

impl Kind {
    fn audit_action(self) -> &'static str {
        match self {
            Self::Organisations => "organisations_import",
            Self::Training => "training_import",
        }
    }
}

#[cfg(test)]
mod tests;

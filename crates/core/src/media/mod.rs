//! Media monitoring: reports of suspected suicides in the press and online, each checked
//! against the Samaritans media guidelines (no detail of the method or the place, no
//! sensational language, no harmful picture, and where to get help), with the follow-up done
//! and, for the statutory core only, the register record it concerns.
//!
//! [`parse_reports`] reads a monitoring log all or nothing, every problem as
//! `FILE:LINE: COLUMN: message`; [`import_reports`] writes it, idempotent by reference.
//! `dataset=media` of the indicators API gives the share of reports that follow the
//! guidelines, or that breach one item, by period and outlet.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use crate::ImportSummary;
use crate::import::columns::{Columns, Spec, area_cell, date_cell};
use crate::import::reading::fold;
use crate::import::{ImportError, Problems, Table, read_table};
use crate::store::SummaryAudit;

/// The checklist, in order: each item's column, its words, and whether "yes" breaks the
/// guidelines (`true`) or follows them (`false`, helpline information).
pub const CHECKLIST: [(&str, &str, bool); 5] = [
    ("method_detail", "Described the method in detail", true),
    (
        "location_detail",
        "Named or pictured the place in detail",
        true,
    ),
    (
        "sensational_language",
        "Used sensational or stigmatising language",
        true,
    ),
    ("photo", "Used a harmful picture", true),
    ("helpline", "Gave where to get help", false),
];

/// A media report of a suspected suicide, checked against the guidelines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaReport {
    /// Its reference, unique: a re-import updates the report by it.
    pub reference: String,
    /// The outlet (newspaper, broadcaster, website).
    pub outlet: String,
    /// The day it was published.
    pub published: NaiveDate,
    /// Where it is.
    pub link: Option<String>,
    /// Its headline.
    pub headline: Option<String>,
    /// The area it concerns.
    pub area: Option<String>,
    /// The suspected suicide it concerns (statutory users only).
    pub record_id: Option<i64>,
    /// The method was described in detail.
    pub method_detail: bool,
    /// The place was named or pictured in detail.
    pub location_detail: bool,
    /// Sensational or stigmatising language was used.
    pub sensational_language: bool,
    /// A harmful picture was used.
    pub photo: bool,
    /// Where to get help was given.
    pub helpline: bool,
    /// What was done about it (a call to the editor, a letter, training offered).
    pub follow_up: Option<String>,
}

impl MediaReport {
    /// The answer to a checklist item by its column name.
    pub fn answer(&self, item: &str) -> bool {
        match item {
            "method_detail" => self.method_detail,
            "location_detail" => self.location_detail,
            "sensational_language" => self.sensational_language,
            "photo" => self.photo,
            "helpline" => self.helpline,
            _ => false,
        }
    }

    /// Whether it follows every item of the guidelines.
    pub fn compliant(&self) -> bool {
        CHECKLIST
            .iter()
            .all(|(item, _, breach_if_yes)| self.answer(item) != *breach_if_yes)
    }

    /// The items it breaks, in checklist order (no helpline information is a breach).
    pub fn breaches(&self) -> Vec<&'static str> {
        CHECKLIST
            .iter()
            .filter(|(item, _, breach_if_yes)| self.answer(item) == *breach_if_yes)
            .map(|(item, _, _)| *item)
            .collect()
    }
}

const COLUMNS: [Spec; 13] = [
    ("reference", &["ref", "id", "report id"]),
    (
        "outlet",
        &["publication", "newspaper", "source", "media outlet"],
    ),
    ("published", &["date", "date published", "publication date"]),
    ("link", &["url", "web address", "article link"]),
    ("headline", &["title", "article title"]),
    ("area", &["area code"]),
    ("record_id", &["register id", "record", "case id"]),
    (
        "method_detail",
        &["method", "method described", "method detail given"],
    ),
    (
        "location_detail",
        &["location", "location detail given", "place detail"],
    ),
    (
        "sensational_language",
        &["sensational", "language", "sensationalist language"],
    ),
    ("photo", &["image", "picture", "harmful image"]),
    (
        "helpline",
        &["helpline information", "signposting", "support information"],
    ),
    (
        "follow_up",
        &["follow up", "action taken", "actions", "response"],
    ),
];

/// The columns [`write_csv`] writes and [`parse_reports`] reads back.
pub fn csv_columns() -> [&'static str; 13] {
    COLUMNS.map(|c| c.0)
}

/// Yes or no, in the words logs use.
fn yes_no(s: &str) -> Result<bool, String> {
    match fold(s).as_str() {
        "yes" | "y" | "true" | "1" | "x" => Ok(true),
        "no" | "n" | "false" | "0" => Ok(false),
        _ => Err(format!(
            "'{}' is not yes or no",
            crate::text::printable(s, 30)
        )),
    }
}

/// Read a monitoring log. `known_area` says whether an area code is held; `known_record`
/// whether a suspected suicide of that id is; `today` refuses a report from the future.
///
/// # Errors
/// Every problem, each with its line and column; nothing is returned unless the whole file is
/// good.
pub fn parse_reports(
    table: &Table,
    known_area: &dyn Fn(&str) -> bool,
    known_record: &dyn Fn(i64) -> bool,
    today: NaiveDate,
) -> Result<Vec<MediaReport>, ImportError> {
    let mut problems = Problems::new(&table.file);
    let mut required = vec!["reference", "outlet", "published"];
    required.extend(CHECKLIST.iter().map(|c| c.0));
    let Some(cols) = Columns::locate(table, &COLUMNS, &required, &mut problems) else {
        return problems.into_result(Vec::new());
    };
    let h = |n: &str| cols.header(n);
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
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
        let reference = need("reference", "the reference");
        let outlet = need("outlet", "the outlet");
        let published = need("published", "the day it was published")
            .and_then(|t| date_cell(&t, today, false, line, &h("published"), &mut problems));
        let mut answers = [false; 5];
        let mut answered = true;
        for (i, (item, words, _)) in CHECKLIST.iter().enumerate() {
            match c.get(item).map(|t| yes_no(t)) {
                Some(Ok(v)) => answers[i] = v,
                Some(Err(e)) => {
                    problems.add(line, &h(item), e);
                    answered = false;
                }
                None => {
                    problems.add(
                        line,
                        &h(item),
                        format!("say yes or no: {}?", words.to_lowercase()),
                    );
                    answered = false;
                }
            }
        }
        let link = c.get("link").cloned().filter(|l| {
            let ok = (l.starts_with("https://") || l.starts_with("http://"))
                && l.contains('.')
                && !l.chars().any(char::is_whitespace);
            if !ok {
                problems.add(
                    line,
                    &h("link"),
                    format!(
                        "'{}' is not a web address: give it whole, beginning https://",
                        crate::text::printable(l, 60)
                    ),
                );
            }
            ok
        });
        let area = c
            .get("area")
            .and_then(|a| area_cell(a, known_area, line, &h("area"), &mut problems));
        let record_id = c
            .get("record_id")
            .and_then(|t| match t.trim().parse::<i64>() {
                Ok(id) if known_record(id) => Some(id),
                _ => {
                    problems.add(
                        line,
                        &h("record_id"),
                        format!(
                            "'{}' is not the id of a suspected suicide in the register",
                            crate::text::printable(t, 30)
                        ),
                    );
                    None
                }
            });
        if let Some(r) = &reference {
            if r.chars().count() > 64 {
                problems.add(line, &h("reference"), "is longer than 64 characters");
            }
            if let Some(first) = seen.insert(r.to_lowercase(), line) {
                problems.add(line, &h("reference"), format!("repeats line {first}"));
            }
        }
        let (Some(reference), Some(outlet), Some(published), true) =
            (reference, outlet, published, answered)
        else {
            continue;
        };
        let [
            method_detail,
            location_detail,
            sensational_language,
            photo,
            helpline,
        ] = answers;
        out.push(MediaReport {
            reference,
            outlet,
            published,
            link,
            headline: c.get("headline").cloned(),
            area,
            record_id,
            method_detail,
            location_detail,
            sensational_language,
            photo,
            helpline,
            follow_up: c.get("follow_up").cloned(),
        });
    }
    if out.is_empty() && problems.is_empty() {
        problems.add(1, &h("reference"), "the file holds no media reports");
    }
    problems.sort();
    problems.into_result(out)
}

/// Write reports as CSV with [`csv_columns`], which [`parse_reports`] reads back the same.
///
/// # Errors
/// A write failure.
pub fn write_csv(reports: &[MediaReport], out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = crate::export::CsvWriter::new(out);
    w.write_record(csv_columns())?;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let yn = |b: bool| if b { "yes" } else { "no" }.to_owned();
    for r in reports {
        w.write_record([
            r.reference.clone(),
            r.outlet.clone(),
            r.published.to_string(),
            opt(&r.link),
            opt(&r.headline),
            opt(&r.area),
            r.record_id.map(|i| i.to_string()).unwrap_or_default(),
            yn(r.method_detail),
            yn(r.location_detail),
            yn(r.sensational_language),
            yn(r.photo),
            yn(r.helpline),
            opt(&r.follow_up),
        ])?;
    }
    w.flush()
}

/// Import a monitoring log: every report or none, updated by reference, with the audit entry
/// (when `audit_by` is given) in the same transaction.
///
/// # Errors
/// Problems in the file, or a store failure; in both cases nothing is written.
pub async fn import_reports(
    store: &dyn crate::Store,
    path: &Path,
    dry_run: bool,
    today: NaiveDate,
    audit_by: Option<crate::import::AuditBy<'_>>,
) -> Result<ImportSummary, ImportError> {
    import_reports_table(store, &read_table(path)?, path, dry_run, today, audit_by).await
}

/// [`import_reports`] of a table already read (a file, or the page's form as a one-row table);
/// `path` names it in the audit log.
///
/// # Errors
/// As [`import_reports`].
pub async fn import_reports_table(
    store: &dyn crate::Store,
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
    // The register ids the file names, each looked up once.
    let mut ids = HashSet::new();
    if let Some(i) = table
        .headers
        .iter()
        .position(|h| ["record id", "register id", "record", "case id"].contains(&fold(h).as_str()))
    {
        for (_, row) in &table.rows {
            if let Some(Ok(id)) = row.get(i).map(|t| t.trim().parse::<i64>())
                && !ids.contains(&id)
                && store.record(&crate::register::SUICIDES, id).await.is_ok()
            {
                ids.insert(id);
            }
        }
    }
    let reports = parse_reports(
        table,
        &|c| areas.contains(c),
        &|id| ids.contains(&id),
        today,
    )?;
    let audit = audit_by.map(|by| by.summary_entry("media_import", path));
    Ok(store
        .upsert_media_reports(
            &reports,
            &crate::import::source_name(path),
            dry_run,
            audit.as_ref().map(|a| a as SummaryAudit<'_>),
        )
        .await?)
}

#[cfg(test)]
mod tests;

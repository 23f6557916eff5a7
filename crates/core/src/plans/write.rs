//! Writing plans out: JSON (the plans as they are), and CSV or XLSX in the template's columns,
//! so an exported plan imports again unchanged.

use std::io::Write;

use super::{Action, Plan, Section};

/// The template's columns, in order (see `docs/templates/plan.csv`).
pub const COLUMNS: &[&str] = &[
    "plan",
    "section",
    "section_title",
    "subsection",
    "outcome",
    "theme",
    "number",
    "action",
    "leads",
    "timescale",
    "parsed_due",
    "status",
    "status_note",
    "rag",
    "age_group",
    "priority_groups",
    "links",
    "measure",
    "indicator",
    "baseline",
    "baseline_period",
    "target",
    "direction",
    "target_date",
    "agreed_due",
];

fn outcome_text(section: &Section, action: &Action) -> String {
    let Some(o) = &action.outcome else {
        return String::new();
    };
    section
        .outcomes
        .iter()
        .find(|x| x.number.as_deref() == Some(o.as_str()))
        .map_or_else(|| o.clone(), |x| format!("{o} {}", x.text))
}

fn num(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// The template rows for plans: one row per action, and a further row for each measure after
/// the first.
pub fn rows(plans: &[Plan]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for p in plans {
        for (s, a) in p.actions() {
            let first = vec![
                p.title.clone(),
                s.number.clone(),
                s.title.clone(),
                a.subsection.clone().unwrap_or_default(),
                outcome_text(s, a),
                a.theme.clone().unwrap_or_default(),
                a.number.clone(),
                a.text.clone(),
                a.leads.join("; "),
                a.timescale.clone().unwrap_or_default(),
                a.due.map(|d| d.to_string()).unwrap_or_default(),
                a.status.clone().unwrap_or_default(),
                a.status_note.clone().unwrap_or_default(),
                a.rag.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                a.age_group
                    .map(|g| g.as_str().to_owned())
                    .unwrap_or_default(),
                a.priority_groups.join("; "),
                a.links.join("; "),
            ];
            let measures: Vec<Vec<String>> = a
                .measures
                .iter()
                .map(|m| {
                    vec![
                        m.text.clone(),
                        m.indicator
                            .as_ref()
                            .map(|b| b.compact())
                            .unwrap_or_default(),
                        num(m.baseline),
                        m.baseline_period.clone().unwrap_or_default(),
                        num(m.target),
                        m.direction
                            .map(|d| d.as_str().to_owned())
                            .unwrap_or_default(),
                        m.target_date.map(|d| d.to_string()).unwrap_or_default(),
                    ]
                })
                .collect();
            let blank_measure = vec![String::new(); 7];
            let mut row = first.clone();
            row.extend(measures.first().unwrap_or(&blank_measure).iter().cloned());
            row.push(a.agreed_due.map(|d| d.to_string()).unwrap_or_default());
            out.push(row);
            for m in measures.iter().skip(1) {
                // A continuation row: the plan and section, the action left blank.
                let mut row = vec![String::new(); first.len()];
                row[0].clone_from(&p.title);
                row[1].clone_from(&s.number);
                row[2].clone_from(&s.title);
                row.extend(m.iter().cloned());
                row.push(String::new());
                out.push(row);
            }
        }
    }
    out
}

/// Plans as CSV in the template's columns.
///
/// # Errors
/// When writing fails.
pub fn write_csv(plans: &[Plan], out: impl Write) -> std::io::Result<()> {
    let mut w = crate::export::CsvWriter::new(out);
    w.write_record(COLUMNS)?;
    for r in rows(plans) {
        w.write_record(&r)?;
    }
    w.flush()
}

/// Plans as JSON: `[{"title", "sections": [{"number", "title", "actions": [...]}]}]`.
///
/// # Errors
/// When writing fails.
pub fn write_json(plans: &[Plan], mut out: impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, plans)?;
    out.write_all(b"\n")
}

/// Plans as an XLSX workbook in the template's columns.
///
/// # Errors
/// When the workbook cannot be built.
pub fn xlsx_bytes(plans: &[Plan]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("plans")?;
    for (c, name) in COLUMNS.iter().enumerate() {
        sheet.write_string(0, c as u16, *name)?;
    }
    for (r, row) in rows(plans).iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, cell)?;
            }
        }
    }
    book.save_to_buffer()
}

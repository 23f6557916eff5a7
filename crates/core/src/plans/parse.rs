//! Reading plans from the files partnerships have: the CSV or XLSX template
//! (`docs/templates/plan.csv`) and document tables exported as text.
//!
//! Both go through one reader that works from structure, not from any one file's layout:
//!
//! - **Header rows** name the columns (AIM/OBJECTIVE, ACTIONS, MEASURE, LEAD, TIMESCALE, STATUS,
//!   Outcome, No., Age Group, ...), in any order and any case; a header may repeat (a new page,
//!   a new table) and may change between tables. An unnamed column is a theme column.
//! - **Headings** are rows with one cell: `2. Priority Groups - Veterans` starts or continues
//!   section 2; a heading that repeats a section's number with other words is a subsection
//!   (a priority group), and words every subsection shares ("Priority Groups - ") are dropped.
//! - **Outlines** without tables: numbered headings, `1.1` outcomes, `1.1.1` or lettered
//!   (`a)`) actions, bullets, and `Lead:`/`Timescale:`/`Status:` lines or a trailing
//!   `(Lead: ...; Timescale: ...)`.
//! - **Merged cells** arrive as blank cells: a blank outcome, theme or priority group repeats the
//!   one above. A row whose action is blank, or starts in lower case, continues the action above
//!   (a row broken across pages). Blank leads, timescales and statuses stay blank.
//! - Cells may hold HTML fragments (`<p>`, `<b>`, `<ul>`, `<br>`): paragraphs become lines, so
//!   a measures cell with three paragraphs gives three measures.
//!
//! Everything the reader cannot accept (an unknown status or age group, a duplicated action
//! number, a table row before any header) is reported as `FILE:LINE: COLUMN: message` and
//! nothing is imported. What it accepted but doubts (a link to an action the plan lacks, cells
//! beyond the header) comes back as warnings.

use std::collections::HashMap;
use std::path::Path;

use super::live::Binding;
use super::timescale::due_date;
use super::{Action, AgeGroup, Direction, Measure, Outcome, Plan, Rag, Section, is_number};
use crate::import::{ImportError, Problem, Problems, Table};

/// How a plan file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    /// A document table exported as text (tab-separated cells, headings, HTML fragments).
    Document,
    /// The CSV template (or any CSV with a header row).
    Csv,
    /// The XLSX template (first sheet).
    Xlsx,
}

impl PlanFormat {
    /// Parse `document|csv|xlsx`.
    ///
    /// # Errors
    /// A message listing the choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "document" | "text" => Ok(Self::Document),
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            other => Err(format!("format '{other}' is not one of document|csv|xlsx")),
        }
    }

    /// Detect from the file's name and first bytes.
    pub fn detect(file: &str, bytes: &[u8]) -> Self {
        let lower = file.to_ascii_lowercase();
        if bytes.starts_with(b"PK\x03\x04") || lower.ends_with(".xlsx") {
            Self::Xlsx
        } else if lower.ends_with(".csv") {
            Self::Csv
        } else {
            Self::Document
        }
    }
}

/// What the importer is told besides the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// The plan's title (otherwise its first heading).
    pub title: Option<String>,
    /// The area it covers.
    pub area: Option<String>,
    /// Its period (otherwise a `2024-25` in its title).
    pub period: Option<String>,
    /// The group that owns it.
    pub owner: Option<String>,
    /// The statuses an action may have.
    pub statuses: Vec<String>,
    /// Column roles the person gave (`--columns "Aim=outcome,Milestones=timescale"`): a
    /// header (as written, matched without case or punctuation) and the role's name.
    pub columns: Vec<(String, String)>,
    /// How section headings are written (`--sections "Priority {n}:"`), when the importer
    /// does not see them by itself.
    pub sections: Option<SectionPattern>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            title: None,
            area: None,
            period: None,
            owner: None,
            statuses: super::default_statuses(),
            columns: Vec::new(),
            sections: None,
        }
    }
}

/// The roles `--columns` may give a column, with what each holds.
pub const COLUMN_ROLES: &[(&str, &str)] = &[
    ("section", "the section's number"),
    ("section_title", "the section's title"),
    ("outcome", "the outcome, aim or objective the actions serve"),
    ("number", "the action's number"),
    ("action", "what will be done"),
    ("measure", "how success is measured"),
    ("lead", "who leads it"),
    ("timescale", "when it is due"),
    ("status", "where it has got to"),
    ("rag", "red, amber or green"),
    ("links", "other actions it depends on"),
    ("age_group", "the ages it is for"),
    ("priority_groups", "the groups it is for"),
    ("theme", "a theme or workstream"),
    ("ignore", "read past"),
];

fn role_by_name(name: &str) -> Option<Role> {
    Some(match name {
        "section" => Role::Section,
        "section_title" => Role::SectionTitle,
        "outcome" => Role::Outcome,
        "number" => Role::Number,
        "action" => Role::Action,
        "measure" => Role::Measure,
        "lead" => Role::Lead,
        "timescale" => Role::Timescale,
        "status" => Role::Status,
        "rag" => Role::Rag,
        "links" => Role::Links,
        "age_group" => Role::AgeGroup,
        "priority_groups" => Role::PriorityGroups,
        "theme" => Role::Theme,
        "ignore" => Role::Other,
        _ => return None,
    })
}

/// Read `--columns "Aim=outcome,Milestones=timescale"`.
///
/// # Errors
/// A part without `=`, or a role that is not one of [`COLUMN_ROLES`].
pub fn parse_columns(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((header, role)) = part.rsplit_once('=') else {
            return Err(format!("'{part}' is not HEADER=ROLE (such as Aim=outcome)"));
        };
        let role = role.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        if role_by_name(&role).is_none() {
            return Err(format!(
                "'{role}' is not a column role: use one of {}",
                COLUMN_ROLES
                    .iter()
                    .map(|(r, _)| *r)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out.push((header.trim().to_owned(), role));
    }
    if out.is_empty() {
        return Err("give at least one HEADER=ROLE".to_owned());
    }
    Ok(out)
}

/// How a plan writes its section headings: the words before the number and after it, as in
/// `Priority {n}:` or `Pillar {n} »`. The number may be digits or a Roman numeral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionPattern {
    before: String,
    after: String,
}

impl SectionPattern {
    /// Read a pattern holding `{n}` once.
    ///
    /// # Errors
    /// A pattern without `{n}`, or with it more than once.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let parts: Vec<&str> = pattern.split("{n}").collect();
        if parts.len() != 2 {
            return Err(format!(
                "'{pattern}' must hold {{n}} once, where the section's number goes (such as \"Priority {{n}}:\")"
            ));
        }
        Ok(Self {
            before: parts[0].trim_start().to_lowercase(),
            after: parts[1].trim().to_lowercase(),
        })
    }

    /// `(number, title)` of a heading written this way.
    fn matches(&self, text: &str) -> Option<(String, String)> {
        let t = text.trim();
        let lower = t.to_lowercase();
        if !lower.starts_with(&self.before) || lower.len() != t.len() {
            return None;
        }
        let rest = &t[self.before.len()..];
        let number: String = rest
            .chars()
            .take_while(|c| {
                c.is_ascii_digit() || (!self.before.is_empty() && "IVXLivxl".contains(*c))
            })
            .collect();
        let number = roman_or_digits(&number)?;
        let after_number = rest[rest
            .char_indices()
            .take_while(|(_, c)| c.is_ascii_digit() || "IVXLivxl".contains(*c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8())..]
            .trim_start();
        let after_lower = after_number.to_lowercase();
        if !after_lower.starts_with(&self.after) {
            return None;
        }
        let title = after_number[self.after.len()..]
            .trim()
            .trim_start_matches([':', '.', '-', '–', '—'])
            .trim();
        (!title.is_empty()).then(|| (number, title.to_owned()))
    }
}

/// `12` or a Roman numeral (`iv`, `XII`) as digits.
fn roman_or_digits(s: &str) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(s.trim_start_matches('0').to_owned()).filter(|n| !n.is_empty());
    }
    let value = |c: char| match c.to_ascii_lowercase() {
        'i' => Some(1),
        'v' => Some(5),
        'x' => Some(10),
        'l' => Some(50),
        _ => None,
    };
    let digits: Vec<u32> = s.chars().map(value).collect::<Option<_>>()?;
    let mut total = 0;
    for (i, d) in digits.iter().enumerate() {
        if digits.get(i + 1).is_some_and(|next| next > d) {
            total -= *d as i64;
        } else {
            total += *d as i64;
        }
    }
    (total > 0).then(|| total.to_string())
}

/// A plan as read, with what the reader doubted.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The plan.
    pub plan: Plan,
    /// Things accepted but worth a look, as `FILE:LINE: COLUMN: message`.
    pub warnings: Vec<Problem>,
}

/// Read a plan file.
///
/// # Errors
/// The file cannot be read, or has problems (each listed with its line).
pub fn read_plan(
    path: &Path,
    format: Option<PlanFormat>,
    opts: &PlanOptions,
) -> Result<Parsed, ImportError> {
    let file = path.display().to_string();
    let bytes = crate::import::read_bounded(path, &file)?;
    parse_plan_bytes(&file, &bytes, format, opts)
}

/// Read a plan from bytes (`file` names it in messages; its extension helps detection).
///
/// # Errors
/// Problems with their lines.
pub fn parse_plan_bytes(
    file: &str,
    bytes: &[u8],
    format: Option<PlanFormat>,
    opts: &PlanOptions,
) -> Result<Parsed, ImportError> {
    let format = format.unwrap_or_else(|| PlanFormat::detect(file, bytes));
    let rows = match format {
        PlanFormat::Document => document_rows(file, bytes)?,
        PlanFormat::Csv => table_rows(&Table::from_csv_bytes(file, bytes, None)?),
        PlanFormat::Xlsx => table_rows(&Table::from_xlsx_bytes(file, bytes.to_vec())?),
    };
    let mut refused = crate::import::Problems::new(file);
    for row in &rows {
        for cell in &row.cells {
            if let Some(c) = crate::text::forbidden_control(&cell.text) {
                refused.add(row.line, "-", crate::text::control_message(c));
            }
        }
    }
    refused.into_result(())?;
    let mut b = Builder::new(file, opts);
    for row in &rows {
        b.row(row);
    }
    b.finish()
}

/// One cell: its text (paragraphs as lines) and whether it was marked as a heading.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cell {
    text: String,
    strong: bool,
}

#[derive(Debug, Clone)]
struct Row {
    line: u64,
    cells: Vec<Cell>,
    indented: bool,
}

fn document_rows(file: &str, bytes: &[u8]) -> Result<Vec<Row>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    // Text that is not UTF-8 is Windows-1252, as Word and Excel save "plain text" in the UK.
    let decoded;
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            decoded = encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0;
            decoded.as_ref()
        }
    };
    if text.contains('\0') {
        return Err(ImportError::Unreadable {
            file: file.to_owned(),
            message: "is a binary file, not a document's text, CSV or XLSX".to_owned(),
        });
    }
    // Windows, Unix and old Mac line ends all end a line, so line numbers match an editor's.
    Ok(crate::text::normalise_newlines(text)
        .split('\n')
        .enumerate()
        .map(|(i, line_text)| Row {
            line: i as u64 + 1,
            cells: line_text.split('\t').map(clean_cell).collect(),
            indented: line_text.starts_with([' ', '\u{a0}']),
        })
        .collect())
}

fn table_rows(t: &Table) -> Vec<Row> {
    let mut rows = vec![Row {
        line: 1,
        cells: t.headers.iter().map(|h| clean_cell(h)).collect(),
        indented: false,
    }];
    rows.extend(t.rows.iter().map(|(line, r)| Row {
        line: *line,
        cells: r.iter().map(clean_cell).collect(),
        indented: false,
    }));
    rows
}

/// A cell's text: HTML tags removed (paragraph and list breaks kept as lines), entities
/// decoded, spaces collapsed; `strong` when the whole cell was bold or a markdown heading.
fn clean_cell(raw: &str) -> Cell {
    // Word writes a manual line break as a vertical tab and a page break as a form feed.
    let raw = raw.replace(['\u{b}', '\u{c}'], "\n");
    let trimmed = raw.trim();
    let lower = trimmed.to_ascii_lowercase();
    let strong = trimmed.starts_with('#')
        || ((lower.starts_with("<b>") || lower.starts_with("<strong>"))
            && (lower.ends_with("</b>") || lower.ends_with("</strong>")));
    let mut out = String::with_capacity(raw.len());
    let mut chars = trimmed.trim_start_matches('#').chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' {
            let mut tag = String::new();
            for t in chars.by_ref() {
                if t == '>' {
                    break;
                }
                tag.push(t);
            }
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            if matches!(
                name.as_str(),
                "p" | "br" | "li" | "ul" | "ol" | "div" | "tr" | "h1" | "h2" | "h3" | "h4"
            ) {
                out.push('\n');
            }
        } else if c == '•' {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    let text = decode_entities(&out)
        .split('\n')
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Cell { text, strong }
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Plan,
    Section,
    SectionTitle,
    Subsection,
    Outcome,
    Number,
    Action,
    Measure,
    Lead,
    Timescale,
    Status,
    Rag,
    StatusNote,
    Links,
    AgeGroup,
    PriorityGroups,
    Theme,
    Indicator,
    Baseline,
    BaselinePeriod,
    Target,
    Direction,
    TargetDate,
    AgreedDue,
    Other,
}

/// The role a header names, or `None` for an unnamed column (a theme, when it has values).
fn role_of(header: &str) -> Option<Role> {
    let h: String = header
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if h.is_empty() {
        return None;
    }
    let starts = |prefixes: &[&str]| {
        prefixes
            .iter()
            .any(|p| h == *p || h.starts_with(&format!("{p} ")) || h.starts_with(&format!("{p}/")))
    };
    let exact = |names: &[&str]| names.contains(&h.as_str());
    Some(if exact(&["plan", "plan title"]) {
        Role::Plan
    } else if exact(&["section", "section number", "section no", "priority number"]) {
        Role::Section
    } else if exact(&["section title", "section name", "priority title"]) {
        Role::SectionTitle
    } else if exact(&["subsection", "sub section", "subsection title"]) {
        Role::Subsection
    } else if exact(&[
        "no",
        "number",
        "ref",
        "action no",
        "action number",
        "action ref",
        "id",
    ]) {
        Role::Number
    } else if exact(&["indicator", "live indicator", "indicator binding"]) {
        Role::Indicator
    } else if exact(&["baseline"]) {
        Role::Baseline
    } else if exact(&["baseline period", "baseline year"]) {
        Role::BaselinePeriod
    } else if exact(&["target"]) {
        Role::Target
    } else if exact(&["direction", "better"]) {
        Role::Direction
    } else if exact(&["target date"]) {
        Role::TargetDate
    } else if exact(&["agreed due", "agreed due date"]) {
        Role::AgreedDue
    } else if exact(&["status note", "status notes"]) {
        Role::StatusNote
    } else if exact(&["parsed due", "notes", "note", "comments"]) {
        Role::Other
    } else if exact(&["rag", "rag status", "rag rating"]) {
        Role::Rag
    } else if starts(&[
        "outcome",
        "outcomes",
        "specific outcome",
        "specific outcomes",
        "intended outcome",
        "intended outcomes",
        "expected outcome",
        "expected outcomes",
        "aim",
        "aims",
        "objective",
        "objectives",
        "goal",
        "goals",
    ]) {
        Role::Outcome
    } else if starts(&[
        "action",
        "actions",
        "specific action",
        "activity",
        "activities",
        "task",
        "tasks",
        "what we will do",
        "deliverable",
        "deliverables",
        "key action",
        "key actions",
    ]) {
        Role::Action
    } else if starts(&[
        "measure",
        "measures",
        "success measure",
        "success measures",
        "kpi",
        "kpis",
        "how will we know",
        "how we will know",
        "how we will measure",
        "evidence",
        "monitoring",
        "monitoring data",
        "indicator of success",
        "indicators of success",
        "output",
        "outputs",
    ]) {
        Role::Measure
    } else if starts(&[
        "lead",
        "leads",
        "owner",
        "owners",
        "responsible",
        "who",
        "lead partner",
        "lead partners",
        "lead organisation",
        "lead organisations",
    ]) {
        Role::Lead
    } else if starts(&[
        "timescale",
        "timescales",
        "timeline",
        "timeframe",
        "deadline",
        "due",
        "due date",
        "by when",
        "when",
        "completion date",
        "milestone",
        "milestones",
        "date due",
    ]) {
        Role::Timescale
    } else if starts(&["status", "progress", "current status"]) {
        Role::Status
    } else if starts(&[
        "link",
        "links",
        "linked",
        "dependencies",
        "dependency",
        "references",
        "reference",
        "related",
    ]) {
        Role::Links
    } else if starts(&["age group", "age groups", "age"]) {
        Role::AgeGroup
    } else if starts(&[
        "priority group",
        "priority groups",
        "population",
        "populations",
        "target group",
        "target groups",
        "cohort",
    ]) {
        Role::PriorityGroups
    } else if starts(&[
        "recommendation",
        "recommendations",
        "theme",
        "themes",
        "workstream",
        "category",
        "area of focus",
    ]) {
        Role::Theme
    } else {
        Role::Other
    })
}

/// `1.2.3 text` → `("1.2.3", "text")`; the number may end in `.` or `)`.
fn split_number(t: &str) -> Option<(String, String)> {
    let end = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(t.len(), |(i, _)| i);
    let number = t[..end].trim_end_matches('.');
    if number.is_empty()
        || !number.starts_with(|c: char| c.is_ascii_digit())
        || number.contains("..")
    {
        return None;
    }
    let rest = t[end..].strip_prefix(')').unwrap_or(&t[end..]);
    if !rest.is_empty()
        && !rest.starts_with(char::is_whitespace)
        && end > 0
        && !t[..end].ends_with('.')
    {
        return None;
    }
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    Some((number.to_owned(), rest.trim().to_owned()))
}

/// `Priority 2: Title`, `Section 3 - Title`.
fn worded_section(t: &str) -> Option<(String, String)> {
    let lower = t.to_ascii_lowercase();
    for w in [
        "priority ",
        "section ",
        "theme ",
        "objective ",
        "workstream ",
        "strand ",
        "goal ",
        "part ",
    ] {
        if let Some(rest) = lower.strip_prefix(w) {
            let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if n.is_empty() {
                continue;
            }
            let after_number = &t[w.len() + n.len()..];
            let after = after_number.trim_start();
            let title = after.trim_start_matches([':', '.', '-', '–', '—']).trim();
            // `Objective 3: Title`, `Theme 2 - Title`, or `Objective 3 Title` with a capital.
            let separated = after.len() != title.len()
                || (after_number.starts_with(' ') && title.starts_with(char::is_uppercase));
            if !title.is_empty() && separated {
                return Some((n, title.to_owned()));
            }
        }
    }
    None
}

/// `a) text`, `(b) text`, `c. text` → `("a", "text")`.
fn lettered(t: &str) -> Option<(char, String)> {
    let s = t.strip_prefix('(').unwrap_or(t);
    let mut chars = s.chars();
    let letter = chars.next().filter(char::is_ascii_lowercase)?;
    let sep = chars.next()?;
    if sep != ')' && sep != '.' {
        return None;
    }
    let rest = chars.as_str();
    rest.starts_with(char::is_whitespace)
        .then(|| (letter, rest.trim().to_owned()))
}

fn bullet(t: &str) -> Option<String> {
    ["- ", "* ", "• ", "– "]
        .iter()
        .find_map(|p| t.strip_prefix(p))
        .map(|r| r.trim().to_owned())
}

/// Dash-separated parts of a heading.
fn segments(t: &str) -> Vec<String> {
    let mut parts = vec![t.to_owned()];
    for sep in [" - ", " – ", " — "] {
        parts = parts
            .iter()
            .flat_map(|p| p.split(sep).map(str::to_owned).collect::<Vec<_>>())
            .collect();
    }
    parts.into_iter().map(|p| p.trim().to_owned()).collect()
}

fn split_list(text: &str, seps: &[char]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in text.split(|c: char| c == '\n' || seps.contains(&c)) {
        let p = part.trim().trim_end_matches('.').trim();
        if !p.is_empty() && !out.iter().any(|x| x.eq_ignore_ascii_case(p)) {
            out.push(p.to_owned());
        }
    }
    out
}

fn leads_of(text: &str) -> Vec<String> {
    split_list(text, &['/', ';', ','])
}

fn starts_lower(t: &str) -> bool {
    t.starts_with(|c: char| c.is_lowercase())
}

const LINK_WORDS: &[&str] = &[
    "action", "actions", "link", "links", "linked", "see", "and", "with", "to", "of", "the",
];

/// Links in a links cell: the plan's own numbers (`2.3.1`) when the clause refers to the plan,
/// or the clause verbatim when it names something else ("Future in Mind Action 1.09").
fn links_of(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for clause in text
        .split(['\n', ';'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let words: Vec<&str> = clause.split_whitespace().collect();
        let first_number = words.iter().position(|w| {
            let w = w.trim_matches(|c: char| !c.is_ascii_digit() && c != '.');
            is_number(w.trim_end_matches('.'))
        });
        let Some(first) = first_number else {
            out.push(clause.to_owned());
            continue;
        };
        // Words before the first number, the first word aside (it starts the sentence): a
        // capitalised word that is not a linking word, or an acronym, names another document.
        let external = words[..first].iter().skip(1).any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            let lower = w.to_lowercase();
            w.starts_with(|c: char| c.is_uppercase()) && !LINK_WORDS.contains(&lower.as_str())
        }) || words.first().is_some_and(|w| {
            w.len() >= 2
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        });
        if external {
            out.push(clause.to_owned());
            continue;
        }
        for w in &words[first..] {
            let n = w
                .trim_matches(|c: char| !c.is_ascii_digit() && c != '.')
                .trim_end_matches('.');
            if is_number(n) && !out.iter().any(|x| x == n) {
                out.push(n.to_owned());
            }
        }
    }
    out
}

/// References in an action's words: `(NICE QS34 2-5)`, `(QS34 4&5)`.
fn references_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(')') else { break };
        let inner = after[..close].trim();
        let first = inner.split_whitespace().next().unwrap_or("");
        if inner.len() <= 40
            && first.len() >= 2
            && first
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && inner.chars().any(|c| c.is_ascii_digit())
        {
            out.push(inner.to_owned());
        }
        rest = &after[close..];
    }
    out
}

/// A `(Key: value; Key: value)` at the end of an outline item.
fn trailing_attributes(text: &str) -> Option<(String, Vec<(Role, String)>)> {
    let t = text.trim_end();
    let body = t.strip_suffix(')')?;
    let open = body.rfind('(')?;
    let inner = &body[open + 1..];
    let mut attrs = Vec::new();
    for part in inner.split(';') {
        let (k, v) = part.split_once(':')?;
        let role = role_of(k).filter(|r| *r != Role::Other)?;
        attrs.push((role, v.trim().to_owned()));
    }
    Some((body[..open].trim_end().to_owned(), attrs))
}

/// A `Key: value` line under an outline item.
fn attribute_line(text: &str) -> Option<(Role, String)> {
    let (k, v) = text.split_once(':')?;
    if k.len() > 24 {
        return None;
    }
    let role = role_of(k).filter(|r| !matches!(r, Role::Other | Role::Action | Role::Outcome))?;
    Some((role, v.trim().to_owned()))
}

struct Header {
    /// Each column's role; an unnamed column is a theme.
    roles: Vec<Role>,
    names: Vec<String>,
}

impl Header {
    fn parse(cells: &[Cell], given: &[(String, String)]) -> Option<Self> {
        let named: Vec<&Cell> = cells.iter().filter(|c| !c.text.is_empty()).collect();
        if named.len() < 2 || named.iter().any(|c| c.text.chars().count() > 60) {
            return None;
        }
        let fold = crate::import::reading::fold;
        let roles: Vec<Option<Role>> = cells
            .iter()
            .map(|c| {
                let folded = fold(&c.text);
                given
                    .iter()
                    .find(|(h, _)| !folded.is_empty() && fold(h) == folded)
                    .and_then(|(_, r)| role_by_name(r))
                    .map(|r| if r == Role::Other { Role::Other } else { r })
                    .or_else(|| role_of(&c.text))
            })
            .collect();
        let known = roles
            .iter()
            .filter(|r| matches!(r, Some(r) if *r != Role::Other))
            .count();
        let has_action = roles.contains(&Some(Role::Action));
        (has_action && known * 10 >= named.len() * 6).then(|| Self {
            roles: roles
                .into_iter()
                .map(|r| r.unwrap_or(Role::Theme))
                .collect(),
            names: cells
                .iter()
                .map(|c| {
                    if c.text.is_empty() {
                        "(unnamed)".to_owned()
                    } else {
                        c.text.split('\n').next().unwrap_or("").to_owned()
                    }
                })
                .collect(),
        })
    }

    fn role(&self, i: usize) -> Role {
        self.roles.get(i).copied().unwrap_or(Role::Other)
    }
}

struct Builder<'a> {
    file: &'a str,
    opts: &'a PlanOptions,
    problems: Problems,
    warnings: Problems,
    plan: Plan,
    title_set: bool,
    header: Option<Header>,
    section: Option<usize>,
    subsection: Option<String>,
    outcome: Option<String>,
    theme: Option<String>,
    groups: Vec<String>,
    last: Option<(usize, usize)>,
    lines: HashMap<String, u64>,
    link_lines: Vec<(String, String, u64)>,
    /// Actions are numbered afresh in each section (`1, 2` under each heading).
    afresh: bool,
}

impl<'a> Builder<'a> {
    fn new(file: &'a str, opts: &'a PlanOptions) -> Self {
        let stem = Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(file)
            .to_owned();
        Self {
            file,
            opts,
            problems: Problems::new(file),
            warnings: Problems::new(file),
            plan: Plan {
                title: opts.title.clone().unwrap_or(stem),
                area: opts.area.clone(),
                period: opts.period.clone(),
                owner: opts.owner.clone(),
                source: Path::new(file)
                    .file_name()
                    .and_then(|s| s.to_str())
                    .map(str::to_owned),
                statuses: opts.statuses.clone(),
                sections: Vec::new(),
            },
            title_set: opts.title.is_some(),
            header: None,
            section: None,
            subsection: None,
            outcome: None,
            theme: None,
            groups: Vec::new(),
            last: None,
            lines: HashMap::new(),
            link_lines: Vec::new(),
            afresh: false,
        }
    }

    fn row(&mut self, row: &Row) {
        let filled: Vec<(usize, &Cell)> = row
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.text.is_empty())
            .collect();
        if filled.is_empty() {
            return;
        }
        if filled
            .iter()
            .all(|(_, c)| c.text.chars().all(|ch| matches!(ch, '-' | ':' | '|' | '=')))
        {
            return; // a table rule: --- | ---
        }
        if let Some(h) = Header::parse(&row.cells, &self.opts.columns) {
            self.header = Some(h);
            self.outcome = None;
            self.theme = None;
            self.groups.clear();
            self.last = None;
            return;
        }
        if filled.len() == 1 {
            let (i, cell) = filled[0];
            let t = cell.text.trim();
            let heading_like = i == 0
                && (cell.strong
                    || self
                        .opts
                        .sections
                        .as_ref()
                        .is_some_and(|p| p.matches(t).is_some())
                    || worded_section(t).is_some()
                    || split_number(t).is_some_and(|(n, w)| n.len() <= 2 && !w.is_empty()));
            let in_data_column = self.header.as_ref().is_some_and(|h| {
                !matches!(h.role(i), Role::Outcome | Role::Theme | Role::Other)
                    || (h.role(i) == Role::Outcome && !cell.strong && i > 0)
            });
            if (heading_like || !in_data_column) && self.single(row, cell) {
                return;
            }
        }
        if self.header.is_some() {
            self.table_row(row);
        } else {
            self.problems.add(
                row.line,
                "-",
                "a table row before any header row; the table needs a header naming its columns (e.g. ACTIONS, LEAD, TIMESCALE, STATUS). If the plan names them other ways, say which is which with --columns \"Intervention=action,Partner=lead\", and how its sections are headed with --sections \"Pillar {n}:\"",
            );
        }
    }

    /// A one-cell row: a heading, an outline item, or prose. `false` when it is table data.
    fn single(&mut self, row: &Row, cell: &Cell) -> bool {
        let t = cell.text.replace('\n', " ");
        let t = t.trim();
        if let Some((number, title)) = self.opts.sections.as_ref().and_then(|p| p.matches(t)) {
            self.heading(&number, &title);
            return true;
        }
        if let Some((number, title)) = split_number(t) {
            let depth = number.split('.').count();
            if depth == 1 && number.len() <= 2 && !title.is_empty() {
                self.heading(&number, &title);
                return true;
            }
            if depth == 2 && !title.is_empty() && (self.header.is_none() || cell.strong) {
                self.outline_outcome(&number, &title);
                return true;
            }
            if depth >= 3 && self.header.is_none() {
                self.outline_action(Some(number), &title, row.line);
                return true;
            }
        }
        if let Some((number, title)) = worded_section(t) {
            self.heading(&number, &title);
            return true;
        }
        if self.header.is_none() && self.section.is_some() {
            if let Some((letter, text)) = lettered(t) {
                let parent = self
                    .outcome
                    .clone()
                    .filter(|o| is_number(o))
                    .or_else(|| self.section.map(|s| self.plan.sections[s].number.clone()))
                    .unwrap_or_default();
                self.outline_action(Some(format!("{parent}.{letter}")), &text, row.line);
                return true;
            }
            if let Some(text) = bullet(t) {
                self.outline_action(None, &text, row.line);
                return true;
            }
            if let Some((role, value)) = attribute_line(t)
                && self.last.is_some()
            {
                self.apply(role, &value, row.line, true);
                return true;
            }
        }
        if !self.title_set {
            self.plan.title = t.to_owned();
            self.title_set = true;
            if self.plan.period.is_none() {
                self.plan.period = period_in(t);
            }
            return true;
        }
        if self.header.is_some() && !cell.strong {
            return false;
        }
        match self.section {
            Some(s) if cell.strong => self.enter_subsection(s, t.to_owned()),
            Some(_) if row.indented && self.last.is_some() => {
                if let Some(a) = self.last_action() {
                    a.text.push(' ');
                    a.text.push_str(t);
                }
            }
            Some(s) => self.plan.sections[s].notes.push(t.to_owned()),
            None => self.metadata(t),
        }
        true
    }

    fn metadata(&mut self, t: &str) {
        if let Some((k, v)) = t.split_once(':') {
            let v = v.trim().to_owned();
            match k.trim().to_ascii_lowercase().as_str() {
                "period" if self.opts.period.is_none() => self.plan.period = Some(v),
                "owner" | "owning group" | "oversight group" if self.opts.owner.is_none() => {
                    self.plan.owner = Some(v);
                }
                "area" if self.opts.area.is_none() => self.plan.area = Some(v),
                _ => {}
            }
        }
    }

    fn heading(&mut self, number: &str, title: &str) {
        let title = title.trim().trim_end_matches(':').trim().to_owned();
        self.outcome = None;
        self.theme = None;
        self.groups.clear();
        self.last = None;
        if let Some(i) = self.plan.sections.iter().position(|s| s.number == number) {
            self.section = Some(i);
            // Titles change only in `finish`, so this is the section's first heading.
            let first = self.plan.sections[i].title.to_lowercase();
            let lower = title.to_lowercase();
            let rest = lower
                .strip_prefix(&first)
                .map(|r| r.trim_matches(|c: char| !c.is_alphanumeric()));
            if matches!(rest, Some("" | "cont" | "continued" | "contd")) {
                self.subsection = None;
            } else {
                self.enter_subsection(i, title);
            }
        } else {
            self.plan.sections.push(Section {
                number: number.to_owned(),
                title,
                subsections: Vec::new(),
                outcomes: Vec::new(),
                notes: Vec::new(),
                actions: Vec::new(),
            });
            self.section = Some(self.plan.sections.len() - 1);
            self.subsection = None;
        }
    }

    /// Actions from here on sit under this subsection of section `s`.
    fn enter_subsection(&mut self, s: usize, title: String) {
        let subsections = &mut self.plan.sections[s].subsections;
        if !subsections.contains(&title) {
            subsections.push(title.clone());
        }
        self.subsection = Some(title);
    }

    fn ensure_section(&mut self) -> usize {
        if let Some(s) = self.section {
            return s;
        }
        self.heading("1", "Actions");
        self.section.unwrap_or(0)
    }

    fn outline_outcome(&mut self, number: &str, text: &str) {
        let s = self.ensure_section();
        let text = text
            .strip_prefix("Outcome:")
            .or_else(|| text.strip_prefix("Aim:"))
            .unwrap_or(text)
            .trim()
            .to_owned();
        self.add_outcome(s, Some(number.to_owned()), text);
        self.outcome = Some(number.to_owned());
    }

    fn add_outcome(&mut self, s: usize, number: Option<String>, text: String) {
        let sec = &mut self.plan.sections[s];
        if !sec
            .outcomes
            .iter()
            .any(|o| o.number == number && o.text == text)
        {
            sec.outcomes.push(Outcome { number, text });
        }
    }

    fn outline_action(&mut self, number: Option<String>, text: &str, line: u64) {
        let (text, attrs) =
            trailing_attributes(text).unwrap_or_else(|| (text.to_owned(), Vec::new()));
        if !self.new_action(number, &text, line) {
            return;
        }
        for (role, value) in attrs {
            self.apply(role, &value, line, true);
        }
    }

    /// Start an action; `false` (with a problem) when its number is taken.
    fn new_action(&mut self, number: Option<String>, text: &str, line: u64) -> bool {
        let s = self.ensure_section();
        let number = number.unwrap_or_else(|| {
            let sec = &self.plan.sections[s];
            let mut n = sec.actions.len() + 1;
            loop {
                let candidate = format!("{}.{n}", sec.number);
                if !self.lines.contains_key(&candidate) {
                    break candidate;
                }
                n += 1;
            }
        });
        if let Some(first) = self.lines.get(&number) {
            self.problems.add(
                line,
                "No.",
                format!("action {number} appears twice (first on line {first})"),
            );
            self.last = None;
            return false;
        }
        self.lines.insert(number.clone(), line);
        let mut a = Action::new(number, text);
        a.outcome.clone_from(&self.outcome);
        a.theme.clone_from(&self.theme);
        a.subsection.clone_from(&self.subsection);
        a.priority_groups.extend(self.subsection.iter().cloned());
        for g in &self.groups {
            if !a.priority_groups.contains(g) {
                a.priority_groups.push(g.clone());
            }
        }
        for r in references_in(text) {
            if !a.links.contains(&r) {
                a.links.push(r);
            }
        }
        let sec = &mut self.plan.sections[s];
        sec.actions.push(a);
        self.last = Some((s, sec.actions.len() - 1));
        true
    }

    /// A bare action number (`1`) in a plan that numbers actions afresh in each section, as
    /// `section.n`. A plan is taken to number afresh when a bare number comes round again in a
    /// later section; the bare numbers before that are qualified then.
    fn qualify(&mut self, number: String) -> String {
        let bare = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        let Some(s) = self.section.filter(|_| bare) else {
            return number;
        };
        if !self.afresh {
            let taken_elsewhere = self
                .plan
                .sections
                .iter()
                .enumerate()
                .any(|(i, sec)| i != s && sec.actions.iter().any(|a| a.number == number));
            if !taken_elsewhere {
                return number;
            }
            self.afresh = true;
            for sec in &mut self.plan.sections {
                for a in &mut sec.actions {
                    if a.number.bytes().all(|b| b.is_ascii_digit()) {
                        let new = format!("{}.{}", sec.number, a.number);
                        if let Some(line) = self.lines.remove(&a.number) {
                            self.lines.insert(new.clone(), line);
                        }
                        a.number = new;
                    }
                }
            }
        }
        format!("{}.{number}", self.plan.sections[s].number)
    }

    fn last_action(&mut self) -> Option<&mut Action> {
        let (s, i) = self.last?;
        self.plan.sections.get_mut(s)?.actions.get_mut(i)
    }

    fn column_name(&self, role: Role) -> String {
        self.header
            .as_ref()
            .and_then(|h| {
                h.roles
                    .iter()
                    .position(|r| *r == role)
                    .and_then(|i| h.names.get(i).cloned())
            })
            .unwrap_or_else(|| format!("{role:?}").to_uppercase())
    }

    /// Set (or, continuing, add to) one field of the last action.
    fn apply(&mut self, role: Role, value: &str, line: u64, fresh: bool) {
        let column = self.column_name(role);
        let statuses = self.plan.statuses.clone();
        let mut problem: Option<String> = None;
        let mut link_numbers = Vec::new();
        let Some(a) = self.last_action() else { return };
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        match role {
            Role::Action => {
                a.text.push(if starts_lower(value) { ' ' } else { '\n' });
                a.text.push_str(value);
            }
            Role::Measure => {
                for (k, m) in value.split('\n').enumerate() {
                    match a.measures.last_mut() {
                        Some(last) if k == 0 && !fresh && starts_lower(m) => {
                            last.text.push(' ');
                            last.text.push_str(m);
                        }
                        _ => a.measures.push(Measure::text(m)),
                    }
                }
            }
            Role::Lead => {
                for (k, l) in leads_of(value).into_iter().enumerate() {
                    let join = k == 0 && !fresh && starts_lower(&l) && !a.leads.is_empty();
                    if join {
                        if let Some(last) = a.leads.last_mut() {
                            last.push(' ');
                            last.push_str(&l);
                        }
                    } else if !a.leads.iter().any(|x| x.eq_ignore_ascii_case(&l)) {
                        a.leads.push(l);
                    }
                }
            }
            Role::Timescale => {
                let joined = value.split('\n').collect::<Vec<_>>().join("; ");
                a.timescale = Some(match a.timescale.take() {
                    Some(t) if !fresh => format!("{t}; {joined}"),
                    _ => joined,
                });
                a.due = a
                    .agreed_due
                    .or_else(|| a.timescale.as_deref().and_then(due_date));
            }
            // A due date agreed in an update, as an export writes it: it moves the timescale's.
            Role::AgreedDue => match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                Ok(d) => {
                    a.agreed_due = Some(d);
                    a.due = Some(d);
                }
                Err(_) => problem = Some(format!("'{value}' is not a date (YYYY-MM-DD)")),
            },
            Role::Status => match parse_status(value, &statuses) {
                Ok((status, note, rag)) => {
                    if status.is_some() {
                        a.status = status;
                        a.status_note = note;
                    }
                    if rag.is_some() {
                        a.rag = rag;
                    }
                }
                Err(m) => problem = Some(m),
            },
            Role::StatusNote => a.status_note = Some(value.to_owned()),
            Role::Rag => match Rag::parse(value) {
                Some(r) => a.rag = Some(r),
                None => problem = Some(format!("'{value}' is not red, amber or green")),
            },
            Role::Links => {
                for l in links_of(value) {
                    if is_number(&l) {
                        link_numbers.push(l.clone());
                    }
                    if !a.links.contains(&l) {
                        a.links.push(l);
                    }
                }
            }
            Role::AgeGroup => match AgeGroup::parse(value) {
                Some(g) => a.age_group = Some(g),
                None => {
                    problem = Some(format!(
                        "'{value}' is not an age group (children and young people or CYP; adults; all ages or both)"
                    ));
                }
            },
            Role::PriorityGroups => {
                for g in split_list(value, &[',', ';']) {
                    if !a.priority_groups.contains(&g) {
                        a.priority_groups.push(g);
                    }
                }
            }
            Role::Indicator => match Binding::parse(value).and_then(|b| {
                // The built-in source is checked now; others are checked where they are
                // registered (the server), since the file cannot know them.
                if b.source == "indicators" {
                    super::live::Sources::default().check(&b)?;
                }
                Ok(b)
            }) {
                Ok(b) => match a.measures.last_mut() {
                    Some(m) => m.indicator = Some(b),
                    None => {
                        problem = Some(
                            "an indicator needs a measure's words in the MEASURE column".to_owned(),
                        )
                    }
                },
                Err(m) => problem = Some(m),
            },
            Role::Baseline | Role::Target => match value.replace(',', "").parse::<f64>() {
                Ok(v) if v.is_finite() => match a.measures.last_mut() {
                    Some(m) if role == Role::Baseline => m.baseline = Some(v),
                    Some(m) => m.target = Some(v),
                    None => {
                        problem = Some("needs a measure's words in the MEASURE column".to_owned())
                    }
                },
                _ => problem = Some(format!("'{value}' is not a number")),
            },
            Role::BaselinePeriod => {
                if let Some(m) = a.measures.last_mut() {
                    m.baseline_period = Some(value.to_owned());
                }
            }
            Role::Direction => match Direction::parse(value) {
                Some(d) => {
                    if let Some(m) = a.measures.last_mut() {
                        m.direction = Some(d);
                    }
                }
                None => problem = Some(format!("'{value}' is not one of down|up")),
            },
            Role::TargetDate => match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .ok()
                .or_else(|| due_date(value))
            {
                Some(d) => {
                    if let Some(m) = a.measures.last_mut() {
                        m.target_date = Some(d);
                    }
                }
                None => problem = Some(format!("'{value}' is not a date (YYYY-MM-DD)")),
            },
            _ => {}
        }
        let number = a.number.clone();
        if let Some(m) = problem {
            self.problems.add(line, &column, m);
        }
        for l in link_numbers {
            self.link_lines.push((number.clone(), l, line));
        }
    }

    fn table_row(&mut self, row: &Row) {
        let Some(header) = self.header.as_ref() else {
            return;
        };
        let template = header.roles.contains(&Role::Section);
        let mut by_role: Vec<(Role, String)> = Vec::new();
        for (i, c) in row.cells.iter().enumerate() {
            if c.text.is_empty() {
                continue;
            }
            if i >= header.roles.len() {
                self.warnings.add(
                    row.line,
                    "-",
                    format!(
                        "cell {} is beyond the header's {} columns and was left out: '{}'",
                        i + 1,
                        header.roles.len(),
                        c.text.chars().take(60).collect::<String>()
                    ),
                );
                continue;
            }
            let role = header.role(i);
            match by_role.iter_mut().find(|(r, _)| *r == role) {
                Some((_, t)) => {
                    t.push('\n');
                    t.push_str(&c.text);
                }
                None => by_role.push((role, c.text.clone())),
            }
        }
        let get = |r: Role| {
            by_role
                .iter()
                .find(|(x, _)| *x == r)
                .map(|(_, t)| t.clone())
        };
        if let Some(p) = get(Role::Plan)
            && !self.title_set
        {
            self.plan.title = p;
            self.title_set = true;
        }
        if let Some(n) = get(Role::Section) {
            let (number, title) = split_number(&n).unwrap_or((n.clone(), String::new()));
            let title = get(Role::SectionTitle)
                .or_else(|| (!title.is_empty()).then_some(title))
                .unwrap_or_else(|| format!("Section {number}"));
            let same = self
                .section
                .is_some_and(|s| self.plan.sections[s].number == number);
            if !same {
                let header = self.header.take();
                self.heading(&number, &title);
                self.header = header;
            }
        }
        if let Some(sub) = get(Role::Subsection) {
            let s = self.ensure_section();
            if self.subsection.as_deref() != Some(sub.as_str()) {
                self.enter_subsection(s, sub);
            }
        }
        let outcome_cell = get(Role::Outcome);
        if let Some(o) = &outcome_cell {
            let s = self.ensure_section();
            let text = o.replace('\n', " ");
            let (number, words) = match split_number(&text) {
                Some((n, w)) if is_number(&n) && !w.is_empty() => (Some(n), w),
                _ => (None, text.clone()),
            };
            self.outcome = Some(number.clone().unwrap_or_else(|| words.clone()));
            self.add_outcome(s, number, words);
        }
        if let Some(t) = get(Role::Theme) {
            self.theme = Some(t.replace('\n', " "));
        }
        if let Some(g) = get(Role::PriorityGroups) {
            self.groups = split_list(&g, &[',', ';']);
        }
        let number = get(Role::Number).map(|n| n.trim().trim_end_matches('.').to_owned());
        let text = get(Role::Action);
        let continuing = |t: &Option<String>| {
            number.is_none() && outcome_cell.is_none() && t.as_deref().is_none_or(starts_lower)
        };
        if continuing(&text) && self.last.is_some() {
            let fields: Vec<(Role, String)> = by_role
                .iter()
                .filter(|(r, _)| !matches!(r, Role::Theme | Role::Outcome | Role::PriorityGroups))
                .cloned()
                .collect();
            if !fields.is_empty() {
                // In the template a continuation row adds a measure; in a document it may be
                // the rest of a cell broken across pages.
                for (role, value) in fields {
                    self.apply(role, &value, row.line, template);
                }
                return;
            }
        }
        let Some(mut text) = text else {
            if let Some(n) = number {
                self.problems.add(
                    row.line,
                    &self.column_name(Role::Action),
                    format!("action {n} has no words"),
                );
            }
            return;
        };
        let mut number = number;
        if number.is_none()
            && let Some((n, rest)) = split_number(&text)
            && is_number(&n)
            && !rest.is_empty()
        {
            number = Some(n);
            text = rest;
        }
        let number = number.map(|n| self.qualify(n));
        if !self.new_action(number, &text, row.line) {
            return;
        }
        for (role, value) in by_role {
            if !matches!(
                role,
                Role::Action
                    | Role::Number
                    | Role::Outcome
                    | Role::Theme
                    | Role::Plan
                    | Role::Section
                    | Role::SectionTitle
                    | Role::Subsection
                    | Role::PriorityGroups
                    | Role::Other
            ) {
                self.apply(role, &value, row.line, true);
            }
        }
    }

    /// Drop the words every subsection heading of a section shares ("Priority Groups - ").
    fn name_subsections(&mut self) {
        for sec in &mut self.plan.sections {
            if sec.subsections.is_empty() {
                continue;
            }
            let first = sec.title.clone();
            let subs = sec.subsections.clone();
            let mut count: HashMap<String, usize> = HashMap::new();
            for h in std::iter::once(&first).chain(subs.iter()) {
                let seg = segments(h);
                if seg.len() >= 2 {
                    *count.entry(seg[0].to_lowercase()).or_default() += 1;
                }
            }
            let shorten = |h: &str| -> Option<String> {
                let seg = segments(h);
                (seg.len() >= 2 && count.get(&seg[0].to_lowercase()).copied().unwrap_or(0) >= 2)
                    .then(|| seg[1..].join(" - "))
            };
            let mut rename: HashMap<String, String> = HashMap::new();
            for s in &subs {
                if let Some(n) = shorten(s) {
                    rename.insert(s.clone(), n);
                }
            }
            let mut lead_in: Option<String> = None;
            if let Some(rest) = shorten(&first) {
                sec.title = segments(&first)[0].clone();
                lead_in = Some(rest);
            }
            for s in &mut sec.subsections {
                if let Some(n) = rename.get(s) {
                    s.clone_from(n);
                }
            }
            if let Some(l) = &lead_in {
                sec.subsections.insert(0, l.clone());
            }
            for a in &mut sec.actions {
                match &a.subsection {
                    Some(s) => {
                        if let Some(n) = rename.get(s) {
                            for g in &mut a.priority_groups {
                                if g == s {
                                    g.clone_from(n);
                                }
                            }
                            a.subsection = Some(n.clone());
                        }
                    }
                    None => {
                        if let Some(l) = &lead_in {
                            a.subsection = Some(l.clone());
                            a.priority_groups.insert(0, l.clone());
                        }
                    }
                }
            }
        }
    }

    fn finish(mut self) -> Result<Parsed, ImportError> {
        self.name_subsections();
        if self.plan.action_count() == 0 && self.problems.is_empty() {
            self.problems.add(
                1,
                "-",
                "no actions found: expected a header row naming columns such as ACTIONS, LEAD, TIMESCALE, or numbered headings with numbered or lettered actions. Say which column is which with --columns \"Intervention=action,Partner=lead\", and how sections are headed with --sections \"Pillar {n}:\"",
            );
        }
        let numbers: std::collections::HashSet<String> = self
            .plan
            .actions()
            .flat_map(|(s, a)| {
                [a.number.clone()]
                    .into_iter()
                    .chain(s.outcomes.iter().filter_map(|o| o.number.clone()))
            })
            .collect();
        for (from, to, line) in std::mem::take(&mut self.link_lines) {
            if !numbers.contains(&to) {
                self.warnings.add(
                    line,
                    "links",
                    format!("action {from} links to {to}, which is not an action or outcome of this plan"),
                );
            }
        }
        if self.plan.title.trim().is_empty() {
            self.plan.title = self.file.to_owned();
        }
        if self.plan.period.is_none() {
            self.plan.period = period_in(&self.plan.title);
        }
        let mut problems = self.problems;
        problems.sort();
        let mut warnings = self.warnings;
        warnings.sort();
        let plan = problems.into_result(self.plan)?;
        Ok(Parsed {
            plan,
            warnings: warnings.into_list(),
        })
    }
}

/// What a status cell says: the status, its words when they say more, and a RAG.
type StatusCell = (Option<String>, Option<String>, Option<Rag>);

/// The status a cell names, the cell verbatim when it says more, and a RAG when it is one.
fn parse_status(text: &str, statuses: &[String]) -> Result<StatusCell, String> {
    let t = text.replace('\n', " ");
    let t = t.trim();
    if let Some(r) = Rag::parse(t) {
        return Ok((None, None, Some(r)));
    }
    let lower = t.to_lowercase();
    let mut sorted: Vec<&String> = statuses.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in &sorted {
        let s_lower = s.to_lowercase();
        if lower == s_lower {
            return Ok((Some((*s).clone()), None, None));
        }
        if lower.starts_with(&s_lower)
            && !lower[s_lower.len()..].starts_with(|c: char| c.is_alphanumeric())
        {
            return Ok((Some((*s).clone()), Some(t.to_owned()), None));
        }
    }
    let synonym = match lower.trim_end_matches('.') {
        "in progress" | "on track" | "started" | "ongoing" | "in hand" => Some("underway"),
        "completed" | "done" | "achieved" | "closed" => Some("complete"),
        "not yet started" | "not begun" => Some("not started"),
        "on hold" => Some("paused"),
        "withdrawn" | "stopped" => Some("cancelled"),
        _ => None,
    };
    if let Some(s) = synonym.and_then(|s| statuses.iter().find(|x| x.eq_ignore_ascii_case(s))) {
        return Ok((Some(s.clone()), Some(t.to_owned()), None));
    }
    Err(format!(
        "'{t}' is not one of the plan's statuses ({}); give the plan's own list with --statuses",
        statuses.join(", ")
    ))
}

/// `2024-25`, `2024 -25`, `2024/25`, `2025-2028` in a title.
fn period_in(t: &str) -> Option<String> {
    let b = t.as_bytes();
    for i in 0..b.len().saturating_sub(3) {
        if b[i..i + 4].iter().all(u8::is_ascii_digit) && (i == 0 || !b[i - 1].is_ascii_digit()) {
            let rest = t[i + 4..].trim_start();
            if let Some(r) = rest.strip_prefix(['-', '/', '–']) {
                let r = r.trim_start();
                let n: String = r.chars().take_while(char::is_ascii_digit).collect();
                if n.len() == 2 || n.len() == 4 {
                    return Some(format!("{}-{n}", &t[i..i + 4]));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_lose_their_markup_but_keep_paragraphs() {
        let c = clean_cell("<p>Promote the support.</p> <p>Map it &amp; review.</p>");
        assert_eq!(c.text, "Promote the support.\nMap it & review.");
        assert!(!c.strong);
        let c = clean_cell("<b>1. Primary prevention</b>");
        assert_eq!(c.text, "1. Primary prevention");
        assert!(c.strong);
        assert_eq!(clean_cell("### 5. Developing").text, "5. Developing");
        assert_eq!(
            clean_cell("<ul style=\"x\"> • Trauma • LGBTQIA+ people").text,
            "Trauma\nLGBTQIA+ people"
        );
    }

    #[test]
    fn headers_are_recognised_by_their_words() {
        assert_eq!(role_of("AIM/OBJECTIVE"), Some(Role::Outcome));
        assert_eq!(role_of("MEASURE/UPDATE – August 2024"), Some(Role::Measure));
        assert_eq!(role_of("LEAD PARTNERS"), Some(Role::Lead));
        assert_eq!(role_of("Specific Action"), Some(Role::Action));
        assert_eq!(role_of("No."), Some(Role::Number));
        assert_eq!(
            role_of("Links with other actions / workstreams"),
            Some(Role::Links)
        );
        assert_eq!(role_of("Age Group"), Some(Role::AgeGroup));
        assert_eq!(role_of("RECOMMENDATION"), Some(Role::Theme));
        assert_eq!(role_of("Comments"), Some(Role::Other));
        assert_eq!(role_of(""), None);
    }

    #[test]
    fn links_separate_the_plan_from_other_documents() {
        assert_eq!(
            links_of("Link with actions 2.3.2 , 5.1, 2.2.5"),
            ["2.3.2", "5.1", "2.2.5"]
        );
        assert_eq!(links_of("Reliant on delivery of Action 2.3.1"), ["2.3.1"]);
        assert_eq!(
            links_of("Future in Mind Action 1.09"),
            ["Future in Mind Action 1.09"]
        );
        assert_eq!(links_of("NICE QS34 2-5"), ["NICE QS34 2-5"]);
        assert_eq!(
            links_of("Linked to Actions 3.1.3 and 3.1.4, which refer to policies"),
            ["3.1.3", "3.1.4"]
        );
        assert_eq!(
            references_in("Improve it (NICE QS34 2-7) and (DSL)"),
            ["NICE QS34 2-7"]
        );
    }

    #[test]
    fn statuses_keep_what_the_cell_says() {
        let s = super::super::default_statuses();
        assert_eq!(
            parse_status("Awaiting result of 2.3.1", &s).unwrap(),
            (
                Some("awaiting".to_owned()),
                Some("Awaiting result of 2.3.1".to_owned()),
                None
            )
        );
        assert_eq!(
            parse_status("Initial meeting", &s).unwrap().0.as_deref(),
            Some("initial meeting")
        );
        assert_eq!(parse_status("Amber", &s).unwrap().2, Some(Rag::Amber));
        assert!(
            parse_status("Vague", &s)
                .unwrap_err()
                .contains("--statuses")
        );
    }

    #[test]
    fn numbers_and_periods() {
        assert_eq!(
            split_number("1.1.1 Provide"),
            Some(("1.1.1".to_owned(), "Provide".to_owned()))
        );
        assert_eq!(
            split_number("2. Priority"),
            Some(("2".to_owned(), "Priority".to_owned()))
        );
        assert_eq!(
            split_number("2.2. Professionals"),
            Some(("2.2".to_owned(), "Professionals".to_owned()))
        );
        assert_eq!(split_number("50% of"), None);
        assert_eq!(
            split_number("2024 plan"),
            Some(("2024".to_owned(), "plan".to_owned()))
        );
        assert_eq!(
            period_in("action plan 2024 -25"),
            Some("2024-25".to_owned())
        );
        assert_eq!(
            worded_section("Priority 3: Means"),
            Some(("3".to_owned(), "Means".to_owned()))
        );
    }
}

//! Mapping profiles: a small TOML file that says how one source's own file becomes Lantern's
//! fields, so a police force or an emergency department can send the file it already keeps.
//!
//! ```toml
//! dataset = "suicides"          # or "self-harm"
//! source = "lancs-police"       # fills the source column when the file has none
//! date_order = "dmy"
//! encoding = "windows-1252"     # optional
//! [columns]                     # file column -> Lantern field, or "ignore"
//! "Force Ref" = "source_ref"
//! "Date of Death" = "date_of_death"
//! "Home Postcode" = "residence_postcode"
//! "Forename" = "ignore"
//! [values.sex]                  # file value -> code, per field
//! "M" = "male"
//! ```

use std::collections::BTreeMap;

use super::reading::{DateOrder, TextEncoding, fold};
use super::{ImportError, Problems, Table};
use crate::register::{Dataset, FieldKind};

/// What a file column may be mapped to besides a field: the identifiers Lantern turns into
/// something else at once and never stores.
pub const DERIVED_COLUMNS: &[(&str, &str)] = &[
    (
        "date_of_birth",
        "becomes the age at the event; the date is not kept",
    ),
    (
        "residence_postcode",
        "becomes the small area of residence (import postcodes first); the postcode is not kept",
    ),
    (
        "easting",
        "British National Grid easting of the place, with northing; becomes latitude and longitude",
    ),
    (
        "northing",
        "British National Grid northing of the place, with easting; becomes latitude and longitude",
    ),
    (
        "nhs_number",
        "self-harm only: becomes the pseudonymous person key; the number is not kept",
    ),
];

/// A column mapped to this is read past and never stored.
pub const IGNORE: &str = "ignore";

/// A mapping profile, checked against its dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The dataset the profile is for.
    pub dataset: &'static Dataset,
    /// The source to record when the file has no source column.
    pub source: Option<String>,
    /// How the file writes dates with numbers only.
    pub date_order: Option<DateOrder>,
    /// The file's encoding, when it is not to be found from the bytes.
    pub encoding: Option<TextEncoding>,
    /// File column (as written in the header) to a field name, a derived column or `ignore`.
    pub columns: BTreeMap<String, String>,
    /// Per field, file value to code (`""`: blank).
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    dataset: String,
    source: Option<String>,
    date_order: Option<String>,
    encoding: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// The 1-based line of a byte offset, counting `\n`, `\r\n` and a lone `\r` each as one end.
fn line_at(text: &str, offset: usize) -> u64 {
    let bytes = &text.as_bytes()[..offset.min(text.len())];
    let mut line = 1;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
        }
    }
    line
}

/// The line on which `key` (a quoted or bare TOML key) first appears, or 1.
fn line_of_key(text: &str, key: &str) -> u64 {
    let quoted = format!("\"{key}\"");
    text.find(&quoted)
        .or_else(|| text.find(key))
        .map_or(1, |at| line_at(text, at))
}

impl Profile {
    /// Parse and check a profile. Every problem is reported with its line in the file.
    ///
    /// # Errors
    /// [`ImportError::Invalid`]: TOML that does not parse, an unknown dataset, field,
    /// code or setting.
    pub fn parse(file: &str, text: &str) -> Result<Self, ImportError> {
        let mut problems = Problems::new(file);
        let raw: Raw = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let line = e.span().map_or(1, |s| line_at(text, s.start));
                problems.add(line, "-", e.message().trim().to_owned());
                return problems.into_result(Self::empty());
            }
        };
        let Some(dataset) = crate::register::dataset(&raw.dataset) else {
            problems.add(
                line_of_key(text, "dataset"),
                "dataset",
                format!(
                    "'{}' is not a dataset: use suicides or self-harm",
                    raw.dataset
                ),
            );
            return problems.into_result(Self::empty());
        };
        let date_order = raw.date_order.as_deref().and_then(|s| {
            s.parse::<DateOrder>()
                .map_err(|e| problems.add(line_of_key(text, "date_order"), "date_order", e))
                .ok()
        });
        let encoding = raw.encoding.as_deref().and_then(|s| {
            s.parse::<TextEncoding>()
                .map_err(|e| problems.add(line_of_key(text, "encoding"), "encoding", e))
                .ok()
        });
        if let Some(source) = &raw.source
            && (source.trim().is_empty() || source.chars().count() > 200)
        {
            problems.add(
                line_of_key(text, "source"),
                "source",
                "must be a source's name of 1 to 200 characters",
            );
        }
        for (column, target) in &raw.columns {
            let known = target == IGNORE
                || dataset.field(target).is_some()
                || DERIVED_COLUMNS.iter().any(|(d, _)| d == target);
            if !known {
                problems.add(
                    line_of_key(text, column),
                    column,
                    format!(
                        "maps to '{target}', which is not a field of {} (see `lantern import {} --help` or docs/templates/), a derived column ({}) or \"ignore\"",
                        dataset.name,
                        dataset.name,
                        DERIVED_COLUMNS
                            .iter()
                            .map(|(d, _)| *d)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
        let mut targets: BTreeMap<&str, &str> = BTreeMap::new();
        for (column, target) in &raw.columns {
            if target != IGNORE
                && let Some(first) = targets.insert(target, column)
            {
                problems.add(
                    line_of_key(text, column),
                    column,
                    format!("maps to {target}, as the column '{first}' does already"),
                );
            }
        }
        for (field_name, map) in &raw.values {
            let is_area = dataset
                .field(field_name)
                .is_some_and(|f| f.kind == FieldKind::Area);
            let list = dataset.field(field_name).and_then(|f| match f.kind {
                FieldKind::Code(l) | FieldKind::Codes(l) => Some(crate::codes::list(l)),
                // A residence's words map to no fixed abode, outside the partnership, or an
                // area code (checked against the areas when a file is read).
                FieldKind::Area => Some(crate::codes::list(crate::area::RESIDENCE_LIST)),
                _ => None,
            });
            let is_bool = dataset
                .field(field_name)
                .is_some_and(|f| f.kind == FieldKind::Bool);
            if list.is_none() && !is_bool {
                problems.add(
                    line_of_key(text, &format!("values.{field_name}")),
                    field_name,
                    format!(
                        "is not a coded or yes/no field of {}, so it has no values to map",
                        dataset.name
                    ),
                );
                continue;
            }
            for (from, to) in map {
                let ok = to.is_empty()
                    || list.is_some_and(|l| l.contains(to))
                    || (is_area && crate::area::parse_area_code(to).is_ok())
                    || (is_bool && matches!(to.as_str(), "yes" | "no" | "unknown"));
                if !ok {
                    let choices = match list {
                        Some(l) if is_area => format!("{} or an area code", l.choices()),
                        Some(l) => l.choices(),
                        None => "yes|no|unknown".to_owned(),
                    };
                    problems.add(
                        line_of_key(text, from),
                        field_name,
                        format!("'{from}' maps to '{to}', which is not one of {choices} (or \"\" for blank)"),
                    );
                }
            }
        }
        problems.into_result(Self {
            dataset,
            source: raw.source.map(|s| s.trim().to_owned()),
            date_order,
            encoding,
            columns: raw.columns,
            values: raw.values,
        })
    }

    /// Read a profile file.
    ///
    /// # Errors
    /// As [`Profile::parse`], and when the file cannot be read or is not UTF-8.
    pub fn read(path: &std::path::Path) -> Result<Self, ImportError> {
        let file = super::display_name(path);
        let bytes = super::read_bounded(path, &file)?;
        let text = String::from_utf8(bytes).map_err(|_| ImportError::Unreadable {
            file: file.clone(),
            message: "a profile must be UTF-8 text".to_owned(),
        })?;
        Self::parse(&file, &text)
    }

    fn empty() -> Self {
        Self {
            dataset: &crate::register::SUICIDES,
            source: None,
            date_order: None,
            encoding: None,
            columns: BTreeMap::new(),
            values: BTreeMap::new(),
        }
    }

    /// What a file column maps to: the profile's word for it, matched exactly, then by
    /// letters and digits alone.
    pub(crate) fn column(&self, header: &str) -> Option<&str> {
        if let Some(t) = self.columns.get(header) {
            return Some(t);
        }
        let folded = fold(header);
        self.columns
            .iter()
            .find(|(k, _)| fold(k) == folded)
            .map(|(_, v)| v.as_str())
    }

    /// The code a file value maps to for `field` (`Some("")`: blank).
    pub(crate) fn value(&self, field: &str, value: &str) -> Option<&str> {
        let map = self.values.get(field)?;
        if let Some(v) = map.get(value) {
            return Some(v);
        }
        let folded = fold(value);
        map.iter()
            .find(|(k, _)| fold(k) == folded)
            .map(|(_, v)| v.as_str())
    }

    /// The profile as TOML, in the layout of the example above (what `profiles show` prints
    /// and `profiles suggest` writes).
    pub fn to_toml(&self) -> String {
        use std::fmt::Write as _;
        let q = toml_quoted;
        let mut out = String::new();
        let _ = writeln!(out, "dataset = {}", q(self.dataset.name));
        if let Some(s) = &self.source {
            let _ = writeln!(out, "source = {}", q(s));
        }
        if let Some(d) = self.date_order {
            let name = match d {
                DateOrder::Dmy => "dmy",
                DateOrder::Mdy => "mdy",
                DateOrder::Ymd => "ymd",
            };
            let _ = writeln!(out, "date_order = {}", q(name));
        }
        if let Some(e) = self.encoding {
            let _ = writeln!(out, "encoding = {}", q(&e.name().to_ascii_lowercase()));
        }
        let _ = writeln!(out, "\n[columns]");
        for (k, v) in &self.columns {
            let _ = writeln!(out, "{} = {}", q(k), q(v));
        }
        for (field, map) in &self.values {
            let _ = writeln!(out, "\n[values.{field}]");
            for (k, v) in map {
                let _ = writeln!(out, "{} = {}", q(k), q(v));
            }
        }
        out
    }
}

/// `s` as a TOML basic string: quotes and backslashes escaped, and every control character
/// too (a file's column name can hold a line break, which a basic string may not).
fn toml_quoted(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Other words files use for Lantern's fields, tried by [`suggest`] after names and labels
/// (never by an import without a profile: a person checks what these find).
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "source_ref",
        &[
            "ref",
            "reference",
            "force ref",
            "case ref",
            "case number",
            "incident number",
            "incident ref",
            "urn",
            "id",
        ],
    ),
    ("sex", &["gender", "sex at birth"]),
    ("date_of_death", &["dod", "date died", "death date"]),
    ("status", &["classification", "case status"]),
    ("method_group", &["method", "mechanism", "cause"]),
    (
        "location_type",
        &["place", "place type", "location", "place of death"],
    ),
    (
        "notified_at",
        &[
            "date reported",
            "reported",
            "notified",
            "date notified to police",
        ],
    ),
    (
        "presented_at",
        &["arrived", "arrival", "attendance date", "attended"],
    ),
    ("setting", &["department", "site type"]),
    ("ethnicity", &["ethnic group", "ethnic origin"]),
];

fn suggest_target(dataset: &'static Dataset, header: &str) -> Option<&'static str> {
    super::register::default_target(dataset, header).or_else(|| {
        let folded = fold(header);
        SYNONYMS
            .iter()
            .find(|(field, words)| {
                dataset.field(field).is_some() && words.contains(&folded.as_str())
            })
            .map(|(field, _)| *field)
    })
}

/// A starting profile for a file, for a person to check: each column mapped to the field its
/// header names (by name or label), names and addresses set to `ignore`, the rest set to
/// `ignore` with a note to map them; the date order that reads every date; and for each coded
/// column, the values that are neither codes nor labels, with `""` to fill in.
pub fn suggest(dataset: &'static Dataset, table: &Table, source: Option<&str>) -> String {
    use std::fmt::Write as _;
    let q = toml_quoted;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# A starting profile for {}, made by `lantern profiles suggest`. Check every line.",
        crate::text::printable(&table.file, 200)
    );
    let _ = writeln!(out, "dataset = {}", q(dataset.name));
    let has_source = table
        .headers
        .iter()
        .any(|h| suggest_target(dataset, h) == Some("source"));
    if !has_source {
        let _ = writeln!(
            out,
            "source = {}  # the file has no source column: name the source",
            q(source.unwrap_or("CHANGE-ME"))
        );
    }
    // The order that reads every date the file writes with numbers only.
    let today = chrono::Utc::now().date_naive();
    let date_cols: Vec<usize> = table
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            suggest_target(dataset, h).is_some_and(|t| {
                t == "date_of_birth"
                    || dataset
                        .field(t)
                        .is_some_and(|f| matches!(f.kind, FieldKind::Date | FieldKind::DateOrTime))
            })
        })
        .map(|(i, _)| i)
        .collect();
    let reads_all = |order: DateOrder| {
        table.rows.iter().all(|(_, cells)| {
            date_cols.iter().all(|&c| {
                let v = cells[c].trim();
                let date = v.split([' ', 'T']).next().unwrap_or(v);
                v.is_empty() || super::reading::read_date(date, order, today).is_ok()
            })
        })
    };
    let order = [DateOrder::Dmy, DateOrder::Mdy, DateOrder::Ymd]
        .into_iter()
        .find(|o| reads_all(*o))
        .unwrap_or(DateOrder::Dmy);
    let order_name = match order {
        DateOrder::Dmy => "dmy",
        DateOrder::Mdy => "mdy",
        DateOrder::Ymd => "ymd",
    };
    let _ = writeln!(out, "date_order = {}", q(order_name));
    if table.encoding != TextEncoding::Utf8 {
        let _ = writeln!(
            out,
            "encoding = {}",
            q(&table.encoding.name().to_ascii_lowercase())
        );
    }
    let _ = writeln!(out, "\n[columns]");
    let mut coded: Vec<(usize, &'static str)> = Vec::new();
    let mut taken: Vec<&str> = Vec::new();
    for (i, header) in table.headers.iter().enumerate() {
        if header.is_empty() {
            continue;
        }
        let target = suggest_target(dataset, header).filter(|t| !taken.contains(t));
        match target {
            Some(t) => {
                taken.push(t);
                let _ = writeln!(out, "{} = {}", q(header), q(t));
                if let Some(f) = dataset.field(t)
                    && matches!(f.kind, FieldKind::Code(_) | FieldKind::Codes(_))
                {
                    coded.push((i, t));
                }
            }
            None => {
                let why = super::register::identifying_header(&fold(header))
                    .unwrap_or("not recognised: map it to a field, or leave it ignored");
                let _ = writeln!(out, "{} = \"ignore\"  # {why}", q(header));
            }
        }
    }
    for (col, field) in coded {
        let Some(f) = dataset.field(field) else {
            continue;
        };
        let (FieldKind::Code(l) | FieldKind::Codes(l)) = f.kind else {
            continue;
        };
        let list = crate::codes::list(l);
        let multiple = matches!(f.kind, FieldKind::Codes(_));
        let mut unknown: BTreeMap<String, u64> = BTreeMap::new();
        for (_, cells) in &table.rows {
            let cell = cells[col].trim();
            let parts: Vec<&str> = if multiple {
                cell.split(';').map(str::trim).collect()
            } else {
                vec![cell]
            };
            for p in parts.into_iter().filter(|p| !p.is_empty()) {
                if super::reading::code_for(list, p).is_none() && unknown.len() < 200 {
                    *unknown.entry(p.to_owned()).or_default() += 1;
                }
            }
        }
        if unknown.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n[values.{field}]  # CHECK: give each its code, one of: {}",
            list.choices().replace('|', ", ")
        );
        for (v, n) in unknown {
            let _ = writeln!(
                out,
                "{} = \"\"  # {n} row{}",
                q(&crate::text::printable(&v, 80)),
                if n == 1 { "" } else { "s" }
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICE: &str = r#"
dataset = "suicides"
source = "lancs-police"
date_order = "dmy"
encoding = "windows-1252"
[columns]
"Force Ref" = "source_ref"
"Date of Death" = "date_of_death"
"Gender" = "sex"
"Home Postcode" = "residence_postcode"
"Forename" = "ignore"
[values.sex]
"M" = "male"
"F" = "female"
[values.method_group]
"Hanging/Strangulation" = "hanging"
"#;

    #[test]
    fn the_issues_example_parses_and_prints_back() {
        let p = Profile::parse("p.toml", POLICE).unwrap();
        assert_eq!(p.dataset.name, "suicides");
        assert_eq!(p.source.as_deref(), Some("lancs-police"));
        assert_eq!(p.encoding, Some(TextEncoding::Windows1252));
        assert_eq!(p.column("force ref"), Some("source_ref"));
        assert_eq!(p.value("sex", "m"), Some("male"));
        assert_eq!(
            p.value("method_group", "Hanging/Strangulation"),
            Some("hanging")
        );
        let again = Profile::parse("p.toml", &p.to_toml()).unwrap();
        assert_eq!(again, p);
        // Windows line ends change nothing.
        let crlf = POLICE.replace('\n', "\r\n");
        assert_eq!(Profile::parse("p.toml", &crlf).unwrap(), p);
    }

    fn problems(text: &str) -> Vec<String> {
        match Profile::parse("p.toml", text) {
            Err(ImportError::Invalid(p)) => p.iter().map(ToString::to_string).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_suggested_profile_parses_and_names_what_to_check() {
        let csv = "Force Ref,Forename,Date of Death,Gender,Status,Method,Home Postcode,Mystery\n\
                   A1,Ann,12/31/2021,M,Suspected,Hanging/Strangulation,AV1 1AA,x\n\
                   A2,Bob,01/02/2022,F,suspected,Poisoning,AV1 1AB,y\n";
        let table = Table::from_csv("police.csv", csv.as_bytes()).unwrap();
        let text = suggest(&crate::register::SUICIDES, &table, Some("ashvale-police"));
        let p = Profile::parse("suggested.toml", &text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert_eq!(
            p.date_order,
            Some(DateOrder::Mdy),
            "12/31 reads only month first"
        );
        assert_eq!(p.source.as_deref(), Some("ashvale-police"));
        assert_eq!(p.column("Date of Death"), Some("date_of_death"));
        assert_eq!(p.column("Home Postcode"), Some("residence_postcode"));
        assert_eq!(p.column("Forename"), Some(IGNORE));
        assert_eq!(p.column("Force Ref"), Some("source_ref"));
        assert_eq!(p.column("Gender"), Some("sex"));
        assert_eq!(p.column("Method"), Some("method_group"));
        assert!(
            text.contains("\"Forename\" = \"ignore\"  # looks like a person's name"),
            "{text}"
        );
        assert!(
            text.contains("\"Mystery\" = \"ignore\"  # not recognised"),
            "{text}"
        );
        assert!(
            text.contains("\"Hanging/Strangulation\" = \"\"  # 1 row"),
            "{text}"
        );
        assert!(
            !text.contains("\"Poisoning\" ="),
            "a label needs no mapping: {text}"
        );
        assert!(text.contains("\"M\" = \"\""), "{text}");
    }

    #[test]
    fn every_mistake_is_named_on_its_line() {
        let got = problems(
            "dataset = \"suicides\"\ndate_order = \"dym\"\n[columns]\n\"Gender\" = \"gender\"\n\"Sex\" = \"sex\"\n\"Sex2\" = \"sex\"\n[values.sex]\n\"M\" = \"man\"\n[values.age]\n\"x\" = \"1\"\n",
        );
        assert!(
            got.iter().any(|p| p.starts_with("p.toml:2: date_order:")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|p| p.starts_with("p.toml:4: Gender: maps to 'gender'")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|p| p.starts_with("p.toml:6: Sex2: maps to sex")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|p| p.starts_with("p.toml:8: sex: 'M' maps to 'man'")),
            "{got:?}"
        );
        assert!(
            got.iter().any(|p| p.contains("age: is not a coded")),
            "{got:?}"
        );
        let got = problems("dataset = \"suicides\"\r\n\r\nsauce = 1\r\n");
        assert!(got[0].starts_with("p.toml:3: -:"), "{got:?}");
        let got = problems("dataset = \"deaths\"\n");
        assert!(got[0].contains("not a dataset"), "{got:?}");
        let got = problems("[columns\n");
        assert!(got[0].starts_with("p.toml:1: -:"), "{got:?}");
    }
}

#[cfg(test)]
mod hostile_tests {
    use super::*;

    #[test]
    fn deeply_nested_or_control_laden_profiles_are_refused_not_crashed_on() {
        let deep = format!(
            "dataset = \"suicides\"\nx = {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(Profile::parse("deep.toml", &deep).is_err());
        let tables = format!(
            "dataset = \"suicides\"\n[{}]\n",
            vec!["a"; 50_000].join(".")
        );
        assert!(Profile::parse("tables.toml", &tables).is_err());
        let Err(ImportError::Invalid(p)) = Profile::parse(
            "ctl.toml",
            "dataset = \"suicides\"\n[columns]\n\"\\u001b[31mX\" = \"bogus\"\n",
        ) else {
            panic!("refused");
        };
        assert!(!p[0].to_string().contains('\u{1b}'), "{}", p[0]);
    }
}

#[cfg(test)]
mod round_trip_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text as a TOML basic string reads back as itself: control characters, quotes,
        /// backslashes and line breaks included.
        #[test]
        fn any_text_quoted_reads_back_as_itself(s in "\\PC*|[\\x00-\\x1f\\x7f\"\\\\]{0,8}") {
            let doc = format!("k = {}\n", toml_quoted(&s));
            let table: toml::Table = toml::from_str(&doc).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(table.get("k").and_then(|v| v.as_str()), Some(s.as_str()));
        }
    }
}

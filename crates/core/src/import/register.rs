//! Importing suspected suicides and self-harm presentations, from Lantern's own columns or
//! from a source's own file through a mapping profile ([`Profile`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::NaiveDate;

use super::postcodes::Postcode;
use super::profile::Profile;
use super::reading::{DateOrder, TextEncoding, fold};
use super::{ImportError, Problem, Problems, Progress, Table, read_table, read_table_as};
use crate::pseudonym::PseudonymKey;
use crate::register::{Dataset, FieldKind, Record, Value};
use crate::{ImportSummary, Store};

/// The column a source may send instead of `person_key`; it is hashed at once.
const NHS_NUMBER: &str = "nhs_number";

/// The dates that cannot be later than today: the event and what followed it. An inquest or
/// a referral may be booked ahead, so those are not among them.
const NOT_IN_THE_FUTURE: &[&str] = &[
    "date_of_death",
    "date_found",
    "notified_at",
    "status_date",
    "presented_at",
];

/// Dates that come after the date of death; one before it is worth a second look.
const AFTER_DEATH: &[&str] = &["date_found", "notified_at", "status_date"];

/// Free text that is about a place, not a person: an address there is where it happened.
const PLACE_TEXT: &[&str] = &[
    "source",
    "source_ref",
    "location_text",
    "location_of_concern",
];

/// Everything a register file is read with besides the file.
#[derive(Clone, Copy)]
pub struct RegisterContext<'a> {
    /// Whether an area code is one Lantern holds.
    pub area_known: &'a (dyn Fn(&str) -> bool + Sync),
    /// The deployment's pseudonym key, for files with NHS numbers.
    pub key: Option<&'a PseudonymKey>,
    /// How the file's columns and values map to Lantern's.
    pub profile: Option<&'a Profile>,
    /// How dates written with numbers only are read (the profile's order wins).
    pub date_order: DateOrder,
    /// Today: no event may be later, and two-digit years are no later.
    pub today: NaiveDate,
    /// The postcode lookup, for files with postcodes.
    pub postcodes: Option<&'a HashMap<String, Postcode>>,
    /// The listed sources: when there are any, a record from another source is refused.
    pub sources: &'a [String],
    /// The sources the register holds records from: with no list, a new source written as
    /// one of these is written another way (`Ashvale Police` for `ashvale_police`) is refused.
    pub in_register: &'a [String],
}

impl<'a> RegisterContext<'a> {
    /// Lantern's own columns, no profile, today's date.
    pub fn new(area_known: &'a (dyn Fn(&str) -> bool + Sync)) -> Self {
        Self {
            area_known,
            key: None,
            profile: None,
            date_order: DateOrder::Dmy,
            today: chrono::Utc::now().date_naive(),
            postcodes: None,
            sources: &[],
            in_register: &[],
        }
    }
}

/// The records a register file holds, and what is worth a second look in them.
#[derive(Debug, Clone, Default)]
pub struct ParsedRegister {
    /// The records, in file order.
    pub records: Vec<Record>,
    /// Things that are allowed but look wrong (dates out of order, an age that disagrees
    /// with the date of birth), each with its line and column.
    pub warnings: Vec<Problem>,
    /// The fields the file gives (directly or worked out), for laying rows over stored ones.
    pub fields: Vec<&'static str>,
}

/// Check every row of `table` against `dataset` and return the records, or every problem.
/// `key` is needed only when the table has an `nhs_number` column.
///
/// # Errors
/// [`ImportError::Invalid`] listing each problem with its line and column.
pub fn parse_register(
    dataset: &'static Dataset,
    table: &Table,
    area_known: &(dyn Fn(&str) -> bool + Sync),
    key: Option<&PseudonymKey>,
) -> Result<Vec<Record>, ImportError> {
    let context = RegisterContext {
        key,
        ..RegisterContext::new(area_known)
    };
    parse_register_with(dataset, table, &context).map(|p| p.records)
}

/// What a file column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A field of the dataset (its index).
    Field(usize),
    /// An identifier turned into something else at once.
    Derived(Derived),
    /// Read past.
    Ignore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Derived {
    DateOfBirth,
    Postcode,
    Easting,
    Northing,
    NhsNumber,
}

impl Derived {
    const ALL: [(Self, &'static str, &'static [&'static str]); 5] = [
        (
            Self::DateOfBirth,
            "date_of_birth",
            &["dob", "birth date", "d o b"],
        ),
        (
            Self::Postcode,
            "residence_postcode",
            &[
                "postcode",
                "post code",
                "home postcode",
                "residence postcode",
                "postcode of residence",
            ],
        ),
        (
            Self::Easting,
            "easting",
            &["eastings", "grid easting", "x coordinate"],
        ),
        (
            Self::Northing,
            "northing",
            &["northings", "grid northing", "y coordinate"],
        ),
        (Self::NhsNumber, NHS_NUMBER, &["nhs no", "nhs num"]),
    ];

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(d, _, _)| *d == self)
            .map_or("", |(_, n, _)| n)
    }

    fn by_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(d, _, _)| *d)
    }

    /// By a header's folded words: the name itself or a common way of writing it.
    fn by_header(folded: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, n, also)| fold(n) == folded || also.contains(&folded))
            .map(|(d, _, _)| *d)
    }
}

/// What a header is read as with no profile: a field by its name or label, or a derived
/// identifier by its name or a common way of writing it.
fn default_role(dataset: &'static Dataset, header: &str) -> Option<Role> {
    let folded = fold(header);
    dataset
        .index(header)
        .or_else(|| {
            dataset
                .fields
                .iter()
                .position(|f| fold(f.name) == folded || fold(f.label) == folded)
        })
        .map(Role::Field)
        .or_else(|| Derived::by_header(&folded).map(Role::Derived))
}

/// The field or derived column a header is read as with no profile.
pub(crate) fn default_target(dataset: &'static Dataset, header: &str) -> Option<&'static str> {
    match default_role(dataset, header)? {
        Role::Field(i) => Some(dataset.fields[i].name),
        Role::Derived(d) => Some(d.name()),
        Role::Ignore => None,
    }
}

/// Why an unrecognised header must not be imported as it is, when it looks like a name or an
/// address.
pub(crate) fn identifying_header(folded: &str) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "name",
        "names",
        "forename",
        "forenames",
        "surname",
        "firstname",
        "lastname",
        "fullname",
        "initials",
        "maiden",
    ];
    const ADDRESSES: &[&str] = &["address", "addr", "street", "road", "house", "flat"];
    let words: Vec<&str> = folded.split(' ').collect();
    if words.iter().any(|w| NAMES.contains(w)) {
        Some("looks like a person's name, which Lantern never stores")
    } else if words.iter().any(|w| ADDRESSES.contains(w)) {
        Some(
            "looks like an address, which Lantern never stores (a postcode can be mapped to residence_postcode)",
        )
    } else {
        None
    }
}

/// How each file column is read, worked out from the header and the profile.
struct Mapping {
    /// Per field of the dataset: the file column it comes from.
    field_col: Vec<Option<usize>>,
    /// The file column of each derived identifier.
    derived: HashMap<Derived, usize>,
}

impl Mapping {
    fn new(
        dataset: &'static Dataset,
        table: &Table,
        profile: Option<&Profile>,
        problems: &mut Problems,
    ) -> Self {
        let mut field_col = vec![None; dataset.fields.len()];
        let mut derived = HashMap::new();
        let mut seen: HashMap<&str, &str> = HashMap::new();
        let is_self_harm = dataset.is_self_harm();
        for (i, header) in table.headers.iter().enumerate() {
            let folded = fold(header);
            let role = match profile.and_then(|p| p.column(header)) {
                Some(super::profile::IGNORE) => Some(Role::Ignore),
                Some(target) => dataset
                    .index(target)
                    .map(Role::Field)
                    .or_else(|| Derived::by_name(target).map(Role::Derived)),
                None if header.is_empty() || header == crate::export::AREA_NAME_HEADER => {
                    Some(Role::Ignore)
                }
                None => default_role(dataset, header),
            };
            let role = match role {
                Some(Role::Derived(Derived::NhsNumber)) if !is_self_harm => {
                    problems.add(
                        1,
                        header,
                        "is an NHS number, which the suicides register does not take",
                    );
                    Role::Ignore
                }
                Some(r) => r,
                None => {
                    let why = identifying_header(&folded).map_or_else(
                        || {
                            format!(
                                "is not a column of {} (see docs/templates/); a profile (--profile) can map it to a field or to \"ignore\"",
                                dataset.name
                            )
                        },
                        |why| {
                            format!(
                                "{why}: remove the column, or map it to \"ignore\" in a profile (--profile)"
                            )
                        },
                    );
                    problems.add(1, header, why);
                    Role::Ignore
                }
            };
            let target = match role {
                Role::Field(f) => Some(dataset.fields[f].name),
                Role::Derived(d) => Some(d.name()),
                Role::Ignore => None,
            };
            if let Some(t) = target
                && let Some(first) = seen.insert(t, header)
            {
                if first == header {
                    problems.add(1, header, "appears twice in the header");
                } else {
                    problems.add(
                        1,
                        header,
                        format!("is read as {t}, as the column '{first}' is already"),
                    );
                }
            }
            match role {
                Role::Field(f) => field_col[f] = Some(i),
                Role::Derived(d) => {
                    derived.insert(d, i);
                }
                Role::Ignore => {}
            }
        }
        Self { field_col, derived }
    }

    /// The fields a record of this file gets a value for.
    fn fields(&self, dataset: &'static Dataset, constant_source: bool) -> Vec<&'static str> {
        dataset
            .fields
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                self.field_col[*i].is_some()
                    || (f.name == "source" && constant_source)
                    || (f.name == "age" && self.derived.contains_key(&Derived::DateOfBirth))
                    || (f.name == "residence_area" && self.derived.contains_key(&Derived::Postcode))
                    || (matches!(f.name, "location_lat" | "location_lon")
                        && self.derived.contains_key(&Derived::Easting))
                    || (f.name == "person_key" && self.derived.contains_key(&Derived::NhsNumber))
            })
            .map(|(_, f)| f.name)
            .collect()
    }
}

/// [`parse_register`] with a profile, postcodes, a date order and warnings.
///
/// # Errors
/// [`ImportError::Invalid`] listing each problem with its line and column.
pub fn parse_register_with(
    dataset: &'static Dataset,
    table: &Table,
    context: &RegisterContext<'_>,
) -> Result<ParsedRegister, ImportError> {
    let mut problems = Problems::new(&table.file);
    if let Some(p) = context.profile
        && p.dataset != dataset
    {
        problems.add(
            1,
            "-",
            format!(
                "the profile is for {}, not {}",
                p.dataset.name, dataset.name
            ),
        );
        return problems.into_result(ParsedRegister::default());
    }
    let mapping = Mapping::new(dataset, table, context.profile, &mut problems);
    let constant_source = context.profile.and_then(|p| p.source.as_deref());
    let fields = mapping.fields(dataset, constant_source.is_some());
    for field in dataset.fields.iter().filter(|f| f.required) {
        if !fields.contains(&field.name) {
            let what = match field.name {
                "person_key" => "person_key or nhs_number",
                "age" => "age or date_of_birth",
                "residence_area" => "residence_area or residence_postcode",
                "source" => "source (or a profile's source)",
                other => other,
            };
            problems.add(
                1,
                field.name,
                format!("the required column {what} is missing"),
            );
        }
    }
    if mapping.derived.contains_key(&Derived::Easting)
        != mapping.derived.contains_key(&Derived::Northing)
    {
        problems.add(
            1,
            "-",
            "easting and northing come together: give both columns or neither",
        );
    }
    if mapping.derived.contains_key(&Derived::NhsNumber) && context.key.is_none() {
        problems.add(
            1,
            NHS_NUMBER,
            "no pseudonymisation key is set (LANTERN_PSEUDONYM_KEY)",
        );
    }
    if mapping.derived.contains_key(&Derived::Postcode)
        && context.postcodes.is_none_or(HashMap::is_empty)
    {
        problems.add(
            1,
            "residence_postcode",
            "no postcodes are loaded: import ONS's postcode lookup first (lantern import postcodes FILE)",
        );
    }
    if !problems.is_empty() {
        problems.sort();
        return problems.into_result(ParsedRegister::default());
    }
    let rows = RowParser {
        dataset,
        table,
        mapping: &mapping,
        context,
        constant_source,
        field_index: dataset
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name, i))
            .collect(),
    };
    // Rows are independent, so large files are checked on every core, in order.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = table.rows.len().div_ceil(threads).max(20_000);
    let parts: Vec<RowsOut> = std::thread::scope(|scope| {
        let handles: Vec<_> = table
            .rows
            .chunks(chunk)
            .map(|part| scope.spawn(|| rows.parse(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut records = Vec::with_capacity(table.rows.len());
    let mut warnings = Problems::new(&table.file);
    let mut unmapped: BTreeMap<usize, BTreeMap<String, (u64, u64)>> = BTreeMap::new();
    for part in parts {
        records.extend(part.records);
        problems.extend(part.problems);
        warnings.extend(part.warnings);
        for (field, values) in part.unmapped {
            let all = unmapped.entry(field).or_default();
            for (value, (count, first)) in values {
                let slot = all.entry(value).or_insert((0, first));
                slot.0 += count;
                slot.1 = slot.1.min(first);
            }
        }
    }
    for (field, values) in unmapped {
        report_unmapped(dataset, table, &mapping, field, &values, &mut problems);
    }
    if context.sources.is_empty() {
        report_respelt_sources(
            context.in_register,
            &records,
            rows.column_name(0),
            &mut problems,
        );
    } else {
        report_unknown_sources(
            context.sources,
            &records,
            rows.column_name(0),
            &mut problems,
        );
    }
    // Keys repeated within the file, reported on the later line.
    let mut seen: HashMap<(String, String), u64> = HashMap::with_capacity(records.len());
    let ref_column = rows.column_name(1);
    for (line, record) in &records {
        if let Some(first) = seen.insert(record.key(), *line) {
            problems.add(
                *line,
                ref_column,
                format!("repeats the source and reference of line {first}"),
            );
        }
    }
    problems.sort();
    warnings.sort();
    problems.into_result(ParsedRegister {
        records: records.into_iter().map(|(_, r)| r).collect(),
        warnings: warnings.into_list(),
        fields,
    })
}

/// One problem for every value of a column the profile does not map, with how often and
/// where each first appears, and the TOML to paste into the profile.
fn report_unmapped(
    dataset: &'static Dataset,
    table: &Table,
    mapping: &Mapping,
    field: usize,
    values: &BTreeMap<String, (u64, u64)>,
    problems: &mut Problems,
) {
    let f = &dataset.fields[field];
    let list = match f.kind {
        FieldKind::Code(l) | FieldKind::Codes(l) => crate::codes::list(l),
        _ => return,
    };
    let column = mapping.field_col[field].map_or(f.name, |c| table.headers[c].as_str());
    let first = values.values().map(|(_, l)| *l).min().unwrap_or(1);
    let shown: Vec<String> = values
        .iter()
        .map(|(v, (n, l))| {
            format!(
                "'{}' ({n} row{}, first on line {l})",
                crate::text::printable(v, 60),
                if *n == 1 { "" } else { "s" }
            )
        })
        .collect();
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut toml = format!(
        "[values.{}]  # one of: {}",
        f.name,
        list.choices().replace('|', ", ")
    );
    for v in values.keys() {
        toml.push_str(&format!(
            "\n{} = \"\"",
            quote(&crate::text::printable(v, 60))
        ));
    }
    problems.add_lines(
        first,
        column,
        &format!(
            "{} value{} not among the codes of {} or their labels, nor in the profile: {}. Add to the profile, with the code for each (\"\" for blank):",
            values.len(),
            if values.len() == 1 { " is" } else { "s are" },
            f.name,
            shown.join(", ")
        ),
        &toml,
    );
}

/// The edit distance between two short texts (Levenshtein), for close matches.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut last = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (last + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            last = here;
        }
    }
    row[b.len()]
}

/// The listed sources a name is close to: the same once case and punctuation are set aside,
/// a letter or two apart, or one inside the other. Nearest first, at most three.
pub fn close_sources<'a>(name: &str, listed: &'a [String]) -> Vec<&'a str> {
    let folded = fold(name);
    let mut near: Vec<(usize, &str)> = listed
        .iter()
        .filter_map(|s| {
            let f = fold(s);
            let d = distance(&folded, &f);
            let inside =
                !f.is_empty() && !folded.is_empty() && (f.contains(&folded) || folded.contains(&f));
            (d <= 2 || inside).then_some((d, s.as_str()))
        })
        .collect();
    near.sort();
    near.into_iter().take(3).map(|(_, s)| s).collect()
}

/// The sources of `records` that `known` lacks, each with its rows and first line.
fn sources_not_in(known: &[String], records: &[(u64, Record)]) -> BTreeMap<String, (u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (line, r) in records {
        let source = r.text("source");
        if !known.contains(&source) {
            out.entry(source).or_insert((0, *line)).0 += 1;
        }
    }
    out
}

/// One problem for each source the file names that is not listed, at its first line.
fn report_unknown_sources(
    listed: &[String],
    records: &[(u64, Record)],
    column: &str,
    problems: &mut Problems,
) {
    for (source, (n, first)) in sources_not_in(listed, records) {
        let near = close_sources(&source, listed);
        let hint = if near.is_empty() {
            format!("the listed sources are {}", listed.join(", "))
        } else {
            format!("did you mean {}?", near.join(" or "))
        };
        problems.add(
            first,
            column,
            format!(
                "'{source}' is not a listed source ({n} row{}): {hint} A new source is listed with `lantern sources add`.",
                if n == 1 { "" } else { "s" }
            ),
        );
    }
}

/// With no list of sources: one problem for each new source that is an existing one written
/// another way, which would otherwise become a second source beside it.
fn report_respelt_sources(
    in_register: &[String],
    records: &[(u64, Record)],
    column: &str,
    problems: &mut Problems,
) {
    for (source, (n, first)) in sources_not_in(in_register, records) {
        let folded = fold(&source);
        if let Some(same) = in_register.iter().find(|s| fold(s) == folded) {
            problems.add(
                first,
                column,
                format!(
                    "'{source}' ({n} row{}) is the source {same} written another way: write {same}, or list the sources with `lantern sources add`",
                    if n == 1 { "" } else { "s" }
                ),
            );
        }
    }
}

/// What one part of the rows gave.
struct RowsOut {
    records: Vec<(u64, Record)>,
    problems: Problems,
    warnings: Problems,
    /// Per field, the values no code or mapping matched: `(count, first line)`.
    unmapped: BTreeMap<usize, BTreeMap<String, (u64, u64)>>,
}

/// What every row needs to be checked.
struct RowParser<'a> {
    dataset: &'static Dataset,
    table: &'a Table,
    mapping: &'a Mapping,
    context: &'a RegisterContext<'a>,
    constant_source: Option<&'a str>,
    field_index: HashMap<&'static str, usize>,
}

impl RowParser<'_> {
    /// The file's name for a field's column (the field's own name when it has none).
    fn column_name(&self, field: usize) -> &str {
        self.mapping.field_col[field].map_or(self.dataset.fields[field].name, |c| {
            self.table.headers[c].as_str()
        })
    }

    fn derived_name(&self, d: Derived) -> &str {
        self.mapping
            .derived
            .get(&d)
            .map_or(d.name(), |&c| self.table.headers[c].as_str())
    }

    fn date_order(&self) -> DateOrder {
        self.context
            .profile
            .and_then(|p| p.date_order)
            .unwrap_or(self.context.date_order)
    }

    /// A code field's text as codes, or `None` (and the value noted) when a part matches
    /// nothing and a profile is in use; without a profile the text goes on to be refused
    /// with the list of codes.
    fn read_codes<'c>(
        &self,
        field: usize,
        list: &crate::codes::CodeList,
        multiple: bool,
        raw: &'c str,
        line: u64,
        unmapped: &mut BTreeMap<usize, BTreeMap<String, (u64, u64)>>,
    ) -> Option<Cow<'c, str>> {
        let name = self.dataset.fields[field].name;
        let profile = self.context.profile;
        let parts: Vec<&str> = if multiple {
            raw.split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect()
        } else {
            vec![raw.trim()]
        };
        if profile.is_none_or(|p| !p.values.contains_key(name))
            && parts.iter().all(|p| list.contains(p))
        {
            return Some(Cow::Borrowed(raw));
        }
        let mut out: Vec<&str> = Vec::with_capacity(parts.len());
        let mut missing = false;
        for part in parts {
            let code = profile
                .and_then(|p| p.value(name, part))
                .or_else(|| super::reading::code_for(list, part));
            match code {
                Some("") => {}
                Some(c) => out.push(c),
                None if profile.is_some() => {
                    let slot = unmapped
                        .entry(field)
                        .or_default()
                        .entry(part.to_owned())
                        .or_insert((0, line));
                    slot.0 += 1;
                    missing = true;
                }
                None => out.push(part),
            }
        }
        (!missing).then(|| Cow::Owned(out.join(";")))
    }

    fn parse(&self, rows: &[(u64, csv::StringRecord)]) -> RowsOut {
        let mut problems = Problems::new(&self.table.file);
        let mut warnings = Problems::new(&self.table.file);
        let mut unmapped = BTreeMap::new();
        let mut records = Vec::with_capacity(rows.len());
        let order = self.date_order();
        let today = self.context.today;
        let fields = self.dataset.fields;
        for (line, cells) in rows {
            let line = *line;
            let mut row_failed = false;
            // Fields whose text was refused here: the record's own check says nothing more.
            let mut refused: Vec<usize> = Vec::new();
            let mut texts: Vec<Cow<'_, str>> = vec![Cow::Borrowed(""); fields.len()];
            for (i, field) in fields.iter().enumerate() {
                let Some(col) = self.mapping.field_col[i] else {
                    continue;
                };
                let raw = &cells[col];
                if raw.trim().is_empty() {
                    continue;
                }
                let text: Option<Cow<'_, str>> = match field.kind {
                    FieldKind::Code(l) | FieldKind::Codes(l) => self.read_codes(
                        i,
                        crate::codes::list(l),
                        matches!(field.kind, FieldKind::Codes(_)),
                        raw,
                        line,
                        &mut unmapped,
                    ),
                    // A profile's word for a residence, else no fixed abode or outside the
                    // partnership by any of their words, else the code as given.
                    FieldKind::Area => Some(
                        self.context
                            .profile
                            .and_then(|p| p.value(field.name, raw.trim()))
                            .or_else(|| crate::area::residence_word(raw))
                            .map_or(Cow::Borrowed(raw), |v| Cow::Owned(v.to_owned())),
                    ),
                    FieldKind::Bool => Some(
                        self.context
                            .profile
                            .and_then(|p| p.value(field.name, raw.trim()))
                            .map_or(Cow::Borrowed(raw), |v| Cow::Owned(v.to_owned())),
                    ),
                    FieldKind::Date => match super::reading::read_date(raw, order, today) {
                        Ok(d) => Some(Cow::Owned(d.format("%Y-%m-%d").to_string())),
                        Err(e) => {
                            problems.add(line, self.column_name(i), e);
                            refused.push(i);
                            None
                        }
                    },
                    FieldKind::DateOrTime => {
                        match super::reading::read_date_or_time(raw, order, today) {
                            Ok(t) => Some(Cow::Owned(t)),
                            Err(e) => {
                                problems.add(line, self.column_name(i), e);
                                refused.push(i);
                                None
                            }
                        }
                    }
                    FieldKind::Text { .. }
                        if !PLACE_TEXT.contains(&field.name)
                            && super::postcodes::holds_postcode(raw) =>
                    {
                        problems.add(
                            line,
                            self.column_name(i),
                            "looks like it holds an address (it has a postcode), which Lantern never stores here: remove it, or map the column to \"ignore\" in a profile",
                        );
                        refused.push(i);
                        None
                    }
                    _ => Some(Cow::Borrowed(raw)),
                };
                match text {
                    Some(t) => texts[i] = t,
                    None => {
                        row_failed = true;
                        refused.push(i);
                    }
                }
            }
            if let (Some(source), Some(i)) = (self.constant_source, self.field_index.get("source"))
                && texts[*i].trim().is_empty()
            {
                texts[*i] = Cow::Borrowed(source);
            }
            self.derive(
                cells,
                line,
                &mut texts,
                &mut refused,
                &mut problems,
                &mut warnings,
            );
            let lookup = |name: &str| -> Option<&str> {
                self.field_index.get(name).map(|&i| texts[i].as_ref())
            };
            match Record::parse(self.dataset, lookup, self.context.area_known) {
                Ok(record) if !row_failed && refused.is_empty() => {
                    self.check_dates(&record, line, &mut problems, &mut warnings, &mut row_failed);
                    if !row_failed {
                        records.push((line, record));
                    }
                }
                Ok(_) => {}
                Err(errs) => {
                    for (field, e) in errs {
                        let i = self.field_index.get(field).copied().unwrap_or(0);
                        if refused.contains(&i) {
                            continue;
                        }
                        problems.add(line, self.column_name(i), e.0);
                    }
                }
            }
        }
        RowsOut {
            records,
            problems,
            warnings,
            unmapped,
        }
    }

    /// Work out fields from the identifiers a file carries, which are then dropped: the age
    /// from a date of birth, the small area from a postcode, the place from a grid reference,
    /// the person key from an NHS number. No message repeats an identifier.
    fn derive(
        &self,
        cells: &csv::StringRecord,
        line: u64,
        texts: &mut [Cow<'_, str>],
        refused: &mut Vec<usize>,
        problems: &mut Problems,
        warnings: &mut Problems,
    ) {
        let cell = |d: Derived| -> &str {
            self.mapping
                .derived
                .get(&d)
                .map_or("", |&c| cells[c].trim())
        };
        let index = |name: &str| self.field_index.get(name).copied();
        let mut refuse =
            |i: Option<usize>, column: &str, message: &str, problems: &mut Problems| {
                problems.add(line, column, message);
                if let Some(i) = i {
                    refused.push(i);
                }
            };
        let mut silently_refused = Vec::new();
        // NHS number to person key.
        let nhs = cell(Derived::NhsNumber);
        if let (Some(i), Some(key)) = (index("person_key"), self.context.key)
            && self.mapping.derived.contains_key(&Derived::NhsNumber)
        {
            let given = texts[i].trim().to_owned();
            if nhs.is_empty() {
                if given.is_empty() {
                    refuse(
                        Some(i),
                        self.derived_name(Derived::NhsNumber),
                        "give person_key or nhs_number",
                        problems,
                    );
                }
            } else {
                match key.person_key(nhs) {
                    Ok(k) if !given.is_empty() && given != k => refuse(
                        Some(i),
                        self.column_name(i),
                        "does not match the key made from nhs_number",
                        problems,
                    ),
                    Ok(k) => texts[i] = Cow::Owned(k),
                    // The message never repeats the number itself.
                    Err(e) => refuse(
                        Some(i),
                        self.derived_name(Derived::NhsNumber),
                        &e.to_string(),
                        problems,
                    ),
                }
            }
        }
        // Date of birth to age at the event.
        let dob = cell(Derived::DateOfBirth);
        if !dob.is_empty()
            && let Some(age_i) = index("age")
        {
            let column = self.derived_name(Derived::DateOfBirth);
            let event = index(self.dataset.date_field)
                .map(|i| texts[i].as_ref())
                .and_then(|t| {
                    NaiveDate::parse_from_str(t.get(..10).unwrap_or(""), "%Y-%m-%d").ok()
                });
            match super::reading::read_date(dob, self.date_order(), self.context.today) {
                Err(_) => refuse(
                    Some(age_i),
                    column,
                    "is not a date of birth Lantern can read (dates such as 03/02/1980 or 1980-02-03)",
                    problems,
                ),
                // The event's date was refused: the age cannot be worked out, and that was said.
                Ok(_) if event.is_none() => {
                    if texts[age_i].trim().is_empty() {
                        silently_refused.push(age_i);
                    }
                }
                Ok(born) => {
                    if let Some(event) = event {
                        match event.years_since(born) {
                            None => refuse(
                                Some(age_i),
                                column,
                                "is after the date of the event",
                                problems,
                            ),
                            Some(age) => {
                                let given = texts[age_i].trim();
                                if given.is_empty() {
                                    texts[age_i] = Cow::Owned(age.to_string());
                                } else if given.parse::<u32>().ok() != Some(age) {
                                    warnings.add(
                                        line,
                                        self.column_name(age_i),
                                        format!("{given} disagrees with the date of birth, which gives {age} at the date of the event; the age given is kept"),
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        // Postcode to small area; a postcode column may say "NFA" or "out of area" instead.
        let postcode = cell(Derived::Postcode);
        let other = (!postcode.is_empty())
            .then(|| crate::area::residence_word(postcode))
            .flatten();
        if let (Some(code), Some(area_i)) = (other, index("residence_area")) {
            let given = texts[area_i].trim();
            if given.is_empty() {
                texts[area_i] = Cow::Owned(code.to_owned());
            } else if given != code {
                warnings.add(
                    line,
                    self.column_name(area_i),
                    format!(
                        "disagrees with the postcode column, which says {}; the area given is kept",
                        crate::codes::list(crate::area::RESIDENCE_LIST).label(code)
                    ),
                );
            }
        } else if !postcode.is_empty()
            && let Some(area_i) = index("residence_area")
        {
            let column = self.derived_name(Derived::Postcode);
            let found = super::postcodes::normalise_postcode(postcode).and_then(|p| {
                let key = super::postcodes::postcode_key(&p);
                self.context.postcodes.and_then(|all| all.get(&key))
            });
            match found {
                None if super::postcodes::normalise_postcode(postcode).is_none() => {
                    refuse(
                        Some(area_i),
                        column,
                        "is not shaped like a UK postcode",
                        problems,
                    );
                }
                None => refuse(
                    Some(area_i),
                    column,
                    "is not a postcode in the partnership's areas (the lookup holds only those): check it, or give residence_area (outside_area for a home outside the partnership)",
                    problems,
                ),
                Some(p) if p.terminated.is_some() => refuse(
                    Some(area_i),
                    column,
                    &format!(
                        "was terminated in {} and the lookup gives no successor: give the current postcode or residence_area",
                        p.terminated.as_deref().unwrap_or("")
                    ),
                    problems,
                ),
                Some(p) => {
                    let given = texts[area_i].trim();
                    if given.is_empty() {
                        texts[area_i] = Cow::Owned(p.area_code.clone());
                    } else if given != p.area_code {
                        warnings.add(
                            line,
                            self.column_name(area_i),
                            "disagrees with the small area of the postcode; the area given is kept",
                        );
                    }
                }
            }
        }
        // Grid reference to latitude and longitude.
        let (e, n) = (cell(Derived::Easting), cell(Derived::Northing));
        if (!e.is_empty() || !n.is_empty())
            && let (Some(lat_i), Some(lon_i)) = (index("location_lat"), index("location_lon"))
        {
            let column = self.derived_name(Derived::Easting);
            match (e.parse::<f64>(), n.parse::<f64>()) {
                (Ok(e), Ok(n)) if crate::grid::on_grid(e, n) => {
                    let (lat, lon) = crate::grid::grid_to_wgs84(e, n);
                    if texts[lat_i].trim().is_empty() && texts[lon_i].trim().is_empty() {
                        texts[lat_i] = Cow::Owned(format!("{lat:.6}"));
                        texts[lon_i] = Cow::Owned(format!("{lon:.6}"));
                    }
                }
                (Ok(_), Ok(_)) => refuse(
                    Some(lat_i),
                    column,
                    "with its northing is not on the British National Grid (eastings 0-700000, northings 0-1300000 metres)",
                    problems,
                ),
                _ => refuse(
                    Some(lat_i),
                    column,
                    "easting and northing must both be numbers of metres",
                    problems,
                ),
            }
        }
        refused.extend(silently_refused);
    }

    /// A date in the future is refused; dates out of order are warned of.
    fn check_dates(
        &self,
        record: &Record,
        line: u64,
        problems: &mut Problems,
        warnings: &mut Problems,
        failed: &mut bool,
    ) {
        let date_at = |i: usize| match &record.values[i] {
            Some(Value::Date(d)) => Some(*d),
            Some(Value::DateTime(t)) => Some(t.date_naive()),
            _ => None,
        };
        for name in NOT_IN_THE_FUTURE {
            if let Some(&i) = self.field_index.get(name)
                && let Some(d) = date_at(i)
                && d > self.context.today
            {
                problems.add(
                    line,
                    self.column_name(i),
                    format!(
                        "{d} is in the future (today is {}): check the date and its order (--date-order)",
                        self.context.today
                    ),
                );
                *failed = true;
            }
        }
        let Some(death) = self
            .field_index
            .get("date_of_death")
            .and_then(|&i| date_at(i))
        else {
            return;
        };
        for name in AFTER_DEATH {
            if let Some(&i) = self.field_index.get(name)
                && let Some(d) = date_at(i)
                && d < death
            {
                warnings.add(
                    line,
                    self.column_name(i),
                    format!("{d} is before the date of death ({death})"),
                );
            }
        }
    }
}

/// What a register import did: the counts, and which fields it changed in how many records.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RegisterImport {
    /// Inserted, updated and unchanged rows.
    #[serde(flatten)]
    pub summary: ImportSummary,
    /// The fields updated rows changed, each with how many records it changed in.
    pub fields_changed: crate::register::FieldChanges,
    /// Things allowed but worth a second look, each as `FILE:LINE: COLUMN: message`.
    pub warnings: Vec<String>,
    /// The file's text encoding (`UTF-8` or `Windows-1252`).
    pub encoding: String,
}

/// Import a register file into the store: all rows or none. A row whose key is stored is laid
/// over the stored record: a column the file lacks leaves its field alone, and an empty cell
/// clears a field only with `blank_clears` (see [`crate::register::ImportMerge`]).
///
/// # Errors
/// Problems in the file, or a store failure; in both cases nothing is written.
pub async fn import_register(
    store: &dyn Store,
    dataset: &'static Dataset,
    path: &Path,
    options: &RegisterImportOptions<'_>,
    progress: Progress<'_>,
) -> Result<RegisterImport, ImportError> {
    let started = std::time::Instant::now();
    let encoding = options
        .encoding
        .or_else(|| options.profile.and_then(|p| p.encoding));
    let table = read_table_as(path, encoding)?;
    tracing::info!(
        rows = table.rows.len(),
        ms = started.elapsed().as_millis() as u64,
        "read"
    );
    let areas = store.area_codes().await?;
    let postcodes = store.postcodes().await?;
    let sources: Vec<String> = store
        .listed_sources()
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let in_register = store.sources(dataset).await?;
    let context = RegisterContext {
        area_known: &|c| areas.contains(c),
        key: options.key,
        profile: options.profile,
        date_order: options.date_order,
        today: options
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive()),
        postcodes: Some(&postcodes),
        sources: &sources,
        in_register: &in_register,
    };
    let parsed = parse_register_with(dataset, &table, &context)?;
    let records = parsed.records;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "validated");
    let origin = format!(
        "import:{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    );
    let columns = parsed.fields.iter().copied();
    let merge = crate::register::ImportMerge::for_columns(dataset, columns, options.blank_clears);
    let audit = options.audit_by.map(|by| {
        move |s: &ImportSummary, fields: &crate::register::FieldChanges| {
            crate::audit::NewAuditEntry {
                actor: by.actor.to_owned(),
                action: "import".to_owned(),
                dataset: Some(dataset.name.to_owned()),
                record_id: None,
                detail: format!(
                    "file={} inserted={} updated={} unchanged={} fields={}",
                    path.display(),
                    s.inserted,
                    s.updated,
                    s.unchanged,
                    describe_fields(fields)
                ),
                origin: by.origin.to_owned(),
            }
        }
    });
    let (summary, fields_changed) = store
        .import_merged(
            &records,
            &merge,
            &origin,
            options.dry_run,
            audit.as_ref().map(|a| a as crate::store::ImportAudit<'_>),
            progress,
        )
        .await?;
    Ok(RegisterImport {
        summary,
        fields_changed,
        warnings: parsed.warnings.iter().map(ToString::to_string).collect(),
        encoding: table.encoding.name().to_owned(),
    })
}

/// How a register file is imported.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegisterImportOptions<'a> {
    /// The deployment's pseudonym key, which self-harm files with NHS numbers need.
    pub key: Option<&'a PseudonymKey>,
    /// Check and count, then roll back.
    pub dry_run: bool,
    /// An empty cell clears its field (otherwise it leaves the stored value alone).
    pub blank_clears: bool,
    /// Who imports: an audit entry is written in the import's own transaction.
    pub audit_by: Option<AuditBy<'a>>,
    /// How the file's columns and values map to Lantern's.
    pub profile: Option<&'a Profile>,
    /// How dates written with numbers only are read, when the profile does not say.
    pub date_order: DateOrder,
    /// The file's encoding (`None`: the profile's, else found from the bytes).
    pub encoding: Option<TextEncoding>,
    /// The date no event may be later than (`None`: today).
    pub today: Option<NaiveDate>,
}

/// Who does something the audit log records, and from where.
#[derive(Debug, Clone, Copy)]
pub struct AuditBy<'a> {
    /// `cli:USER` or a username.
    pub actor: &'a str,
    /// `cli`, or the request's origin.
    pub origin: &'a str,
}

impl<'a> AuditBy<'a> {
    /// The audit entry of an import of reference data (benchmarks, the support directory) from
    /// `path`: `action` with the file and what it did.
    pub(crate) fn summary_entry(
        self,
        action: &'static str,
        path: &'a std::path::Path,
    ) -> impl Fn(&crate::ImportSummary) -> crate::audit::NewAuditEntry + Send + Sync + 'a {
        move |s| crate::audit::NewAuditEntry {
            actor: self.actor.to_owned(),
            action: action.to_owned(),
            dataset: None,
            record_id: None,
            detail: format!(
                "file={} inserted={} updated={} unchanged={}",
                path.display(),
                s.inserted,
                s.updated,
                s.unchanged
            ),
            origin: self.origin.to_owned(),
        }
    }
}

/// The name a file's rows are stored as coming from: its file name.
pub(crate) fn source_name(path: &std::path::Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file")
        .to_owned()
}

/// `field (n), field (n)`: the fields an import changed and in how many records.
pub fn describe_fields(fields: &crate::register::FieldChanges) -> String {
    fields
        .iter()
        .map(|(f, n)| format!("{f} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Replace the `nhs_number` column of a self-harm CSV with `person_key`, so the identifier never
/// leaves the source. Every other cell is copied unchanged. Returns the rows written.
///
/// # Errors
/// Problems (bad NHS numbers, no `nhs_number` column) with their lines; nothing is written then.
pub fn pseudonymise_file(
    input: &Path,
    output: &Path,
    key: &PseudonymKey,
) -> Result<u64, ImportError> {
    let table = read_table(input)?;
    let mut problems = Problems::new(&table.file);
    let Some(col) = table.column(NHS_NUMBER) else {
        problems.add(1, NHS_NUMBER, "the column nhs_number is missing");
        return problems.into_result(0);
    };
    let key_col = table.column("person_key");
    let mut out_rows = Vec::with_capacity(table.rows.len());
    for (line, cells) in &table.rows {
        let raw = cells[col].trim();
        let person_key = if raw.is_empty() {
            String::new()
        } else {
            match key.person_key(raw) {
                Ok(k) => k,
                Err(e) => {
                    problems.add(*line, NHS_NUMBER, e.to_string());
                    continue;
                }
            }
        };
        let mut row: Vec<String> = Vec::with_capacity(cells.len());
        for (i, c) in cells.iter().enumerate() {
            if i == col {
                if key_col.is_none() {
                    row.push(person_key.clone());
                }
            } else if Some(i) == key_col {
                row.push(if person_key.is_empty() {
                    c.to_owned()
                } else {
                    person_key.clone()
                });
            } else {
                row.push(c.to_owned());
            }
        }
        out_rows.push(row);
    }
    let rows = problems.into_result(out_rows)?;
    let headers: Vec<&str> = table
        .headers
        .iter()
        .enumerate()
        .filter(|(i, _)| !(*i == col && key_col.is_some()))
        .map(|(i, h)| if i == col { "person_key" } else { h.as_str() })
        .collect();
    let write = || -> Result<(), Box<dyn std::error::Error>> {
        let mut w = crate::export::CsvWriter::new(std::fs::File::create(output)?);
        w.write_record(&headers)?;
        for r in &rows {
            w.write_record(r)?;
        }
        w.flush()?;
        Ok(())
    };
    write().map_err(|e| ImportError::Unreadable {
        file: output.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Problem;
    use crate::register::{SELF_HARM, SUICIDES};

    fn lines(err: ImportError) -> Vec<String> {
        match err {
            ImportError::Invalid(p) => p.iter().map(Problem::to_string).collect(),
            other => panic!("{other}"),
        }
    }

    const HEADER: &str = "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type\n";

    #[test]
    fn every_bad_row_is_reported_with_line_and_column() {
        let csv = format!(
            "{HEADER}police,A1,2024-01-02,40,male,E01000001,suspected,hanging,home\n\
             police,A2,2024-13-02,40,male,E01000001,suspected,hanging,home\n\
             police,A3,2024-01-02,400,man,E01999999,suspected,hanging,home\n\
             police,A1,2024-01-02,40,male,E01000001,suspected,hanging,home\n"
        );
        let table = Table::from_csv("s.csv", csv.as_bytes()).unwrap();
        let err = parse_register(&SUICIDES, &table, &|c| c == "E01000001", None).unwrap_err();
        let got = lines(err);
        assert!(
            got.contains(
                &"s.csv:3: date_of_death: '2024-13-02' is not a date that exists (read as day/month/year; if the file writes dates another way, give --date-order)"
                    .to_owned()
            ),
            "{got:?}"
        );
        assert!(
            got.contains(&"s.csv:4: age: 400 is outside 0-120".to_owned()),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|l| l.starts_with("s.csv:4: sex: 'man' is not one of")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|l| l.starts_with("s.csv:4: residence_area:")),
            "{got:?}"
        );
        assert!(
            got.contains(
                &"s.csv:5: source_ref: repeats the source and reference of line 2".to_owned()
            ),
            "{got:?}"
        );
        assert_eq!(got.len(), 5, "{got:?}");
    }

    #[test]
    fn no_fixed_abode_and_outside_the_areas_are_read_from_their_words_in_either_column() {
        let postcodes: HashMap<String, Postcode> = [(
            super::super::postcodes::postcode_key("AV1 1AA"),
            Postcode {
                key: super::super::postcodes::postcode_key("AV1 1AA"),
                area_code: "E01000001".to_owned(),
                lat: None,
                lon: None,
                terminated: None,
                district: "AV1".to_owned(),
            },
        )]
        .into_iter()
        .collect();
        let csv = "Ref,Date of death,Age,Sex,Home area,Home postcode,Status,Method,Place\r\n\
            A1,02/01/2024,40,Male,NFA,,Suspected,Hanging,Home\r\n\
            A2,02/01/2024,41,Male,Out of area,,Suspected,Hanging,Home\r\n\
            A3,02/01/2024,42,Female,,N.F.A.,Suspected,Hanging,Home\r\n\
            A4,02/01/2024,43,Female,,av1 1aa,Suspected,Hanging,Home\r\n\
            A5,02/01/2024,44,Female,outside_area,,Suspected,Hanging,Home\r\n\
            A6,02/01/2024,45,Female,Nowhere,,Suspected,Hanging,Home\r\n\
            A7,02/01/2024,46,Female,E01000001,no fixed abode,Suspected,Hanging,Home\r\n";
        let profile = Profile::parse(
            "p.toml",
            "dataset = \"suicides\"\nsource = \"police\"\n[columns]\n\"Ref\" = \"source_ref\"\n\"Home area\" = \"residence_area\"\n\"Home postcode\" = \"residence_postcode\"\n\"Method\" = \"method_group\"\n\"Place\" = \"location_type\"\n",
        )
        .unwrap();
        let known = |c: &str| c == "E01000001";
        let context = RegisterContext {
            profile: Some(&profile),
            postcodes: Some(&postcodes),
            ..RegisterContext::new(&known)
        };
        let table = Table::from_csv("p.csv", csv.as_bytes()).unwrap();
        let got = lines(parse_register_with(&SUICIDES, &table, &context).unwrap_err());
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("p.csv:7: Home area: 'Nowhere' is not a known area code (import areas first), nor one of no_fixed_abode|outside_area"),
            "{got:?}"
        );
        let fixed = csv.replace("Nowhere", "OOA");
        let table = Table::from_csv("p.csv", fixed.as_bytes()).unwrap();
        let parsed = parse_register_with(&SUICIDES, &table, &context).unwrap();
        let homes: Vec<String> = parsed
            .records
            .iter()
            .map(|r| r.text("residence_area"))
            .collect();
        assert_eq!(
            homes,
            [
                "no_fixed_abode",
                "outside_area",
                "no_fixed_abode",
                "E01000001",
                "outside_area",
                "outside_area",
                "E01000001"
            ]
        );
        // The area given is kept where the postcode column says otherwise, with a warning.
        assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
        assert!(
            parsed.warnings[0].to_string().starts_with(
                "p.csv:8: Home area: disagrees with the postcode column, which says No fixed abode"
            ),
            "{:?}",
            parsed.warnings
        );
        // A profile may name its own words for them, and is refused a word that is neither.
        let mapped = Profile::parse(
            "m.toml",
            "dataset = \"suicides\"\n[values.residence_area]\n\"Homeless\" = \"no_fixed_abode\"\n\"Ashvale\" = \"E01000001\"\n\"Away\" = \"elsewhere\"\n",
        );
        let Err(ImportError::Invalid(p)) = mapped else {
            panic!("refused")
        };
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].to_string(),
            "m.toml:5: residence_area: 'Away' maps to 'elsewhere', which is not one of no_fixed_abode|outside_area or an area code (or \"\" for blank)"
        );
    }

    #[test]
    fn missing_and_unknown_columns_are_reported_on_line_1() {
        let table = Table::from_csv("s.csv", b"source,source_ref,dod\n").unwrap();
        let got = lines(parse_register(&SUICIDES, &table, &|_| true, None).unwrap_err());
        assert!(
            got.iter().any(|l| l
                .starts_with("s.csv:1: dod: is not a column of suicides (see docs/templates/)")),
            "{got:?}"
        );
        assert!(got.contains(
            &"s.csv:1: age: the required column age or date_of_birth is missing".to_owned()
        ));
    }

    #[test]
    fn nhs_numbers_are_hashed_and_bad_ones_reported_without_echoing_them() {
        let key = PseudonymKey::from_hex(&"11".repeat(32)).unwrap();
        let csv = "source,source_ref,presented_at,setting,nhs_number,age,sex,residence_area,presentation_type,intent,methods\n\
                   ed,1,2024-01-01,ed,943 476 5919,20,female,E01000001,self_injury,self_harm,cutting\n\
                   ed,2,2024-01-01,ed,9434765910,20,female,E01000001,self_injury,self_harm,cutting\n";
        let table = Table::from_csv("h.csv", csv.as_bytes()).unwrap();
        let got = lines(parse_register(&SELF_HARM, &table, &|_| true, Some(&key)).unwrap_err());
        assert_eq!(
            got,
            ["h.csv:3: nhs_number: fails the NHS number check digit (modulus 11)"]
        );
        assert!(!got[0].contains("9434765910"));
        let good = Table {
            rows: table.rows[..1].to_vec(),
            ..table
        };
        let records = parse_register(&SELF_HARM, &good, &|_| true, Some(&key)).unwrap();
        assert_eq!(
            records[0].text("person_key"),
            key.person_key("9434765919").unwrap()
        );
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn close_sources_are_found_and_far_ones_not() {
        let listed = vec![
            "ashvale_police".to_owned(),
            "ashvale_coroner".to_owned(),
            "ed".to_owned(),
        ];
        assert_eq!(close_sources("Ashvale Police", &listed), ["ashvale_police"]);
        assert_eq!(close_sources("ashvale-polise", &listed), ["ashvale_police"]);
        assert_eq!(close_sources("Ashvale", &listed).len(), 2);
        assert!(close_sources("lancashire_constabulary", &listed).is_empty());
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
    }
    use crate::register::{SELF_HARM, SUICIDES};

    /// Labels are read as codes and headers: each must name one thing only.
    #[test]
    fn labels_and_names_are_unambiguous_when_folded() {
        for list in crate::codes::all() {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for c in &list.codes {
                for word in [fold(&c.code), fold(&c.label)] {
                    if let Some(other) = seen.insert(word.clone(), &c.code) {
                        assert_eq!(
                            other, c.code,
                            "{}: '{word}' names {other} and {}",
                            list.name, c.code
                        );
                    }
                }
            }
        }
        for ds in [&SUICIDES, &SELF_HARM] {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for f in ds.fields {
                for word in [fold(f.name), fold(f.label)] {
                    if let Some(other) = seen.insert(word.clone(), f.name) {
                        assert_eq!(
                            other, f.name,
                            "{}: '{word}' names {other} and {}",
                            ds.name, f.name
                        );
                    }
                }
                assert_eq!(default_target(ds, f.label), Some(f.name));
            }
            for (_, name, also) in Derived::ALL {
                assert!(ds.index(name).is_none());
                for a in also {
                    assert!(!seen.contains_key(*a), "{a} is a field's name too");
                }
            }
            assert_eq!(default_target(ds, crate::export::AREA_NAME_HEADER), None);
        }
    }
}

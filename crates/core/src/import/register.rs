//! Importing suspected suicides and self-harm presentations.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{ImportError, Problems, Progress, Table, read_table};
use crate::pseudonym::PseudonymKey;
use crate::register::{Dataset, Record};
use crate::{ImportSummary, Store};

/// The column a source may send instead of `person_key`; it is hashed at once.
const NHS_NUMBER: &str = "nhs_number";

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
    let mut problems = Problems::new(&table.file);
    let is_self_harm = dataset.is_self_harm();
    let nhs_col = if is_self_harm {
        table.column(NHS_NUMBER)
    } else {
        None
    };
    check_header(dataset, table, nhs_col.is_some(), &mut problems);
    if !problems.is_empty() {
        return problems.into_result(Vec::new());
    }
    if nhs_col.is_some() && key.is_none() {
        problems.add(
            1,
            NHS_NUMBER,
            "no pseudonymisation key is set (LANTERN_PSEUDONYM_KEY)",
        );
        return problems.into_result(Vec::new());
    }
    let rows = RowParser {
        dataset,
        columns: table
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.as_str(), i))
            .collect(),
        nhs_col,
        key,
        area_known,
        file: &table.file,
    };
    // Rows are independent, so large files are checked on every core, in order.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = table.rows.len().div_ceil(threads).max(20_000);
    let parts: Vec<(Vec<(u64, Record)>, Problems)> = std::thread::scope(|scope| {
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
    for (part, part_problems) in parts {
        records.extend(part);
        problems.extend(part_problems);
    }
    // Keys repeated within the file, reported on the later line.
    let mut seen: HashMap<(String, String), u64> = HashMap::with_capacity(records.len());
    for (line, record) in &records {
        if let Some(first) = seen.insert(record.key(), *line) {
            problems.add(
                *line,
                "source_ref",
                format!("repeats the source and reference of line {first}"),
            );
        }
    }
    problems.sort();
    problems.into_result(records.into_iter().map(|(_, r)| r).collect())
}

/// What every row needs to be checked.
struct RowParser<'a> {
    dataset: &'static Dataset,
    columns: HashMap<&'a str, usize>,
    nhs_col: Option<usize>,
    key: Option<&'a PseudonymKey>,
    area_known: &'a (dyn Fn(&str) -> bool + Sync),
    file: &'a str,
}

impl RowParser<'_> {
    fn parse(&self, rows: &[(u64, csv::StringRecord)]) -> (Vec<(u64, Record)>, Problems) {
        let mut problems = Problems::new(self.file);
        let mut records = Vec::with_capacity(rows.len());
        for (line, cells) in rows {
            let mut derived_key: Option<String> = None;
            if let (Some(col), Some(key)) = (self.nhs_col, self.key) {
                let raw = cells[col].trim();
                if !raw.is_empty() {
                    match key.person_key(raw) {
                        Ok(k) => derived_key = Some(k),
                        // The message never repeats the number itself.
                        Err(e) => problems.add(*line, NHS_NUMBER, e.to_string()),
                    }
                }
            }
            let given_key = self
                .columns
                .get("person_key")
                .map_or("", |&i| cells[i].trim());
            if let Some(k) = &derived_key
                && !given_key.is_empty()
                && given_key != k
            {
                problems.add(
                    *line,
                    "person_key",
                    "does not match the key made from nhs_number",
                );
            }
            let lookup = |name: &str| -> Option<&str> {
                if name == "person_key" && derived_key.is_some() {
                    return derived_key.as_deref();
                }
                self.columns.get(name).map(|&i| &cells[i])
            };
            match Record::parse(self.dataset, lookup, self.area_known) {
                Ok(record) => records.push((*line, record)),
                Err(errs) => {
                    for (field, e) in errs {
                        if field == "person_key" && self.nhs_col.is_some() && given_key.is_empty() {
                            // A bad NHS number was reported above; a blank one needs saying here.
                            if self.nhs_col.is_some_and(|c| cells[c].trim().is_empty()) {
                                problems.add(*line, NHS_NUMBER, "give person_key or nhs_number");
                            }
                            continue;
                        }
                        problems.add(*line, field, e.0);
                    }
                }
            }
        }
        (records, problems)
    }
}

fn check_header(dataset: &Dataset, table: &Table, has_nhs: bool, problems: &mut Problems) {
    let mut seen = HashSet::new();
    for h in &table.headers {
        if !seen.insert(h.as_str()) {
            problems.add(1, h, "appears twice in the header");
        }
        let known = dataset.field(h).is_some() || (h == NHS_NUMBER && has_nhs);
        if !known && !h.is_empty() {
            problems.add(
                1,
                h,
                format!("is not a column of {} (see docs/templates/)", dataset.name),
            );
        }
    }
    for field in dataset.fields.iter().filter(|f| f.required) {
        let present = table.column(field.name).is_some() || (field.name == "person_key" && has_nhs);
        if !present {
            let what = if field.name == "person_key" {
                "person_key or nhs_number"
            } else {
                field.name
            };
            problems.add(
                1,
                field.name,
                format!("the required column {what} is missing"),
            );
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
    let table = read_table(path)?;
    tracing::info!(
        rows = table.rows.len(),
        ms = started.elapsed().as_millis() as u64,
        "read"
    );
    let areas = store.area_codes().await?;
    let records = parse_register(dataset, &table, &|c| areas.contains(c), options.key)?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "validated");
    let origin = format!(
        "import:{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    );
    let columns = table.headers.iter().map(|h| {
        if h == NHS_NUMBER {
            "person_key"
        } else {
            h.as_str()
        }
    });
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
}

/// Who does something the audit log records, and from where.
#[derive(Debug, Clone, Copy)]
pub struct AuditBy<'a> {
    /// `cli:USER` or a username.
    pub actor: &'a str,
    /// `cli`, or the request's origin.
    pub origin: &'a str,
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
                &"s.csv:3: date_of_death: '2024-13-02' is not a date in the form YYYY-MM-DD"
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
    fn missing_and_unknown_columns_are_reported_on_line_1() {
        let table = Table::from_csv("s.csv", b"source,source_ref,dob\n").unwrap();
        let got = lines(parse_register(&SUICIDES, &table, &|_| true, None).unwrap_err());
        assert!(got.contains(
            &"s.csv:1: dob: is not a column of suicides (see docs/templates/)".to_owned()
        ));
        assert!(got.contains(&"s.csv:1: age: the required column age is missing".to_owned()));
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

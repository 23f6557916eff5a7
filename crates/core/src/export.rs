//! Exports: the same columns the importer reads, so an export re-imports as "unchanged".
//!
//! Every CSV Lantern writes goes through [`CsvWriter`], which neutralises text cells a
//! spreadsheet would run as a formula (OWASP's "CSV injection" rule): a cell that begins with
//! `=`, `+`, `-`, `@`, a tab or a carriage return, and is not a number, gets a leading `'`.
//! A cell that already begins with `'` gets one too, so that the CSV importer can take exactly
//! one off again ([`restore_cell`]) and an export still re-imports as "unchanged".

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

use crate::register::{FieldKind, Value};

/// What a spreadsheet reads as the start of a formula (or a DDE command).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A plain decimal number, perhaps signed: `-5`, `+44`, `-0.25`. Kept as it is.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
}

/// A cell as it may safely reach a spreadsheet: see the module's documentation.
pub fn neutralise_cell(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(c) if (FORMULA_STARTS.contains(&c) && !is_number(cell)) || c == '\'' => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// The inverse of [`neutralise_cell`], for cells read from CSV: one leading `'` before a
/// formula start or another `'` is taken off.
pub fn restore_cell(cell: &str) -> Option<String> {
    let rest = cell.strip_prefix('\'')?;
    let next = rest.chars().next()?;
    (FORMULA_STARTS.contains(&next) || next == '\'').then(|| rest.to_owned())
}

/// A CSV writer whose text cells cannot run as formulas in a spreadsheet.
pub struct CsvWriter<W: Write>(csv::Writer<W>);

impl<W: Write> CsvWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> Self {
        Self(csv::Writer::from_writer(out))
    }

    /// A writer over `out` whose records may differ in length (notes above a table).
    pub fn flexible(out: W) -> Self {
        Self(csv::WriterBuilder::new().flexible(true).from_writer(out))
    }

    /// Write one record, each cell neutralised.
    ///
    /// # Errors
    /// When the underlying writer fails.
    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(
            record
                .into_iter()
                .map(|c| neutralise_cell(c.as_ref()).into_owned()),
        )
    }

    /// Flush the output.
    ///
    /// # Errors
    /// When the underlying writer fails.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write> CsvWriter<W> {
    /// The output, flushed.
    ///
    /// # Errors
    /// When the underlying writer fails.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.0.into_inner().map_err(|e| e.into_error())
    }
}

/// A cell of a figures table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// Nothing (withheld or not computed).
    Empty,
}

/// A table of figures as the pages show it, with what a reader needs to read it wherever the
/// file goes: a title, and notes naming the disclosure rule, the definition and the period.
#[derive(Debug, Clone, PartialEq)]
pub struct FiguresTable {
    /// What the table shows.
    pub title: String,
    /// `(label, text)` lines written above the header.
    pub notes: Vec<(String, String)>,
    /// Column names.
    pub columns: Vec<String>,
    /// The rows, a cell per column.
    pub rows: Vec<Vec<Cell>>,
}

impl FiguresTable {
    /// CSV: a `# label,text` line per note (and the title), then the header and the rows.
    ///
    /// # Errors
    /// When writing fails.
    pub fn csv(&self) -> std::io::Result<Vec<u8>> {
        // Notes have two cells and the table more: the lengths differ by design.
        let mut w = CsvWriter(
            csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(Vec::new()),
        );
        w.write_record(["# title", self.title.as_str()])?;
        for (k, v) in &self.notes {
            w.write_record([format!("# {k}"), v.clone()])?;
        }
        w.write_record(&self.columns)?;
        for row in &self.rows {
            w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Number(n) => n.to_string(),
                Cell::Empty => String::new(),
            }))?;
        }
        w.into_inner()
    }

    /// An XLSX workbook: the table on the first sheet, the title and notes on a second.
    ///
    /// # Errors
    /// When the workbook cannot be built.
    pub fn xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("figures")?;
        for (c, name) in self.columns.iter().enumerate() {
            sheet.write_string(0, c as u16, name)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, c, s)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, c, *n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        let about = book.add_worksheet();
        about.set_name("about")?;
        about.write_string(0, 0, "title")?;
        about.write_string(0, 1, &self.title)?;
        for (i, (k, v)) in self.notes.iter().enumerate() {
            about.write_string(i as u32 + 1, 0, k)?;
            about.write_string(i as u32 + 1, 1, v)?;
        }
        book.save_to_buffer()
    }
}

use crate::register::{Dataset, Record, StoredRecord};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// An Excel workbook with one sheet.
    Xlsx,
    /// A JSON array of objects.
    Json,
}

impl Format {
    /// Parse `csv|xlsx|json`.
    ///
    /// # Errors
    /// A message listing the formats.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            "json" => Ok(Self::Json),
            other => Err(format!("'{other}' is not one of csv|xlsx|json")),
        }
    }
}

/// Write records as CSV.
///
/// # Errors
/// When the writer fails.
pub fn write_csv(dataset: &Dataset, records: &[Record], out: impl Write) -> std::io::Result<()> {
    let mut w = CsvWriter::new(out);
    w.write_record(dataset.fields.iter().map(|f| f.name))?;
    for r in records {
        w.write_record(r.to_row())?;
    }
    w.flush()
}

/// The header of the area-name column a labelled export writes beside the area of residence;
/// the importer reads past it.
pub const AREA_NAME_HEADER: &str = "Area of residence (name)";

/// A record's row with labels for people: each code as its label (several joined by `; `),
/// and after the area of residence its name.
fn labelled_row(record: &Record, area_names: &HashMap<String, String>) -> Vec<String> {
    let mut row = Vec::with_capacity(record.values.len() + 1);
    for (i, f) in record.dataset.fields.iter().enumerate() {
        let text = match (&record.values[i], f.kind) {
            (Some(Value::Code(c)), FieldKind::Code(l)) => crate::codes::list(l).label(c).to_owned(),
            (Some(Value::Codes(cs)), FieldKind::Codes(l)) => {
                let list = crate::codes::list(l);
                cs.iter()
                    .map(|c| list.label(c))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
            _ => record.text_at(i),
        };
        row.push(text);
        if f.name == "residence_area" {
            let code = record.text_at(i);
            let name = area_names
                .get(&code)
                .cloned()
                .or_else(|| crate::area::residence_other(&code).map(|c| c.label.clone()));
            row.push(name.unwrap_or_default());
        }
    }
    row
}

/// The header of a labelled export: each field's label, and the area-name column.
fn labelled_header(dataset: &Dataset) -> Vec<&'static str> {
    let mut h = Vec::with_capacity(dataset.fields.len() + 1);
    for f in dataset.fields {
        h.push(f.label);
        if f.name == "residence_area" {
            h.push(AREA_NAME_HEADER);
        }
    }
    h
}

/// [`write_csv`] for people: labels for headers and codes, and area names beside area codes.
/// It re-imports as the same records (the importer reads labels, and reads past the names).
///
/// # Errors
/// When the writer fails.
pub fn write_csv_labelled(
    dataset: &Dataset,
    records: &[Record],
    area_names: &HashMap<String, String>,
    out: impl Write,
) -> std::io::Result<()> {
    let mut w = CsvWriter::new(out);
    w.write_record(labelled_header(dataset))?;
    for r in records {
        w.write_record(labelled_row(r, area_names))?;
    }
    w.flush()
}

/// [`xlsx_bytes`] for people, as [`write_csv_labelled`].
///
/// # Errors
/// When the workbook cannot be built.
pub fn xlsx_bytes_labelled(
    dataset: &Dataset,
    records: &[Record],
    area_names: &HashMap<String, String>,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(dataset.name)?;
    for (c, h) in labelled_header(dataset).iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for (r, rec) in records.iter().enumerate() {
        for (c, cell) in labelled_row(rec, area_names).iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, cell)?;
            }
        }
    }
    book.save_to_buffer()
}

/// Write records as a JSON array (one object per record, blank fields as `null`).
///
/// # Errors
/// When the writer fails.
pub fn write_json(records: &[Record], mut out: impl Write) -> std::io::Result<()> {
    let items: Vec<serde_json::Value> = records
        .iter()
        .map(|r| serde_json::Value::Object(r.to_json_map()))
        .collect();
    serde_json::to_writer_pretty(&mut out, &items)?;
    writeln!(out)
}

/// Write stored records (with ids) as JSON.
pub fn stored_to_json(records: &[StoredRecord]) -> serde_json::Value {
    serde_json::Value::Array(records.iter().map(StoredRecord::to_json).collect())
}

/// The workbook bytes for records: one sheet, text cells, so codes and dates keep their form.
///
/// # Errors
/// When the workbook cannot be built.
pub fn xlsx_bytes(
    dataset: &Dataset,
    records: &[Record],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(dataset.name)?;
    for (c, f) in dataset.fields.iter().enumerate() {
        sheet.write_string(0, c as u16, f.name)?;
    }
    for (r, rec) in records.iter().enumerate() {
        for (c, cell) in rec.to_row().iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, cell)?;
            }
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// What the importer reads back is what was written, and no neutralised text cell
        /// starts a formula.
        #[test]
        fn neutralising_round_trips_and_never_starts_a_formula(cell in "\\PC{0,12}|[=+@'\t-][ -~]{0,8}|-?[0-9]{1,4}(\\.[0-9]{1,2})?") {
            let out = neutralise_cell(&cell);
            let back = restore_cell(&out).unwrap_or_else(|| out.to_string());
            proptest::prop_assert_eq!(&back, &cell);
            let starts_formula = out.starts_with(FORMULA_STARTS);
            proptest::prop_assert!(!starts_formula || is_number(&out), "{out:?}");
        }
    }

    #[test]
    fn numbers_stay_numbers() {
        for n in ["-5", "+44", "-0.25", "12"] {
            assert_eq!(neutralise_cell(n), n);
        }
        for f in [
            "=1+1",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1)",
            "\tx",
            "\rx",
            "-",
            "'x",
        ] {
            assert!(neutralise_cell(f).starts_with('\''), "{f}");
        }
    }
}

//! Exports: the same columns the importer reads, so an export re-imports as "unchanged".

use std::io::Write;

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
    let mut w = csv::Writer::from_writer(out);
    w.write_record(dataset.fields.iter().map(|f| f.name))?;
    for r in records {
        w.write_record(r.to_row())?;
    }
    w.flush()
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

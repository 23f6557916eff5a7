//! A report as CSV (every table one after another, each with its title line) and as XLSX (the
//! cover on the first sheet, each table on its own). Both name the disclosure rule, and both
//! are byte-identical for the same report: the XLSX's document date is the data snapshot's.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::{Cell, HELP_NOW, Report};
use crate::export::CsvWriter;

/// The report as CSV: `# label,text` lines for the cover, then for each table a `# table`
/// line with its title, a `# disclosure` line, the header, the rows and a blank line.
///
/// # Errors
/// When writing fails.
pub fn csv_bytes(report: &Report) -> std::io::Result<Vec<u8>> {
    // Cover lines have two cells and tables more: the lengths differ by design.
    let mut w = CsvWriter::flexible(Vec::new());
    for (k, v) in report.cover() {
        w.write_record([format!("# {k}"), v])?;
    }
    for line in HELP_NOW {
        w.write_record(["# help now", line])?;
    }
    for note in &report.notes {
        w.write_record(["# note", note.as_str()])?;
    }
    for s in &report.sections {
        for t in &s.tables {
            w.write_record(["# table", &format!("{}: {}", s.title, t.title)])?;
            w.write_record(["# disclosure", report.disclosure.as_str()])?;
            if let Some(n) = &t.note {
                w.write_record(["# note", n.as_str()])?;
            }
            w.write_record(&t.columns)?;
            for row in &t.rows {
                w.write_record(row.iter().map(Cell::text))?;
            }
        }
    }
    w.into_inner()
}

/// A sheet name from a table's title: at most 31 characters, none of `[]:*?/\`, unique in the
/// workbook (a number is added when two would clash).
fn sheet_name(title: &str, taken: &mut Vec<String>) -> String {
    let clean: String = title
        .chars()
        .map(|c| if "[]:*?/\\'".contains(c) { ' ' } else { c })
        .collect();
    let base: String = clean.trim().chars().take(28).collect();
    let mut name = base.trim().to_owned();
    let mut n = 2;
    while name.is_empty() || taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{} {n}", base.trim());
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// The report as an XLSX workbook.
///
/// # Errors
/// When the workbook cannot be built.
pub fn xlsx_bytes(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    // The document date is the data's, not the clock's, so two runs give the same bytes.
    let date = report
        .snapshot
        .last_record
        .unwrap_or(chrono::NaiveDate::MIN)
        .max(chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default());
    let created = {
        use chrono::Datelike as _;
        ExcelDateTime::from_ymd(
            u16::try_from(date.year()).unwrap_or(1900),
            u8::try_from(date.month()).unwrap_or(1),
            u8::try_from(date.day()).unwrap_or(1),
        )?
    };
    book.set_properties(
        &DocProperties::new()
            .set_title(&report.title)
            .set_author("Lantern")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let one_place = Format::new().set_num_format("0.0");
    let whole_percent = Format::new().set_num_format("0%");
    let wrap = Format::new().set_text_wrap();
    let mut taken = vec!["cover".to_owned()];
    let cover = book.add_worksheet();
    cover.set_name("cover")?;
    cover.set_column_width(0, 18)?;
    cover.set_column_width(1, 100)?;
    let mut row = 0_u32;
    for (k, v) in report.cover() {
        cover.write_string_with_format(row, 0, k, &bold)?;
        cover.write_string_with_format(row, 1, &v, &wrap)?;
        row += 1;
    }
    for line in HELP_NOW {
        cover.write_string_with_format(row, 0, "help now", &bold)?;
        cover.write_string(row, 1, line)?;
        row += 1;
    }
    for note in &report.notes {
        cover.write_string_with_format(row, 0, "note", &bold)?;
        cover.write_string_with_format(row, 1, note, &wrap)?;
        row += 1;
    }
    for s in &report.sections {
        row += 1;
        cover.write_string_with_format(row, 0, &s.title, &bold)?;
        for p in &s.paragraphs {
            row += 1;
            cover.write_string_with_format(row, 1, p, &wrap)?;
        }
        row += 1;
    }
    for s in &report.sections {
        for t in &s.tables {
            let name = sheet_name(&t.title, &mut taken);
            let sheet = book.add_worksheet();
            sheet.set_name(&name)?;
            sheet.write_string_with_format(0, 0, format!("{}: {}", s.title, t.title), &bold)?;
            sheet.write_string(1, 0, format!("Disclosure: {}", report.disclosure))?;
            let mut r = 2;
            if let Some(n) = &t.note {
                sheet.write_string(r, 0, n)?;
                r += 1;
            }
            r += 1;
            for (c, name) in t.columns.iter().enumerate() {
                sheet.write_string_with_format(r, c as u16, name, &bold)?;
                sheet.set_column_width(c as u16, if c == 0 { 36 } else { 14 })?;
            }
            for cells in &t.rows {
                r += 1;
                for (c, cell) in cells.iter().enumerate() {
                    match cell {
                        Cell::Text(s) => {
                            sheet.write_string(r, c as u16, s)?;
                        }
                        Cell::Count(n) => {
                            sheet.write_number(r, c as u16, *n as f64)?;
                        }
                        Cell::Decimal(x) => {
                            sheet.write_number_with_format(r, c as u16, *x, &one_place)?;
                        }
                        Cell::Percent(x) => {
                            sheet.write_number_with_format(r, c as u16, *x, &whole_percent)?;
                        }
                        Cell::Empty => {}
                    }
                }
            }
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_short_clean_and_unique() {
        let mut taken = vec!["cover".to_owned()];
        let a = sheet_name("Deaths by year: all areas [2024]", &mut taken);
        assert!(a.len() <= 31 && !a.contains([':', '[', ']']), "{a}");
        let b = sheet_name("Deaths by year: all areas [2024]", &mut taken);
        assert_ne!(a, b);
        assert!(b.len() <= 31, "{b}");
        let c = sheet_name("Cover", &mut taken);
        assert_ne!(c.to_lowercase(), "cover");
        let d = sheet_name("***", &mut taken);
        assert!(!d.trim().is_empty(), "{d:?}");
    }
}

//! Reading a table from CSV or XLSX into text cells with their line numbers.

use std::path::Path;

use super::{ImportError, Problems, display_name};

/// A table read from a file: the header and the rows, each with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The file as named by the user.
    pub file: String,
    /// Column names, trimmed.
    pub headers: Vec<String>,
    /// `(line, cells)`; cells are padded to the header's width. A `StringRecord` keeps a
    /// row's cells in one buffer, which matters for files of a million rows.
    pub rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// Parse CSV text. A UTF-8 byte-order mark is removed.
    ///
    /// # Errors
    /// Malformed CSV (unbalanced quotes, invalid UTF-8) with its line.
    pub fn from_csv(file: &str, bytes: &[u8]) -> Result<Self, ImportError> {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let mut problems = Problems::new(file);
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|s| s.trim().to_owned()).collect(),
            Err(e) => {
                problems.add(1, "-", format!("cannot read the header: {e}"));
                return problems.into_result(Self::empty(file));
            }
        };
        let lines = LineIndex::new(bytes);
        let mut rows = Vec::new();
        loop {
            let mut record = csv::StringRecord::new();
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let line = record.position().map_or(0, |p| lines.line_of(p.byte()));
                    if record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    if record.len() > headers.len() {
                        problems.add(
                            line,
                            "-",
                            format!(
                                "has {} cells but the header has {}",
                                record.len(),
                                headers.len()
                            ),
                        );
                        continue;
                    }
                    if record.iter().any(|c| c.starts_with('\'')) {
                        record = record
                            .iter()
                            .map(|c| crate::export::restore_cell(c).unwrap_or_else(|| c.to_owned()))
                            .collect();
                    }
                    while record.len() < headers.len() {
                        record.push_field("");
                    }
                    rows.push((line, record));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| lines.line_of(p.byte()));
                    problems.add(line, "-", format!("cannot read this row: {e}"));
                    if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                        break;
                    }
                }
            }
        }
        problems.into_result(Self {
            file: file.to_owned(),
            headers,
            rows,
        })
    }

    fn empty(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            headers: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Read the first sheet of an XLSX workbook. Dates become `YYYY-MM-DD` (or RFC 3339 when
    /// they carry a time), whole numbers lose their `.0`.
    ///
    /// # Errors
    /// When the workbook cannot be opened or has no sheet.
    pub fn from_xlsx(path: &Path) -> Result<Self, ImportError> {
        let file = display_name(path);
        let bytes = std::fs::read(path).map_err(|e| ImportError::Unreadable {
            file: file.clone(),
            message: e.to_string(),
        })?;
        Self::from_xlsx_bytes(&file, bytes)
    }

    /// [`Table::from_xlsx`] on bytes already read (an upload, or a fuzz input).
    ///
    /// # Errors
    /// When the bytes are not a workbook or it has no sheet.
    pub fn from_xlsx_bytes(file: &str, bytes: Vec<u8>) -> Result<Self, ImportError> {
        use calamine::{Data, Reader as _};
        let file = file.to_owned();
        let unreadable = |message: String| ImportError::Unreadable {
            file: file.clone(),
            message,
        };
        let mut workbook: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
                .map_err(|e: calamine::XlsxError| unreadable(e.to_string()))?;
        let range = workbook
            .worksheet_range_at(0)
            .ok_or_else(|| unreadable("the workbook has no sheet".to_owned()))?
            .map_err(|e| unreadable(e.to_string()))?;
        let first_row = u64::from(range.start().map_or(0, |(r, _)| r));
        let cell_text = |d: &Data| -> String {
            match d {
                Data::Empty | Data::Error(_) => String::new(),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Int(n) => n.to_string(),
                Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
                Data::Float(x) => x.to_string(),
                Data::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
                Data::DateTime(dt) => excel_serial_to_text(dt.as_f64()),
            }
        };
        let mut rows_iter = range.rows();
        let headers: Vec<String> = rows_iter
            .next()
            .map(|r| r.iter().map(|c| cell_text(c).trim().to_owned()).collect())
            .unwrap_or_default();
        let mut rows = Vec::new();
        for (i, r) in rows_iter.enumerate() {
            let mut cells: Vec<String> = r.iter().map(cell_text).collect();
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            cells.resize(headers.len().max(cells.len()), String::new());
            cells.truncate(headers.len());
            rows.push((first_row + i as u64 + 2, csv::StringRecord::from(cells)));
        }
        Ok(Self {
            file,
            headers,
            rows,
        })
    }
}

/// Where each line of a text starts, for line numbers that are right whatever ends the lines:
/// `\n` (Unix), `\r\n` (Windows, as Excel writes CSV) or a lone `\r` (old Mac). The CSV
/// reader's own line count sees only `\n`, so a Windows file came out a line early and a Mac
/// file all on line 1.
///
/// The reader also places a record's start on the `\n` of the `\r\n` before it, so a start
/// is first moved past any line-end bytes: a record never begins with one (blank lines are not
/// records).
pub(crate) struct LineIndex<'a> {
    bytes: &'a [u8],
    starts: Vec<u64>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    i += 2;
                    starts.push(i as u64);
                    continue;
                }
                b'\r' | b'\n' => starts.push(i as u64 + 1),
                _ => {}
            }
            i += 1;
        }
        Self { bytes, starts }
    }

    /// The 1-based line of the record the reader says starts at byte `offset`.
    pub(crate) fn line_of(&self, offset: u64) -> u64 {
        let mut at = usize::try_from(offset).unwrap_or(usize::MAX);
        while matches!(self.bytes.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        self.starts.partition_point(|s| *s <= at as u64) as u64
    }
}

/// Excel's serial date (days since 1899-12-30) as a date, or RFC 3339 when it has a time. A
/// serial outside the years chrono can hold comes back as the number, for validation to refuse.
fn excel_serial_to_text(serial: f64) -> String {
    let as_number = || serial.to_string();
    if !serial.is_finite() || serial.abs() > 3_000_000.0 {
        return as_number();
    }
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    let days = serial.floor();
    let seconds = ((serial - days) * 86_400.0).round() as i64;
    let Some(date) =
        chrono::Duration::try_days(days as i64).and_then(|d| epoch.checked_add_signed(d))
    else {
        return as_number();
    };
    if seconds == 0 {
        date.format("%Y-%m-%d").to_string()
    } else {
        let t = date.and_hms_opt(0, 0, 0).unwrap_or_default() + chrono::Duration::seconds(seconds);
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

/// Read a CSV or XLSX file (by extension; anything not `.xlsx` is read as CSV).
///
/// # Errors
/// When the file cannot be read or is malformed.
pub fn read_table(path: &Path) -> Result<Table, ImportError> {
    let is_xlsx = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if is_xlsx {
        return Table::from_xlsx(path);
    }
    let file = display_name(path);
    let bytes = std::fs::read(path).map_err(|e| ImportError::Unreadable {
        file: file.clone(),
        message: e.to_string(),
    })?;
    Table::from_csv(&file, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_count_the_header_and_quoted_newlines() {
        let t = Table::from_csv("f.csv", b"a,b\n1,2\n\"x\ny\",3\n4,5\n").unwrap();
        let lines: Vec<u64> = t.rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, [2, 3, 5]);
    }

    #[test]
    fn a_row_wider_than_the_header_is_a_problem_on_its_line() {
        let Err(ImportError::Invalid(p)) = Table::from_csv("f.csv", b"a,b\n1,2\n1,2,3\n") else {
            panic!("expected problems");
        };
        assert_eq!(
            p[0].to_string(),
            "f.csv:3: -: has 3 cells but the header has 2"
        );
    }

    /// A table's text, its cells quoted when they hold a line end, with line ends `eol`.
    fn text_of(rows: &[Vec<String>], eol: &str) -> String {
        rows.iter()
            .map(|r| {
                r.iter()
                    .map(|c| {
                        if c.contains(['\n', '\r', ',', '"']) {
                            format!("\"{}\"", c.replace('"', "\"\""))
                        } else {
                            c.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(",")
                    + eol
            })
            .collect()
    }

    proptest::proptest! {
        /// Every row's line is one more than the line ends before it, for Unix, Windows and old
        /// Mac line ends, with quoted cells that span lines (their own line ends in the same
        /// style, as a spreadsheet writes them).
        #[test]
        fn line_numbers_are_right_for_every_line_end(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![
                        "[a-z0-9]{1,4}",
                        "[a-z]{1,3}(\n[a-z]{1,3}){1,3}",
                    ],
                    2,
                ),
                1..12,
            ),
            eol in proptest::prop_oneof![
                proptest::strategy::Just("\n"),
                proptest::strategy::Just("\r\n"),
                proptest::strategy::Just("\r"),
            ],
        ) {
            let rows: Vec<Vec<String>> =
                rows.into_iter().map(|r| r.into_iter().map(|c| c.replace('\n', eol)).collect()).collect();
            let mut all = vec![vec!["a".to_owned(), "b".to_owned()]];
            all.extend(rows.iter().cloned());
            let text = text_of(&all, eol);
            let t = Table::from_csv("f.csv", text.as_bytes()).unwrap();
            let mut expected = Vec::new();
            let mut line = 1;
            for r in &all {
                expected.push(line);
                line += 1 + r.iter().map(|c| c.matches(eol).count() as u64).sum::<u64>();
            }
            let got: Vec<u64> = t.rows.iter().map(|r| r.0).collect();
            proptest::prop_assert_eq!(&got[..], &expected[1..]);
            let cells: Vec<Vec<String>> =
                t.rows.iter().map(|r| r.1.iter().map(str::to_owned).collect()).collect();
            proptest::prop_assert_eq!(cells, rows);
        }
    }

    #[test]
    fn problems_name_the_right_line_in_a_windows_file() {
        let Err(ImportError::Invalid(p)) =
            Table::from_csv("f.csv", b"a,b\r\n1,2\r\n\"x\r\ny\",3\r\n1,2,3\r\n")
        else {
            panic!("expected problems");
        };
        assert_eq!(
            p[0].to_string(),
            "f.csv:5: -: has 3 cells but the header has 2"
        );
        let Err(ImportError::Invalid(p)) = Table::from_csv("f.csv", b"a,b\r1,2\r1,2,3\r") else {
            panic!("expected problems");
        };
        assert_eq!(
            p[0].to_string(),
            "f.csv:3: -: has 3 cells but the header has 2"
        );
    }

    #[test]
    fn excel_serials_become_dates() {
        assert_eq!(excel_serial_to_text(45292.0), "2024-01-01");
        assert_eq!(excel_serial_to_text(45292.5), "2024-01-01T12:00:00Z");
    }
}

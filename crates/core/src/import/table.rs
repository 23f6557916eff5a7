//! Reading a table from CSV or XLSX into text cells with their line numbers.

use std::path::Path;

use super::reading::{TextEncoding, Utf8Check, Windows1252Reader};
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
    /// How the file's text was encoded (XLSX is always UTF-8 inside).
    pub encoding: TextEncoding,
}

impl Table {
    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// Parse CSV text. A UTF-8 byte-order mark is removed.
    ///
    /// # Errors
    /// Malformed CSV (unbalanced quotes, invalid UTF-8) with its line; a row or cell past the
    /// limits (`MAX_ROW_BYTES`, `MAX_CELL_CHARS`, `MAX_FILE_BYTES`).
    pub fn from_csv(file: &str, bytes: &[u8]) -> Result<Self, ImportError> {
        Self::from_csv_reader(file, bytes)
    }

    /// Parse CSV bytes in `encoding`, or in the encoding they are found to be in: UTF-8 when
    /// every byte is (with or without a byte-order mark), else Windows-1252.
    ///
    /// # Errors
    /// As [`Table::from_csv`].
    pub fn from_csv_bytes(
        file: &str,
        bytes: &[u8],
        encoding: Option<TextEncoding>,
    ) -> Result<Self, ImportError> {
        let encoding = encoding.unwrap_or_else(|| {
            let mut check = Utf8Check::default();
            check.feed(bytes);
            if check.finish() {
                TextEncoding::Utf8
            } else {
                TextEncoding::Windows1252
            }
        });
        match encoding {
            TextEncoding::Utf8 => Self::from_csv_reader(file, bytes),
            TextEncoding::Windows1252 => {
                let mut t = Self::from_csv_reader(file, Windows1252Reader::new(bytes))?;
                t.encoding = encoding;
                Ok(t)
            }
        }
    }

    /// Parse CSV as it is read, a buffer at a time: the file is never held whole, and a row
    /// longer than [`MAX_ROW_BYTES`], a cell longer than [`MAX_CELL_CHARS`] or a file longer
    /// than [`MAX_FILE_BYTES`] is refused as soon as it is seen.
    ///
    /// # Errors
    /// As [`Table::from_csv`].
    pub fn from_csv_reader(file: &str, input: impl std::io::Read) -> Result<Self, ImportError> {
        use std::io::BufRead as _;
        let mut input = std::io::BufReader::new(input);
        let bom = input
            .fill_buf()
            .is_ok_and(|b| b.starts_with(b"\xef\xbb\xbf"));
        if bom {
            input.consume(3);
        }
        let lines = std::rc::Rc::new(std::cell::RefCell::new(LineIndex::default()));
        let row_start = std::rc::Rc::new(std::cell::Cell::new(0_u64));
        let counted = Counted {
            inner: input,
            lines: std::rc::Rc::clone(&lines),
            row_start: std::rc::Rc::clone(&row_start),
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(counted);
        let mut problems = Problems::new(file);
        let line_of = |offset: u64| lines.borrow().line_of(offset);
        let too_long = |e: &csv::Error| match e.kind() {
            csv::ErrorKind::Io(io) => io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<TooLong>())
                .map(ToString::to_string),
            _ => None,
        };
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|s| s.trim().to_owned()).collect(),
            Err(e) => {
                let message =
                    too_long(&e).unwrap_or_else(|| format!("cannot read the header: {e}"));
                problems.add(1, "-", message);
                return problems.into_result(Self::empty(file));
            }
        };
        row_start.set(reader.position().byte());
        let mut rows = Vec::new();
        loop {
            let mut record = csv::StringRecord::new();
            let result = reader.read_record(&mut record);
            match result {
                Ok(false) => break,
                Ok(true) => {
                    let line = record.position().map_or(0, |p| line_of(p.byte()));
                    row_start.set(reader.position().byte());
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
                    if let Some((i, _)) = record.iter().enumerate().find(|(_, c)| {
                        c.len() > MAX_CELL_CHARS && c.chars().count() > MAX_CELL_CHARS
                    }) {
                        problems.add(
                            line,
                            &headers[i],
                            format!("is longer than {MAX_CELL_CHARS} characters, more than any field holds"),
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
                    let line = e
                        .position()
                        .map_or_else(|| line_of(row_start.get()), |p| line_of(p.byte()));
                    if let Some(message) = too_long(&e) {
                        problems.add(line_of(row_start.get()), "-", message);
                        break;
                    }
                    // The CSV reader's own message counts lines its way (see `LineIndex`), so
                    // only the line worked out here is given.
                    if let csv::ErrorKind::Utf8 { err, .. } = e.kind() {
                        let column = headers.get(err.field()).map_or("-", String::as_str);
                        problems.add(
                            line,
                            column,
                            "is not UTF-8 text (a file Excel saved as plain \"CSV\" is Windows-1252): save it as \"CSV UTF-8\" and import it again",
                        );
                        continue;
                    }
                    problems.add(line, "-", format!("cannot read this row: {e}"));
                    break;
                }
            }
        }
        problems.into_result(Self {
            file: file.to_owned(),
            headers,
            rows,
            encoding: TextEncoding::Utf8,
        })
    }

    fn empty(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            headers: Vec::new(),
            rows: Vec::new(),
            encoding: TextEncoding::Utf8,
        }
    }

    /// Read the first sheet of an XLSX workbook. Dates become `YYYY-MM-DD` (or RFC 3339 when
    /// they carry a time), whole numbers lose their `.0`.
    ///
    /// # Errors
    /// When the workbook cannot be opened or has no sheet.
    pub fn from_xlsx(path: &Path) -> Result<Self, ImportError> {
        let file = display_name(path);
        let bytes = read_bounded(path, &file)?;
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
        check_xlsx_parts(&bytes).map_err(unreadable)?;
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
            encoding: TextEncoding::Utf8,
        })
    }
}

/// The most a file may hold (1 GiB): more is not a register, a plan or a table of figures.
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// The most one row may hold (1 MiB), quoted line ends included. A line of 300 MB of NUL bytes
/// is refused here, not read into memory and echoed.
pub const MAX_ROW_BYTES: u64 = 1 << 20;
/// The longest cell (no register field holds more than 2,000 characters; a plan's cell a few
/// thousand).
pub const MAX_CELL_CHARS: usize = 32_768;
/// The most one part of an XLSX workbook may hold once decompressed (256 MiB), and all its
/// parts together (1 GiB): a 1.5 MB workbook holding a 1.5 GB cell is refused before it is
/// opened.
pub const MAX_XLSX_PART_BYTES: u64 = 256 << 20;

/// Why reading stopped: a row or the file is longer than the limits.
#[derive(Debug)]
struct TooLong(String);

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TooLong {}

/// A reader that notes where lines start as the bytes pass, and stops a row or a file that
/// is too long.
struct Counted<R> {
    inner: R,
    lines: std::rc::Rc<std::cell::RefCell<LineIndex>>,
    /// Where the row being read began.
    row_start: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut lines = self.lines.borrow_mut();
        lines.feed(&buf[..n]);
        let stop = |m: String| {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                TooLong(m),
            ))
        };
        if lines.offset > MAX_FILE_BYTES {
            return stop(format!(
                "the file is larger than {} MiB; split it, or check it is the file you meant",
                MAX_FILE_BYTES >> 20
            ));
        }
        // The CSV reader reads ahead a buffer at a time; allow for that.
        if lines.offset.saturating_sub(self.row_start.get()) > MAX_ROW_BYTES + (64 << 10) {
            return stop(format!(
                "this row is longer than {} MiB, more than any row of data; nothing was read past it",
                MAX_ROW_BYTES >> 20
            ));
        }
        Ok(n)
    }
}

/// Where each line of a text starts, for line numbers that are right whatever ends the lines:
/// `\n` (Unix), `\r\n` (Windows, as Excel writes CSV) or a lone `\r` (old Mac). The CSV
/// reader's own line count sees only `\n`, so a Windows file came out a line early and a Mac
/// file all on line 1.
///
/// The reader also places a record's start on the line end before it, so a start is first
/// moved past any line ends: a record never begins with one (blank lines are not records).
#[derive(Debug)]
pub(crate) struct LineIndex {
    /// Byte offsets where lines start (the first is 0).
    starts: Vec<u64>,
    /// The length (1 or 2) of the line end before each start (0 for the first).
    ends: Vec<u8>,
    /// Bytes seen.
    offset: u64,
    /// The last byte seen was `\r`.
    after_cr: bool,
}

impl Default for LineIndex {
    fn default() -> Self {
        Self {
            starts: vec![0],
            ends: vec![0],
            offset: 0,
            after_cr: false,
        }
    }
}

impl LineIndex {
    /// Note the next bytes of the text.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\n' if self.after_cr => {
                    // The `\n` of a `\r\n`: the line starts after it, and its end is 2 bytes.
                    if let (Some(s), Some(e)) = (self.starts.last_mut(), self.ends.last_mut()) {
                        *s += 1;
                        *e = 2;
                    }
                }
                b'\r' | b'\n' => {
                    self.starts.push(self.offset + 1);
                    self.ends.push(1);
                }
                _ => {}
            }
            self.after_cr = b == b'\r';
            self.offset += 1;
        }
    }

    /// The 1-based line of the record the reader says starts at byte `offset`.
    pub(crate) fn line_of(&self, offset: u64) -> u64 {
        let mut at = offset;
        let mut line = self.starts.partition_point(|s| *s <= at);
        // While `at` is on the line end closing line `line`, move to the next line.
        while let (Some(&next), Some(&end)) = (self.starts.get(line), self.ends.get(line)) {
            if at + u64::from(end) >= next && at < next {
                at = next;
                line += 1;
            } else {
                break;
            }
        }
        line as u64
    }
}

/// Refuse a workbook whose parts decompress to more than [`MAX_XLSX_PART_BYTES`] each (or four
/// times that together), measured by decompressing, not by the sizes the archive claims.
fn check_xlsx_parts(bytes: &[u8]) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("is not an XLSX workbook: {e}"))?;
    let mut total = 0_u64;
    for i in 0..archive.len() {
        let mut part = archive
            .by_index(i)
            .map_err(|e| format!("is not a readable XLSX workbook: {e}"))?;
        let name = part
            .name()
            .map(|n| crate::text::printable(&n, 80).into_owned())
            .unwrap_or_else(|_| format!("number {}", i + 1));
        let too_big = || {
            format!(
                "its part {name} holds more than {} MiB once decompressed, more than any table; it may be a decompression bomb",
                MAX_XLSX_PART_BYTES >> 20
            )
        };
        if part.size() > MAX_XLSX_PART_BYTES {
            return Err(too_big());
        }
        let n = std::io::copy(
            &mut std::io::Read::take(&mut part, MAX_XLSX_PART_BYTES + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| format!("is not a readable XLSX workbook: {e}"))?;
        if n > MAX_XLSX_PART_BYTES {
            return Err(too_big());
        }
        total += n;
        if total > 4 * MAX_XLSX_PART_BYTES {
            return Err(format!(
                "holds more than {} MiB once decompressed",
                (4 * MAX_XLSX_PART_BYTES) >> 20
            ));
        }
    }
    Ok(())
}

/// A file's bytes, refusing one larger than [`MAX_FILE_BYTES`] before reading it (a sparse
/// file of 2 GB is refused, not allocated).
pub(crate) fn read_bounded(path: &Path, file: &str) -> Result<Vec<u8>, ImportError> {
    let unreadable = |message: String| ImportError::Unreadable {
        file: file.to_owned(),
        message,
    };
    let f = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let too_large = || {
        unreadable(format!(
            "the file is larger than {} MiB; split it, or check it is the file you meant",
            MAX_FILE_BYTES >> 20
        ))
    };
    if f.metadata().is_ok_and(|m| m.len() > MAX_FILE_BYTES) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_FILE_BYTES + 1), &mut bytes)
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
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

/// Read a CSV or XLSX file (by extension; anything not `.xlsx` is read as CSV). A CSV's
/// encoding is found as [`Table::from_csv_bytes`] finds it; [`Table::encoding`] says which.
///
/// # Errors
/// When the file cannot be read or is malformed.
pub fn read_table(path: &Path) -> Result<Table, ImportError> {
    read_table_as(path, None)
}

/// [`read_table`] with the CSV's encoding given (`None`: found from the bytes). The file is
/// read twice when its encoding is to be found, never held whole.
///
/// # Errors
/// As [`read_table`].
pub fn read_table_as(path: &Path, encoding: Option<TextEncoding>) -> Result<Table, ImportError> {
    let is_xlsx = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if is_xlsx {
        return Table::from_xlsx(path);
    }
    let file = display_name(path);
    let f = std::fs::File::open(path).map_err(|e| ImportError::Unreadable {
        file: file.clone(),
        message: e.to_string(),
    })?;
    if f.metadata().is_ok_and(|m| m.len() > MAX_FILE_BYTES) {
        return Err(ImportError::Unreadable {
            file,
            message: format!(
                "the file is larger than {} MiB; split it, or check it is the file you meant",
                MAX_FILE_BYTES >> 20
            ),
        });
    }
    let unreadable = |e: std::io::Error| ImportError::Unreadable {
        file: file.clone(),
        message: e.to_string(),
    };
    let encoding = match encoding {
        Some(e) => e,
        None => {
            let mut check = Utf8Check::default();
            let mut buf = vec![0_u8; 256 << 10];
            let mut probe = std::io::Read::take(&f, MAX_FILE_BYTES + 1);
            loop {
                let n = std::io::Read::read(&mut probe, &mut buf).map_err(unreadable)?;
                if n == 0 || check.failed {
                    break;
                }
                check.feed(&buf[..n]);
            }
            std::io::Seek::rewind(&mut &f).map_err(unreadable)?;
            if check.finish() {
                TextEncoding::Utf8
            } else {
                TextEncoding::Windows1252
            }
        }
    };
    match encoding {
        TextEncoding::Utf8 => Table::from_csv_reader(&file, f),
        TextEncoding::Windows1252 => {
            let mut t = Table::from_csv_reader(&file, Windows1252Reader::new(f))?;
            t.encoding = encoding;
            Ok(t)
        }
    }
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

    /// A reader that hands over one byte per read.
    struct OneByte<'a>(&'a [u8]);

    impl std::io::Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn a_long_row_or_cell_is_refused_on_its_line_without_echoing_it() {
        let mut text = b"a,b\n1,2\n".to_vec();
        text.extend(std::iter::repeat_n(0_u8, 3 << 20));
        text.extend(b",x\n");
        let Err(ImportError::Invalid(p)) = Table::from_csv("f.csv", &text) else {
            panic!("expected problems");
        };
        let shown = p[0].to_string();
        assert!(
            shown.starts_with("f.csv:3: -: this row is longer than 1 MiB"),
            "{shown}"
        );
        assert!(shown.len() < 200, "nothing of the row is echoed");
        let long = format!("a,b\n1,{}\n", "y".repeat(MAX_CELL_CHARS + 1));
        let Err(ImportError::Invalid(p)) = Table::from_csv("f.csv", long.as_bytes()) else {
            panic!("expected problems");
        };
        assert_eq!(
            p[0].to_string(),
            format!(
                "f.csv:2: b: is longer than {MAX_CELL_CHARS} characters, more than any field holds"
            )
        );
        // A header of NUL bytes: refused, and not echoed.
        let nul = vec![0_u8; 2 << 20];
        let Err(ImportError::Invalid(p)) = Table::from_csv("f.csv", &nul) else {
            panic!("expected problems");
        };
        assert!(p[0].to_string().len() < 200);
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
            // Read a byte at a time, a `\r\n` is split across reads: the same lines.
            let trickle = Table::from_csv_reader("f.csv", OneByte(text.as_bytes())).unwrap();
            proptest::prop_assert_eq!(&trickle, &t);
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
    fn a_windows_1252_cell_is_named_on_its_line() {
        let Err(ImportError::Invalid(p)) =
            Table::from_csv("f.csv", b"a,b\r\n1,2\r\n3,Zo\xeb\r\n4,5\r\n")
        else {
            panic!("expected problems");
        };
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].to_string()
                .starts_with("f.csv:3: b: is not UTF-8 text"),
            "{}",
            p[0]
        );
    }

    #[test]
    fn excel_serials_become_dates() {
        assert_eq!(excel_serial_to_text(45292.0), "2024-01-01");
        assert_eq!(excel_serial_to_text(45292.5), "2024-01-01T12:00:00Z");
    }
}

//! Imports: read a CSV or XLSX table (or ONS GeoJSON), check every row, and hand the store a
//! batch that is written all or nothing. Every problem is reported as `FILE:LINE: COLUMN:
//! message`, with the header on line 1, so a person can fix the whole file in one pass.

mod areas;
pub(crate) mod columns;
mod populations;
pub mod postcodes;
pub mod profile;
pub mod reading;
mod register;
mod table;

pub use areas::{import_area_lookup, import_areas, parse_area_lookup, parse_areas, parse_geojson};
pub use populations::{import_populations, parse_populations};
pub use postcodes::{
    Postcode, PostcodeFile, normalise_postcode, parse_postcodes, postcode_key, read_postcodes,
};
pub use profile::{Profile, suggest};
pub use reading::{DateOrder, TextEncoding};
pub(crate) use register::source_name;
pub use register::{
    AuditBy, ParsedRegister, RegisterContext, RegisterImport, RegisterImportOptions, close_sources,
    describe_fields, import_register, parse_register, parse_register_with, pseudonymise_file,
};
pub(crate) use table::read_bounded;
pub use table::{
    MAX_CELL_CHARS, MAX_FILE_BYTES, MAX_ROW_BYTES, MAX_XLSX_PART_BYTES, Table, read_table,
    read_table_as,
};

use crate::StoreError;

/// One thing wrong with an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line (header is line 1); for XLSX the sheet row.
    pub line: u64,
    /// The column (or `-` for the whole row or file).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Collects problems for one file.
#[derive(Debug)]
pub(crate) struct Problems {
    file: String,
    list: Vec<Problem>,
}

impl Problems {
    pub(crate) fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            list: Vec::new(),
        }
    }

    /// Add a problem. The column and message are made printable and short: they may echo a
    /// file's own text (a header of NUL bytes, a terminal escape), which must not reach a
    /// terminal or a log as it is.
    pub(crate) fn add(&mut self, line: u64, column: &str, message: impl Into<String>) {
        let message = message.into();
        self.list.push(Problem {
            file: self.file.clone(),
            line,
            column: crate::text::printable(column, 80).into_owned(),
            message: crate::text::printable(&message, 400).into_owned(),
        });
    }

    /// Add a problem whose message ends with lines to paste (a profile's TOML): each line is
    /// made printable on its own.
    pub(crate) fn add_lines(&mut self, line: u64, column: &str, message: &str, block: &str) {
        let mut text = crate::text::printable(message, 2000).into_owned();
        for l in block.lines() {
            text.push('\n');
            text.push_str(&crate::text::printable(l, 400));
        }
        self.list.push(Problem {
            file: self.file.clone(),
            line,
            column: crate::text::printable(column, 80).into_owned(),
            message: text,
        });
    }

    pub(crate) fn extend(&mut self, other: Self) {
        self.list.extend(other.list);
    }

    /// Order problems by line (stably), so a file's report reads top to bottom.
    pub(crate) fn sort(&mut self) {
        self.list.sort_by_key(|p| p.line);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn into_list(self) -> Vec<Problem> {
        self.list
    }

    pub(crate) fn into_result<T>(self, value: T) -> Result<T, ImportError> {
        if self.list.is_empty() {
            Ok(value)
        } else {
            Err(ImportError::Invalid(self.list))
        }
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file has problems; each is listed.
    #[error("{} problem(s) in the input; nothing was written", .0.len())]
    Invalid(Vec<Problem>),
    /// The file could not be read at all.
    #[error("cannot read {file}: {message}")]
    Unreadable {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reports progress of long work: `(done, total)`.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// A progress reporter that says nothing.
pub fn no_progress(_: u64, _: u64) {}

pub(crate) fn display_name(path: &std::path::Path) -> String {
    path.display().to_string()
}

//! Finding a file's columns by Lantern's names or the other names spreadsheets give them, and
//! reading a row's cells checked, for the imports of reference data (the support directory,
//! organisations, training).

use std::collections::HashMap;

use chrono::NaiveDate;

use super::reading::{DateOrder, fold, read_date};
use super::{Problems, Table};

/// A column's name and the other names it goes by, folded as [`fold`] does.
pub(crate) type Spec = (&'static str, &'static [&'static str]);

/// Where each known column is in a table.
pub(crate) struct Columns<'t> {
    table: &'t Table,
    at: HashMap<&'static str, usize>,
    names: Vec<&'static str>,
}

impl<'t> Columns<'t> {
    /// Find `spec`'s columns in `table`: Lantern's own name first, then the first of its other
    /// names that a header matches (a file with both `Date` and `Completed` has its day in
    /// `Date`, whatever `Completed` holds).
    /// Each of `required` that is missing is a problem on line 1; then `None`.
    pub(crate) fn locate(
        table: &'t Table,
        spec: &[Spec],
        required: &[&str],
        problems: &mut Problems,
    ) -> Option<Self> {
        let folded: Vec<String> = table.headers.iter().map(|h| fold(h)).collect();
        let at: HashMap<&'static str, usize> = spec
            .iter()
            .filter_map(|(name, names)| {
                std::iter::once(name)
                    .chain(names.iter())
                    .find_map(|n| folded.iter().position(|h| *h == fold(n)))
                    .map(|i| (*name, i))
            })
            .collect();
        let mut missing = false;
        for name in required {
            if !at.contains_key(name) {
                problems.add(1, name, format!("the column {name} is missing"));
                missing = true;
            }
        }
        (!missing).then(|| Self {
            table,
            at,
            names: spec.iter().map(|s| s.0).collect(),
        })
    }

    /// The file's own header for a column (Lantern's name when the file lacks it).
    pub(crate) fn header(&self, name: &str) -> String {
        self.at
            .get(name)
            .map_or(name, |i| self.table.headers[*i].as_str())
            .to_owned()
    }

    /// A row's cells by column name, trimmed and checked for control characters (a problem
    /// each); blank cells are left out.
    pub(crate) fn cells(
        &self,
        line: u64,
        cells: &csv::StringRecord,
        problems: &mut Problems,
    ) -> HashMap<&'static str, String> {
        let mut out = HashMap::new();
        for name in &self.names {
            let Some(i) = self.at.get(name) else {
                continue;
            };
            let t = cells.get(*i).unwrap_or("").trim();
            if t.is_empty() {
                continue;
            }
            match crate::text::checked(t) {
                Ok(t) => {
                    out.insert(*name, t.into_owned());
                }
                Err(e) => problems.add(line, &self.header(name), e),
            }
        }
        out
    }
}

/// The code of `list` a word names: the code, its label, or one of the other words its `extra`
/// lists (`;`-separated, or `/`-separated after `words=`), in any case.
pub(crate) fn code_or_word(list: &'static crate::codes::CodeList, s: &str) -> Option<&'static str> {
    if let Some(c) = super::reading::code_for(list, s) {
        return Some(c);
    }
    let f = fold(s);
    list.codes
        .iter()
        .find(|c| {
            c.extra.split(';').any(|part| match part.split_once('=') {
                Some(("words", words)) => words.split('/').any(|w| fold(w) == f),
                Some(_) => false,
                None => fold(part) == f,
            })
        })
        .map(|c| c.code.as_str())
}

/// A day from a cell (`2024-03-31`, `31/03/2024`, `31 March 2024`), not after `today` unless
/// `future` allows it.
pub(crate) fn date_cell(
    text: &str,
    today: NaiveDate,
    future: bool,
    line: u64,
    column: &str,
    problems: &mut Problems,
) -> Option<NaiveDate> {
    match read_date(text, DateOrder::Dmy, today) {
        Ok(d) if d > today && !future => {
            problems.add(line, column, format!("{d} is in the future"));
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            problems.add(line, column, e);
            None
        }
    }
}

/// An area code from a cell, held by Lantern.
pub(crate) fn area_cell(
    text: &str,
    known_area: &dyn Fn(&str) -> bool,
    line: u64,
    column: &str,
    problems: &mut Problems,
) -> Option<String> {
    let code = text.trim().to_ascii_uppercase();
    if known_area(&code) {
        Some(code)
    } else {
        problems.add(
            line,
            column,
            format!(
                "'{}' is not a known area code (import areas first)",
                crate::text::printable(text, 40)
            ),
        );
        None
    }
}

//! Finding a file's columns by Lantern's names or the other names spreadsheets give them, and
//! reading a row's cells checked, for the imports of reference data (the support directory,
//! organisations, training).

use std::collections::HashMap;

use super::reading::fold;
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
    /// Find `spec`'s columns in `table`, the first of each one's names that a header matches.
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
                names
                    .iter()
                    .chain(std::iter::once(name))
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

//! Code lists: the controlled vocabularies of the minimum data sets, kept as versioned CSV files
//! in `crates/core/codes/` and compiled in. Validation, forms and exports read them from here;
//! no other module enumerates these values.
//!
//! This is not a place for behaviour: which statuses are "open" is data (`extra`), not a match.

use std::sync::OnceLock;

/// One entry of a code list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The stable machine value, as it appears in files and the database.
    pub code: String,
    /// The label shown to people.
    pub label: String,
    /// List-specific extra data (ICD-10 codes for method groups, status class, ...).
    pub extra: String,
}

/// A named, versioned code list.
#[derive(Debug, Clone)]
pub struct CodeList {
    /// The list's name, also its file name without `.csv`.
    pub name: &'static str,
    /// The version from the file's `#version` line.
    pub version: String,
    /// The entries in file order.
    pub codes: Vec<Code>,
}

impl CodeList {
    /// Whether `code` is a current entry of this list.
    pub fn contains(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c.code == code)
    }

    /// The label of `code`, or the code itself when it is not in the list.
    pub fn label<'a>(&'a self, code: &'a str) -> &'a str {
        self.get(code).map_or(code, |c| c.label.as_str())
    }

    /// The entry for `code`.
    pub fn get(&self, code: &str) -> Option<&Code> {
        self.codes.iter().find(|c| c.code == code)
    }

    /// The codes joined with `|`, for error messages.
    pub fn choices(&self) -> String {
        self.codes
            .iter()
            .map(|c| c.code.as_str())
            .collect::<Vec<_>>()
            .join("|")
    }
}

macro_rules! code_files {
    ($($name:literal),* $(,)?) => {
        const FILES: &[(&str, &str)] = &[$(($name, include_str!(concat!("../../codes/", $name, ".csv")))),*];
    };
}

code_files!(
    "arrival_mode",
    "circumstance",
    "employment",
    "ethnicity",
    "gender_identity",
    "intent",
    "location_type",
    "method_group",
    "next_care",
    "presentation_type",
    "priority_group",
    "relationship_status",
    "reporter_role",
    "residence",
    "self_harm_method",
    "service_contact",
    "setting",
    "sex",
    "suicide_status",
    "support_need",
    "organisation_sector",
    "organisation_type",
    "organisation_role",
    "competency_framework",
    "course",
);

fn parse_list(name: &'static str, text: &str) -> CodeList {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut version = String::new();
    let mut codes = Vec::new();
    for record in reader.records().flatten() {
        let code = record.get(0).unwrap_or_default().trim();
        let label = record.get(1).unwrap_or_default().trim();
        let extra = record.get(2).unwrap_or_default().trim();
        if code == "#version" {
            label.clone_into(&mut version);
        } else if !code.is_empty() {
            codes.push(Code {
                code: code.to_owned(),
                label: label.to_owned(),
                extra: extra.to_owned(),
            });
        }
    }
    CodeList {
        name,
        version,
        codes,
    }
}

/// Every code list, parsed once.
pub fn all() -> &'static [CodeList] {
    static LISTS: OnceLock<Vec<CodeList>> = OnceLock::new();
    LISTS.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, text)| parse_list(name, text))
            .collect()
    })
}

/// The code list called `name`.
///
/// # Panics
/// When `name` is not a compiled-in list: that is a programming error, caught by the tests.
#[expect(
    clippy::panic,
    reason = "list names are compile-time constants checked by a unit test"
)]
pub fn list(name: &str) -> &'static CodeList {
    all()
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no code list called {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_has_a_version_and_unique_codes() {
        for list in all() {
            assert!(
                !list.version.is_empty(),
                "{} has no #version line",
                list.name
            );
            let mut seen = std::collections::HashSet::new();
            for c in &list.codes {
                assert!(seen.insert(&c.code), "{} repeats {}", list.name, c.code);
                assert!(!c.label.is_empty(), "{}:{} has no label", list.name, c.code);
            }
        }
    }

    #[test]
    fn method_groups_carry_icd10_codes_and_the_issue_values() {
        let groups = list("method_group");
        for code in [
            "poisoning",
            "hanging",
            "drowning",
            "firearms",
            "fire",
            "cutting",
            "jump",
            "moving_object",
            "vehicle",
            "other",
            "unknown",
        ] {
            assert!(groups.contains(code), "{code}");
        }
        assert_eq!(
            groups.get("hanging").map(|c| c.extra.as_str()),
            Some("X70;Y20")
        );
    }
}

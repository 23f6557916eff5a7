//! Parsed field values and records.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

use super::schema::{Dataset, Field, FieldKind};
use crate::codes;

/// A parsed value of one field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Free text, an area code or a person key.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// A date.
    Date(NaiveDate),
    /// A date and time, in UTC.
    DateTime(DateTime<Utc>),
    /// Yes or no.
    Bool(bool),
    /// One code.
    Code(String),
    /// Several codes, in the order given, without repeats.
    Codes(Vec<String>),
}

impl Value {
    /// The value in export form: what the importer reads back as the same value.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write_text(&mut s);
        s
    }

    /// Append the export form to `out`, without allocating for text values.
    pub fn write_text(&self, out: &mut String) {
        use std::fmt::Write as _;
        // Writing into a String cannot fail.
        let _ = match self {
            Self::Text(s) | Self::Code(s) => {
                out.push_str(s);
                Ok(())
            }
            Self::Int(n) => write!(out, "{n}"),
            Self::Float(x) => write!(out, "{x}"),
            Self::Date(d) => write!(out, "{}", d.format("%Y-%m-%d")),
            Self::DateTime(t) => {
                out.push_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true));
                Ok(())
            }
            Self::Bool(b) => {
                out.push_str(if *b { "yes" } else { "no" });
                Ok(())
            }
            Self::Codes(v) => {
                for (i, c) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(';');
                    }
                    out.push_str(c);
                }
                Ok(())
            }
        };
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Int(n) => (*n).into(),
            Self::Float(x) => (*x).into(),
            Self::Bool(b) => (*b).into(),
            Self::Codes(v) => v.clone().into(),
            other => other.to_text().into(),
        }
    }
}

/// Why a field's text was rejected; the message is written for the person fixing the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FieldError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError(msg.into()))
}

/// Parse a yes/no answer; `Ok(None)` for blank or "unknown".
fn parse_bool(s: &str) -> Result<Option<bool>, FieldError> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(Some(true)),
        "no" | "n" | "false" | "0" => Ok(Some(false)),
        "unknown" | "" => Ok(None),
        _ => err(format!("'{s}' is not yes, no or unknown")),
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| err(format!("'{s}' is not a date in the form YYYY-MM-DD")))
}

impl Field {
    /// Parse this field's text. Blank text is `Ok(None)` unless the field is required.
    /// `area_known` says whether an area code exists.
    ///
    /// # Errors
    /// A [`FieldError`] saying what is wrong and what is expected.
    pub fn parse(
        &self,
        text: &str,
        area_known: &dyn Fn(&str) -> bool,
    ) -> Result<Option<Value>, FieldError> {
        let normalised = crate::text::normalise_newlines(text.trim());
        let s = normalised.as_ref();
        if let Some(c) = crate::text::forbidden_control(s) {
            return err(crate::text::control_message(c));
        }
        if s.is_empty() {
            return if self.required {
                err("is required")
            } else {
                Ok(None)
            };
        }
        let value = match self.kind {
            FieldKind::Text { max } => {
                if s.chars().count() > max {
                    return err(format!("is longer than {max} characters"));
                }
                Value::Text(s.to_owned())
            }
            FieldKind::Int { min, max } => match s.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Value::Int(n),
                Ok(n) => return err(format!("{n} is outside {min}-{max}")),
                Err(_) => return err(format!("'{s}' is not a whole number")),
            },
            FieldKind::Float { min, max } => match s.parse::<f64>() {
                Ok(x) if x.is_finite() && (min..=max).contains(&x) => Value::Float(x),
                Ok(_) => return err(format!("'{s}' is outside {min} to {max}")),
                Err(_) => return err(format!("'{s}' is not a number")),
            },
            FieldKind::Date => Value::Date(parse_date(s)?),
            FieldKind::DateOrTime => {
                if s.len() == 10 {
                    Value::Date(parse_date(s)?)
                } else {
                    match DateTime::parse_from_rfc3339(s) {
                        Ok(t) => Value::DateTime(t.with_timezone(&Utc)),
                        Err(_) => {
                            return err(format!(
                                "'{s}' is neither a date (YYYY-MM-DD) nor an RFC 3339 date and time"
                            ));
                        }
                    }
                }
            }
            FieldKind::Bool => match parse_bool(s)? {
                Some(b) => Value::Bool(b),
                None if self.required => return err("is required"),
                None => return Ok(None),
            },
            FieldKind::Code(list) => {
                let list = codes::list(list);
                if !list.contains(s) {
                    return err(format!("'{s}' is not one of {}", list.choices()));
                }
                Value::Code(s.to_owned())
            }
            FieldKind::Codes(list) => {
                let list = codes::list(list);
                let mut out: Vec<String> = Vec::new();
                for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                    if !list.contains(part) {
                        return err(format!("'{part}' is not one of {}", list.choices()));
                    }
                    if !out.iter().any(|o| o == part) {
                        out.push(part.to_owned());
                    }
                }
                if out.is_empty() {
                    return if self.required {
                        err("is required")
                    } else {
                        Ok(None)
                    };
                }
                Value::Codes(out)
            }
            FieldKind::Area => {
                if !area_known(s) && crate::area::residence_other(s).is_none() {
                    return err(format!(
                        "'{s}' is not a known area code (import areas first), nor one of {}",
                        crate::codes::list(crate::area::RESIDENCE_LIST).choices()
                    ));
                }
                Value::Text(s.to_owned())
            }
            FieldKind::PersonKey => {
                if s.len() != 64
                    || !s
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return err(
                        "is not 64 lowercase hexadecimal characters (an HMAC-SHA256 person key)",
                    );
                }
                Value::Text(s.to_owned())
            }
        };
        Ok(Some(value))
    }
}

/// One record of a dataset: a value (or blank) for each field, in schema order.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The dataset the record belongs to.
    pub dataset: &'static Dataset,
    /// One slot per field of `dataset.fields`.
    pub values: Vec<Option<Value>>,
}

impl Record {
    /// An empty record of `dataset`.
    pub fn empty(dataset: &'static Dataset) -> Self {
        Self {
            dataset,
            values: vec![None; dataset.fields.len()],
        }
    }

    /// Parse a record from `(field name, text)` pairs; fields not named are blank. Every field
    /// is checked, and every problem is returned with its field name.
    ///
    /// # Errors
    /// The list of `(field, problem)` pairs when any field is invalid.
    pub fn parse<'a>(
        dataset: &'static Dataset,
        cells: impl Fn(&str) -> Option<&'a str>,
        area_known: &dyn Fn(&str) -> bool,
    ) -> Result<Self, Vec<(&'static str, FieldError)>> {
        let mut record = Self::empty(dataset);
        let mut problems = Vec::new();
        for (i, field) in dataset.fields.iter().enumerate() {
            match field.parse(cells(field.name).unwrap_or(""), area_known) {
                Ok(v) => record.values[i] = v,
                Err(e) => problems.push((field.name, e)),
            }
        }
        if problems.is_empty() {
            Ok(record)
        } else {
            Err(problems)
        }
    }

    /// The value of the field called `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.dataset
            .index(name)
            .and_then(|i| self.values[i].as_ref())
    }

    /// Set the field called `name`; unknown names are ignored.
    pub fn set(&mut self, name: &str, value: Option<Value>) {
        if let Some(i) = self.dataset.index(name) {
            self.values[i] = value;
        }
    }

    /// The text of field `name` in export form, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).map(Value::to_text).unwrap_or_default()
    }

    /// The text of the field at `index` in export form, or empty.
    pub fn text_at(&self, index: usize) -> String {
        self.values[index]
            .as_ref()
            .map(Value::to_text)
            .unwrap_or_default()
    }

    /// The export row: one string per field.
    pub fn to_row(&self) -> Vec<String> {
        (0..self.values.len()).map(|i| self.text_at(i)).collect()
    }

    /// `source` and `source_ref`, the record's identity across imports.
    pub fn key(&self) -> (String, String) {
        (self.text("source"), self.text("source_ref"))
    }

    /// A SHA-256 of the export row: equal rows mean an unchanged record.
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let mut cell = String::with_capacity(64);
        for value in &self.values {
            cell.clear();
            if let Some(v) = value {
                v.write_text(&mut cell);
            }
            hasher.update(cell.as_bytes());
            hasher.update([0x1f]);
        }
        crate::hex(&hasher.finalize())
    }

    /// The values as a JSON object (blank fields are `null`).
    pub fn to_json_map(&self) -> serde_json::Map<String, serde_json::Value> {
        self.dataset
            .fields
            .iter()
            .zip(&self.values)
            .map(|(f, v)| {
                (
                    f.name.to_owned(),
                    v.as_ref().map_or(serde_json::Value::Null, Value::to_json),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::{SELF_HARM, SUICIDES};

    fn any_area(_: &str) -> bool {
        true
    }

    #[test]
    fn a_required_blank_field_is_an_error_and_an_optional_one_is_none() {
        let age = SUICIDES.field("age").unwrap();
        assert_eq!(
            age.parse("  ", &any_area),
            Err(FieldError("is required".into()))
        );
        let eth = SUICIDES.field("ethnicity").unwrap();
        assert_eq!(eth.parse("", &any_area), Ok(None));
    }

    #[test]
    fn ages_outside_0_to_120_are_rejected() {
        let age = SUICIDES.field("age").unwrap();
        assert!(age.parse("121", &any_area).is_err());
        assert!(age.parse("-1", &any_area).is_err());
        assert_eq!(age.parse("120", &any_area), Ok(Some(Value::Int(120))));
    }

    #[test]
    fn multi_codes_are_split_deduplicated_and_checked() {
        let m = SELF_HARM.field("methods").unwrap();
        assert_eq!(
            m.parse("cutting; drug_overdose;cutting", &any_area),
            Ok(Some(Value::Codes(vec![
                "cutting".into(),
                "drug_overdose".into()
            ])))
        );
        let e = m.parse("cutting;stabbing", &any_area).unwrap_err();
        assert!(e.0.contains("'stabbing' is not one of"), "{e}");
    }

    #[test]
    fn date_or_time_keeps_dates_and_normalises_times_to_utc() {
        let p = SELF_HARM.field("presented_at").unwrap();
        assert_eq!(
            p.parse("2024-03-01", &any_area).unwrap().unwrap().to_text(),
            "2024-03-01"
        );
        let t = p
            .parse("2024-03-01T01:30:00+01:00", &any_area)
            .unwrap()
            .unwrap();
        assert_eq!(t.to_text(), "2024-03-01T00:30:00Z");
        assert!(p.parse("2024-13-01", &any_area).is_err());
    }

    #[test]
    fn every_value_reparses_from_its_export_text() {
        let samples = [
            ("age", "42"),
            ("location_lat", "53.75"),
            ("date_of_death", "2023-02-28"),
            ("living_alone", "yes"),
            ("priority_groups", "veteran;gambling"),
            ("sex", "female"),
        ];
        for (name, text) in samples {
            let field = SUICIDES.field(name).unwrap();
            let v = field.parse(text, &any_area).unwrap().unwrap();
            assert_eq!(
                field.parse(&v.to_text(), &any_area).unwrap().unwrap(),
                v,
                "{name}"
            );
        }
    }
}

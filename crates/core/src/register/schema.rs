//! The field tables of the two datasets (DESIGN section 4).

/// How a field's text is parsed and stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldKind {
    /// Free text, at most `max` characters.
    Text {
        /// Maximum length in characters.
        max: usize,
    },
    /// A whole number in `min..=max`.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A decimal number in `min..=max`.
    Float {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A date, or a date and time in RFC 3339 (kept in UTC).
    DateOrTime,
    /// yes/no (also true/false, 1/0, y/n); blank or `unknown` is not known.
    Bool,
    /// One value of the named code list.
    Code(&'static str),
    /// Several values of the named code list, `;`-separated.
    Codes(&'static str),
    /// A known area code (ONS GSS).
    Area,
    /// A pseudonymous person key: 64 lowercase hex characters.
    PersonKey,
}

/// One field of a dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// Column name in files, the database and JSON.
    pub name: &'static str,
    /// The label on forms and reports.
    pub label: &'static str,
    /// How it is parsed.
    pub kind: FieldKind,
    /// Whether a record must have it.
    pub required: bool,
    /// Restricted fields (free-text location, substances) are hidden from partner views.
    pub restricted: bool,
}

/// A dataset of the register.
#[derive(Debug, PartialEq)]
pub struct Dataset {
    /// Which of the two registers this is: how code tells them apart.
    pub kind: DatasetKind,
    /// The name used on the command line and in the API (`suicides`, `self-harm`).
    pub name: &'static str,
    /// The database table.
    pub table: &'static str,
    /// What a person calls one record.
    pub noun: &'static str,
    /// The field that dates a record (used by period filters and monthly reports).
    pub date_field: &'static str,
    /// The fields, in file column order. `source` and `source_ref` come first.
    pub fields: &'static [Field],
}

/// The two registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    /// Suspected suicides ([`SUICIDES`]).
    Suicides,
    /// Self-harm presentations ([`SELF_HARM`]).
    SelfHarm,
}

impl Dataset {
    /// Whether this is the suspected-suicides register.
    pub fn is_suicides(&self) -> bool {
        self.kind == DatasetKind::Suicides
    }

    /// Whether this is the self-harm register.
    pub fn is_self_harm(&self) -> bool {
        self.kind == DatasetKind::SelfHarm
    }

    /// The index of the field called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// The dataset called `name` (`suicides` or `self-harm`; `self_harm` is accepted too).
pub fn dataset(name: &str) -> Option<&'static Dataset> {
    match name {
        "suicides" => Some(&SUICIDES),
        "self-harm" | "self_harm" => Some(&SELF_HARM),
        _ => None,
    }
}

const fn f(name: &'static str, label: &'static str, kind: FieldKind, required: bool) -> Field {
    Field {
        name,
        label,
        kind,
        required,
        restricted: false,
    }
}

const fn restricted(name: &'static str, label: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        label,
        kind,
        required: false,
        restricted: true,
    }
}

const SHORT: FieldKind = FieldKind::Text { max: 200 };
const LONG: FieldKind = FieldKind::Text { max: 2000 };
const AGE: FieldKind = FieldKind::Int { min: 0, max: 120 };

/// Suspected suicides: the real-time surveillance record, with provisional (police) and confirmed
/// (coroner) coding.
pub static SUICIDES: Dataset = Dataset {
    kind: DatasetKind::Suicides,
    name: "suicides",
    table: "suspected_suicides",
    noun: "suspected suicide",
    date_field: "date_of_death",
    fields: &[
        f("source", "Source agency", SHORT, true),
        f("source_ref", "Source reference", SHORT, true),
        f("date_of_death", "Date of death", FieldKind::Date, true),
        f("age", "Age", AGE, true),
        f("sex", "Sex", FieldKind::Code("sex"), true),
        f("residence_area", "Area of residence", FieldKind::Area, true),
        f("status", "Status", FieldKind::Code("suicide_status"), true),
        f(
            "method_group",
            "Method group (provisional)",
            FieldKind::Code("method_group"),
            true,
        ),
        f(
            "location_type",
            "Location type",
            FieldKind::Code("location_type"),
            true,
        ),
        f(
            "status_date",
            "Date of current status",
            FieldKind::Date,
            false,
        ),
        f("notified_at", "Date notified", FieldKind::Date, false),
        f(
            "reporter_role",
            "Reporter role",
            FieldKind::Code("reporter_role"),
            false,
        ),
        f("date_found", "Date found", FieldKind::Date, false),
        restricted("location_text", "Location (free text)", SHORT),
        f(
            "location_lat",
            "Latitude",
            FieldKind::Float {
                min: -90.0,
                max: 90.0,
            },
            false,
        ),
        f(
            "location_lon",
            "Longitude",
            FieldKind::Float {
                min: -180.0,
                max: 180.0,
            },
            false,
        ),
        f("location_of_concern", "Location of concern", SHORT, false),
        f(
            "confirmed_method_group",
            "Method group (confirmed)",
            FieldKind::Code("method_group"),
            false,
        ),
        f(
            "confirmed_icd10",
            "ICD-10 code (confirmed)",
            FieldKind::Text { max: 8 },
            false,
        ),
        restricted("substances", "Substances", SHORT),
        f("emerging_method", "Emerging method", FieldKind::Bool, false),
        f(
            "gender_identity",
            "Gender identity",
            FieldKind::Code("gender_identity"),
            false,
        ),
        f(
            "ethnicity",
            "Ethnicity",
            FieldKind::Code("ethnicity"),
            false,
        ),
        f(
            "relationship_status",
            "Relationship status",
            FieldKind::Code("relationship_status"),
            false,
        ),
        f("living_alone", "Living alone", FieldKind::Bool, false),
        f(
            "employment",
            "Employment",
            FieldKind::Code("employment"),
            false,
        ),
        f("occupation", "Occupation", SHORT, false),
        f(
            "priority_groups",
            "Priority groups",
            FieldKind::Codes("priority_group"),
            false,
        ),
        f(
            "circumstances",
            "Circumstances",
            FieldKind::Codes("circumstance"),
            false,
        ),
        f(
            "service_contact",
            "Service contact",
            FieldKind::Codes("service_contact"),
            false,
        ),
        f("linked_incidents", "Linked incidents", SHORT, false),
        f(
            "nok_informed",
            "Next of kin informed",
            FieldKind::Bool,
            false,
        ),
        f(
            "support_offered",
            "Bereavement support offered",
            FieldKind::Bool,
            false,
        ),
        f(
            "support_consent",
            "Consent to referral",
            FieldKind::Bool,
            false,
        ),
        f("referral_date", "Referral date", FieldKind::Date, false),
        f("referral_service", "Referral service", SHORT, false),
        f(
            "first_contact_date",
            "First contact date",
            FieldKind::Date,
            false,
        ),
        f("postvention_outcome", "Postvention outcome", SHORT, false),
        f("inquest_date", "Inquest date", FieldKind::Date, false),
        restricted("notes", "Notes", LONG),
    ],
};

/// Self-harm and attempted-suicide presentations, with a pseudonymous person key.
pub static SELF_HARM: Dataset = Dataset {
    kind: DatasetKind::SelfHarm,
    name: "self-harm",
    table: "self_harm_presentations",
    noun: "self-harm presentation",
    date_field: "presented_at",
    fields: &[
        f("source", "Source", SHORT, true),
        f("source_ref", "Source reference", SHORT, true),
        f("presented_at", "Presented at", FieldKind::DateOrTime, true),
        f("setting", "Setting", FieldKind::Code("setting"), true),
        f("person_key", "Person key", FieldKind::PersonKey, true),
        f("age", "Age", AGE, true),
        f("sex", "Sex", FieldKind::Code("sex"), true),
        f("residence_area", "Area of residence", FieldKind::Area, true),
        f(
            "presentation_type",
            "Presentation type",
            FieldKind::Code("presentation_type"),
            true,
        ),
        f("intent", "Intent", FieldKind::Code("intent"), true),
        f(
            "methods",
            "Methods",
            FieldKind::Codes("self_harm_method"),
            true,
        ),
        f(
            "arrival_mode",
            "Arrival mode",
            FieldKind::Code("arrival_mode"),
            false,
        ),
        f(
            "ethnicity",
            "Ethnicity",
            FieldKind::Code("ethnicity"),
            false,
        ),
        restricted("drugs", "Drugs (name, amount)", SHORT),
        f("alcohol", "Alcohol involved", FieldKind::Bool, false),
        f(
            "illicit_substances",
            "Illicit substances involved",
            FieldKind::Bool,
            false,
        ),
        f(
            "location_type",
            "Location type",
            FieldKind::Code("location_type"),
            false,
        ),
        f(
            "precipitating_problems",
            "Precipitating problems",
            FieldKind::Codes("circumstance"),
            false,
        ),
        f("prior_self_harm", "Prior self-harm", FieldKind::Bool, false),
        f(
            "psychosocial_assessment",
            "Psychosocial assessment done",
            FieldKind::Bool,
            false,
        ),
        f(
            "next_care",
            "Recommended next care",
            FieldKind::Code("next_care"),
            false,
        ),
        f("referrals", "Referrals", SHORT, false),
        f(
            "priority_groups",
            "Priority groups",
            FieldKind::Codes("priority_group"),
            false,
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;

    #[test]
    fn every_code_field_names_a_real_list() {
        for ds in [&SUICIDES, &SELF_HARM] {
            assert_eq!(ds.fields[0].name, "source");
            assert_eq!(ds.fields[1].name, "source_ref");
            assert!(ds.index(ds.date_field).is_some());
            for field in ds.fields {
                if let FieldKind::Code(l) | FieldKind::Codes(l) = field.kind {
                    assert!(
                        codes::all().iter().any(|c| c.name == l),
                        "{}: {l}",
                        field.name
                    );
                }
            }
        }
    }
}

//! Postvention: the offer of bereavement support after a suspected suicide, recorded on the
//! death's record, and the checks a person would make of it (an offer comes before consent,
//! consent before a referral, a referral before first contact, and none before the death or
//! after today).

use chrono::NaiveDate;

use super::{Record, Value};

/// The fields of a suspected suicide that record postvention, in the order they happen.
pub const FIELDS: [&str; 6] = [
    "support_offered",
    "support_consent",
    "referral_date",
    "referral_service",
    "first_contact_date",
    "postvention_outcome",
];

fn date(r: &Record, name: &str) -> Option<NaiveDate> {
    match r.get(name) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

fn flag(r: &Record, name: &str) -> Option<bool> {
    match r.get(name) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// The steps of postvention a death's record can have reached, in order: each record is at
/// exactly one (`postvention_stage` in the indicators).
///
/// The stage is read down the steps: with no offer recorded a record is `not_recorded` (or
/// `not_offered`), whatever later fields say; with an offer, no decision is `offered`, a refusal
/// `declined`, and with consent the furthest of `accepted`, `referred` and `contacted`. So
/// whether support was offered, and whether the family consented, are each a function of the
/// stage: the tables of those two are sums of the stage table's rows.
pub const STAGES: [&str; 7] = [
    "not_recorded",
    "not_offered",
    "offered",
    "declined",
    "accepted",
    "referred",
    "contacted",
];

/// The step a record has reached (one of [`STAGES`]).
pub fn stage(r: &Record) -> &'static str {
    match flag(r, "support_offered") {
        None => "not_recorded",
        Some(false) => "not_offered",
        Some(true) => match flag(r, "support_consent") {
            None => "offered",
            Some(false) => "declined",
            Some(true) if date(r, "first_contact_date").is_some() => "contacted",
            Some(true) if date(r, "referral_date").is_some() => "referred",
            Some(true) => "accepted",
        },
    }
}

/// The stages that answer "was support offered?" `yes`, `no` and `not recorded`, and "did the
/// family consent?" the same: each answer as the stages whose records give it.
pub fn stages_answering(field: &str, answer: &str) -> &'static [&'static str] {
    match (field, answer) {
        ("support_offered", "yes") => &STAGES[2..],
        ("support_offered", "no") => &STAGES[1..2],
        ("support_offered", _) => &STAGES[..1],
        ("support_consent", "yes") => &STAGES[4..],
        ("support_consent", "no") => &STAGES[3..4],
        (_, _) => &STAGES[..3],
    }
}

/// Days from the death to the bereaved's first contact with a support service, for a record at
/// stage `contacted`.
pub fn days_to_contact(r: &Record) -> Option<i64> {
    if stage(r) != "contacted" {
        return None;
    }
    let died = date(r, "date_of_death")?;
    let contact = date(r, "first_contact_date")?;
    Some((contact - died).num_days())
}

/// The problems with a record's postvention fields, by field, on `today`.
pub fn check(r: &Record, today: NaiveDate) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let offered = flag(r, "support_offered");
    let consent = flag(r, "support_consent");
    let referral = date(r, "referral_date");
    let service = r.text("referral_service");
    let contact = date(r, "first_contact_date");
    if consent.is_some() && offered != Some(true) {
        out.push((
            "support_consent",
            "needs an offer of support first: say that bereavement support was offered".to_owned(),
        ));
    }
    if (referral.is_some() || !service.is_empty()) && consent != Some(true) {
        out.push((
            if referral.is_some() {
                "referral_date"
            } else {
                "referral_service"
            },
            "a referral needs the family's consent: say that they agreed to one".to_owned(),
        ));
    }
    if referral.is_some() == service.is_empty() {
        out.push((
            if referral.is_some() {
                "referral_service"
            } else {
                "referral_date"
            },
            "give both the service referred to and the date of the referral".to_owned(),
        ));
    }
    let died = date(r, "date_of_death");
    for (name, day) in [("referral_date", referral), ("first_contact_date", contact)] {
        let Some(day) = day else { continue };
        if day > today {
            out.push((name, format!("{day} is in the future")));
        } else if died.is_some_and(|d| day < d) {
            out.push((name, format!("{day} is before the date of death")));
        }
    }
    if let (Some(c), Some(r)) = (contact, referral)
        && c < r
    {
        out.push((
            "first_contact_date",
            format!("{c} is before the referral ({r})"),
        ));
    }
    if contact.is_some() && offered != Some(true) {
        out.push((
            "first_contact_date",
            "first contact needs an offer of support first".to_owned(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::SUICIDES;

    fn record(cells: &[(&str, &str)]) -> Record {
        let base = [
            ("source", "police"),
            ("source_ref", "P1"),
            ("date_of_death", "2025-03-01"),
            ("age", "40"),
            ("sex", "male"),
            ("residence_area", "E01000001"),
            ("status", "suspected"),
            ("method_group", "hanging"),
            ("location_type", "home"),
        ];
        Record::parse(
            &SUICIDES,
            |n| {
                cells
                    .iter()
                    .chain(base.iter())
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| *v)
            },
            &|_| true,
        )
        .expect("a valid record")
    }

    fn fields(cells: &[(&str, &str)]) -> Vec<&'static str> {
        let today = NaiveDate::from_ymd_opt(2025, 6, 1).expect("date");
        check(&record(cells), today)
            .into_iter()
            .map(|p| p.0)
            .collect()
    }

    #[test]
    fn a_whole_story_in_order_is_accepted() {
        assert!(fields(&[]).is_empty(), "nothing recorded yet");
        assert!(fields(&[("support_offered", "no")]).is_empty());
        let whole = [
            ("support_offered", "yes"),
            ("support_consent", "yes"),
            ("referral_date", "2025-03-05"),
            ("referral_service", "Amparo"),
            ("first_contact_date", "2025-03-06"),
            ("postvention_outcome", "supported"),
        ];
        assert!(fields(&whole).is_empty());
        // Declined: an offer, no consent, no referral.
        assert!(fields(&[("support_offered", "yes"), ("support_consent", "no")]).is_empty());
    }

    #[test]
    fn every_record_is_at_one_stage_and_the_yes_no_answers_are_sums_of_stages() {
        let cases: [(&[(&str, &str)], &str); 7] = [
            (&[], "not_recorded"),
            (&[("support_offered", "no")], "not_offered"),
            (&[("support_offered", "yes")], "offered"),
            (
                &[("support_offered", "yes"), ("support_consent", "no")],
                "declined",
            ),
            (
                &[("support_offered", "yes"), ("support_consent", "yes")],
                "accepted",
            ),
            (
                &[
                    ("support_offered", "yes"),
                    ("support_consent", "yes"),
                    ("referral_date", "2025-03-05"),
                    ("referral_service", "Amparo"),
                ],
                "referred",
            ),
            (
                &[
                    ("support_offered", "yes"),
                    ("support_consent", "yes"),
                    ("referral_date", "2025-03-05"),
                    ("referral_service", "Amparo"),
                    ("first_contact_date", "2025-03-09"),
                ],
                "contacted",
            ),
        ];
        for (cells, want) in cases {
            let r = record(cells);
            assert_eq!(stage(&r), want, "{cells:?}");
            // The stage gives the answers the record's own fields give.
            for field in ["support_offered", "support_consent"] {
                let answer = match r.get(field) {
                    Some(Value::Bool(true)) => "yes",
                    Some(Value::Bool(false)) => "no",
                    _ => "not recorded",
                };
                assert!(
                    stages_answering(field, answer).contains(&want),
                    "{field} {answer}"
                );
                let others = ["yes", "no", "not recorded"]
                    .into_iter()
                    .filter(|a| *a != answer);
                for other in others {
                    assert!(!stages_answering(field, other).contains(&want));
                }
            }
        }
        assert_eq!(days_to_contact(&record(cases[6].0)), Some(8));
        assert_eq!(days_to_contact(&record(cases[5].0)), None);
        // A later field without the earlier steps does not move a record on.
        assert_eq!(
            stage(&record(&[("first_contact_date", "2025-03-04")])),
            "not_recorded"
        );
    }

    #[test]
    fn each_step_out_of_order_is_named_by_its_field() {
        assert_eq!(fields(&[("support_consent", "yes")]), ["support_consent"]);
        assert_eq!(
            fields(&[
                ("support_offered", "yes"),
                ("referral_date", "2025-03-05"),
                ("referral_service", "Amparo")
            ]),
            ["referral_date"]
        );
        assert_eq!(
            fields(&[
                ("support_offered", "yes"),
                ("support_consent", "yes"),
                ("referral_service", "Amparo")
            ]),
            ["referral_date"]
        );
        let early = [
            ("support_offered", "yes"),
            ("support_consent", "yes"),
            ("referral_date", "2025-02-01"),
            ("referral_service", "Amparo"),
        ];
        assert_eq!(fields(&early), ["referral_date"]);
        let future = [
            ("support_offered", "yes"),
            ("support_consent", "yes"),
            ("referral_date", "2025-03-05"),
            ("referral_service", "Amparo"),
            ("first_contact_date", "2025-07-01"),
        ];
        assert_eq!(fields(&future), ["first_contact_date"]);
        let before_referral = [
            ("support_offered", "yes"),
            ("support_consent", "yes"),
            ("referral_date", "2025-03-05"),
            ("referral_service", "Amparo"),
            ("first_contact_date", "2025-03-04"),
        ];
        assert_eq!(fields(&before_referral), ["first_contact_date"]);
        assert_eq!(
            fields(&[("first_contact_date", "2025-03-04")]),
            ["first_contact_date"]
        );
    }
}

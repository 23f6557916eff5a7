//! Progress updates as a partner posts them, from the web form or the API: who may post one on
//! an action, and the checks that turn the posted fields into a [`NewUpdate`].

use chrono::{DateTime, NaiveDate, Utc};

use super::{Action, DueChange, NewUpdate, Plan, Rag, Reading};
use crate::auth::Role;
use crate::import::reading::{DateOrder, read_date};

/// Longest update text, in characters.
pub const MAX_UPDATE_CHARS: usize = 5_000;

/// Whether someone with `role` in `organisation` may post updates on `action`: analysts and
/// admins on any action, anyone else on the actions their organisation leads.
pub fn may_update(role: Role, organisation: Option<&str>, action: &Action) -> bool {
    role.sees_restricted() || organisation.is_some_and(|o| action.led_by(o))
}

/// An update's fields as posted. A blank field changes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateFields<'a> {
    /// What has happened (may be blank when the update records a value or a due date).
    pub text: &'a str,
    /// One of the plan's statuses, or blank.
    pub status: &'a str,
    /// `red`, `amber`, `green`, or blank.
    pub rag: &'a str,
    /// Which measure a value is for: `1` for the action's first, or blank.
    pub measure: &'a str,
    /// The measure's value: `22 of 31`, `22/31`, `71%`, `140`, or blank.
    pub value: &'a str,
    /// The date the value describes (`2026-12-01` or `1/12/2026`); blank for the update's day.
    pub value_on: &'a str,
    /// A new due date for the action, or blank.
    pub due: &'a str,
    /// Why the due date moves (needed with `due`).
    pub due_reason: &'a str,
}

/// Longest measure value, in characters (`1,200 of 3,400 delegates` is 24).
pub const MAX_VALUE_CHARS: usize = 60;

/// Longest reason for a new due date, in characters.
pub const MAX_REASON_CHARS: usize = 1_000;

/// Why posted fields are not an update; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// No words, no value and no due date.
    #[error(
        "Say what has happened: the update needs some words, a measure's value or a new due date."
    )]
    Empty,
    /// Over [`MAX_UPDATE_CHARS`].
    #[error("Keep the update under 5,000 characters.")]
    TooLong,
    /// Control characters or the like (the message from [`crate::text::checked`]).
    #[error("The update {0}.")]
    Text(String),
    /// A status the plan does not use.
    #[error("'{status}' is not one of the plan's statuses ({allowed})")]
    Status {
        /// What was posted.
        status: String,
        /// The plan's statuses, comma-separated.
        allowed: String,
    },
    /// Not red, amber or green.
    #[error("'{0}' is not red, amber or green")]
    Rag(String),
    /// A measure's value that cannot be recorded; the message says why.
    #[error("Measure value: {0}")]
    Reading(String),
    /// A due date that cannot be proposed; the message says why.
    #[error("New due date: {0}")]
    Due(String),
}

/// Who posts an update, on which action of which plan, and when.
#[derive(Debug, Clone, Copy)]
pub struct Poster<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// The action.
    pub action: &'a Action,
    /// The poster's username.
    pub author: &'a str,
    /// Whether a new due date they give is agreed at once (analysts and admins) rather than
    /// proposed (leads).
    pub agrees: bool,
    /// When.
    pub at: DateTime<Utc>,
}

impl NewUpdate {
    /// Check posted fields and make the update.
    ///
    /// # Errors
    /// The first field that is wrong.
    pub fn parse(by: &Poster<'_>, fields: &UpdateFields<'_>) -> Result<Self, UpdateError> {
        let text = fields.text.trim();
        if text.chars().count() > MAX_UPDATE_CHARS {
            return Err(UpdateError::TooLong);
        }
        let text = crate::text::checked(text).map_err(UpdateError::Text)?;
        let status = fields.status.trim();
        let status = if status.is_empty() {
            None
        } else if by.plan.statuses.iter().any(|s| s == status) {
            Some(status.to_owned())
        } else {
            return Err(UpdateError::Status {
                status: status.to_owned(),
                allowed: by.plan.statuses.join(", "),
            });
        };
        let rag = if fields.rag.trim().is_empty() {
            None
        } else {
            Some(Rag::parse(fields.rag).ok_or_else(|| UpdateError::Rag(fields.rag.to_owned()))?)
        };
        let today = by.at.date_naive();
        let reading = reading(by.action, fields, today).map_err(UpdateError::Reading)?;
        let due_change = due_change(by, fields, today).map_err(UpdateError::Due)?;
        if text.is_empty() && reading.is_none() && due_change.is_none() {
            return Err(UpdateError::Empty);
        }
        Ok(Self {
            at: by.at,
            author: by.author.to_owned(),
            text: text.into_owned(),
            status,
            rag,
            reading,
            due_change,
        })
    }
}

/// A date as a form or a person writes it: `2026-12-01`, `1/12/2026`, `1 Dec 2026`.
fn date(s: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    read_date(s, DateOrder::Dmy, today)
}

/// A figure as the pages write it: whole numbers without decimals, else one place.
pub fn figure(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A number as people write it: `1,200`, `22`, `7.5`.
fn number(s: &str) -> Option<f64> {
    let t: String = s.trim().chars().filter(|c| *c != ',').collect();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Read `22 of 31`, `22 out of 31`, `22/31`, `71%` or `140` (a trailing word such as
/// `schools` is allowed): the value, the whole, and whether it is a percentage.
pub fn read_value(s: &str) -> Result<(f64, Option<f64>, bool), String> {
    let forms = "write a count or figure such as 22 of 31, 22/31, 71% or 140";
    let s = s.trim();
    if s.chars().count() > MAX_VALUE_CHARS {
        return Err(format!(
            "a value is a few words at most ({MAX_VALUE_CHARS} characters): {forms}"
        ));
    }
    let bad = || format!("'{s}' is not a value: {forms}");
    // `40 %` and `40 per cent` are `40%`.
    let lower = s.to_lowercase().replace("per cent", "%").replace(" %", "%");
    // A unit may follow the whole ("31 schools") or a lone value ("140 delegates").
    let first_word = |t: &str| t.split_whitespace().next().unwrap_or("").to_owned();
    if let Some((head, whole)) = [" out of ", " of ", "/"]
        .iter()
        .find_map(|sep| lower.split_once(sep))
    {
        let value = number(head).ok_or_else(bad)?;
        let of = number(&first_word(whole)).ok_or_else(bad)?;
        if of <= 0.0 {
            return Err(format!("the whole in '{s}' must be more than 0"));
        }
        if value > of {
            return Err(format!(
                "{} is more than the {} it is out of",
                figure(value),
                figure(of)
            ));
        }
        return Ok((value, Some(of), false));
    }
    let word = first_word(&lower);
    let rest = lower[word.len()..].trim();
    if rest == "of" || rest.ends_with(" of") {
        return Err(bad());
    }
    match word.strip_suffix('%') {
        Some(p) => {
            let v = number(p).ok_or_else(bad)?;
            if v > 100.0 {
                return Err(format!("{}% is more than 100%", figure(v)));
            }
            Ok((v, None, true))
        }
        None => Ok((number(&word).ok_or_else(bad)?, None, false)),
    }
}

fn reading(
    action: &Action,
    fields: &UpdateFields<'_>,
    today: NaiveDate,
) -> Result<Option<Reading>, String> {
    let value = fields.value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if action.measures.is_empty() {
        return Err("this action has no measures to record a value against".to_owned());
    }
    let n = action.measures.len();
    let choice = fields.measure.trim();
    let index = if choice.is_empty() && n == 1 {
        0
    } else {
        match choice.parse::<usize>() {
            Ok(k) if (1..=n).contains(&k) => k - 1,
            _ if choice.is_empty() => {
                return Err(format!("say which of the {n} measures the value is for"));
            }
            _ => return Err(format!("'{choice}' is not one of the measures (1 to {n})")),
        }
    };
    let (v, of, percent) = read_value(value)?;
    let on = if fields.value_on.trim().is_empty() {
        today
    } else {
        date(fields.value_on, today)?
    };
    if on > today {
        return Err(format!(
            "the value's date {} is in the future",
            on.format("%-d %B %Y")
        ));
    }
    Ok(Some(Reading {
        measure: index,
        measure_text: action.measures[index].text.clone(),
        value: v,
        of,
        percent,
        on,
    }))
}

fn due_change(
    by: &Poster<'_>,
    fields: &UpdateFields<'_>,
    today: NaiveDate,
) -> Result<Option<DueChange>, String> {
    let reason = fields.due_reason.trim();
    if fields.due.trim().is_empty() {
        if !reason.is_empty() {
            return Err("a reason was given but no new date".to_owned());
        }
        return Ok(None);
    }
    let due = date(fields.due, today)?;
    if due < today {
        return Err(format!(
            "{} has passed; give a date from today on",
            due.format("%-d %B %Y")
        ));
    }
    if by.action.due == Some(due) {
        return Err(format!(
            "the action is already due on {}",
            due.format("%-d %B %Y")
        ));
    }
    if reason.is_empty() {
        return Err("say why the date should move".to_owned());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err("keep the reason under 1,000 characters".to_owned());
    }
    let reason = crate::text::checked(reason).map_err(|e| format!("the reason {e}"))?;
    Ok(Some(DueChange {
        due,
        before: by.action.due,
        reason: reason.into_owned(),
        agreed: by.agrees,
    }))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::plans::Measure;

    fn plan() -> Plan {
        Plan {
            title: "Plan".to_owned(),
            area: None,
            period: None,
            owner: None,
            source: None,
            statuses: vec!["Not started".to_owned(), "Complete".to_owned()],
            sections: Vec::new(),
        }
    }

    fn action(measures: usize) -> Action {
        let mut a = Action::new("1.1", "Train school staff");
        a.due = NaiveDate::from_ymd_opt(2026, 12, 31);
        a.measures = (1..=measures)
            .map(|k| Measure::text(format!("Schools trained ({k})")))
            .collect();
        a
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap()
    }

    fn post(a: &Action, agrees: bool, fields: &UpdateFields<'_>) -> Result<NewUpdate, UpdateError> {
        let plan = plan();
        let by = Poster {
            plan: &plan,
            action: a,
            author: "lead",
            agrees,
            at: at(),
        };
        NewUpdate::parse(&by, fields)
    }

    fn parse(text: &str, status: &str, rag: &str) -> Result<NewUpdate, UpdateError> {
        let fields = UpdateFields {
            text,
            status,
            rag,
            ..UpdateFields::default()
        };
        post(&action(0), false, &fields)
    }

    #[test]
    fn posted_fields_become_an_update_or_say_what_to_fix() {
        let u = parse("  Met the coroner.  ", "Complete", "green").unwrap();
        assert_eq!(
            (u.text.as_str(), u.status.as_deref(), u.rag),
            ("Met the coroner.", Some("Complete"), Some(Rag::Green))
        );
        let u = parse("No change", " ", "").unwrap();
        assert_eq!((u.status, u.rag), (None, None));
        assert_eq!(parse(" ", "", ""), Err(UpdateError::Empty));
        assert_eq!(parse(&"x".repeat(5_001), "", ""), Err(UpdateError::TooLong));
        assert!(parse(&"x".repeat(5_000), "", "").is_ok());
        assert!(matches!(
            parse("a\u{7}b", "", ""),
            Err(UpdateError::Text(_))
        ));
        assert_eq!(
            parse("x", "Done", "").unwrap_err().to_string(),
            "'Done' is not one of the plan's statuses (Not started, Complete)"
        );
        assert_eq!(
            parse("x", "", "purple"),
            Err(UpdateError::Rag("purple".to_owned()))
        );
    }

    #[test]
    fn a_lead_records_a_measures_value_with_its_date() {
        let a = action(2);
        let fields = UpdateFields {
            measure: "2",
            value: "22 of 31 schools",
            value_on: "01/12/2026",
            ..UpdateFields::default()
        };
        let u = post(&a, false, &fields).unwrap();
        let r = u.reading.unwrap();
        assert_eq!(r.measure, 1);
        assert_eq!(r.measure_text, "Schools trained (2)");
        assert_eq!((r.value, r.of, r.percent), (22.0, Some(31.0), false));
        assert_eq!(r.on, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(r.describe(), "22 of 31 (71%)");
        assert_eq!(u.text, "", "a value needs no words");

        // The one measure is chosen for the lead; the date defaults to the update's day.
        let u = post(
            &action(1),
            false,
            &UpdateFields {
                value: "71%",
                ..UpdateFields::default()
            },
        )
        .unwrap();
        let r = u.reading.unwrap();
        assert_eq!((r.measure, r.percent, r.on), (0, true, at().date_naive()));
        assert_eq!(r.describe(), "71%");

        let wrong = |measure: &str, value: &str, on: &str, measures: usize| {
            let fields = UpdateFields {
                text: "x",
                measure,
                value,
                value_on: on,
                ..UpdateFields::default()
            };
            post(&action(measures), false, &fields)
                .unwrap_err()
                .to_string()
        };
        assert!(wrong("", "3", "", 0).contains("no measures"));
        assert!(wrong("", "3", "", 2).contains("which of the 2 measures"));
        assert!(wrong("3", "3", "", 2).contains("'3' is not one of the measures (1 to 2)"));
        assert!(wrong("1", "32 of 31", "", 2).contains("32 is more than the 31"));
        assert!(wrong("1", "many", "", 2).contains("'many' is not a value"));
        assert!(wrong("1", "3 of 0", "", 2).contains("more than 0"));
        assert!(wrong("1", "120%", "", 2).contains("more than 100%"));
        assert!(wrong("1", "3", "2027-01-01", 2).contains("in the future"));
        assert!(wrong("1", "3", "31/02/2026", 2).contains("Measure value:"));
    }

    #[test]
    fn a_lead_proposes_a_due_date_and_an_analyst_agrees_one() {
        let a = action(0);
        let fields = UpdateFields {
            due: "31/03/2027",
            due_reason: "Funding starts in April.",
            ..UpdateFields::default()
        };
        let proposed = post(&a, false, &fields).unwrap().due_change.unwrap();
        assert_eq!(proposed.due, NaiveDate::from_ymd_opt(2027, 3, 31).unwrap());
        assert_eq!(proposed.before, a.due);
        assert!(!proposed.agreed);
        assert!(post(&a, true, &fields).unwrap().due_change.unwrap().agreed);

        let wrong = |due: &str, reason: &str| {
            let fields = UpdateFields {
                due,
                due_reason: reason,
                ..UpdateFields::default()
            };
            post(&a, false, &fields).unwrap_err().to_string()
        };
        assert!(wrong("2027-03-31", " ").contains("say why"));
        assert!(wrong("2026-01-01", "late").contains("has passed"));
        assert!(wrong("2026-12-31", "same").contains("already due"));
        assert!(wrong("", "a reason alone").contains("no new date"));
        assert!(wrong("2027-03-31", &"x".repeat(1_001)).contains("1,000"));
        assert!(wrong("soon", "x").starts_with("New due date: 'soon'"));
    }

    #[test]
    fn values_are_read_as_people_write_them() {
        let ok = |s: &str| read_value(s).unwrap();
        assert_eq!(ok("22/31"), (22.0, Some(31.0), false));
        assert_eq!(ok("22 out of 31"), (22.0, Some(31.0), false));
        assert_eq!(ok("1,200 delegates"), (1200.0, None, false));
        assert_eq!(ok("7.5"), (7.5, None, false));
        assert_eq!(ok("40 %"), (40.0, None, true));
        assert_eq!(ok("40 per cent"), (40.0, None, true));
        let huge = format!("1 of {}", "9".repeat(100_000));
        let err = read_value(&huge).unwrap_err();
        assert!(
            err.len() < 200,
            "an overlong value is not echoed back: {err}"
        );
        assert!(read_value(&format!("{} delegates", "1".repeat(40))).is_ok());
        for bad in ["", "-3", "x of 3", "3 of", "NaN", "1e9", "3 of x"] {
            assert!(read_value(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_count_of_a_whole_reads_back(value in 0u32..100_000, extra in 0u32..100_000) {
            let of = value + extra.max(1);
            let (v, w, p) = read_value(&format!("{value} of {of}")).unwrap();
            prop_assert_eq!((v, w, p), (f64::from(value), Some(f64::from(of)), false));
        }

        #[test]
        fn reading_any_text_never_panics(s in "\\PC{0,40}") {
            let _ = read_value(&s);
        }
    }
}

//! Progress updates as a partner posts them, from the web form or the API: who may post one on
//! an action, and the checks that turn the posted fields into a [`NewUpdate`].

use chrono::{DateTime, Utc};

use super::{Action, NewUpdate, Plan, Rag};
use crate::auth::Role;

/// Longest update text, in characters.
pub const MAX_UPDATE_CHARS: usize = 5_000;

/// Whether someone with `role` in `organisation` may post updates on `action`: analysts and
/// admins on any action, anyone else on the actions their organisation leads.
pub fn may_update(role: Role, organisation: Option<&str>, action: &Action) -> bool {
    role.sees_restricted() || organisation.is_some_and(|o| action.led_by(o))
}

/// An update's fields as posted. A blank status or RAG rating changes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateFields<'a> {
    /// What has happened.
    pub text: &'a str,
    /// One of the plan's statuses, or blank.
    pub status: &'a str,
    /// `red`, `amber`, `green`, or blank.
    pub rag: &'a str,
}

/// Why posted fields are not an update; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// No words.
    #[error("Say what has happened: the update needs some words.")]
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
}

impl NewUpdate {
    /// Check posted fields against `plan` and make the update `author` posts at `at`.
    ///
    /// # Errors
    /// The first field that is wrong.
    pub fn parse(
        plan: &Plan,
        author: &str,
        fields: &UpdateFields<'_>,
        at: DateTime<Utc>,
    ) -> Result<Self, UpdateError> {
        let text = fields.text.trim();
        if text.is_empty() {
            return Err(UpdateError::Empty);
        }
        if text.chars().count() > MAX_UPDATE_CHARS {
            return Err(UpdateError::TooLong);
        }
        let text = crate::text::checked(text).map_err(UpdateError::Text)?;
        let status = fields.status.trim();
        let status = if status.is_empty() {
            None
        } else if plan.statuses.iter().any(|s| s == status) {
            Some(status.to_owned())
        } else {
            return Err(UpdateError::Status {
                status: status.to_owned(),
                allowed: plan.statuses.join(", "),
            });
        };
        let rag = if fields.rag.trim().is_empty() {
            None
        } else {
            Some(Rag::parse(fields.rag).ok_or_else(|| UpdateError::Rag(fields.rag.to_owned()))?)
        };
        Ok(Self {
            at,
            author: author.to_owned(),
            text: text.into_owned(),
            status,
            rag,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn parse(text: &str, status: &str, rag: &str) -> Result<NewUpdate, UpdateError> {
        let fields = UpdateFields { text, status, rag };
        NewUpdate::parse(&plan(), "lead", &fields, Utc::now())
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
}

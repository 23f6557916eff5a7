//! The chrome every HTML page shares: what `base.html` needs (title, navigation, the signed-in
//! user and their CSRF token, the synthetic-data banner).

use crate::AppState;
use crate::access::{self, Principal, Rule};

/// What `base.html` needs on every page.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The page's title.
    pub(crate) title: String,
    /// Which navigation item is current.
    pub(crate) active: &'static str,
    /// The data is synthetic demo data.
    pub(crate) synthetic: bool,
    /// The signed-in user, if any.
    pub(crate) user: Option<Principal>,
}

impl Layout {
    pub(crate) fn new(state: &AppState, title: impl Into<String>, active: &'static str) -> Self {
        Self {
            title: title.into(),
            active,
            synthetic: state.config.synthetic,
            user: access::current(),
        }
    }

    /// The user may see person-level records.
    pub(crate) fn people(&self) -> bool {
        self.allows(Rule::People)
    }

    /// The user is an analyst or admin.
    pub(crate) fn analyst(&self) -> bool {
        self.allows(Rule::Analysts)
    }

    /// The user is an admin.
    pub(crate) fn admin(&self) -> bool {
        self.allows(Rule::Admin)
    }

    fn allows(&self, rule: Rule) -> bool {
        self.user.as_ref().is_some_and(|u| rule.allows(u.role))
    }

    /// The CSRF token for this user's forms.
    pub(crate) fn csrf(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.csrf.as_str())
    }
}

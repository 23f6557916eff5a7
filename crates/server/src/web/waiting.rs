//! Checked uploads waiting for their confirm: kept in this process's memory only (never on
//! disk, since an upload may hold identifiers), for the person who checked them, for
//! [`WAIT_FOR`], at most [`WAIT_MAX`] at once (the oldest go first).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a check waits for its confirm.
pub(crate) const WAIT_FOR: Duration = Duration::from_secs(30 * 60);
/// The most checks that wait at once.
const WAIT_MAX: usize = 16;

/// Checks of one kind, by random token.
pub(crate) struct Waiting<T> {
    all: Mutex<HashMap<String, (String, Instant, T)>>,
}

impl<T> Waiting<T> {
    pub(crate) fn new() -> Self {
        Self {
            all: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant, T)>> {
        self.all
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keep `value` for `user`; the token their confirm form carries.
    pub(crate) fn keep(&self, user: &str, value: T) -> String {
        let (token, _) = lantern_core::auth::new_token();
        let mut all = self.lock();
        all.retain(|_, (_, at, _)| at.elapsed() < WAIT_FOR);
        while all.len() >= WAIT_MAX {
            let Some(oldest) = all
                .iter()
                .min_by_key(|(_, (_, at, _))| *at)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            all.remove(&oldest);
        }
        all.insert(token.clone(), (user.to_owned(), Instant::now(), value));
        token
    }

    /// Take what `user` kept under `token`, unless it has expired or is someone else's.
    pub(crate) fn take(&self, token: &str, user: &str) -> Option<T> {
        let mut all = self.lock();
        match all.get(token) {
            Some((owner, at, _)) if owner == user && at.elapsed() < WAIT_FOR => {
                all.remove(token).map(|(_, _, v)| v)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_is_taken_once_and_only_by_whoever_kept_it() {
        let w = Waiting::new();
        let token = w.keep("ann", 7);
        assert_eq!(w.take(&token, "bob"), None);
        assert_eq!(w.take(&token, "ann"), Some(7));
        assert_eq!(w.take(&token, "ann"), None);
        let tokens: Vec<String> = (0..WAIT_MAX + 2).map(|i| w.keep("ann", i)).collect();
        assert_eq!(w.take(&tokens[0], "ann"), None, "the oldest went first");
        assert_eq!(w.take(&tokens[WAIT_MAX + 1], "ann"), Some(WAIT_MAX + 1));
    }
}

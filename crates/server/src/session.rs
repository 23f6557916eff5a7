//! Signing in and out: password checks against argon2id hashes, login rate limiting per account
//! and per address, server-side sessions, and the session cookie. Used by the sign-in page and
//! by `POST|DELETE /api/v1/session`. Every sign-in, failure, lockout and sign-out is audited.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use chrono::Utc;
use lantern_core::auth::{self, Session, User};

use crate::AppState;
use crate::access::{COOKIE, Principal, audit};
use crate::error::AppError;

/// Failures allowed per account in [`WINDOW`] before it is locked for the rest of the window.
pub const ACCOUNT_FAILURES: u32 = 5;
/// Failures allowed per client address in [`WINDOW`].
pub const ADDRESS_FAILURES: u32 = 20;
/// The rate-limit window (and lockout).
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a sign-in waits, right password or not, once its address has had
/// [`ADDRESS_FAILURES`] failures in the window. An address limit never refuses the right
/// credentials: behind a proxy or a shared NAT, one address is many people, and refusing would
/// let anyone lock everyone out. Slowing costs a guesser the same.
pub const ADDRESS_SLOWDOWN: Duration = Duration::from_secs(2);
/// The longest user name kept from a failed sign-in (in the audit log and the limiter's keys):
/// no real name is longer, and an attacker's 2 MiB name must not be stored.
const MAX_OFFERED_NAME: usize = 64;

/// Counts of recent failed sign-ins, by account and by address. In memory: a restart clears
/// it, which an attacker cannot cause remotely, and it costs no database write per attempt.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    /// The last TOTP step each user signed in with: a code works once (ASVS 2.8.4).
    totp_steps: Mutex<HashMap<String, u64>>,
}

impl LoginLimiter {
    fn key_account(username: &str) -> String {
        format!("user:{username}")
    }

    fn key_address(origin: &str) -> String {
        format!("addr:{origin}")
    }

    /// Seconds left in the window of `key`, if it has had `limit` failures.
    fn over(&self, key: &str, limit: u32) -> Option<u64> {
        let map = self.failures.lock().ok()?;
        let (n, since) = map.get(key)?;
        let left = WINDOW.checked_sub(Instant::now().duration_since(*since))?;
        (*n >= limit).then_some(left.as_secs().max(1))
    }

    /// Seconds until `username` may try again, if the account is locked out.
    fn locked(&self, username: &str) -> Option<u64> {
        self.over(&Self::key_account(username), ACCOUNT_FAILURES)
    }

    /// Whether sign-ins from `origin` are slowed.
    fn slowed(&self, origin: &str) -> bool {
        self.over(&Self::key_address(origin), ADDRESS_FAILURES)
            .is_some()
    }

    fn fail(&self, username: &str, origin: &str) {
        if let Ok(mut map) = self.failures.lock() {
            let now = Instant::now();
            for k in [Self::key_account(username), Self::key_address(origin)] {
                let e = map.entry(k).or_insert((0, now));
                if now.duration_since(e.1) > WINDOW {
                    *e = (0, now);
                }
                e.0 += 1;
            }
            // Keep the map small: forget windows that have passed.
            if map.len() > 10_000 {
                map.retain(|_, (_, since)| now.duration_since(*since) <= WINDOW);
            }
        }
    }

    /// Accept a TOTP step for `username` only if it is newer than the last one used.
    fn fresh_totp(&self, username: &str, step: u64) -> bool {
        self.totp_steps.lock().is_ok_and(|mut m| {
            let last = m.entry(username.to_owned()).or_insert(0);
            if step > *last {
                *last = step;
                true
            } else {
                false
            }
        })
    }

    fn succeed(&self, username: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&Self::key_account(username));
        }
    }
}

/// A successful sign-in: the cookie's token and the user.
pub(crate) struct SignedIn {
    pub(crate) token: String,
    pub(crate) principal: Principal,
}

/// Check a user name and password and start a session.
///
/// # Errors
/// `TooManyRequests` while locked out (even with the right password), `Unauthenticated` for a
/// wrong name or password or a disabled account (one message for all, so accounts cannot be
/// enumerated).
pub(crate) async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    totp: Option<&str>,
    origin: &str,
) -> Result<SignedIn, AppError> {
    let username = username.trim().to_lowercase();
    // A name no account can have is kept short and printable: it reaches the audit log.
    let username = if auth::check_username(&username).is_ok() {
        username
    } else {
        lantern_core::text::printable(&username, MAX_OFFERED_NAME).into_owned()
    };
    if let Some(secs) = state.limiter.locked(&username) {
        audit(
            state,
            &username,
            origin,
            "login_locked",
            None,
            None,
            format!("locked for {secs} s"),
        )
        .await?;
        return Err(AppError::TooManyRequests(secs));
    }
    let slowed = state.limiter.slowed(origin);
    if slowed {
        tokio::time::sleep(ADDRESS_SLOWDOWN).await;
    }
    let slowed_note = if slowed {
        "; slowed: many failed sign-ins from this address"
    } else {
        ""
    };
    let user = state.store.user(&username).await?;
    let phc = user.as_ref().map_or_else(
        || auth::dummy_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let password = password.to_owned();
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || auth::verify_password(&password, &phc))
        .await
        .map_err(|e| AppError::Unexpected(e.into()))?;
    // The second factor, for users who set one up: a current code, used once.
    let second_ok = |u: &User| match u.totp_secret.as_deref() {
        None => true,
        Some(hex) => {
            let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
            lantern_core::unhex(hex)
                .zip(totp)
                .and_then(|(secret, code)| auth::verify_totp(&secret, code, now))
                .is_some_and(|step| state.limiter.fresh_totp(&u.username, step))
        }
    };
    let user = match user {
        Some(u) if matches && !u.disabled && second_ok(&u) => u,
        other => {
            state.limiter.fail(&username, origin);
            let why = match other {
                None => "no such user",
                Some(u) if u.disabled => "account disabled",
                Some(_) if !matches => "wrong password",
                Some(_) => "wrong or reused authentication code",
            };
            audit(
                state,
                &username,
                origin,
                "login_failed",
                None,
                None,
                format!("{why}{slowed_note}"),
            )
            .await?;
            return Err(AppError::Unauthenticated);
        }
    };
    state.limiter.succeed(&username);
    let signed_in = start_session(state, &user, origin).await?;
    audit(
        state,
        &user.username,
        origin,
        "login",
        None,
        None,
        format!("role {}{slowed_note}", user.role),
    )
    .await?;
    Ok(signed_in)
}

async fn start_session(state: &AppState, user: &User, origin: &str) -> Result<SignedIn, AppError> {
    let (token, hash) = auth::new_token();
    let (csrf, _) = auth::new_token();
    let now = Utc::now();
    state
        .store
        .create_session(&Session {
            token_hash: hash.clone(),
            user_id: user.id,
            csrf_token: csrf.clone(),
            created_at: now,
            last_seen_at: now,
            origin: origin.to_owned(),
        })
        .await?;
    Ok(SignedIn {
        token,
        principal: Principal {
            username: user.username.clone(),
            role: user.role,
            area: user.area.clone(),
            organisation: user.organisation.clone(),
            csrf,
            session: hash,
        },
    })
}

/// End the session and audit it.
pub(crate) async fn sign_out(
    state: &AppState,
    p: &Principal,
    origin: &str,
) -> Result<(), AppError> {
    state.store.delete_session(&p.session).await?;
    if let Ok(mut g) = state.grants.lock() {
        g.retain(|(s, _, _)| *s != p.session);
    }
    audit(
        state,
        &p.username,
        origin,
        "logout",
        None,
        None,
        String::new(),
    )
    .await
}

/// The `Set-Cookie` value for a session token (or, with `None`, one that clears it).
pub(crate) fn cookie(state: &AppState, token: Option<&str>) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let (value, age) = match token {
        Some(t) => (t, state.config.absolute_timeout.num_seconds()),
        None => ("", 0),
    };
    let text =
        format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={age}{secure}");
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("lantern_session=; Max-Age=0"))
}

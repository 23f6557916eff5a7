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

    /// Seconds until `username` from `origin` may try again, if they are locked out.
    fn locked(&self, username: &str, origin: &str) -> Option<u64> {
        let map = self.failures.lock().ok()?;
        let now = Instant::now();
        [
            (Self::key_account(username), ACCOUNT_FAILURES),
            (Self::key_address(origin), ADDRESS_FAILURES),
        ]
        .iter()
        .filter_map(|(k, limit)| {
            let (n, since) = map.get(k)?;
            let left = WINDOW.checked_sub(now.duration_since(*since))?;
            (*n >= *limit).then_some(left.as_secs().max(1))
        })
        .max()
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
    if let Some(secs) = state.limiter.locked(&username, origin) {
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
                why.to_owned(),
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
        format!("role {}", user.role),
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

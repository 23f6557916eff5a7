//! Users, roles, passwords and sessions. The rules of who may see what live in the server's one
//! access layer; this module holds the pieces it is built from, so the CLI and the server share
//! them: argon2id password hashes, the password policy, and session tokens (only a token's
//! SHA-256 is stored, so a copy of the database holds no usable session).

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use rand::{RngCore as _, SeedableRng as _};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What a user may do (DESIGN section 1). The public has no account and no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Users, areas, code lists, retention, backups; every record.
    Admin,
    /// Person-level records in their areas; analyses and reports.
    Analyst,
    /// Enters and updates records; sees only their organisation's.
    Recorder,
    /// Action-plan lead: actions, measures, training and services of their organisation.
    Lead,
    /// Oversight or VCFSE partner: aggregates with disclosure control, never a person.
    Partner,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Self; 5] = [
        Self::Admin,
        Self::Analyst,
        Self::Recorder,
        Self::Lead,
        Self::Partner,
    ];

    /// The name used on the command line, in the database and in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Recorder => "recorder",
            Self::Lead => "lead",
            Self::Partner => "partner",
        }
    }

    /// Parse a role name.
    ///
    /// # Errors
    /// A message listing the roles.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("role '{s}' is not one of admin|analyst|recorder|lead|partner"))
    }

    /// May see person-level records at all (in their scope).
    pub const fn sees_people(self) -> bool {
        matches!(self, Self::Admin | Self::Analyst | Self::Recorder)
    }

    /// May see restricted fields (free-text location, substances, notes) and unsuppressed
    /// aggregates.
    pub const fn sees_restricted(self) -> bool {
        matches!(self, Self::Admin | Self::Analyst)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Sign-in name: 2-64 of `a-z 0-9 . _ -`.
    pub username: String,
    /// What they may do.
    pub role: Role,
    /// The area they are scoped to (with everything inside it); `None` for all areas.
    pub area: Option<String>,
    /// Their organisation: for recorders, the register `source` whose records they own.
    pub organisation: Option<String>,
    /// The argon2id PHC string.
    pub password_hash: String,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// What they may do.
    pub role: Role,
    /// Area scope.
    pub area: Option<String>,
    /// Organisation.
    pub organisation: Option<String>,
    /// The argon2id PHC string.
    #[serde(skip)]
    pub password_hash: String,
    /// A disabled user cannot sign in and has no sessions.
    pub disabled: bool,
    /// The TOTP secret (hex) when a second factor is set up.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    /// When created.
    pub created_at: DateTime<Utc>,
}

/// A change to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    /// New role.
    pub role: Option<Role>,
    /// New password hash.
    pub password_hash: Option<String>,
    /// Disable or enable.
    pub disabled: Option<bool>,
    /// Set (`Some(Some(hex))`) or remove (`Some(None)`) the TOTP secret.
    pub totp_secret: Option<Option<String>>,
}

/// A server-side session. The cookie holds the token; the database holds its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie's token, hex.
    pub token_hash: String,
    /// Whose.
    pub user_id: i64,
    /// The token every state-changing form must echo.
    pub csrf_token: String,
    /// Signed in at (the absolute timeout runs from here).
    pub created_at: DateTime<Utc>,
    /// Last request (the idle timeout runs from here).
    pub last_seen_at: DateTime<Utc>,
    /// Where the sign-in came from.
    pub origin: String,
}

/// Check a user name.
///
/// # Errors
/// What is wrong with it.
pub fn check_username(name: &str) -> Result<(), String> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if (2..=64).contains(&name.len()) && ok_chars {
        Ok(())
    } else {
        Err("a user name is 2 to 64 characters of a-z, 0-9, '.', '_' and '-'".to_owned())
    }
}

/// Shortest password accepted (NCSC and ASVS 2.1.1 ask for at least 12).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (ASVS 2.1.2 asks for at least 64 to be allowed).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Words that make up most breached passwords. A password that is one of these, or one of them
/// with digits and symbols added, is refused. Written for Lantern from the patterns NCSC
/// describes; deployments can add more words with `LANTERN_EXTRA_BANNED_PASSWORDS`.
const COMMON_STEMS: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssword",
    "p@ssw0rd",
    "qwerty",
    "qwertyuiop",
    "azerty",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "administrator",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "liverpool",
    "chelsea",
    "arsenal",
    "manchester",
    "sunshine",
    "princess",
    "shadow",
    "master",
    "superman",
    "batman",
    "trustno1",
    "abc123",
    "abcdef",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "0987654321",
    "111111",
    "000000",
    "123123",
    "654321",
    "changeme",
    "secret",
    "default",
    "lantern",
    "samaritans",
    "summer",
    "winter",
    "spring",
    "autumn",
    "january",
    "february",
    "december",
    "london",
    "england",
    "britain",
    "starwars",
    "pokemon",
    "whatever",
    "freedom",
    "computer",
    "internet",
    "charlie",
    "michael",
    "jennifer",
    "thomas",
    "hello",
    "login",
    "access",
    "zaq12wsx",
    "1qaz2wsx",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "mustang",
    "ashley",
    "jordan",
    "hunter",
    "killer",
    "soccer",
    "cheese",
    "flower",
    "cookie",
    "nhs",
    "police",
    "council",
    "health",
    "suicide",
    "prevention",
];

/// Check a new password against the policy: length, not built on the user name, and not one
/// of the common passwords (ignoring case, and digits or symbols added around it).
///
/// # Errors
/// The first rule it breaks, in words a user can act on. The password itself is never echoed.
pub fn check_password(password: &str, username: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters (a few unrelated words make a good one)"
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!(
            "the password must be at most {MAX_PASSWORD_CHARS} characters"
        ));
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err("the password must not contain the user name".to_owned());
    }
    let distinct: std::collections::HashSet<char> = lower.chars().collect();
    if distinct.len() < 5 {
        return Err("the password repeats too few characters".to_owned());
    }
    if is_run(&lower) {
        return Err("the password is a simple run of keys; choose a less guessable one".to_owned());
    }
    // Strip what people add around a common word: digits, symbols and spaces.
    let core: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    let extra = std::env::var("LANTERN_EXTRA_BANNED_PASSWORDS").unwrap_or_default();
    let banned = COMMON_STEMS
        .iter()
        .copied()
        .chain(extra.split(',').map(str::trim).filter(|s| !s.is_empty()));
    for stem in banned {
        let stem_letters: String = stem.chars().filter(|c| c.is_alphabetic()).collect();
        let repeated = !core.is_empty()
            && !stem_letters.is_empty()
            && core.len().is_multiple_of(stem_letters.len())
            && core == stem_letters.repeat(core.len() / stem_letters.len());
        if lower == stem || (!stem_letters.is_empty() && (core == stem_letters || repeated)) {
            return Err("that password is too common; choose a less guessable one".to_owned());
        }
    }
    Ok(())
}

/// Whether the letters and digits step up or down by one all the way (`123456789012`, `zyxw...`).
fn is_run(s: &str) -> bool {
    let b: Vec<u8> = s.bytes().filter(u8::is_ascii_alphanumeric).collect();
    let step = |d: i16| {
        b.windows(2).all(|w| {
            (i16::from(w[1]) - i16::from(w[0]) == d)
                || (w[0] == b'9' && w[1] == b'0' && d == 1)
                || (w[0] == b'0' && w[1] == b'9' && d == -1)
        })
    };
    b.len() > 2 && (step(1) || step(-1))
}

/// Errors from hashing.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hash a password with argon2id (the crate's defaults: 19 MiB, 2 passes, OWASP's minimum).
///
/// # Errors
/// Only if the hasher fails, which it does not for valid parameters.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    os_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches a stored PHC string (constant-time in the argon2 crate).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so a wrong user name takes as long as
/// a wrong password and timing does not tell which accounts exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password, never used").unwrap_or_default())
}

fn os_rng() -> rand::rngs::StdRng {
    rand::rngs::StdRng::from_os_rng()
}

/// A new random token (256 bits, hex) and its SHA-256 (hex), which is what is stored.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    os_rng().fill_bytes(&mut bytes);
    let token = crate::hex(&bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> String {
    crate::hex(&Sha256::digest(token.as_bytes()))
}

/// A readable random password for demo users and resets: five groups of four letters and digits
/// (about 100 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = os_rng();
    let groups: Vec<String> = (0..5)
        .map(|_| {
            (0..4)
                .map(|_| {
                    let i = usize::try_from(rng.next_u32()).unwrap_or(0) % ALPHABET.len();
                    char::from(ALPHABET[i])
                })
                .collect()
        })
        .collect();
    groups.join("-")
}

/// Seconds in a TOTP time step (RFC 6238's default, what authenticator apps use).
pub const TOTP_STEP: u64 = 30;

/// A new random TOTP secret (160 bits, as RFC 4226 recommends).
pub fn new_totp_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; 20];
    os_rng().fill_bytes(&mut bytes);
    bytes
}

/// The six-digit code of `secret` for time step `step` (RFC 4226 HOTP with HMAC-SHA1).
pub fn totp_code(secret: &[u8], step: u64) -> u32 {
    use hmac::{Hmac, Mac as _};
    #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    bin % 1_000_000
}

/// The time step a code matches, allowing one step of clock drift either way.
pub fn verify_totp(secret: &[u8], code: &str, unix_secs: u64) -> Option<u64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let given: u32 = code.parse().ok()?;
    let now = unix_secs / TOTP_STEP;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|step| totp_code(secret, *step) == given)
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            out.push(char::from(ALPHABET[((buffer >> (bits - 5)) & 31) as usize]));
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The `otpauth://` URI an authenticator app scans.
pub fn totp_uri(username: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/Lantern:{username}?secret={}&issuer=Lantern&algorithm=SHA1&digits=6&period={TOTP_STEP}",
        base32(secret)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn policy_refuses_short_common_and_name_based_passwords() {
        assert!(check_password("short", "ann").is_err());
        assert!(check_password("Password123!", "ann").is_err());
        assert!(check_password("P@ssw0rd2024!!", "ann").is_err());
        assert!(check_password("qwertyqwertyqwerty", "ann").is_err());
        assert!(check_password("annalyst-is-my-name", "annalyst").is_err());
        assert!(check_password("aaaaaaaaaaaaaaaa", "ann").is_err());
        assert!(check_password("1234567890123", "ann").is_err());
        assert!(check_password("harbour kettle violet 42", "ann").is_ok());
        assert!(check_password(&generate_password(), "ann").is_ok());
        let long = "x".repeat(60) + &"y".repeat(70);
        assert!(check_password(&long, "ann").is_err());
    }

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password("harbour kettle violet 42").unwrap_or_default();
        let b = hash_password("harbour kettle violet 42").unwrap_or_default();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(verify_password("harbour kettle violet 42", &a));
        assert!(!verify_password("harbour kettle violet 43", &a));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (t1, h1) = new_token();
        let (t2, _) = new_token();
        assert_eq!(t1.len(), 64);
        assert_ne!(t1, t2);
        assert_eq!(token_hash(&t1), h1);
        assert_ne!(t1, h1);
    }

    #[test]
    fn totp_matches_rfc_6238_and_allows_one_step_of_drift() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890": 94287082 at T=59 (8 digits),
        // so 287082 with 6; 07081804 at T=1111111109, so 081804.
        let secret = b"12345678901234567890";
        assert_eq!(totp_code(secret, 59 / TOTP_STEP), 287_082);
        assert_eq!(totp_code(secret, 1_111_111_109 / TOTP_STEP), 81_804);
        assert_eq!(verify_totp(secret, "287082", 59), Some(1));
        assert_eq!(
            verify_totp(secret, "287 082", 59 + 30),
            Some(1),
            "one step late"
        );
        assert_eq!(
            verify_totp(secret, "287082", 59 + 90),
            None,
            "three steps late"
        );
        assert_eq!(verify_totp(secret, "28708", 59), None);
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert!(totp_uri("ann", secret).contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
    }

    #[test]
    fn user_names() {
        assert!(check_username("ann.analyst").is_ok());
        assert!(check_username("A").is_err());
        assert!(check_username("ann analyst").is_err());
    }
}

//! Pseudonymous person keys for self-harm presentations.
//!
//! A source turns an NHS number into a person key, HMAC-SHA256 of the ten digits under the
//! deployment's secret key, so repeat presentations can be counted without Lantern ever storing
//! or logging the number. The raw identifier lives only in the function arguments here.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A deployment's pseudonymisation secret: one key, or after rotations a chain of keys applied
/// in turn (`HMAC(k2, HMAC(k1, nhs))`), so re-keying needs no NHS numbers and the newest key
/// alone decides the stored values. Its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct PseudonymKey(Vec<Vec<u8>>);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(<hidden>)")
    }
}

/// Why a key or NHS number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PseudonymError {
    /// The key is not hexadecimal or shorter than 32 bytes.
    #[error("the pseudonymisation key must be at least 64 hexadecimal characters (32 bytes)")]
    WeakKey,
    /// The NHS number is not ten digits.
    #[error("is not a 10-digit NHS number")]
    NotTenDigits,
    /// The check digit does not match (modulus 11).
    #[error("fails the NHS number check digit (modulus 11)")]
    CheckDigit,
}

impl PseudonymKey {
    /// A key from its hexadecimal form (at least 32 bytes); a chain has one key per line,
    /// oldest first.
    ///
    /// # Errors
    /// [`PseudonymError::WeakKey`] when a line is not hexadecimal or too short.
    pub fn from_hex(text: &str) -> Result<Self, PseudonymError> {
        let keys = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|hex| {
                if hex.len() < 64 || !hex.len().is_multiple_of(2) {
                    return Err(PseudonymError::WeakKey);
                }
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|_| PseudonymError::WeakKey)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(PseudonymError::WeakKey);
        }
        Ok(Self(keys))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        Self(vec![random_key()])
    }

    /// This key with a fresh key added to the end of its chain.
    pub fn rotated(&self) -> Self {
        let mut keys = self.0.clone();
        keys.push(random_key());
        Self(keys)
    }

    /// The key (one line per key of the chain) in hexadecimal, for its file.
    pub fn to_hex(&self) -> String {
        self.0
            .iter()
            .map(|k| crate::hex(k))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The person key of an NHS number: validate, normalise to ten digits, HMAC-SHA256 under
    /// each key of the chain in turn, hex.
    ///
    /// # Errors
    /// When `nhs_number` is not a valid NHS number.
    pub fn person_key(&self, nhs_number: &str) -> Result<String, PseudonymError> {
        let digits = normalise_nhs_number(nhs_number)?;
        Ok(self
            .0
            .iter()
            .fold(digits, |value, key| hmac_hex(key, &value)))
    }

    /// What a person key made under the chain without its newest key becomes under this one:
    /// the re-keying step of a rotation.
    pub fn rekey(&self, old_person_key: &str) -> String {
        self.0
            .last()
            .map_or_else(String::new, |k| hmac_hex(k, old_person_key))
    }
}

fn random_key() -> Vec<u8> {
    use rand::{RngCore as _, SeedableRng as _};
    let mut bytes = vec![0u8; 32];
    rand::rngs::StdRng::from_os_rng().fill_bytes(&mut bytes);
    bytes
}

fn hmac_hex(key: &[u8], value: &str) -> String {
    #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(value.as_bytes());
    crate::hex(&mac.finalize().into_bytes())
}

/// The setting that holds the key's fingerprint (never the key): a database pseudonymised under
/// one key refuses to be used with another, which would silently split every person in two.
pub const FINGERPRINT_SETTING: &str = "pseudonym_key_fingerprint";

/// Where the key file is looked for when `LANTERN_PSEUDONYM_KEY_FILE` is not set.
pub const DEFAULT_KEY_FILE: &str = "data/pseudonym.key";

impl PseudonymKey {
    /// The first 16 hex characters of SHA-256 over the key: safe to store and to show.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        crate::hex(&Sha256::digest(self.to_hex().as_bytes()))[..16].to_owned()
    }
}

/// Read the key file at `path`, or create it with a fresh key (readable by its owner only)
/// when it does not exist.
///
/// # Errors
/// A file that cannot be read or written, or that holds no valid key.
pub fn load_or_create_key_file(path: &std::path::Path) -> Result<PseudonymKey, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => PseudonymKey::from_hex(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = PseudonymKey::generate();
            write_key_file(path, &key)?;
            Ok(key)
        }
        Err(e) => Err(format!("cannot read the key file {}: {e}", path.display())),
    }
}

/// Write a new key file, readable by its owner only; an existing file is never overwritten.
///
/// # Errors
/// A file that exists or cannot be written.
pub fn write_key_file(path: &std::path::Path, key: &PseudonymKey) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create the key file {}: {e}", path.display()))?;
    std::io::Write::write_all(&mut file, format!("{}\n", key.to_hex()).as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Tie a database to `key`: the first use stores its fingerprint; later uses must match it.
///
/// # Errors
/// A different key from the one the database's person keys were made with, or a store failure.
pub async fn check_key(store: &dyn crate::Store, key: &PseudonymKey) -> crate::StoreResult<()> {
    let stored = store
        .setting_or_insert(FINGERPRINT_SETTING, &key.fingerprint())
        .await?;
    if stored == key.fingerprint() {
        Ok(())
    } else {
        Err(crate::StoreError::Conflict(format!(
            "this database's person keys were made with another pseudonymisation key (fingerprint {stored}, \
             this one {}); use the deployment's key file (see SECURITY.md, key rotation)",
            key.fingerprint()
        )))
    }
}

/// Check an NHS number and return its ten digits. Spaces and hyphens are allowed
/// (`943 476 5919`).
///
/// The check digit is modulus 11: weights 10 down to 2 on the first nine digits; 11 minus the
/// remainder is the check digit, 11 becomes 0, and 10 means the number is invalid
/// (NHS Data Dictionary, "NHS Number").
///
/// # Errors
/// When there are not ten digits or the check digit is wrong.
pub fn normalise_nhs_number(text: &str) -> Result<String, PseudonymError> {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PseudonymError::NotTenDigits);
    }
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = d[..9].iter().zip((2..=10).rev()).map(|(x, w)| x * w).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return Err(PseudonymError::CheckDigit),
        c => c,
    };
    if check == d[9] {
        Ok(digits)
    } else {
        Err(PseudonymError::CheckDigit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_example_nhs_numbers_pass_and_altered_ones_fail() {
        // 943 476 5919 is the NHS Digital documentation's example number.
        assert_eq!(normalise_nhs_number("943 476 5919").unwrap(), "9434765919");
        assert_eq!(
            normalise_nhs_number("9434765910"),
            Err(PseudonymError::CheckDigit)
        );
        assert_eq!(
            normalise_nhs_number("94347659"),
            Err(PseudonymError::NotTenDigits)
        );
    }

    #[test]
    fn a_rotated_chain_rekeys_old_person_keys_to_what_it_makes_of_the_number() {
        let old = PseudonymKey::generate();
        let new = old.rotated();
        let before = old.person_key("943 476 5919").unwrap_or_default();
        let after = new.person_key("9434765919").unwrap_or_default();
        assert_ne!(before, after);
        assert_eq!(new.rekey(&before), after);
        assert_eq!(PseudonymKey::from_hex(&new.to_hex()), Ok(new.clone()));
        assert_ne!(old.fingerprint(), new.fingerprint());
        assert!(PseudonymKey::from_hex("").is_err());
    }

    #[test]
    fn person_keys_are_stable_hex_and_depend_on_the_key() {
        let a = PseudonymKey::from_hex(&"ab".repeat(32)).unwrap();
        let b = PseudonymKey::from_hex(&"cd".repeat(32)).unwrap();
        let k = a.person_key("9434765919").unwrap();
        assert_eq!(k.len(), 64);
        assert_eq!(k, a.person_key("943-476-5919").unwrap());
        assert_ne!(k, b.person_key("9434765919").unwrap());
    }

    #[test]
    fn the_key_matches_rfc_4231_style_hmac() {
        // HMAC-SHA256 with key 0x0b*20 over "Hi There" (RFC 4231 test case 1), through the
        // same code path, proves the primitive is wired correctly.
        let mut mac = Hmac::<Sha256>::new_from_slice(&[0x0b; 20]).unwrap();
        mac.update(b"Hi There");
        assert_eq!(
            crate::hex(&mac.finalize().into_bytes()),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = PseudonymKey::from_hex(&"ab".repeat(32)).unwrap();
        assert!(!format!("{k:?}").contains("ab"));
    }
}

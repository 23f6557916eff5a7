//! Pseudonymous person keys for self-harm presentations.
//!
//! A source turns an NHS number into a person key, HMAC-SHA256 of the ten digits under the
//! deployment's secret key, so repeat presentations can be counted without Lantern ever storing
//! or logging the number. The raw identifier lives only in the function arguments here.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A deployment's pseudonymisation secret. Its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct PseudonymKey(Vec<u8>);

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
    /// A key from its hexadecimal form (at least 32 bytes).
    ///
    /// # Errors
    /// [`PseudonymError::WeakKey`] when `hex` is not hexadecimal or too short.
    pub fn from_hex(hex: &str) -> Result<Self, PseudonymError> {
        let hex = hex.trim();
        if hex.len() < 64 || !hex.len().is_multiple_of(2) {
            return Err(PseudonymError::WeakKey);
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| PseudonymError::WeakKey)?;
        Ok(Self(bytes))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        use rand::{RngCore as _, SeedableRng as _};
        let mut bytes = vec![0u8; 32];
        rand::rngs::StdRng::from_os_rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The key in hexadecimal, for storing in the deployment's settings.
    pub fn to_hex(&self) -> String {
        crate::hex(&self.0)
    }

    /// The person key of an NHS number: validate, normalise to ten digits, HMAC-SHA256, hex.
    ///
    /// # Errors
    /// When `nhs_number` is not a valid NHS number.
    pub fn person_key(&self, nhs_number: &str) -> Result<String, PseudonymError> {
        let digits = normalise_nhs_number(nhs_number)?;
        #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(digits.as_bytes());
        Ok(crate::hex(&mac.finalize().into_bytes()))
    }
}

/// The setting that holds the deployment's key.
pub const KEY_SETTING: &str = "pseudonym_key";

/// The deployment's key, kept in the store's settings and made on first use. Two processes
/// racing to make it agree, because the store keeps whichever was written first.
///
/// # Errors
/// A store failure, or a stored key that is not valid hex.
pub async fn deployment_key(store: &dyn crate::Store) -> crate::StoreResult<PseudonymKey> {
    let hex = store
        .setting_or_insert(KEY_SETTING, &PseudonymKey::generate().to_hex())
        .await?;
    PseudonymKey::from_hex(&hex).map_err(|e| crate::StoreError::Conflict(e.to_string()))
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

//! The audit log: who looked at or changed what, when and from where. Entries are append-only
//! (the database refuses updates and deletes) and hash-chained: each hash covers the entry's
//! fields and the previous entry's hash, and the newest hash is kept as the log's head, so
//! [`verify`] finds an altered, removed or re-ordered entry, and a cut-off tail.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The setting that holds the newest entry's hash.
pub const HEAD_SETTING: &str = "audit_head";

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAuditEntry {
    /// Who: a user name, `anonymous` (until sign-in exists), or `cli:USER`.
    pub actor: String,
    /// What: `view`, `list`, `create`, `update`, `status`, `import`, `export`, ...
    pub action: String,
    /// The dataset of a person-level record, if any.
    pub dataset: Option<String>,
    /// The record's id, if one record.
    pub record_id: Option<i64>,
    /// More detail (filters, file names, counts). Never an identifier such as an NHS number.
    pub detail: String,
    /// From where: the client address, or `cli`.
    pub origin: String,
}

/// A stored entry: what was appended, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the log.
    pub id: i64,
    /// When (to the microsecond, which both databases keep exactly).
    pub at: DateTime<Utc>,
    /// Who, what and from where.
    #[serde(flatten)]
    pub entry: NewAuditEntry,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditEntry {
    /// Column names of [`AuditEntry::csv_row`].
    pub const CSV_HEADER: [&'static str; 10] = [
        "id",
        "at",
        "actor",
        "action",
        "dataset",
        "record_id",
        "detail",
        "origin",
        "prev_hash",
        "hash",
    ];

    /// The entry as one CSV row, in [`AuditEntry::CSV_HEADER`] order.
    pub fn csv_row(&self) -> [String; 10] {
        let e = &self.entry;
        [
            self.id.to_string(),
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            e.actor.clone(),
            e.action.clone(),
            e.dataset.clone().unwrap_or_default(),
            e.record_id.map(|r| r.to_string()).unwrap_or_default(),
            e.detail.clone(),
            e.origin.clone(),
            self.prev_hash.clone(),
            self.hash.clone(),
        ]
    }
}

/// Now, truncated to microseconds so the stored time hashes the same after a round trip.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// The hash of an entry: SHA-256 over the previous hash and every field, separated by a byte
/// that cannot occur in them (0x1f), in hex.
pub fn entry_hash(prev_hash: &str, at: DateTime<Utc>, e: &NewAuditEntry) -> String {
    let mut h = Sha256::new();
    let record = e.record_id.map(|i| i.to_string()).unwrap_or_default();
    let at = at.to_rfc3339_opts(SecondsFormat::Micros, true);
    for part in [
        prev_hash,
        &at,
        &e.actor,
        &e.action,
        e.dataset.as_deref().unwrap_or(""),
        &record,
        &e.detail,
        &e.origin,
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    crate::hex(&h.finalize())
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {id}: {reason}")]
pub struct AuditBreak {
    /// The first entry that does not fit (0 for the head).
    pub id: i64,
    /// What is wrong.
    pub reason: String,
}

/// Which page of the audit log to read (see [`crate::AuditStore::audit_page`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPage {
    /// Only entries with a larger id.
    pub after: Option<i64>,
    /// Only entries with a smaller id.
    pub before: Option<i64>,
    /// Newest first (for reading); oldest first (for checking the chain).
    pub newest_first: bool,
    /// At most this many.
    pub limit: u32,
}

/// Entries read at a time when the log is checked or exported.
pub const PAGE: u32 = 5_000;

/// Checks a chain one stretch at a time, oldest first, so a log of any length is checked in
/// bounded memory.
#[derive(Debug, Clone)]
pub struct Verifier {
    prev: String,
    checked: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            prev: GENESIS.to_owned(),
            checked: 0,
        }
    }
}

impl Verifier {
    /// Check the next entries, which follow the ones checked before.
    ///
    /// # Errors
    /// The first break found.
    pub fn feed(&mut self, entries: &[AuditEntry]) -> Result<(), AuditBreak> {
        for e in entries {
            if e.prev_hash != self.prev {
                return Err(AuditBreak {
                    id: e.id,
                    reason:
                        "does not follow the entry before it (an entry was removed or reordered)"
                            .to_owned(),
                });
            }
            if entry_hash(&e.prev_hash, e.at, &e.entry) != e.hash {
                return Err(AuditBreak {
                    id: e.id,
                    reason: "its contents were altered".to_owned(),
                });
            }
            self.prev.clone_from(&e.hash);
            self.checked += 1;
        }
        Ok(())
    }

    /// After the last entry: the head must name it. Returns how many entries were checked.
    ///
    /// # Errors
    /// The head does not match.
    pub fn finish(self, head: Option<&str>) -> Result<u64, AuditBreak> {
        let last = (self.checked > 0).then_some(self.prev.as_str());
        if head != last {
            return Err(AuditBreak {
                id: 0,
                reason: "the newest entries are missing (the head does not match)".to_owned(),
            });
        }
        Ok(self.checked)
    }
}

/// Check the chain and the head: every entry's hash, every link, and that the newest entry is
/// the one the head names.
///
/// # Errors
/// The first break found.
pub fn verify(entries: &[AuditEntry], head: Option<&str>) -> Result<(), AuditBreak> {
    let mut v = Verifier::default();
    v.feed(entries)?;
    v.finish(head).map(|_| ())
}

/// The stored log a page at a time, oldest first: `while let Some(page) = pages.next().await?`.
pub struct AuditPages<'a> {
    store: &'a dyn crate::Store,
    after: Option<i64>,
    size: u32,
    done: bool,
}

impl<'a> AuditPages<'a> {
    /// Pages of `size` entries (at least 1).
    pub fn new(store: &'a dyn crate::Store, size: u32) -> Self {
        Self {
            store,
            after: None,
            size: size.max(1),
            done: false,
        }
    }

    /// The next page, or `None` after the last.
    ///
    /// # Errors
    /// The store failed.
    pub async fn next(&mut self) -> crate::StoreResult<Option<Vec<AuditEntry>>> {
        if self.done {
            return Ok(None);
        }
        let page = self
            .store
            .audit_page(&AuditPage {
                after: self.after,
                before: None,
                newest_first: false,
                limit: self.size,
            })
            .await?;
        self.done = page.len() < self.size as usize;
        self.after = page.last().map(|e| e.id).or(self.after);
        Ok((!page.is_empty()).then_some(page))
    }
}

/// Why a stored log could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The chain is broken.
    #[error(transparent)]
    Broken(#[from] AuditBreak),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

/// Check a stored log page by page ([`PAGE`] entries at a time), calling `progress` with the
/// entries checked so far. Returns how many entries were checked.
///
/// # Errors
/// The first break, or a store failure.
pub async fn verify_store(
    store: &dyn crate::Store,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<u64, VerifyError> {
    verify_store_in_pages(store, PAGE, progress).await
}

/// [`verify_store`], reading `page_size` entries at a time.
///
/// # Errors
/// As [`verify_store`].
pub async fn verify_store_in_pages(
    store: &dyn crate::Store,
    page_size: u32,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<u64, VerifyError> {
    // The head is read first: entries appended while the check runs are beyond it, and the
    // check stops at the entry it names.
    let head = store.setting(HEAD_SETTING).await?;
    let mut v = Verifier::default();
    let mut pages = AuditPages::new(store, page_size);
    while let Some(page) = pages.next().await? {
        // Stop at the head: later entries were appended after the check began.
        let upto = page
            .iter()
            .position(|e| Some(e.hash.as_str()) == head.as_deref())
            .map_or(page.len(), |i| i + 1);
        v.feed(&page[..upto])?;
        progress(v.checked);
        if upto < page.len() {
            break;
        }
    }
    Ok(v.finish(head.as_deref())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|id| {
                let e = NewAuditEntry {
                    actor: "a".into(),
                    action: "view".into(),
                    dataset: Some("suicides".into()),
                    record_id: Some(id),
                    detail: String::new(),
                    origin: "cli".into(),
                };
                let at = now();
                let hash = entry_hash(&prev, at, &e);
                let entry = AuditEntry {
                    id,
                    at,
                    entry: e,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                entry
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(4);
        assert_eq!(verify(&c, Some(&c[3].hash)), Ok(()));
        assert_eq!(verify(&[], None), Ok(()));
    }

    #[test]
    fn a_chain_checked_in_stretches_finds_the_same_breaks() {
        let c = chain(6);
        let head = c[5].hash.clone();
        let in_stretches = |entries: &[AuditEntry], size: usize| {
            let mut v = Verifier::default();
            for part in entries.chunks(size) {
                v.feed(part)?;
            }
            v.finish(Some(&head)).map(|_| ())
        };
        for size in [1, 2, 4, 6] {
            assert_eq!(in_stretches(&c, size), Ok(()));
            let mut altered = c.clone();
            altered[3].entry.detail = "x".into();
            assert_eq!(in_stretches(&altered, size).unwrap_err().id, 4);
            let mut removed = c.clone();
            removed.remove(2);
            assert_eq!(in_stretches(&removed, size).unwrap_err().id, 4);
            assert_eq!(in_stretches(&c[..5], size).unwrap_err().id, 0);
        }
    }

    #[test]
    fn alterations_removals_and_a_cut_tail_are_found() {
        let c = chain(4);
        let head = c[3].hash.clone();
        let mut altered = c.clone();
        altered[1].entry.detail = "nothing to see".into();
        assert_eq!(verify(&altered, Some(&head)).unwrap_err().id, 2);
        let mut removed = c.clone();
        removed.remove(2);
        assert_eq!(verify(&removed, Some(&head)).unwrap_err().id, 4);
        assert_eq!(verify(&c[..3], Some(&head)).unwrap_err().id, 0);
        let mut swapped = c;
        swapped.swap(1, 2);
        assert!(verify(&swapped, Some(&head)).is_err());
    }
}

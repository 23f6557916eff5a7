//! Values computed from the register, kept until its version changes (the version is bumped in
//! the same transaction as every change to records, areas, populations and benchmarks, so a
//! value is never stale). The same question asked by fifty users costs one computation:
//! identical misses wait for the first one's computation; different questions never wait for
//! each other (the lock is held only to find the slot).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::AppState;
use crate::error::{AppError, Result};

tokio::task_local! {
    /// The register version a page reads at, so that a page reading many cached values asks
    /// the database for the version once (see [`with_version`]).
    static VERSION: String;
}

/// Run `f` with the register version read once: every cache lookup inside it uses that
/// version. A page is then consistent with itself, and makes one round trip for the version
/// instead of one per table.
///
/// # Errors
/// A store failure reading the version.
pub(crate) async fn with_version<F: Future>(state: &AppState, f: F) -> Result<F::Output> {
    let version = state.store.data_version().await?;
    Ok(VERSION.scope(version, f).await)
}

/// The version in scope, or the store's.
async fn version(state: &AppState) -> Result<String> {
    match VERSION.try_with(Clone::clone) {
        Ok(v) => Ok(v),
        Err(_) => Ok(state.store.data_version().await?),
    }
}

/// The most entries kept; past it, entries of older versions go first, then everything.
const MAX_ENTRIES: usize = 1_000;

type Slot<T> = Arc<tokio::sync::OnceCell<Arc<T>>>;

/// A cache of `T` by key, each entry with the register version it was made at.
pub(crate) struct VersionedCache<T>(Mutex<HashMap<String, (String, Slot<T>)>>);

impl<T> Default for VersionedCache<T> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<T> VersionedCache<T> {
    /// The value for `key` at the store's current version, made by `make` on a miss.
    ///
    /// # Errors
    /// A store failure, or `make`'s error (which is not kept: the next request tries again).
    pub(crate) async fn get<F, Fut>(&self, state: &AppState, key: String, make: F) -> Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let version = version(state).await?;
        let slot = {
            let mut cache = self
                .0
                .lock()
                .map_err(|_| AppError::Unexpected(anyhow::anyhow!("a cache lock is poisoned")))?;
            if cache.len() > MAX_ENTRIES {
                cache.retain(|_, (v, _)| *v == version);
            }
            if cache.len() > MAX_ENTRIES {
                cache.clear();
            }
            let entry = cache
                .entry(key)
                .or_insert_with(|| (version.clone(), Slot::default()));
            if entry.0 != version {
                *entry = (version, Slot::default());
            }
            Arc::clone(&entry.1)
        };
        let value = slot
            .get_or_try_init(|| async { make().await.map(Arc::new) })
            .await?;
        Ok(Arc::clone(value))
    }
}

//! The background job that keeps signals current: whenever the register has changed since the
//! signals were last computed (an import, an edit, a deletion), it reads the register, runs the
//! detectors on one thread (so pages stay quick) with the partnership's saved settings
//! (`lantern signals configure`), stores what they find and audits the run. Saving new settings
//! marks the signals out of date, so the next check recomputes them.

use std::time::{Duration, Instant};

use lantern_core::SharedStore;
use lantern_core::audit::NewAuditEntry;
use lantern_core::signals::{self, Refreshed, SNAPSHOT_SETTING};

/// Check every `every` and recompute when the register has changed.
pub fn spawn_signals_job(store: SharedStore, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match refresh_if_stale(&store).await {
                Ok(Some(done)) => tracing::info!(
                    found = done.found,
                    new = done.new,
                    ms = done.elapsed_ms,
                    "signals recomputed"
                ),
                Ok(None) => {}
                Err(e) => tracing::warn!("signals not recomputed: {e:#}"),
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// Recompute the signals if the register changed since they were computed; `None` when they
/// are current.
///
/// # Errors
/// The store failed, or the detectors' thread did.
pub async fn refresh_if_stale(store: &SharedStore) -> anyhow::Result<Option<Refreshed>> {
    let version = store.data_version().await?;
    if store.setting(SNAPSHOT_SETTING).await?.as_deref() == Some(version.as_str()) {
        return Ok(None);
    }
    let started = Instant::now();
    let inputs = signals::load(store.as_ref()).await?;
    let options = signals::saved_options(store.as_ref()).await?;
    let (inputs, found) = tokio::task::spawn_blocking(move || {
        let found = match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
            Ok(pool) => pool.install(|| signals::compute(&inputs, &options)),
            Err(_) => signals::compute(&inputs, &options),
        };
        (inputs, found)
    })
    .await?;
    let done = signals::save(store.as_ref(), &found, inputs.snapshot(), started).await?;
    store
        .append_audit(&NewAuditEntry {
            actor: "lantern".to_owned(),
            action: "signals_run".to_owned(),
            dataset: None,
            record_id: None,
            detail: format!(
                "{} found, {} new, register version {}, {} ms",
                done.found, done.new, done.snapshot, done.elapsed_ms
            ),
            origin: "job".to_owned(),
        })
        .await?;
    Ok(Some(done))
}

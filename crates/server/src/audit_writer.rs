//! Group commit for the audit log. Every request still waits until its entry is written (an
//! entry that cannot be written fails the request, so nothing is seen unaudited), but entries
//! that arrive together are chained and committed in one transaction: under load that is one
//! lock and one commit for dozens of requests instead of one each.

use std::sync::{Arc, OnceLock};

use lantern_core::audit::NewAuditEntry;
use lantern_core::{SharedStore, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::error::AppError;

/// Entries waiting beyond this make new requests wait for room (back-pressure).
const QUEUE: usize = 4096;
/// The largest group written in one transaction.
const GROUP: usize = 256;

type Reply = oneshot::Sender<Result<(), Arc<StoreError>>>;

/// The writer; started on first use, inside the server's runtime.
#[derive(Clone, Default)]
pub(crate) struct AuditWriter {
    queue: Arc<OnceLock<mpsc::Sender<(NewAuditEntry, Reply)>>>,
}

impl AuditWriter {
    /// Append one entry and wait until it is committed.
    pub(crate) async fn append(
        &self,
        store: &SharedStore,
        entry: NewAuditEntry,
    ) -> Result<(), AppError> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(store.clone(), rx));
            tx
        });
        let (reply, done) = oneshot::channel();
        queue
            .send((entry, reply))
            .await
            .map_err(|_| AppError::Unexpected(anyhow::anyhow!("the audit writer has stopped")))?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(match e.as_ref() {
                StoreError::Unavailable(m) => AppError::Unavailable(m.clone()),
                other => AppError::Unexpected(anyhow::anyhow!("audit write failed: {other}")),
            }),
            Err(_) => Err(AppError::Unexpected(anyhow::anyhow!(
                "the audit writer has stopped"
            ))),
        }
    }
}

async fn run(store: SharedStore, mut rx: mpsc::Receiver<(NewAuditEntry, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP {
            match rx.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let entries: Vec<NewAuditEntry> = group.iter().map(|(e, _)| e.clone()).collect();
        let result = store
            .append_audits(&entries)
            .await
            .map(|_| ())
            .map_err(Arc::new);
        for (_, reply) in group {
            let _ = reply.send(result.clone());
        }
    }
}

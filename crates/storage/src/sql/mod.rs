//! The `Store` implementation, written once and compiled twice: `sqlite.rs` and `postgres.rs`
//! each include this folder as a module (`#[path = "sql/mod.rs"] mod sql;`) after naming their
//! types (`This`, the store; `Db`, `Conn` and `Row`, sqlx's database, connection and row types)
//! and their [`Dialect`](crate::common::Dialect) (`DIALECT`).
//!
//! Why this mechanism: the two backends run the same SQL but for a few dialect fragments, so the
//! Rust must not drift between them. A macro would keep them together but hides the code from
//! rustfmt and the IDE; a generic `SqlStore<DB>` over sqlx's `Database` trait would have to
//! repeat a dozen `Encode`/`Decode`/`Executor` bounds on every function (bounds on other types
//! are not implied by a trait's where clause). Including the same files twice keeps each
//! capability a plain Rust file that rustfmt formats and a reader can open, checked by the
//! compiler against each backend's concrete types.
//!
//! One file per capability: [`areas`], [`register`] (with [`register_rows`]), [`audit`],
//! [`settings`], [`users`], [`plans`], [`signals`], [`benchmarks`], [`services`], [`workforce`], [`media`] and [`reports`].

use lantern_core::{Store, StoreResult};

use crate::common::{Cell, map_err};

pub(super) use super::{Conn, DIALECT, Db, Row, This};

mod areas;
mod audit;
mod benchmarks;
mod duplicates;
mod media;
mod plans;
mod profiles;
mod register;
mod register_rows;
mod reports;
mod services;
mod settings;
mod signals;
mod users;
mod workforce;

/// Bind a cell, after a separator (`separated`) or straight after the SQL before it.
pub(super) fn push_cell(
    b: &mut sqlx::query_builder::Separated<'_, '_, Db, &'static str>,
    cell: Cell,
    separated: bool,
) {
    macro_rules! bind {
        ($v:expr) => {
            if separated {
                b.push_bind($v);
            } else {
                b.push_bind_unseparated($v);
            }
        };
    }
    match cell {
        Cell::Text(v) => bind!(v),
        Cell::Int(v) => bind!(v),
        Cell::Float(v) => bind!(v),
        Cell::Date(v) => bind!(v),
        Cell::Bool(v) => bind!(v),
    }
}

/// Every row `sql` returns, decoded: the reading of a reference table (the support directory,
/// organisations, training, media reports), whole or in an upsert's transaction.
pub(super) async fn decoded<'e, T>(
    exec: impl sqlx::Executor<'e, Database = Db>,
    sql: &'e str,
    decode: fn(&Row) -> Result<T, sqlx::Error>,
) -> StoreResult<Vec<T>> {
    let rows = sqlx::query(sql).fetch_all(exec).await.map_err(map_err)?;
    rows.iter()
        .map(decode)
        .collect::<Result<_, _>>()
        .map_err(map_err)
}

/// End an upsert of reference data: when it changed anything, bump the data version (caches
/// of what rests on it are stale), append its audit entry (not for a dry run), then commit or
/// roll back.
pub(super) async fn finish_upsert(
    mut tx: sqlx::Transaction<'_, Db>,
    changed: bool,
    summary: lantern_core::ImportSummary,
    audit: Option<lantern_core::store::SummaryAudit<'_>>,
    dry_run: bool,
) -> StoreResult<lantern_core::ImportSummary> {
    if changed {
        sqlx::query(crate::common::BUMP_VERSION)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
    }
    if let (Some(audit), false) = (audit, dry_run) {
        This::append_audits_in(&mut tx, &[audit(&summary)]).await?;
    }
    finish(tx, dry_run).await?;
    Ok(summary)
}

/// Commit, or roll back a dry run.
pub(super) async fn finish(tx: sqlx::Transaction<'_, Db>, dry_run: bool) -> StoreResult<()> {
    if dry_run {
        tx.rollback().await
    } else {
        tx.commit().await
    }
    .map_err(map_err)
}

impl Store for This {
    fn backend(&self) -> &'static str {
        DIALECT.name
    }
}

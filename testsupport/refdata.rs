//! Where the shared reference data is: `../shared/refdata` beside the repository, or the folder
//! `LANTERN_REFDATA` names. Every crate's integration tests include this one file
//! (`#[path = "../../../../testsupport/refdata.rs"] mod refdata;`), so the rule lives once.

use std::path::PathBuf;

/// The reference data folder.
pub(crate) fn refdata() -> PathBuf {
    std::env::var_os("LANTERN_REFDATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/refdata"),
        PathBuf::from,
    )
}

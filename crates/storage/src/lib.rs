//! Lantern's storage: [`SqliteStore`] (the embedded default) and [`PostgresStore`], both always
//! compiled in and chosen by URL in [`open`]. Each has its own migrations with the same
//! versions; both implement `lantern_core::Store` from one body of code (`sql/`, compiled once per
//! backend), because the SQL is the same but for a few dialect fragments.

pub mod backup;
mod common;
mod migrations;
mod postgres;
mod sqlite;

use lantern_core::{SharedStore, StoreError, StoreResult};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// The default database: an SQLite file under `data/`, created when missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/lantern.db?mode=rwc";

/// A database URL whose `Debug` and `Display` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wrap a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL itself, password included, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The scheme before `:`.
    pub fn scheme(&self) -> &str {
        self.0.split_once(':').map_or("", |(s, _)| s)
    }

    fn redacted(&self) -> String {
        // scheme://user:password@host -> scheme://user:***@host
        if let Some((scheme, rest)) = self.0.split_once("://")
            && let Some((auth, host)) = rest.split_once('@')
            && let Some((user, _)) = auth.split_once(':')
        {
            return format!("{scheme}://{user}:***@{host}");
        }
        self.0.clone()
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Default for DatabaseUrl {
    fn default() -> Self {
        Self::new(DEFAULT_DATABASE_URL)
    }
}

/// Open the store a URL names and bring its schema up to date.
///
/// # Errors
/// An unknown scheme, or a database that cannot be reached or migrated.
pub async fn open(url: &DatabaseUrl) -> StoreResult<SharedStore> {
    match url.scheme() {
        "sqlite" => Ok(std::sync::Arc::new(SqliteStore::open(url).await?)),
        "postgres" | "postgresql" => Ok(std::sync::Arc::new(PostgresStore::open(url).await?)),
        other => Err(StoreError::Conflict(format!(
            "unknown database scheme '{other}:' (use sqlite://PATH or postgres://...)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_hide_their_password() {
        let url = DatabaseUrl::new("postgres://lantern:s3cret@db.example:5432/lantern");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(!url.to_string().contains("s3cret"));
        assert!(format!("{url:?}").contains("lantern:***@db.example"));
        assert_eq!(url.scheme(), "postgres");
    }

    #[test]
    fn both_dialects_have_the_same_migration_versions() {
        let list = |dir: &str| {
            let mut v: Vec<String> =
                std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
            v.sort();
            v
        };
        assert_eq!(list("sqlite"), list("postgres"));
        assert!(!list("sqlite").is_empty());
    }
}

//! Each backend's migrations, embedded in the binary at compile time.
//!
//! `sqlx::migrate!` would do the same, but it is a procedural macro that links all of sqlx
//! (both drivers and tokio) a second time, for the compiler itself: a minute of every cold
//! build. This reads the same files with `include_str!` and gives sqlx the same migrations
//! (version, description and checksum are worked out exactly as its directory reader does), so
//! databases migrated by either are interchangeable. A test checks that every file in the
//! folders is listed here.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// One backend's migrations: `(file name, SQL)` in version order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Embedded(&'static [(&'static str, &'static str)]);

/// `(file name, SQL)` of a file under `migrations/`.
macro_rules! migration {
    ($dir:literal, $file:literal) => {
        (
            $file,
            include_str!(concat!("../migrations/", $dir, "/", $file)),
        )
    };
}

/// The SQLite migrations.
pub(crate) const SQLITE: Embedded = Embedded(&[
    migration!("sqlite", "0001_create_register.sql"),
    migration!("sqlite", "0002_create_audit_log.sql"),
    migration!("sqlite", "0003_add_record_versions.sql"),
    migration!("sqlite", "0004_create_users_and_sessions.sql"),
    migration!("sqlite", "0005_add_totp.sql"),
    migration!("sqlite", "0006_create_plans.sql"),
    migration!("sqlite", "0007_create_signals.sql"),
    migration!("sqlite", "0008_create_benchmarks.sql"),
    migration!("sqlite", "0009_create_report_schedules.sql"),
    migration!("sqlite", "0010_create_postcodes_profiles_sources.sql"),
    migration!("sqlite", "0011_add_update_details.sql"),
    migration!("sqlite", "0012_create_services.sql"),
    migration!("sqlite", "0013_create_workforce.sql"),
    migration!("sqlite", "0014_create_media_reports.sql"),
]);

/// The PostgreSQL migrations.
pub(crate) const POSTGRES: Embedded = Embedded(&[
    migration!("postgres", "0001_create_register.sql"),
    migration!("postgres", "0002_create_audit_log.sql"),
    migration!("postgres", "0003_add_record_versions.sql"),
    migration!("postgres", "0004_create_users_and_sessions.sql"),
    migration!("postgres", "0005_add_totp.sql"),
    migration!("postgres", "0006_create_plans.sql"),
    migration!("postgres", "0007_create_signals.sql"),
    migration!("postgres", "0008_create_benchmarks.sql"),
    migration!("postgres", "0009_create_report_schedules.sql"),
    migration!("postgres", "0010_create_postcodes_profiles_sources.sql"),
    migration!("postgres", "0011_add_update_details.sql"),
    migration!("postgres", "0012_create_services.sql"),
    migration!("postgres", "0013_create_workforce.sql"),
    migration!("postgres", "0014_create_media_reports.sql"),
]);

impl Embedded {
    /// A migrator for these migrations.
    pub(crate) async fn migrator(self) -> Result<Migrator, sqlx::migrate::MigrateError> {
        Migrator::new(self).await
    }

    /// The migrations as sqlx reads them from a folder: the version before the first `_`, the
    /// rest of the name without `.sql` and with spaces for `_` as the description, and no
    /// transaction when the SQL starts with `-- no-transaction`.
    fn migrations(self) -> Result<Vec<Migration>, String> {
        let mut all = self
            .0
            .iter()
            .map(|&(file, sql)| {
                let (version, rest) = file
                    .split_once('_')
                    .ok_or_else(|| format!("{file}: no version prefix"))?;
                let version = version
                    .parse()
                    .map_err(|_| format!("{file}: the version is not a number"))?;
                let kind = MigrationType::from_filename(rest);
                let description = rest.trim_end_matches(kind.suffix()).replace('_', " ");
                let no_tx = sql.starts_with("-- no-transaction");
                Ok(Migration::new(
                    version,
                    Cow::Owned(description),
                    kind,
                    Cow::Borrowed(sql),
                    no_tx,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        all.sort_by_key(|m| m.version);
        Ok(all)
    }
}

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send + 's>>
    {
        Box::pin(std::future::ready(self.migrations().map_err(Into::into)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.sql` file in a backend's folder is embedded, and sqlx's own reader of the folder
    /// finds the same versions, descriptions and checksums.
    #[tokio::test]
    async fn every_migration_file_is_embedded_as_sqlx_reads_it() {
        for (dir, embedded) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let from_folder = Migrator::new(path.as_path()).await.unwrap();
            let ours = embedded.migrator().await.unwrap();
            let key = |m: &Migration| {
                (
                    m.version,
                    m.description.to_string(),
                    m.checksum.to_vec(),
                    m.no_tx,
                )
            };
            assert_eq!(
                ours.iter().map(key).collect::<Vec<_>>(),
                from_folder.iter().map(key).collect::<Vec<_>>(),
                "{dir}: the embedded list differs from the folder"
            );
        }
    }
}

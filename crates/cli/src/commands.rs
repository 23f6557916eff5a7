//! What each subcommand does, in terms of the libraries.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use lantern_core::import::{self, ImportError};
use lantern_core::pseudonym::{self, PseudonymKey};
use lantern_core::register::{self, SELF_HARM, SUICIDES};
use lantern_core::workforce;
use lantern_core::{ImportSummary, SharedStore, export};
use lantern_server::{AppState, ServerConfig};
use lantern_storage::DatabaseUrl;

use crate::cli::{
    AuditCommand, AuditFormat, Cli, Command, DemoArgs, ExportArgs, ExportFormat, ExportWhat,
    ImportCommand, ImportOpts, PseudonymiseArgs, ServeArgs, StatsCommand,
};
use crate::progress::Bar;

/// The setting that marks a database as holding synthetic demo data.
const SYNTHETIC_SETTING: &str = "synthetic_demo";

async fn open(url: &str) -> anyhow::Result<SharedStore> {
    let url = DatabaseUrl::new(url);
    lantern_storage::open(&url)
        .await
        .with_context(|| format!("cannot open the database {url}"))
}

pub(crate) async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            let store = open(&cli.database_url).await?;
            serve(store, &args).await?;
        }
        Command::Demo(args) => demo(&cli.database_url, &args).await?,
        Command::Migrate => {
            let store = open(&cli.database_url).await?;
            println!("The {} database is up to date.", store.backend());
        }
        Command::Import { what } => return import(&cli.database_url, what).await,
        Command::Export(args) => export(&cli.database_url, &args).await?,
        Command::Signals { what } => {
            let store = open(&cli.database_url).await?;
            return crate::signals::manage(&store, what).await;
        }
        Command::Plans { what } => {
            let store = open(&cli.database_url).await?;
            crate::plans::manage(&store, what).await?;
        }
        Command::Duplicates { what } => {
            let store = open(&cli.database_url).await?;
            return crate::profiles::manage_duplicates(&store, what).await;
        }
        Command::Sources { what } => {
            let store = open(&cli.database_url).await?;
            return crate::profiles::manage_sources(&store, what).await;
        }
        Command::Profiles { what } => {
            let store = open(&cli.database_url).await?;
            return crate::profiles::manage(&store, what).await;
        }
        Command::Pseudonymise(args) => return pseudonymise(&args).await,
        Command::Report(args) => {
            let store = open(&cli.database_url).await?;
            make_report(&store, &args).await?;
        }
        Command::Stats { what } => return stats(what),
        Command::Audit { what } => return audit(&cli.database_url, what).await,
        Command::Backup { file } => {
            let url = DatabaseUrl::new(cli.database_url.as_str());
            let store = open(&cli.database_url).await?;
            cli_audit_entry(&store, "backup", None, format!("to {}", file.display())).await?;
            let m = lantern_storage::backup::backup(&url, &file).await?;
            eprintln!(
                "Backed up the {} database to {} ({} bytes, sha256 {}).",
                m.backend,
                file.display(),
                m.bytes,
                m.sha256
            );
        }
        Command::Restore { file } => {
            let url = DatabaseUrl::new(cli.database_url.as_str());
            let report = lantern_storage::backup::restore(&url, &file).await?;
            let store = open(&cli.database_url).await?;
            cli_audit_entry(&store, "restore", None, format!("from {}", file.display())).await?;
            eprintln!(
                "Restored and verified: {} suspected suicides, {} self-harm presentations, {} areas, {} users, {} audit entries (chain intact).",
                report.suicides, report.self_harm, report.areas, report.users, report.audit_entries
            );
        }
        Command::Retention { what } => {
            let store = open(&cli.database_url).await?;
            retention(&store, what).await?;
        }
        Command::RotateKey => {
            let store = open(&cli.database_url).await?;
            rotate_key(&store).await?;
        }
        Command::User { what } => {
            let store = open(&cli.database_url).await?;
            return crate::users::run(&store, what).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(store: SharedStore, args: &ServeArgs) -> anyhow::Result<()> {
    let synthetic = store.setting(SYNTHETIC_SETTING).await?.as_deref() == Some("true");
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    eprintln!(
        "Lantern is serving http://{addr} from {} (press Ctrl+C to stop)",
        store.backend()
    );
    let config = ServerConfig {
        synthetic,
        pseudonym_key: Some(deployment_key(Some(&store)).await?),
        behind_tls: args.behind_tls,
        idle_timeout: chrono::Duration::minutes(args.idle_minutes.max(1)),
        absolute_timeout: chrono::Duration::hours(args.session_hours.max(1)),
        trusted_proxies: args.trusted_proxies.clone(),
        base_map: args
            .base_map_url
            .as_deref()
            .map(|u| lantern_server::BaseMap::parse(u, &args.base_map_attribution))
            .transpose()
            .map_err(anyhow::Error::msg)?,
        today: args.today,
        ..ServerConfig::default()
    };
    if args.reports_every > 0 {
        lantern_server::spawn_reports_job(
            store.clone(),
            std::time::Duration::from_secs(args.reports_every),
            args.today,
        );
    }
    if args.signals_every > 0 {
        lantern_server::spawn_signals_job(
            store.clone(),
            std::time::Duration::from_secs(args.signals_every),
        );
    }
    let state = AppState::new(store, config);
    lantern_server::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

async fn demo(url: &str, args: &DemoArgs) -> anyhow::Result<()> {
    let store = open(url).await?;
    let synthetic = store.setting(SYNTHETIC_SETTING).await?.as_deref() == Some("true");
    let empty = store.count(&SUICIDES).await? == 0
        && store.count(&SELF_HARM).await? == 0
        && store.area_codes().await?.is_empty();
    if synthetic {
        eprintln!("The database already holds the demo; serving it as it is.");
    } else if !empty {
        anyhow::bail!(
            "the database already holds data, and the demo only fills an empty one; \
             use --database-url to choose another (for example sqlite://data/demo.db)"
        );
    } else {
        let end = args
            .end
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        eprintln!(
            "Generating synthetic data for a fictional county (seed {}, five years to {end})…",
            args.seed
        );
        let key = deployment_key(Some(&store)).await?;
        let data = lantern_core::demo::generate_scaled(args.seed, end, &key, args.self_harm_scale);
        // Mark the database first, so a page served during loading already says "synthetic".
        store.set_setting(SYNTHETIC_SETTING, "true").await?;
        let summary = lantern_core::demo::load(store.as_ref(), &data).await?;
        eprintln!(
            "Loaded {} areas, {} population rows, {} suspected suicides and {} self-harm presentations.",
            summary.areas, summary.populations, summary.suicides, summary.self_harm
        );
        eprintln!(
            "Loaded {} support directory entries (see /support).",
            summary.services
        );
        eprintln!(
            "Loaded {} organisations and {} training rows (dataset=training and dataset=coverage), and {} media reports (see /media).",
            summary.organisations, summary.training, summary.media
        );
        let plan = lantern_core::demo::plan::load(store.as_ref(), end, args.seed).await?;
        eprintln!("Loaded the demo action plan with its progress updates (plan {plan}).");
        let figures = lantern_core::demo::benchmarks::england(end, args.seed);
        store
            .upsert_benchmarks(&figures, "demo", false, None)
            .await?;
        eprintln!(
            "Loaded {} synthetic England benchmark figures (the suicide rate, by sex).",
            figures.len()
        );
        crate::users::demo_users(&store).await?;
        eprintln!("Running the signal detectors over the demo register…");
        let done = lantern_core::signals::refresh(
            store.as_ref(),
            &lantern_core::signals::saved_options(store.as_ref()).await?,
        )
        .await?;
        eprintln!(
            "Found {} signals for the surveillance group to review (see /signals).",
            done.found
        );
    }
    if !args.no_serve {
        serve(store, &args.serve).await?;
    }
    Ok(())
}

/// Every problem as `FILE:LINE: COLUMN: message` on stderr, then a count; exit status 1.
pub(crate) fn print_problems(problems: &[import::Problem], tail: &str) -> ExitCode {
    for p in problems {
        eprintln!("{p}");
    }
    eprintln!("error: {} problem(s){tail}", problems.len());
    ExitCode::from(1)
}

fn report(
    result: Result<ImportSummary, ImportError>,
    opts: ImportOpts,
) -> anyhow::Result<ExitCode> {
    match result {
        Ok(s) => {
            if opts.json {
                println!("{}", serde_json::to_string(&s)?);
            } else {
                let verb = if opts.dry_run { "Would write" } else { "Done" };
                eprintln!(
                    "{verb}: {} inserted, {} updated, {} unchanged.",
                    s.inserted, s.updated, s.unchanged
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Invalid(problems)) => {
            Ok(print_problems(&problems, "; nothing was written"))
        }
        Err(other) => Err(other.into()),
    }
}

async fn retention(store: &SharedStore, what: crate::cli::RetentionCommand) -> anyhow::Result<()> {
    use crate::cli::RetentionCommand;
    use lantern_core::retention;
    let datasets: [&'static register::Dataset; 2] = [&SUICIDES, &SELF_HARM];
    match what {
        RetentionCommand::Set { dataset, years } => {
            let dataset = dataset.dataset();
            store
                .set_setting(&retention::setting(dataset), &years.to_string())
                .await?;
            let what = if years == 0 {
                "kept for ever".to_owned()
            } else {
                format!("kept {years} years")
            };
            cli_audit_entry(store, "retention_set", Some(dataset), what.clone()).await?;
            eprintln!("{}: {what}.", dataset.name);
        }
        RetentionCommand::Show => {
            for d in datasets {
                match retention::period(store.as_ref(), d).await? {
                    Some(y) => println!("{:<10} {y} years", d.name),
                    None => println!("{:<10} kept for ever (no period set)", d.name),
                }
            }
        }
        RetentionCommand::Apply { dry_run, json } => {
            let today = chrono::Local::now().date_naive();
            let mut results = Vec::new();
            for d in datasets {
                let r = retention::apply(store.as_ref(), d, today, dry_run).await?;
                if let Some(before) = r.before {
                    let action = if dry_run {
                        "retention_dry_run"
                    } else {
                        "retention_apply"
                    };
                    let verb = if dry_run { "would delete" } else { "deleted" };
                    let detail = format!(
                        "{verb} {} records dated before {before} ({} years)",
                        r.deleted,
                        r.years.unwrap_or(0)
                    );
                    cli_audit_entry(store, action, Some(d), detail).await?;
                }
                results.push(r);
            }
            if json {
                println!("{}", serde_json::to_string(&results)?);
            }
            for r in &results {
                match r.before {
                    Some(before) => eprintln!(
                        "{}: {} {} records dated before {before}.",
                        r.dataset,
                        if dry_run { "would delete" } else { "deleted" },
                        r.deleted
                    ),
                    None => eprintln!("{}: no retention period set; nothing deleted.", r.dataset),
                }
            }
        }
    }
    Ok(())
}

fn key_file_path() -> std::path::PathBuf {
    std::env::var_os("LANTERN_PSEUDONYM_KEY_FILE").map_or_else(
        || Path::new(pseudonym::DEFAULT_KEY_FILE).to_path_buf(),
        Into::into,
    )
}

/// Re-key every person key under a new key added to the chain. The new key file is written
/// beside the old one first, the database changes in one transaction, then the new file
/// replaces the old: a failure at any step leaves a key that matches the database.
async fn rotate_key(store: &SharedStore) -> anyhow::Result<()> {
    if std::env::var("LANTERN_PSEUDONYM_KEY").is_ok() {
        anyhow::bail!(
            "the key comes from LANTERN_PSEUDONYM_KEY: rotate with a key file (LANTERN_PSEUDONYM_KEY_FILE), then move it to your secrets store"
        );
    }
    let path = key_file_path();
    let old = deployment_key(Some(store)).await?;
    let new = old.rotated();
    let mut staged = path.as_os_str().to_owned();
    staged.push(".new");
    let staged = std::path::PathBuf::from(staged);
    let _ = std::fs::remove_file(&staged);
    pseudonym::write_key_file(&staged, &new).map_err(anyhow::Error::msg)?;
    let rekey = |v: &str| new.rekey(v);
    let n = store.rekey_person_keys(&rekey, &new.fingerprint()).await?;
    std::fs::rename(&staged, &path).with_context(|| {
        format!(
            "the database is re-keyed, but {} could not replace {}: move it by hand",
            staged.display(),
            path.display()
        )
    })?;
    cli_audit_entry(
        store,
        "key_rotation",
        Some(&SELF_HARM),
        format!(
            "{n} person keys re-keyed; key fingerprint {} -> {}",
            old.fingerprint(),
            new.fingerprint()
        ),
    )
    .await?;
    eprintln!(
        "Re-keyed {n} person keys. {} now holds the new key chain (fingerprint {}); give it to every source that pseudonymises at source.",
        path.display(),
        new.fingerprint()
    );
    Ok(())
}

/// The deployment's key for turning NHS numbers into person keys, kept outside the database:
/// `LANTERN_PSEUDONYM_KEY` (hex), or the file `LANTERN_PSEUDONYM_KEY_FILE` names, or
/// `data/pseudonym.key` (created on first use, mode 0600). With a store, the key must be the one
/// the database was first used with (its fingerprint is stored, never the key).
pub(crate) async fn deployment_key(store: Option<&SharedStore>) -> anyhow::Result<PseudonymKey> {
    let key = if let Ok(hex) = std::env::var("LANTERN_PSEUDONYM_KEY") {
        PseudonymKey::from_hex(&hex).context("LANTERN_PSEUDONYM_KEY")?
    } else {
        pseudonym::load_or_create_key_file(&key_file_path()).map_err(anyhow::Error::msg)?
    };
    if let Some(s) = store {
        pseudonym::check_key(s.as_ref(), &key).await?;
    }
    Ok(key)
}

async fn import(url: &str, what: ImportCommand) -> anyhow::Result<ExitCode> {
    let store = open(url).await?;
    let s = store.as_ref();
    match what {
        ImportCommand::Areas { file, level, opts } => {
            let level = level
                .map(|l| lantern_core::area::AreaLevel::parse(&l))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            report(
                import::import_areas(s, &file, level, opts.dry_run).await,
                opts,
            )
        }
        ImportCommand::AreaLookup { file, opts } => report(
            import::import_area_lookup(s, &file, opts.dry_run).await,
            opts,
        ),
        ImportCommand::Populations { file, opts } => {
            let result = import::import_populations(s, &file, opts.dry_run).await.map(|(summary, parsed)| {
                if !parsed.skipped_areas.is_empty() {
                    eprintln!("Skipped {} areas Lantern does not hold (import them first to keep their populations).", parsed.skipped_areas.len());
                }
                summary
            });
            report(result, opts)
        }
        ImportCommand::Benchmarks { file, opts } => {
            let actor = cli_actor();
            let by = import::AuditBy {
                actor: &actor,
                origin: "cli",
            };
            let result = lantern_core::benchmarks::import_benchmarks(s, &file, opts.dry_run, Some(by))
                .await
                .map(|r| {
                    if r.skipped_categories > 0 {
                        eprintln!(
                            "Left out {} rows of breakdowns by category (deprivation deciles and the like).",
                            r.skipped_categories
                        );
                    }
                    r.summary
                });
            report(result, opts)
        }
        ImportCommand::Services { file, opts } => {
            let actor = cli_actor();
            let by = import::AuditBy {
                actor: &actor,
                origin: "cli",
            };
            let today = chrono::Local::now().date_naive();
            report(
                lantern_core::support::import_services(s, &file, opts.dry_run, today, Some(by))
                    .await,
                opts,
            )
        }
        ImportCommand::Organisations { file, opts } => {
            let (actor, today) = (cli_actor(), chrono::Local::now().date_naive());
            let by = Some(cli_by(&actor));
            let result = workforce::import_organisations(s, &file, opts.dry_run, today, by);
            report(result.await, opts)
        }
        ImportCommand::Training { file, opts } => {
            let (actor, today) = (cli_actor(), chrono::Local::now().date_naive());
            let by = Some(cli_by(&actor));
            let result = workforce::import_training(s, &file, opts.dry_run, today, by);
            report(result.await, opts)
        }
        ImportCommand::Media { file, opts } => {
            let (actor, today) = (cli_actor(), chrono::Local::now().date_naive());
            let by = Some(cli_by(&actor));
            let result = lantern_core::media::import_reports(s, &file, opts.dry_run, today, by);
            report(result.await, opts)
        }
        ImportCommand::Suicides {
            file,
            opts,
            register,
        } => register_import(&store, &SUICIDES, &file, opts, &register).await,
        ImportCommand::SelfHarm {
            file,
            opts,
            register,
        } => register_import(&store, &SELF_HARM, &file, opts, &register).await,
        ImportCommand::Postcodes { file, opts } => {
            let areas = s.area_codes().await?;
            let result = match import::read_postcodes(&file, &|c| areas.contains(c)) {
                Ok(found) => {
                    if found.elsewhere + found.no_area > 0 {
                        eprintln!(
                            "Kept {} postcodes in the partnership's small areas; left out {} in other areas and {} with no small area.",
                            found.postcodes.len(),
                            found.elsewhere,
                            found.no_area
                        );
                    }
                    let summary = s
                        .upsert_postcodes(&found.postcodes, opts.dry_run)
                        .await
                        .map_err(import::ImportError::from);
                    if let (Ok(sum), false) = (&summary, opts.dry_run) {
                        cli_audit_entry(
                            &store,
                            "import_postcodes",
                            None,
                            format!(
                                "file={} inserted={} updated={} unchanged={}",
                                file.display(),
                                sum.inserted,
                                sum.updated,
                                sum.unchanged
                            ),
                        )
                        .await?;
                    }
                    summary
                }
                Err(e) => Err(e),
            };
            report(result, opts)
        }
        ImportCommand::Plans(args) => crate::plans::import(&store, &args).await,
    }
}

async fn register_import(
    store: &SharedStore,
    dataset: &'static register::Dataset,
    file: &Path,
    opts: ImportOpts,
    args: &crate::cli::RegisterArgs,
) -> anyhow::Result<ExitCode> {
    let profile = match &args.profile {
        Some(given) => match crate::profiles::resolve(store, given).await? {
            Ok(p) => Some(p),
            Err(e) => return report(Err(e), opts),
        },
        None => None,
    };
    let key = if dataset.is_self_harm() {
        Some(deployment_key(Some(store)).await?)
    } else {
        None
    };
    let bar = Bar::new(format!("Importing {}", file.display()));
    bar.note(&format!("Reading and checking {}…", file.display()));
    let progress = |done, total| bar.update(done, total);
    let actor = cli_actor();
    let options = import::RegisterImportOptions {
        key: key.as_ref(),
        dry_run: opts.dry_run,
        blank_clears: args.blank_clears,
        audit_by: Some(import::AuditBy {
            actor: &actor,
            origin: "cli",
        }),
        profile: profile.as_ref(),
        date_order: args.date_order,
        encoding: args.encoding,
        today: args.today,
    };
    let result = import::import_register(store.as_ref(), dataset, file, &options, &progress).await;
    let fields = |r: &import::RegisterImport| import::describe_fields(&r.fields_changed);
    if let Ok(r) = &result {
        if r.encoding != "UTF-8" && args.encoding.is_none() {
            eprintln!(
                "Note: {} is not UTF-8; it was read as {} (as Excel saves \"CSV (Comma delimited)\"). Give --encoding to say otherwise.",
                file.display(),
                r.encoding
            );
        }
        for w in &r.warnings {
            eprintln!("warning: {w}");
        }
        if dataset.is_suicides() && !opts.dry_run {
            let queued = store.find_duplicates().await?;
            if queued > 0 {
                eprintln!(
                    "{queued} possible duplicate{} (the same death from another source) queued for review: lantern duplicates list",
                    if queued == 1 { "" } else { "s" }
                );
            }
        }
    }
    match result {
        Ok(r) if opts.json => {
            println!("{}", serde_json::to_string(&r)?);
            Ok(ExitCode::SUCCESS)
        }
        Ok(r) => {
            let changed = if r.fields_changed.is_empty() {
                String::new()
            } else if opts.dry_run {
                format!(" Fields that would change: {}.", fields(&r))
            } else {
                format!(" Fields changed: {}.", fields(&r))
            };
            let result = report(Ok(r.summary), opts);
            if !changed.is_empty() {
                eprintln!("{}", changed.trim_start());
            }
            result
        }
        Err(e) => report(Err(e), opts),
    }
}

/// `cli:USER`: who the audit log says did something from the command line.
pub(crate) fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{user}")
}

/// An audit entry for something done from the command line.
async fn cli_audit(
    store: &SharedStore,
    action: &str,
    dataset: &register::Dataset,
    detail: String,
) -> anyhow::Result<()> {
    cli_audit_entry(store, action, Some(dataset), detail).await
}

/// An audit entry for something done from the command line, about a dataset or not.
pub(crate) async fn cli_audit_entry(
    store: &SharedStore,
    action: &str,
    dataset: Option<&register::Dataset>,
    detail: String,
) -> anyhow::Result<()> {
    store
        .append_audit(&cli_entry(action, dataset, detail))
        .await
        .context("cannot write the audit log")?;
    Ok(())
}

/// The audit entry for something done from the command line.
pub(crate) fn cli_entry(
    action: &str,
    dataset: Option<&register::Dataset>,
    detail: String,
) -> lantern_core::audit::NewAuditEntry {
    lantern_core::audit::NewAuditEntry {
        actor: cli_actor(),
        action: action.to_owned(),
        dataset: dataset.map(|d| d.name.to_owned()),
        record_id: None,
        detail,
        origin: "cli".to_owned(),
    }
}

/// `format=F rows=N output=DEST`: what an export's audit entry says.
fn export_detail(args: &ExportArgs, rows: usize) -> String {
    let destination = destination(args.output.as_deref());
    let format = format!("{:?}", args.format).to_lowercase();
    format!("format={format} rows={rows} output={destination}")
}

/// Write an export to `--output` (saying how many `noun` went there) or to standard output.
fn deliver(args: &ExportArgs, bytes: &[u8], rows: usize, noun: &str) -> anyhow::Result<()> {
    write_output(args.output.as_deref(), bytes, &format!("{rows} {noun}"))
}

/// Where `--output` sends a file, as an audit entry names it: the path, or `stdout`.
pub(crate) fn destination(output: Option<&Path>) -> String {
    output.map_or_else(|| "stdout".to_owned(), |p| p.display().to_string())
}

/// Write `bytes` to `output`, saying on standard error that `what` went there, or to standard
/// output when there is no `--output`.
pub(crate) fn write_output(output: Option<&Path>, bytes: &[u8], what: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("Wrote {what} to {}.", path.display());
        }
        None => {
            use std::io::Write as _;
            std::io::stdout().lock().write_all(bytes)?;
        }
    }
    Ok(())
}

async fn export_benchmarks(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<()> {
    let rows = store.benchmarks(None).await?;
    export_reference(
        store,
        args,
        &rows,
        |r, out| lantern_core::benchmarks::write_csv(r, out),
        ("benchmarks", "figures"),
    )
    .await
}

async fn export_services(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<()> {
    let rows = store.services().await?;
    export_reference(
        store,
        args,
        &rows,
        |r, out| lantern_core::support::write_csv(r, out),
        ("services", "services"),
    )
    .await
}

/// The audit's "who" of an import from the command line.
fn cli_by(actor: &str) -> import::AuditBy<'_> {
    import::AuditBy {
        actor,
        origin: "cli",
    }
}

async fn export_media(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<()> {
    let rows = store.media_reports().await?;
    export_reference(
        store,
        args,
        &rows,
        |r, out| lantern_core::media::write_csv(r, out),
        ("media", "media reports"),
    )
    .await
}

async fn export_organisations(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<()> {
    let rows = store.organisations().await?;
    export_reference(
        store,
        args,
        &rows,
        |r, out| workforce::write_organisations(r, out),
        ("organisations", "organisations"),
    )
    .await
}

async fn export_training(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<()> {
    let rows = store.training().await?;
    export_reference(
        store,
        args,
        &rows,
        |r, out| workforce::write_training(r, out),
        ("training", "training rows"),
    )
    .await
}

/// Export reference data (benchmarks, the support directory, organisations, training) as CSV, which its import reads
/// back, or JSON; `names` is the export's name for the audit log and the rows' word.
async fn export_reference<T: serde::Serialize>(
    store: &SharedStore,
    args: &ExportArgs,
    rows: &[T],
    csv: impl Fn(&[T], &mut Vec<u8>) -> std::io::Result<()>,
    names: (&str, &str),
) -> anyhow::Result<()> {
    if args.labels {
        anyhow::bail!("--labels applies to the register's exports");
    }
    if args.plan.is_some() {
        anyhow::bail!("--plan applies to `lantern export plans` only");
    }
    let mut bytes = Vec::new();
    match args.format {
        ExportFormat::Csv => csv(rows, &mut bytes)?,
        ExportFormat::Json => serde_json::to_writer_pretty(&mut bytes, rows)?,
        ExportFormat::Xlsx => anyhow::bail!("{} export as csv or json", names.0),
    }
    cli_audit_entry(
        store,
        &format!("{}_export", names.0),
        None,
        export_detail(args, rows.len()),
    )
    .await?;
    deliver(args, &bytes, rows.len(), names.1)?;
    Ok(())
}

async fn export(url: &str, args: &ExportArgs) -> anyhow::Result<()> {
    let store = open(url).await?;
    let dataset = match args.dataset {
        ExportWhat::Suicides => &SUICIDES,
        ExportWhat::SelfHarm => &SELF_HARM,
        ExportWhat::Plans if args.labels => {
            anyhow::bail!("--labels applies to the register's exports")
        }
        ExportWhat::Plans => return crate::plans::export(&store, args).await,
        ExportWhat::Benchmarks => return export_benchmarks(&store, args).await,
        ExportWhat::Services => return export_services(&store, args).await,
        ExportWhat::Organisations => return export_organisations(&store, args).await,
        ExportWhat::Training => return export_training(&store, args).await,
        ExportWhat::Media => return export_media(&store, args).await,
    };
    if args.plan.is_some() {
        anyhow::bail!("--plan applies to `lantern export plans` only");
    }
    let records = store.export_records(dataset).await?;
    let mut bytes = Vec::new();
    let names = if args.labels {
        store
            .areas(None)
            .await?
            .into_iter()
            .map(|a| (a.code, a.name))
            .collect()
    } else {
        std::collections::HashMap::new()
    };
    match (args.format, args.labels) {
        (ExportFormat::Csv, false) => export::write_csv(dataset, &records, &mut bytes)?,
        (ExportFormat::Csv, true) => {
            export::write_csv_labelled(dataset, &records, &names, &mut bytes)?;
        }
        (ExportFormat::Json, false) => export::write_json(&records, &mut bytes)?,
        (ExportFormat::Json, true) => anyhow::bail!("--labels applies to csv and xlsx"),
        (ExportFormat::Xlsx, false) => bytes = export::xlsx_bytes(dataset, &records)?,
        (ExportFormat::Xlsx, true) => {
            bytes = export::xlsx_bytes_labelled(dataset, &records, &names)?
        }
    }
    cli_audit(
        &store,
        "export",
        dataset,
        export_detail(args, records.len()),
    )
    .await?;
    deliver(args, &bytes, records.len(), "records")?;
    Ok(())
}

async fn make_report(store: &SharedStore, args: &crate::cli::ReportArgs) -> anyhow::Result<()> {
    use crate::cli::ReportFormat;
    use lantern_core::reports;
    let request = reports::Request {
        kind: args.kind,
        period: args.period,
        area: args.area.clone(),
        audience: args.audience,
        ages: args.ages.unwrap_or(reports::CYP_AGES),
        plan: args.plan,
    };
    if args.ages.is_some() && args.kind != reports::Kind::CypAudit {
        anyhow::bail!("--ages applies to the cyp-audit report only");
    }
    if args.plan.is_some() && !matches!(args.kind, reports::Kind::Plan | reports::Kind::Quarterly) {
        anyhow::bail!("--plan applies to the plan and quarterly reports only");
    }
    let report = reports::build(store.as_ref(), &request).await?;
    let bytes = match args.format {
        ReportFormat::Html => lantern_server::report_html(&report)?.into_bytes(),
        ReportFormat::Csv => reports::csv_bytes(&report)?,
        ReportFormat::Xlsx => reports::xlsx_bytes(&report)?,
        ReportFormat::Pdf => lantern_server::report_pdf(&report)?,
    };
    let destination = destination(args.output.as_deref());
    cli_audit_entry(
        store,
        "report",
        None,
        format!(
            "kind={} period={} area={} audience={} format={:?} output={destination} snapshot={}",
            args.kind.as_str(),
            args.period.label(),
            args.area.as_deref().unwrap_or("all"),
            args.audience.disclosure(),
            args.format,
            report.snapshot.hash
        )
        .to_lowercase(),
    )
    .await?;
    write_output(
        args.output.as_deref(),
        &bytes,
        &format!(
            "the {} ({}, {} audience, {} sections)",
            report.title,
            args.period.describe(),
            args.audience.disclosure(),
            report.sections.len()
        ),
    )?;
    Ok(())
}

async fn pseudonymise(args: &PseudonymiseArgs) -> anyhow::Result<ExitCode> {
    let key = match &args.key_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            PseudonymKey::from_hex(&text)
                .with_context(|| format!("the key in {}", path.display()))?
        }
        None => deployment_key(None).await?,
    };
    match import::pseudonymise_file(&args.file, &args.output, &key) {
        Ok(n) => {
            eprintln!(
                "Wrote {n} rows to {} with person_key in place of nhs_number.",
                args.output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => report(
            Err(e),
            ImportOpts {
                dry_run: false,
                json: false,
            },
        ),
    }
}

/// `lantern stats`: no database; JSON on stdout, problems on stderr.
fn stats(what: StatsCommand) -> anyhow::Result<ExitCode> {
    use lantern_core::stats_files::{self, Standard};
    let result = match what {
        StatsCommand::Detect {
            method,
            input,
            frequency,
            range,
            min_count,
            alpha,
            baseline,
            min_sigma,
            k,
            h,
            m,
            reset,
            b,
            w,
            no_periods,
            past_weeks_not_included,
            weights_threshold,
            p_threshold_trend,
            threshold_method,
            power_trans,
            no_reweight,
            no_trend,
            limit54,
        } => {
            use crate::cli::{DetectMethodArg, PowerTransArg, ThresholdMethodArg};
            use lantern_core::stats_files::{
                Cusum, DetectMethod, Ears, Farrington, PowerTrans, ThresholdMethod,
            };
            let frequency = frequency as usize;
            let ears = |method| DetectMethod::Ears {
                method,
                baseline,
                alpha: alpha.unwrap_or(0.001),
                min_sigma,
            };
            let farrington = |base: Farrington| {
                DetectMethod::Farrington(Farrington {
                    frequency,
                    b,
                    w,
                    reweight: !no_reweight,
                    weights_threshold: weights_threshold.unwrap_or(base.weights_threshold),
                    alpha: alpha.unwrap_or(base.alpha),
                    trend: !no_trend,
                    p_threshold_trend,
                    limit54: (limit54.0 > 0.0).then_some(limit54),
                    power_trans: match power_trans {
                        PowerTransArg::TwoThirds => PowerTrans::TwoThirds,
                        PowerTransArg::Half => PowerTrans::Half,
                        PowerTransArg::None => PowerTrans::None,
                    },
                    no_periods,
                    past_weeks_not_included,
                    threshold_method: match threshold_method {
                        ThresholdMethodArg::Delta => ThresholdMethod::Delta,
                        ThresholdMethodArg::NbPlugin => ThresholdMethod::NbPlugin,
                        ThresholdMethodArg::Muan => ThresholdMethod::Muan,
                    },
                    ..base
                })
            };
            let method = method.map(|arg| match arg {
                DetectMethodArg::EarsC1 => ears(Ears::C1),
                DetectMethodArg::EarsC2 => ears(Ears::C2),
                DetectMethodArg::EarsC3 => ears(Ears::C3),
                DetectMethodArg::Cusum => DetectMethod::Cusum(Cusum { k, h, m, reset }),
                DetectMethodArg::Farrington => farrington(Farrington::classic()),
                DetectMethodArg::FarringtonFlexible => farrington(Farrington::flexible()),
            });
            stats_files::detect(&input, method, frequency, range, min_count).map(|rows| {
                if let (None, Some(r)) = (method, rows.first()) {
                    eprintln!(
                        "lantern: no --method given; chose {} by the length of the series",
                        r.method
                    );
                }
                serde_json::json!(rows)
            })
        }
        StatsCommand::Scan {
            model,
            cases,
            coordinates,
            population,
            coordinates_type,
            start,
            end,
            analysis,
            max_spatial_percent,
            max_radius,
            max_temporal_days,
            max_temporal_percent,
            time_aggregation_days,
            time_aggregation_unit,
            time_aggregation_length,
            replications,
            seed,
            threads,
            min_cases,
            max_clusters,
            time_adjustment,
        } => {
            use crate::cli::{
                AnalysisArg, CoordinatesTypeArg, ScanModelArg, TimeAdjustmentArg, TimeUnitArg,
            };
            use lantern_core::scan_files::{MaxTemporal, ScanKind, ScanOptions, TimeUnit};
            let (unit, length) = match time_aggregation_unit {
                TimeUnitArg::Day => (TimeUnit::Day, time_aggregation_days),
                TimeUnitArg::Month => (TimeUnit::Month, time_aggregation_length),
                TimeUnitArg::Year => (TimeUnit::Year, time_aggregation_length),
            };
            let options = ScanOptions {
                kind: match model {
                    ScanModelArg::Poisson => ScanKind::Poisson,
                    ScanModelArg::SpaceTimePoisson => ScanKind::SpaceTimePoisson,
                    ScanModelArg::SpaceTimePermutation => ScanKind::SpaceTimePermutation,
                },
                lat_long: matches!(coordinates_type, CoordinatesTypeArg::Latlong),
                start,
                end,
                prospective: matches!(analysis, AnalysisArg::Prospective),
                max_spatial_percent,
                max_radius,
                max_temporal: max_temporal_days.map_or(
                    MaxTemporal::Percent(max_temporal_percent.unwrap_or(50.0)),
                    MaxTemporal::Days,
                ),
                unit,
                length,
                replications,
                seed,
                min_cases,
                max_clusters,
                equal_periods: time_adjustment == TimeAdjustmentArg::EqualPeriods,
            };
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads.unwrap_or(0))
                .build()?;
            eprintln!(
                "lantern: scanning ({}, {replications} replications on {} threads)...",
                options.kind.name(),
                pool.current_num_threads()
            );
            let started = std::time::Instant::now();
            let report = pool.install(|| {
                lantern_core::scan_files::scan(
                    &cases,
                    &coordinates,
                    population.as_deref(),
                    &options,
                )
            });
            if report.is_ok() {
                eprintln!("lantern: done in {:.1} s", started.elapsed().as_secs_f64());
            }
            report.map(|r| serde_json::json!(r))
        }
        StatsCommand::Gistar {
            input,
            weights,
            no_star,
            directed,
            permutations,
            seed,
        } => stats_files::gistar(
            &input,
            &weights,
            stats_files::GiOptions {
                star: !no_star,
                directed,
                permutations,
                seed,
            },
        )
        .map(|r| serde_json::json!(r)),
        StatsCommand::Crude {
            input,
            multiplier,
            confidence,
        } => stats_files::crude_rates(&input, multiplier, confidence).map(|r| serde_json::json!(r)),
        StatsCommand::Proportion {
            input,
            confidence,
            multiplier,
        } => stats_files::proportions(&input, multiplier, confidence).map(|r| serde_json::json!(r)),
        StatsCommand::Dsr {
            input,
            standard,
            multiplier,
            confidence,
        } => {
            let standard = if standard.eq_ignore_ascii_case("esp2013") {
                Ok(Standard::esp2013())
            } else {
                Standard::from_file(Path::new(&standard))
            };
            standard
                .and_then(|s| stats_files::dsrs(&input, &s, multiplier, confidence))
                .map(|r| serde_json::json!(r))
        }
    };
    match result {
        Ok(rows) => {
            println!("{}", serde_json::to_string_pretty(&rows)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Invalid(problems)) => Ok(print_problems(&problems, " in the input")),
        Err(other) => Err(other.into()),
    }
}

/// `lantern audit verify|export`: both read the log a page at a time, so a log of any length
/// is checked or written in bounded memory.
async fn audit(url: &str, what: AuditCommand) -> anyhow::Result<ExitCode> {
    use lantern_core::audit::{PAGE, VerifyError, verify_store};
    let store = open(url).await?;
    match what {
        AuditCommand::Verify => {
            let total = store.audit_count().await?;
            let bar = crate::progress::Bar::new("Checking the audit log");
            match verify_store(store.as_ref(), &|done| bar.update(done, total)).await {
                Ok(n) => {
                    println!("The audit log is intact: {n} entries.");
                    Ok(ExitCode::SUCCESS)
                }
                Err(VerifyError::Broken(e)) => {
                    eprintln!("error: the audit log has been tampered with: {e}");
                    Ok(ExitCode::from(1))
                }
                Err(VerifyError::Store(e)) => Err(e.into()),
            }
        }
        AuditCommand::Export { format, output } => {
            use std::io::Write as _;
            /// Where entries go: CSV rows, or one JSON array written an entry at a time.
            enum Sink<W: std::io::Write> {
                Csv(Box<lantern_core::export::CsvWriter<W>>),
                Json(W),
            }
            let file = std::fs::File::create(&output)
                .with_context(|| format!("cannot write {}", output.display()))?;
            let out = std::io::BufWriter::new(file);
            let mut sink = match format {
                AuditFormat::Csv => {
                    let mut w = lantern_core::export::CsvWriter::new(out);
                    w.write_record(lantern_core::audit::AuditEntry::CSV_HEADER)?;
                    Sink::Csv(Box::new(w))
                }
                AuditFormat::Json => Sink::Json(out),
            };
            let mut written = 0_u64;
            let mut pages = lantern_core::audit::AuditPages::new(store.as_ref(), PAGE);
            while let Some(page) = pages.next().await? {
                for e in &page {
                    match &mut sink {
                        Sink::Csv(w) => w.write_record(e.csv_row())?,
                        Sink::Json(w) => {
                            w.write_all(if written == 0 { b"[\n  " } else { b",\n  " })?;
                            serde_json::to_writer(&mut *w, e)?;
                        }
                    }
                    written += 1;
                }
            }
            match sink {
                Sink::Csv(mut w) => w.flush(),
                Sink::Json(mut w) => w
                    .write_all(if written == 0 { b"[]\n" } else { b"\n]\n" })
                    .and_then(|()| w.flush()),
            }
            .with_context(|| format!("cannot write {}", output.display()))?;
            eprintln!("Wrote {written} audit entries to {}.", output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

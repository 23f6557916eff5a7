//! The command line's shape: one clap struct gives flags, environment variables and `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Lantern: surveillance, intelligence and action plans for local suicide and self-harm
/// prevention partnerships.
#[derive(Debug, Parser)]
#[command(name = "lantern", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Database URL: sqlite://PATH (the default, created when missing) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "LANTERN_DATABASE_URL", default_value = lantern_storage::DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub(crate) database_url: String,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve the web pages and the JSON API.
    Serve(ServeArgs),
    /// Fill an empty database with synthetic demo data, then serve it.
    Demo(DemoArgs),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Import a file: all rows or none. Problems are printed as FILE:LINE: COLUMN: message.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Export a register dataset, or the action plans, with the same columns the importer reads.
    Export(ExportArgs),
    /// List or remove action plans.
    Plans {
        #[command(subcommand)]
        what: PlansCommand,
    },
    /// Mapping profiles: save one under a name (then `--profile NAME`), list, show or remove
    /// them, or suggest a starting profile from a file.
    Profiles {
        #[command(subcommand)]
        what: ProfilesCommand,
    },
    /// The sources that send records: list one, see them, rename one (and its records). Once
    /// any is listed, a file naming another source is refused with the close matches.
    Sources {
        #[command(subcommand)]
        what: SourcesCommand,
    },
    /// One death reported by several sources: the queue of possible duplicates (records from
    /// different sources that agree on date, age, sex and area), and the analyst's decisions.
    Duplicates {
        #[command(subcommand)]
        what: DuplicatesCommand,
    },
    /// Signals: run the detectors now, list what they found, register locations of concern.
    Signals {
        #[command(subcommand)]
        what: SignalsCommand,
    },
    /// Check or export the audit log.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Take a consistent backup while the server runs (SQLite: VACUUM INTO; PostgreSQL:
    /// pg_dump). Writes FILE and FILE.manifest.json; never overwrites.
    Backup {
        /// The backup file to create.
        file: PathBuf,
    },
    /// Restore a backup into an empty database, then verify it (checksum, schema, audit chain,
    /// and SQLite's integrity check).
    Restore {
        /// The backup file (its manifest must be beside it).
        file: PathBuf,
    },
    /// Rotate the pseudonymisation key: every stored person key is re-keyed under a new key
    /// added to the key file's chain (stop the server first; see SECURITY.md).
    RotateKey,
    /// Retention periods per dataset, and deleting records past them.
    Retention {
        #[command(subcommand)]
        what: RetentionCommand,
    },
    /// Manage user accounts. Passwords are read from standard input, never from arguments.
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// Statistics on plain CSV files, no database: JSON on standard output.
    Stats {
        #[command(subcommand)]
        what: StatsCommand,
    },
    /// Replace the nhs_number column of a self-harm CSV with person_key, before the file leaves
    /// the source. The key comes from --key-file, LANTERN_PSEUDONYM_KEY, LANTERN_PSEUDONYM_KEY_FILE
    /// or data/pseudonym.key.
    Pseudonymise(PseudonymiseArgs),
    /// Make a report (the annual audit, the children and young people deep dive, the
    /// quarterly report, the self-harm report, plan progress) for an audience, as HTML, CSV
    /// or XLSX. The same data and arguments give the same bytes.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on. Lantern speaks plain HTTP: put a TLS proxy in front of it before
    /// listening on anything but loopback (see SECURITY.md).
    #[arg(long, env = "LANTERN_LISTEN", default_value = "127.0.0.1:8080")]
    pub(crate) listen: String,
    /// Lantern is reached over HTTPS through a proxy: send Strict-Transport-Security.
    #[arg(long, env = "LANTERN_BEHIND_TLS")]
    pub(crate) behind_tls: bool,
    /// Minutes of inactivity that end a session.
    #[arg(long, env = "LANTERN_IDLE_MINUTES", default_value_t = 30)]
    pub(crate) idle_minutes: i64,
    /// Hours after sign-in that end a session however busy.
    #[arg(long, env = "LANTERN_SESSION_HOURS", default_value_t = 12)]
    pub(crate) session_hours: i64,
    /// How often, in seconds, to check whether the register changed and recompute the signals
    /// (0: never; `lantern signals run` does it by hand).
    #[arg(long, env = "LANTERN_SIGNALS_EVERY", default_value_t = 30)]
    pub(crate) signals_every: u64,
    /// A reverse proxy (ADDR or ADDR/PREFIX; repeat, or separate with commas) whose
    /// X-Forwarded-For gives the client's address, so that sign-in limits apply per client and
    /// the audit log names the client. Requests from other addresses have the header ignored.
    #[arg(
        long = "trusted-proxy",
        env = "LANTERN_TRUSTED_PROXY",
        value_delimiter = ',',
        value_parser = lantern_server::TrustedProxy::parse
    )]
    pub(crate) trusted_proxies: Vec<lantern_server::TrustedProxy>,
    /// An image to draw under the map's areas: a URL with {bbox} (west,south,east,north in
    /// degrees, longitude first), and optionally {width} and {height} in pixels, such as a WMS
    /// GetMap request with CRS=CRS:84. No base map by default; Lantern needs no tile server.
    #[arg(long, env = "LANTERN_BASE_MAP_URL")]
    pub(crate) base_map_url: Option<String>,
    /// The credit the base map's service asks for, shown under the map.
    #[arg(long, env = "LANTERN_BASE_MAP_ATTRIBUTION", default_value = "")]
    pub(crate) base_map_attribution: String,
    /// Seconds between checks for scheduled reports that have come due (0: never).
    #[arg(long, env = "LANTERN_REPORTS_EVERY", default_value_t = 3600)]
    pub(crate) reports_every: u64,
    /// Run report schedules as if today were this date (YYYY-MM-DD), for tests and rehearsals;
    /// the clock's date otherwise.
    #[arg(long, env = "LANTERN_TODAY")]
    pub(crate) today: Option<chrono::NaiveDate>,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Seed for the generator: the same seed and day give the same data.
    #[arg(long, default_value_t = lantern_core::demo::DEFAULT_SEED)]
    pub(crate) seed: u64,
    /// Only fill the database; do not serve.
    #[arg(long)]
    pub(crate) no_serve: bool,
    /// Last day of the five synthetic years (YYYY-MM-DD); today when not given.
    #[arg(long)]
    pub(crate) end: Option<chrono::NaiveDate>,
    /// Multiply the self-harm presentations, for load tests (110 gives about 1,000,000).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) self_harm_scale: f64,
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
}

#[derive(Debug, Args, Clone, Copy)]
pub(crate) struct ImportOpts {
    /// Check the file and report what would change, writing nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print {"inserted":N,"updated":N,"unchanged":N} on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// How a register file is read.
#[derive(Debug, Args, Clone)]
pub(crate) struct RegisterArgs {
    /// An empty cell clears the stored value. Without it an empty cell, like a column the
    /// file does not have, leaves the stored value as it is.
    #[arg(long)]
    pub(crate) blank_clears: bool,
    /// A mapping profile that turns a source's own columns and values into Lantern's: a TOML
    /// file, or the name of one saved with `lantern profiles save`.
    #[arg(long, value_name = "P.toml|NAME")]
    pub(crate) profile: Option<PathBuf>,
    /// How dates written with numbers only are read: dmy (03/02/2021 is 3 February), mdy or
    /// ymd. A profile's date_order wins.
    #[arg(long, default_value = "dmy", value_name = "dmy|mdy|ymd")]
    pub(crate) date_order: lantern_core::import::DateOrder,
    /// The file's text encoding: utf-8 or windows-1252 (found from the bytes when not given;
    /// a profile's encoding is used before that).
    #[arg(long)]
    pub(crate) encoding: Option<lantern_core::import::TextEncoding>,
    /// The date no event may be later than (YYYY-MM-DD; default today).
    #[arg(long)]
    pub(crate) today: Option<chrono::NaiveDate>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// Areas from ONS boundary GeoJSON (code and name from properties ending CD and NM) or CSV
    /// with code,name,level,parent_code.
    Areas {
        /// The file.
        file: PathBuf,
        /// Level of every area (lsoa, msoa, lad, county, icb, region, country); otherwise from
        /// the CSV's level column or the GSS code's prefix.
        #[arg(long)]
        level: Option<String>,
        #[command(flatten)]
        opts: ImportOpts,
    },
    /// Parent links: CSV with child_code,parent_code, or an LSOA/MSOA/LAD/county lookup.
    AreaLookup {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        opts: ImportOpts,
    },
    /// Populations: CSV with area_code,year,sex,age_band,population, or the ONS Census 2021
    /// TS009 file (areas Lantern does not know are skipped).
    Populations {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        opts: ImportOpts,
    },
    /// Benchmarks: the CSV of Fingertips' "download data" (or fingertipsR's, or
    /// indicator,area_code,period,sex,value,lower,upper), keyed by indicator, area, sex, age and
    /// period. Rows of a breakdown by category are left out.
    Benchmarks {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        opts: ImportOpts,
    },
    /// The support directory (CSV or XLSX; see docs/templates/services.csv): one row per
    /// service, updated by its reference. Needs are codes, labels or common words
    /// (`Bereaved by suicide`, `counselling`, `DV`); areas are area codes or `all`.
    Services {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        opts: ImportOpts,
    },
    /// Organisations (CSV or XLSX; see docs/templates/organisations.csv): one row per
    /// organisation, or one per role it holds (reference repeated), updated by reference.
    /// Sector, type and role are codes, labels or common words (`NHS`, `Academy`, `SMHL`).
    Organisations {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        opts: ImportOpts,
    },
    /// Training (CSV or XLSX; see docs/templates/training.csv): one row per session and
    /// delegates' organisation (or per month's e-learning completions), with optional
    /// evaluation means. A session's rows replace those held for it. Import organisations first.
    Training {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        opts: ImportOpts,
    },
    /// Media reports of suspected suicides, checked against the Samaritans media guidelines
    /// (CSV or XLSX; see docs/templates/media.csv): one row per report, updated by reference.
    Media {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        opts: ImportOpts,
    },
    /// Suspected suicides (CSV or XLSX). See docs/templates/suicides.csv. A source's own file
    /// is read through a mapping profile (--profile; see docs/profiles.md).
    Suicides {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        opts: ImportOpts,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Self-harm presentations (CSV or XLSX). See docs/templates/self-harm.csv. A source's own file
    /// is read through a mapping profile (--profile; see docs/profiles.md).
    SelfHarm {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        opts: ImportOpts,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Postcodes to small areas: ONS's National Statistics Postcode Lookup (NSPL) or ONS
    /// Postcode Directory (ONSPD) CSV. Only postcodes in small areas already imported are kept.
    Postcodes {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        opts: ImportOpts,
    },
    /// An action plan: the CSV or XLSX template (docs/templates/plan.csv), or a document's
    /// table saved as text (tab-separated cells, numbered headings, HTML fragments), detected
    /// from the file. Use --dry-run to see what was understood before importing.
    Plans(PlanImportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PlanImportArgs {
    /// The file.
    pub(crate) file: PathBuf,
    /// How the file is laid out (detected from its name and content when not given).
    #[arg(long, value_enum)]
    pub(crate) format: Option<PlanFileFormat>,
    /// Print the plan as understood, as a tree, and write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print {"inserted":N,"updated":0,"unchanged":0,"plan":ID,"sections":N} on stdout (N
    /// inserted: the plan's actions) instead of the tree or the message.
    #[arg(long)]
    pub(crate) json: bool,
    /// The plan's title (otherwise its first heading).
    #[arg(long)]
    pub(crate) title: Option<String>,
    /// The area the plan covers (an area code or name).
    #[arg(long)]
    pub(crate) area: Option<String>,
    /// The plan's period, e.g. 2024-25 (otherwise read from the title).
    #[arg(long)]
    pub(crate) period: Option<String>,
    /// The group that owns the plan, e.g. "Suicide Prevention Oversight Group".
    #[arg(long)]
    pub(crate) owner: Option<String>,
    /// The statuses an action may have, comma-separated, in order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "idea,initial meeting,underway,awaiting,complete,not started,paused,cancelled"
    )]
    pub(crate) statuses: Vec<String>,
    /// Say which column is which when the plan names them in its own way:
    /// "Aim=outcome,Milestones=timescale,Monitoring data=measure". Roles: section,
    /// section_title, outcome, number, action, measure, lead, timescale, status, rag, links,
    /// age_group, priority_groups, theme, ignore.
    #[arg(long, value_name = "HEADER=ROLE,...")]
    pub(crate) columns: Option<String>,
    /// How the plan heads its sections, with {n} where the number goes: "Priority {n}:",
    /// "Pillar {n} »" (digits or Roman numerals).
    #[arg(long, value_name = "PATTERN")]
    pub(crate) sections: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum PlanFileFormat {
    /// A document's table as text.
    Document,
    /// The CSV template.
    Csv,
    /// The XLSX template.
    Xlsx,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DuplicatesCommand {
    /// Queue the pairs not queued before (imports of suspected suicides do this themselves).
    Find,
    /// The pairs waiting for review (with --all, the decided ones too).
    List {
        /// Decided pairs too.
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The pair is one person: the second record is not counted; both are kept. Audited.
    Same {
        /// The pair's id (see `list`).
        id: i64,
    },
    /// The pair is two people. Audited.
    Distinct {
        /// The pair's id.
        id: i64,
    },
    /// Take a decision back: the pair waits for review again. Audited.
    Undo {
        /// The pair's id.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SourcesCommand {
    /// List a source; audited.
    Add {
        /// The name records carry in their source column (letters, digits, `-` and `_`).
        name: String,
        /// What people call it (default: the name).
        #[arg(long)]
        label: Option<String>,
    },
    /// The listed sources.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rename a listed source, and the source of every record it sent; audited.
    Rename {
        /// The source's name now.
        old: String,
        /// Its new name (not a source already).
        new: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ProfilesCommand {
    /// Check a profile and save it under NAME (replacing one of that name); audited.
    Save {
        /// The name to use it by (letters, digits, `-` and `_`).
        name: String,
        /// The profile (TOML; see docs/profiles.md).
        file: PathBuf,
    },
    /// Every saved profile: name, dataset, when and by whom it was saved.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a saved profile's TOML.
    Show {
        /// The profile's name.
        name: String,
    },
    /// Remove a saved profile; audited.
    Remove {
        /// The profile's name.
        name: String,
    },
    /// Write a starting profile for FILE from its header and values (matching Lantern's names,
    /// labels and common words), for a person to check.
    Suggest {
        /// A source's file (CSV or XLSX).
        file: PathBuf,
        /// The dataset the file is for.
        #[arg(long)]
        dataset: String,
        /// The source to name when the file has no source column.
        #[arg(long)]
        source: Option<String>,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PlansCommand {
    /// Every plan with its id and number of actions.
    List,
    /// Remove a plan, its actions and their progress updates.
    Remove {
        /// The plan's id (see `lantern plans list`).
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SignalsCommand {
    /// Run every detector over the register now and keep what they find (the server also does
    /// this by itself after imports and edits), with the saved settings (`signals configure`)
    /// and any given here for this run.
    Run {
        #[command(flatten)]
        settings: DetectArgs,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the detectors' settings, or change them: the server's job and `signals run` use
    /// them, and the signals are recomputed with them at the server's next check. Prints the
    /// settings as JSON.
    Configure {
        #[command(flatten)]
        settings: DetectArgs,
        /// Go back to the defaults (then apply any settings given).
        #[arg(long)]
        reset: bool,
    },
    /// Every signal, the latest first, with its review status.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Register a location of concern (a bridge, a railway crossing, a cliff, a car park).
    AddLocation {
        /// Its name, as records give it in location_of_concern.
        name: String,
        /// What kind of place it is.
        #[arg(long, default_value = "other")]
        kind: String,
        /// Latitude.
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// Longitude.
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Measures in place, separated by commas (barriers, signage, helpline signs).
        #[arg(long, value_delimiter = ',')]
        measures: Vec<String>,
        /// When the measures are next reviewed (YYYY-MM-DD).
        #[arg(long)]
        review_date: Option<chrono::NaiveDate>,
        /// Notes.
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// The registered locations of concern.
    Locations,
}

/// The detectors' settings; each one given replaces the saved one.
#[derive(Debug, Clone, Args)]
pub(crate) struct DetectArgs {
    /// Monte Carlo replications for the scans (default 999).
    #[arg(long)]
    pub(crate) replications: Option<usize>,
    /// Retrospective scans report clusters with a p-value at most this (default 0.05).
    #[arg(long)]
    pub(crate) scan_alpha: Option<f64>,
    /// Prospective scans report clusters that would arise by chance at most once in this many
    /// days (default 365).
    #[arg(long)]
    pub(crate) recurrence_days: Option<f64>,
    /// The Farrington methods' significance for unusual rises (default 0.001).
    #[arg(long)]
    pub(crate) temporal_alpha: Option<f64>,
    /// A week is an unusual rise only with at least this many events (default 5).
    #[arg(long)]
    pub(crate) min_count: Option<f64>,
    /// Unusual rises are reported over this many recent weeks (default 52).
    #[arg(long)]
    pub(crate) lookback_weeks: Option<usize>,
    /// Closeness rule: this many suspected suicides (default 3) ...
    #[arg(long)]
    pub(crate) near_count: Option<usize>,
    /// ... each within this many metres (default 1000) ...
    #[arg(long)]
    pub(crate) near_metres: Option<f64>,
    /// ... and this many days of another (default 90).
    #[arg(long)]
    pub(crate) near_days: Option<i64>,
    /// A death within this many metres of a location of concern is at it (default 250).
    #[arg(long)]
    pub(crate) concern_metres: Option<f64>,
}

impl DetectArgs {
    /// `base` with every setting given here in its place.
    pub(crate) fn apply(
        &self,
        base: &lantern_core::signals::DetectOptions,
    ) -> lantern_core::signals::DetectOptions {
        lantern_core::signals::DetectOptions {
            replications: self.replications.unwrap_or(base.replications),
            scan_alpha: self.scan_alpha.unwrap_or(base.scan_alpha),
            recurrence_days: self.recurrence_days.unwrap_or(base.recurrence_days),
            temporal_alpha: self.temporal_alpha.unwrap_or(base.temporal_alpha),
            min_count: self.min_count.unwrap_or(base.min_count),
            lookback_weeks: self.lookback_weeks.unwrap_or(base.lookback_weeks),
            near_count: self.near_count.unwrap_or(base.near_count),
            near_metres: self.near_metres.unwrap_or(base.near_metres),
            near_days: self.near_days.unwrap_or(base.near_days),
            concern_metres: self.concern_metres.unwrap_or(base.concern_metres),
            ..*base
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum RetentionCommand {
    /// Keep a dataset's records this many whole years after their date (0: keep for ever).
    Set {
        /// suicides or self-harm.
        #[arg(value_enum)]
        dataset: ExportDataset,
        /// Years to keep.
        years: u32,
    },
    /// Show each dataset's period.
    Show,
    /// Delete records past their dataset's period, with their histories (audited).
    Apply {
        /// Count what would be deleted, and delete nothing (also audited).
        #[arg(long)]
        dry_run: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user; the password is the first line of standard input.
    Add {
        /// Sign-in name (a-z, 0-9, '.', '_', '-').
        name: String,
        /// admin, analyst, recorder, lead or partner.
        #[arg(long)]
        role: String,
        /// Limit the user to this area and the areas inside it (a GSS code Lantern knows).
        #[arg(long)]
        area: Option<String>,
        /// The user's organisation: for a recorder, the register `source` whose records they
        /// enter and see (required for recorders).
        #[arg(long)]
        organisation: Option<String>,
    },
    /// List users (never their password hashes).
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user and end their sessions.
    Disable {
        /// The user.
        name: String,
    },
    /// Enable a disabled user.
    Enable {
        /// The user.
        name: String,
    },
    /// Set a new password (first line of standard input, or --generate) and end the user's
    /// sessions.
    ResetPassword {
        /// The user.
        name: String,
        /// Generate a password and print it once.
        #[arg(long)]
        generate: bool,
    },
    /// Set up a TOTP second factor for a user (prints the secret once, for their authenticator
    /// app), or remove it with --off.
    Totp {
        /// The user.
        name: String,
        /// Remove the second factor.
        #[arg(long)]
        off: bool,
    },
    /// Change a user's role and end their sessions.
    SetRole {
        /// The user.
        name: String,
        /// The new role.
        #[arg(long)]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the hash chain: exits 1 if any entry was altered, removed or reordered.
    Verify,
    /// Write every entry (one row each, with the user name and the record id).
    Export {
        /// csv or json.
        #[arg(long, value_enum, default_value = "csv")]
        format: AuditFormat,
        /// Where to write.
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum AuditFormat {
    /// Comma-separated values.
    Csv,
    /// JSON array.
    Json,
}

/// A confidence level strictly between 0 and 1.
fn confidence(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(c) if c > 0.0 && c < 1.0 => Ok(c),
        _ => Err(format!(
            "'{s}' is not a confidence level above 0 and below 1 (such as 0.95 or 0.998)"
        )),
    }
}

/// A multiplier above 0.
fn multiplier(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(m) if m > 0.0 && m.is_finite() => Ok(m),
        _ => Err(format!(
            "'{s}' is not a multiplier above 0 (such as 100000)"
        )),
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum StatsCommand {
    /// Crude rates with exact Poisson (count < 10) or Byar's limits. Input: group,count,population.
    Crude {
        /// The CSV file.
        #[arg(long)]
        input: PathBuf,
        /// Rate per this many people.
        #[arg(long, default_value = "100000", value_parser = multiplier)]
        multiplier: f64,
        /// Confidence level of the limits.
        #[arg(long, default_value = "0.95", value_parser = confidence)]
        confidence: f64,
    },
    /// Proportions with Wilson score limits. Input: group,count,denominator.
    Proportion {
        /// The CSV file.
        #[arg(long)]
        input: PathBuf,
        /// Confidence level of the limits.
        #[arg(long, default_value = "0.95", value_parser = confidence)]
        confidence: f64,
        /// Proportion per this many (100 gives percentages).
        #[arg(long, default_value = "100", value_parser = multiplier)]
        multiplier: f64,
    },
    /// Aberration detection on a count series: is a period's count above what the recent past
    /// (or the same time in past years) leads one to expect? Input: period,count in time order;
    /// periods that are all ISO dates let the Farrington methods find past years' weeks by date.
    /// Output: one object per period in the range with period, count, upper_bound (null where
    /// undefined) and alarm. Parameters are named after R surveillance's controls; its defaults
    /// apply.
    Detect {
        /// ears-c1, ears-c2, ears-c3 (Hutwagner 2003), cusum (standardised counts), farrington
        /// (Farrington 1996) or farrington-flexible (Noufaily 2013). Default: by the length of
        /// the series, farrington-flexible from 4 years, ears-c1 from 26 weeks, else cusum.
        #[arg(long, value_enum)]
        method: Option<DetectMethodArg>,
        /// The CSV file.
        #[arg(long)]
        input: PathBuf,
        /// Periods a year (52 weekly, 12 monthly), for the Farrington methods' past years.
        #[arg(long, default_value_t = 52, value_parser = clap::value_parser!(u32).range(2..))]
        frequency: u32,
        /// Rows to assess, 1-based and inclusive, as R's range: START:END (default: every row
        /// the method can assess).
        #[arg(long, value_parser = detect_range)]
        range: Option<(usize, usize)>,
        /// A period alarms only when its count is at least this (a guard against single
        /// events in sparse series; 0 as R).
        #[arg(long, default_value_t = 0.0)]
        min_count: f64,
        /// The bound's level: EARS 1 - alpha quantile (default 0.001); Farrington default 0.05
        /// (two-sided for the classic method, as R).
        #[arg(long)]
        alpha: Option<f64>,
        /// EARS: periods in the sliding baseline.
        #[arg(long, default_value_t = 7)]
        baseline: usize,
        /// EARS: the smallest standard deviation used.
        #[arg(long, default_value_t = 0.0)]
        min_sigma: f64,
        /// CUSUM: the reference value subtracted from each standardised count.
        #[arg(long, default_value_t = 1.04)]
        k: f64,
        /// CUSUM: the decision interval.
        #[arg(long, default_value_t = 2.26)]
        h: f64,
        /// CUSUM: the in-control mean (default: the mean of the rows before the range).
        #[arg(long)]
        m: Option<f64>,
        /// CUSUM: start the sum again from 0 after an alarm (R's cusum does not).
        #[arg(long)]
        reset: bool,
        /// Farrington: years back.
        #[arg(long, default_value_t = 5)]
        b: usize,
        /// Farrington: half-width of the window around the same week in past years.
        #[arg(long, default_value_t = 3)]
        w: usize,
        /// Farrington flexible: levels of the seasonal factor (1: the windows only).
        #[arg(long, default_value_t = 1)]
        no_periods: usize,
        /// Farrington flexible: recent periods left out of the baseline (default: w).
        #[arg(long)]
        past_weeks_not_included: Option<usize>,
        /// Farrington: Anscombe residuals above this are down-weighted (classic 1, flexible
        /// 2.58).
        #[arg(long)]
        weights_threshold: Option<f64>,
        /// Farrington: keep the trend only when its p-value is below this.
        #[arg(long, default_value_t = 0.05)]
        p_threshold_trend: f64,
        /// Farrington flexible: delta, nbPlugin or muan.
        #[arg(long, value_enum, default_value = "delta")]
        threshold_method: ThresholdMethodArg,
        /// Farrington: 2/3, 1/2 or none.
        #[arg(long, value_enum, default_value = "2/3")]
        power_trans: PowerTransArg,
        /// Farrington: do not down-weight past outbreaks.
        #[arg(long)]
        no_reweight: bool,
        /// Farrington: fit no trend.
        #[arg(long)]
        no_trend: bool,
        /// Farrington: no bound and no alarm when the last WEEKS periods hold fewer than CASES
        /// (R's limit54); 0,1 turns it off.
        #[arg(long, default_value = "5,4", value_parser = limit54)]
        limit54: (f64, usize),
    },
    /// Kulldorff's scan statistics on files in SaTScan's formats: is there a circle (a cylinder,
    /// over time) where cases are more common than expected? Output: the model, the
    /// replications, and clusters (most likely first, then secondary clusters with no location
    /// in common), each with rank, centre, locations, radius, start, end, observed, expected,
    /// relative_risk, llr, p_value and recurrence_interval_days.
    Scan {
        /// poisson (purely spatial, needs --population), space-time-poisson (needs
        /// --population) or space-time-permutation (cases only).
        #[arg(long, value_enum)]
        model: ScanModelArg,
        /// Cases: location, count, then a date and covariates if any; white space or commas between
        /// cells.
        #[arg(long)]
        cases: PathBuf,
        /// Coordinates: location latitude longitude (or location x y with
        /// --coordinates-type cartesian).
        #[arg(long)]
        coordinates: PathBuf,
        /// Population: location, year, population, then covariates if any; censuses are
        /// interpolated.
        #[arg(long)]
        population: Option<PathBuf>,
        /// latlong (distances in km on the sphere) or cartesian.
        #[arg(long, value_enum, default_value = "latlong")]
        coordinates_type: CoordinatesTypeArg,
        /// The study period's first day (YYYY-MM-DD, YYYY/MM/DD or YYYY; default: the first
        /// case's).
        #[arg(long, value_parser = study_start)]
        start: Option<chrono::NaiveDate>,
        /// The study period's last day (default: the last case's).
        #[arg(long, value_parser = study_end)]
        end: Option<chrono::NaiveDate>,
        /// retrospective, or prospective: only clusters still going on at the end date.
        #[arg(long, value_enum, default_value = "retrospective")]
        analysis: AnalysisArg,
        /// The largest window, in percent of the population at risk (of the cases, for the
        /// permutation model).
        #[arg(long, default_value_t = 50.0)]
        max_spatial_percent: f64,
        /// The largest radius, in km (coordinate units when Cartesian).
        #[arg(long)]
        max_radius: Option<f64>,
        /// The longest cluster in time, in days.
        #[arg(long, conflicts_with = "max_temporal_percent")]
        max_temporal_days: Option<u32>,
        /// The longest cluster in time, in percent of the study period (default 50).
        #[arg(long)]
        max_temporal_percent: Option<f64>,
        /// Days in each period (with --time-aggregation-unit day).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        time_aggregation_days: u32,
        /// day, month or year.
        #[arg(long, value_enum, default_value = "day")]
        time_aggregation_unit: TimeUnitArg,
        /// Months or years in each period (with --time-aggregation-unit month or year).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        time_aggregation_length: u32,
        /// Monte Carlo replications (0 for none; 999 is usual).
        #[arg(long, default_value_t = 999)]
        replications: usize,
        /// The random seed: the same seed gives the same p-values on any number of threads.
        #[arg(long, default_value_t = 12_345_678)]
        seed: u64,
        /// Threads for the replications (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        /// The fewest cases a cluster may hold.
        #[arg(long, default_value_t = 2)]
        min_cases: u32,
        /// The most clusters reported.
        #[arg(long, default_value_t = 10)]
        max_clusters: usize,
        /// space-time-poisson: none (cases expected in proportion to population-time, as
        /// SaTScan) or equal-periods (every period expects the same number of cases, spread by
        /// that period's population, as scanstatistics).
        #[arg(long, value_enum, default_value = "none")]
        time_adjustment: TimeAdjustmentArg,
    },
    /// Getis-Ord Gi* hot spots over areas (Ord and Getis 1995). Input: id,value; weights:
    /// from,to and optionally weight (1 when absent), each row linking both ways unless
    /// --directed. Output: one object per area with id, z and p (one-sided on |z|, as PySAL
    /// esda).
    Gistar {
        /// The CSV of areas and values.
        #[arg(long)]
        input: PathBuf,
        /// The CSV of neighbour pairs.
        #[arg(long)]
        weights: PathBuf,
        /// Gi: leave the area itself out of its neighbourhood.
        #[arg(long)]
        no_star: bool,
        /// Each weights row is one direction only.
        #[arg(long)]
        directed: bool,
        /// Conditional permutations for a permutation p-value, p_sim (e.g. 999).
        #[arg(long, default_value_t = 0)]
        permutations: usize,
        /// The permutations' seed.
        #[arg(long, default_value_t = 12_345)]
        seed: u64,
    },
    /// Directly standardised rates with Dobson limits (not computed when a group's total count
    /// is below 10). Input: group,age_band,count,population; bands as ESP2013 (0-4 ... 90+) or
    /// ONS labels (10 to 14).
    Dsr {
        /// The CSV file.
        #[arg(long)]
        input: PathBuf,
        /// esp2013, or a CSV with age_band,weight.
        #[arg(long, default_value = "esp2013")]
        standard: String,
        /// Rate per this many people.
        #[arg(long, default_value = "100000", value_parser = multiplier)]
        multiplier: f64,
        /// Confidence level of the limits.
        #[arg(long, default_value = "0.95", value_parser = confidence)]
        confidence: f64,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ExportDataset {
    /// Suspected suicides.
    Suicides,
    /// Self-harm presentations.
    SelfHarm,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// audit | cyp-audit | quarterly | self-harm | plan
    #[arg(value_parser = lantern_core::reports::Kind::parse)]
    pub(crate) kind: lantern_core::reports::Kind,
    /// The period: 2024 (a year), 2024Q3 (a quarter), 2024-25 (a financial year), 2024-07 (a
    /// month) or 2024-04..2025-03 (a range of months).
    #[arg(long, value_parser = lantern_core::reports::ReportPeriod::parse)]
    pub(crate) period: lantern_core::reports::ReportPeriod,
    /// Residents of this area only (a GSS code; partner and public: a local authority or
    /// larger). The whole partnership when left out.
    #[arg(long)]
    pub(crate) area: Option<String>,
    /// statutory (full detail) | partner (small numbers protected) | public (partner rules and
    /// the media guidelines).
    #[arg(long, default_value = "partner", value_parser = lantern_core::indicators::Audience::parse)]
    pub(crate) audience: lantern_core::indicators::Audience,
    /// The file format.
    #[arg(long, value_enum, default_value = "html")]
    pub(crate) format: ReportFormat,
    /// The file to write (standard output when left out).
    #[arg(long)]
    pub(crate) output: Option<PathBuf>,
    /// The deep dive's ages (cyp-audit; default 10-24; other ranges are statutory only).
    #[arg(long, value_parser = lantern_core::reports::parse_ages)]
    pub(crate) ages: Option<(u32, u32)>,
    /// The plan (plan: required; quarterly: only this plan instead of every plan).
    #[arg(long)]
    pub(crate) plan: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// One HTML file that prints well.
    Html,
    /// PDF.
    Pdf,
    /// Every table one after another, each with a title line.
    Csv,
    /// Each table on its own sheet, after a cover sheet.
    Xlsx,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ExportFormat {
    /// Comma-separated values.
    Csv,
    /// Excel workbook.
    Xlsx,
    /// JSON array.
    Json,
}

impl ExportDataset {
    /// The register dataset named.
    pub(crate) fn dataset(self) -> &'static lantern_core::register::Dataset {
        match self {
            Self::Suicides => &lantern_core::register::SUICIDES,
            Self::SelfHarm => &lantern_core::register::SELF_HARM,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ExportWhat {
    /// Suspected suicides.
    Suicides,
    /// Self-harm presentations.
    SelfHarm,
    /// Action plans (JSON: the plans whole; CSV and XLSX: the plan template's columns).
    Plans,
    /// Benchmarks (CSV, which `lantern import benchmarks` reads back, or JSON).
    Benchmarks,
    /// The support directory (CSV, which `lantern import services` reads back, or JSON).
    Services,
    /// Organisations and their roles (CSV, which `lantern import organisations` reads back, or
    /// JSON).
    Organisations,
    /// Training (CSV, which `lantern import training` reads back, or JSON).
    Training,
    /// Media reports (CSV, which `lantern import media` reads back, or JSON).
    Media,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// What to export.
    pub(crate) dataset: ExportWhat,
    /// Only this plan (plans only; see `lantern plans list`).
    #[arg(long)]
    pub(crate) plan: Option<i64>,
    /// File format.
    #[arg(long, value_enum, default_value = "csv")]
    pub(crate) format: ExportFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    pub(crate) output: Option<PathBuf>,
    /// Register CSV and XLSX: labels for people instead of codes (`Date of death`, `Male`,
    /// `Hanging, strangulation and suffocation`), with each area's name beside its code. The
    /// file still re-imports as the same records.
    #[arg(long)]
    pub(crate) labels: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PseudonymiseArgs {
    /// The CSV or XLSX file with an nhs_number column.
    pub(crate) file: PathBuf,
    /// Where to write the CSV with person_key instead.
    #[arg(long)]
    pub(crate) output: PathBuf,
    /// A file holding the deployment's key in hexadecimal (64 or more characters).
    #[arg(long)]
    pub(crate) key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum DetectMethodArg {
    /// EARS C1: a baseline of the periods just before.
    #[value(name = "ears-c1")]
    EarsC1,
    /// EARS C2: the baseline ends two periods before.
    #[value(name = "ears-c2")]
    EarsC2,
    /// EARS C3: the C2 excesses of the period and the two before.
    #[value(name = "ears-c3")]
    EarsC3,
    /// CUSUM of standardised counts.
    Cusum,
    /// Farrington et al. (1996), as R's farrington.
    Farrington,
    /// Noufaily et al. (2013), as R's farringtonFlexible.
    #[value(name = "farrington-flexible")]
    FarringtonFlexible,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ScanModelArg {
    /// Purely spatial, discrete Poisson.
    Poisson,
    /// Space-time, discrete Poisson.
    #[value(name = "space-time-poisson")]
    SpaceTimePoisson,
    /// Space-time permutation.
    #[value(name = "space-time-permutation")]
    SpaceTimePermutation,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum CoordinatesTypeArg {
    /// Latitude and longitude in degrees.
    Latlong,
    /// Cartesian x and y.
    Cartesian,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum AnalysisArg {
    /// Every cluster in the study period.
    Retrospective,
    /// Only clusters still going on at the end date.
    Prospective,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TimeAdjustmentArg {
    /// Expected cases follow population-time.
    None,
    /// Every period expects the same number of cases.
    EqualPeriods,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum TimeUnitArg {
    /// Days.
    Day,
    /// Calendar months.
    Month,
    /// Calendar years.
    Year,
}

/// A study period's first day, or with `end` its last (`1991` ends on 31 December).
fn study_day(s: &str, end: bool) -> Result<chrono::NaiveDate, String> {
    lantern_core::scan_files::study_date(s, end)
        .ok_or_else(|| format!("'{s}' is not a date (YYYY-MM-DD, YYYY/MM/DD or YYYY)"))
}

fn study_start(s: &str) -> Result<chrono::NaiveDate, String> {
    study_day(s, false)
}

fn study_end(s: &str) -> Result<chrono::NaiveDate, String> {
    study_day(s, true)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ThresholdMethodArg {
    /// The delta method on the power-transformed scale.
    Delta,
    /// Negative binomial quantile at the predicted mean.
    #[value(name = "nbPlugin")]
    NbPlugin,
    /// Negative binomial quantile at the mean's upper confidence limit.
    Muan,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum PowerTransArg {
    /// Counts to the power 2/3.
    #[value(name = "2/3")]
    TwoThirds,
    /// Square roots.
    #[value(name = "1/2")]
    Half,
    /// No transformation.
    None,
}

/// `CASES,WEEKS` for the Farrington methods' low-count rule.
fn limit54(s: &str) -> Result<(f64, usize), String> {
    let (a, b) = s
        .split_once(',')
        .ok_or_else(|| format!("'{s}' is not CASES,WEEKS (e.g. 5,4)"))?;
    let cases: f64 = a
        .trim()
        .parse()
        .map_err(|_| format!("'{a}' is not a number of cases"))?;
    let weeks: usize = b
        .trim()
        .parse()
        .map_err(|_| format!("'{b}' is not a number of weeks"))?;
    if cases.is_nan() || cases < 0.0 || weeks == 0 {
        return Err(format!("{s}: cases must be 0 or more and weeks at least 1"));
    }
    Ok((cases, weeks))
}

/// `START:END`, 1-based, START at least 1 and not after END.
fn detect_range(s: &str) -> Result<(usize, usize), String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not START:END (e.g. 282:312)"))?;
    let a: usize = a
        .trim()
        .parse()
        .map_err(|_| format!("'{a}' is not a row number"))?;
    let b: usize = b
        .trim()
        .parse()
        .map_err(|_| format!("'{b}' is not a row number"))?;
    if a == 0 || a > b {
        return Err(format!(
            "{s}: rows count from 1 and START must not be after END"
        ));
    }
    Ok((a, b))
}

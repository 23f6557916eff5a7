//! `lantern profiles save|list|show|remove|suggest`, finding the profile `--profile` names, and
//! `lantern sources add|list|rename`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use lantern_core::SharedStore;
use lantern_core::import::{self, ImportError, Profile};
use lantern_core::store::SavedProfile;

use crate::cli::{DuplicatesCommand, ProfilesCommand, SourcesCommand};
use crate::commands::cli_audit_entry;

pub(crate) async fn manage_duplicates(
    store: &SharedStore,
    what: DuplicatesCommand,
) -> anyhow::Result<ExitCode> {
    let (id, status, verb) = match what {
        DuplicatesCommand::Find => {
            let queued = store.find_duplicates().await?;
            eprintln!("Queued {queued} possible duplicates for review.");
            return Ok(ExitCode::SUCCESS);
        }
        DuplicatesCommand::List { all, json } => {
            let pairs = store
                .duplicates(if all { None } else { Some("open") })
                .await?;
            let shown = |r: &lantern_core::register::StoredRecord| {
                let t = |f: &str| r.record.text(f);
                format!(
                    "#{} {} {} died {} age {} {} {}",
                    r.id,
                    t("source"),
                    t("source_ref"),
                    t("date_of_death"),
                    t("age"),
                    t("sex"),
                    t("residence_area")
                )
            };
            if json {
                let items: Vec<serde_json::Value> = pairs
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "id": p.id,
                            "status": p.status,
                            "decided_by": p.decided_by,
                            "first": p.first.to_json(),
                            "second": p.second.to_json(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(items));
            } else if pairs.is_empty() {
                eprintln!("No possible duplicates wait for review.");
            } else {
                for p in pairs {
                    println!(
                        "{}\t{}\t{}\t{}",
                        p.id,
                        p.status,
                        shown(&p.first),
                        shown(&p.second)
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        DuplicatesCommand::Same { id } => (id, "same", "confirmed as one person"),
        DuplicatesCommand::Distinct { id } => (id, "distinct", "marked as two people"),
        DuplicatesCommand::Undo { id } => (id, "open", "back in the queue"),
    };
    match store
        .decide_duplicate(id, status, &crate::commands::cli_actor())
        .await
    {
        Err(lantern_core::StoreError::NotFound) => {
            anyhow::bail!("there is no possible duplicate {id} (lantern duplicates list --all)")
        }
        other => other?,
    }
    cli_audit_entry(
        store,
        "duplicate_decision",
        Some(&lantern_core::register::SUICIDES),
        format!("pair={id} status={status}"),
    )
    .await?;
    eprintln!("Pair {id} {verb}.");
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn manage_sources(
    store: &SharedStore,
    what: SourcesCommand,
) -> anyhow::Result<ExitCode> {
    match what {
        SourcesCommand::Add { name, label } => {
            check_name(&name)?;
            let source = lantern_core::store::Source {
                label: label.unwrap_or_else(|| name.clone()),
                name: name.clone(),
                added_at: chrono::Utc::now(),
                added_by: crate::commands::cli_actor(),
            };
            store.add_source(&source).await?;
            cli_audit_entry(store, "source_add", None, format!("name={name}")).await?;
            eprintln!("Listed the source {name}.");
        }
        SourcesCommand::List { json } => {
            let all = store.listed_sources().await?;
            if json {
                println!("{}", serde_json::to_string(&all)?);
            } else if all.is_empty() {
                eprintln!("No sources are listed, so any is taken (lantern sources add NAME).");
            } else {
                for s in all {
                    println!("{}\t{}\t{}", s.name, s.label, s.added_at.format("%Y-%m-%d"));
                }
            }
        }
        SourcesCommand::Rename { old, new } => {
            check_name(&new)?;
            let changed = match store.rename_source(&old, &new).await {
                Err(lantern_core::StoreError::NotFound) => {
                    anyhow::bail!("{old} is not a listed source (lantern sources list)")
                }
                other => other?,
            };
            cli_audit_entry(
                store,
                "source_rename",
                None,
                format!("from={old} to={new} records={changed}"),
            )
            .await?;
            eprintln!("Renamed {old} to {new}, and {changed} records with it.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A name of a profile or a source: letters, digits, `-` and `_`, 1 to 64 of them.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    anyhow::ensure!(
        ok,
        "'{}' is not a name Lantern takes: use 1 to 64 letters, digits, '-' or '_'",
        lantern_core::text::printable(name, 80)
    );
    Ok(())
}

/// The profile `--profile` names: a file when one is there, else a saved profile of that name.
pub(crate) async fn resolve(
    store: &SharedStore,
    given: &Path,
) -> anyhow::Result<Result<Profile, ImportError>> {
    if given.is_file() {
        return Ok(Profile::read(given));
    }
    let name = given.to_string_lossy();
    match store.profile(&name).await? {
        Some(saved) => Ok(Profile::parse(&format!("profile {name}"), &saved.toml)),
        None => {
            let saved: Vec<String> = store
                .profiles()
                .await?
                .into_iter()
                .map(|p| p.name)
                .collect();
            anyhow::bail!(
                "--profile {}: no such file, and no saved profile of that name (saved: {})",
                lantern_core::text::printable(&name, 80),
                if saved.is_empty() {
                    "none".to_owned()
                } else {
                    saved.join(", ")
                }
            )
        }
    }
}

fn print_problems(e: &ImportError) {
    if let ImportError::Invalid(problems) = e {
        for p in problems {
            eprintln!("{p}");
        }
    }
    eprintln!("error: {e}");
}

pub(crate) async fn manage(store: &SharedStore, what: ProfilesCommand) -> anyhow::Result<ExitCode> {
    match what {
        ProfilesCommand::Save { name, file } => {
            check_name(&name)?;
            let profile = match Profile::read(&file) {
                Ok(p) => p,
                Err(e) => {
                    print_problems(&e);
                    return Ok(ExitCode::FAILURE);
                }
            };
            let toml = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let saved = SavedProfile {
                name: name.clone(),
                dataset: profile.dataset.name.to_owned(),
                toml,
                saved_at: chrono::Utc::now(),
                saved_by: crate::commands::cli_actor(),
            };
            let replaced = store.save_profile(&saved).await?;
            cli_audit_entry(
                store,
                "profile_save",
                Some(profile.dataset),
                format!("name={name} replaced={replaced} file={}", file.display()),
            )
            .await?;
            eprintln!(
                "{} the {} profile '{name}'; use it with --profile {name}.",
                if replaced { "Replaced" } else { "Saved" },
                profile.dataset.name
            );
        }
        ProfilesCommand::List { json } => {
            let all = store.profiles().await?;
            if json {
                println!("{}", serde_json::to_string(&all)?);
            } else if all.is_empty() {
                eprintln!("No profiles are saved (lantern profiles save NAME P.toml).");
            } else {
                for p in all {
                    println!(
                        "{}\t{}\t{}\t{}",
                        p.name,
                        p.dataset,
                        p.saved_at.format("%Y-%m-%d %H:%M"),
                        p.saved_by
                    );
                }
            }
        }
        ProfilesCommand::Show { name } => match store.profile(&name).await? {
            Some(p) => print!("{}", p.toml),
            None => {
                eprintln!(
                    "error: no saved profile is called '{}'",
                    lantern_core::text::printable(&name, 80)
                );
                return Ok(ExitCode::FAILURE);
            }
        },
        ProfilesCommand::Remove { name } => {
            if !store.remove_profile(&name).await? {
                eprintln!(
                    "error: no saved profile is called '{}'",
                    lantern_core::text::printable(&name, 80)
                );
                return Ok(ExitCode::FAILURE);
            }
            cli_audit_entry(store, "profile_remove", None, format!("name={name}")).await?;
            eprintln!("Removed the profile '{name}'.");
        }
        ProfilesCommand::Suggest {
            file,
            dataset,
            source,
            output,
        } => {
            let Some(dataset) = lantern_core::register::dataset(&dataset) else {
                anyhow::bail!("--dataset {dataset}: use suicides or self-harm");
            };
            let table = match import::read_table(&file) {
                Ok(t) => t,
                Err(e) => {
                    print_problems(&e);
                    return Ok(ExitCode::FAILURE);
                }
            };
            let text = import::suggest(dataset, &table, source.as_deref());
            match output {
                Some(out) => {
                    std::fs::write(&out, &text)
                        .with_context(|| format!("cannot write {}", out.display()))?;
                    eprintln!(
                        "Wrote {}: check every line, then try it with lantern import {} {} --profile {} --dry-run",
                        out.display(),
                        dataset.name,
                        file.display(),
                        out.display()
                    );
                }
                None => print!("{text}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

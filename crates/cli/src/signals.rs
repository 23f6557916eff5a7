//! `lantern signals run|configure|list|add-location|locations`.

use std::process::ExitCode;

use lantern_core::SharedStore;
use lantern_core::signals::{self, DetectOptions, LocationOfConcern};

use crate::cli::SignalsCommand;
use crate::commands::cli_audit_entry;

pub(crate) async fn manage(store: &SharedStore, what: SignalsCommand) -> anyhow::Result<ExitCode> {
    match what {
        SignalsCommand::Run { settings, json } => {
            let options = settings.apply(&signals::saved_options(store.as_ref()).await?);
            if let Err(e) = options.check() {
                eprintln!("error: {e}");
                return Ok(ExitCode::FAILURE);
            }
            eprintln!(
                "Running the detectors over the register ({} replications for the scans)…",
                options.replications
            );
            let done = signals::refresh(store.as_ref(), &options).await?;
            cli_audit_entry(
                store,
                "signals_run",
                None,
                format!(
                    "{} found, {} new, snapshot {}",
                    done.found, done.new, done.snapshot
                ),
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string(&done)?);
            } else {
                eprintln!(
                    "Found {} signals ({} new) in {:.1} s.",
                    done.found,
                    done.new,
                    done.elapsed_ms as f64 / 1000.0
                );
            }
        }
        SignalsCommand::Configure { settings, reset } => {
            let saved = signals::saved_options(store.as_ref()).await?;
            let defaults = DetectOptions::default();
            let options = settings.apply(if reset { &defaults } else { &saved });
            if let Err(e) = options.check() {
                eprintln!("error: {e}; nothing was changed");
                return Ok(ExitCode::FAILURE);
            }
            if options != saved || reset {
                signals::save_options(store.as_ref(), &options).await?;
                let json = serde_json::to_string(&options)?;
                cli_audit_entry(store, "signals_configure", None, json).await?;
                eprintln!(
                    "Saved. The server recomputes the signals with these at its next check; `lantern signals run` does it now."
                );
            }
            println!("{}", serde_json::to_string_pretty(&options)?);
        }
        SignalsCommand::List { json } => {
            let all = store.signals().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for s in &all {
                    println!(
                        "{:>5}  {:<12}  {:<18}  {}\n       {}",
                        s.id,
                        s.status.label(),
                        s.found.kind.label(),
                        s.found.title,
                        s.found.explanation
                    );
                }
                eprintln!("{} signals.", all.len());
            }
        }
        SignalsCommand::AddLocation {
            name,
            kind,
            lat,
            lon,
            measures,
            review_date,
            notes,
        } => {
            let location = match LocationOfConcern::new(
                &name,
                &kind,
                (lat, lon),
                measures.iter().map(String::as_str),
                review_date,
                &notes,
            ) {
                Ok(l) => l,
                Err(message) => {
                    eprintln!("error: {message}");
                    return Ok(ExitCode::from(1));
                }
            };
            let id = store.add_location_of_concern(&location).await?;
            cli_audit_entry(
                store,
                "location_of_concern_add",
                None,
                format!("{} ({id})", location.name),
            )
            .await?;
            eprintln!("Registered {} as location of concern {id}.", location.name);
        }
        SignalsCommand::Locations => {
            for l in store.locations_of_concern().await? {
                println!(
                    "{:>4}  {}  ({}, {:.5} {:.5})  measures: {}",
                    l.id,
                    l.name,
                    l.kind,
                    l.lat,
                    l.lon,
                    if l.measures.is_empty() {
                        "none recorded".to_owned()
                    } else {
                        l.measures.join(", ")
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

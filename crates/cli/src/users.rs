//! `lantern user add|list|disable|enable|reset-password|set-role`, and the demo's users.
//! Passwords come from standard input (so they stay out of shell history and `ps`), are checked
//! against the policy, and are stored only as argon2id hashes. Every change is audited.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use lantern_core::SharedStore;
use lantern_core::area::AreaLevel;
use lantern_core::auth::{self, NewUser, Role, UserChange};

use crate::cli::UserCommand;
use crate::commands::cli_audit_entry;

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!(
            "give the password on standard input, for example: printf '%s\\n' \"$PASSWORD\" | lantern user add ..."
        );
    }
    Ok(password)
}

async fn hash(password: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || auth::hash_password(&password)).await??)
}

pub(crate) async fn run(store: &SharedStore, what: UserCommand) -> anyhow::Result<ExitCode> {
    match what {
        UserCommand::Add {
            name,
            role,
            area,
            organisation,
        } => {
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            auth::check_username(&name).map_err(anyhow::Error::msg)?;
            if let Some(a) = &area {
                store.area(a).await.with_context(|| {
                    format!("--area {a}: Lantern has no such area (import areas first)")
                })?;
            }
            if let Some(c) = organisation
                .as_deref()
                .and_then(lantern_core::text::forbidden_control)
            {
                bail!("--organisation {}", lantern_core::text::control_message(c));
            }
            if role == Role::Recorder && organisation.as_deref().is_none_or(str::is_empty) {
                bail!(
                    "a recorder needs --organisation: the register source whose records they own"
                );
            }
            let password = read_password()?;
            auth::check_password(&password, &name).map_err(anyhow::Error::msg)?;
            let user = NewUser {
                username: name.clone(),
                role,
                area: area.clone(),
                organisation: organisation.clone(),
                password_hash: hash(password).await?,
            };
            store.create_user(&user).await?;
            let detail = format!(
                "user {name} added as {role}; area {}; organisation {}",
                area.as_deref().unwrap_or("all"),
                organisation.as_deref().unwrap_or("none")
            );
            cli_audit_entry(store, "user_add", None, detail).await?;
            eprintln!("Added {name} ({role}).");
        }
        UserCommand::List { json } => {
            let users = store.users().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                println!(
                    "{:<24} {:<9} {:<12} {:<24} state",
                    "user", "role", "area", "organisation"
                );
                for u in users {
                    println!(
                        "{:<24} {:<9} {:<12} {:<24} {}",
                        u.username,
                        u.role,
                        u.area.as_deref().unwrap_or("all"),
                        u.organisation.as_deref().unwrap_or(""),
                        if u.disabled { "disabled" } else { "active" }
                    );
                }
            }
        }
        UserCommand::Disable { name } => {
            change(
                store,
                &name,
                UserChange {
                    disabled: Some(true),
                    ..UserChange::default()
                },
                "user_disable",
                "disabled",
            )
            .await?
        }
        UserCommand::Enable { name } => {
            change(
                store,
                &name,
                UserChange {
                    disabled: Some(false),
                    ..UserChange::default()
                },
                "user_enable",
                "enabled",
            )
            .await?
        }
        UserCommand::ResetPassword { name, generate } => {
            let password = if generate {
                auth::generate_password()
            } else {
                read_password()?
            };
            auth::check_password(&password, &name).map_err(anyhow::Error::msg)?;
            let c = UserChange {
                password_hash: Some(hash(password.clone()).await?),
                ..UserChange::default()
            };
            change(store, &name, c, "password_reset", "given a new password").await?;
            if generate {
                println!("{password}");
            }
        }
        UserCommand::Totp { name, off } => {
            if off {
                let c = UserChange {
                    totp_secret: Some(None),
                    ..UserChange::default()
                };
                change(store, &name, c, "totp_disable", "has no second factor").await?;
            } else {
                let secret = auth::new_totp_secret();
                let c = UserChange {
                    totp_secret: Some(Some(lantern_core::hex(&secret))),
                    ..UserChange::default()
                };
                change(
                    store,
                    &name,
                    c,
                    "totp_enable",
                    "needs an authentication code to sign in",
                )
                .await?;
                println!("secret: {}", auth::base32(&secret));
                println!("uri:    {}", auth::totp_uri(&name, &secret));
            }
        }
        UserCommand::SetRole { name, role } => {
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let before = store
                .user(&name)
                .await?
                .with_context(|| format!("no user called {name}"))?;
            let c = UserChange {
                role: Some(role),
                ..UserChange::default()
            };
            change(
                store,
                &name,
                c,
                "role_change",
                &format!("role {} -> {role}", before.role),
            )
            .await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn change(
    store: &SharedStore,
    name: &str,
    c: UserChange,
    action: &str,
    what: &str,
) -> anyhow::Result<()> {
    store.update_user(name, &c).await.map_err(|e| match e {
        lantern_core::StoreError::NotFound => anyhow::anyhow!("no user called {name}"),
        other => other.into(),
    })?;
    cli_audit_entry(store, action, None, format!("user {name} {what}")).await?;
    eprintln!("{name}: {what}; their sessions have ended.");
    Ok(())
}

/// The demo's users, one per role, with passwords generated now and printed once.
pub(crate) async fn demo_users(store: &SharedStore) -> anyhow::Result<()> {
    let county = store
        .areas(Some(AreaLevel::County))
        .await?
        .into_iter()
        .next()
        .map(|a| a.code);
    let district = store.areas(Some(AreaLevel::Lad)).await?.into_iter().next();
    let mut users = vec![
        (
            "admin",
            Role::Admin,
            None,
            None,
            "everything, including users and the audit log".to_owned(),
        ),
        (
            "analyst",
            Role::Analyst,
            county.clone(),
            None,
            "every person-level record in the county".to_owned(),
        ),
        (
            "police.recorder",
            Role::Recorder,
            county,
            Some("ashvale_police"),
            "records from ashvale_police only".to_owned(),
        ),
        (
            "lead",
            Role::Lead,
            None,
            Some(lantern_core::demo::plan::DEMO_LEAD_ORGANISATION),
            format!(
                "action plans; posts updates on {}'s actions (no person-level records)",
                lantern_core::demo::plan::DEMO_LEAD_ORGANISATION
            ),
        ),
        (
            "partner",
            Role::Partner,
            None,
            None,
            "aggregates with small numbers protected".to_owned(),
        ),
    ];
    if let Some(d) = &district {
        users.insert(
            2,
            (
                "district.analyst",
                Role::Analyst,
                Some(d.code.clone()),
                None,
                format!("records of {} residents; others need a reason", d.name),
            ),
        );
    }
    println!(
        "Demo users (the passwords are shown once; reset with `lantern user reset-password NAME --generate`):"
    );
    for (name, role, area, org, what) in users {
        let password = auth::generate_password();
        store
            .create_user(&NewUser {
                username: name.to_owned(),
                role,
                area,
                organisation: org.map(str::to_owned),
                password_hash: hash(password.clone()).await?,
            })
            .await?;
        cli_audit_entry(
            store,
            "user_add",
            None,
            format!("demo user {name} added as {role}"),
        )
        .await?;
        println!("  {name:<17} {password}   {role}: {what}");
    }
    Ok(())
}

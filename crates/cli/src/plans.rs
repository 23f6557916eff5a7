//! `lantern import plans`, `lantern export plans` and `lantern plans list|remove`.

use std::process::ExitCode;

use anyhow::Context as _;
use lantern_core::SharedStore;
use lantern_core::import::ImportError;
use lantern_core::plans::{self, Plan, PlanFormat, PlanOptions, write};

use crate::cli::{ExportArgs, ExportFormat, PlanFileFormat, PlanImportArgs, PlansCommand};
use crate::commands::{cli_audit_entry, destination, print_problems, write_output};

pub(crate) async fn import(store: &SharedStore, args: &PlanImportArgs) -> anyhow::Result<ExitCode> {
    let opts = PlanOptions {
        title: args.title.clone(),
        area: args.area.clone(),
        period: args.period.clone(),
        owner: args.owner.clone(),
        statuses: args
            .statuses
            .iter()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect(),
        columns: match &args.columns {
            Some(c) => {
                plans::parse::parse_columns(c).map_err(|e| anyhow::anyhow!("--columns: {e}"))?
            }
            None => Vec::new(),
        },
        sections: match &args.sections {
            Some(p) => Some(
                plans::parse::SectionPattern::parse(p)
                    .map_err(|e| anyhow::anyhow!("--sections: {e}"))?,
            ),
            None => None,
        },
    };
    let format = args.format.map(|f| match f {
        PlanFileFormat::Document => PlanFormat::Document,
        PlanFileFormat::Csv => PlanFormat::Csv,
        PlanFileFormat::Xlsx => PlanFormat::Xlsx,
    });
    let parsed = match plans::read_plan(&args.file, format, &opts) {
        Ok(p) => p,
        Err(ImportError::Invalid(problems)) => {
            return Ok(print_problems(&problems, "; nothing was imported"));
        }
        Err(e) => return Err(e.into()),
    };
    for w in &parsed.warnings {
        eprintln!("warning: {w}");
    }
    let plan = parsed.plan;
    let json = |id: Option<i64>| {
        serde_json::json!({
            "inserted": plan.action_count(),
            "updated": 0,
            "unchanged": 0,
            "plan": id,
            "sections": plan.sections.len(),
        })
    };
    if args.dry_run {
        if args.json {
            println!("{}", json(None));
        } else {
            for (header, role) in &opts.columns {
                println!("column \"{header}\" read as {role}");
            }
            if let Some(p) = &args.sections {
                println!("sections headed \"{p}\"");
            }
            print!("{}", plan.tree());
        }
        eprintln!(
            "Dry run: {} sections and {} actions understood; nothing was imported.",
            plan.sections.len(),
            plan.action_count()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let actions = plan.action_count();
    let audit = |id: i64| {
        crate::commands::cli_entry(
            "plan_import",
            None,
            format!("file={} plan={id} actions={actions}", args.file.display()),
        )
    };
    let id = match store.import_plan(&plan, Some(&audit)).await {
        Ok(id) => id,
        Err(lantern_core::StoreError::Conflict(m)) => {
            eprintln!("error: {m}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    if args.json {
        println!("{}", json(Some(id)));
    }
    eprintln!(
        "Imported plan {id}, '{}': {} sections, {} actions.",
        plan.title,
        plan.sections.len(),
        plan.action_count()
    );
    Ok(ExitCode::SUCCESS)
}

/// Every plan (or one), as they stand now.
async fn load(store: &SharedStore, only: Option<i64>) -> anyhow::Result<Vec<Plan>> {
    let mut out = Vec::new();
    for summary in store.plans().await? {
        if only.is_none_or(|id| id == summary.id) {
            out.push(store.plan(summary.id).await?.plan);
        }
    }
    if let Some(id) = only
        && out.is_empty()
    {
        anyhow::bail!("there is no plan {id} (see `lantern plans list`)");
    }
    Ok(out)
}

pub(crate) async fn export(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<()> {
    let plans = load(store, args.plan).await?;
    let mut bytes = Vec::new();
    match args.format {
        ExportFormat::Json => write::write_json(&plans, &mut bytes)?,
        ExportFormat::Csv => write::write_csv(&plans, &mut bytes)?,
        ExportFormat::Xlsx => bytes = write::xlsx_bytes(&plans)?,
    }
    let destination = destination(args.output.as_deref());
    cli_audit_entry(
        store,
        "plan_export",
        None,
        format!(
            "format={} plans={} output={destination}",
            format!("{:?}", args.format).to_lowercase(),
            plans.len()
        ),
    )
    .await?;
    write_output(
        args.output.as_deref(),
        &bytes,
        &format!("{} plan(s)", plans.len()),
    )
}

pub(crate) async fn manage(store: &SharedStore, what: PlansCommand) -> anyhow::Result<()> {
    match what {
        PlansCommand::List => {
            let list = store.plans().await?;
            if list.is_empty() {
                eprintln!("No plans yet: import one with `lantern import plans FILE`.");
            }
            for p in list {
                println!(
                    "{}\t{}\t{} actions\t{}",
                    p.id,
                    p.title,
                    p.actions,
                    p.period.unwrap_or_default()
                );
            }
        }
        PlansCommand::Remove { id } => {
            let plan = store
                .plan(id)
                .await
                .with_context(|| format!("there is no plan {id}"))?;
            store.delete_plan(id).await?;
            cli_audit_entry(store, "plan_remove", None, format!("plan={id}")).await?;
            eprintln!("Removed plan {id}, '{}'.", plan.plan.title);
        }
    }
    Ok(())
}

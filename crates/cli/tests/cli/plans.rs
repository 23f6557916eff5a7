//! `lantern import plans`, `lantern export plans` and `lantern plans`: the two real plans from
//! `../shared/seeds/`, a dry run's tree, all-or-nothing errors with line numbers, and the
//! export formats read back, on SQLite and PostgreSQL.

use std::path::PathBuf;

use crate::helpers::TestDb;

fn seed(name: &str) -> String {
    std::env::var_os("LANTERN_SEEDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds"))
        .join(name)
        .display()
        .to_string()
}

fn story(db: &TestDb) {
    let gloucestershire = seed("002_a0f1ed9aa8530709.txt");
    let lancashire = seed("000_f2f0646999b05ea8.txt");

    // A dry run prints the tree and writes nothing.
    let dry = db.run(&["import", "plans", &gloucestershire, "--dry-run"]);
    dry.ok();
    assert!(
        dry.stdout
            .starts_with("Plan: Preventing Self-Harm Action Plan\n"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("  5 sections, 32 actions\n"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("    2.3.2 Test the potential for the CYP tool to be adapted for use with adults [awaiting]\n"), "{}", dry.stdout);
    assert!(
        dry.stdout
            .contains("age group: all ages | links: 2.3.2; 5.1; 2.2.5"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stderr
            .contains(":57: links: action 5.1.4 links to 3.1.7"),
        "{}",
        dry.stderr
    );
    let list = db.run(&["plans", "list"]);
    list.ok();
    assert_eq!(list.stdout, "");

    // Both real plans import, forced or detected.
    let dry_json = db.run(&["import", "plans", &gloucestershire, "--dry-run", "--json"]);
    assert_eq!(dry_json.summary(), (32, 0, 0));
    let r = db.run(&[
        "import",
        "plans",
        &gloucestershire,
        "--format",
        "document",
        "--json",
    ]);
    assert_eq!(r.summary(), (32, 0, 0));
    assert!(r.stdout.contains("\"plan\":1"), "{}", r.stdout);
    assert!(
        r.stderr.contains(
            "Imported plan 1, 'Preventing Self-Harm Action Plan': 5 sections, 32 actions."
        ),
        "{}",
        r.stderr
    );
    let r = db.run(&[
        "import",
        "plans",
        &lancashire,
        "--owner",
        "Lancashire Suicide Prevention Oversight Group",
    ]);
    r.ok();
    assert!(
        r.stderr.contains(": 8 sections, 46 actions."),
        "{}",
        r.stderr
    );
    // The same title again is refused, and nothing changes.
    let again = db.run(&["import", "plans", &gloucestershire]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let list = db.run(&["plans", "list"]);
    assert_eq!(list.ok().stdout.lines().count(), 2, "{}", list.stdout);

    // JSON export: the shape.
    let json = db.run(&["export", "plans", "--format", "json"]);
    let plans: serde_json::Value = serde_json::from_str(&json.ok().stdout).unwrap();
    let plans = plans.as_array().unwrap();
    assert_eq!(plans.len(), 2);
    let lancs = plans
        .iter()
        .find(|p| p["title"].as_str().unwrap().starts_with("All-aged"))
        .unwrap();
    assert_eq!(
        lancs["owner"],
        "Lancashire Suicide Prevention Oversight Group"
    );
    let sections = lancs["sections"].as_array().unwrap();
    let numbers: Vec<&str> = sections
        .iter()
        .map(|s| s["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    let veterans = sections[1]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["priority_groups"][0] == "Veterans")
        .unwrap();
    for key in [
        "number",
        "text",
        "leads",
        "timescale",
        "due",
        "status",
        "age_group",
        "measures",
        "links",
    ] {
        assert!(veterans.get(key).is_some(), "{key} in {veterans}");
    }
    assert_eq!(veterans["timescale"], "End of 2024");
    assert_eq!(veterans["due"], "2024-12-31");
    let glos = plans
        .iter()
        .find(|p| p["title"] == "Preventing Self-Harm Action Plan")
        .unwrap();
    let a = &glos["sections"][1]["actions"][1];
    assert_eq!(a["number"], "2.1.2");
    assert_eq!(a["status"], "initial meeting");
    assert_eq!(a["age_group"], "all ages");
    assert_eq!(a["links"], serde_json::json!(["2.3.2", "5.1", "2.2.5"]));

    // CSV and XLSX exports import again as the same plan.
    for format in ["csv", "xlsx"] {
        let out = db.path(&format!("glos.{format}"));
        let out = out.to_str().unwrap();
        db.run(&[
            "export", "plans", "--plan", "1", "--format", format, "--output", out,
        ])
        .ok();
        let back = db.run(&[
            "import",
            "plans",
            out,
            "--title",
            &format!("Round trip {format}"),
        ]);
        back.ok();
        assert!(
            back.stderr.contains(": 5 sections, 32 actions."),
            "{}",
            back.stderr
        );
    }
    let json = db.run(&["export", "plans", "--format", "json"]);
    let plans: serde_json::Value = serde_json::from_str(&json.ok().stdout).unwrap();
    let by_title = |t: &str| {
        plans
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == t)
            .unwrap()["sections"]
            .clone()
    };
    assert_eq!(
        by_title("Round trip csv"),
        by_title("Preventing Self-Harm Action Plan")
    );
    assert_eq!(
        by_title("Round trip xlsx"),
        by_title("Preventing Self-Harm Action Plan")
    );

    // A broken file: every problem with its line, exit status 1, nothing imported.
    let bad = db.write(
        "bad.txt",
        "Plan with problems\n1. One\nNo.\tAction\tStatus\tAge group\n1.1\tDo it\tMaybe\tCYP\n1.2\tAnd this\tIdea\tteens\n1.1\tAgain\tIdea\tCYP\n",
    );
    let r = db.run(&["import", "plans", &bad]);
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert!(lines[0].ends_with("bad.txt:4: Status: 'Maybe' is not one of the plan's statuses (idea, initial meeting, underway, awaiting, complete, not started, paused, cancelled); give the plan's own list with --statuses"), "{}", r.stderr);
    assert!(lines[1].ends_with("bad.txt:5: Age group: 'teens' is not an age group (children and young people or CYP; adults; all ages or both)"), "{}", r.stderr);
    assert!(
        lines[2].ends_with("bad.txt:6: No.: action 1.1 appears twice (first on line 4)"),
        "{}",
        r.stderr
    );
    assert_eq!(lines[3], "error: 3 problem(s); nothing was imported");
    // --statuses names the plan's own list.
    let own = db.run(&[
        "import",
        "plans",
        &bad,
        "--statuses",
        "maybe,idea",
        "--dry-run",
    ]);
    assert_eq!(own.code, 1, "the other problems remain");
    assert!(!own.stderr.contains("'Maybe'"), "{}", own.stderr);
    let missing = db.run(&[
        "import",
        "plans",
        &db.path("nowhere.txt").display().to_string(),
    ]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("nowhere.txt"), "{}", missing.stderr);

    // Remove.
    db.run(&["plans", "remove", "1"]).ok();
    let list = db.run(&["plans", "list"]);
    assert_eq!(list.ok().stdout.lines().count(), 3);
    assert_eq!(db.run(&["plans", "remove", "1"]).code, 1);
    assert_eq!(db.run(&["export", "plans", "--plan", "1"]).code, 1);
}

#[test]
fn plans_import_and_export_on_sqlite() {
    story(&TestDb::sqlite());
}

#[test]
fn plans_import_and_export_on_postgres() {
    let Some(db) = TestDb::postgres() else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    story(&db);
}

/// A plan headed by pillars with an "intervention" column: refused with a message naming the
/// options, then understood once they are given, and the dry run shows the choices.
#[test]
fn a_layout_it_cannot_read_imports_once_columns_and_sections_are_given() {
    let db = crate::helpers::TestDb::sqlite();
    let file = db.write(
        "pillars.txt",
        "Pillar I » Community\r\nIntervention\tPartner\tDeadline\tRAG\r\nOpen a men's shed\tAge UK\tMay 2026\tGreen\r\n\
         Pillar II » Clinical\r\nIntervention\tPartner\tDeadline\tRAG\r\nSafety plans for every patient\tTrust\tJuly 2026\tAmber\r\n",
    );
    let run = db.run(&["import", "plans", &file]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("pillars.txt:3: -: a table row before any header row")
            && run.stderr.contains("--columns")
            && run.stderr.contains("--sections"),
        "{}",
        run.stderr
    );
    let given = [
        "--columns",
        "Intervention=action,Partner=lead",
        "--sections",
        "Pillar {n} »",
    ];
    let mut args = vec!["import", "plans", file.as_str(), "--dry-run"];
    args.extend(given);
    let dry = db.run(&args);
    let out = &dry.ok().stdout;
    assert!(
        out.contains("column \"Intervention\" read as action"),
        "{out}"
    );
    assert!(out.contains("sections headed \"Pillar {n} »\""), "{out}");
    assert!(
        out.contains("Community") && out.contains("Clinical"),
        "{out}"
    );
    let mut args = vec!["import", "plans", file.as_str(), "--json"];
    args.extend(given);
    let v: serde_json::Value = serde_json::from_str(db.run(&args).ok().stdout.trim()).unwrap();
    assert_eq!(
        (v["inserted"].as_u64(), v["sections"].as_u64()),
        (Some(2), Some(2))
    );
    let bad = db.run(&["import", "plans", &file, "--columns", "Intervention=doing"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("'doing' is not a column role"),
        "{}",
        bad.stderr
    );
}

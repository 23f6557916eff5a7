//! `lantern demo` finds its planted clusters; `lantern signals run|list|add-location` keep
//! signals and locations of concern, and refuse bad input.

use crate::helpers::TestDb;

fn signals(db: &TestDb) -> Vec<serde_json::Value> {
    let run = db.run(&["signals", "list", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn the_demo_finds_its_planted_clusters_and_a_rerun_finds_nothing_new() {
    let db = TestDb::sqlite();
    let run = db.run(&["demo", "--no-serve", "--end", "2026-11-28"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("signals for the surveillance group"),
        "{}",
        run.stderr
    );
    let all = signals(&db);
    let titled = |needle: &str| {
        all.iter()
            .find(|s| {
                s["found"]["title"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(needle)
            })
            .unwrap_or_else(|| panic!("no signal '{needle}' in {all:#?}"))
    };
    // 1. Five young people in one Harrowdale neighbourhood within eight weeks (planted
    //    records carry "demo-cluster-1"): a space-time scan on population, p at its floor.
    let young = titled("suspected suicides among young people aged 10-24 in Harrowdale");
    assert_eq!(young["found"]["kind"], "scan");
    assert_eq!(young["found"]["observed"], 5);
    assert_eq!(young["found"]["p_value"], 0.001);
    assert_eq!(young["found"]["method"], "space-time-poisson");
    // 2. Four deaths at Kestrel Bridge: the location-of-concern rule, which also says they were
    //    close together (one signal, not a second one from the closeness rule).
    let bridge = titled("4 suspected suicides at Kestrel Bridge");
    assert_eq!(bridge["found"]["kind"], "rule");
    assert!(
        bridge["found"]["explanation"]
            .as_str()
            .unwrap_or_default()
            .contains("They were also close together"),
        "{bridge:#?}"
    );
    assert!(
        !all.iter().any(|s| s["found"]["title"]
            .as_str()
            .unwrap_or_default()
            .starts_with("4 suspected suicides close together")),
        "{all:#?}"
    );
    // 3. Self-harm among 13-17 year olds in Eastmere: a scan, and a rise among 10-17s.
    assert_eq!(
        titled("self-harm presentations in Eastmere, ")["found"]["kind"],
        "scan"
    );
    assert_eq!(
        titled("among people aged 10-17 in Eastmere")["found"]["kind"],
        "aberration"
    );
    for s in &all {
        assert_eq!(s["status"], "new");
        let text = format!("{} {}", s["found"]["title"], s["found"]["explanation"]);
        assert!(!text.to_lowercase().contains("committed"), "{text}");
        assert!(
            s["found"]["snapshot"]
                .as_str()
                .is_some_and(|v| !v.is_empty())
        );
    }
    // The same register gives the same signals.
    let run = db.run(&["signals", "run", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let done: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(done["new"], 0);
    assert_eq!(done["found"].as_u64().unwrap() as usize, all.len());
    assert_eq!(signals(&db).len(), all.len());

    // A stricter closeness rule, kept for the server's job and later runs.
    let run = db.run(&[
        "signals",
        "configure",
        "--near-count",
        "5",
        "--replications",
        "99",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let saved: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(saved["near_count"], 5);
    assert_eq!(saved["replications"], 99);
    assert_eq!(saved["scan_alpha"], 0.05);
    // A setting out of range changes nothing.
    let run = db.run(&["signals", "configure", "--scan-alpha", "2"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("scan alpha 2 must be between 0 and 1; nothing was changed"),
        "{}",
        run.stderr
    );
    let run = db.run(&["signals", "configure"]);
    let kept: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(kept, saved);
    // Recomputed with them: four deaths at the bridge are no longer "close together".
    let run = db.run(&["signals", "run", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bridge = signals(&db)
        .into_iter()
        .find(|s| s["found"]["title"] == "4 suspected suicides at Kestrel Bridge")
        .unwrap();
    let text = bridge["found"]["explanation"].as_str().unwrap_or_default();
    assert!(!text.contains("close together"), "{text}");
    // Back to the defaults.
    let run = db.run(&["signals", "configure", "--reset"]);
    let reset: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(reset["near_count"], 3);
    assert_eq!(reset["replications"], 999);
}

#[test]
fn locations_of_concern_are_registered_once_and_checked() {
    let db = TestDb::sqlite();
    db.run(&["migrate"]).ok();
    let add = |name: &str, lat: &str| {
        db.run(&[
            "signals",
            "add-location",
            name,
            "--kind",
            "railway",
            "--lat",
            lat,
            "--lon",
            "-2.5",
            "--measures",
            "fencing, helpline signs",
        ])
    };
    assert_eq!(add("Mill Lane crossing", "54.1").code, 0);
    let twice = add("Mill Lane crossing", "54.1");
    assert_ne!(twice.code, 0);
    assert!(
        twice.stderr.contains("already registered"),
        "{}",
        twice.stderr
    );
    let bad = add("Nowhere", "123");
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("not a latitude and longitude"),
        "{}",
        bad.stderr
    );
    let list = db.run(&["signals", "locations"]);
    assert!(
        list.stdout
            .contains("Mill Lane crossing  (railway, 54.10000 -2.50000)"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("fencing, helpline signs"),
        "{}",
        list.stdout
    );
    assert!(!list.stdout.contains("Nowhere"));
}

//! The storage contract: one story, run on a fresh SQLite file and, when `TEST_POSTGRES_URL` is
//! set, on a fresh PostgreSQL database that is dropped afterwards.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone as _, Utc};
use lantern_core::area::{Area, AreaLevel, PopSex, PopulationRow};
use lantern_core::register::{Dataset, Record, SELF_HARM, SUICIDES};
use lantern_core::store::RecordQuery;
use lantern_core::{ImportSummary, Store, StoreError};
use lantern_storage::DatabaseUrl;

fn record(dataset: &'static Dataset, cells: &[(&str, &str)]) -> Record {
    let map: HashMap<&str, &str> = cells.iter().copied().collect();
    Record::parse(dataset, |n| map.get(n).copied(), &|_| true).unwrap()
}

fn suicide(source_ref: &str, date: &str, area: &str, status: &str) -> Record {
    record(
        &SUICIDES,
        &[
            ("source", "police"),
            ("source_ref", source_ref),
            ("date_of_death", date),
            ("age", "44"),
            ("sex", "male"),
            ("residence_area", area),
            ("status", status),
            ("method_group", "hanging"),
            ("location_type", "home"),
        ],
    )
}

fn presentation(source_ref: &str, at: &str, person: char) -> Record {
    let key = person.to_string().repeat(64);
    record(
        &SELF_HARM,
        &[
            ("source", "ed"),
            ("source_ref", source_ref),
            ("presented_at", at),
            ("setting", "ed"),
            ("person_key", &key),
            ("age", "19"),
            ("sex", "female"),
            ("residence_area", "E01000002"),
            ("presentation_type", "self_poisoning"),
            ("intent", "self_harm"),
            ("methods", "drug_overdose"),
        ],
    )
}

fn full_suicide() -> Record {
    record(
        &SUICIDES,
        &[
            ("source", "coroner"),
            ("source_ref", "FULL-1"),
            ("date_of_death", "2023-05-06"),
            ("age", "37"),
            ("sex", "female"),
            ("residence_area", "E01000001"),
            ("status", "concluded_narrative"),
            ("method_group", "poisoning"),
            ("location_type", "water"),
            ("status_date", "2023-11-01"),
            ("notified_at", "2023-05-07"),
            ("reporter_role", "coroner"),
            ("date_found", "2023-05-06"),
            ("location_text", "near the lock"),
            ("location_lat", "53.1234"),
            ("location_lon", "-2.5"),
            ("location_of_concern", "Lock 7"),
            ("confirmed_method_group", "drowning"),
            ("confirmed_icd10", "X71"),
            ("substances", "none"),
            ("emerging_method", "no"),
            ("gender_identity", "same_as_sex"),
            ("ethnicity", "D1"),
            ("relationship_status", "single"),
            ("living_alone", "yes"),
            ("employment", "employed"),
            ("occupation", "nurse"),
            ("priority_groups", "bereaved;gambling"),
            ("circumstances", "financial_problem"),
            ("service_contact", "gp_last_4_weeks"),
            ("linked_incidents", "FULL-0"),
            ("nok_informed", "yes"),
            ("support_offered", "yes"),
            ("support_consent", "no"),
            ("referral_date", "2023-05-10"),
            ("referral_service", "Amparo"),
            ("first_contact_date", "2023-05-12"),
            ("postvention_outcome", "supported"),
            ("inquest_date", "2023-11-01"),
            ("notes", "n"),
        ],
    )
}

fn area(code: &str, level: AreaLevel, parent: Option<&str>) -> Area {
    Area {
        code: code.to_owned(),
        name: format!("Area {code}"),
        level,
        parent_code: parent.map(str::to_owned),
        boundary: Some(
            "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]}".to_owned(),
        ),
    }
}

fn summary(inserted: u64, updated: u64, unchanged: u64) -> ImportSummary {
    ImportSummary {
        inserted,
        updated,
        unchanged,
    }
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn exercise(store: &dyn Store) {
    // Areas: insert, then the same again is unchanged; parents can be set afterwards.
    let areas = [
        area("E10000001", AreaLevel::County, None),
        area("E07000001", AreaLevel::Lad, None),
        area("E01000001", AreaLevel::Lsoa, Some("E07000001")),
        area("E01000002", AreaLevel::Lsoa, Some("E07000001")),
        area("E01000003", AreaLevel::Lsoa, None),
    ];
    assert_eq!(
        store.upsert_areas(&areas, false).await.unwrap(),
        summary(5, 0, 0)
    );
    assert_eq!(
        store.upsert_areas(&areas, false).await.unwrap(),
        summary(0, 0, 5)
    );
    let links = [("E07000001".to_owned(), "E10000001".to_owned())];
    assert_eq!(
        store.set_area_parents(&links, false).await.unwrap(),
        summary(0, 1, 0)
    );
    assert_eq!(
        store.set_area_parents(&links, false).await.unwrap(),
        summary(0, 0, 1)
    );
    let bad = [("E07000001".to_owned(), "E99999999".to_owned())];
    assert!(matches!(
        store.set_area_parents(&bad, false).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.area_codes().await.unwrap().len(), 5);
    assert_eq!(store.areas(Some(AreaLevel::Lsoa)).await.unwrap().len(), 3);
    let lad = store.area("E07000001").await.unwrap();
    assert_eq!(lad.parent_code.as_deref(), Some("E10000001"));
    assert!(lad.boundary.unwrap().contains("Polygon"));
    assert!(matches!(
        store.area("E00000000").await,
        Err(StoreError::NotFound)
    ));

    // Populations: idempotent, and summed up for the areas page.
    let pops: Vec<PopulationRow> = ["0-4", "5-9"]
        .iter()
        .flat_map(|band| {
            [
                (PopSex::Male, 100),
                (PopSex::Female, 110),
                (PopSex::Persons, 210),
            ]
            .map(|(sex, n)| PopulationRow {
                area_code: "E07000001".into(),
                year: 2021,
                sex,
                age_band: band,
                population: n,
            })
        })
        .collect();
    assert_eq!(
        store.upsert_populations(&pops, false).await.unwrap(),
        summary(6, 0, 0)
    );
    assert_eq!(
        store.upsert_populations(&pops, false).await.unwrap(),
        summary(0, 0, 6)
    );
    let mut changed = pops.clone();
    changed[0].population = 101;
    assert_eq!(
        store.upsert_populations(&changed, false).await.unwrap(),
        summary(0, 1, 5)
    );
    assert_eq!(store.populations("E07000001", 2021).await.unwrap().len(), 6);
    assert_eq!(store.all_populations().await.unwrap().len(), 6);
    let summaries = store.area_summaries(Some(AreaLevel::Lad)).await.unwrap();
    assert_eq!(summaries[0].population, Some(420));
    assert_eq!(summaries[0].children, 2);

    // A record with every field comes back exactly.
    let full = full_suicide();
    assert_eq!(
        store
            .import_records(
                std::slice::from_ref(&full),
                "test",
                false,
                &lantern_core::import::no_progress
            )
            .await
            .unwrap(),
        summary(1, 0, 0)
    );
    let exported = store.export_records(&SUICIDES).await.unwrap();
    assert_eq!(exported, vec![full.clone()]);

    // Imports: inserted, then unchanged; a dry run writes nothing; a change is an update.
    let batch = vec![
        suicide("P1", "2024-01-10", "E01000001", "suspected"),
        suicide("P2", "2024-02-10", "E01000002", "suspected"),
        suicide("P3", "2024-03-10", "E01000003", "awaiting_inquest"),
    ];
    assert_eq!(
        store
            .import_records(&batch, "test", true, &lantern_core::import::no_progress)
            .await
            .unwrap(),
        summary(3, 0, 0)
    );
    assert_eq!(
        store.count(&SUICIDES).await.unwrap(),
        1,
        "a dry run must not write"
    );
    assert_eq!(
        store
            .import_records(&batch, "test", false, &lantern_core::import::no_progress)
            .await
            .unwrap(),
        summary(3, 0, 0)
    );
    assert_eq!(
        store
            .import_records(&batch, "test", false, &lantern_core::import::no_progress)
            .await
            .unwrap(),
        summary(0, 0, 3)
    );
    let mut next = batch.clone();
    next[0] = suicide("P1", "2024-01-10", "E01000001", "awaiting_inquest");
    next[0].set(
        "status_date",
        Some(lantern_core::register::Value::Date(date("2024-02-01"))),
    );
    assert_eq!(
        store
            .import_records(
                &next,
                "import:x.csv",
                false,
                &lantern_core::import::no_progress
            )
            .await
            .unwrap(),
        summary(0, 1, 2)
    );

    // The change is in the history, and the status lifecycle has both dates.
    let page = store
        .list_records(
            &SUICIDES,
            &RecordQuery {
                sort: Some("source_ref".into()),
                desc: false,
                ..RecordQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 4);
    let p1 = page
        .items
        .iter()
        .find(|r| r.record.text("source_ref") == "P1")
        .unwrap();
    let history = store.history(&SUICIDES, p1.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].origin, "import:x.csv");
    assert!(
        history[0]
            .changes
            .iter()
            .any(|c| c.field == "status" && c.old == "suspected" && c.new == "awaiting_inquest")
    );
    let statuses = store.status_history(p1.id).await.unwrap();
    let lifecycle: Vec<(&str, NaiveDate)> = statuses
        .iter()
        .map(|s| (s.status.as_str(), s.effective_on))
        .collect();
    assert_eq!(
        lifecycle,
        [
            ("suspected", date("2024-01-10")),
            ("awaiting_inquest", date("2024-02-01"))
        ]
    );

    // Filters: area includes the areas inside it; status; period; paging and sorting.
    let q = |f: fn(&mut RecordQuery)| {
        let mut q = RecordQuery::default();
        f(&mut q);
        q
    };
    let by_county = store
        .list_records(&SUICIDES, &q(|q| q.area = Some("E10000001".into())))
        .await
        .unwrap();
    assert_eq!(
        by_county.total, 3,
        "county holds the district holding two small areas"
    );
    let by_status = store
        .list_records(
            &SUICIDES,
            &q(|q| q.status = Some("awaiting_inquest".into())),
        )
        .await
        .unwrap();
    assert_eq!(by_status.total, 2);
    let by_period = store
        .list_records(
            &SUICIDES,
            &q(|q| {
                q.from = Some(date("2024-02-10"));
                q.to = Some(date("2024-03-10"));
            }),
        )
        .await
        .unwrap();
    assert_eq!(by_period.total, 2);
    let paged = store
        .list_records(
            &SUICIDES,
            &q(|q| {
                q.per_page = 2;
                q.page = 2;
                q.desc = false;
            }),
        )
        .await
        .unwrap();
    assert_eq!(paged.total, 4);
    let refs: Vec<String> = paged
        .items
        .iter()
        .map(|r| r.record.text("source_ref"))
        .collect();
    assert_eq!(
        refs,
        ["P2", "P3"],
        "ascending by date of death, second page"
    );
    let by_source = store
        .list_records(&SUICIDES, &q(|q| q.source = Some("coroner".into())))
        .await
        .unwrap();
    assert_eq!(by_source.total, 1);

    // Create and update through the store; a duplicate key is a conflict.
    let id = store
        .create_record(
            &suicide("P9", "2024-04-01", "E01000001", "suspected"),
            "web",
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_record(
                &suicide("P9", "2024-04-01", "E01000001", "suspected"),
                "web"
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    let mut edited = store.record(&SUICIDES, id).await.unwrap().record;
    edited.set("age", Some(lantern_core::register::Value::Int(45)));
    store
        .update_record(id, &edited, "web", Some(1))
        .await
        .unwrap();
    let after = store.record(&SUICIDES, id).await.unwrap();
    assert_eq!(after.record.text("age"), "45");
    let kinds: Vec<String> = store
        .history(&SUICIDES, id)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.kind)
        .collect();
    assert_eq!(kinds, ["created", "updated"]);
    assert!(matches!(
        store.record(&SUICIDES, 999_999).await,
        Err(StoreError::NotFound)
    ));

    // Self-harm: repeats within 12 months are derived per person.
    let shp = vec![
        presentation("A1", "2024-01-01T10:00:00Z", 'a'),
        presentation("A2", "2024-06-01", 'a'),
        presentation("B1", "2024-01-01", 'b'),
        presentation("B2", "2025-03-01T08:00:00Z", 'b'),
    ];
    assert_eq!(
        store
            .import_records(&shp, "test", false, &lantern_core::import::no_progress)
            .await
            .unwrap(),
        summary(4, 0, 0)
    );
    let all = store
        .list_records(&SELF_HARM, &RecordQuery::default())
        .await
        .unwrap();
    let repeat: HashMap<String, Option<bool>> = all
        .items
        .iter()
        .map(|r| (r.record.text("source_ref"), r.repeat_within_12m))
        .collect();
    assert_eq!(repeat["A1"], Some(true));
    assert_eq!(repeat["A2"], Some(false));
    assert_eq!(
        repeat["B1"],
        Some(false),
        "14 months later is not within 12"
    );
    assert_eq!(repeat["B2"], Some(false));
    let a1 = all
        .items
        .iter()
        .find(|r| r.record.text("source_ref") == "A1")
        .unwrap();
    assert_eq!(
        store
            .record(&SELF_HARM, a1.id)
            .await
            .unwrap()
            .repeat_within_12m,
        Some(true)
    );
    let in_period = store
        .list_records(
            &SELF_HARM,
            &q(|q| {
                q.from = Some(date("2024-01-01"));
                q.to = Some(date("2024-01-01"));
            }),
        )
        .await
        .unwrap();
    assert_eq!(
        in_period.total, 2,
        "a day's period includes times on that day"
    );

    // Completeness by source and month; sources; settings.
    let rows = store.completeness(&SELF_HARM).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.total).sum::<i64>(), 4);
    assert!(rows.iter().any(|r| r.month == "2024-01" && r.total == 2));
    let eth = SELF_HARM.index("ethnicity").unwrap();
    assert!(
        rows.iter()
            .all(|r| r.filled[eth] == 0 && r.filled[0] == r.total)
    );
    let months: Vec<String> = store
        .completeness(&SUICIDES)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.month)
        .collect();
    assert!(months.contains(&"2023-05".to_owned()), "{months:?}");
    assert_eq!(
        store.sources(&SUICIDES).await.unwrap(),
        ["coroner", "police"]
    );
    assert_eq!(store.setting("k").await.unwrap(), None);
    store.set_setting("k", "v1").await.unwrap();
    store.set_setting("k", "v2").await.unwrap();
    assert_eq!(store.setting("k").await.unwrap().as_deref(), Some("v2"));
    assert_eq!(store.setting_or_insert("first", "a").await.unwrap(), "a");
    assert_eq!(
        store.setting_or_insert("first", "b").await.unwrap(),
        "a",
        "the first value stays"
    );
}

/// Optimistic locking: an edit from an older version is refused, and of two simultaneous edits
/// from the same version exactly one wins.
async fn versions_story(store: &dyn Store) {
    use lantern_core::register::Value;
    let id = store
        .create_record(
            &suicide("V-1", "2024-05-01", "E01000001", "suspected"),
            "web",
        )
        .await
        .unwrap();
    let start = store.record(&SUICIDES, id).await.unwrap();
    assert_eq!(start.version, 1);
    let with_age = |n: i64| {
        let mut r = start.record.clone();
        r.set("age", Some(Value::Int(n)));
        r
    };
    store
        .update_record(id, &with_age(50), "web", Some(1))
        .await
        .unwrap();
    assert_eq!(store.record(&SUICIDES, id).await.unwrap().version, 2);
    let stale = store.update_record(id, &with_age(51), "web", Some(1)).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(
        store
            .record(&SUICIDES, id)
            .await
            .unwrap()
            .record
            .text("age"),
        "50",
        "the first edit stands"
    );
    let (sixty, sixty_one) = (with_age(60), with_age(61));
    let (a, b) = tokio::join!(
        store.update_record(id, &sixty, "web", Some(2)),
        store.update_record(id, &sixty_one, "web", Some(2)),
    );
    let wins = [&a, &b].iter().filter(|r| r.is_ok()).count();
    let conflicts = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Conflict(_))))
        .count();
    assert_eq!((wins, conflicts), (1, 1), "{a:?} {b:?}");
    let after = store.record(&SUICIDES, id).await.unwrap();
    assert_eq!(after.version, 3);
    assert!(["60", "61"].contains(&after.record.text("age").as_str()));
    assert!(matches!(
        store
            .update_record(999_999, &with_age(1), "web", None)
            .await,
        Err(StoreError::NotFound)
    ));
}

/// The audit log chains its entries, reads back exactly, and verifies.
async fn audit_story(store: &dyn Store) {
    use lantern_core::audit::{NewAuditEntry, verify};
    let (before, _) = store.audit_log().await.unwrap();
    for (i, action) in ["view", "update", "export"].iter().enumerate() {
        let e = NewAuditEntry {
            actor: "analyst1".into(),
            action: (*action).to_owned(),
            dataset: Some("suicides".into()),
            record_id: Some(i as i64 + 1),
            detail: format!("step {i}"),
            origin: "127.0.0.1".into(),
        };
        let stored = store.append_audit(&e).await.unwrap();
        assert_eq!(stored.entry.actor, "analyst1");
    }
    let (entries, head) = store.audit_log().await.unwrap();
    assert_eq!(entries.len(), before.len() + 3);
    assert_eq!(entries.last().unwrap().entry.action, "export");
    assert_eq!(
        verify(&entries, head.as_deref()),
        Ok(()),
        "the chain read back must verify"
    );
    audit_pages_story(store, &entries).await;
}

/// Pages of the log, either way, are the log's slices; the chain checked a page at a time
/// agrees with the whole-log check, across page boundaries too.
async fn audit_pages_story(store: &dyn Store, all: &[lantern_core::audit::AuditEntry]) {
    use lantern_core::audit::{AuditPage, verify_store_in_pages};
    assert_eq!(store.audit_count().await.unwrap(), all.len() as u64);
    let ids: Vec<i64> = all.iter().map(|e| e.id).collect();
    let page = |after, before, newest_first, limit| AuditPage {
        after,
        before,
        newest_first,
        limit,
    };
    let oldest = store.audit_page(&page(None, None, false, 2)).await.unwrap();
    assert_eq!(oldest.iter().map(|e| e.id).collect::<Vec<_>>(), ids[..2]);
    assert_eq!(oldest[0], all[0], "a page reads back exactly");
    let next = store
        .audit_page(&page(Some(ids[1]), None, false, 2))
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|e| e.id).collect::<Vec<_>>(),
        ids[2..4.min(ids.len())]
    );
    let newest = store.audit_page(&page(None, None, true, 2)).await.unwrap();
    let mut rev = ids.clone();
    rev.reverse();
    assert_eq!(newest.iter().map(|e| e.id).collect::<Vec<_>>(), rev[..2]);
    let older = store
        .audit_page(&page(
            None,
            Some(rev[1]),
            true,
            u32::try_from(rev.len()).unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(older.iter().map(|e| e.id).collect::<Vec<_>>(), rev[2..]);
    for size in [1, 2, 3, 1000] {
        let seen = std::sync::atomic::AtomicU64::new(0);
        let n = verify_store_in_pages(store, size, &|done| {
            seen.store(done, std::sync::atomic::Ordering::Relaxed);
        })
        .await
        .unwrap();
        assert_eq!(n, all.len() as u64, "page size {size}");
        assert_eq!(seen.into_inner(), n, "progress reaches the end");
    }
}

/// A load large enough to rebuild the secondary indexes afterwards: the rows, the derived repeats
/// and the uniqueness of `(source, source_ref)` must come through it.
async fn bulk_story(store: &dyn Store) {
    let rows: Vec<Record> = (0..60_000)
        .map(|i| {
            let day = format!("2023-{:02}-{:02}", 1 + (i % 12), 1 + (i % 28));
            let person = char::from(b'a' + u8::try_from(i % 6).unwrap());
            presentation(&format!("BULK-{i}"), &day, person)
        })
        .collect();
    let none = &lantern_core::import::no_progress;
    let before = store.count(&SELF_HARM).await.unwrap();
    assert_eq!(
        store
            .import_records(&rows, "bulk", false, none)
            .await
            .unwrap(),
        summary(60_000, 0, 0)
    );
    assert_eq!(store.count(&SELF_HARM).await.unwrap(), before + 60_000);
    assert_eq!(
        store
            .import_records(&rows, "bulk", false, none)
            .await
            .unwrap(),
        summary(0, 0, 60_000)
    );
    let march = store
        .list_records(
            &SELF_HARM,
            &RecordQuery {
                from: Some(date("2023-03-01")),
                to: Some(date("2023-03-31")),
                ..RecordQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(march.total, 5_000);
    assert!(
        march
            .items
            .iter()
            .all(|r| r.repeat_within_12m == Some(true))
    );
    let dup = presentation("BULK-7", "2023-01-01", 'e');
    assert!(matches!(
        store.create_record(&dup, "web").await,
        Err(StoreError::Conflict(_))
    ));
}

/// A bulk read of some fields gives what a whole-record export gives for them, over several
/// packed chunks, with blanks, empty text, `=`, and the packing's own separators in a value
/// (which sends the read row by row). Runs after `bulk_story` (more than 4,096 rows).
/// One death from two sources: queued once, confirmed (the second left out of what the
/// indicators read), undone, marked distinct; never queued twice.
async fn duplicates_story(store: &dyn Store) {
    let mut coroner = suicide("DUPSTORY-C", "2023-03-02", "E0DUPE001", "awaiting_inquest");
    coroner.values[0] = Some(lantern_core::register::Value::Text("coroner".to_owned()));
    let police = suicide("DUPSTORY-P", "2023-03-01", "E0DUPE001", "suspected");
    store
        .import_records(
            &[police, coroner],
            "test",
            false,
            &lantern_core::import::no_progress,
        )
        .await
        .unwrap();
    assert!(store.find_duplicates().await.unwrap() >= 1);
    assert_eq!(store.find_duplicates().await.unwrap(), 0, "queued once");
    let ours = |pairs: &[lantern_core::store::PossibleDuplicate]| {
        pairs
            .iter()
            .find(|p| p.first.record.text("source_ref") == "DUPSTORY-P")
            .map(|p| (p.id, p.status.clone(), p.second.record.text("source_ref")))
    };
    let (id, status, second) = ours(&store.duplicates(Some("open")).await.unwrap()).unwrap();
    assert_eq!((status.as_str(), second.as_str()), ("open", "DUPSTORY-C"));
    let counted = |records: Vec<Record>| {
        records
            .iter()
            .filter(|r| r.text("residence_area") == "E0DUPE001")
            .count()
    };
    let fields = ["source_ref", "residence_area"];
    assert_eq!(
        counted(store.export_fields(&SUICIDES, &fields).await.unwrap()),
        2
    );
    store.decide_duplicate(id, "same", "tester").await.unwrap();
    assert_eq!(
        counted(store.export_fields(&SUICIDES, &fields).await.unwrap()),
        1
    );
    assert!(ours(&store.duplicates(Some("open")).await.unwrap()).is_none());
    store.decide_duplicate(id, "open", "tester").await.unwrap();
    assert_eq!(
        counted(store.export_fields(&SUICIDES, &fields).await.unwrap()),
        2
    );
    store
        .decide_duplicate(id, "distinct", "tester")
        .await
        .unwrap();
    let (_, status, _) = ours(&store.duplicates(None).await.unwrap()).unwrap();
    assert_eq!(status, "distinct");
    assert!(matches!(
        store.decide_duplicate(999_999, "same", "tester").await,
        Err(StoreError::NotFound)
    ));
    assert!(store.decide_duplicate(id, "maybe", "tester").await.is_err());
}

/// Postcodes are kept by key with their area, centroid and termination; a re-import with one
/// changed is one update; a dry run writes nothing.
async fn postcodes_story(store: &dyn Store) {
    use lantern_core::import::{Postcode, postcode_key};
    let pc = |p: &str, area: &str, lat: Option<f64>, terminated: Option<&str>| Postcode {
        key: postcode_key(p),
        area_code: area.to_owned(),
        lat,
        lon: lat.map(|_| -2.5),
        terminated: terminated.map(str::to_owned),
        district: lantern_core::import::postcodes::postcode_district(p),
    };
    let first = vec![
        pc("AV1 1AA", "E01000001", Some(53.5), None),
        pc("AV1 1AB", "E01000001", None, Some("201012")),
    ];
    let dry = store.upsert_postcodes(&first, true).await.unwrap();
    assert_eq!(dry.inserted, 2);
    assert!(
        store.postcodes().await.unwrap().is_empty(),
        "a dry run writes nothing"
    );
    store.upsert_postcodes(&first, false).await.unwrap();
    let held = store.postcodes().await.unwrap();
    assert_eq!(held.len(), 2);
    assert_eq!(held[&postcode_key("AV1 1AA")], first[0]);
    assert_eq!(held[&postcode_key("AV1 1AB")], first[1]);
    let second = vec![
        pc("AV1 1AA", "E01000002", Some(53.5), None),
        first[1].clone(),
    ];
    let again = store.upsert_postcodes(&second, false).await.unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 1, 1));
    assert_eq!(
        store.postcodes().await.unwrap()[&postcode_key("AV1 1AA")].area_code,
        "E01000002"
    );
}

/// Saved profiles and listed sources: saved, replaced, listed, removed; a rename carries the
/// records with it and never merges two sources.
async fn profiles_and_sources_story(store: &dyn Store) {
    use lantern_core::store::{SavedProfile, Source};
    let at = chrono::Utc::now();
    let p = SavedProfile {
        name: "police".to_owned(),
        dataset: "suicides".to_owned(),
        toml: "dataset = \"suicides\"\n".to_owned(),
        saved_at: at,
        saved_by: "cli:test".to_owned(),
    };
    assert!(!store.save_profile(&p).await.unwrap());
    assert!(
        store.save_profile(&p).await.unwrap(),
        "saved again: replaced"
    );
    let got = store.profile("police").await.unwrap().unwrap();
    assert_eq!(
        (got.name.as_str(), got.toml.as_str()),
        ("police", p.toml.as_str())
    );
    assert_eq!(store.profiles().await.unwrap().len(), 1);
    assert!(store.remove_profile("police").await.unwrap());
    assert!(!store.remove_profile("police").await.unwrap());
    assert!(store.profile("police").await.unwrap().is_none());
    let source = |name: &str| Source {
        name: name.to_owned(),
        label: name.to_uppercase(),
        added_at: at,
        added_by: "cli:test".to_owned(),
    };
    store.add_source(&source("lister-a")).await.unwrap();
    store.add_source(&source("lister-b")).await.unwrap();
    assert!(
        store.add_source(&source("lister-a")).await.is_err(),
        "listed already"
    );
    let names: Vec<String> = store
        .listed_sources()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(names.contains(&"lister-a".to_owned()) && names.contains(&"lister-b".to_owned()));
    assert_eq!(
        store.rename_source("lister-a", "lister-c").await.unwrap(),
        0
    );
    assert!(
        store.rename_source("lister-b", "lister-c").await.is_err(),
        "never merged"
    );
    assert!(matches!(
        store.rename_source("nobody", "lister-d").await,
        Err(lantern_core::StoreError::NotFound)
    ));
}

async fn export_story(store: &dyn Store) {
    let blanked = |records: &[Record], fields: &[&str]| -> Vec<Record> {
        records
            .iter()
            .map(|r| {
                let mut r = r.clone();
                for (i, f) in r.dataset.fields.iter().enumerate() {
                    if !fields.contains(&f.name) {
                        r.values[i] = None;
                    }
                }
                r
            })
            .collect()
    };
    let check = async |ds: &'static Dataset| {
        let all = store.export_records(ds).await.unwrap();
        let names: Vec<&str> = ds.fields.iter().map(|f| f.name).collect();
        let some: Vec<&str> = names.iter().copied().step_by(3).collect();
        for fields in [names.clone(), some, vec![ds.date_field]] {
            let read = store.export_fields(ds, &fields).await.unwrap();
            assert_eq!(read.len(), all.len());
            assert!(read == blanked(&all, &fields), "{} {fields:?}", ds.name);
        }
        assert!(store.export_fields(ds, &[]).await.unwrap().is_empty());
        all.len()
    };
    assert!(check(&SELF_HARM).await > 4_096 * 2);
    let mut odd = presentation("ODD-1", "2024-02-03", 'c');
    let i = SELF_HARM.index("drugs").unwrap();
    odd.values[i] = Some(lantern_core::register::Value::Text(
        "=a\u{1f}b\u{1e}c".to_owned(),
    ));
    store.create_record(&odd, "web").await.unwrap();
    check(&SELF_HARM).await;
    check(&SUICIDES).await;
}

/// Users, sessions, and the access scope of a list. Runs after `exercise` (its areas).
async fn users_story(store: &dyn Store) {
    use lantern_core::auth::{NewUser, Role, Session, UserChange};
    let new = NewUser {
        username: "rita.recorder".into(),
        role: Role::Recorder,
        area: Some("E10000001".into()),
        organisation: Some("scope_police".into()),
        password_hash: "$argon2id$fake".into(),
    };
    let id = store.create_user(&new).await.unwrap();
    assert!(matches!(
        store.create_user(&new).await,
        Err(StoreError::Conflict(_))
    ));
    let user = store.user("rita.recorder").await.unwrap().unwrap();
    assert_eq!(
        (user.id, user.role, user.disabled),
        (id, Role::Recorder, false)
    );
    assert_eq!(user.organisation.as_deref(), Some("scope_police"));
    assert!(store.user("nobody").await.unwrap().is_none());
    assert_eq!(store.users().await.unwrap().len(), 1);

    let now = chrono::Utc::now();
    let session = Session {
        token_hash: "h1".into(),
        user_id: id,
        csrf_token: "c1".into(),
        created_at: now,
        last_seen_at: now,
        origin: "127.0.0.1".into(),
    };
    store.create_session(&session).await.unwrap();
    let (s, u) = store.session("h1").await.unwrap().unwrap();
    assert_eq!(
        (s.csrf_token.as_str(), u.username.as_str()),
        ("c1", "rita.recorder")
    );
    let later = now + chrono::Duration::minutes(5);
    store.touch_session("h1", later).await.unwrap();
    let (s, _) = store.session("h1").await.unwrap().unwrap();
    assert_eq!(s.last_seen_at.timestamp(), later.timestamp());
    // Any change to a user ends their sessions.
    let change = UserChange {
        disabled: Some(true),
        ..UserChange::default()
    };
    store.update_user("rita.recorder", &change).await.unwrap();
    assert!(store.session("h1").await.unwrap().is_none());
    assert!(store.user("rita.recorder").await.unwrap().unwrap().disabled);
    assert!(matches!(
        store.update_user("nobody", &change).await,
        Err(StoreError::NotFound)
    ));
    store
        .create_session(&Session {
            token_hash: "h2".into(),
            ..session
        })
        .await
        .unwrap();
    store.delete_session("h2").await.unwrap();
    assert!(store.session("h2").await.unwrap().is_none());

    // The area hierarchy and the scope of a list.
    assert!(store.area_contains("E10000001", "E01000001").await.unwrap());
    assert!(store.area_contains("E01000001", "E01000001").await.unwrap());
    assert!(!store.area_contains("E10000001", "E01000003").await.unwrap());
    assert!(!store.area_contains("E01000001", "E10000001").await.unwrap());
    let mut inside = suicide("SCOPE-1", "2024-01-01", "E01000001", "suspected");
    let mut outside = suicide("SCOPE-2", "2024-01-01", "E01000003", "suspected");
    for r in [&mut inside, &mut outside] {
        r.set(
            "source",
            Some(lantern_core::register::Value::Text("scope_police".into())),
        );
    }
    store.create_record(&inside, "test").await.unwrap();
    store.create_record(&outside, "test").await.unwrap();
    let scoped = |area: Option<&str>, source: Option<&str>| RecordQuery {
        scope_area: area.map(str::to_owned),
        scope_source: source.map(str::to_owned),
        per_page: 500,
        ..RecordQuery::default()
    };
    let refs = |page: lantern_core::store::Page| -> Vec<String> {
        page.items
            .iter()
            .map(|r| r.record.text("source_ref"))
            .collect()
    };
    let got = refs(
        store
            .list_records(&SUICIDES, &scoped(Some("E10000001"), Some("scope_police")))
            .await
            .unwrap(),
    );
    assert_eq!(got, ["SCOPE-1"]);
    let got = refs(
        store
            .list_records(&SUICIDES, &scoped(None, Some("scope_police")))
            .await
            .unwrap(),
    );
    assert_eq!(got.len(), 2);
    // A request filter cannot widen the scope.
    let mut q = scoped(Some("E07000001"), Some("scope_police"));
    q.area = Some("E01000003".into());
    assert_eq!(store.list_records(&SUICIDES, &q).await.unwrap().total, 0);
    q.area = None;
    q.source = Some("police".into());
    assert_eq!(store.list_records(&SUICIDES, &q).await.unwrap().total, 0);

    // No fixed abode and outside the partnership's areas: in the whole partnership's scope
    // only, and only when the areas have one top (here two, until E01000003 is put inside).
    for (reference, home) in [
        ("SCOPE-NFA", "no_fixed_abode"),
        ("SCOPE-OUT", "outside_area"),
    ] {
        let mut r = suicide(reference, "2024-01-02", home, "suspected");
        r.set(
            "source",
            Some(lantern_core::register::Value::Text("scope_police".into())),
        );
        store.create_record(&r, "test").await.unwrap();
    }
    let county = scoped(Some("E10000001"), Some("scope_police"));
    assert_eq!(
        refs(store.list_records(&SUICIDES, &county).await.unwrap()),
        ["SCOPE-1"]
    );
    assert!(
        !store
            .area_contains("E10000001", "no_fixed_abode")
            .await
            .unwrap()
    );
    let links = [("E01000003".to_owned(), "E10000001".to_owned())];
    store.set_area_parents(&links, false).await.unwrap();
    let mut got = refs(store.list_records(&SUICIDES, &county).await.unwrap());
    got.sort();
    assert_eq!(got, ["SCOPE-1", "SCOPE-2", "SCOPE-NFA", "SCOPE-OUT"]);
    for home in ["no_fixed_abode", "outside_area"] {
        assert!(store.area_contains("E10000001", home).await.unwrap());
        assert!(!store.area_contains("E07000001", home).await.unwrap());
    }
    let district = scoped(Some("E07000001"), Some("scope_police"));
    assert_eq!(
        refs(store.list_records(&SUICIDES, &district).await.unwrap()),
        ["SCOPE-1"]
    );
    // A request's own area filter finds them by their code, and no wider than the scope.
    let mut q = county.clone();
    q.area = Some("no_fixed_abode".into());
    assert_eq!(
        refs(store.list_records(&SUICIDES, &q).await.unwrap()),
        ["SCOPE-NFA"]
    );
    let mut q = district;
    q.area = Some("outside_area".into());
    assert_eq!(store.list_records(&SUICIDES, &q).await.unwrap().total, 0);
}

/// The postvention worklist: deaths with no offer of bereavement support recorded, not ruled
/// out, within the scope, filtered before paging and counted.
async fn postvention_story(store: &dyn Store) {
    let cases = [
        ("PV-BLANK", "suspected", None),
        ("PV-OLDER", "awaiting_inquest", None),
        ("PV-OFFERED", "suspected", Some("yes")),
        ("PV-DECLINED", "suspected", Some("no")),
        ("PV-RULED-OUT", "not_suicide", None),
        ("PV-ACCIDENT", "concluded_accident", None),
    ];
    for (i, (reference, status, offered)) in cases.into_iter().enumerate() {
        let mut r = suicide(
            reference,
            &format!("2023-0{}-01", 6 - i),
            "E01000001",
            status,
        );
        r.set(
            "source",
            Some(lantern_core::register::Value::Text("pv_police".into())),
        );
        if let Some(o) = offered {
            r.set(
                "support_offered",
                Some(lantern_core::register::Value::Bool(o == "yes")),
            );
        }
        store.create_record(&r, "test").await.unwrap();
    }
    let q = RecordQuery {
        awaiting_support: true,
        scope_source: Some("pv_police".into()),
        sort: Some("date_of_death".into()),
        desc: false,
        per_page: 1,
        ..RecordQuery::default()
    };
    let page = store.list_records(&SUICIDES, &q).await.unwrap();
    assert_eq!(page.total, 2, "counted before paging");
    assert_eq!(page.items[0].record.text("source_ref"), "PV-OLDER");
    let page = store
        .list_records(
            &SUICIDES,
            &RecordQuery {
                page: 2,
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items[0].record.text("source_ref"), "PV-BLANK");
    // Recording the offer takes a death off the list; the scope still narrows it.
    let blank = page.items[0].clone();
    let mut offered = blank.record.clone();
    offered.set(
        "support_offered",
        Some(lantern_core::register::Value::Bool(true)),
    );
    store
        .update_record(blank.id, &offered, "test", Some(blank.version))
        .await
        .unwrap();
    let page = store
        .list_records(
            &SUICIDES,
            &RecordQuery {
                per_page: 50,
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    let elsewhere = RecordQuery {
        scope_area: Some("E01000003".into()),
        ..q
    };
    assert_eq!(
        store
            .list_records(&SUICIDES, &elsewhere)
            .await
            .unwrap()
            .total,
        0
    );
}

/// A plan kept and read back whole, updates that change status and RAG, and removal.
async fn plans_story(store: &dyn Store) {
    use lantern_core::plans::{NewUpdate, PlanOptions, Rag, parse_plan_bytes};
    let text = "Ashvale plan 2025-26\n1. Men\nNo.\tAction\tLead\tStatus\tTimescale\tMeasure\tLinks\n\
1.1\tRun a campaign\tAshvale Council\tUnderway\tMarch 2026\tReach\t1.2\n\
1.2\tTrain supervisors\tAshvale Hub\tIdea\tOngoing\t\t\n\
2. Bereaved\n2.1\tCommission postvention\tAshvale ICB\tNot started\t2025/26\t\t\n";
    let plan = parse_plan_bytes("plan.txt", text.as_bytes(), None, &PlanOptions::default())
        .unwrap()
        .plan;
    let id = store.create_plan(&plan).await.unwrap();
    assert!(matches!(
        store.create_plan(&plan).await,
        Err(StoreError::Conflict(_))
    ));
    let stored = store.plan(id).await.unwrap();
    assert_eq!(stored.plan, plan, "the plan reads back as it was written");
    assert_eq!(stored.action_ids.len(), 3);
    let list = store.plans().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].id, list[0].actions), (id, 3));
    assert_eq!(list[0].period.as_deref(), Some("2025-26"));

    let a = stored.action_id("1.2").unwrap();
    let at = chrono::Utc::now();
    let mut u1 = NewUpdate::words(
        at,
        "lead",
        "Funding agreed",
        Some("underway".into()),
        Some(Rag::Amber),
    );
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    u1.reading = Some(lantern_core::plans::Reading {
        measure: 0,
        measure_text: "Schools with a lead".into(),
        value: 22.0,
        of: Some(31.0),
        percent: false,
        on: day(2026, 12, 1),
    });
    u1.due_change = Some(lantern_core::plans::DueChange {
        due: day(2027, 6, 30),
        before: None,
        reason: "Staff redeployed".into(),
        agreed: false,
    });
    store.add_update(a, &u1).await.unwrap();
    let before = store.plan(id).await.unwrap();
    assert_eq!(
        before.plan.action("1.2").unwrap().due,
        stored.plan.action("1.2").unwrap().due,
        "a proposed due date does not move the action"
    );
    let mut u2 = NewUpdate::words(
        at + chrono::Duration::seconds(1),
        "lead",
        "First cohort booked",
        None,
        None,
    );
    u2.due_change = Some(lantern_core::plans::DueChange {
        due: day(2027, 3, 31),
        before: None,
        reason: "Agreed at the oversight group".into(),
        agreed: true,
    });
    store.add_update(a, &u2).await.unwrap();
    assert!(matches!(
        store.add_update(999_999, &u2).await,
        Err(StoreError::NotFound)
    ));
    let now = store.plan(id).await.unwrap();
    let action = now.plan.action("1.2").unwrap();
    assert_eq!(action.status.as_deref(), Some("underway"));
    assert_eq!(
        action.rag,
        Some(Rag::Amber),
        "an update without a RAG keeps the last"
    );
    let updates = store.plan_updates(id).await.unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0].status_before.as_deref(), Some("idea"));
    assert_eq!(updates[0].update.text, "Funding agreed");
    assert_eq!(updates[1].status_before.as_deref(), Some("underway"));
    assert_eq!(updates[1].update.status, None);
    // PostgreSQL keeps microseconds, so the times are compared apart.
    assert_eq!(
        (&updates[0].update.reading, &updates[0].update.due_change),
        (&u1.reading, &u1.due_change),
        "a value and a proposal read back as written"
    );
    assert_eq!(updates[1].update.due_change, u2.due_change);
    assert_eq!(updates[1].update.reading, None);
    assert_eq!(
        action.due,
        Some(day(2027, 3, 31)),
        "an agreed due date moves the action"
    );
    assert_eq!(
        now.plan.action("1.1").unwrap().due,
        stored.plan.action("1.1").unwrap().due,
        "and no other"
    );

    store.delete_plan(id).await.unwrap();
    assert!(matches!(store.plan(id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.delete_plan(id).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.plans().await.unwrap().is_empty());
}

fn found(key: &str, end: chrono::NaiveDate, title: &str) -> lantern_core::signals::Found {
    lantern_core::signals::Found {
        key: key.to_owned(),
        kind: lantern_core::signals::SignalKind::Scan,
        dataset: "suicides".to_owned(),
        area_code: Some("E06000001".to_owned()),
        title: title.to_owned(),
        explanation: "4 suspected suicides within 2 km and 21 days.".to_owned(),
        method: "space-time-permutation".to_owned(),
        parameters: serde_json::json!({"replications": 999}),
        observed: 4,
        expected: Some(0.7),
        p_value: Some(0.002),
        recurrence_days: Some(2922.0),
        start: end - chrono::Duration::days(20),
        end,
        places: vec![lantern_core::signals::Place {
            label: "Wynmoor 011A".to_owned(),
            lat: 54.1,
            lon: -2.3,
            count: 4,
        }],
        radius_km: Some(2.0),
        timeline: vec![(end, 4)],
        snapshot: "7".to_owned(),
        elapsed_ms: 12,
    }
}

/// Signals keep their review across recomputations; stale reviews are refused; unreviewed
/// signals that are no longer found go; locations of concern have unique names.
async fn signals_story(store: &dyn Store) {
    use lantern_core::signals::{LocationOfConcern, ReviewStatus, SignalReview};
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    let (a, b) = (found("scan:a", day(1), "A"), found("scan:b", day(9), "B"));
    let now = chrono::Utc::now();
    assert_eq!(
        store
            .save_signals(&[a.clone(), b.clone()], now)
            .await
            .unwrap(),
        2
    );
    let list = store.signals().await.unwrap();
    assert_eq!(
        list.iter()
            .map(|s| s.found.title.as_str())
            .collect::<Vec<_>>(),
        ["B", "A"]
    );
    assert_eq!(list[1].found, a, "the findings round-trip");
    assert!(
        list.iter()
            .all(|s| s.status == ReviewStatus::New && s.version == 1)
    );
    let id_a = list[1].id;
    let review = SignalReview {
        status: ReviewStatus::UnderReview,
        owner: Some("public health".to_owned()),
        note: "Asked the coroner.".to_owned(),
        author: "analyst".to_owned(),
        at: now,
        version: 1,
    };
    store.review_signal(id_a, &review).await.unwrap();
    assert!(matches!(
        store.review_signal(id_a, &review).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.review_signal(id_a + 1000, &review).await,
        Err(StoreError::NotFound)
    ));
    // Recomputed: A found again with new figures, B no longer found, C new.
    let mut a2 = a.clone();
    a2.title = "A again".to_owned();
    let c = found("scan:c", day(20), "C");
    assert_eq!(store.save_signals(&[a2.clone(), c], now).await.unwrap(), 1);
    let list = store.signals().await.unwrap();
    assert_eq!(
        list.iter()
            .map(|s| s.found.title.as_str())
            .collect::<Vec<_>>(),
        ["C", "A again"]
    );
    let (sa, events) = store.signal(id_a).await.unwrap();
    assert_eq!(
        (sa.status, sa.owner.as_deref(), sa.version),
        (ReviewStatus::UnderReview, Some("public health"), 2)
    );
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].status_before, events[0].status),
        (ReviewStatus::New, ReviewStatus::UnderReview)
    );
    assert_eq!(events[0].note, "Asked the coroner.");
    // A reviewed signal stays even when it is no longer found.
    store.save_signals(&[], now).await.unwrap();
    assert_eq!(store.signals().await.unwrap().len(), 1);

    let bridge = LocationOfConcern {
        id: 0,
        name: "Kestrel Bridge".to_owned(),
        kind: "bridge".to_owned(),
        lat: 54.2,
        lon: -2.4,
        measures: vec!["signage".to_owned()],
        review_date: Some(day(31)),
        notes: String::new(),
    };
    let id = store.add_location_of_concern(&bridge).await.unwrap();
    assert!(matches!(
        store.add_location_of_concern(&bridge).await,
        Err(StoreError::Conflict(_))
    ));
    let all = store.locations_of_concern().await.unwrap();
    assert_eq!(all, vec![LocationOfConcern { id, ..bridge }]);
}

/// Report schedules keep their runs and files; a second run for a period is a conflict and
/// writes nothing; deleting a schedule takes its runs and files with it.
async fn reports_story(store: &dyn Store) {
    use lantern_core::reports::schedule::{Cadence, NewSchedule};
    assert!(store.schedules().await.unwrap().is_empty());
    let new = NewSchedule {
        kind: "quarterly".to_owned(),
        cadence: Cadence::Quarterly,
        area: Some("E10000017".to_owned()),
        audience: "partner".to_owned(),
        ages: None,
        plan: None,
        created_by: "ann".to_owned(),
    };
    let id = store.create_schedule(&new).await.unwrap();
    let other = store
        .create_schedule(&NewSchedule {
            cadence: Cadence::Yearly,
            kind: "audit".to_owned(),
            ..new.clone()
        })
        .await
        .unwrap();
    let all = store.schedules().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].id, &all[0].schedule), (id, &new));
    let at = Utc.with_ymd_and_hms(2027, 1, 4, 6, 0, 0).unwrap();
    let pdf = vec![0x25, 0x50, 0x44, 0x46, 0, 255, 7];
    let run = store
        .save_run(
            id,
            "2026Q4",
            at,
            "Quarterly report",
            "abc",
            &[("pdf", pdf.clone()), ("csv", b"# report".to_vec())],
        )
        .await
        .unwrap();
    // The same period again: refused, and nothing of it is kept.
    let again = store
        .save_run(
            id,
            "2026Q4",
            at,
            "Quarterly report",
            "def",
            &[("pdf", vec![1])],
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    store
        .save_run(
            other,
            "2026",
            at + chrono::Duration::hours(1),
            "Suicide audit",
            "abc",
            &[("html", b"<p>".to_vec())],
        )
        .await
        .unwrap();
    let runs = store.runs(Some(id)).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (
            runs[0].id,
            runs[0].period.as_str(),
            runs[0].ran_at,
            runs[0].snapshot.as_str(),
            &runs[0].formats
        ),
        (
            run,
            "2026Q4",
            at,
            "abc",
            &vec!["csv".to_owned(), "pdf".to_owned()]
        )
    );
    let every = store.runs(None).await.unwrap();
    assert_eq!(
        every.iter().map(|r| r.period.as_str()).collect::<Vec<_>>(),
        ["2026", "2026Q4"]
    );
    assert_eq!(store.run_file(run, "pdf").await.unwrap(), pdf);
    assert!(matches!(
        store.run_file(run, "xlsx").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.save_run(9999, "2026Q4", at, "x", "y", &[]).await,
        Err(StoreError::NotFound | StoreError::Backend(_))
    ));
    store.delete_schedule(id).await.unwrap();
    assert!(matches!(
        store.delete_schedule(id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.run_file(run, "pdf").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.runs(None).await.unwrap().len(), 1);
    store.delete_schedule(other).await.unwrap();
    assert!(store.runs(None).await.unwrap().is_empty());
}

/// The support directory: entries written by reference, all or none, read back whole, updated
/// in place, and checked (a verification is audited).
async fn services_story(store: &dyn Store) {
    use lantern_core::support::{Access, Service};
    let day = |m: u32| NaiveDate::from_ymd_opt(2026, m, 1).unwrap();
    let service = |r: &str, name: &str| Service {
        reference: r.to_owned(),
        name: name.to_owned(),
        organisation: "Harbour Trust".to_owned(),
        needs: vec!["bereavement_by_suicide".to_owned(), "crisis".to_owned()],
        areas: vec!["E07000001".to_owned()],
        age_min: Some(18),
        age_max: None,
        access: Access::Both,
        how_to_access: Some("Call; we ring back within a day".to_owned()),
        phone: Some("0300 123 4567".to_owned()),
        email: None,
        website: Some("https://harbour.example".to_owned()),
        hours: Some("Mon-Fri 9-5".to_owned()),
        description: Some("Peer support for people bereaved by suicide — café meetings".to_owned()),
        last_verified: day(3),
    };
    let rows = vec![service("S2", "beta line"), service("S1", "Alpha group")];
    let dry = store
        .upsert_services(&rows, "dir.csv", true, None)
        .await
        .unwrap();
    assert_eq!(dry.inserted, 2);
    assert!(
        store.services().await.unwrap().is_empty(),
        "a dry run writes nothing"
    );
    let first = store
        .upsert_services(&rows, "dir.csv", false, None)
        .await
        .unwrap();
    assert_eq!((first.inserted, first.updated, first.unchanged), (2, 0, 0));
    let read = store.services().await.unwrap();
    assert_eq!(
        read,
        vec![rows[1].clone(), rows[0].clone()],
        "whole, by name"
    );
    let again = store
        .upsert_services(&rows, "dir.csv", false, None)
        .await
        .unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 2));
    let mut changed = rows.clone();
    changed[0].areas = vec!["all".to_owned()];
    changed[0].age_min = None;
    let third = store
        .upsert_services(&changed, "dir.csv", false, None)
        .await
        .unwrap();
    assert_eq!((third.inserted, third.updated, third.unchanged), (0, 1, 1));
    let entry = |r: &str| lantern_core::audit::NewAuditEntry {
        actor: "harbour.lead".into(),
        action: "service_verified".into(),
        dataset: None,
        record_id: None,
        detail: format!("reference={r}"),
        origin: "127.0.0.1".into(),
    };
    assert!(
        store
            .verify_service("S2", day(9), entry("S2"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .verify_service("S9", day(9), entry("S9"))
            .await
            .unwrap()
    );
    let read = store.services().await.unwrap();
    let s2 = read.iter().find(|s| s.reference == "S2").unwrap();
    assert_eq!(s2.last_verified, day(9));
    assert_eq!(s2.areas, ["all"]);
    assert_eq!(s2.age_min, None);
    let (log, _) = store.audit_log().await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.entry.action == "service_verified")
            .count(),
        1,
        "only the verification that found its entry is audited"
    );
}

/// Organisations with their roles, and training by session and organisation: a dry run writes
/// nothing; rows read back whole (roles with and without an end, evaluation means, a row with
/// no organisation); again unchanged; a changed role updates its organisation; a session
/// imported again without one organisation's row loses that row.
async fn workforce_story(store: &dyn Store) {
    use lantern_core::workforce::{Organisation, Role, Training};
    let day = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
    let org = |r: &str, name: &str, roles: Vec<Role>| Organisation {
        reference: r.to_owned(),
        name: name.to_owned(),
        sector: "education".to_owned(),
        org_type: "school".to_owned(),
        area: Some("E07000001".to_owned()),
        size: Some(640),
        roles,
    };
    let lead = |from, to| Role {
        role: "senior_mental_health_lead".to_owned(),
        from,
        to,
    };
    let orgs = vec![
        org("S2", "Zed School", vec![]),
        org(
            "S1",
            "Alder Academy — café",
            vec![
                lead(day(2023, 9), Some(day(2024, 7))),
                lead(day(2024, 9), None),
            ],
        ),
    ];
    let dry = store
        .upsert_organisations(&orgs, "orgs.csv", true, None)
        .await
        .unwrap();
    assert_eq!(dry.inserted, 2);
    assert!(store.organisations().await.unwrap().is_empty());
    let first = store
        .upsert_organisations(&orgs, "orgs.csv", false, None)
        .await
        .unwrap();
    assert_eq!((first.inserted, first.updated, first.unchanged), (2, 0, 0));
    assert_eq!(
        store.organisations().await.unwrap(),
        vec![orgs[1].clone(), orgs[0].clone()],
        "whole, by name"
    );
    let mut changed = orgs.clone();
    changed[0].roles.push(lead(day(2025, 1), None));
    changed[1].size = None;
    let again = store
        .upsert_organisations(&changed, "orgs.csv", false, None)
        .await
        .unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 2, 0));
    let read = store.organisations().await.unwrap();
    assert_eq!(read[1].roles, changed[0].roles);
    assert_eq!(read[0].size, None);

    let row = |r: &str, o: Option<&str>, delegates| Training {
        reference: r.to_owned(),
        date: day(2025, 3),
        course: "orange_button".to_owned(),
        provider: Some("Mind".to_owned()),
        area: Some("E07000001".to_owned()),
        organisation: o.map(str::to_owned),
        sector: o.map(|_| "education".to_owned()),
        delegates,
        evaluations: o.map(|_| 3),
        confidence_before: o.map(|_| 4.25),
        confidence_after: o.map(|_| 8.5),
        satisfaction: o.map(|_| 4.75),
    };
    let rows = vec![
        row("T1", Some("S1"), 4),
        row("T1", Some("S2"), 2),
        row("T1", None, 5),
    ];
    let dry = store
        .upsert_training(&rows, "t.csv", true, None)
        .await
        .unwrap();
    assert_eq!(dry.inserted, 3);
    assert!(store.training().await.unwrap().is_empty());
    store
        .upsert_training(&rows, "t.csv", false, None)
        .await
        .unwrap();
    let read = store.training().await.unwrap();
    assert_eq!(read.len(), 3);
    for r in &rows {
        assert!(read.contains(r), "{r:?} in {read:?}");
    }
    let again = store
        .upsert_training(&rows, "t.csv", false, None)
        .await
        .unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 3));
    let fewer = vec![rows[0].clone(), rows[2].clone()];
    let third = store
        .upsert_training(&fewer, "t.csv", false, None)
        .await
        .unwrap();
    assert_eq!((third.inserted, third.updated, third.unchanged), (0, 1, 2));
    assert_eq!(store.training().await.unwrap().len(), 2);
}

/// Media reports: a dry run writes nothing; reports read back whole, newest first (yes and no
/// answers, a record link, blanks); again unchanged; a changed answer updates.
async fn media_story(store: &dyn Store) {
    use lantern_core::media::MediaReport;
    let report = |r: &str, day: u32, linked: bool| MediaReport {
        reference: r.to_owned(),
        outlet: "Gazette — online".to_owned(),
        published: NaiveDate::from_ymd_opt(2025, 3, day).unwrap(),
        link: linked.then(|| "https://g.example/1".to_owned()),
        headline: linked.then(|| "Tributes".to_owned()),
        area: linked.then(|| "E07000001".to_owned()),
        record_id: linked.then_some(42),
        method_detail: linked,
        location_detail: false,
        sensational_language: !linked,
        photo: false,
        helpline: true,
        follow_up: None,
    };
    let rows = vec![report("M1", 3, true), report("M2", 9, false)];
    let dry = store
        .upsert_media_reports(&rows, "m.csv", true, None)
        .await
        .unwrap();
    assert_eq!(dry.inserted, 2);
    assert!(store.media_reports().await.unwrap().is_empty());
    store
        .upsert_media_reports(&rows, "m.csv", false, None)
        .await
        .unwrap();
    assert_eq!(
        store.media_reports().await.unwrap(),
        vec![rows[1].clone(), rows[0].clone()],
        "whole, newest first"
    );
    let mut changed = rows.clone();
    changed[0].photo = true;
    changed[0].follow_up = Some("Called the newsdesk".to_owned());
    let again = store
        .upsert_media_reports(&changed, "m.csv", false, None)
        .await
        .unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 1, 1));
    assert_eq!(store.media_reports().await.unwrap()[1], changed[0]);
}

#[tokio::test]
async fn the_store_contract_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::new(format!(
        "sqlite://{}/nested/lantern.db",
        dir.path().display()
    ));
    let store = lantern_storage::open(&url).await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    exercise(store.as_ref()).await;
    users_story(store.as_ref()).await;
    plans_story(store.as_ref()).await;
    signals_story(store.as_ref()).await;
    reports_story(store.as_ref()).await;
    bulk_story(store.as_ref()).await;
    export_story(store.as_ref()).await;
    postcodes_story(store.as_ref()).await;
    profiles_and_sources_story(store.as_ref()).await;
    duplicates_story(store.as_ref()).await;
    postvention_story(store.as_ref()).await;
    services_story(store.as_ref()).await;
    workforce_story(store.as_ref()).await;
    media_story(store.as_ref()).await;
    // The rebuilt indexes are all there.
    use sqlx::Connection as _;
    let mut conn = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}/nested/lantern.db",
        dir.path().display()
    ))
    .await
    .unwrap();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'self_harm_presentations' ORDER BY name")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        names,
        [
            "self_harm_area",
            "self_harm_date",
            "self_harm_person",
            "sqlite_autoindex_self_harm_presentations_1"
        ]
    );
}

#[tokio::test]
async fn the_store_contract_holds_on_postgres() {
    let Ok(base) = std::env::var("TEST_POSTGRES_URL") else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    let db = helpers::PgTestDb::create(&base).await;
    let store = lantern_storage::open(&DatabaseUrl::new(db.url.clone()))
        .await
        .unwrap();
    assert_eq!(store.backend(), "postgres");
    exercise(store.as_ref()).await;
    users_story(store.as_ref()).await;
    plans_story(store.as_ref()).await;
    signals_story(store.as_ref()).await;
    reports_story(store.as_ref()).await;
    bulk_story(store.as_ref()).await;
    export_story(store.as_ref()).await;
    postcodes_story(store.as_ref()).await;
    profiles_and_sources_story(store.as_ref()).await;
    duplicates_story(store.as_ref()).await;
    postvention_story(store.as_ref()).await;
    services_story(store.as_ref()).await;
    workforce_story(store.as_ref()).await;
    media_story(store.as_ref()).await;
    audit_story(store.as_ref()).await;
    versions_story(store.as_ref()).await;
    {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        for sql in [
            "UPDATE audit_log SET detail = 'x'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ] {
            let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        let names: Vec<String> = sqlx::query_scalar("SELECT indexname::text FROM pg_indexes WHERE tablename = 'self_harm_presentations' ORDER BY indexname")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            names,
            [
                "self_harm_area",
                "self_harm_date",
                "self_harm_person",
                "self_harm_presentations_pkey",
                "self_harm_presentations_source_source_ref_key"
            ]
        );
    }
    drop(store);
    db.drop_database().await;
}

/// Writes in flight while a backup is taken: audit appends committing one after another, and
/// a 400,000-row import whose transaction is open. The restored copy must hold a whole audit
/// chain and none of the unfinished import, and then pass the whole contract itself.
async fn backup_story(
    url: &DatabaseUrl,
    restored: &DatabaseUrl,
    file: &std::path::Path,
    importing: impl AsyncFn() -> bool,
) {
    let store = lantern_storage::open(url).await.unwrap();
    let rows: Vec<Record> = (0..400_000)
        .map(|i| presentation(&format!("INFLIGHT-{i}"), "2022-05-01", 'a'))
        .collect();
    let importer = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .import_records(&rows, "inflight", false, &lantern_core::import::no_progress)
                .await
        })
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let auditor = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let entry = lantern_core::audit::NewAuditEntry {
                    actor: "writer".into(),
                    action: "view".into(),
                    dataset: Some("suicides".into()),
                    record_id: Some(i64::try_from(n).unwrap()),
                    detail: "during the backup".into(),
                    origin: "test".into(),
                };
                store.append_audit(&entry).await.unwrap();
                n += 1;
            }
            n
        })
    };
    let start = std::time::Instant::now();
    while !importing().await {
        assert!(
            !importer.is_finished(),
            "the import finished before the backup; use more rows"
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "the import never started writing"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let manifest = lantern_storage::backup::backup(url, file).await.unwrap();
    // SQLite's backup reads beside the open import. pg_dump takes its snapshot at once but then
    // waits for the lock the bulk import holds while it rebuilds indexes, so it may finish after
    // the import commits; either way the copy must hold none of the import's rows (below).
    if url.scheme() == "sqlite" {
        assert!(
            !importer.is_finished(),
            "the backup must be taken while the import is open"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let appended = auditor.await.unwrap();
    importer.abort();
    let _ = importer.await;
    assert!(appended > 0);
    assert!(manifest.bytes > 0 && manifest.sha256.len() == 64);
    // Backups are never overwritten.
    assert!(lantern_storage::backup::backup(url, file).await.is_err());

    let report = lantern_storage::backup::restore(restored, file)
        .await
        .unwrap();
    assert_eq!(report.self_harm, 0, "none of the unfinished import");
    assert!(
        report.audit_entries > 0,
        "the audit chain came across whole"
    );
    // Restoring again into the now-full database is refused.
    assert!(
        lantern_storage::backup::restore(restored, file)
            .await
            .is_err()
    );
    let copy = lantern_storage::open(restored).await.unwrap();
    exercise(copy.as_ref()).await;
    users_story(copy.as_ref()).await;
    bulk_story(copy.as_ref()).await;
    audit_story(copy.as_ref()).await;
    versions_story(copy.as_ref()).await;

    // A damaged file is refused before anything is written.
    let mut bytes = std::fs::read(file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(file, bytes).unwrap();
    let err = lantern_storage::backup::restore(restored, file)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("does not match its manifest"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_writes_restores_and_passes_the_contract_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.db");
    let url = DatabaseUrl::new(format!("sqlite://{}", path.display()));
    let restored = DatabaseUrl::new(format!(
        "sqlite://{}/restored/copy.db",
        dir.path().display()
    ));
    let wal = dir.path().join("live.db-wal");
    // The import is writing once its pages spill into the WAL.
    let importing = async || std::fs::metadata(&wal).is_ok_and(|m| m.len() > 8 << 20);
    backup_story(&url, &restored, &dir.path().join("backup.db"), importing).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_writes_restores_and_passes_the_contract_on_postgres() {
    let Ok(base) = std::env::var("TEST_POSTGRES_URL") else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    let live = helpers::PgTestDb::create(&base).await;
    let target = helpers::PgTestDb::create(&base).await;
    let dir = tempfile::tempdir().unwrap();
    let watch = live.url.clone();
    let importing = async || {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&watch).await.unwrap();
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND state = 'active' AND query LIKE 'INSERT INTO self_harm_presentations%'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        n > 0
    };
    backup_story(
        &DatabaseUrl::new(live.url.clone()),
        &DatabaseUrl::new(target.url.clone()),
        &dir.path().join("backup.dump"),
        importing,
    )
    .await;
    live.drop_database().await;
    target.drop_database().await;
}

mod helpers {
    use sqlx::Connection as _;

    /// A uniquely named PostgreSQL database for one test.
    pub(crate) struct PgTestDb {
        pub(crate) url: String,
        base: String,
        name: String,
    }

    impl PgTestDb {
        pub(crate) async fn create(base: &str) -> Self {
            let name = format!(
                "lantern_test_{}_{}",
                std::process::id(),
                chrono::Utc::now().timestamp_micros()
            );
            let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let (prefix, _) = base.rsplit_once('/').unwrap();
            Self {
                url: format!("{prefix}/{name}"),
                base: base.to_owned(),
                name,
            }
        }

        pub(crate) async fn drop_database(self) {
            let mut conn = sqlx::PgConnection::connect(&self.base).await.unwrap();
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await
            .unwrap();
        }
    }
}

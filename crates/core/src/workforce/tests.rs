use super::*;

#[test]
fn every_course_maps_to_known_frameworks() {
    let frameworks = crate::codes::list(FRAMEWORKS);
    for c in &crate::codes::list(COURSES).codes {
        let f = frameworks_of(&c.code);
        assert!(!f.is_empty(), "{} has no framework", c.code);
        assert!(
            f.iter().all(|x| frameworks.contains(x)),
            "{}: {f:?}",
            c.code
        );
        assert!(!competence_areas_of(&c.code).is_empty(), "{}", c.code);
    }
    assert!(is_elearning("zsa_elearning"));
    assert!(!is_elearning("orange_button"));
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("a day")
}

fn table(name: &str, text: &str) -> Table {
    Table::from_csv(name, text.as_bytes()).expect("a table")
}

fn known(code: &str) -> bool {
    ["E07000001", "E07000002"].contains(&code)
}

fn problems(e: ImportError) -> Vec<String> {
    match e {
        ImportError::Invalid(list) => list.iter().map(ToString::to_string).collect(),
        other => vec![other.to_string()],
    }
}

#[test]
fn an_organisation_per_role_row_gathers_its_roles() {
    let t = table(
        "o.csv",
        "reference,name,sector,type,area,size,role,role_from,role_to\n\
         S1,North Academy,Education,Academy,e07000001,\"1,200\",SMHL,01/09/2023,31/07/2024\n\
         s1,,,,,,Senior mental health lead,2024-09-01,\n\
         V1,Forces Hub,charity,ex-forces,,,,,\n",
    );
    let orgs = parse_organisations(&t, &known, today()).expect("good");
    assert_eq!(orgs.len(), 2);
    let s = &orgs[0];
    assert_eq!(
        (
            s.sector.as_str(),
            s.org_type.as_str(),
            s.area.as_deref(),
            s.size
        ),
        ("education", "school", Some("E07000001"), Some(1200))
    );
    assert_eq!(s.roles.len(), 2);
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("day");
    assert!(s.holds("senior_mental_health_lead", day(2024, 7, 31)));
    assert!(!s.holds("senior_mental_health_lead", day(2024, 8, 15)));
    assert!(s.holds("senior_mental_health_lead", day(2030, 1, 1)));
    assert_eq!(orgs[1].org_type, "veterans_organisation");
    assert_eq!(orgs[1].sector, "vcfse");
    assert!(orgs[1].roles.is_empty());
}

#[test]
fn organisation_problems_are_each_named_by_line_and_column() {
    let t = table(
        "o.csv",
        "reference,name,sector,type,role,role_from,role_to\n\
         ,Nameless,nhs,gp,,,\n\
         A1,A,nhs,gp,smhl,2024-01-01,\n\
         A1,A,nhs,gp,smhl,2024-06-01,\n\
         A2,B,nhs,gp,,2024-01-01,\n\
         A3,C,,,,,\n",
    );
    let got = problems(parse_organisations(&t, &known, today()).expect_err("bad"));
    assert_eq!(
        got,
        [
            "o.csv:2: reference: the reference is empty",
            "o.csv:4: role_from: senior_mental_health_lead is already held from 2024-01-01 on an earlier line: the dates overlap",
            "o.csv:5: role: a role's dates are given but not the role",
            "o.csv:6: sector: the sector is empty",
            "o.csv:6: type: the type of organisation is empty",
        ]
    );
    let missing = table("m.csv", "name,type\nA,school\n");
    let got = problems(parse_organisations(&missing, &known, today()).expect_err("bad"));
    assert_eq!(
        got,
        [
            "m.csv:1: reference: the column reference is missing",
            "m.csv:1: sector: the column sector is missing",
        ]
    );
    let empty = table("e.csv", "reference,name,sector,type\n");
    let got = problems(parse_organisations(&empty, &known, today()).expect_err("bad"));
    assert_eq!(got, ["e.csv:1: reference: the file holds no organisations"]);
}

#[test]
fn training_takes_the_organisations_sector_and_area_and_checks_its_scores() {
    let orgs = parse_organisations(
        &table(
            "o.csv",
            "reference,name,sector,type,area\nS1,North Academy,education,school,E07000001\n\
             S2,Twin,education,school,\nS3,Twin,education,school,\n",
        ),
        &known,
        today(),
    )
    .expect("orgs");
    let t = table(
        "t.csv",
        "reference,date,course,organisation,delegates,evaluations,confidence_before,confidence_after,satisfaction\n\
         T1,10/03/2025,Orange Button,north academy,4,4,4.5,8,4.6\n\
         T2,11/03/2025,zsa,,\"1,000\",,,,\n",
    );
    let rows = parse_training(&t, &orgs, &known, today()).expect("good");
    assert_eq!(rows[0].organisation.as_deref(), Some("S1"));
    assert_eq!(rows[0].sector.as_deref(), Some("education"));
    assert_eq!(rows[0].area.as_deref(), Some("E07000001"));
    assert_eq!(rows[0].course, "orange_button");
    assert_eq!(rows[1].course, "zsa_elearning");
    assert_eq!(rows[1].delegates, 1000);
    assert_eq!(rows[1].sector, None);
    let bad = table(
        "t.csv",
        "reference,date,course,organisation,delegates,evaluations,confidence_after\n\
         T1,10/03/2025,asist,Twin,4,,\n\
         T2,10/03/2025,asist,S1,4,,7\n\
         T3,10/03/2025,asist,S1,4,2,11\n\
         T3,10/03/2025,asist,S1,4,,\n",
    );
    let got = problems(parse_training(&bad, &orgs, &known, today()).expect_err("bad"));
    assert_eq!(
        got,
        [
            "t.csv:2: organisation: 'Twin' names 2 organisations: give the reference",
            "t.csv:3: evaluations: give how many evaluations the mean scores are over",
            "t.csv:4: confidence_after: '11' is not a score from 0 to 10",
            "t.csv:5: reference: repeats line 4",
        ]
    );
}

#[test]
fn lanterns_own_column_name_wins_over_another_columns_other_name() {
    // An export with a yes/no `Completed` beside `Date`, an `Org ID`, and extra columns.
    let orgs = parse_organisations(
        &table(
            "o.csv",
            "reference,name,sector,type\nS1,North Academy,education,school\n",
        ),
        &known,
        today(),
    )
    .expect("orgs");
    let t = table(
        "t.csv",
        "Session,Date,Completed,Training,Org ID,Attendees,Trainer's notes\n\
         T1,10/03/2025,Yes,Orange Button,S1,4,=SUM(A1:A9)\n",
    );
    let rows = parse_training(&t, &orgs, &known, today()).expect("good");
    assert_eq!(
        rows[0].date,
        NaiveDate::from_ymd_opt(2025, 3, 10).expect("day")
    );
    assert_eq!(rows[0].organisation.as_deref(), Some("S1"));
}

mod properties {
    use super::super::*;
    use super::{known, today};
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        "[A-Za-z0-9 ,;\"'é&=+@-]{1,24}"
            .prop_map(|s| s.trim().to_owned())
            .prop_filter("not blank", |s| !s.is_empty())
    }

    fn code(list: &'static str) -> impl Strategy<Value = String> {
        let codes: Vec<String> = crate::codes::list(list)
            .codes
            .iter()
            .map(|c| c.code.clone())
            .collect();
        proptest::sample::select(codes)
    }

    fn day() -> impl Strategy<Value = NaiveDate> {
        (0_i64..3000).prop_map(|d| {
            NaiveDate::from_ymd_opt(2018, 1, 1).expect("day") + chrono::Duration::days(d)
        })
    }

    prop_compose! {
        fn organisation(i: usize)(
            name in text(),
            sector in code(SECTORS),
            org_type in code(TYPES),
            area in proptest::option::of(proptest::sample::select(vec!["E07000001", "E07000002"])),
            size in proptest::option::of(0_u32..100_000),
            roles in proptest::collection::vec((code(ROLES), day(), proptest::option::of(0_i64..900)), 0..3),
        ) -> Organisation {
            // Distinct roles, so no two overlap.
            let mut seen = HashSet::new();
            let roles = roles
                .into_iter()
                .filter(|(r, _, _)| seen.insert(r.clone()))
                .map(|(role, from, len)| Role {
                    role,
                    from,
                    to: len.map(|l| from + chrono::Duration::days(l)),
                })
                .collect();
            Organisation {
                reference: format!("ORG-{i}"),
                name,
                sector,
                org_type,
                area: area.map(str::to_owned),
                size,
                roles,
            }
        }
    }

    proptest! {
        #[test]
        fn organisations_written_out_read_back_the_same(
            orgs in (1_usize..6).prop_flat_map(|n| (0..n).map(organisation).collect::<Vec<_>>())
        ) {
            let mut bytes = Vec::new();
            write_organisations(&orgs, &mut bytes).expect("written");
            let table = Table::from_csv("o.csv", &bytes).expect("table");
            let back = parse_organisations(&table, &known, today()).expect("reads back");
            prop_assert_eq!(back, orgs);
        }

        #[test]
        fn training_written_out_reads_back_the_same(
            rows in proptest::collection::vec(
                (code(COURSES), day(), 0_u32..500, proptest::option::of((1_u32..50, 0.0_f64..10.0, 1.0_f64..5.0)), proptest::option::of(text())),
                1..8,
            )
        ) {
            let rows: Vec<Training> = rows
                .into_iter()
                .enumerate()
                .map(|(i, (course, date, delegates, eval, provider))| Training {
                    reference: format!("T{i}"),
                    date,
                    course,
                    provider,
                    area: None,
                    organisation: None,
                    sector: None,
                    delegates,
                    evaluations: eval.map(|e| e.0.min(delegates)).filter(|_| delegates > 0),
                    confidence_before: eval.filter(|_| delegates > 0).map(|e| e.1),
                    confidence_after: None,
                    satisfaction: eval.filter(|_| delegates > 0).map(|e| e.2),
                })
                .collect();
            let mut bytes = Vec::new();
            write_training(&rows, &mut bytes).expect("written");
            let table = Table::from_csv("t.csv", &bytes).expect("table");
            let back = parse_training(&table, &[], &known, today()).expect("reads back");
            prop_assert_eq!(back, rows);
        }
    }
}

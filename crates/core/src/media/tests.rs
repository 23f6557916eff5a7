use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("a day")
}

fn table(text: &str) -> Table {
    Table::from_csv("m.csv", text.as_bytes()).expect("a table")
}

fn known_area(code: &str) -> bool {
    code == "E07000001"
}

fn known_record(id: i64) -> bool {
    id == 7
}

#[test]
fn a_log_in_its_own_words_reads_and_each_report_is_judged() {
    let t = table(
        "ID,Publication,Date published,URL,Title,Area code,Register ID,Method,Location,Sensational,Image,Signposting,Action taken\n\
         A1,Gazette,03/02/2025,https://g.example/1,Tributes,e07000001,7,N,no,No,no,Yes,\n\
         A2,Echo,2025-02-04,,,,,yes,no,no,no,no,Wrote to the editor\n",
    );
    let got = parse_reports(&t, &known_area, &known_record, today()).expect("good");
    assert_eq!(got.len(), 2);
    assert!(got[0].compliant());
    assert_eq!(got[0].record_id, Some(7));
    assert_eq!(got[0].area.as_deref(), Some("E07000001"));
    assert!(!got[1].compliant());
    assert_eq!(got[1].breaches(), ["method_detail", "helpline"]);
    assert_eq!(got[1].follow_up.as_deref(), Some("Wrote to the editor"));
}

#[test]
fn every_problem_is_named_by_line_and_column() {
    let t = table(
        "reference,outlet,published,link,area,record_id,method_detail,location_detail,sensational_language,photo,helpline\n\
         R1,,2099-01-01,g.example,E09999999,8,maybe,no,no,no,\n\
         R1,Echo,01/01/2025,,,,no,no,no,no,yes\n",
    );
    let got: Vec<String> = match parse_reports(&t, &known_area, &known_record, today()) {
        Err(ImportError::Invalid(list)) => list.iter().map(ToString::to_string).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        got,
        [
            "m.csv:2: outlet: the outlet is empty",
            "m.csv:2: published: 2099-01-01 is in the future",
            "m.csv:2: method_detail: 'maybe' is not yes or no",
            "m.csv:2: helpline: say yes or no: gave where to get help?",
            "m.csv:2: link: 'g.example' is not a web address: give it whole, beginning https://",
            "m.csv:2: area: 'E09999999' is not a known area code (import areas first)",
            "m.csv:2: record_id: '8' is not the id of a suspected suicide in the register",
            "m.csv:3: reference: repeats line 2",
        ]
    );
}

mod properties {
    use super::super::*;
    use super::{known_area, known_record, today};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_log_written_out_reads_back_the_same(
            rows in proptest::collection::vec(
                ("[A-Za-z0-9 ,;\"'=+-]{1,20}", 0_i64..3000, proptest::bool::ANY, [proptest::bool::ANY; 5], proptest::option::of("[a-z ,.'-]{1,30}")),
                1..10,
            )
        ) {
            let reports: Vec<MediaReport> = rows
                .into_iter()
                .enumerate()
                .filter(|(_, r)| !r.0.trim().is_empty())
                .map(|(i, (outlet, day, linked, checks, follow_up))| MediaReport {
                    reference: format!("R{i}"),
                    outlet: outlet.trim().to_owned(),
                    published: NaiveDate::from_ymd_opt(2018, 1, 1).expect("day") + chrono::Duration::days(day),
                    link: linked.then(|| format!("https://news.example/{i}")),
                    headline: None,
                    area: linked.then(|| "E07000001".to_owned()),
                    record_id: linked.then_some(7),
                    method_detail: checks[0],
                    location_detail: checks[1],
                    sensational_language: checks[2],
                    photo: checks[3],
                    helpline: checks[4],
                    follow_up: follow_up.map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()),
                })
                .collect();
            prop_assume!(!reports.is_empty());
            let mut bytes = Vec::new();
            write_csv(&reports, &mut bytes).expect("written");
            let t = Table::from_csv("m.csv", &bytes).expect("table");
            let back = parse_reports(&t, &known_area, &known_record, today()).expect("reads back");
            prop_assert_eq!(&back, &reports);
            // Compliant exactly when no item is broken.
            for r in &back {
                prop_assert_eq!(r.compliant(), r.breaches().is_empty());
            }
        }
    }
}

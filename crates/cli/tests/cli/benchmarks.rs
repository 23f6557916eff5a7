//! `lantern import benchmarks`: a Fingertips download with extra and missing columns imports,
//! again unchanged, an updated figure updates, and a bad file is refused by line and column with
//! nothing written; on SQLite and PostgreSQL.

use crate::helpers::{TestDb, refdata};

/// A Fingertips "download data" file as it comes: a byte-order mark, Windows line ends, columns
/// Lantern does not use, no 99.8% limits, a breakdown by deprivation and a withheld value.
const FINGERTIPS: &str = "\u{feff}Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,Category Type,Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,Count,Denominator,Value note,Recent Trend,Compared to England value or percentiles,Time period Sortable\r\n\
    41001,Suicide rate,,,E92000001,England,England,Persons,10+ yrs,,,2019 - 21,10.4,10.2,10.6,16315,,,,Not compared,20190000\r\n\
    41001,Suicide rate,E92000001,England,E12000002,North West region,Region,Persons,10+ yrs,,,2019 - 21,11.9,11.4,12.4,2338,,,,Worse,20190000\r\n\
    41001,Suicide rate,E92000001,England,E12000002,North West region,Region,Persons,10+ yrs,County & UA deprivation deciles,Most deprived decile,2019 - 21,14.0,,,,,,,,20190000\r\n\
    41001,Suicide rate,E12000002,North West region,E06000008,Blackburn with Darwen,UA,Persons,10+ yrs,,,2019 - 21,,,,,,Value suppressed,,,20190000\r\n";

fn imports_and_refuses(db: &TestDb) {
    let file = db.write("fingertips.csv", FINGERTIPS);
    let run = db.run(&["import", "benchmarks", &file, "--json"]);
    assert_eq!(run.summary(), (3, 0, 0), "{}", run.stderr);
    assert!(run.stderr.contains("Left out 1 rows"), "{}", run.stderr);
    assert_eq!(
        db.run(&["import", "benchmarks", &file, "--json"]).summary(),
        (0, 0, 3)
    );
    let revised = db.write(
        "revised.csv",
        &FINGERTIPS.replace(",11.9,11.4,12.4,", ",12.0,11.5,12.5,"),
    );
    assert_eq!(
        db.run(&["import", "benchmarks", &revised, "--json", "--dry-run"])
            .summary(),
        (0, 1, 2)
    );
    assert_eq!(
        db.run(&["import", "benchmarks", &revised, "--json"])
            .summary(),
        (0, 1, 2)
    );

    let bad = db.write(
        "bad.csv",
        "indicator,area_code,period,sex,value,lower,upper\n\
         41001,E92000001,2022,Persons,10.9,10.7,11.1\n\
         41001,E92000001,2023,Persons,ten,,\n\
         41001,England,2023,Persons,1,,\n",
    );
    let run = db.run(&["import", "benchmarks", &bad]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for line in [
        "bad.csv:3: value: 'ten' is not a number",
        "bad.csv:4: area_code: 'England' is not a GSS code",
    ] {
        assert!(run.stderr.contains(line), "{line} in {}", run.stderr);
    }
    // Nothing was written: the good first row of the bad file is still new.
    let good = db.write(
        "good.csv",
        "indicator,area_code,period,sex,value\n41001,E92000001,2022,Persons,10.9\n",
    );
    assert_eq!(
        db.run(&["import", "benchmarks", &good, "--json", "--dry-run"])
            .summary(),
        (1, 0, 0)
    );

    // A file with only some of the columns: the Trafford Data Lab extract of Fingertips.
    let trafford = refdata()
        .join("geography/fingertips-selfharm-admissions-trafforddatalab/admissions_self_harm.csv");
    let run = db.run(&["import", "benchmarks", trafford.to_str().unwrap(), "--json"]);
    assert_eq!(run.summary(), (2_624, 0, 0), "{}", run.stderr);

    // What is exported imports again unchanged.
    let exported = db.path("benchmarks.csv");
    db.run(&[
        "export",
        "benchmarks",
        "--output",
        exported.to_str().unwrap(),
    ])
    .ok();
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(
        text.starts_with("indicator,indicator_name,area_code,"),
        "{text}"
    );
    assert_eq!(
        db.run(&["import", "benchmarks", exported.to_str().unwrap(), "--json"])
            .summary(),
        (0, 0, 2_627)
    );

    let audit = db.audit_csv();
    assert_eq!(
        audit.matches(",benchmarks_import,").count(),
        5,
        "every import but the dry runs and the refused one: {audit}"
    );
}

#[test]
fn benchmarks_import_on_sqlite() {
    imports_and_refuses(&TestDb::sqlite());
}

#[test]
fn benchmarks_import_on_postgres() {
    let Some(db) = TestDb::postgres() else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    imports_and_refuses(&db);
}

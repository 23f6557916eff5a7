//! Importing the real ONS geography: 1,925 LSOAs of Lancashire-14, Leicester, Leicestershire and
//! Rutland, and Gloucestershire, with their MSOA, LAD and county parents, and Census 2021
//! populations (TS009), checked against the 5-year bands derived independently in refdata.

use std::collections::HashMap;

use crate::helpers::{TestDb, geography, json_files};

const COUNTIES: &str = "code,name,level,parent_code\n\
    E10000017,Lancashire,county,\n\
    E10000018,Leicestershire,county,\n\
    E10000013,Gloucestershire,county,\n";

fn import_geography(db: &TestDb) {
    let counties = db.write("counties.csv", COUNTIES);
    assert_eq!(
        db.run(&["import", "areas", &counties, "--json", "--dry-run"])
            .summary(),
        (3, 0, 0)
    );
    assert_eq!(
        db.run(&["import", "areas", &counties, "--json"]).summary(),
        (3, 0, 0)
    );
    let lads = geography("martinjc-UK-GeoJSON/lancs_leics_glos_lad13.geojson");
    assert_eq!(
        db.run(&["import", "areas", lads.to_str().unwrap(), "--json"])
            .summary(),
        (29, 0, 0)
    );
    let (mut msoas, mut lsoas) = (0, 0);
    for f in json_files(&geography("martinjc-UK-GeoJSON/msoa11_by_lad")) {
        msoas += db
            .run(&["import", "areas", &f, "--level", "msoa", "--json"])
            .summary()
            .0;
    }
    for f in json_files(&geography("martinjc-UK-GeoJSON/lsoa11_by_lad")) {
        lsoas += db.run(&["import", "areas", &f, "--json"]).summary().0;
    }
    assert_eq!((msoas, lsoas), (391, 1925));
    let lookup = geography("martinjc-UK-GeoJSON/derived_lsoa11_msoa11_lad13_lookup.csv");
    assert_eq!(
        db.run(&[
            "import",
            "area-lookup",
            lookup.to_str().unwrap(),
            "--json",
            "--dry-run"
        ])
        .summary(),
        (0, 1925 + 391 + 25, 0)
    );
    let (inserted, updated, unchanged) = db
        .run(&["import", "area-lookup", lookup.to_str().unwrap(), "--json"])
        .summary();
    // 1,925 LSOA->MSOA, 391 MSOA->LAD, and the 25 district->county links (4 unitaries have none).
    assert_eq!((inserted, updated, unchanged), (0, 1925 + 391 + 25, 0));
    // Importing the lookup again changes nothing.
    assert_eq!(
        db.run(&["import", "area-lookup", lookup.to_str().unwrap(), "--json"])
            .summary(),
        (0, 0, 1925 + 391 + 25)
    );
}

async fn areas_by_code(url: &str) -> HashMap<String, lantern_core::area::Area> {
    let store = lantern_storage::open(&lantern_storage::DatabaseUrl::new(url))
        .await
        .unwrap();
    store
        .areas(None)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.code.clone(), a))
        .collect()
}

async fn every_lsoa_has_msoa_lad_and_county_parents(db: &TestDb) {
    use lantern_core::area::AreaLevel;
    let areas = areas_by_code(&db.url).await;
    let lsoas: Vec<_> = areas
        .values()
        .filter(|a| a.level == AreaLevel::Lsoa)
        .collect();
    assert_eq!(lsoas.len(), 1925);
    let mut by_county: HashMap<String, usize> = HashMap::new();
    for lsoa in lsoas {
        let msoa = &areas[lsoa.parent_code.as_ref().unwrap()];
        assert_eq!(msoa.level, AreaLevel::Msoa, "{}", lsoa.code);
        let lad = &areas[msoa.parent_code.as_ref().unwrap()];
        assert_eq!(lad.level, AreaLevel::Lad);
        let county = lad
            .parent_code
            .clone()
            .unwrap_or_else(|| "unitary".to_owned());
        *by_county.entry(county).or_default() += 1;
    }
    // The lookup README's counts: Lancashire-12 756, Leicestershire 396, Gloucestershire 373;
    // Blackburn, Blackpool, Leicester and Rutland are unitary (185 + 215).
    assert_eq!(by_county["E10000017"], 756);
    assert_eq!(by_county["E10000018"], 396);
    assert_eq!(by_county["E10000013"], 373);
    assert_eq!(by_county["unitary"], 400);
}

/// Census populations: the wide TS009 file, summed into bands by Lantern, must equal the 5-year
/// bands that were derived separately in refdata for the same 29 districts.
async fn census_populations_match_the_derived_bands(db: &TestDb) {
    let ts009 = geography("populations/census2021_ts009_ltla_sex_by_single_year_of_age.csv");
    let dry = db.run(&[
        "import",
        "populations",
        ts009.to_str().unwrap(),
        "--json",
        "--dry-run",
    ]);
    assert_eq!(
        dry.summary(),
        (29 * 3 * 19, 0, 0),
        "a dry run counts exactly and writes nothing"
    );
    let run = db.run(&["import", "populations", ts009.to_str().unwrap(), "--json"]);
    let (inserted, _, _) = run.summary();
    assert_eq!(inserted, 29 * 3 * 19);
    assert!(run.stderr.contains("Skipped 302 areas"), "{}", run.stderr);
    let store = lantern_storage::open(&lantern_storage::DatabaseUrl::new(db.url.as_str()))
        .await
        .unwrap();
    let derived = lantern_core::import::read_table(&geography(
        "populations/census2021_5yr_by_sex_target_areas_and_england.csv",
    ))
    .unwrap();
    let mut checked = 0;
    let mut cache: HashMap<String, Vec<lantern_core::area::PopulationRow>> = HashMap::new();
    for (_, cells) in &derived.rows {
        let (code, sex, band, pop) = (
            &cells[2],
            &cells[4],
            &cells[5],
            cells[6].parse::<i64>().unwrap(),
        );
        if !code.starts_with("E0") {
            continue; // aggregates, not districts
        }
        let sex = match sex {
            "Persons" => "persons",
            "Males" => "male",
            _ => "female",
        };
        let rows = match cache.get(code) {
            Some(r) => r,
            None => {
                let r = store.populations(code, 2021).await.unwrap();
                cache.entry(code.to_owned()).or_insert(r)
            }
        };
        let got = rows
            .iter()
            .find(|r| r.sex.as_str() == sex && r.age_band == band)
            .unwrap_or_else(|| panic!("{code} {sex} {band}: {rows:?}"))
            .population;
        assert_eq!(got, pop, "{code} {sex} {band}");
        checked += 1;
    }
    assert_eq!(checked, 29 * 3 * 19);
    // Importing again changes nothing.
    assert_eq!(
        db.run(&["import", "populations", ts009.to_str().unwrap(), "--json"])
            .summary(),
        (0, 0, 29 * 3 * 19)
    );
}

#[tokio::test]
async fn the_real_ons_geography_and_census_populations_import_on_sqlite() {
    let db = TestDb::sqlite();
    import_geography(&db);
    every_lsoa_has_msoa_lad_and_county_parents(&db).await;
    census_populations_match_the_derived_bands(&db).await;
}

#[tokio::test]
async fn the_real_ons_geography_and_census_populations_import_on_postgres() {
    let Some(db) = TestDb::postgres() else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    import_geography(&db);
    every_lsoa_has_msoa_lad_and_county_parents(&db).await;
    census_populations_match_the_derived_bands(&db).await;
}

#[test]
fn areas_with_unknown_parents_or_bad_codes_are_reported_by_line() {
    let db = TestDb::sqlite();
    let f = db.write("a.csv", "code,name,level,parent_code\nE07000001,One,lad,E10000099\nE0700000X,Two,lad,\nE07000003,,district,\n");
    let run = db.run(&["import", "areas", &f]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(&format!("{f}:3: code: 'E0700000X' is not a GSS code")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("{f}:4: name: is required")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("{f}:4: level: 'district' is not one of")),
        "{}",
        run.stderr
    );
    let run = db.run(&[
        "import",
        "areas",
        &db.write(
            "b.csv",
            "code,name,level,parent_code\nE07000001,One,lad,E10000099\n",
        ),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(":2: parent_code: E10000099 is not a known area"),
        "{}",
        run.stderr
    );
}

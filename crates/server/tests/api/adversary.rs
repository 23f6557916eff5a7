//! The attacker, played in CI: random registers, random sets of the queries a partner or the
//! public may make, and a solver over everything they publish. The solver does not use
//! Lantern's own reasoning: it writes every published count as a linear equation over the
//! register's micro cells (year × district × sex × age band × method × place × the
//! step of bereavement support reached, of which whether support was offered and whether the
//! family consented are functions; "district" includes no fixed abode and outside the
//! partnership's areas, each counted apart), gives itself
//! every zero cell for free, and checks with exact linear algebra (over GF(2^61 - 1)) whether
//! any withheld count of 1-4 is a combination of what it knows. None may be.

use std::collections::{BTreeMap, BTreeSet};

use lantern_core::indicators::{IndicatorQuery, indicators};
use lantern_core::register::SUICIDES;
use lantern_stats::span::Span;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

/// Districts and their county; each district has two small areas.
const AREAS: &str = "code,name,level,parent_code\n\
    X12000001,Region,region,\n\
    X10000001,North,county,X12000001\n\
    X10000002,South,county,X12000001\n\
    X07000001,Aston,lad,X10000001\n\
    X07000002,Burley,lad,X10000001\n\
    X07000003,Carr,lad,X10000002\n\
    X01000001,Aston 1,lsoa,X07000001\n\
    X01000002,Aston 2,lsoa,X07000001\n\
    X01000003,Burley 1,lsoa,X07000002\n\
    X01000004,Burley 2,lsoa,X07000002\n\
    X01000005,Carr 1,lsoa,X07000003\n\
    X01000006,Carr 2,lsoa,X07000003\n";

const REGION: &str = "X12000001";
const COUNTIES: [&str; 2] = ["X10000001", "X10000002"];
const DISTRICTS: [&str; 3] = ["X07000001", "X07000002", "X07000003"];
/// Where a death's residence is: the six small areas, then no fixed abode and outside the
/// partnership's areas (which lie in no district, county or region, and are rows of their own).
const HOMES: [&str; 8] = [
    "X01000001",
    "X01000002",
    "X01000003",
    "X01000004",
    "X01000005",
    "X01000006",
    "no_fixed_abode",
    "outside_area",
];
/// A district's row, by `district_of`: the three districts, then the two residences that are no
/// area.
const DISTRICT_ROWS: [&str; 5] = [
    "X07000001",
    "X07000002",
    "X07000003",
    "no_fixed_abode",
    "outside_area",
];

const YEARS: [i32; 3] = [2021, 2022, 2023];
const AGES: [(i64, &str); 3] = [(22, "10-24"), (47, "45-64"), (71, "65+")];
const METHODS: [&str; 3] = ["hanging", "poisoning", "jump"];
const PLACES: [&str; 2] = ["home", "railway"];
const SEXES: [&str; 2] = ["female", "male"];
/// The steps of bereavement support a death's record reached: the stage, the file's cells
/// (support offered, consent, and whether a referral and a first contact are recorded), and
/// the answers published for whether support was offered and whether the family consented.
type Stage = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    bool,
    &'static str,
    &'static str,
);
const STAGES: [Stage; 7] = [
    (
        "not_recorded",
        "",
        "",
        false,
        false,
        "not recorded",
        "not recorded",
    ),
    ("not_offered", "no", "", false, false, "no", "not recorded"),
    ("offered", "yes", "", false, false, "yes", "not recorded"),
    ("declined", "yes", "no", false, false, "yes", "no"),
    ("accepted", "yes", "yes", false, false, "yes", "yes"),
    ("referred", "yes", "yes", true, false, "yes", "yes"),
    ("contacted", "yes", "yes", true, true, "yes", "yes"),
];

/// One death: (year, small area, sex, age, method, place, support offered).
type Death = (i32, usize, usize, usize, usize, usize, usize);

fn district_of(home: usize) -> usize {
    if home < 6 { home / 2 } else { home - 3 }
}

fn county_of(district: usize) -> usize {
    usize::from(district == 2)
}

/// The row of the county level a district counts in.
fn county_row(district: usize) -> &'static str {
    if district < 3 {
        COUNTIES[county_of(district)]
    } else {
        DISTRICT_ROWS[district]
    }
}

/// The micro cell of a death: year × district × sex × age × method × place × support.
fn micro(d: &Death) -> usize {
    let (y, lsoa, sex, age, method, place, support) = *d;
    let year = YEARS.iter().position(|x| *x == y).unwrap_or(0);
    (((((year * 5 + district_of(lsoa)) * 2 + sex) * 3 + age) * 3 + method) * 2 + place)
        * STAGES.len()
        + support
}

const MICRO: usize = 3 * 5 * 2 * 3 * 3 * 2 * STAGES.len();

/// A register with a few dense and many sparse cells, so that small counts are common.
fn register(rng: &mut StdRng) -> Vec<Death> {
    let n = rng.random_range(5..60);
    let hot = rng.random_range(0..3);
    (0..n)
        .map(|_| {
            let lsoa = if rng.random_bool(0.5) {
                hot * 2 + rng.random_range(0..2)
            } else {
                rng.random_range(0..HOMES.len())
            };
            (
                YEARS[rng.random_range(0..3)],
                lsoa,
                rng.random_range(0..2),
                rng.random_range(0..3),
                rng.random_range(0..3),
                rng.random_range(0..2),
                rng.random_range(0..STAGES.len()),
            )
        })
        .collect()
}

fn csv_of(deaths: &[Death]) -> String {
    let mut s = "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type,support_offered,support_consent,referral_date,referral_service,first_contact_date\n"
        .to_owned();
    for (i, (y, lsoa, sex, age, method, place, support)) in deaths.iter().enumerate() {
        s.push_str(&format!(
            "police,D{i},{y}-06-15,{},{},{},suspected,{},{},{},{},{},{},{}\n",
            AGES[*age].0,
            SEXES[*sex],
            HOMES[*lsoa],
            METHODS[*method],
            PLACES[*place],
            STAGES[*support].1,
            STAGES[*support].2,
            if STAGES[*support].3 {
                format!("{y}-06-20")
            } else {
                String::new()
            },
            if STAGES[*support].3 { "Amparo" } else { "" },
            if STAGES[*support].4 {
                format!("{y}-06-25")
            } else {
                String::new()
            },
        ));
    }
    s
}

/// Which deaths a row of a query counts: its labels, as a test on one death.
fn matches(by: &[&str], area: Option<&str>, labels: &[String], d: &Death) -> bool {
    let (y, lsoa, sex, age, method, place, support) = *d;
    let district = district_of(lsoa);
    // No fixed abode and outside the areas are in the whole partnership, and in no area.
    let in_area = match area {
        None => true,
        Some(a) if a == REGION => district < 3,
        Some(a) => a == county_row(district) || a == DISTRICT_ROWS[district],
    };
    in_area
        && by.iter().zip(labels).all(|(dim, v)| match *dim {
            "year" => v == &y.to_string(),
            "rolling_3_year" => {
                let start: i32 = v[..4].parse().unwrap();
                (start..start + 3).contains(&y)
            }
            "lad" => v == DISTRICT_ROWS[district],
            "county" => v == county_row(district),
            "sex" => v == SEXES[sex],
            "age_group" => v == AGES[age].1,
            "method_group" => v == METHODS[method],
            "location_type" => v == PLACES[place],
            "support_offered" => v == STAGES[support].5,
            "support_consent" => v == STAGES[support].6,
            "postvention_stage" => v == STAGES[support].0,
            other => panic!("no dimension {other}"),
        })
}

/// Every row a query could have: the product of each dimension's possible labels.
fn all_labels(by: &[&str]) -> Vec<Vec<String>> {
    let choices = |dim: &str| -> Vec<String> {
        match dim {
            "year" => YEARS.iter().map(ToString::to_string).collect(),
            "rolling_3_year" => vec!["2021-2023".to_owned()],
            "lad" => DISTRICT_ROWS.iter().map(|s| (*s).to_owned()).collect(),
            "county" => (0..DISTRICT_ROWS.len())
                .map(county_row)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            "sex" => SEXES.iter().map(|s| (*s).to_owned()).collect(),
            "age_group" => AGES.iter().map(|a| a.1.to_owned()).collect(),
            "method_group" => METHODS.iter().map(|s| (*s).to_owned()).collect(),
            "location_type" => PLACES.iter().map(|s| (*s).to_owned()).collect(),
            "support_offered" | "support_consent" => {
                ["yes", "no", "not recorded"].map(str::to_owned).to_vec()
            }
            "postvention_stage" => STAGES.iter().map(|s| s.0.to_owned()).collect(),
            other => panic!("no dimension {other}"),
        }
    };
    by.iter().fold(vec![Vec::new()], |acc, dim| {
        acc.iter()
            .flat_map(|prefix| {
                choices(dim).into_iter().map(move |c| {
                    let mut p = prefix.clone();
                    p.push(c);
                    p
                })
            })
            .collect()
    })
}

/// A query a partner may make: a period, an area level and a filter, and one breakdown.
fn random_query(rng: &mut StdRng) -> (Vec<&'static str>, Option<&'static str>) {
    let mut by = Vec::new();
    match rng.random_range(0..3) {
        0 => {}
        1 => by.push("year"),
        _ => by.push("rolling_3_year"),
    }
    match rng.random_range(0..3) {
        0 => {}
        1 => by.push("lad"),
        _ => by.push("county"),
    }
    let breakdowns = [
        "sex",
        "age_group",
        "method_group",
        "location_type",
        "support_offered",
        "support_consent",
        "postvention_stage",
    ];
    if rng.random_bool(0.7) {
        by.push(breakdowns[rng.random_range(0..breakdowns.len())]);
    }
    let areas = [
        None,
        Some(REGION),
        Some(COUNTIES[0]),
        Some(COUNTIES[1]),
        Some(DISTRICTS[0]),
        Some(DISTRICTS[1]),
        Some(DISTRICTS[2]),
    ];
    (by, areas[rng.random_range(0..areas.len())])
}

fn vector(by: &[&str], area: Option<&str>, labels: &[String]) -> Vec<u64> {
    let mut v = vec![0; MICRO];
    // Every possible death in every micro cell: mark the cells the row counts.
    for y in YEARS {
        for lsoa in [0, 2, 4, 6, 7] {
            for sex in 0..2 {
                for age in 0..3 {
                    for method in 0..3 {
                        for place in 0..2 {
                            for support in 0..STAGES.len() {
                                let d = (y, lsoa, sex, age, method, place, support);
                                if matches(by, area, labels, &d) {
                                    v[micro(&d)] = 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_partner_query_set_pins_down_a_count_of_1_to_4() {
    let dir = tempfile::tempdir().unwrap();
    let areas = dir.path().join("areas.csv");
    std::fs::write(&areas, AREAS).unwrap();
    let mut rng = StdRng::seed_from_u64(
        std::env::var("LANTERN_ADVERSARY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(13),
    );
    let cases = 200;
    let mut checked = 0_usize;
    let mut withheld_seen = 0_usize;
    for case in 0..cases {
        // A fresh database each case, so every decision is made from that case's register.
        let url = format!("sqlite://{}/case{case}.db", dir.path().display());
        let store = lantern_storage::open(&lantern_storage::DatabaseUrl::new(url))
            .await
            .unwrap();
        lantern_core::import::import_areas(store.as_ref(), &areas, None, false)
            .await
            .unwrap();
        let deaths = register(&mut rng);
        let file = dir.path().join(format!("case{case}.csv"));
        std::fs::write(&file, csv_of(&deaths)).unwrap();
        lantern_core::import::import_register(
            store.as_ref(),
            &SUICIDES,
            &file,
            &lantern_core::import::RegisterImportOptions::default(),
            &lantern_core::import::no_progress,
        )
        .await
        .unwrap();
        // The attacker's queries: usually a random handful, sometimes the whole catalogue.
        let queries: Vec<(Vec<&str>, Option<&str>)> = if case % 10 == 0 {
            let mut all = Vec::new();
            for period in [None, Some("year"), Some("rolling_3_year")] {
                for level in [None, Some("lad"), Some("county")] {
                    for b in [
                        None,
                        Some("sex"),
                        Some("age_group"),
                        Some("method_group"),
                        Some("location_type"),
                        Some("support_offered"),
                        Some("support_consent"),
                        Some("postvention_stage"),
                    ] {
                        for area in [
                            None,
                            Some(COUNTIES[0]),
                            Some(COUNTIES[1]),
                            Some(DISTRICTS[0]),
                            Some(DISTRICTS[1]),
                            Some(DISTRICTS[2]),
                        ] {
                            let by: Vec<&str> = [period, level, b].into_iter().flatten().collect();
                            all.push((by, area));
                        }
                    }
                }
            }
            all
        } else {
            (0..rng.random_range(5..40))
                .map(|_| random_query(&mut rng))
                .collect()
        };
        let mut known = Span::new(MICRO);
        let mut hidden: BTreeMap<Vec<u64>, (u64, String)> = BTreeMap::new();
        for (by, area) in &queries {
            let qs = format!(
                "dataset=suicides&by={}&audience=partner{}",
                if by.is_empty() {
                    "year".to_owned()
                } else {
                    by.join(",")
                },
                area.map(|a| format!("&area={a}")).unwrap_or_default()
            );
            // An empty `by` asks for the whole period: drop the default year.
            let mut q = IndicatorQuery::from_query_string(&qs).unwrap();
            if by.is_empty() {
                q.by.clear();
            }
            let table = indicators(store.as_ref(), &q).await.unwrap();
            let published: BTreeSet<Vec<String>> = table
                .published()
                .map(|r| r.dims.iter().map(|(_, v)| v.clone()).collect())
                .collect();
            for r in table.published() {
                let labels: Vec<String> = r.dims.iter().map(|(_, v)| v.clone()).collect();
                // The published count is the true count.
                let truth = deaths
                    .iter()
                    .filter(|d| matches(by, *area, &labels, d))
                    .count();
                assert_eq!(r.count, Some(truth as u64), "case {case}: {qs} {labels:?}");
                known.insert(&vector(by, *area, &labels));
            }
            for labels in all_labels(by) {
                let truth = deaths
                    .iter()
                    .filter(|d| matches(by, *area, &labels, d))
                    .count() as u64;
                if truth == 0 {
                    // The attacker is given every zero.
                    known.insert(&vector(by, *area, &labels));
                } else if !published.contains(&labels) {
                    assert!(truth >= 5 || (1..=4).contains(&truth));
                    hidden.insert(
                        vector(by, *area, &labels),
                        (truth, format!("{qs} {labels:?}")),
                    );
                }
            }
        }
        for (v, (truth, what)) in &hidden {
            if (1..=4).contains(truth) {
                withheld_seen += 1;
                assert!(
                    !known.contains(v),
                    "case {case}: a withheld count of {truth} ({what}) is a combination of published ones; register {deaths:?}"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, cases);
    assert!(
        withheld_seen > 100,
        "the cases withheld small counts to attack ({withheld_seen})"
    );
}

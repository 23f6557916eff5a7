//! A police-shaped file through a mapping profile, beside Lantern's own template holding the
//! same records, each imported into a fresh SQLite database in one run.
//!
//! The police file is what a force's RTS spreadsheet saved by Excel looks like: Windows-1252,
//! CRLF, its own column names, UK dates, labels and capitals, a names column set to `ignore`,
//! dates of birth, home postcodes and British National Grid references. The template file
//! holds the same records as Lantern's columns and codes (age, small area, latitude and
//! longitude already worked out).
//!
//! `cargo bench -p lantern --bench import_profile` (rows: `LANTERN_BENCH_ROWS`, default
//! 1,000,000). Generating the files is not part of what is measured.

use std::io::Write as _;

mod support;
use support::{Rng, lantern, time};

const SEED: u64 = 0x90_11_ce;
const AREAS: u64 = 240;
const POSTCODES_PER_AREA: u64 = 10;

/// The postcode `j` of area `n`: fictional, and shaped like a real one (`AB1 2CA`).
fn postcode(n: u64, j: u64) -> String {
    let a = (b'A' + (n / 26 % 26) as u8) as char;
    let b = (b'A' + (n % 26) as u8) as char;
    let c = (b'A' + j as u8) as char;
    format!("{a}{b}1 {j}{c}A")
}

const PROFILE: &str = r#"dataset = "suicides"
source = "bench-police"
date_order = "dmy"
[columns]
"Force Ref" = "source_ref"
"Forename" = "ignore"
"Surname" = "ignore"
"Date of Death" = "date_of_death"
"Date of Birth" = "date_of_birth"
"Gender" = "sex"
"Home Postcode" = "residence_postcode"
"Classification" = "status"
"Method" = "method_group"
"Place" = "location_type"
"Easting" = "easting"
"Northing" = "northing"
"Date Reported" = "notified_at"
[values.sex]
"M" = "male"
"F" = "female"
[values.method_group]
"Hanging/Strangulation" = "hanging"
"OD" = "poisoning"
"#;

fn generate(police: &std::path::Path, template: &std::path::Path, rows: u64) {
    let mut p = Vec::with_capacity(rows as usize * 160);
    let mut t = std::io::BufWriter::new(std::fs::File::create(template).expect("create"));
    p.extend_from_slice(b"Force Ref,Forename,Surname,Date of Death,Date of Birth,Gender,Home Postcode,Classification,Method,Place,Easting,Northing,Date Reported\r\n");
    writeln!(t, "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type,location_lat,location_lon,notified_at").expect("write");
    let mut rng = Rng(SEED);
    let methods = [
        ("Hanging/Strangulation", "hanging"),
        ("OD", "poisoning"),
        ("Drowning and submersion", "drowning"),
    ];
    let places = [("HOME", "home"), ("Other private address", "other_private")];
    let statuses = [
        ("Suspected", "suspected"),
        ("Awaiting inquest", "awaiting_inquest"),
    ];
    let names = ["Zoë", "José", "Siân", "Ann", "Bob"];
    for i in 0..rows {
        let (y, m, d) = (2015 + rng.below(10), 1 + rng.below(12), 1 + rng.below(28));
        let age = 15 + rng.below(70);
        let (by, bm, bd) = (y - age, 1 + rng.below(12), 1 + rng.below(28));
        let age = if (bm, bd) > (m, d) { age - 1 } else { age };
        let male = rng.below(3) > 0;
        let area = 1 + rng.below(AREAS);
        let pc = postcode(area, rng.below(POSTCODES_PER_AREA));
        let (mp, mc) = methods[rng.below(3) as usize];
        let (pp, pcode) = places[rng.below(2) as usize];
        let (sp, sc) = statuses[rng.below(2) as usize];
        let (e, n) = (300_000 + rng.below(200_000), 300_000 + rng.below(200_000));
        let row = format!(
            "BP/{i},{},Lee,{d:02}/{m:02}/{y},{bd}/{bm}/{by},{},{},{sp},{mp},{pp},{e},{n},{d:02}/{m:02}/{y}\r\n",
            names[rng.below(5) as usize],
            if male { "M" } else { "F" },
            pc.to_lowercase(),
        );
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&row);
        p.extend_from_slice(&bytes);
        writeln!(
            t,
            "bench-police,BP/{i},{y}-{m:02}-{d:02},{age},{},X01{area:06},{sc},{mc},{pcode},{:.6},{:.6},{y}-{m:02}-{d:02}",
            if male { "male" } else { "female" },
            49.0 + e as f64 / 100_000.0,
            -2.0 + n as f64 / 1_000_000.0,
        )
        .expect("write");
    }
    std::fs::write(police, p).expect("write police");
    t.flush().expect("flush");
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and `--list` ask nothing of a harness-free bench
    }
    let rows: u64 = std::env::var("LANTERN_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let mut areas = String::from("code,name,level\n");
    let mut nspl = String::from("pcd,pcds,doterm,lsoa21,lat,long\n");
    for n in 1..=AREAS {
        areas.push_str(&format!("X01{n:06},Area {n},lsoa\n"));
        for j in 0..POSTCODES_PER_AREA {
            let pc = postcode(n, j);
            nspl.push_str(&format!("{pc},{pc},,X01{n:06},53.6,-2.7\n"));
        }
    }
    std::fs::write(path("areas.csv"), areas).expect("areas");
    std::fs::write(path("nspl.csv"), nspl).expect("nspl");
    std::fs::write(path("police.toml"), PROFILE).expect("profile");
    eprintln!("generating {rows} rows…");
    generate(
        dir.path().join("police.csv").as_path(),
        dir.path().join("template.csv").as_path(),
        rows,
    );
    let mut took = Vec::new();
    for (name, args) in [
        (
            "template",
            vec!["import", "suicides", &path("template.csv"), "--json"],
        ),
        (
            "profile",
            vec![
                "import",
                "suicides",
                &path("police.csv"),
                "--profile",
                &path("police.toml"),
                "--json",
            ],
        ),
    ] {
        let url = format!("sqlite://{}/{name}.db", dir.path().display());
        time(
            "areas",
            &mut lantern(&url, &["import", "areas", &path("areas.csv")]),
        );
        time(
            "postcodes",
            &mut lantern(&url, &["import", "postcodes", &path("nspl.csv")]),
        );
        took.push(time(name, &mut lantern(&url, &args)).as_secs_f64());
    }
    let size = |n: &str| std::fs::metadata(path(n)).map_or(0, |m| m.len()) as f64 / 1e6;
    println!(
        "rows: {rows} (template {:.0} MB, police {:.0} MB)",
        size("template.csv"),
        size("police.csv")
    );
    println!(
        "lantern import suicides, template:            {:.2} s ({:.0} rows/s)",
        took[0],
        rows as f64 / took[0]
    );
    println!(
        "lantern import suicides, police file+profile: {:.2} s ({:.0} rows/s)",
        took[1],
        rows as f64 / took[1]
    );
    println!(
        "profile costs {:+.1}% (target: under +20%)",
        (took[1] / took[0] - 1.0) * 100.0
    );
}

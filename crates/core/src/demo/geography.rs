//! The fictional county: districts side by side, each a grid of small areas whose corners are
//! jittered so the polygons look like real boundaries yet still tile without gaps.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use crate::area::{AGE_BANDS, Area, AreaLevel, PopSex, PopulationRow};

/// The county's code (the `X` prefix is not used by ONS).
pub const COUNTY_CODE: &str = "X10000001";
/// The county's name.
pub const COUNTY_NAME: &str = "Ashvale";
/// District names, west to east.
pub const DISTRICTS: [&str; 5] = [
    "Brackenford",
    "Eastmere",
    "Harrowdale",
    "Wynmoor",
    "Larkspur Coast",
];

const COLS_PER_DISTRICT: usize = 6;
const ROWS: usize = 8;
const WEST: f64 = -3.2;
const SOUTH: f64 = 54.0;
const CELL_LON: f64 = 0.035;
const CELL_LAT: f64 = 0.022;

/// Age structure of England, Census 2021, persons, per 1,000 in each band 0-4 ... 90+
/// (rounded; used only as a shape for the synthetic population).
const AGE_SHAPE: [f64; 19] = [
    54.0, 59.0, 60.0, 56.0, 60.0, 66.0, 69.0, 66.0, 63.0, 64.0, 69.0, 67.0, 58.0, 50.0, 51.0, 37.0,
    26.0, 15.0, 9.0,
];

/// A small area and what drives its synthetic numbers.
#[derive(Debug, Clone)]
pub(crate) struct SmallArea {
    pub(crate) code: String,
    pub(crate) district: usize,
    pub(crate) msoa: String,
    /// Persons in the base year.
    pub(crate) size: f64,
    /// Multiplier on the young adult bands (university towns) versus older bands (coast).
    pub(crate) youth: f64,
    /// Relative deprivation, 0.6-1.6, multiplies the risk of suicide and self-harm.
    pub(crate) risk: f64,
    /// Centre, lon/lat.
    pub(crate) centre: (f64, f64),
}

pub(crate) struct Geography {
    pub(crate) areas: Vec<Area>,
    pub(crate) small: Vec<SmallArea>,
}

fn ring(points: &[(f64, f64)]) -> String {
    let mut coords: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("[{x:.5},{y:.5}]"))
        .collect();
    if let Some(first) = coords.first().cloned() {
        coords.push(first);
    }
    format!(
        "{{\"type\":\"Polygon\",\"coordinates\":[[{}]]}}",
        coords.join(",")
    )
}

/// The outline of the block of cells `[c0, c1) x [r0, r1)`, walking shared jittered corners.
fn outline(v: &[Vec<(f64, f64)>], c0: usize, c1: usize, r0: usize, r1: usize) -> String {
    let mut pts = Vec::new();
    pts.extend((c0..=c1).map(|c| v[r0][c]));
    pts.extend((r0 + 1..=r1).map(|r| v[r][c1]));
    pts.extend((c0..c1).rev().map(|c| v[r1][c]));
    pts.extend((r0 + 1..r1).rev().map(|r| v[r][c0]));
    ring(&pts)
}

pub(crate) fn build(rng: &mut StdRng) -> Geography {
    let cols = COLS_PER_DISTRICT * DISTRICTS.len();
    // Corner grid, jittered inside so neighbouring polygons share edges.
    let vertices: Vec<Vec<(f64, f64)>> = (0..=ROWS)
        .map(|r| {
            (0..=cols)
                .map(|c| {
                    let inner = r > 0 && r < ROWS && c > 0 && c < cols;
                    let (jx, jy) = if inner {
                        (
                            rng.random_range(-0.3..0.3) * CELL_LON,
                            rng.random_range(-0.3..0.3) * CELL_LAT,
                        )
                    } else {
                        (0.0, 0.0)
                    };
                    (
                        WEST + c as f64 * CELL_LON + jx,
                        SOUTH + r as f64 * CELL_LAT + jy,
                    )
                })
                .collect()
        })
        .collect();
    let mut areas = vec![Area {
        code: COUNTY_CODE.to_owned(),
        name: COUNTY_NAME.to_owned(),
        level: AreaLevel::County,
        parent_code: None,
        boundary: Some(outline(&vertices, 0, cols, 0, ROWS)),
    }];
    let mut small = Vec::new();
    let (mut msoa_n, mut lsoa_n) = (0, 0);
    for (d, name) in DISTRICTS.iter().enumerate() {
        let lad = format!("X07{:06}", d + 1);
        let (c0, c1) = (d * COLS_PER_DISTRICT, (d + 1) * COLS_PER_DISTRICT);
        areas.push(Area {
            code: lad.clone(),
            name: (*name).to_owned(),
            level: AreaLevel::Lad,
            parent_code: Some(COUNTY_CODE.to_owned()),
            boundary: Some(outline(&vertices, c0, c1, 0, ROWS)),
        });
        // Neighbourhoods are 2 x 2 blocks of small areas.
        let mut number = 0;
        for br in (0..ROWS).step_by(2) {
            for bc in (c0..c1).step_by(2) {
                msoa_n += 1;
                number += 1;
                let msoa = format!("X02{msoa_n:06}");
                areas.push(Area {
                    code: msoa.clone(),
                    name: format!("{name} {number:03}"),
                    level: AreaLevel::Msoa,
                    parent_code: Some(lad.clone()),
                    boundary: Some(outline(&vertices, bc, bc + 2, br, br + 2)),
                });
                for (i, (r, c)) in [(br, bc), (br, bc + 1), (br + 1, bc), (br + 1, bc + 1)]
                    .into_iter()
                    .enumerate()
                {
                    lsoa_n += 1;
                    let code = format!("X01{lsoa_n:06}");
                    let letter = char::from(b'A' + i as u8);
                    areas.push(Area {
                        code: code.clone(),
                        name: format!("{name} {number:03}{letter}"),
                        level: AreaLevel::Lsoa,
                        parent_code: Some(msoa.clone()),
                        boundary: Some(outline(&vertices, c, c + 1, r, r + 1)),
                    });
                    let v = &vertices;
                    let centre = (
                        (v[r][c].0 + v[r][c + 1].0 + v[r + 1][c].0 + v[r + 1][c + 1].0) / 4.0,
                        (v[r][c].1 + v[r][c + 1].1 + v[r + 1][c].1 + v[r + 1][c + 1].1) / 4.0,
                    );
                    // Eastmere is a university town; Larkspur Coast is older and more deprived.
                    let youth = match d {
                        1 => rng.random_range(1.2..1.8),
                        4 => rng.random_range(0.6..0.9),
                        _ => rng.random_range(0.85..1.15),
                    };
                    let risk = match d {
                        4 => rng.random_range(1.1..1.6),
                        2 => rng.random_range(0.9..1.4),
                        _ => rng.random_range(0.6..1.2),
                    };
                    small.push(SmallArea {
                        code,
                        district: d,
                        msoa: msoa.clone(),
                        size: rng.random_range(1_300.0..2_600.0),
                        youth,
                        risk,
                        centre,
                    });
                }
            }
        }
    }
    Geography { areas, small }
}

/// The five calendar years that end with `end`'s year.
pub(crate) fn years(end: NaiveDate) -> std::ops::RangeInclusive<i32> {
    end.year() - 4..=end.year()
}

pub(crate) fn band_shape(area: &SmallArea, band: usize) -> f64 {
    let tilt = match band {
        3..=6 => area.youth,
        13.. => 2.0 - area.youth,
        _ => 1.0,
    };
    AGE_SHAPE[band] * tilt.max(0.3)
}

/// Share of a band that is female: about half, rising in old age.
pub(crate) fn female_share(band: usize) -> f64 {
    match band {
        0..=12 => 0.495,
        13..=15 => 0.53,
        16 => 0.57,
        17 => 0.62,
        _ => 0.70,
    }
}

/// Populations for every small area, summed up to neighbourhoods, districts and the county.
pub(crate) fn populations(geo: &Geography, end: NaiveDate, rng: &mut StdRng) -> Vec<PopulationRow> {
    let parent: BTreeMap<&str, &str> = geo
        .areas
        .iter()
        .filter_map(|a| a.parent_code.as_deref().map(|p| (a.code.as_str(), p)))
        .collect();
    let mut totals: BTreeMap<(String, i32, PopSex, usize), i64> = BTreeMap::new();
    for area in &geo.small {
        let shape_total: f64 = (0..19).map(|b| band_shape(area, b)).sum();
        for (k, year) in years(end).enumerate() {
            let growth = 1.0 + 0.004 * k as f64;
            for band in 0..AGE_BANDS.len() {
                let persons = area.size * growth * band_shape(area, band) / shape_total;
                let persons = (persons * rng.random_range(0.95..1.05)).round() as i64;
                let female = (persons as f64 * female_share(band)).round() as i64;
                let counts = [
                    (PopSex::Female, female),
                    (PopSex::Male, persons - female),
                    (PopSex::Persons, persons),
                ];
                // Add to the small area and every area above it.
                let mut code = area.code.as_str();
                loop {
                    for (sex, n) in counts {
                        *totals
                            .entry((code.to_owned(), year, sex, band))
                            .or_default() += n;
                    }
                    match parent.get(code) {
                        Some(p) => code = p,
                        None => break,
                    }
                }
            }
        }
    }
    totals
        .into_iter()
        .map(|((area_code, year, sex, band), population)| PopulationRow {
            area_code,
            year,
            sex,
            age_band: AGE_BANDS[band],
            population,
        })
        .collect()
}

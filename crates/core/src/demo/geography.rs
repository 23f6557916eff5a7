//! The fictional county: a coastline, five towns, and small areas that are the Voronoi cells of
//! points crowded in the towns and spread out between them, so that they are small where people
//! live close together and large in the country, as LSOAs are. Neighbourhoods and districts are
//! unions of small areas (each district the small areas nearest its town, with borders that
//! wander), so every level tiles the one above it exactly.

use std::collections::BTreeMap;
use std::f64::consts::TAU;

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::shapes::{self, Corner, Point};
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

/// Small areas in the county (about 1,500 people each, as an LSOA).
const SMALL_AREAS: usize = 240;
/// Small areas in a neighbourhood (as the 4-5 LSOAs of an MSOA).
const PER_NEIGHBOURHOOD: usize = 4;
/// The south-west corner of the county's frame, lon/lat.
const ORIGIN: (f64, f64) = (-3.2, 54.0);
/// Kilometres per degree of longitude and of latitude at 54.2 degrees north.
const KM_PER_DEGREE: (f64, f64) = (65.2, 111.2);
/// The frame, kilometres east and north.
const WIDTH: f64 = 70.0;
const HEIGHT: f64 = 46.0;
/// Where each district's town is, as a share of the frame (west to east).
const TOWNS: [(f64, f64); 5] = [
    (0.18, 0.45),
    (0.38, 0.68),
    (0.52, 0.33),
    (0.7, 0.62),
    (0.86, 0.42),
];

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

fn to_degrees(p: Point) -> Point {
    (
        ORIGIN.0 + p.0 / KM_PER_DEGREE.0,
        ORIGIN.1 + p.1 / KM_PER_DEGREE.1,
    )
}

/// The county's outline: an oval with a few broad bulges inland and a wavier coast to the east,
/// counter-clockwise.
fn coastline(rng: &mut StdRng) -> Vec<Point> {
    let inland: Vec<(f64, f64, f64)> = (2..=5)
        .map(|k| {
            (
                f64::from(k),
                rng.random_range(0.03..0.07) / f64::from(k).sqrt(),
                rng.random_range(0.0..TAU),
            )
        })
        .collect();
    let coast: Vec<(f64, f64, f64)> = (7..=11)
        .map(|k| {
            (
                f64::from(k),
                rng.random_range(0.01..0.025),
                rng.random_range(0.0..TAU),
            )
        })
        .collect();
    let wave = |terms: &[(f64, f64, f64)], t: f64| -> f64 {
        terms
            .iter()
            .map(|&(k, a, phase)| a * (k * t + phase).sin())
            .sum()
    };
    let n = 240;
    (0..n)
        .map(|i| {
            let t = TAU * i as f64 / n as f64;
            let east = t.cos().max(0.0).powi(2);
            let f = 1.0 + wave(&inland, t) + east * wave(&coast, t);
            (
                WIDTH / 2.0 * (1.0 + 0.94 * f * t.cos()),
                HEIGHT / 2.0 * (1.0 + 0.92 * f * t.sin()),
            )
        })
        .collect()
}

/// Centres of small areas: dense in the towns, sparse between them (Mitchell's best candidate,
/// spacing scaled by the density, so a town's small areas are small as an LSOA's are).
fn centres(rng: &mut StdRng, coast: &[Point], towns: &[Point]) -> Vec<Point> {
    let density = |p: Point| -> f64 {
        0.12 + towns
            .iter()
            .map(|&t| (-((p.0 - t.0).powi(2) + (p.1 - t.1).powi(2)) / 32.0).exp())
            .sum::<f64>()
    };
    let mut out: Vec<Point> = Vec::with_capacity(SMALL_AREAS);
    while out.len() < SMALL_AREAS {
        let mut best: Option<(f64, Point)> = None;
        for _ in 0..12 {
            let p = loop {
                let p = (rng.random_range(0.0..WIDTH), rng.random_range(0.0..HEIGHT));
                if shapes::inside(p, coast) {
                    break p;
                }
            };
            let near = out
                .iter()
                .map(|&q| (p.0 - q.0).powi(2) + (p.1 - q.1).powi(2))
                .fold(f64::INFINITY, f64::min);
            let score = near.sqrt() * density(p).sqrt();
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, p));
            }
        }
        out.extend(best.map(|b| b.1));
    }
    out
}

/// Each centre's district: the nearest town, with each town's pull adjusted until the districts
/// hold similar numbers, and a gentle swell so borders wander as real ones do.
fn districts(rng: &mut StdRng, centres: &[Point], towns: &[Point]) -> Vec<usize> {
    let phase: Vec<f64> = (0..3).map(|_| rng.random_range(0.0..TAU)).collect();
    let swell = |p: Point| {
        2.0 * ((p.0 / 6.0 + phase[0]).sin()
            + (p.1 / 5.0 + phase[1]).sin()
            + ((p.0 + p.1) / 7.0 + phase[2]).sin())
    };
    let target = centres.len() as f64 / towns.len() as f64;
    let mut pull = vec![1.0; towns.len()];
    let mut of = vec![0; centres.len()];
    for _ in 0..60 {
        for (i, &p) in centres.iter().enumerate() {
            let score = |d: usize| {
                ((p.0 - towns[d].0).powi(2) + (p.1 - towns[d].1).powi(2)).sqrt() * pull[d]
                    + swell(p)
            };
            of[i] = (0..towns.len())
                .min_by(|&a, &b| score(a).total_cmp(&score(b)))
                .unwrap_or(0);
        }
        let mut counts = vec![0usize; towns.len()];
        for &d in &of {
            counts[d] += 1;
        }
        if counts.iter().all(|&c| (c as f64 - target).abs() <= 3.0) {
            break;
        }
        for (d, &c) in counts.iter().enumerate() {
            pull[d] *= ((c.max(1) as f64) / target).powf(0.15);
        }
    }
    of
}

/// A district's small areas (indices into `centres`) in neighbourhoods of four, peeled from
/// the edge inwards so the last are compact, then numbered outwards from the town.
fn neighbourhoods(members: &[usize], centres: &[Point], town: Point) -> Vec<Vec<usize>> {
    let d2 = |a: Point, b: Point| (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2);
    let middle = |g: &[usize]| {
        let n = g.len() as f64;
        (
            g.iter().map(|&i| centres[i].0).sum::<f64>() / n,
            g.iter().map(|&i| centres[i].1).sum::<f64>() / n,
        )
    };
    let mut left: Vec<usize> = members.to_vec();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    while left.len() >= PER_NEIGHBOURHOOD {
        let far = (0..left.len())
            .max_by(|&a, &b| d2(centres[left[a]], town).total_cmp(&d2(centres[left[b]], town)))
            .unwrap_or(0);
        let mut group = vec![left.swap_remove(far)];
        while group.len() < PER_NEIGHBOURHOOD {
            let m = middle(&group);
            let near = (0..left.len())
                .min_by(|&a, &b| d2(centres[left[a]], m).total_cmp(&d2(centres[left[b]], m)))
                .unwrap_or(0);
            group.push(left.swap_remove(near));
        }
        groups.push(group);
    }
    // The few left over join the nearest neighbourhood.
    for i in left {
        let nearest = (0..groups.len())
            .min_by(|&a, &b| {
                d2(middle(&groups[a]), centres[i]).total_cmp(&d2(middle(&groups[b]), centres[i]))
            })
            .unwrap_or(0);
        if let Some(g) = groups.get_mut(nearest) {
            g.push(i);
        } else {
            groups.push(vec![i]);
        }
    }
    for g in &mut groups {
        g.sort_by(|&a, &b| d2(centres[a], town).total_cmp(&d2(centres[b], town)));
    }
    groups.sort_by(|a, b| d2(middle(a), town).total_cmp(&d2(middle(b), town)));
    groups
}

pub(crate) fn build(rng: &mut StdRng) -> Geography {
    let coast = coastline(rng);
    let towns: Vec<Point> = TOWNS
        .iter()
        .map(|&(x, y)| (x * WIDTH, y * HEIGHT + rng.random_range(-3.0..3.0)))
        .collect();
    let centres = centres(rng, &coast, &towns);
    let district_of = districts(rng, &centres, &towns);
    let cells: Vec<Vec<Corner>> = shapes::cells(&coast, &centres)
        .iter()
        .map(|c| shapes::snap(c, to_degrees))
        .collect();
    let merged = |members: &[usize]| {
        let rings: Vec<&[Corner]> = members.iter().map(|&i| cells[i].as_slice()).collect();
        shapes::geojson(&shapes::union(&rings))
    };
    let all: Vec<usize> = (0..centres.len()).collect();
    let mut areas = vec![Area {
        code: COUNTY_CODE.to_owned(),
        name: COUNTY_NAME.to_owned(),
        level: AreaLevel::County,
        parent_code: None,
        boundary: Some(merged(&all)),
    }];
    let mut small = Vec::new();
    let (mut msoa_n, mut lsoa_n) = (0, 0);
    for (d, name) in DISTRICTS.iter().enumerate() {
        let lad = format!("X07{:06}", d + 1);
        let members: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| district_of[i] == d)
            .collect();
        areas.push(Area {
            code: lad.clone(),
            name: (*name).to_owned(),
            level: AreaLevel::Lad,
            parent_code: Some(COUNTY_CODE.to_owned()),
            boundary: Some(merged(&members)),
        });
        for (number, group) in neighbourhoods(&members, &centres, towns[d])
            .iter()
            .enumerate()
        {
            let number = number + 1;
            msoa_n += 1;
            let msoa = format!("X02{msoa_n:06}");
            areas.push(Area {
                code: msoa.clone(),
                name: format!("{name} {number:03}"),
                level: AreaLevel::Msoa,
                parent_code: Some(lad.clone()),
                boundary: Some(merged(group)),
            });
            for (i, &cell) in group.iter().enumerate() {
                lsoa_n += 1;
                let code = format!("X01{lsoa_n:06}");
                let letter = char::from(b'A' + i as u8);
                areas.push(Area {
                    code: code.clone(),
                    name: format!("{name} {number:03}{letter}"),
                    level: AreaLevel::Lsoa,
                    parent_code: Some(msoa.clone()),
                    boundary: Some(shapes::geojson(std::slice::from_ref(&cells[cell]))),
                });
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
                    centre: to_degrees(centres[cell]),
                });
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The polygons of a GeoJSON Polygon or MultiPolygon, each an array of rings.
    fn polygons(text: &str) -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(text).expect("GeoJSON");
        if v["type"] == "Polygon" {
            vec![v["coordinates"].clone()]
        } else {
            v["coordinates"].as_array().expect("polygons").clone()
        }
    }

    /// The rings of a GeoJSON Polygon or MultiPolygon as `(outer rings, holes)`.
    fn rings(text: &str) -> (usize, usize) {
        let polys = polygons(text);
        let holes = polys
            .iter()
            .map(|p| p.as_array().map_or(0, |r| r.len().saturating_sub(1)))
            .sum();
        (polys.len(), holes)
    }

    fn area_of(text: &str) -> f64 {
        let polys = polygons(text);
        let ring_area = |r: &serde_json::Value| {
            let pts: Vec<(f64, f64)> = r
                .as_array()
                .expect("ring")
                .iter()
                .map(|p| (p[0].as_f64().unwrap_or(0.0), p[1].as_f64().unwrap_or(0.0)))
                .collect();
            pts.windows(2)
                .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
                .sum::<f64>()
                / 2.0
        };
        polys
            .iter()
            .flat_map(|p| p.as_array().expect("rings").iter())
            .map(ring_area)
            .sum()
    }

    #[test]
    fn every_level_tiles_the_one_above_it() {
        for seed in 0..40 {
            let geo = build(&mut StdRng::seed_from_u64(seed));
            let of = |level: AreaLevel| geo.areas.iter().filter(move |a| a.level == level);
            let county = of(AreaLevel::County).next().expect("county");
            let outline = county.boundary.as_deref().expect("boundary");
            assert_eq!(
                rings(outline),
                (1, 0),
                "seed {seed}: the county is one piece"
            );
            let total = area_of(outline);
            assert!(
                total > 0.0,
                "seed {seed}: outer rings run counter-clockwise"
            );
            for level in [AreaLevel::Lad, AreaLevel::Msoa, AreaLevel::Lsoa] {
                let sum: f64 = of(level)
                    .map(|a| area_of(a.boundary.as_deref().unwrap_or("")))
                    .sum();
                assert!(
                    (sum - total).abs() < 1e-9 * total.abs().max(1.0) + 1e-9,
                    "seed {seed}: {level:?} covers {sum}, the county {total}"
                );
            }
            for a in of(AreaLevel::Lsoa) {
                let b = a.boundary.as_deref().unwrap_or("");
                assert_eq!(rings(b), (1, 0), "seed {seed}: {} is one piece", a.code);
                assert!(area_of(b) > 0.0);
            }
            let mut per_district = [0usize; 5];
            for s in &geo.small {
                per_district[s.district] += 1;
            }
            assert!(
                per_district.iter().all(|&n| (40..=56).contains(&n)),
                "seed {seed}: {per_district:?}"
            );
            assert_eq!(geo.small.len(), SMALL_AREAS);
        }
    }
}

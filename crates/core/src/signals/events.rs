//! Signals that read as events: detectors of different kinds often find the same rise (a
//! scan, a weekly count, a breakdown by age or sex), and seven signals about one rise in one
//! district read as seven problems. Signals of one dataset whose windows overlap in time and
//! whose places are the same district (or, without a district, lie within a few kilometres of
//! each other) are one event; each signal stays beneath it as a detector's evidence.

use super::{Found, Place};

/// Places closer than this are the same place, for signals without a district.
pub const NEAR_KM: f64 = 2.0;

/// Great-circle distance in km (haversine, mean Earth radius).
fn km(a: &Place, b: &Place) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dla = la2 - la1;
    let dlo = (b.lon - a.lon).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Whether two signals describe the same event.
pub fn same_event(a: &Found, b: &Found) -> bool {
    if a.dataset != b.dataset || a.end < b.start || b.end < a.start {
        return false;
    }
    match (&a.area_code, &b.area_code) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a
            .places
            .iter()
            .any(|p| b.places.iter().any(|q| km(p, q) <= NEAR_KM)),
        _ => false,
    }
}

/// The signals grouped into events: each event's signals by index, in the order given; events
/// in the order of their first signal. Grouping is transitive (single linkage).
pub fn events(found: &[&Found]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..found.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..found.len() {
        for j in i + 1..found.len() {
            if same_event(found[i], found[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in 0..found.len() {
        let r = root(&mut parent, i);
        match groups.iter_mut().find(|(k, _)| *k == r) {
            Some((_, g)) => g.push(i),
            None => groups.push((r, vec![i])),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::SignalKind;
    use chrono::NaiveDate;

    fn found(dataset: &str, area: Option<&str>, start: u32, end: u32, at: (f64, f64)) -> Found {
        let day =
            |d: u32| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(d));
        Found {
            key: format!("{dataset}{area:?}{start}"),
            kind: SignalKind::Aberration,
            dataset: dataset.to_owned(),
            area_code: area.map(str::to_owned),
            title: String::new(),
            explanation: String::new(),
            method: String::new(),
            parameters: serde_json::Value::Null,
            observed: 1,
            expected: None,
            p_value: None,
            recurrence_days: None,
            start: day(start),
            end: day(end),
            places: vec![Place {
                label: String::new(),
                lat: at.0,
                lon: at.1,
                count: 1,
            }],
            radius_km: None,
            timeline: Vec::new(),
            snapshot: String::new(),
            elapsed_ms: 0,
        }
    }

    #[test]
    fn overlapping_signals_in_one_district_are_one_event() {
        let a = found("self-harm", Some("X1"), 0, 30, (52.0, -1.0));
        let b = found("self-harm", Some("X1"), 20, 60, (52.1, -1.1));
        let c = found("self-harm", Some("X1"), 55, 70, (52.1, -1.1)); // joins through b
        let d = found("self-harm", Some("X2"), 0, 30, (52.0, -1.0)); // another district
        let e = found("suicides", Some("X1"), 0, 30, (52.0, -1.0)); // another dataset
        let f = found("self-harm", Some("X1"), 100, 120, (52.0, -1.0)); // later
        let g = found("suicides", None, 10, 12, (52.0005, -1.0005)); // near e's place, no district
        let h = found("suicides", None, 11, 40, (52.001, -1.001));
        let all = [&a, &b, &c, &d, &e, &f, &g, &h];
        assert_eq!(
            events(&all),
            vec![vec![0, 1, 2], vec![3], vec![4], vec![5], vec![6, 7]]
        );
    }

    #[test]
    fn distance_is_in_kilometres() {
        let p = |lat, lon| Place {
            label: String::new(),
            lat,
            lon,
            count: 1,
        };
        // A degree of latitude is about 111 km.
        assert!((km(&p(52.0, -1.0), &p(53.0, -1.0)) - 111.2).abs() < 0.5);
        assert!(km(&p(52.0, -1.0), &p(52.01, -1.0)) < NEAR_KM);
    }
}

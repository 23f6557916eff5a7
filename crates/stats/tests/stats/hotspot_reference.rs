//! Getis-Ord Gi* against PySAL esda 2.9.0 and spdep 1.2.7 on the Columbus neighbourhoods
//! (`../shared/refdata/stats/esda/`): the same z for every area, and permutation p-values within
//! Monte Carlo error of esda's.

use std::path::PathBuf;

use lantern_stats::{Weights, local_g};

fn refdata(rel: &str) -> PathBuf {
    crate::refdata::refdata().join("stats/esda").join(rel)
}

fn rows(rel: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(refdata(rel)).unwrap();
    let h = r.headers().unwrap().clone();
    (h, r.records().map(Result::unwrap).collect())
}

fn columbus() -> (Vec<f64>, Weights) {
    let (h, data) = rows("columbus_data.csv");
    let crime = h.iter().position(|c| c == "CRIME").unwrap();
    let values: Vec<f64> = data.iter().map(|r| r[crime].parse().unwrap()).collect();
    let mut w: Weights = vec![Vec::new(); values.len()];
    let (_, edges) = rows("columbus_queen_edges.csv");
    for e in &edges {
        let (i, j): (usize, usize) = (e[0].parse().unwrap(), e[1].parse().unwrap());
        w[i].push((j, 1.0));
        w[j].push((i, 1.0));
    }
    (values, w)
}

#[test]
fn gi_star_matches_esda_on_columbus() {
    let (values, w) = columbus();
    let (h, peer) = rows("peer_runs_esda_2.9.0/columbus_gistar_localmoran.csv");
    let (z_col, p_col) = (
        h.iter().position(|c| c == "gistar_Z").unwrap(),
        h.iter().position(|c| c == "gistar_p_sim").unwrap(),
    );
    assert_eq!(peer.len(), 49);
    let got = local_g(&values, &w, true, 999, 12_345).unwrap();
    let (mut hot, mut cold) = (0, 0);
    for (g, r) in got.iter().zip(&peer) {
        let want: f64 = r[z_col].parse().unwrap();
        let z = g.z.unwrap();
        assert!((z - want).abs() < 1e-8, "{}: {z} vs {want}", &r[0]);
        // A permutation p-value of p from 999 draws has standard error sqrt(p(1 - p)/999);
        // two independent draws differ by under 4.5 of those.
        let want_p: f64 = r[p_col].parse().unwrap();
        let p = g.p_sim.unwrap();
        let se = (want_p * (1.0 - want_p) / 999.0).sqrt().max(1.0 / 999.0);
        assert!(
            (p - want_p).abs() < 4.5 * se * 2.0_f64.sqrt(),
            "{}: p {p} vs {want_p}",
            &r[0]
        );
        hot += usize::from(z > 1.96);
        cold += usize::from(z < -1.96);
    }
    // esda's summary (py_peers.out): 11 hot and 7 cold at |z| > 1.96.
    assert_eq!((hot, cold), (11, 7));
}

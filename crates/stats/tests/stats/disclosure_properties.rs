//! Properties of the disclosure presets on random tables: the partner preset never shows 1-4,
//! never changes a number it shows, and never leaves a withheld entry that the published numbers
//! determine; and every preset is idempotent.
//!
//! "Determined" is checked with linear algebra, independently of the graph argument the engine
//! uses: with the withheld entries as unknowns, the margins give one equation per row, column
//! and total, and an unknown is fixed exactly when its unit vector lies in the row space of the
//! equations, i.e. when adding it as an equation does not raise the rank.

use lantern_stats::{CountTable, Preset, PublishedTable, protect_table};
use proptest::prelude::*;

fn tables() -> impl Strategy<Value = Vec<Vec<u64>>> {
    (1_usize..=5, 1_usize..=5).prop_flat_map(|(rows, cols)| {
        // Many small counts, so suppression is exercised often.
        let cell = prop_oneof![3 => 0_u64..=6, 2 => 0_u64..=40];
        proptest::collection::vec(proptest::collection::vec(cell, cols), rows)
    })
}

fn rank(mut m: Vec<Vec<f64>>) -> usize {
    let cols = m.first().map_or(0, Vec::len);
    let mut rank = 0;
    for c in 0..cols {
        let Some(p) = (rank..m.len()).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))
        else {
            break;
        };
        if m[p][c].abs() < 1e-9 {
            continue;
        }
        m.swap(rank, p);
        let pivot = m[rank].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != rank {
                let f = row[c] / pivot[c];
                for (x, p) in row.iter_mut().zip(&pivot).skip(c) {
                    *x -= f * p;
                }
            }
        }
        rank += 1;
    }
    rank
}

/// The withheld entries that the published numbers determine.
fn determined(p: &PublishedTable) -> Vec<String> {
    let (rows, cols) = (p.cells.len(), p.column_totals.len());
    // Unknown index of each entry, in a fixed order.
    let mut names = Vec::new();
    let mut id = |hidden: bool, name: String| {
        hidden.then(|| {
            names.push(name);
            names.len() - 1
        })
    };
    let cell: Vec<Vec<Option<usize>>> = (0..rows)
        .map(|r| {
            (0..cols)
                .map(|c| id(p.cells[r][c].suppressed, format!("cell {r},{c}")))
                .collect()
        })
        .collect();
    let row: Vec<Option<usize>> = (0..rows)
        .map(|r| id(p.row_totals[r].suppressed, format!("row total {r}")))
        .collect();
    let col: Vec<Option<usize>> = (0..cols)
        .map(|c| id(p.column_totals[c].suppressed, format!("column total {c}")))
        .collect();
    let total = id(p.total.suppressed, "grand total".to_owned());
    let n = names.len();
    let mut eqs: Vec<Vec<f64>> = Vec::new();
    let mut eq = |terms: &[(Option<usize>, f64)]| {
        let mut e = vec![0.0; n];
        for &(u, k) in terms {
            if let Some(u) = u {
                e[u] += k;
            }
        }
        eqs.push(e);
    };
    for r in 0..rows {
        let mut t: Vec<(Option<usize>, f64)> = (0..cols).map(|c| (cell[r][c], 1.0)).collect();
        t.push((row[r], -1.0));
        eq(&t);
    }
    for c in 0..cols {
        let mut t: Vec<(Option<usize>, f64)> = (0..rows).map(|r| (cell[r][c], 1.0)).collect();
        t.push((col[c], -1.0));
        eq(&t);
    }
    let mut t: Vec<(Option<usize>, f64)> = row.iter().map(|&u| (u, 1.0)).collect();
    t.push((total, -1.0));
    eq(&t);
    let mut t: Vec<(Option<usize>, f64)> = col.iter().map(|&u| (u, 1.0)).collect();
    t.push((total, -1.0));
    eq(&t);
    let base = rank(eqs.clone());
    (0..n)
        .filter(|&k| {
            let mut with = eqs.clone();
            let mut unit = vec![0.0; n];
            unit[k] = 1.0;
            with.push(unit);
            rank(with) == base
        })
        .map(|k| names[k].clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn partner_tables_hide_small_counts_and_nothing_can_be_recovered(cells in tables()) {
        let t = CountTable::from_cells(&cells);
        let p = protect_table(&t, Preset::Partner).unwrap();
        prop_assert_eq!(p.preset, Preset::Partner);
        let shown = p.cells.iter().flatten().chain(&p.row_totals).chain(&p.column_totals).chain(std::iter::once(&p.total));
        for x in shown {
            prop_assert!(!matches!(x.value, Some(1..=4)), "a count of 1-4 is shown: {:?}", x);
            prop_assert_eq!(x.suppressed, x.value.is_none());
        }
        for (r, row) in p.cells.iter().enumerate() {
            for (c, x) in row.iter().enumerate() {
                if let Some(v) = x.value {
                    prop_assert_eq!(Some(v), t.cells[r][c], "a shown number must be the true one");
                }
            }
        }
        let leaks = determined(&p);
        prop_assert!(leaks.is_empty(), "recoverable from the margins: {:?} in {:?}", leaks, cells);
    }

    #[test]
    fn every_preset_is_idempotent(cells in tables()) {
        let t = CountTable::from_cells(&cells);
        for preset in Preset::ALL {
            let once = protect_table(&t, preset).unwrap();
            let twice = protect_table(&once.as_counts(), preset).unwrap();
            prop_assert_eq!(twice.as_counts(), once.as_counts(), "{:?}", preset);
            let flags = |p: &PublishedTable| p.cells.iter().flatten().map(|x| (x.suppressed, x.flagged)).collect::<Vec<_>>();
            prop_assert_eq!(flags(&twice), flags(&once), "{:?}", preset);
        }
    }
}

#[test]
fn the_checker_itself_catches_a_lone_suppressed_cell() {
    // Guard the guard: a table with one withheld cell and published totals is a leak.
    let t = CountTable::from_cells(&[vec![3, 40], vec![20, 30]]);
    let mut p = protect_table(&t, Preset::Fingertips).unwrap();
    p.cells[0][0].suppressed = true;
    p.cells[0][0].value = None;
    assert_eq!(determined(&p), ["cell 0,0"]);
}

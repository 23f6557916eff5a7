//! EARS, the CUSUM and both Farrington methods on all-zero and nearly-all-zero baselines, against
//! R `surveillance` 1.20.3 run side by side. `scripts/zero-baselines.R` makes the six series and
//! runs R on them; its output (the bound, `None` for R's NA or NaN, and whether R alarmed, NA as
//! no) is the table below, and `scripts/check-zero-baselines` compares R and the `lantern`
//! binary afresh where R is installed. The refdata peer runs have no such baselines, which is
//! how the classic method's bound of 0 was missed.

use lantern_stats::{Cusum, Detection, Ears, Farrington, cusum, ears, farrington};

/// The six series of 312 weeks, as the R script builds them (1-based weeks).
fn series(name: &str) -> Vec<f64> {
    let mut x = vec![0.0; 312];
    let mut set = |week: usize, v: f64| x[week - 1] = v;
    match name {
        "zero" => {}
        "one_at_end" => {
            set(310, 1.0);
            set(312, 2.0);
        }
        "spike_limit54_met" => {
            for (w, v) in [(309, 2.0), (310, 2.0), (311, 3.0), (312, 4.0)] {
                set(w, v);
            }
        }
        "one_in_window" => {
            set(312 - 52, 1.0);
            set(312, 1.0);
        }
        "two_in_window_spike" => {
            set(312 - 52, 1.0);
            set(312 - 104 + 1, 1.0);
            for (w, v) in [(309, 1.0), (310, 2.0), (311, 2.0), (312, 3.0)] {
                set(w, v);
            }
        }
        "near" => {
            set(50, 1.0);
            set(150, 1.0);
            set(312, 1.0);
        }
        other => panic!("no series {other}"),
    }
    x
}

/// `(series, method, week, R's bound, R's alarm)`.
const R: &[(&str, &str, usize, Option<f64>, bool)] = &[
    ("zero", "farrington", 309, Some(0.0), false),
    ("zero", "farrington", 310, Some(0.0), false),
    ("zero", "farrington", 311, Some(0.0), false),
    ("zero", "farrington", 312, Some(0.0), false),
    (
        "zero",
        "farrington_nolimit",
        309,
        Some(0.002699573738),
        false,
    ),
    (
        "zero",
        "farrington_nolimit",
        310,
        Some(0.002699573738),
        false,
    ),
    (
        "zero",
        "farrington_nolimit",
        311,
        Some(0.002699573738),
        false,
    ),
    (
        "zero",
        "farrington_nolimit",
        312,
        Some(0.002699573738),
        false,
    ),
    ("zero", "flexible", 309, None, false),
    ("zero", "flexible", 310, None, false),
    ("zero", "flexible", 311, None, false),
    ("zero", "flexible", 312, None, false),
    ("zero", "flexible_nolimit", 309, Some(0.002076207014), false),
    ("zero", "flexible_nolimit", 310, Some(0.002076207014), false),
    ("zero", "flexible_nolimit", 311, Some(0.002076207014), false),
    ("zero", "flexible_nolimit", 312, Some(0.002076207014), false),
    ("zero", "c1", 309, Some(0.0), false),
    ("zero", "c1", 310, Some(0.0), false),
    ("zero", "c1", 311, Some(0.0), false),
    ("zero", "c1", 312, Some(0.0), false),
    ("zero", "c2", 309, Some(0.0), false),
    ("zero", "c2", 310, Some(0.0), false),
    ("zero", "c2", 311, Some(0.0), false),
    ("zero", "c2", 312, Some(0.0), false),
    ("zero", "c3", 309, None, false),
    ("zero", "c3", 310, None, false),
    ("zero", "c3", 311, None, false),
    ("zero", "c3", 312, None, false),
    ("zero", "cusum", 309, Some(0.0), false),
    ("zero", "cusum", 310, Some(0.0), false),
    ("zero", "cusum", 311, Some(0.0), false),
    ("zero", "cusum", 312, Some(0.0), false),
    ("one_at_end", "farrington", 309, Some(0.0), false),
    ("one_at_end", "farrington", 310, Some(0.0), false),
    ("one_at_end", "farrington", 311, Some(0.0), false),
    ("one_at_end", "farrington", 312, Some(0.0), false),
    (
        "one_at_end",
        "farrington_nolimit",
        309,
        Some(0.002699573738),
        false,
    ),
    (
        "one_at_end",
        "farrington_nolimit",
        310,
        Some(0.002699573738),
        true,
    ),
    (
        "one_at_end",
        "farrington_nolimit",
        311,
        Some(0.002699573738),
        false,
    ),
    (
        "one_at_end",
        "farrington_nolimit",
        312,
        Some(0.002699573738),
        true,
    ),
    ("one_at_end", "flexible", 309, None, false),
    ("one_at_end", "flexible", 310, None, false),
    ("one_at_end", "flexible", 311, None, false),
    ("one_at_end", "flexible", 312, None, false),
    (
        "one_at_end",
        "flexible_nolimit",
        309,
        Some(0.002076207014),
        false,
    ),
    (
        "one_at_end",
        "flexible_nolimit",
        310,
        Some(0.002076207014),
        true,
    ),
    (
        "one_at_end",
        "flexible_nolimit",
        311,
        Some(0.002076207014),
        false,
    ),
    (
        "one_at_end",
        "flexible_nolimit",
        312,
        Some(0.002076207014),
        true,
    ),
    ("one_at_end", "c1", 309, Some(0.0), false),
    ("one_at_end", "c1", 310, Some(0.0), true),
    ("one_at_end", "c1", 311, Some(1.310855168), false),
    ("one_at_end", "c1", 312, Some(1.310855168), true),
    ("one_at_end", "c2", 309, Some(0.0), false),
    ("one_at_end", "c2", 310, Some(0.0), true),
    ("one_at_end", "c2", 311, Some(0.0), false),
    ("one_at_end", "c2", 312, Some(0.0), true),
    ("one_at_end", "c3", 309, None, false),
    ("one_at_end", "c3", 310, None, false),
    ("one_at_end", "c3", 311, None, false),
    ("one_at_end", "c3", 312, None, false),
    ("one_at_end", "cusum", 309, Some(0.0), false),
    ("one_at_end", "cusum", 310, Some(0.0), false),
    ("one_at_end", "cusum", 311, Some(0.0), false),
    ("one_at_end", "cusum", 312, Some(0.0), false),
    ("spike_limit54_met", "farrington", 309, Some(0.0), false),
    ("spike_limit54_met", "farrington", 310, Some(0.0), false),
    (
        "spike_limit54_met",
        "farrington",
        311,
        Some(0.002699573738),
        true,
    ),
    (
        "spike_limit54_met",
        "farrington",
        312,
        Some(0.002699573738),
        true,
    ),
    (
        "spike_limit54_met",
        "farrington_nolimit",
        309,
        Some(0.002699573738),
        true,
    ),
    (
        "spike_limit54_met",
        "farrington_nolimit",
        310,
        Some(0.002699573738),
        true,
    ),
    (
        "spike_limit54_met",
        "farrington_nolimit",
        311,
        Some(0.002699573738),
        true,
    ),
    (
        "spike_limit54_met",
        "farrington_nolimit",
        312,
        Some(0.002699573738),
        true,
    ),
    ("spike_limit54_met", "flexible", 309, None, false),
    ("spike_limit54_met", "flexible", 310, None, false),
    (
        "spike_limit54_met",
        "flexible",
        311,
        Some(0.002076207014),
        true,
    ),
    (
        "spike_limit54_met",
        "flexible",
        312,
        Some(0.002076207014),
        true,
    ),
    (
        "spike_limit54_met",
        "flexible_nolimit",
        309,
        Some(0.002076207014),
        true,
    ),
    (
        "spike_limit54_met",
        "flexible_nolimit",
        310,
        Some(0.002076207014),
        true,
    ),
    (
        "spike_limit54_met",
        "flexible_nolimit",
        311,
        Some(0.002076207014),
        true,
    ),
    (
        "spike_limit54_met",
        "flexible_nolimit",
        312,
        Some(0.002076207014),
        true,
    ),
    ("spike_limit54_met", "c1", 309, Some(0.0), true),
    ("spike_limit54_met", "c1", 310, Some(2.621710336), false),
    ("spike_limit54_met", "c1", 311, Some(3.587186504), false),
    ("spike_limit54_met", "c1", 312, Some(4.989472753), false),
    ("spike_limit54_met", "c2", 309, Some(0.0), true),
    ("spike_limit54_met", "c2", 310, Some(0.0), true),
    ("spike_limit54_met", "c2", 311, Some(0.0), true),
    ("spike_limit54_met", "c2", 312, Some(2.621710336), true),
    ("spike_limit54_met", "c3", 309, None, false),
    ("spike_limit54_met", "c3", 310, None, false),
    ("spike_limit54_met", "c3", 311, None, false),
    ("spike_limit54_met", "c3", 312, Some(0.0), true),
    ("spike_limit54_met", "cusum", 309, Some(0.0), true),
    ("spike_limit54_met", "cusum", 310, Some(0.0), true),
    ("spike_limit54_met", "cusum", 311, Some(0.0), true),
    ("spike_limit54_met", "cusum", 312, Some(0.0), true),
    ("one_in_window", "farrington", 309, Some(0.0), false),
    ("one_in_window", "farrington", 310, Some(0.0), false),
    ("one_in_window", "farrington", 311, Some(0.0), false),
    ("one_in_window", "farrington", 312, Some(0.0), false),
    (
        "one_in_window",
        "farrington_nolimit",
        309,
        Some(0.4864623743),
        false,
    ),
    (
        "one_in_window",
        "farrington_nolimit",
        310,
        Some(0.4864623743),
        false,
    ),
    (
        "one_in_window",
        "farrington_nolimit",
        311,
        Some(0.4864623743),
        false,
    ),
    (
        "one_in_window",
        "farrington_nolimit",
        312,
        Some(0.4864623743),
        true,
    ),
    ("one_in_window", "flexible", 309, None, false),
    ("one_in_window", "flexible", 310, None, false),
    ("one_in_window", "flexible", 311, None, false),
    ("one_in_window", "flexible", 312, None, false),
    (
        "one_in_window",
        "flexible_nolimit",
        309,
        Some(0.9975769759),
        false,
    ),
    (
        "one_in_window",
        "flexible_nolimit",
        310,
        Some(0.9975769759),
        false,
    ),
    (
        "one_in_window",
        "flexible_nolimit",
        311,
        Some(0.9975769759),
        false,
    ),
    (
        "one_in_window",
        "flexible_nolimit",
        312,
        Some(0.9975769759),
        true,
    ),
    ("one_in_window", "c1", 309, Some(0.0), false),
    ("one_in_window", "c1", 310, Some(0.0), false),
    ("one_in_window", "c1", 311, Some(0.0), false),
    ("one_in_window", "c1", 312, Some(0.0), true),
    ("one_in_window", "c2", 309, Some(0.0), false),
    ("one_in_window", "c2", 310, Some(0.0), false),
    ("one_in_window", "c2", 311, Some(0.0), false),
    ("one_in_window", "c2", 312, Some(0.0), true),
    ("one_in_window", "c3", 309, None, false),
    ("one_in_window", "c3", 310, None, false),
    ("one_in_window", "c3", 311, None, false),
    ("one_in_window", "c3", 312, None, false),
    ("one_in_window", "cusum", 309, Some(1.0), false),
    ("one_in_window", "cusum", 310, Some(1.0), false),
    ("one_in_window", "cusum", 311, Some(1.0), false),
    ("one_in_window", "cusum", 312, Some(1.0), true),
    ("two_in_window_spike", "farrington", 309, Some(0.0), false),
    ("two_in_window_spike", "farrington", 310, Some(0.0), false),
    (
        "two_in_window_spike",
        "farrington",
        311,
        Some(0.6739293823),
        true,
    ),
    (
        "two_in_window_spike",
        "farrington",
        312,
        Some(0.6739293823),
        true,
    ),
    (
        "two_in_window_spike",
        "farrington_nolimit",
        309,
        Some(0.4864623743),
        true,
    ),
    (
        "two_in_window_spike",
        "farrington_nolimit",
        310,
        Some(0.6739293823),
        true,
    ),
    (
        "two_in_window_spike",
        "farrington_nolimit",
        311,
        Some(0.6739293823),
        true,
    ),
    (
        "two_in_window_spike",
        "farrington_nolimit",
        312,
        Some(0.6739293823),
        true,
    ),
    ("two_in_window_spike", "flexible", 309, None, false),
    ("two_in_window_spike", "flexible", 310, None, false),
    (
        "two_in_window_spike",
        "flexible",
        311,
        Some(1.048205766),
        true,
    ),
    (
        "two_in_window_spike",
        "flexible",
        312,
        Some(1.048205766),
        true,
    ),
    (
        "two_in_window_spike",
        "flexible_nolimit",
        309,
        Some(0.9975769759),
        true,
    ),
    (
        "two_in_window_spike",
        "flexible_nolimit",
        310,
        Some(1.048205766),
        true,
    ),
    (
        "two_in_window_spike",
        "flexible_nolimit",
        311,
        Some(1.048205766),
        true,
    ),
    (
        "two_in_window_spike",
        "flexible_nolimit",
        312,
        Some(1.048205766),
        true,
    ),
    ("two_in_window_spike", "c1", 309, Some(0.0), true),
    ("two_in_window_spike", "c1", 310, Some(1.310855168), true),
    ("two_in_window_spike", "c1", 311, Some(2.859953205), false),
    ("two_in_window_spike", "c1", 312, Some(3.653682951), false),
    ("two_in_window_spike", "c2", 309, Some(0.0), true),
    ("two_in_window_spike", "c2", 310, Some(0.0), true),
    ("two_in_window_spike", "c2", 311, Some(0.0), true),
    ("two_in_window_spike", "c2", 312, Some(1.310855168), true),
    ("two_in_window_spike", "c3", 309, None, false),
    ("two_in_window_spike", "c3", 310, None, false),
    ("two_in_window_spike", "c3", 311, None, false),
    ("two_in_window_spike", "c3", 312, Some(0.0), true),
    ("two_in_window_spike", "cusum", 309, Some(1.0), true),
    ("two_in_window_spike", "cusum", 310, Some(0.0), true),
    ("two_in_window_spike", "cusum", 311, Some(0.0), true),
    ("two_in_window_spike", "cusum", 312, Some(0.0), true),
    ("near", "farrington", 309, Some(0.0), false),
    ("near", "farrington", 310, Some(0.0), false),
    ("near", "farrington", 311, Some(0.0), false),
    ("near", "farrington", 312, Some(0.0), false),
    ("near", "farrington_nolimit", 309, Some(0.4864623743), false),
    (
        "near",
        "farrington_nolimit",
        310,
        Some(0.002699573738),
        false,
    ),
    (
        "near",
        "farrington_nolimit",
        311,
        Some(0.002699573738),
        false,
    ),
    (
        "near",
        "farrington_nolimit",
        312,
        Some(0.002699573738),
        true,
    ),
    ("near", "flexible", 309, None, false),
    ("near", "flexible", 310, None, false),
    ("near", "flexible", 311, None, false),
    ("near", "flexible", 312, None, false),
    ("near", "flexible_nolimit", 309, Some(0.9975769759), false),
    ("near", "flexible_nolimit", 310, Some(0.002076207014), false),
    ("near", "flexible_nolimit", 311, Some(0.002076207014), false),
    ("near", "flexible_nolimit", 312, Some(0.002076207014), true),
    ("near", "c1", 309, Some(0.0), false),
    ("near", "c1", 310, Some(0.0), false),
    ("near", "c1", 311, Some(0.0), false),
    ("near", "c1", 312, Some(0.0), true),
    ("near", "c2", 309, Some(0.0), false),
    ("near", "c2", 310, Some(0.0), false),
    ("near", "c2", 311, Some(0.0), false),
    ("near", "c2", 312, Some(0.0), true),
    ("near", "c3", 309, None, false),
    ("near", "c3", 310, None, false),
    ("near", "c3", 311, None, false),
    ("near", "c3", 312, None, false),
    ("near", "cusum", 309, Some(1.0), false),
    ("near", "cusum", 310, Some(1.0), false),
    ("near", "cusum", 311, Some(1.0), false),
    ("near", "cusum", 312, Some(1.0), true),
];

fn run(method: &str, x: &[f64]) -> Vec<Detection> {
    let range = 309..=312;
    let classic = Farrington {
        b: 4,
        w: 3,
        ..Farrington::classic()
    };
    let flexible = Farrington {
        b: 4,
        w: 3,
        ..Farrington::flexible()
    };
    let no_limit = Some((0.0, 4));
    match method {
        "farrington" => farrington(x, None, range, &classic),
        "farrington_nolimit" => farrington(
            x,
            None,
            range,
            &Farrington {
                limit54: no_limit,
                ..classic
            },
        ),
        "flexible" => farrington(x, None, range, &flexible),
        "flexible_nolimit" => farrington(
            x,
            None,
            range,
            &Farrington {
                limit54: no_limit,
                ..flexible
            },
        ),
        "c1" => ears(x, range, Ears::C1, 7, 0.001, 0.0),
        "c2" => ears(x, range, Ears::C2, 7, 0.001, 0.0),
        "c3" => ears(x, range, Ears::C3, 7, 0.001, 0.0),
        "cusum" => cusum(
            x,
            range,
            Cusum {
                k: 1.04,
                h: 2.26,
                m: None,
                reset: false,
            },
        ),
        other => panic!("no method {other}"),
    }
    .unwrap()
}

#[test]
fn zero_baselines_give_r_surveillances_bounds_and_alarms() {
    let mut differences = Vec::new();
    let mut compared = 0;
    for name in [
        "zero",
        "one_at_end",
        "spike_limit54_met",
        "one_in_window",
        "two_in_window_spike",
        "near",
    ] {
        let x = series(name);
        for method in [
            "farrington",
            "farrington_nolimit",
            "flexible",
            "flexible_nolimit",
            "c1",
            "c2",
            "c3",
            "cusum",
        ] {
            let got = run(method, &x);
            for (d, week) in got.iter().zip(309..=312) {
                let &(_, _, _, bound, alarm) = R
                    .iter()
                    .find(|r| r.0 == name && r.1 == method && r.2 == week)
                    .unwrap();
                compared += 1;
                let same_bound = match (bound, d.upper_bound) {
                    (None, None) => true,
                    (Some(a), Some(b)) => (a - b).abs() < 1e-6,
                    _ => false,
                };
                if !same_bound || alarm != d.alarm {
                    differences.push(format!(
                        "{name} {method} week {week}: R {bound:?} {alarm}, Lantern {:?} {}",
                        d.upper_bound, d.alarm
                    ));
                }
            }
        }
    }
    assert_eq!(compared, R.len(), "every R row is compared");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

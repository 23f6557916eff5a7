//! Sentences written from the numbers by rules. Nothing here invents a finding: each sentence
//! states counts the tables hold, and a change is called beyond chance only when the count's
//! exact Poisson 95% interval excludes the average it is compared with. The wording follows
//! the Samaritans media guidelines: people "died by suicide"; no method detail in public text.

/// A count with its noun, singular or plural: "1 death", "12 deaths".
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

pub(crate) use crate::text::thousands;

/// `41%` of a total, or `None` when the total is 0.
pub(crate) fn percent(n: u64, total: u64) -> Option<String> {
    (total > 0).then(|| format!("{:.0}%", 100.0 * n as f64 / total as f64))
}

/// How a count compares with the average of earlier periods, and whether the difference is
/// beyond chance: "9% more than the average of the three previous years (130.3); the 95%
/// interval for the count (119 to 167) includes that average, so the difference is within
/// what chance alone would give."
pub(crate) fn change(n: u64, earlier: &[Option<u64>], earlier_words: &str) -> Option<String> {
    let known: Vec<u64> = earlier.iter().copied().collect::<Option<Vec<_>>>()?;
    if known.is_empty() {
        return None;
    }
    let avg = known.iter().sum::<u64>() as f64 / known.len() as f64;
    let direction = if avg == 0.0 {
        if n == 0 {
            "the same as".to_owned()
        } else {
            "more than".to_owned()
        }
    } else {
        let pct = 100.0 * (n as f64 - avg) / avg;
        if pct.abs() < 0.5 {
            "about the same as".to_owned()
        } else if pct > 0.0 {
            format!("{pct:.0}% more than")
        } else {
            format!("{:.0}% fewer than", -pct)
        }
    };
    let (lo, hi) = lantern_stats::exact_poisson_limits(n as f64, 0.95).ok()?;
    let within = (lo..=hi).contains(&avg);
    Some(format!(
        "{direction} the average of {earlier_words} ({}); the 95% interval for the count ({} to {}) {} that average, so the difference is {} what chance alone would give",
        one_decimal(avg),
        thousands(lo.round() as u64),
        thousands(hi.round() as u64),
        if within { "includes" } else { "excludes" },
        if within { "within" } else { "beyond" },
    ))
}

/// A non-negative number to one decimal place, with thousands separated: `195,673.0`.
fn one_decimal(x: f64) -> String {
    let tenths = (x * 10.0).round() as u64;
    format!("{}.{}", thousands(tenths / 10), tenths % 10)
}

/// "Some figures are withheld …", for a table with withheld rows.
pub(crate) const WITHHELD: &str = "Some values are not shown: a count from 1 to 4, or one that would let such a count be worked out from other published figures, is withheld, and its row is left out because its label would describe the people it counts.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(count(1, "death", "deaths"), "1 death");
        assert_eq!(count(2, "death", "deaths"), "2 deaths");
        assert_eq!(percent(41, 100).as_deref(), Some("41%"));
        assert_eq!(percent(1, 0), None);
    }

    #[test]
    fn a_change_is_beyond_chance_only_outside_the_interval() {
        // 142 against an average of 130: the exact interval for 142 is about 120 to 167.
        let s = change(
            142,
            &[Some(125), Some(130), Some(135)],
            "the three previous years",
        )
        .expect("a sentence");
        assert!(s.starts_with("9% more than"), "{s}");
        assert!(s.contains("within what chance"), "{s}");
        // 60 against an average of 100 is well outside.
        let s = change(60, &[Some(100); 3], "the three previous years").expect("a sentence");
        assert!(s.starts_with("40% fewer than"), "{s}");
        assert!(s.contains("beyond what chance"), "{s}");
        // Large counts read with separators, and their interval is their own (a sum of terms
        // from e^-λ once gave every count above 745 the interval 745 to 745).
        let s = change(202_885, &[Some(190_000), Some(196_000), Some(201_019)], "x")
            .expect("a sentence");
        assert!(s.contains("(195,673.0)"), "{s}");
        assert!(s.contains("the 95% interval for the count (202,0"), "{s}");
        assert!(s.contains(" to 203,7"), "{s}");
        assert!(s.contains("beyond what chance"), "{s}");
        // A withheld earlier count gives no comparison.
        assert_eq!(change(10, &[Some(9), None], "x"), None);
        assert_eq!(change(10, &[], "x"), None);
    }
}

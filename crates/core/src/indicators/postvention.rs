//! The postvention figures of a table broken down by postvention stage (`dataset=postvention`):
//! each stage's share of its period and area's deaths, and the median days from a death to the
//! bereaved's first contact with support.
//!
//! For a partner or the public a share is published only where its row's count is, its period
//! and area's deaths number 10 or more, and those deaths are a published row of the table
//! without the stage: with the count, a share gives its denominator away. A median is
//! published over 10 or more first contacts only; unlike a sum, a median of some records cannot
//! be taken from the median of more, so medians give no route to a withheld one.

use std::collections::HashMap;

use super::{Audience, Dimension, IndicatorQuery, IndicatorRow};

/// The fewest events a share or a median is published on for a partner or the public (the
/// rate rule's threshold).
const FEWEST: usize = 10;

/// What a share row's `statistic` says.
pub(super) const SHARE: &str = "percentage of the deaths in the period and area";

/// A row's key without the stage: its period and area (and filter).
fn group_key(q: &IndicatorQuery, row: &IndicatorRow) -> Vec<String> {
    q.by.iter()
        .zip(&row.dims)
        .filter(|(d, _)| **d != Dimension::PostventionStage)
        .map(|(_, (_, v))| v.clone())
        .collect()
}

/// The deaths of each period and area, from the exact counts (before any is withheld).
pub(super) fn totals(q: &IndicatorQuery, rows: &[IndicatorRow]) -> HashMap<Vec<String>, u64> {
    let mut out: HashMap<Vec<String>, u64> = HashMap::new();
    for r in rows {
        *out.entry(group_key(q, r)).or_default() += r.count.unwrap_or(0);
    }
    out
}

/// Each row's share of its period and area's deaths, with a 95% Wilson interval, where it may
/// be published (see the module's documentation); `base_published` says whether a row's period
/// and area total is published to this audience.
pub(super) fn shares(
    q: &IndicatorQuery,
    rows: &mut [IndicatorRow],
    totals: &HashMap<Vec<String>, u64>,
    base_published: impl Fn(&IndicatorRow) -> bool,
) {
    let protected = q.audience.is_protected();
    for r in rows.iter_mut() {
        (r.value, r.lower, r.upper) = (None, None, None);
        r.statistic = Some(SHARE);
        if r.suppressed {
            r.median_days = None;
        }
        let (Some(count), Some(&n)) = (r.count, totals.get(&group_key(q, r))) else {
            continue;
        };
        if n == 0 || (protected && (n < FEWEST as u64 || !base_published(r))) {
            continue;
        }
        if let Ok(Some(i)) = lantern_stats::wilson_proportion(count as f64, n as f64, 100.0, 0.95) {
            (r.value, r.lower, r.upper) = (Some(i.value), Some(i.lower), Some(i.upper));
        }
    }
}

/// The median of `days` (the mean of the middle two of an even number), for `audience`: none
/// for a partner or the public over fewer than [`FEWEST`].
pub(super) fn median_days(days: &[i64], audience: Audience) -> Option<f64> {
    if days.is_empty() || (audience.is_protected() && days.len() < FEWEST) {
        return None;
    }
    let mut d = days.to_vec();
    d.sort_unstable();
    let mid = d.len() / 2;
    Some(if d.len() % 2 == 1 {
        d[mid] as f64
    } else {
        (d[mid - 1] + d[mid]) as f64 / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_day_and_a_partner_needs_ten() {
        assert_eq!(median_days(&[5, 1, 3], Audience::Statutory), Some(3.0));
        assert_eq!(median_days(&[4, 1, 3, 2], Audience::Statutory), Some(2.5));
        assert_eq!(median_days(&[], Audience::Statutory), None);
        let nine: Vec<i64> = (1..=9).collect();
        assert_eq!(median_days(&nine, Audience::Partner), None);
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(median_days(&ten, Audience::Partner), Some(5.5));
    }
}

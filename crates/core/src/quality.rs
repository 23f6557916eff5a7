//! Data quality: how complete each field is, by source and by month, from the store's counts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::register::Dataset;
use crate::store::CompletenessRow;

/// Completeness of every field for one group (a source or a month).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completeness {
    /// The source or the month.
    pub group: String,
    /// Records in the group.
    pub total: i64,
    /// Percentage filled, per field in schema order (`None` when the group is empty).
    pub percent: Vec<Option<f64>>,
}

/// The report: by source and by month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityReport {
    /// Field names, in schema order.
    pub fields: Vec<&'static str>,
    /// One row per source.
    pub by_source: Vec<Completeness>,
    /// One row per month, newest first.
    pub by_month: Vec<Completeness>,
}

fn roll_up(
    dataset: &Dataset,
    rows: &[CompletenessRow],
    key: impl Fn(&CompletenessRow) -> &str,
) -> Vec<Completeness> {
    let mut groups: BTreeMap<&str, (i64, Vec<i64>)> = BTreeMap::new();
    for row in rows {
        let entry = groups
            .entry(key(row))
            .or_insert_with(|| (0, vec![0; dataset.fields.len()]));
        entry.0 += row.total;
        for (acc, n) in entry.1.iter_mut().zip(&row.filled) {
            *acc += n;
        }
    }
    groups
        .into_iter()
        .map(|(group, (total, filled))| Completeness {
            group: group.to_owned(),
            total,
            percent: filled
                .iter()
                .map(|&n| (total > 0).then(|| 100.0 * n as f64 / total as f64))
                .collect(),
        })
        .collect()
}

/// Build the report from the store's per-source, per-month counts.
pub fn report(dataset: &Dataset, rows: &[CompletenessRow]) -> QualityReport {
    let mut by_month = roll_up(dataset, rows, |r| &r.month);
    by_month.reverse();
    QualityReport {
        fields: dataset.fields.iter().map(|f| f.name).collect(),
        by_source: roll_up(dataset, rows, |r| &r.source),
        by_month,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::SUICIDES;

    #[test]
    fn percentages_roll_up_across_months_and_sources() {
        let n = SUICIDES.fields.len();
        let rows = vec![
            CompletenessRow {
                source: "police".into(),
                month: "2024-01".into(),
                total: 4,
                filled: vec![2; n],
            },
            CompletenessRow {
                source: "police".into(),
                month: "2024-02".into(),
                total: 6,
                filled: vec![6; n],
            },
            CompletenessRow {
                source: "coroner".into(),
                month: "2024-02".into(),
                total: 0,
                filled: vec![0; n],
            },
        ];
        let r = report(&SUICIDES, &rows);
        let police = r.by_source.iter().find(|c| c.group == "police").unwrap();
        assert_eq!(police.total, 10);
        assert_eq!(police.percent[0], Some(80.0));
        assert_eq!(
            r.by_source
                .iter()
                .find(|c| c.group == "coroner")
                .unwrap()
                .percent[0],
            None
        );
        assert_eq!(r.by_month[0].group, "2024-02");
    }
}

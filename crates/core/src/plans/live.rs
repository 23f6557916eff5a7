//! Live measures: a measure bound to a figure Lantern computes, shown with its trend against
//! the measure's baseline and target.
//!
//! A [`Binding`] names a source and the source's question. Sources implement
//! [`MeasureSource`] and are collected in [`Sources`]; the plan code only ever asks
//! [`Sources::series`], so a new source (training uptake, organisations with a senior mental
//! health lead) plugs in by registering itself, with no change here or in the pages.
//!
//! The built-in source, `indicators`, asks exactly the question `GET /api/v1/indicators` is
//! asked with the binding's query, through the same function, so a live measure always shows
//! the figure the indicators API gives.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::indicators::{Audience, IndicatorError, IndicatorQuery, indicators};

/// What a bound measure shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Statistic {
    /// The count.
    #[default]
    Count,
    /// The rate (the indicator's `value`).
    Value,
}

/// A measure's binding to a computed figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The source's name (`indicators`).
    pub source: String,
    /// The source's question; for `indicators`, the API's query string
    /// (`dataset=suicides&by=year,sex&area=E10000001`).
    pub query: String,
    /// Which rows to take, as `dimension=value|value;dimension=value`; the counts of the rows
    /// taken are added for each period. Empty takes every row.
    #[serde(default)]
    pub select: String,
    /// Count or rate.
    #[serde(default)]
    pub statistic: Statistic,
}

impl Binding {
    /// Parse the compact form used in templates: `source:query` with an optional
    /// ` where select` and ` show count|value`, e.g.
    /// `indicators:dataset=suicides&by=year,sex where sex=male show count`.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (source, rest) = text.trim().split_once(':').ok_or_else(|| {
            format!("'{text}' is not source:query (e.g. indicators:dataset=suicides&by=year)")
        })?;
        let (rest, statistic) = match rest.rsplit_once(" show ") {
            Some((r, s)) => (
                r,
                match s.trim() {
                    "count" => Statistic::Count,
                    "value" | "rate" => Statistic::Value,
                    other => return Err(format!("'show {other}' is not one of count|value")),
                },
            ),
            None => (rest, Statistic::Count),
        };
        let (query, select) = rest.split_once(" where ").unwrap_or((rest, ""));
        let b = Self {
            source: source.trim().to_owned(),
            query: query.trim().to_owned(),
            select: select.trim().to_owned(),
            statistic,
        };
        b.selection()?;
        Ok(b)
    }

    /// The compact form [`Self::parse`] reads.
    pub fn compact(&self) -> String {
        let mut s = format!("{}:{}", self.source, self.query);
        if !self.select.is_empty() {
            s.push_str(" where ");
            s.push_str(&self.select);
        }
        if self.statistic == Statistic::Value {
            s.push_str(" show value");
        }
        s
    }

    /// The selection as `(dimension, allowed values)`.
    ///
    /// # Errors
    /// A clause without `=`.
    pub fn selection(&self) -> Result<Vec<(String, Vec<String>)>, String> {
        self.select
            .split(';')
            .filter(|c| !c.trim().is_empty())
            .map(|c| {
                let (k, v) = c
                    .split_once('=')
                    .ok_or_else(|| format!("'{c}' is not dimension=value"))?;
                Ok((
                    k.trim().to_owned(),
                    v.split('|').map(|x| x.trim().to_owned()).collect(),
                ))
            })
            .collect()
    }
}

/// One period of a live measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// The period (`2024`, `2024-Q3`, `2022-2024`), or `all` without a period.
    pub period: String,
    /// The count, or `None` when withheld.
    pub count: Option<u64>,
    /// The rate, when one row was taken and it has one.
    pub value: Option<f64>,
    /// The figure was withheld to protect small numbers.
    pub suppressed: bool,
}

impl Point {
    /// The figure the binding shows.
    pub fn figure(&self, statistic: Statistic) -> Option<f64> {
        match statistic {
            Statistic::Count => self.count.map(|c| c as f64),
            Statistic::Value => self.value,
        }
    }
}

/// A live measure's values over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Points in period order.
    pub points: Vec<Point>,
    /// The disclosure rule applied.
    pub disclosure: String,
}

/// Why a live measure has no values.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No source of that name is registered.
    #[error("no measure source called '{0}'")]
    UnknownSource(String),
    /// The binding is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

/// A source of live measure values.
#[async_trait]
pub trait MeasureSource: Send + Sync {
    /// The name bindings use.
    fn name(&self) -> &'static str;

    /// Check a binding's query without computing it.
    ///
    /// # Errors
    /// A message saying what is wrong with the query.
    fn check(&self, binding: &Binding) -> Result<(), String>;

    /// The values, for a viewer who may (`statutory`) or may not see unsuppressed figures.
    async fn series(
        &self,
        store: &dyn Store,
        binding: &Binding,
        statutory: bool,
    ) -> Result<Series, LiveError>;
}

/// The registered sources.
#[derive(Clone)]
pub struct Sources(Vec<Arc<dyn MeasureSource>>);

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|s| s.name()))
            .finish()
    }
}

impl Default for Sources {
    fn default() -> Self {
        Self(vec![Arc::new(IndicatorSource)])
    }
}

impl Sources {
    /// Add a source (a later one of the same name replaces an earlier one).
    pub fn register(&mut self, source: Arc<dyn MeasureSource>) {
        self.0.retain(|s| s.name() != source.name());
        self.0.push(source);
    }

    /// The names of the sources.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|s| s.name()).collect()
    }

    fn find(&self, name: &str) -> Result<&Arc<dyn MeasureSource>, LiveError> {
        self.0
            .iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| LiveError::UnknownSource(name.to_owned()))
    }

    /// Check a binding.
    ///
    /// # Errors
    /// An unknown source or a wrong query.
    pub fn check(&self, binding: &Binding) -> Result<(), String> {
        self.find(&binding.source)
            .map_err(|e| format!("{e} (sources: {})", self.names().join(", ")))?
            .check(binding)
    }

    /// The values of a binding.
    ///
    /// # Errors
    /// An unknown source, a wrong query, or a store failure.
    pub async fn series(
        &self,
        store: &dyn Store,
        binding: &Binding,
        statutory: bool,
    ) -> Result<Series, LiveError> {
        self.find(&binding.source)?
            .series(store, binding, statutory)
            .await
    }
}

/// The register's indicators, as `GET /api/v1/indicators` gives them.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorSource;

impl IndicatorSource {
    fn query(binding: &Binding) -> Result<IndicatorQuery, String> {
        let q = IndicatorQuery::from_query_string(&binding.query)?;
        for (dim, _) in binding.selection()? {
            if !q.by.iter().any(|d| d.name() == dim) {
                return Err(format!(
                    "the selection names '{dim}', which is not in by={}",
                    q.by.iter().map(|d| d.name()).collect::<Vec<_>>().join(",")
                ));
            }
        }
        Ok(q)
    }
}

#[async_trait]
impl MeasureSource for IndicatorSource {
    fn name(&self) -> &'static str {
        "indicators"
    }

    fn check(&self, binding: &Binding) -> Result<(), String> {
        Self::query(binding).map(|_| ())
    }

    async fn series(
        &self,
        store: &dyn Store,
        binding: &Binding,
        statutory: bool,
    ) -> Result<Series, LiveError> {
        let mut q = Self::query(binding).map_err(LiveError::Invalid)?;
        if !statutory {
            q.audience = Audience::Partner;
        }
        let selection = binding.selection().map_err(LiveError::Invalid)?;
        let period = q.period().map(|d| d.name());
        let table = indicators(store, &q).await.map_err(|e| match e {
            IndicatorError::Invalid(m) | IndicatorError::Refused(m) => LiveError::Invalid(m),
            IndicatorError::Store(s) => LiveError::Store(s),
        })?;
        let mut by_period: BTreeMap<String, Vec<&crate::indicators::IndicatorRow>> =
            BTreeMap::new();
        for row in &table.rows {
            let taken = selection.iter().all(|(dim, values)| {
                row.dims
                    .iter()
                    .any(|(k, v)| k == dim && values.iter().any(|x| x == v))
            });
            if !taken {
                continue;
            }
            let p = period
                .and_then(|p| row.dims.iter().find(|(k, _)| *k == p))
                .map_or_else(|| "all".to_owned(), |(_, v)| v.clone());
            by_period.entry(p).or_default().push(row);
        }
        let points = by_period
            .into_iter()
            .map(|(period, rows)| {
                let suppressed = rows.iter().any(|r| r.suppressed || r.count.is_none());
                let count = if suppressed {
                    None
                } else {
                    Some(rows.iter().filter_map(|r| r.count).sum())
                };
                // A rate belongs to one row; rates of several rows do not add.
                let value = match rows.as_slice() {
                    [one] => one.value,
                    _ => None,
                };
                Point {
                    period,
                    count,
                    value,
                    suppressed,
                }
            })
            .collect();
        Ok(Series {
            points,
            disclosure: table.disclosure.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compact_form_round_trips() {
        let b = Binding::parse(
            "indicators:dataset=suicides&by=year,sex,age_band where sex=male;age_band=35-39|40-44 show value",
        )
        .unwrap();
        assert_eq!(b.source, "indicators");
        assert_eq!(b.query, "dataset=suicides&by=year,sex,age_band");
        assert_eq!(b.statistic, Statistic::Value);
        assert_eq!(
            b.selection().unwrap(),
            vec![
                ("sex".to_owned(), vec!["male".to_owned()]),
                (
                    "age_band".to_owned(),
                    vec!["35-39".to_owned(), "40-44".to_owned()]
                )
            ]
        );
        assert_eq!(Binding::parse(&b.compact()).unwrap(), b);
    }

    #[test]
    fn a_selection_outside_the_breakdown_is_refused() {
        let b = Binding::parse("indicators:dataset=suicides&by=year where sex=male").unwrap();
        let err = Sources::default().check(&b).unwrap_err();
        assert!(err.contains("'sex', which is not in by=year"), "{err}");
        let b = Binding::parse("training:uptake").unwrap();
        let err = Sources::default().check(&b).unwrap_err();
        assert!(err.contains("no measure source called 'training'"), "{err}");
    }
}

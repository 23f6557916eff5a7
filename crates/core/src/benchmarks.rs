//! Benchmarks: published figures to compare local ones with, such as OHID Fingertips' England
//! and regional values. `lantern import benchmarks FILE` reads them from:
//! - the CSV that Fingertips' "download data" gives (`Indicator ID, Indicator Name, Parent Code,
//!   …, Area Code, Area Name, Area Type, Sex, Age, Category Type, Category, Time period, Value,
//!   Lower CI 95.0 limit, Upper CI 95.0 limit, Lower CI 99.8 limit, Upper CI 99.8 limit, Count,
//!   Denominator, …`);
//! - the same with the spaces taken out, as fingertipsR writes it (`IndicatorID`, `AreaCode`,
//!   `Timeperiod`, `LowerCI95.0limit`, …);
//! - a simple CSV, `indicator,area_code,period,sex,value,lower,upper`.
//!
//! Column names are matched without case, spaces or punctuation, extra columns are ignored, and
//! every column but the indicator, the area code, the period and the value may be missing (sex
//! is then `Persons` and age `All ages`). Rows of a breakdown by category (a `Category Type`,
//! such as deprivation deciles) are left out and counted. A figure is keyed by indicator, area,
//! sex, age and period; importing it again updates it.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::import::{ImportError, Problems, Table, read_table};
use crate::{BenchmarkStore, ImportSummary};

/// England's area code, the default comparator.
pub const ENGLAND: &str = "E92000001";

/// One published figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Benchmark {
    /// The indicator: Fingertips' indicator ID, or the indicator as the file names it.
    pub indicator: String,
    /// The indicator's name, when the file gives it.
    pub indicator_name: Option<String>,
    /// GSS code of the area.
    pub area_code: String,
    /// The area's name, when given.
    pub area_name: Option<String>,
    /// The kind of area (`England`, `Region`, `Districts & UAs`, …), when given.
    pub area_type: Option<String>,
    /// `Persons`, `Male` or `Female` as published.
    pub sex: String,
    /// The age group as published (`All ages`, `10+ yrs`, …).
    pub age: String,
    /// The period as published: `2019 - 21` (three pooled years), `2021/22` (a financial year),
    /// `2021`.
    pub period: String,
    /// The figure; `None` where the publisher withheld it.
    pub value: Option<f64>,
    /// The 95% confidence interval.
    pub lower95: Option<f64>,
    /// The 95% confidence interval.
    pub upper95: Option<f64>,
    /// The 99.8% confidence interval.
    pub lower998: Option<f64>,
    /// The 99.8% confidence interval.
    pub upper998: Option<f64>,
    /// The count behind the figure.
    pub count: Option<f64>,
    /// The denominator behind the figure.
    pub denominator: Option<f64>,
}

impl Benchmark {
    /// What identifies the figure: indicator, area, sex, age and period.
    pub fn key(&self) -> (&str, &str, &str, &str, &str) {
        (
            &self.indicator,
            &self.area_code,
            &self.sex,
            &self.age,
            &self.period,
        )
    }
}

/// A column name without case, spaces or punctuation: `Lower CI 95.0 limit` and
/// `LowerCI95.0limit` are both `lowerci950limit`.
fn normal(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Where each field is in a file: the first header that matches one of its names.
struct Columns {
    indicator_id: Option<usize>,
    indicator_name: Option<usize>,
    indicator: Option<usize>,
    area_code: Option<usize>,
    area_name: Option<usize>,
    area_type: Option<usize>,
    sex: Option<usize>,
    age: Option<usize>,
    category_type: Option<usize>,
    period: Option<usize>,
    value: Option<usize>,
    lower95: Option<usize>,
    upper95: Option<usize>,
    lower998: Option<usize>,
    upper998: Option<usize>,
    count: Option<usize>,
    denominator: Option<usize>,
}

impl Columns {
    fn of(headers: &[String]) -> Self {
        let normals: Vec<String> = headers.iter().map(|h| normal(h)).collect();
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| normals.iter().position(|h| h == n))
        };
        Self {
            indicator_id: find(&["indicatorid"]),
            indicator_name: find(&["indicatorname"]),
            indicator: find(&["indicator"]),
            area_code: find(&["areacode"]),
            area_name: find(&["areaname"]),
            area_type: find(&["areatype"]),
            sex: find(&["sex"]),
            age: find(&["age"]),
            category_type: find(&["categorytype"]),
            period: find(&["timeperiod", "period"]),
            value: find(&["value"]),
            lower95: find(&["lowerci950limit", "lowerci95limit", "lower95", "lower"]),
            upper95: find(&["upperci950limit", "upperci95limit", "upper95", "upper"]),
            lower998: find(&["lowerci998limit", "lower998"]),
            upper998: find(&["upperci998limit", "upper998"]),
            count: find(&["count"]),
            denominator: find(&["denominator"]),
        }
    }
}

/// What a benchmark file gave.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedBenchmarks {
    /// The figures, in file order.
    pub rows: Vec<Benchmark>,
    /// Rows of a breakdown by category, left out.
    pub skipped_categories: u64,
}

/// A number cell: blank, `NA` or `-` is no figure.
fn number(text: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("na") || t == "-" || t == ".." {
        return Ok(None);
    }
    match t.replace(',', "").parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(format!(
            "'{}' is not a number",
            crate::text::printable(t, 40)
        )),
    }
}

/// Read benchmark figures from a table. Every problem is reported with its line and column,
/// and nothing is returned unless the whole file is good.
///
/// # Errors
/// The problems, each with its line and column.
pub fn parse_benchmarks(table: &Table) -> Result<ParsedBenchmarks, ImportError> {
    let mut problems = Problems::new(&table.file);
    let c = Columns::of(&table.headers);
    let indicator_c = c.indicator_id.or(c.indicator).or(c.indicator_name);
    let required = [
        (indicator_c, "Indicator ID (or indicator)"),
        (c.area_code, "Area Code (or area_code)"),
        (c.period, "Time period (or period)"),
        (c.value, "Value"),
    ];
    for (col, name) in required {
        if col.is_none() {
            problems.add(1, name, format!("the column {name} is missing"));
        }
    }
    let (Some(indicator_c), Some(area_c), Some(period_c), Some(value_c)) =
        (indicator_c, c.area_code, c.period, c.value)
    else {
        return problems.into_result(ParsedBenchmarks::default());
    };
    let header = |i: usize| table.headers[i].as_str();
    let mut parsed = ParsedBenchmarks::default();
    let mut seen: HashMap<(String, String, String, String, String), u64> = HashMap::new();
    for (line, cells) in &table.rows {
        let line = *line;
        let cell = |i: Option<usize>| i.map(|i| cells.get(i).unwrap_or("").trim());
        if cell(c.category_type).is_some_and(|t| !t.is_empty()) {
            parsed.skipped_categories += 1;
            continue;
        }
        let mut text = |i: usize, what: &str, default: Option<&str>| -> Option<String> {
            let t = cells.get(i).unwrap_or("").trim();
            if t.is_empty() {
                if default.is_none() {
                    problems.add(line, header(i), format!("{what} is empty"));
                }
                return default.map(str::to_owned);
            }
            match crate::text::checked(t) {
                Ok(t) => Some(t.into_owned()),
                Err(e) => {
                    problems.add(line, header(i), e);
                    None
                }
            }
        };
        let indicator = text(indicator_c, "the indicator", None);
        let period = text(period_c, "the period", None);
        let sex = c.sex.map_or(Some("Persons".to_owned()), |i| {
            text(i, "the sex", Some("Persons"))
        });
        let age = c.age.map_or(Some("All ages".to_owned()), |i| {
            text(i, "the age", Some("All ages"))
        });
        // Names and types are kept as given, but text with control characters is a problem
        // here as everywhere text comes in.
        let mut optional = |i: Option<usize>| {
            let i = i?;
            let t = cells.get(i).unwrap_or("").trim();
            if t.is_empty() {
                return None;
            }
            crate::text::checked(t)
                .map_err(|e| problems.add(line, header(i), e))
                .ok()
                .map(std::borrow::Cow::into_owned)
        };
        let (indicator_name, area_name, area_type) = (
            optional(c.indicator_name),
            optional(c.area_name),
            optional(c.area_type),
        );
        let area = match crate::area::parse_area_code(cells.get(area_c).unwrap_or("")) {
            Ok(code) => Some(code),
            Err(e) => {
                problems.add(line, header(area_c), e);
                None
            }
        };
        let mut figure = |i: Option<usize>| -> Option<f64> {
            let i = i?;
            match number(cells.get(i).unwrap_or("")) {
                Ok(x) => x,
                Err(e) => {
                    problems.add(line, header(i), e);
                    None
                }
            }
        };
        let value = figure(Some(value_c));
        let (lower95, upper95) = (figure(c.lower95), figure(c.upper95));
        let (lower998, upper998) = (figure(c.lower998), figure(c.upper998));
        let (count, denominator) = (figure(c.count), figure(c.denominator));
        for (lo, hi, col) in [
            (lower95, upper95, c.lower95),
            (lower998, upper998, c.lower998),
        ] {
            if let (Some(lo), Some(hi), Some(col)) = (lo, hi, col)
                && lo > hi
            {
                problems.add(
                    line,
                    header(col),
                    format!("the lower limit {lo} is above the upper limit {hi}"),
                );
            }
        }
        let (Some(indicator), Some(area_code), Some(period), Some(sex), Some(age)) =
            (indicator, area, period, sex, age)
        else {
            continue;
        };
        let key = (
            indicator.clone(),
            area_code.clone(),
            sex.clone(),
            age.clone(),
            period.clone(),
        );
        if let Some(first) = seen.insert(key, line) {
            problems.add(
                line,
                header(indicator_c),
                format!(
                    "repeats the figure on line {first} (same indicator, area, sex, age and period)"
                ),
            );
            continue;
        }
        parsed.rows.push(Benchmark {
            indicator_name: indicator_name
                .filter(|_| c.indicator_id.is_some() || c.indicator.is_some()),
            area_name,
            area_type,
            indicator,
            area_code,
            sex,
            age,
            period,
            value,
            lower95,
            upper95,
            lower998,
            upper998,
            count,
            denominator,
        });
    }
    if parsed.rows.is_empty() && problems.is_empty() {
        problems.add(1, header(value_c), "the file holds no figures");
    }
    problems.into_result(parsed)
}

/// The columns [`write_csv`] writes, which [`parse_benchmarks`] reads back.
pub const CSV_COLUMNS: [&str; 15] = [
    "indicator",
    "indicator_name",
    "area_code",
    "area_name",
    "area_type",
    "sex",
    "age",
    "period",
    "value",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "count",
    "denominator",
];

/// Write figures as CSV with [`CSV_COLUMNS`], text neutralised as in every CSV Lantern writes;
/// importing the file again changes nothing.
///
/// # Errors
/// A write failure.
pub fn write_csv(rows: &[Benchmark], out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = crate::export::CsvWriter::new(out);
    w.write_record(CSV_COLUMNS)?;
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    let num = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
    for b in rows {
        w.write_record([
            b.indicator.clone(),
            text(&b.indicator_name),
            b.area_code.clone(),
            text(&b.area_name),
            text(&b.area_type),
            b.sex.clone(),
            b.age.clone(),
            b.period.clone(),
            num(b.value),
            num(b.lower95),
            num(b.upper95),
            num(b.lower998),
            num(b.upper998),
            num(b.count),
            num(b.denominator),
        ])?;
    }
    w.flush()
}

/// What a benchmark import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BenchmarkImport {
    /// Inserted, updated and unchanged figures.
    #[serde(flatten)]
    pub summary: ImportSummary,
    /// Rows of a breakdown by category, left out.
    pub skipped_categories: u64,
}

/// Import a benchmark file: all figures or none, with the audit entry (when `audit_by` is
/// given) in the same transaction.
///
/// # Errors
/// Problems in the file, or a store failure; in both cases nothing is written.
pub async fn import_benchmarks(
    store: &dyn BenchmarkStore,
    path: &Path,
    dry_run: bool,
    audit_by: Option<crate::import::AuditBy<'_>>,
) -> Result<BenchmarkImport, ImportError> {
    let table = read_table(path)?;
    let parsed = parse_benchmarks(&table)?;
    let audit = audit_by.map(|by| by.summary_entry("benchmarks_import", path));
    let source = crate::import::source_name(path);
    let summary = store
        .upsert_benchmarks(
            &parsed.rows,
            &source,
            dry_run,
            audit.as_ref().map(|a| a as crate::store::SummaryAudit<'_>),
        )
        .await?;
    Ok(BenchmarkImport {
        summary,
        skipped_categories: parsed.skipped_categories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(csv: &str) -> Result<ParsedBenchmarks, ImportError> {
        parse_benchmarks(&Table::from_csv("b.csv", csv.as_bytes()).unwrap())
    }

    fn lines(e: ImportError) -> Vec<String> {
        match e {
            ImportError::Invalid(p) => p.iter().map(ToString::to_string).collect(),
            other => panic!("{other}"),
        }
    }

    const FINGERTIPS: &str = "Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,Category Type,Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,Lower CI 99.8 limit,Upper CI 99.8 limit,Count,Denominator,Value note,Recent Trend,Compared to England value or percentiles\n\
        41001,Suicide rate,,,E92000001,England,England,Persons,10+ yrs,,,2019 - 21,10.4,10.2,10.6,10.1,10.7,16315,,,,Not compared\n\
        41001,Suicide rate,E92000001,England,E12000002,North West region,Region,Persons,10+ yrs,,,2019 - 21,11.9,11.4,12.4,11.1,12.7,2338,,,,Worse\n\
        41001,Suicide rate,E92000001,England,E12000002,North West region,Region,Persons,10+ yrs,County & UA deprivation deciles,Most deprived decile,2019 - 21,14.0,,,,,,,,,\n\
        41001,Suicide rate,E12000002,North West region,E06000008,Blackburn with Darwen,UA,Persons,10+ yrs,,,2019 - 21,,,,,,,,*,,\n";

    #[test]
    fn a_fingertips_download_is_read_and_category_rows_left_out() {
        let p = parse(FINGERTIPS).unwrap();
        assert_eq!(p.skipped_categories, 1);
        assert_eq!(p.rows.len(), 3);
        let e = &p.rows[0];
        assert_eq!(
            e.key(),
            ("41001", "E92000001", "Persons", "10+ yrs", "2019 - 21")
        );
        assert_eq!(e.indicator_name.as_deref(), Some("Suicide rate"));
        assert_eq!(
            (
                e.value, e.lower95, e.upper95, e.lower998, e.upper998, e.count
            ),
            (
                Some(10.4),
                Some(10.2),
                Some(10.6),
                Some(10.1),
                Some(10.7),
                Some(16315.0)
            )
        );
        assert_eq!(p.rows[2].value, None, "a withheld value is no figure");
    }

    #[test]
    fn fingertips_r_names_the_simple_format_and_missing_columns_are_read() {
        let r = "IndicatorID,IndicatorName,AreaCode,AreaName,AreaType,Sex,Age,CategoryType,Category,Timeperiod,Value,LowerCI95.0limit,UpperCI95.0limit,Count,Denominator\n\
                 41001,Suicide rate,E92000001,England,England,Male,10+ yrs,NA,NA,2019 - 21,15.9,15.5,16.3,12345,NA\n";
        // fingertipsR writes NA for an empty category.
        let p = parse(&r.replace("NA,NA,2019", ",,2019")).unwrap();
        assert_eq!(p.rows[0].sex, "Male");
        assert_eq!(p.rows[0].upper95, Some(16.3));
        assert_eq!(p.rows[0].denominator, None);
        let simple = "indicator,area_code,period,sex,value,lower,upper\r\n\
                      suicide_rate,E92000001,2021,Persons,10.7,10.5,10.9\r\n\
                      suicide_rate,E92000001,2021,Female,5.5,,\r\n";
        let p = parse(simple).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].age, "All ages");
        assert_eq!((p.rows[1].lower95, p.rows[1].upper95), (None, None));
        // Only the four it needs.
        let p = parse(
            "Indicator,Area Code,Period,Value,significance\nX,E06000008,2017/18,249.2,Worse\n",
        )
        .unwrap();
        assert_eq!(p.rows[0].sex, "Persons");
    }

    #[test]
    fn bad_files_are_refused_by_line_and_column() {
        assert_eq!(
            lines(parse("Area Code,Value\nE92000001,1\n").unwrap_err()),
            [
                "b.csv:1: Indicator ID (or indicator): the column Indicator ID (or indicator) is missing",
                "b.csv:1: Time period (or period): the column Time period (or period) is missing"
            ]
        );
        let bad = "indicator,area_code,period,sex,value,lower,upper\n\
                   a,E92000001,2021,Persons,ten,,\n\
                   a,England,2021,Persons,1,,\n\
                   a,E92000001,2022,Persons,1,3,2\n\
                   a,E92000001,2021,Persons,1,,\n\
                   ,E92000001,2023,Persons,1,,\n";
        assert_eq!(
            lines(parse(bad).unwrap_err()),
            [
                "b.csv:2: value: 'ten' is not a number",
                "b.csv:3: area_code: 'England' is not a GSS code (a letter and 8 digits)",
                "b.csv:4: lower: the lower limit 3 is above the upper limit 2",
                "b.csv:5: indicator: repeats the figure on line 2 (same indicator, area, sex, age and period)",
                "b.csv:6: indicator: the indicator is empty",
            ]
        );
        assert_eq!(
            lines(parse("indicator,area_code,period,value\n").unwrap_err()),
            ["b.csv:1: value: the file holds no figures"]
        );
    }

    #[test]
    fn control_characters_in_names_are_problems_and_formulas_are_kept_as_text() {
        let csv = "Indicator ID,Area Code,Area Name,Time period,Value\n\
                   41001,E92000001,Eng\u{1b}[31mland,2021,1\n\
                   41001,E92000002,=HYPERLINK(\"x\"),2021,1\n";
        let got = lines(parse(csv).unwrap_err());
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("b.csv:2: Area Name: "), "{got:?}");
        let p = parse(&csv.replace("Eng\u{1b}[31mland", "England")).unwrap();
        assert_eq!(p.rows[1].area_name.as_deref(), Some("=HYPERLINK(\"x\")"));
    }
}

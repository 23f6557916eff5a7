//! Importing populations: long CSV (`area_code,year,sex,age_band,population`) or the ONS Census
//! 2021 TS009 wide file (sex by single year of age), which is summed into five-year bands.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::{ImportError, Problems, Table, read_table};
use crate::area::{PopSex, PopulationRow, age_band, parse_age_band, parse_area_code};
use crate::{AreaStore, ImportSummary};

/// What a population file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPopulations {
    /// The rows, one per area, year, sex and band.
    pub rows: Vec<PopulationRow>,
    /// Areas of a national wide file that are not in Lantern and were left out.
    pub skipped_areas: Vec<String>,
}

/// The sex and single year of age named by a TS009 column such as
/// `Sex: Female; Age: Aged 4 years; measures: Value`. Grouped and total columns give `None`.
fn ts009_column(header: &str) -> Option<(PopSex, u32)> {
    let rest = header.strip_prefix("Sex: ")?;
    let (sex, rest) = rest.split_once("; Age: ")?;
    let (age, _) = rest.split_once(';')?;
    let sex = match sex {
        "All persons" => PopSex::Persons,
        "Female" => PopSex::Female,
        "Male" => PopSex::Male,
        _ => return None,
    };
    let age = match age {
        "Aged under 1 year" => 0,
        "Aged 90 years and over" => 90,
        _ => age
            .strip_prefix("Aged ")?
            .strip_suffix(" years")
            .or_else(|| age.strip_prefix("Aged ")?.strip_suffix(" year"))?
            .parse()
            .ok()?,
    };
    Some((sex, age))
}

fn parse_wide(
    table: &Table,
    area_known: &dyn Fn(&str) -> bool,
) -> Result<ParsedPopulations, ImportError> {
    let mut problems = Problems::new(&table.file);
    let code_c = table.column("geography code");
    let date_c = table.column("date");
    let (Some(code_c), Some(date_c)) = (code_c, date_c) else {
        problems.add(
            1,
            "geography code",
            "a TS009 file needs 'date' and 'geography code' columns",
        );
        return problems.into_result(ParsedPopulations {
            rows: Vec::new(),
            skipped_areas: Vec::new(),
        });
    };
    let columns: Vec<(usize, PopSex, &'static str)> = table
        .headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| ts009_column(h).map(|(sex, age)| (i, sex, age_band(age))))
        .collect();
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (line, cells) in &table.rows {
        let code = match parse_area_code(&cells[code_c]) {
            Ok(c) => c,
            Err(e) => {
                problems.add(*line, "geography code", e);
                continue;
            }
        };
        if !area_known(&code) {
            skipped.push(code);
            continue;
        }
        let Some(year) = cells[date_c]
            .trim()
            .get(..4)
            .and_then(|y| y.parse::<i32>().ok())
        else {
            problems.add(
                *line,
                "date",
                format!("'{}' does not start with a year", &cells[date_c]),
            );
            continue;
        };
        let mut bands: BTreeMap<(PopSex, &'static str), i64> = BTreeMap::new();
        for &(i, sex, band) in &columns {
            match cells[i].trim().parse::<i64>() {
                Ok(n) if n >= 0 => *bands.entry((sex, band)).or_default() += n,
                _ => problems.add(
                    *line,
                    &table.headers[i],
                    format!("'{}' is not a count", &cells[i]),
                ),
            }
        }
        rows.extend(
            bands
                .into_iter()
                .map(|((sex, band), population)| PopulationRow {
                    area_code: code.clone(),
                    year,
                    sex,
                    age_band: band,
                    population,
                }),
        );
    }
    problems.into_result(ParsedPopulations {
        rows,
        skipped_areas: skipped,
    })
}

fn parse_long(
    table: &Table,
    area_known: &dyn Fn(&str) -> bool,
) -> Result<ParsedPopulations, ImportError> {
    let mut problems = Problems::new(&table.file);
    let names = ["area_code", "year", "sex", "age_band", "population"];
    let cols: Vec<Option<usize>> = names.iter().map(|n| table.column(n)).collect();
    for (n, c) in names.iter().zip(&cols) {
        if c.is_none() {
            problems.add(1, n, format!("the required column {n} is missing"));
        }
    }
    let [Some(a), Some(y), Some(s), Some(b), Some(p)] = cols[..] else {
        return problems.into_result(ParsedPopulations {
            rows: Vec::new(),
            skipped_areas: Vec::new(),
        });
    };
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (line, cells) in &table.rows {
        let area = parse_area_code(&cells[a]).and_then(|c| {
            if area_known(&c) {
                Ok(c)
            } else {
                Err(format!(
                    "'{c}' is not a known area code (import areas first)"
                ))
            }
        });
        let area = area.map_err(|e| problems.add(*line, "area_code", e));
        let year = match cells[y].trim().parse::<i32>() {
            Ok(v) if (1900..=2200).contains(&v) => Ok(v),
            _ => {
                problems.add(
                    *line,
                    "year",
                    format!("'{}' is not a year", cells[y].trim()),
                );
                Err(())
            }
        };
        let sex = PopSex::parse(&cells[s]).map_err(|e| problems.add(*line, "sex", e));
        let band = parse_age_band(&cells[b]).map_err(|e| problems.add(*line, "age_band", e));
        let population = match cells[p].trim().parse::<i64>() {
            Ok(v) if v >= 0 => Ok(v),
            _ => {
                problems.add(
                    *line,
                    "population",
                    format!("'{}' is not a count", cells[p].trim()),
                );
                Err(())
            }
        };
        if let (Ok(area_code), Ok(year), Ok(sex), Ok(age_band), Ok(population)) =
            (area, year, sex, band, population)
        {
            if !seen.insert((area_code.clone(), year, sex, age_band)) {
                problems.add(
                    *line,
                    "age_band",
                    "repeats an area, year, sex and age band given above",
                );
                continue;
            }
            rows.push(PopulationRow {
                area_code,
                year,
                sex,
                age_band,
                population,
            });
        }
    }
    problems.into_result(ParsedPopulations {
        rows,
        skipped_areas: Vec::new(),
    })
}

/// Read a population file in either layout (chosen by its header).
///
/// # Errors
/// Every problem with its line.
pub fn parse_populations(
    table: &Table,
    area_known: &dyn Fn(&str) -> bool,
) -> Result<ParsedPopulations, ImportError> {
    if table.column("geography code").is_some() {
        parse_wide(table, area_known)
    } else {
        parse_long(table, area_known)
    }
}

/// Import populations.
///
/// # Errors
/// Problems in the file or a store failure; nothing is written then.
pub async fn import_populations(
    store: &dyn AreaStore,
    path: &Path,
    dry_run: bool,
) -> Result<(ImportSummary, ParsedPopulations), ImportError> {
    let table = read_table(path)?;
    let known = store.area_codes().await?;
    let parsed = parse_populations(&table, &|c| known.contains(c))?;
    let summary = store.upsert_populations(&parsed.rows, dry_run).await?;
    Ok((summary, parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts009_columns_name_single_years_only() {
        assert_eq!(
            ts009_column("Sex: Female; Age: Aged 4 years; measures: Value"),
            Some((PopSex::Female, 4))
        );
        assert_eq!(
            ts009_column("Sex: Male; Age: Aged 1 year; measures: Value"),
            Some((PopSex::Male, 1))
        );
        assert_eq!(
            ts009_column("Sex: All persons; Age: Aged under 1 year; measures: Value"),
            Some((PopSex::Persons, 0))
        );
        assert_eq!(
            ts009_column("Sex: Male; Age: Aged 90 years and over; measures: Value"),
            Some((PopSex::Male, 90))
        );
        assert_eq!(
            ts009_column("Sex: Male; Age: Aged 5 to 9 years; measures: Value"),
            None
        );
        assert_eq!(ts009_column("Sex: Male; Age: Total; measures: Value"), None);
        assert_eq!(
            ts009_column("Sex: Male; Age: Aged 4 years and under; measures: Value"),
            None
        );
    }

    #[test]
    fn long_rows_are_checked_field_by_field() {
        let t = Table::from_csv(
            "p.csv",
            b"area_code,year,sex,age_band,population\nE01000001,2021,persons,0-4,10\nE01000002,21,both,0-5,-1\n",
        )
        .unwrap();
        let Err(ImportError::Invalid(p)) = parse_populations(&t, &|c| c == "E01000001") else {
            panic!()
        };
        let cols: Vec<&str> = p.iter().map(|x| x.column.as_str()).collect();
        assert_eq!(cols, ["area_code", "year", "sex", "age_band", "population"]);
        assert!(p.iter().all(|x| x.line == 3));
    }
}

//! Importing areas (ONS boundary GeoJSON or `code,name,level,parent_code` CSV) and parent links
//! (`child_code,parent_code`, or the LSOA/MSOA/LAD/county lookup in the shared geography folder).

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{ImportError, Problems, Table, display_name, read_table};
use crate::area::{Area, AreaLevel, parse_area_code};
use crate::{AreaStore, ImportSummary};

#[derive(Deserialize)]
struct FeatureCollection<'a> {
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(default)]
    properties: serde_json::Map<String, serde_json::Value>,
    geometry: Option<serde_json::Value>,
}

fn line_of(text: &str, part: &str) -> u64 {
    let offset = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// The property whose name ends in `suffix` (`CD`, `NM`), e.g. `LSOA11CD`.
fn property<'a>(
    props: &'a serde_json::Map<String, serde_json::Value>,
    suffix: &str,
) -> Option<(&'a str, &'a str)> {
    props
        .iter()
        .find(|(k, v)| k.ends_with(suffix) && v.is_string())
        .and_then(|(k, v)| Some((k.as_str(), v.as_str()?)))
}

/// Read areas from GeoJSON text (the code and name from properties ending `CD` and `NM`), each
/// with the line its feature starts on.
///
/// # Errors
/// Every problem with its line.
pub fn parse_geojson(
    file: &str,
    text: &str,
    level: Option<AreaLevel>,
) -> Result<Vec<(u64, Area)>, ImportError> {
    let mut problems = Problems::new(file);
    let collection: FeatureCollection<'_> = match serde_json::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            problems.add(
                e.line() as u64,
                "-",
                format!("not a GeoJSON FeatureCollection: {e}"),
            );
            return problems.into_result(Vec::new());
        }
    };
    let mut areas = Vec::with_capacity(collection.features.len());
    for raw in collection.features {
        let line = line_of(text, raw.get());
        let feature: Feature = match serde_json::from_str(raw.get()) {
            Ok(f) => f,
            Err(e) => {
                problems.add(line, "-", format!("not a GeoJSON feature: {e}"));
                continue;
            }
        };
        let Some((code_prop, code)) = property(&feature.properties, "CD") else {
            problems.add(
                line,
                "properties",
                "no property ending in CD holds the area code",
            );
            continue;
        };
        let code = match parse_area_code(code) {
            Ok(c) => c,
            Err(e) => {
                problems.add(line, code_prop, e);
                continue;
            }
        };
        let Some((_, name)) = property(&feature.properties, "NM") else {
            problems.add(
                line,
                "properties",
                "no property ending in NM holds the area name",
            );
            continue;
        };
        if let Some(c) = crate::text::forbidden_control(name) {
            problems.add(line, "properties", crate::text::control_message(c));
            continue;
        }
        let Some(level) = level.or_else(|| AreaLevel::from_gss_prefix(&code)) else {
            problems.add(
                line,
                code_prop,
                format!("cannot tell the level of {code}; give --level"),
            );
            continue;
        };
        let boundary = match feature.geometry {
            Some(g)
                if matches!(
                    g.get("type").and_then(|t| t.as_str()),
                    Some("Polygon" | "MultiPolygon")
                ) =>
            {
                Some(g.to_string())
            }
            Some(serde_json::Value::Null) | None => None,
            Some(_) => {
                problems.add(line, "geometry", "is not a Polygon or MultiPolygon");
                continue;
            }
        };
        areas.push((
            line,
            Area {
                code,
                name: name.trim().to_owned(),
                level,
                parent_code: None,
                boundary,
            },
        ));
    }
    problems.into_result(areas)
}

fn parse_area_csv(
    table: &Table,
    level: Option<AreaLevel>,
) -> Result<Vec<(u64, Area)>, ImportError> {
    let mut problems = Problems::new(&table.file);
    let col = |name: &str, problems: &mut Problems| {
        let c = table.column(name);
        if c.is_none() {
            problems.add(1, name, format!("the required column {name} is missing"));
        }
        c
    };
    let (code_c, name_c) = (col("code", &mut problems), col("name", &mut problems));
    let level_c = if level.is_some() {
        table.column("level")
    } else {
        col("level", &mut problems)
    };
    let parent_c = table.column("parent_code");
    let (Some(code_c), Some(name_c)) = (code_c, name_c) else {
        return problems.into_result(Vec::new());
    };
    if !problems.is_empty() {
        return problems.into_result(Vec::new());
    }
    let mut areas = Vec::new();
    for (line, cells) in &table.rows {
        let code = parse_area_code(&cells[code_c]).map_err(|e| problems.add(*line, "code", e));
        let name = cells[name_c].trim();
        if name.is_empty() {
            problems.add(*line, "name", "is required");
        }
        if let Some(c) = crate::text::forbidden_control(name) {
            problems.add(*line, "name", crate::text::control_message(c));
        }
        let lvl = match (level, level_c) {
            (Some(l), _) => Ok(l),
            (None, Some(c)) => {
                AreaLevel::parse(&cells[c]).map_err(|e| problems.add(*line, "level", e))
            }
            (None, None) => Err(()),
        };
        let parent = match parent_c.map(|c| cells[c].trim()).filter(|p| !p.is_empty()) {
            Some(p) => parse_area_code(p)
                .map(Some)
                .map_err(|e| problems.add(*line, "parent_code", e)),
            None => Ok(None),
        };
        if let (Ok(code), Ok(level), Ok(parent_code), false) = (code, lvl, parent, name.is_empty())
        {
            areas.push((
                *line,
                Area {
                    code,
                    name: name.to_owned(),
                    level,
                    parent_code,
                    boundary: None,
                },
            ));
        }
    }
    problems.into_result(areas)
}

/// Read areas from GeoJSON (by `.geojson`/`.json` extension) or CSV, each with its line.
///
/// # Errors
/// Every problem with its line.
pub fn parse_areas(path: &Path, level: Option<AreaLevel>) -> Result<Vec<(u64, Area)>, ImportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "geojson" || ext == "json" {
        let file = display_name(path);
        let bytes = super::read_bounded(path, &file)?;
        let text = String::from_utf8(bytes).map_err(|_| ImportError::Unreadable {
            file: file.clone(),
            message: "is not UTF-8 text; GeoJSON is UTF-8".to_owned(),
        })?;
        parse_geojson(&file, &text, level)
    } else {
        parse_area_csv(&read_table(path)?, level)
    }
}

/// Import areas. Parents named in the file must exist in the file or the store.
///
/// # Errors
/// Problems in the file or a store failure; nothing is written then.
pub async fn import_areas(
    store: &dyn AreaStore,
    path: &Path,
    level: Option<AreaLevel>,
    dry_run: bool,
) -> Result<ImportSummary, ImportError> {
    let areas = parse_areas(path, level)?;
    let known = store.area_codes().await?;
    let in_file: HashSet<&str> = areas.iter().map(|(_, a)| a.code.as_str()).collect();
    let mut problems = Problems::new(&display_name(path));
    for (line, a) in &areas {
        if let Some(p) = &a.parent_code
            && !known.contains(p)
            && !in_file.contains(p.as_str())
        {
            problems.add(*line, "parent_code", format!("{p} is not a known area"));
        }
    }
    problems.into_result(())?;
    let areas: Vec<Area> = areas.into_iter().map(|(_, a)| a).collect();
    Ok(store.upsert_areas(&areas, dry_run).await?)
}

/// Read parent links, each with its line: `child_code,parent_code`, or the shared lookup with `LSOA11CD`,
/// `MSOA11CD`, `LAD13CD` and `CTY_CD` columns (LSOA→MSOA→LAD→county).
///
/// # Errors
/// Every problem with its line.
pub fn parse_area_lookup(table: &Table) -> Result<Vec<(u64, String, String)>, ImportError> {
    let mut problems = Problems::new(&table.file);
    // Each pair of columns (child, parent) that makes a link.
    let pairs: Vec<(usize, usize, &str, &str)> =
        if let (Some(c), Some(p)) = (table.column("child_code"), table.column("parent_code")) {
            vec![(c, p, "child_code", "parent_code")]
        } else {
            let chain = ["LSOA11CD", "MSOA11CD", "LAD13CD", "CTY_CD"];
            let found: Vec<(usize, &str)> = chain
                .iter()
                .filter_map(|n| table.column(n).map(|i| (i, *n)))
                .collect();
            found
                .windows(2)
                .map(|w| (w[0].0, w[1].0, w[0].1, w[1].1))
                .collect()
        };
    if pairs.is_empty() {
        problems.add(1, "child_code", "expected columns child_code,parent_code");
        return problems.into_result(Vec::new());
    }
    let mut links = Vec::new();
    let mut seen = HashSet::new();
    for (line, cells) in &table.rows {
        for &(c, p, cname, pname) in &pairs {
            let (child, parent) = (cells[c].trim(), cells[p].trim());
            if parent.is_empty() && pname == "CTY_CD" {
                continue; // unitary authorities have no county
            }
            let child = parse_area_code(child).map_err(|e| problems.add(*line, cname, e));
            let parent = parse_area_code(parent).map_err(|e| problems.add(*line, pname, e));
            if let (Ok(child), Ok(parent)) = (child, parent)
                && seen.insert((child.clone(), parent.clone()))
            {
                links.push((*line, child, parent));
            }
        }
    }
    problems.into_result(links)
}

/// Import parent links; every code must already be an area.
///
/// # Errors
/// Problems in the file or a store failure; nothing is written then.
pub async fn import_area_lookup(
    store: &dyn AreaStore,
    path: &Path,
    dry_run: bool,
) -> Result<ImportSummary, ImportError> {
    let table = read_table(path)?;
    let links = parse_area_lookup(&table)?;
    let known = store.area_codes().await?;
    let mut problems = Problems::new(&table.file);
    let mut reported = HashSet::new();
    for (line, child, parent) in &links {
        for (code, column) in [(child, "child_code"), (parent, "parent_code")] {
            if !known.contains(code) && reported.insert(code.clone()) {
                problems.add(
                    *line,
                    column,
                    format!("{code} is not a known area (import areas first)"),
                );
            }
        }
    }
    problems.into_result(())?;
    let links: Vec<(String, String)> = links.into_iter().map(|(_, c, p)| (c, p)).collect();
    Ok(store.set_area_parents(&links, dry_run).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geojson_codes_and_names_come_from_cd_and_nm_properties_with_lines() {
        let text = "{\"type\":\"FeatureCollection\",\"features\":[\n\
            {\"type\":\"Feature\",\"properties\":{\"LAD13CD\":\"E06000008\",\"LAD13CDO\":\"00EX\",\"LAD13NM\":\"Blackburn\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]}},\n\
            {\"type\":\"Feature\",\"properties\":{\"LAD13NM\":\"No code\"},\"geometry\":null}\n]}";
        let Err(ImportError::Invalid(p)) = parse_geojson("x.geojson", text, None) else {
            panic!()
        };
        assert_eq!(
            p[0].to_string(),
            "x.geojson:3: properties: no property ending in CD holds the area code"
        );
        let ok = text.replace(
            ",\n{\"type\":\"Feature\",\"properties\":{\"LAD13NM\":\"No code\"},\"geometry\":null}",
            "",
        );
        let areas = parse_geojson("x.geojson", &ok, None).unwrap();
        assert_eq!(areas[0].0, 2);
        assert_eq!(areas[0].1.code, "E06000008");
        assert_eq!(areas[0].1.level, AreaLevel::Lad);
        assert!(areas[0].1.boundary.as_deref().unwrap().contains("Polygon"));
    }

    #[test]
    fn the_shared_lookup_links_each_level_to_the_next() {
        let t = Table::from_csv(
            "l.csv",
            b"LSOA11CD,LSOA11NM,MSOA11CD,MSOA11NM,LAD13CD,LAD13NM,CTY_CD,CTY_GROUP\n\
              E01000001,a,E02000001,b,E07000117,c,E10000017,d\n\
              E01000002,a,E02000001,b,E06000008,c,,d\n",
        )
        .unwrap();
        let links = parse_area_lookup(&t).unwrap();
        assert!(links.contains(&(2, "E01000001".into(), "E02000001".into())));
        assert!(links.contains(&(2, "E07000117".into(), "E10000017".into())));
        assert!(!links.iter().any(|(_, c, _)| c == "E06000008"));
    }
}

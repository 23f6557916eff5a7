//! The figures behind the map, the area profile and their downloads: the same numbers in the
//! page, `GET /api/v1/indicators`, `GET /api/v1/map` and the CSV export, for each audience;
//! comparisons that rest on the interval and the imported benchmark; zero rows, area names and
//! part periods in the indicators.

use std::collections::HashMap;

use axum::http::StatusCode;
use lantern_core::auth::Role;
use lantern_stats::{Comparison, Interval, Method, Polarity, compare_with_benchmark};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp};

async fn as_role(app: &TestApp, name: &str, role: Role) {
    app.add_user(name, role, None, None).await;
    let s = app.sign_in(name, PASSWORD).await.unwrap();
    app.switch(Some(s));
}

fn features(v: &Value) -> &Vec<Value> {
    v["features"].as_array().unwrap()
}

/// The indicators' published rows for a period, by area code.
fn indicator_rows<'a>(
    v: &'a Value,
    period_key: &str,
    period: &str,
    level: &str,
) -> HashMap<String, &'a Value> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[period_key] == period)
        .map(|r| (r[level].as_str().unwrap().to_owned(), r))
        .collect()
}

/// A CSV download's data lines (after the `#` notes and the header), as maps by column.
fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let lines: Vec<Vec<String>> = r
        .records()
        .map(|l| l.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let body: Vec<&Vec<String>> = lines.iter().filter(|l| !l[0].starts_with('#')).collect();
    let header = body[0];
    body[1..]
        .iter()
        .map(|l| header.iter().cloned().zip(l.iter().cloned()).collect())
        .collect()
}

fn same_number(json: &Value, text: &str) -> bool {
    match json.as_f64() {
        None => text.is_empty(),
        Some(n) => text.parse::<f64>().is_ok_and(|t| (t - n).abs() < 1e-9),
    }
}

async fn figures_agree(app: &TestApp, audience: &str, dataset: &str, level: &str) {
    let map_uri = format!("/api/v1/map?dataset={dataset}&level={level}&audience={audience}");
    let map = app.get(&map_uri).await;
    assert_eq!(map.status, StatusCode::OK, "{}", map.body);
    assert_eq!(
        map.headers["content-type"], "application/geo+json",
        "GeoJSON is served as such"
    );
    let map = map.json();
    assert_eq!(map["type"], "FeatureCollection");
    assert_eq!(map["disclosure"], audience);
    let period = map["period"].as_str().unwrap().to_owned();
    let period_key = if period.len() == 9 {
        "rolling_3_year"
    } else {
        "year"
    };
    let ind = app
        .get(&format!(
            "/api/v1/indicators?dataset={dataset}&by={period_key},{level}&audience={audience}"
        ))
        .await
        .json();
    let published = indicator_rows(&ind, period_key, &period, level);
    let csv = app.get(&format!("{map_uri}&format=csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.contains(&format!("# disclosure,{audience}")),
        "{}",
        csv.body
    );
    let csv = csv_rows(&csv.body);
    assert_eq!(csv.len(), features(&map).len());
    let page = app
        .get(&format!(
            "/map?dataset={dataset}&level={level}&audience={audience}"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let mut suppressed = 0;
    for (f, line) in features(&map).iter().zip(&csv) {
        let p = &f["properties"];
        let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "code",
            "name",
            "count",
            "value",
            "lower",
            "upper",
            "suppressed",
            "comparison",
        ] {
            assert!(keys.contains(&k), "{k} missing from {p}");
        }
        let code = p["code"].as_str().unwrap();
        assert_eq!(line["code"], code);
        if p["suppressed"] == true {
            suppressed += 1;
            assert!(audience != "statutory");
            assert!(p["count"].is_null() && p["value"].is_null());
            assert!(
                !published.contains_key(code),
                "a withheld area is not in the indicators"
            );
            assert!(line["count"].is_empty());
            continue;
        }
        let row = published
            .get(code)
            .unwrap_or_else(|| panic!("{code} {period} is on the map but not in the indicators"));
        for k in ["count", "value", "lower", "upper"] {
            assert_eq!(
                p[k], row[k],
                "{k} of {code} differs between the map and the indicators"
            );
            assert!(
                same_number(&p[k], &line[k]),
                "{k} of {code}: CSV {} vs {}",
                line[k],
                p[k]
            );
        }
        assert_eq!(p["name"], row[&format!("{level}_name")]);
        // The page's table shows the count and the rate to one decimal.
        let shown = format!(
            "<td>{code}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            p["count"],
            p["value"]
                .as_f64()
                .map(|v| format!("{v:.1}"))
                .unwrap_or_default()
        );
        assert!(page.body.contains(&shown), "{shown} is not on the map page");
    }
    if audience == "statutory" {
        assert_eq!(suppressed, 0);
    }
}

#[tokio::test]
async fn the_map_the_indicators_the_csv_and_the_page_show_the_same_figures() {
    let app = TestApp::spawn(false).await.unwrap();
    for (dataset, level) in [
        ("suicides", "lad"),
        ("self-harm", "lad"),
        ("self-harm", "msoa"),
    ] {
        figures_agree(&app, "statutory", dataset, level).await;
    }
    as_role(&app, "pat", Role::Partner).await;
    for dataset in ["suicides", "self-harm"] {
        figures_agree(&app, "partner", dataset, "lad").await;
        figures_agree(&app, "public", dataset, "lad").await;
    }
    app.switch(None);
    figures_agree(&app, "public", "suicides", "lad").await;
}

#[tokio::test]
async fn partners_and_the_public_get_no_map_below_the_local_authority() {
    let app = TestApp::spawn(false).await.unwrap();
    let statutory = app
        .get("/api/v1/map?level=lsoa&audience=statutory&dataset=self-harm")
        .await;
    assert_eq!(statutory.status, StatusCode::OK);
    let statutory = statutory.json();
    let lsoas = app
        .get("/api/v1/areas?level=lsoa&per_page=1000")
        .await
        .json();
    assert_eq!(
        features(&statutory).len(),
        lsoas["items"].as_array().unwrap().len(),
        "every small area has a feature, those with no records too"
    );
    assert!(
        features(&statutory)
            .iter()
            .any(|f| f["properties"]["count"] == 0)
    );
    assert!(
        features(&statutory)
            .iter()
            .all(|f| f["geometry"]["type"] == "MultiPolygon")
    );
    for who in [Some(Role::Partner), None] {
        match who {
            Some(r) => as_role(&app, "pat", r).await,
            None => app.switch(None),
        }
        for level in ["lsoa", "msoa"] {
            let r = app.get(&format!("/api/v1/map?level={level}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{level}: {}", r.body);
            let page = app.get(&format!("/map?level={level}")).await;
            assert_eq!(page.status, StatusCode::BAD_REQUEST);
            // No person-level point ever: the page holds no record link.
            assert!(!page.body.contains("/register/"));
        }
        let statutory = app.get("/api/v1/map?audience=statutory").await;
        assert!(matches!(
            statutory.status,
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED
        ));
    }
}

#[tokio::test]
async fn comparisons_rest_on_the_interval_and_the_imported_benchmark() {
    let app = TestApp::spawn(false).await.unwrap();
    // Without benchmarks, areas are compared with the whole county, computed here.
    let local = app.get("/api/v1/map?audience=statutory").await.json();
    assert_eq!(local["comparator"]["source"], "area");
    let end = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    let england = lantern_core::demo::benchmarks::england(end, 7);
    app.store
        .upsert_benchmarks(&england, "test", false, None)
        .await
        .unwrap();
    let map = app.get("/api/v1/map?audience=statutory").await.json();
    let period = map["period"].as_str().unwrap();
    assert_eq!(map["comparator"]["source"], "benchmark");
    let published = england
        .iter()
        .find(|b| {
            b.sex == "Persons"
                && lantern_core::indicators::areas::lantern_period(&b.period).as_deref()
                    == Some(period)
        })
        .unwrap();
    let benchmark = published.value.unwrap();
    assert_eq!(map["comparator"]["value"].as_f64(), Some(benchmark));
    let mut compared = 0;
    for f in features(&map) {
        let p = &f["properties"];
        let interval = p["value"].as_f64().map(|value| Interval {
            value,
            lower: p["lower"].as_f64().unwrap(),
            upper: p["upper"].as_f64().unwrap(),
            method: Method::Dobson,
        });
        let expected = compare_with_benchmark(interval.as_ref(), benchmark, Polarity::LowIsGood);
        assert_eq!(p["comparison"], expected.as_str(), "{p}");
        compared += usize::from(expected != Comparison::NotCompared);
        // The profile's spine chart says the same.
        let code = p["code"].as_str().unwrap();
        let profile = app.get(&format!("/areas/{code}?audience=statutory")).await;
        assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
        assert!(
            profile.body.contains(&format!(
                "<td>England {benchmark:.1}</td><td>{}</td>",
                expected.as_str()
            )),
            "{code}: the profile's comparison differs from compare_with_benchmark"
        );
    }
    assert!(compared > 0, "some areas have an interval to compare");
}

#[tokio::test]
async fn indicator_rows_include_zeros_names_and_part_periods() {
    let app = TestApp::spawn(false).await.unwrap();
    let months = app
        .get("/api/v1/indicators?dataset=suicides&by=month&audience=statutory")
        .await
        .json();
    assert_eq!(months["zero_rows"], true);
    let labels: Vec<&str> = months["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["month"].as_str().unwrap())
        .collect();
    // Every month from the first to the last, none missing.
    for w in labels.windows(2) {
        let (y0, m0): (i32, u32) = (w[0][..4].parse().unwrap(), w[0][5..].parse().unwrap());
        let next = if m0 == 12 {
            format!("{}-01", y0 + 1)
        } else {
            format!("{y0}-{:02}", m0 + 1)
        };
        assert_eq!(w[1], next, "months run on without a gap");
    }
    let last = months["rows"].as_array().unwrap().last().unwrap();
    let last_record = months["last_record"].as_str().unwrap();
    assert_eq!(last["month"].as_str(), Some(&last_record[..7]));
    assert!(last_record <= "2025-06-30");
    let years = app
        .get("/api/v1/indicators?dataset=suicides&by=year,lad&audience=statutory")
        .await
        .json();
    for r in years["rows"].as_array().unwrap() {
        let year = r["year"].as_str().unwrap();
        assert_eq!(r["partial"], year == "2025", "the demo ends in 2025: {r}");
        if r["lad"] != "unknown" {
            assert!(r["lad_name"].is_string(), "areas carry names: {r}");
        }
    }
    assert!(
        years["definition"]
            .as_str()
            .unwrap()
            .contains("not counted")
    );
}

#[tokio::test]
async fn the_partner_dashboard_shows_the_partner_indicators() {
    let app = TestApp::spawn(false).await.unwrap();
    as_role(&app, "pat", Role::Partner).await;
    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Dashboard</h1>"));
    let ind = app
        .get("/api/v1/indicators?dataset=suicides&by=year,lad")
        .await
        .json();
    // The demo ends in June 2025: the latest whole year is 2024.
    let published = indicator_rows(&ind, "year", "2024", "lad");
    let lads = app.get("/api/v1/areas?level=lad").await.json();
    for lad in lads["items"].as_array().unwrap() {
        let code = lad["code"].as_str().unwrap();
        let cell = match published.get(code) {
            Some(r) => r["count"].to_string(),
            None => "withheld".to_owned(),
        };
        let row = format!("<a href=\"/areas/{code}\">");
        let at = page
            .body
            .find(&row)
            .unwrap_or_else(|| panic!("{code} is not listed"));
        let first_cell = &page.body[at..];
        let first_cell = &first_cell[first_cell.find("<td class=\"num\">").unwrap() + 16..];
        assert!(
            first_cell.starts_with(&format!("{cell}</td>")),
            "{code}: the dashboard shows {} where the indicators say {cell}",
            &first_cell[..20]
        );
    }
    // No exact figure, signal or source reaches a partner.
    assert!(!page.body.contains("Open signals"));
    assert!(!page.body.contains("Data freshness"));
}

/// The cells of the last table's body on a page.
fn table_cells(html: &str) -> Vec<Vec<String>> {
    let body = &html[html.rfind("<tbody>").unwrap() + 7..];
    let body = &body[..body.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td>")
                .skip(1)
                .map(|c| c[..c.find("</td>").unwrap()].to_owned())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_explorer_shows_the_indicators_numbers_for_every_audience() {
    let app = TestApp::spawn(false).await.unwrap();
    let views = [
        ("statutory", "suicides", "year", "lad", "sex", "rate"),
        ("statutory", "suicides", "year", "lad", "", "standardised"),
        (
            "statutory",
            "suicides",
            "rolling_3_year",
            "lad",
            "",
            "crude",
        ),
        ("statutory", "self-harm", "quarter", "setting", "", "rate"),
        (
            "partner",
            "suicides",
            "rolling_3_year",
            "lad",
            "",
            "standardised",
        ),
        ("partner", "self-harm", "year", "age_group", "", "rate"),
        ("public", "suicides", "year", "sex", "", "rate"),
    ];
    for (i, (audience, dataset, period, first, second, measure)) in views.into_iter().enumerate() {
        if audience == "partner" {
            as_role(&app, &format!("pat{i}"), Role::Partner).await;
        }
        if audience == "public" {
            app.switch(None);
        }
        let query = format!(
            "dataset={dataset}&measure={measure}&period={period}&first={first}&second={second}&audience={audience}"
        );
        let page = app.get(&format!("/explore?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        let by: Vec<&str> = [period, first, second]
            .into_iter()
            .filter(|d| !d.is_empty())
            .collect();
        let api = app
            .get(&format!(
                "/api/v1/indicators?dataset={dataset}&by={}&audience={audience}&rate={}",
                by.join(","),
                match measure {
                    "crude" | "standardised" => measure,
                    _ => "published",
                }
            ))
            .await
            .json();
        let rows = api["rows"].as_array().unwrap();
        // The statistic is the one asked for: standardised, crude, or as published.
        let stats: Vec<&str> = rows
            .iter()
            .filter_map(|r| r["statistic"].as_str())
            .collect();
        // (A breakdown with no population, such as setting, has no rate at all.)
        assert!(!stats.is_empty() || first == "setting", "{query}");
        let dsr = match measure {
            "standardised" => true,
            "crude" => false,
            _ => dataset == "suicides" && period == "rolling_3_year",
        };
        assert!(
            stats.iter().all(|s| s.starts_with("dsr") == dsr),
            "{query}: {stats:?}"
        );
        let cells = table_cells(&page.body);
        assert_eq!(
            cells.len(),
            rows.len(),
            "{query}: one table row per API row"
        );
        let csv = csv_rows(&app.get(&format!("/explore?{query}&format=csv")).await.body);
        assert_eq!(csv.len(), rows.len());
        for ((r, c), line) in rows.iter().zip(&cells).zip(&csv) {
            let n = by.len();
            assert_eq!(c[n], r["count"].to_string(), "{query}: count of {r}");
            let value = r["value"]
                .as_f64()
                .map(|v| format!("{v:.1}"))
                .unwrap_or_default();
            assert_eq!(c[n + 1], value, "{query}: value of {r}");
            assert!(
                same_number(&r["count"], &line["count"]),
                "{query}: CSV count of {r}"
            );
            assert!(
                same_number(&r["value"], &line["value"]),
                "{query}: CSV value of {r}"
            );
            if audience != "statutory" {
                assert!(r["count"].as_u64().unwrap() == 0 || r["count"].as_u64().unwrap() >= 5);
            }
        }
    }
    // A partner cannot ask the explorer for what the API refuses.
    as_role(&app, "pat", Role::Partner).await;
    let refused = app
        .get("/explore?dataset=suicides&period=month&first=lad")
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    // Age-standardised rates beyond the published three-year rate are statutory only.
    let refused = app
        .get("/api/v1/indicators?dataset=suicides&by=year,lad&rate=standardised")
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert!(refused.body.contains("statutory"), "{}", refused.body);
}

#[tokio::test]
async fn financial_years_are_statutory_periods() {
    let app = TestApp::spawn(false).await.unwrap();
    let fy = app
        .get("/api/v1/indicators?dataset=self-harm&by=financial_year&audience=statutory")
        .await
        .json();
    let years = app
        .get("/api/v1/indicators?dataset=self-harm&by=month&audience=statutory")
        .await
        .json();
    // Each financial year is the sum of its April-to-March months.
    for r in fy["rows"].as_array().unwrap() {
        let label = r["financial_year"].as_str().unwrap();
        let start: i32 = label[..4].parse().unwrap();
        let months: u64 = years["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| {
                let (y, mo): (i32, u32) = (
                    m["month"].as_str().unwrap()[..4].parse().unwrap(),
                    m["month"].as_str().unwrap()[5..].parse().unwrap(),
                );
                (y == start && mo >= 4) || (y == start + 1 && mo <= 3)
            })
            .map(|m| m["count"].as_u64().unwrap())
            .sum();
        assert_eq!(r["count"].as_u64(), Some(months), "{label}");
        assert_eq!(
            r["partial"],
            label == "2025/26",
            "the demo ends in June 2025: {label}"
        );
    }
    as_role(&app, "pat", Role::Partner).await;
    let refused = app
        .get("/api/v1/indicators?dataset=self-harm&by=financial_year")
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .body
            .contains("financial-year counts are for the statutory core")
    );
}

#[tokio::test]
async fn hot_spots_come_from_the_published_figures_only() {
    let app = TestApp::spawn(false).await.unwrap();
    let v = app
        .get("/api/v1/map?level=lsoa&audience=statutory&dataset=self-harm&hotspots=true")
        .await
        .json();
    assert!(
        v["hot_spots"]["method"]
            .as_str()
            .unwrap()
            .contains("Getis-Ord")
    );
    let mut found = 0;
    for f in features(&v) {
        let p = &f["properties"];
        let h = &p["hot_spot"];
        if p["value"].is_null() || p["suppressed"] == true {
            assert!(h.is_null(), "{p}");
            continue;
        }
        let z = h["z"].as_f64().unwrap();
        let class = h["class"].as_str().unwrap();
        let expected = match z {
            z if z >= 2.576 => "hot-99",
            z if z >= 1.960 => "hot-95",
            z if z >= 1.645 => "hot-90",
            z if z <= -2.576 => "cold-99",
            z if z <= -1.960 => "cold-95",
            z if z <= -1.645 => "cold-90",
            _ => "not-significant",
        };
        assert_eq!(class, expected, "{p}");
        found += 1;
    }
    assert_eq!(v["hot_spots"]["areas"], found);
    // Without the parameter the Features are as they were.
    let plain = app
        .get("/api/v1/map?level=lsoa&audience=statutory&dataset=self-harm")
        .await
        .json();
    assert!(features(&plain)[0]["properties"].get("hot_spot").is_none());
    // The page draws the layer, names the method, and adds the column.
    let page = app
        .get("/map?level=lsoa&dataset=self-harm&audience=statutory&layers=hotspots")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Hot spot (Gi*)</th>"), "{}", page.body);
    assert!(page.body.contains("Getis-Ord Gi*"));
    // A partner sees five districts: too few for Gi*, and the page says so rather than guess.
    as_role(&app, "pat", Role::Partner).await;
    let v = app.get("/api/v1/map?level=lad&hotspots=true").await.json();
    assert!(
        v["hot_spots"]["error"]
            .as_str()
            .unwrap()
            .contains("at least 10")
    );
    let page = app.get("/map?level=lad&layer_hotspots=1").await;
    assert!(page.body.contains("no hot spots"), "{}", page.body);
}

#[tokio::test]
async fn a_base_map_is_a_setting_that_draws_under_the_areas() {
    let url = "https://maps.example.org/wms?SERVICE=WMS&REQUEST=GetMap&CRS=CRS:84&BBOX={bbox}&WIDTH={width}&HEIGHT={height}&LAYERS=base&FORMAT=image/png";
    let base = lantern_server::BaseMap::parse(url, "Example Maps").unwrap();
    let app = TestApp::spawn_with(lantern_server::ServerConfig {
        synthetic: true,
        base_map: Some(base),
        ..lantern_server::ServerConfig::default()
    })
    .await;
    let page = app.get("/map?level=lad").await;
    assert_eq!(page.status, StatusCode::OK);
    // The image's box is the map's frame, longitude first.
    let href = page
        .body
        .split("class=\"base-map\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("an image under the areas");
    let bbox = href
        .split("BBOX=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .unwrap();
    let b: Vec<f64> = bbox.split(',').map(|x| x.parse().unwrap()).collect();
    assert!(
        b[0] < b[2] && b[1] < b[3] && b[0] < 0.0 && b[1] > 50.0,
        "{bbox}"
    );
    assert!(page.body.contains("Base map: Example Maps"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("img-src 'self' data: https://maps.example.org;"),
        "{csp}"
    );
    // Without the setting, nothing is fetched from anywhere else.
    let plain = TestApp::spawn(false).await.unwrap();
    let page = plain.get("/map?level=lad").await;
    assert!(!page.body.contains("base-map"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
    // A URL that would break out of the header or the attribute is refused.
    for bad in [
        "ftp://x/{bbox}",
        "https://x/no-box",
        "https://x/{bbox}; script-src *",
        "https://x/{bbox}\"",
        "https:///{bbox}",
    ] {
        assert!(lantern_server::BaseMap::parse(bad, "").is_err(), "{bad}");
    }
}

/// The text of each cell of each row of a table body (tags stripped, entities undone).
fn body_rows(tbody: &str) -> Vec<Vec<String>> {
    let text = |cell: &str| {
        let mut out = String::new();
        let mut in_tag = false;
        for ch in cell.chars() {
            match ch {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&amp;", "&")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&quot;", "\"")
            .trim()
            .to_owned()
    };
    tbody
        .split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<t")
                .skip(1)
                .filter(|c| c.starts_with("d") || c.starts_with("h scope=\"row\""))
                .map(|c| text(&c[c.find('>').unwrap() + 1..]))
                .collect()
        })
        .collect()
}

/// Every table a page offers as a file: its id, and the rows of the table the link belongs to
/// (the table before the link, or, for a chart's table, the one in the details after it).
fn offered_tables(html: &str, prefix: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    let marker = "table=";
    let mut at = 0;
    while let Some(i) = html[at..].find(marker) {
        let start = at + i + marker.len();
        let id: String = html[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        at = start;
        if !html[..start].ends_with(&format!("{prefix}table=")) || out.iter().any(|(o, _)| *o == id)
        {
            continue;
        }
        let before = html[..start].rfind("<tbody>");
        let after = html[start..].find("<tbody>").map(|j| start + j);
        let chart = id.starts_with("trend") || id == "funnel";
        let open = if chart { after } else { before }.unwrap();
        let body = &html[open + 7..];
        let body = &body[..body.find("</tbody>").unwrap()];
        out.push((id, body_rows(body)));
    }
    out
}

#[tokio::test]
async fn every_table_downloads_with_the_figures_the_page_shows() {
    let app = TestApp::spawn(false).await.unwrap();
    let lads = app.get("/api/v1/areas?level=lad").await.json();
    let lad = lads["items"][0]["code"].as_str().unwrap().to_owned();
    for who in ["analyst", "partner"] {
        if who == "partner" {
            as_role(&app, "pat", Role::Partner).await;
        }
        let audience = if who == "analyst" {
            "statutory"
        } else {
            "partner"
        };
        for (page_url, prefix) in [
            (
                format!("/areas/{lad}?audience={audience}"),
                format!("audience={audience}&amp;"),
            ),
            ("/".to_owned(), "/?".to_owned()),
        ] {
            let page = app.get(&page_url).await;
            assert_eq!(page.status, StatusCode::OK, "{page_url}");
            let tables = offered_tables(&page.body, &prefix);
            let ids: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
            if page_url == "/" {
                assert!(
                    ids.contains(&"districts") && ids.contains(&"settings"),
                    "{ids:?}"
                );
            } else {
                // A partner's profile of a district has no funnel of its small areas, and a
                // breakdown with nothing to show offers no file.
                let expected: &[&str] = if who == "analyst" {
                    &["spine", "trend-0", "breakdown-0", "funnel"]
                } else {
                    &["spine", "trend-0"]
                };
                for id in expected {
                    assert!(ids.contains(id), "{who}: {id} in {ids:?}");
                }
            }
            if let Some((_, funnel)) = tables.iter().find(|t| t.0 == "funnel") {
                // One point per area inside this one, and only those.
                let inside = &page.body[page.body.find("<ul class=\"columns\">").unwrap()..];
                let inside = &inside[..inside.find("</ul>").unwrap()];
                assert_eq!(
                    funnel.len(),
                    inside.matches("<li>").count(),
                    "{who}: funnel rows"
                );
                for row in funnel {
                    assert!(inside.contains(&format!(">{}</a>", row[0])), "{}", row[0]);
                }
            }
            for (id, shown) in &tables {
                let sep = if page_url.contains('?') { "&" } else { "?" };
                let csv = app
                    .get(&format!("{page_url}{sep}table={id}&format=csv"))
                    .await;
                assert_eq!(csv.status, StatusCode::OK, "{page_url} {id}");
                assert!(
                    csv.body.contains(&format!("disclosure,{audience}")),
                    "{}",
                    csv.body
                );
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(csv.body.as_bytes());
                let lines: Vec<Vec<String>> = r
                    .records()
                    .map(|l| l.unwrap().iter().map(str::to_owned).collect())
                    .collect();
                let data: Vec<&Vec<String>> = lines
                    .iter()
                    .filter(|l| !l[0].starts_with('#'))
                    .skip(1)
                    .collect();
                assert_eq!(data.len(), shown.len(), "{who} {page_url} {id}: rows");
                for (file, html) in data.iter().zip(shown) {
                    let n = file.len().min(html.len()).min(7);
                    // The dashboard's district table names the district and then its code.
                    let file: Vec<&String> = if id == "districts" {
                        file.iter().take(1).chain(file.iter().skip(2)).collect()
                    } else {
                        file.iter().collect()
                    };
                    for k in 0..n.min(file.len()) {
                        assert_eq!(
                            file[k].as_str(),
                            html[k].as_str(),
                            "{who} {page_url} {id}: column {k}"
                        );
                    }
                }
                let xlsx = app
                    .get(&format!("{page_url}{sep}table={id}&format=xlsx"))
                    .await;
                assert_eq!(xlsx.status, StatusCode::OK);
                assert!(
                    xlsx.headers["content-type"]
                        .to_str()
                        .unwrap()
                        .contains("spreadsheetml")
                );
            }
        }
    }
    // The partner cannot have the exact figures as a file any more than as a page.
    let r = app
        .get(&format!(
            "/areas/{lad}?audience=statutory&table=spine&format=csv"
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .get(&format!("/areas/{lad}?table=nothing&format=csv"))
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(r.body.contains("no table"), "{}", r.body);
}

#[tokio::test]
async fn the_analysts_trend_is_a_rolling_year_stepped_by_quarter() {
    let app = TestApp::spawn(false).await.unwrap();
    let page = app.get("/").await;
    assert!(
        page.body
            .contains("Suspected suicides in the 12 months to each quarter"),
        "{}",
        page.body
    );
    let csv = app.get("/?table=trend&format=csv").await;
    let rows = csv_rows(&csv.body);
    assert!(rows.len() >= 4, "{}", csv.body);
    let n = |r: &HashMap<String, String>, k: &str| r[k].parse::<u64>().unwrap();
    for i in 3..rows.len() {
        let year: u64 = (i - 3..=i).map(|j| n(&rows[j], "In the quarter")).sum();
        assert_eq!(
            n(&rows[i], "In the 12 months to its end"),
            year,
            "{}",
            rows[i]["Quarter"]
        );
    }
}

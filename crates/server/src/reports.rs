//! A report as one HTML file that stands on its own (styles inline, charts as inline SVG from
//! the pages' own SVG toolkit), prints well, and always shows where to get help now.

use askama::Template;
use lantern_core::reports::{Cell, HELP_NOW, PdfError, Report, Table};

use crate::svg::{Bar, TrendPoint, bar_chart, trend_chart};

pub(crate) struct HtmlTable {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) columns: Vec<String>,
    /// Each cell's text and whether it is a number.
    pub(crate) rows: Vec<Vec<(String, bool)>>,
    pub(crate) note: Option<String>,
    pub(crate) chart: String,
}

pub(crate) struct HtmlSection {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) paragraphs: Vec<String>,
    pub(crate) tables: Vec<HtmlTable>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    css: String,
    title: String,
    period: String,
    area: String,
    audience_label: String,
    disclosure: String,
    help: Vec<&'static str>,
    cover: Vec<(&'static str, String)>,
    notes: Vec<String>,
    sections: Vec<HtmlSection>,
}

fn number(c: &Cell) -> Option<f64> {
    match c {
        Cell::Count(n) => Some(*n as f64),
        Cell::Decimal(x) => Some(*x),
        _ => None,
    }
}

/// The chart drawn above a table, if it has one: the rate trend with its intervals and
/// England's line; counts by year, or by a breakdown, as bars. Decorative (hidden from
/// assistive technology): the table below holds the same figures.
fn chart(t: &Table) -> String {
    let is_rate = t.columns.iter().any(|c| c == "rate");
    if is_rate {
        let at = |name: &str| t.columns.iter().position(|c| c == name);
        let (Some(v), Some(lo), Some(hi)) = (at("rate"), at("lower 95%"), at("upper 95%")) else {
            return String::new();
        };
        let cmp = at("England");
        let points: Vec<TrendPoint> = t
            .rows
            .iter()
            .map(|r| TrendPoint {
                period: r[0].text(),
                value: number(&r[v]),
                lower: number(&r[lo]),
                upper: number(&r[hi]),
                comparator: cmp.and_then(|i| number(&r[i])),
            })
            .collect();
        return trend_chart(
            &points,
            &t.title,
            if cmp.is_some() { "England" } else { "" },
        );
    }
    let counts = t.columns.len() >= 2
        && lantern_core::reports::PEOPLE_COLUMNS.contains(&t.columns[1].as_str());
    if !counts || t.rows.len() < 2 {
        return String::new();
    }
    let bars: Vec<Bar> = t
        .rows
        .iter()
        .map(|r| Bar {
            label: r[0].text(),
            value: number(&r[1]),
            lower: None,
            upper: None,
        })
        .collect();
    bar_chart(&bars, &t.title)
}

/// The report as a PDF, with the same charts as the HTML.
///
/// # Errors
/// When the fonts cannot be read.
pub fn report_pdf(report: &Report) -> Result<Vec<u8>, PdfError> {
    lantern_core::reports::pdf_bytes(report, &chart)
}

/// The report as an HTML document.
///
/// # Errors
/// When the template fails to render.
pub fn report_html(report: &Report) -> Result<String, askama::Error> {
    let r = &report.request;
    ReportPage {
        css: format!(
            "{}{}",
            include_str!("../static/report.css"),
            include_str!("../static/choropleth.css")
        ),
        title: report.title.clone(),
        period: r.period.describe(),
        area: report.area_name.clone(),
        audience_label: format!("for the {} audience", r.audience.disclosure()),
        disclosure: report.disclosure.clone(),
        help: HELP_NOW.to_vec(),
        cover: report.cover(),
        notes: report.notes.clone(),
        sections: html_sections(report),
    }
    .render()
}

/// The report's sections as the templates draw them (the download and the Reports page's
/// preview share `_report_sections.html`).
pub(crate) fn html_sections(report: &Report) -> Vec<HtmlSection> {
    report
        .sections
        .iter()
        .map(|s| HtmlSection {
            id: s.id.clone(),
            title: s.title.clone(),
            paragraphs: s.paragraphs.clone(),
            tables: s
                .tables
                .iter()
                .map(|t| HtmlTable {
                    id: t.id.clone(),
                    title: t.title.clone(),
                    columns: t.columns.clone(),
                    rows: t
                        .rows
                        .iter()
                        .map(|row| row.iter().map(|c| (c.text(), c.is_number())).collect())
                        .collect(),
                    note: t.note.clone(),
                    chart: chart(t),
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// The PDF paints the toolkit's charts as the stylesheet does: each chart kind and class it
    /// paints is styled there, so a class renamed in one place is caught.
    #[test]
    fn the_pdf_paints_only_classes_the_stylesheet_styles() {
        let css = include_str!("../static/choropleth.css");
        for (chart, classes) in lantern_core::reports::CHART_CLASSES {
            for class in *classes {
                let rule = format!(".{chart} .{class} {{");
                assert!(css.contains(&rule), "{rule} is not in choropleth.css");
            }
        }
    }
}

//! The SVG toolkit every picture is drawn with: escaping, the map projection, paths through
//! projected rings, scale bars, the plan pages' sparkline and link graph. The areas map, the
//! signal pictures and the plan pages build on it; templates only place what it computes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use lantern_core::plans::StoredPlan;

/// Text made safe inside an SVG element or a quoted attribute.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A closed line of lon/lat points.
pub(crate) type Ring = Vec<(f64, f64)>;

/// The rings of a GeoJSON Polygon or MultiPolygon, as lon/lat points: `None` when the text is
/// not GeoJSON, no rings for other geometries.
pub(crate) fn rings_of(geometry: &str) -> Option<Vec<Ring>> {
    let g: serde_json::Value = serde_json::from_str(geometry).ok()?;
    let polys: Vec<&serde_json::Value> = match g.get("type")?.as_str()? {
        "Polygon" => vec![g.get("coordinates")?],
        "MultiPolygon" => g.get("coordinates")?.as_array()?.iter().collect(),
        _ => return Some(Vec::new()),
    };
    let mut out = Vec::new();
    for poly in polys {
        for ring in poly.as_array()? {
            let pts: Ring = ring
                .as_array()?
                .iter()
                .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                .collect();
            out.push(pts);
        }
    }
    Some(out)
}

/// `(west, south, east, north)` of some rings, `None` when they hold no area.
pub(crate) fn bounds<'a>(
    rings: impl IntoIterator<Item = &'a Ring>,
) -> Option<(f64, f64, f64, f64)> {
    let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in rings.into_iter().flatten() {
        b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
    }
    (b.0 <= b.2 && b.1 <= b.3).then_some(b)
}

/// Kilometres in a degree of latitude, and in a degree of longitude at the equator.
const KM_PER_DEGREE: (f64, f64) = (110.57, 111.32);

/// The one map projection: equirectangular about a point, longitude shrunk by the cosine of
/// the latitude there, north up. `(x0, y0)` is the pixel of `(lon0, lat0)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Projection {
    lon0: f64,
    lat0: f64,
    x0: f64,
    y0: f64,
    /// Pixels per degree of longitude and of latitude.
    kx: f64,
    ky: f64,
}

impl Projection {
    /// The projection that fits `(west, south, east, north)` into `width` pixels, the north-west
    /// corner at the origin; also the height it needs.
    pub(crate) fn fit(bounds: (f64, f64, f64, f64), width: f64) -> Option<(Self, f64)> {
        let (x0, y0, x1, y1) = bounds;
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        let k = f64::midpoint(y0, y1).to_radians().cos();
        let scale = width / ((x1 - x0) * k);
        let p = Self {
            lon0: x0,
            lat0: y1,
            x0: 0.0,
            y0: 0.0,
            kx: k * scale,
            ky: scale,
        };
        Some((p, ((y1 - y0) * scale).ceil()))
    }

    /// The pixel of a lon/lat point.
    pub(crate) fn px(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            self.x0 + (lon - self.lon0) * self.kx,
            self.y0 - (lat - self.lat0) * self.ky,
        )
    }

    /// An SVG path through `rings`, each closed; with `min_step`, a point closer than that
    /// (in pixels, on both axes) to the last one drawn is left out.
    pub(crate) fn path(&self, rings: &[Ring], min_step: Option<f64>) -> String {
        let mut d = String::new();
        for ring in rings {
            let mut last: Option<(f64, f64)> = None;
            for &(lon, lat) in ring {
                let (x, y) = self.px(lon, lat);
                if let (Some(step), Some((a, b))) = (min_step, last)
                    && (x - a).abs() < step
                    && (y - b).abs() < step
                {
                    continue;
                }
                let _ = write!(d, "{}{x:.1},{y:.1}", if last.is_none() { "M" } else { "L" });
                last = Some((x, y));
            }
            if last.is_some() {
                d.push('Z');
            }
        }
        d
    }
}

/// Kilometres east and north of an origin, longitude shrunk by the cosine of a latitude: the
/// frame a small map is laid out in before it is projected.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Local {
    lon0: f64,
    lat0: f64,
    /// Kilometres per degree of longitude and of latitude.
    kx: f64,
    ky: f64,
}

impl Local {
    /// The frame with `(lon0, lat0)` at its origin, longitude scaled at `cos_lat` degrees.
    pub(crate) fn new(lon0: f64, lat0: f64, cos_lat: f64) -> Self {
        Self {
            lon0,
            lat0,
            kx: KM_PER_DEGREE.1 * cos_lat.to_radians().cos(),
            ky: KM_PER_DEGREE.0,
        }
    }

    /// Kilometres east and north of the origin.
    pub(crate) fn km(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky)
    }

    /// The projection that puts the point `centre_km` of this frame at pixel `centre_px`,
    /// `px_per_km` pixels a kilometre.
    pub(crate) fn projection(
        &self,
        centre_km: (f64, f64),
        centre_px: (f64, f64),
        px_per_km: f64,
    ) -> Projection {
        Projection {
            lon0: self.lon0 + centre_km.0 / self.kx,
            lat0: self.lat0 + centre_km.1 / self.ky,
            x0: centre_px.0,
            y0: centre_px.1,
            kx: self.kx * px_per_km,
            ky: self.ky * px_per_km,
        }
    }
}

/// A scale bar: its length in pixels and what it measures.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScaleBar {
    pub(crate) px: f64,
    pub(crate) label: String,
}

impl ScaleBar {
    /// The first round distance at least `min_px` long at `px_per_km`.
    pub(crate) fn new(px_per_km: f64, min_px: f64) -> Self {
        let km = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
            .into_iter()
            .find(|k| k * px_per_km >= min_px)
            .unwrap_or(20.0);
        Self {
            px: km * px_per_km,
            label: if km < 1.0 {
                format!("{:.0} m", km * 1000.0)
            } else {
                format!("{km:.0} km")
            },
        }
    }
}

/// Draw named polygons (GeoJSON) as SVG paths in a 600-wide box: `None` when a geometry is not
/// GeoJSON or nothing has an extent.
pub(crate) fn area_map(shapes: &[(String, String)]) -> Option<String> {
    let mut rings: Vec<(&str, Vec<Ring>)> = Vec::new();
    for (name, geometry) in shapes {
        let out = rings_of(geometry)?;
        if !out.is_empty() {
            rings.push((name, out));
        }
    }
    let (projection, height) = Projection::fit(bounds(rings.iter().flat_map(|(_, r)| r))?, 600.0)?;
    let mut svg = format!(
        "<svg viewBox=\"0 0 600 {height}\" role=\"img\" aria-label=\"Map of the areas\" class=\"map\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (name, rs) in &rings {
        let _ = write!(
            svg,
            "<path d=\"{}\"><title>{}</title></path>",
            projection.path(rs, None),
            escape(name)
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// A small line chart of the figures, with the baseline (dashed) and target (dotted).
pub(crate) fn sparkline(
    values: &[Option<f64>],
    baseline: Option<f64>,
    target: Option<f64>,
) -> String {
    let known: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .chain(baseline)
        .chain(target)
        .collect();
    if values.iter().flatten().count() == 0 {
        return String::new();
    }
    let lo = known.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
    let hi = known.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (w, h) = (160.0, 40.0);
    let step = if values.len() > 1 {
        w / (values.len() - 1) as f64
    } else {
        0.0
    };
    let y = |v: f64| h - 2.0 - (v - lo) / span * (h - 4.0);
    let mut svg = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" aria-hidden=\"true\">"
    );
    for (v, class) in [(baseline, "baseline"), (target, "target")] {
        if let Some(v) = v {
            let _ = write!(
                svg,
                "<line x1=\"0\" x2=\"{w}\" y1=\"{0:.1}\" y2=\"{0:.1}\" class=\"{class}\"/>",
                y(v)
            );
        }
    }
    let mut path = String::new();
    let mut pen_up = true;
    for (i, v) in values.iter().enumerate() {
        let x = step * i as f64;
        match v {
            Some(v) => {
                let _ = write!(
                    path,
                    "{}{x:.1} {:.1} ",
                    if pen_up { "M" } else { "L" },
                    y(*v)
                );
                pen_up = false;
            }
            None => pen_up = true,
        }
    }
    let _ = write!(svg, "<path d=\"{}\" class=\"line\"/>", path.trim_end());
    if let Some((i, Some(v))) = values.iter().enumerate().rev().find(|(_, v)| v.is_some()) {
        let x = step * i as f64;
        let _ = write!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"2.5\" class=\"dot\"/>",
            y(*v)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The links between actions as an SVG: a column per section, a dot per action, a curve per
/// link. Actions with no links are drawn faint. The same links are listed in text beside it.
pub(crate) fn link_graph(plan: &StoredPlan, links: &[(String, String)]) -> String {
    if links.is_empty() {
        return String::new();
    }
    let linked: BTreeSet<&str> = links
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    let col = 130.0;
    let rowh = 22.0;
    let mut pos: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let mut tallest = 0;
    for (i, s) in plan.plan.sections.iter().enumerate() {
        let mut k = 0;
        for a in &s.actions {
            // Only linked actions take a place, so the graph stays readable.
            if linked.contains(a.number.as_str()) {
                pos.insert(
                    &a.number,
                    (50.0 + col * i as f64, 40.0 + rowh * f64::from(k)),
                );
                k += 1;
            }
        }
        tallest = tallest.max(k);
    }
    let width = 70.0 + col * plan.plan.sections.len() as f64;
    let height = 60.0 + rowh * f64::from(tallest);
    let mut svg = format!(
        "<svg class=\"graph\" viewBox=\"0 0 {width} {height}\" role=\"group\" aria-labelledby=\"graph-title\"><title id=\"graph-title\">Links between the plan's actions</title><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#23507a\"/></marker></defs>"
    );
    for (i, s) in plan.plan.sections.iter().enumerate() {
        let x = 50.0 + col * i as f64;
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"20\" class=\"graph-head\">Section {}</text>",
            escape(&s.number)
        );
    }
    for (from, to) in links {
        if let (Some(a), Some(b)) = (pos.get(from.as_str()), pos.get(to.as_str())) {
            // Within a column the curve bows out to the left, clear of the labels.
            let mx = f64::midpoint(a.0, b.0) - if (a.0 - b.0).abs() < 1.0 { 40.0 } else { 0.0 };
            let my = f64::midpoint(a.1, b.1) - 10.0;
            let _ = write!(
                svg,
                "<path d=\"M {} {} Q {mx} {my} {} {}\" class=\"edge\" marker-end=\"url(#arrow)\"/>",
                a.0 - if (a.0 - b.0).abs() < 1.0 { 6.0 } else { -6.0 },
                a.1,
                b.0 - 6.0,
                b.1
            );
        }
    }
    for (number, (x, y)) in &pos {
        let id = plan.action_id(number).unwrap_or_default();
        let _ = write!(
            svg,
            "<a href=\"/plans/{}/actions/{id}\"><circle cx=\"{x}\" cy=\"{y}\" r=\"5\" class=\"node\"/><text x=\"{}\" y=\"{}\">{}</text></a>",
            plan.id,
            x + 8.0,
            y + 4.0,
            escape(number)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_breaks_where_figures_are_withheld() {
        let svg = sparkline(
            &[Some(3.0), None, Some(5.0), Some(4.0)],
            Some(6.0),
            Some(2.0),
        );
        assert!(svg.contains("class=\"baseline\""));
        assert!(svg.contains("class=\"target\""));
        let d = svg
            .split("d=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(sparkline(&[None, None], None, None), "");
    }

    #[test]
    fn the_projection_puts_north_up_and_keeps_kilometres_square() {
        let (p, height) = Projection::fit((-1.0, 51.0, 0.0, 52.0), 600.0).unwrap();
        assert_eq!(p.px(-1.0, 52.0), (0.0, 0.0));
        let (x, y) = p.px(0.0, 51.0);
        assert!((x - 600.0).abs() < 1e-9 && (y - height).abs() < 1.0);
        let local = Local::new(-1.0, 51.5, 51.5);
        let c = local.projection((2.0, -1.0), (120.0, 90.0), 10.0);
        let (lon, lat) = (-1.0 + 3.0 / (111.32 * 51.5_f64.to_radians().cos()), 51.5);
        let (e, n) = local.km(lon, lat);
        assert!((e - 3.0).abs() < 1e-9 && n.abs() < 1e-12);
        let (x, y) = c.px(lon, lat);
        assert!(
            (x - 130.0).abs() < 1e-9 && (y - 80.0).abs() < 1e-9,
            "{x} {y}"
        );
        assert_eq!(ScaleBar::new(10.0, 40.0).label, "5 km");
        assert_eq!(ScaleBar::new(400.0, 40.0).label, "100 m");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}

/// A spine chart row, as Fingertips draws it: the range of the peer areas (light), their middle
/// half (darker), the comparator (a line) and this area (a mark coloured by its comparison),
/// each placed on a scale from the lowest to the highest of them. Decorative: the same figures
/// are in the row's cells.
pub(crate) fn spine(
    peers: &[f64],
    area: Option<f64>,
    comparator: Option<f64>,
    class: &str,
) -> String {
    let mut sorted: Vec<f64> = peers.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let all: Vec<f64> = sorted
        .iter()
        .copied()
        .chain(area)
        .chain(comparator)
        .collect();
    if all.is_empty() {
        return String::new();
    }
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (w, h) = (240.0, 22.0);
    let x = |v: f64| 6.0 + (v - lo) / span * (w - 12.0);
    let quantile = |p: f64| {
        let i = (p * (sorted.len().saturating_sub(1)) as f64).round() as usize;
        sorted.get(i).copied()
    };
    let mut svg = format!(
        "<svg class=\"spine\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" aria-hidden=\"true\">"
    );
    if let (Some(a), Some(b)) = (sorted.first(), sorted.last()) {
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"5\" width=\"{:.1}\" height=\"12\" class=\"range\"/>",
            x(*a),
            (x(*b) - x(*a)).max(1.0)
        );
    }
    if let (Some(a), Some(b)) = (quantile(0.25), quantile(0.75)) {
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"5\" width=\"{:.1}\" height=\"12\" class=\"middle\"/>",
            x(a),
            (x(b) - x(a)).max(1.0)
        );
    }
    if let Some(c) = comparator {
        let _ = write!(
            svg,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"1\" y2=\"21\" class=\"comparator\"/>",
            x(c)
        );
    }
    if let Some(v) = area {
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"11\" r=\"5.5\" class=\"{}\"/>",
            x(v),
            escape(class)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One point of a trend: its period, value and interval.
#[derive(Debug, Clone)]
pub(crate) struct TrendPoint {
    pub(crate) period: String,
    pub(crate) value: Option<f64>,
    pub(crate) lower: Option<f64>,
    pub(crate) upper: Option<f64>,
    /// A comparator's value for the same period.
    pub(crate) comparator: Option<f64>,
}

/// A trend chart: the values joined by a line, each with its interval as a bar, the comparator
/// dashed, periods along the bottom and a value axis with three ticks. `title` names it for
/// assistive technology; the same figures are in the table beside it.
pub(crate) fn trend_chart(points: &[TrendPoint], title: &str, comparator: &str) -> String {
    let known: Vec<f64> = points
        .iter()
        .flat_map(|p| [p.value, p.lower, p.upper, p.comparator])
        .flatten()
        .filter(|v| v.is_finite())
        .collect();
    if known.is_empty() {
        return String::new();
    }
    let hi = known.iter().copied().fold(0.0, f64::max);
    let top = nice_ceiling(hi);
    let (w, h, left, bottom) = (560.0, 220.0, 44.0, 34.0);
    let plot_w = w - left - 12.0;
    let plot_h = h - bottom - 12.0;
    let step = plot_w / points.len().max(1) as f64;
    let x = |i: usize| left + step * (i as f64 + 0.5);
    let y = |v: f64| 12.0 + plot_h - v / top * plot_h;
    let mut svg = open_chart("trend", w, h, title);
    value_axis(&mut svg, (left, w - 12.0), top, y);
    let label_every = points.len().div_ceil(8).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % label_every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"tick middle\">{}</text>",
                x(i),
                h - bottom + 16.0,
                escape(&p.period)
            );
        }
        if let (Some(lo), Some(up)) = (p.lower, p.upper) {
            let _ = write!(
                svg,
                "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1:.1}\" y2=\"{2:.1}\" class=\"interval\"/>",
                x(i),
                y(lo),
                y(up)
            );
        }
    }
    for (class, pick) in [
        (
            "comparator",
            (|p: &TrendPoint| p.comparator) as fn(&TrendPoint) -> Option<f64>,
        ),
        ("line", |p: &TrendPoint| p.value),
    ] {
        let mut d = String::new();
        let mut pen_up = true;
        for (i, p) in points.iter().enumerate() {
            match pick(p) {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{:.1} {:.1} ",
                        if pen_up { "M" } else { "L" },
                        x(i),
                        y(v)
                    );
                    pen_up = false;
                }
                None => pen_up = true,
            }
        }
        if !d.is_empty() {
            let _ = write!(svg, "<path d=\"{}\" class=\"{class}\"/>", d.trim_end());
        }
    }
    for (i, p) in points.iter().enumerate() {
        if let Some(v) = p.value {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" class=\"dot\"/>",
                x(i),
                y(v)
            );
        }
    }
    if points.iter().any(|p| p.comparator.is_some()) {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"tick end\">dashed: {}</text>",
            w - 12.0,
            h - 4.0,
            escape(comparator)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The smallest of 1, 2 or 5 times a power of ten at or above `v` (at least 1).
fn nice_ceiling(v: f64) -> f64 {
    if !(v.is_finite() && v > 1.0) {
        return 1.0;
    }
    let p = 10_f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * p)
}

/// A tick label: no decimals for whole numbers.
fn trim_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A bar of a bar chart: its label, value and interval.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: Option<f64>,
    pub(crate) lower: Option<f64>,
    pub(crate) upper: Option<f64>,
}

/// A horizontal bar chart, a bar per row with its interval as a line, labels on the left;
/// `None` bars (withheld or not computed) are labelled "no figure". `title` names it for
/// assistive technology; the same figures are in the table beside it.
pub(crate) fn bar_chart(bars: &[Bar], title: &str) -> String {
    let hi = bars
        .iter()
        .flat_map(|b| [b.value, b.upper])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if bars.is_empty() || hi <= 0.0 {
        return String::new();
    }
    let top = nice_ceiling(hi);
    let (w, row, left, right) = (640.0, 20.0, 220.0, 16.0);
    let h = row * bars.len() as f64 + 30.0;
    let x = |v: f64| left + v / top * (w - left - right);
    let mut svg = open_chart("bars", w, h, title);
    for k in 0..=2 {
        let v = top * f64::from(k) / 2.0;
        let _ = write!(
            svg,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"0\" y2=\"{1:.1}\" class=\"grid\"/><text x=\"{0:.1}\" y=\"{2:.1}\" class=\"tick middle\">{3}</text>",
            x(v),
            h - 22.0,
            h - 6.0,
            trim_number(v)
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = row * i as f64;
        let label: String = b.label.chars().take(34).collect();
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"tick end\">{}</text>",
            left - 6.0,
            y + 14.0,
            escape(&label)
        );
        match b.value {
            Some(v) => {
                let _ = write!(
                    svg,
                    "<rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" class=\"bar\"/>",
                    y + 3.0,
                    (x(v) - left).max(0.5),
                    row - 6.0
                );
                if let (Some(lo), Some(up)) = (b.lower, b.upper) {
                    let _ = write!(
                        svg,
                        "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{2:.1}\" y2=\"{2:.1}\" class=\"interval\"/>",
                        x(lo),
                        x(up),
                        y + row / 2.0
                    );
                }
            }
            None => {
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\">no figure</text>",
                    left + 4.0,
                    y + 14.0
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A point of a funnel plot: an area's population and rate.
#[derive(Debug, Clone)]
pub(crate) struct FunnelPoint {
    pub(crate) label: String,
    pub(crate) population: f64,
    pub(crate) rate: f64,
    /// `inside`, `outside-95` or `outside-998`.
    pub(crate) class: &'static str,
}

/// A funnel plot (Spiegelhalter 2005): each area's rate against its population, with the
/// benchmark as a line and the 95% and 99.8% control limits as curves; `limits` gives
/// `(population, lower95, upper95, lower998, upper998)` along the x axis. The same figures are in
/// the table beside it.
pub(crate) fn funnel_chart(
    points: &[FunnelPoint],
    benchmark: f64,
    limits: &[(f64, f64, f64, f64, f64)],
    title: &str,
) -> String {
    let max_x = points.iter().map(|p| p.population).fold(0.0, f64::max);
    let max_y = points
        .iter()
        .map(|p| p.rate)
        .chain(limits.iter().filter(|l| l.0 >= max_x * 0.05).map(|l| l.4))
        .chain([benchmark])
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if points.is_empty() || max_x <= 0.0 || max_y <= 0.0 {
        return String::new();
    }
    let (top, right) = (nice_ceiling(max_y * 1.05), nice_ceiling(max_x));
    let (w, h, left, bottom) = (560.0, 260.0, 48.0, 36.0);
    let x = |v: f64| left + v / right * (w - left - 12.0);
    let y = |v: f64| 10.0 + (h - bottom - 10.0) * (1.0 - (v / top).min(1.0));
    let mut svg = open_chart("funnel", w, h, title);
    value_axis(&mut svg, (left, w - 12.0), top, y);
    for k in 0..=2 {
        let p = right * f64::from(k) / 2.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"tick middle\">{}</text>",
            x(p),
            h - bottom + 16.0,
            trim_number(p)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" class=\"tick middle\">population</text>",
        x(right / 2.0),
        h - 4.0
    );
    for (class, pick) in [
        (
            "limit95",
            (|l: &(f64, f64, f64, f64, f64)| l.1) as fn(&(f64, f64, f64, f64, f64)) -> f64,
        ),
        ("limit95", |l| l.2),
        ("limit998", |l| l.3),
        ("limit998", |l| l.4),
    ] {
        let d: String = limits
            .iter()
            .filter(|l| l.0 <= right)
            .enumerate()
            .map(|(i, l)| {
                format!(
                    "{}{:.1} {:.1} ",
                    if i == 0 { "M" } else { "L" },
                    x(l.0),
                    y(pick(l))
                )
            })
            .collect();
        let _ = write!(svg, "<path d=\"{}\" class=\"{class}\"/>", d.trim_end());
    }
    let _ = write!(
        svg,
        "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{1:.1}\" y2=\"{1:.1}\" class=\"benchmark\"/>",
        w - 12.0,
        y(benchmark)
    );
    for p in points {
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" class=\"{}\"><title>{}</title></circle>",
            x(p.population),
            y(p.rate),
            p.class,
            escape(&p.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The opening tag of a chart: its class, size and name for assistive technology.
fn open_chart(class: &str, w: f64, h: f64, title: &str) -> String {
    format!(
        "<svg class=\"{class}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        escape(title)
    )
}

/// A value axis: grid lines and labels at 0, half of `top` and `top`, from `x.0` to `x.1`.
fn value_axis(svg: &mut String, x: (f64, f64), top: f64, y: impl Fn(f64) -> f64) {
    for k in 0..=2 {
        let v = top * f64::from(k) / 2.0;
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{2:.1}\" y2=\"{2:.1}\" class=\"grid\"/><text x=\"{3:.1}\" y=\"{4:.1}\" class=\"tick end\">{5}</text>",
            x.0,
            x.1,
            y(v),
            x.0 - 4.0,
            y(v) + 4.0,
            trim_number(v)
        );
    }
}

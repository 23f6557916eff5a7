//! Boundaries for display: GeoJSON polygons read with their holes, simplified by
//! Douglas-Peucker to a tolerance well under a screen pixel, and kept per area level until the
//! areas change, so that a map of the 1,925 LSOAs of a county draws from memory.
//!
//! Douglas, D. H. and Peucker, T. K. (1973). Algorithms for the reduction of the number of
//! points required to represent a digitized line or its caricature. *The Canadian
//! Cartographer* 10(2), 112-122.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lantern_core::area::AreaLevel;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;
use crate::svg::Ring;

/// A polygon: its outer ring, then its holes.
pub(crate) type Polygon = Vec<Ring>;

/// One area's simplified boundary.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub(crate) code: String,
    pub(crate) polygons: Vec<Polygon>,
}

impl Shape {
    /// Every ring, outer and inner.
    pub(crate) fn rings(&self) -> impl Iterator<Item = &Ring> {
        self.polygons.iter().flatten()
    }

    /// The centre of the largest outer ring (its centroid), lon/lat; `None` for an empty shape.
    pub(crate) fn centre(&self) -> Option<(f64, f64)> {
        self.polygons
            .iter()
            .filter_map(|p| p.first())
            .filter_map(|ring| centroid(ring))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| c)
    }

    /// The boundary as a GeoJSON MultiPolygon, coordinates to 5 decimals (about a metre).
    pub(crate) fn geojson(&self) -> Value {
        let round = |v: f64| (v * 1e5).round() / 1e5;
        let polys: Vec<Value> = self
            .polygons
            .iter()
            .map(|p| {
                Value::Array(
                    p.iter()
                        .map(|r| {
                            Value::Array(
                                r.iter()
                                    .map(|&(x, y)| json!([round(x), round(y)]))
                                    .collect(),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        json!({ "type": "MultiPolygon", "coordinates": polys })
    }
}

/// A ring's absolute area (in square degrees) and centroid; the mean of its points when it has
/// no area.
fn centroid(ring: &[(f64, f64)]) -> Option<(f64, (f64, f64))> {
    let first = *ring.first()?;
    let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for (k, &(x0, y0)) in ring.iter().enumerate() {
        let (x1, y1) = ring[(k + 1) % ring.len()];
        // Relative to the first point, so that large coordinates keep their precision.
        let (x0, y0, x1, y1) = (x0 - first.0, y0 - first.1, x1 - first.0, y1 - first.1);
        let cross = x0 * y1 - x1 * y0;
        a += cross;
        cx += (x0 + x1) * cross;
        cy += (y0 + y1) * cross;
    }
    if a.abs() < 1e-18 {
        let n = ring.len() as f64;
        let mx = ring.iter().map(|p| p.0).sum::<f64>() / n;
        let my = ring.iter().map(|p| p.1).sum::<f64>() / n;
        return Some((0.0, (mx, my)));
    }
    Some((
        (a / 2.0).abs(),
        (first.0 + cx / (3.0 * a), first.1 + cy / (3.0 * a)),
    ))
}

/// Shapes by level, with the data version they were made at.
pub(crate) type ShapeCache = Arc<Mutex<HashMap<AreaLevel, (String, Arc<Vec<Shape>>)>>>;

/// The polygons of a GeoJSON Polygon or MultiPolygon (other geometries have none); `None` when
/// the text is not GeoJSON.
pub(crate) fn polygons_of(geometry: &str) -> Option<Vec<Polygon>> {
    let g: Value = serde_json::from_str(geometry).ok()?;
    let polys: Vec<&Value> = match g.get("type")?.as_str()? {
        "Polygon" => vec![g.get("coordinates")?],
        "MultiPolygon" => g.get("coordinates")?.as_array()?.iter().collect(),
        _ => return Some(Vec::new()),
    };
    let mut out = Vec::new();
    for poly in polys {
        let mut rings = Vec::new();
        for ring in poly.as_array()? {
            let pts: Ring = ring
                .as_array()?
                .iter()
                .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            rings.push(pts);
        }
        out.push(rings);
    }
    Some(out)
}

/// Squared distance from `p` to the segment `a`-`b`.
fn segment_distance2(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    (p.0 - x).powi(2) + (p.1 - y).powi(2)
}

/// Douglas-Peucker over an open line: the points kept are within `tolerance` of the original
/// line everywhere. The first and last points are always kept.
pub(crate) fn simplify_line(points: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    // An explicit stack: a ring of 100,000 points must not recurse 100,000 deep.
    let mut stack = vec![(0, points.len() - 1)];
    let t2 = tolerance * tolerance;
    while let Some((first, last)) = stack.pop() {
        let mut far = (0.0, first);
        for i in first + 1..last {
            let d = segment_distance2(points[i], points[first], points[last]);
            if d > far.0 {
                far = (d, i);
            }
        }
        if far.0 > t2 {
            keep[far.1] = true;
            stack.push((first, far.1));
            stack.push((far.1, last));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// A closed ring simplified: split at the point farthest from the first, so that the ring
/// keeps an extent, and each half simplified. A ring that would fall below a triangle is kept
/// as it was.
pub(crate) fn simplify_ring(ring: &Ring, tolerance: f64) -> Ring {
    if ring.len() < 5 {
        return ring.clone();
    }
    let start = ring[0];
    let far = (1..ring.len())
        .max_by(|&a, &b| {
            let d = |i: usize| (ring[i].0 - start.0).powi(2) + (ring[i].1 - start.1).powi(2);
            d(a).total_cmp(&d(b))
        })
        .unwrap_or(ring.len() / 2);
    let mut out = simplify_line(&ring[..=far], tolerance);
    out.pop();
    out.extend(simplify_line(&ring[far..], tolerance));
    if out.len() < 4 { ring.clone() } else { out }
}

/// The tolerance for a set of shapes drawn about 900 pixels wide: a quarter of a pixel.
fn tolerance_for(polygons: &[Vec<Polygon>]) -> f64 {
    let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in polygons.iter().flatten().flatten().flatten() {
        b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
    }
    let span = (b.2 - b.0).max(b.3 - b.1);
    if span.is_finite() && span > 0.0 {
        span / 900.0 / 4.0
    } else {
        0.0
    }
}

/// The simplified shapes of a level's areas, made once per data version.
///
/// # Errors
/// A store failure.
pub(crate) async fn shapes(
    state: &AppState,
    level: AreaLevel,
) -> Result<Arc<Vec<Shape>>, AppError> {
    let version = state.store.data_version().await?;
    if let Ok(cache) = state.shapes.lock()
        && let Some((v, s)) = cache.get(&level)
        && *v == version
    {
        return Ok(Arc::clone(s));
    }
    let areas = state.store.area_boundaries(level).await?;
    let parsed: Vec<(String, Vec<Polygon>)> = areas
        .into_iter()
        .filter_map(|a| {
            let polys = polygons_of(a.boundary.as_deref()?)?;
            Some((a.code, polys))
        })
        .collect();
    let all: Vec<Vec<Polygon>> = parsed.iter().map(|p| p.1.clone()).collect();
    let tolerance = tolerance_for(&all);
    let made: Vec<Shape> = parsed
        .into_iter()
        .map(|(code, polys)| Shape {
            code,
            polygons: polys
                .iter()
                .map(|p| p.iter().map(|r| simplify_ring(r, tolerance)).collect())
                .collect(),
        })
        .collect();
    let made = Arc::new(made);
    if let Ok(mut cache) = state.shapes.lock() {
        cache.insert(level, (version, Arc::clone(&made)));
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_centre_is_the_centroid_of_the_largest_piece() {
        // An L of three unit squares: its centroid is (5/6, 5/6) from the corner.
        let l = vec![
            (0.0, 0.0),
            (2.0, 0.0),
            (2.0, 1.0),
            (1.0, 1.0),
            (1.0, 2.0),
            (0.0, 2.0),
        ];
        let island = vec![(10.0, 10.0), (10.1, 10.0), (10.1, 10.1)];
        let shape = Shape {
            code: "A".to_owned(),
            polygons: vec![vec![island], vec![l]],
        };
        let (x, y) = shape.centre().expect("a centre");
        assert!(
            (x - 5.0 / 6.0).abs() < 1e-12 && (y - 5.0 / 6.0).abs() < 1e-12,
            "{x} {y}"
        );
    }

    #[test]
    fn a_straight_line_keeps_its_ends_and_a_corner_stays() {
        let line: Vec<(f64, f64)> = (0..=10).map(|i| (f64::from(i), 0.0)).collect();
        assert_eq!(simplify_line(&line, 0.01), vec![(0.0, 0.0), (10.0, 0.0)]);
        let corner = [(0.0, 0.0), (1.0, 0.001), (2.0, 0.0), (2.0, 2.0)];
        assert_eq!(
            simplify_line(&corner, 0.01),
            vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0)]
        );
    }

    #[test]
    fn polygons_keep_their_holes() {
        let g = r#"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]}"#;
        let p = polygons_of(g).unwrap();
        assert_eq!((p.len(), p[0].len()), (1, 2));
        assert_eq!(polygons_of("not json"), None);
        assert_eq!(
            polygons_of(r#"{"type":"Point","coordinates":[0,0]}"#),
            Some(Vec::new())
        );
    }

    proptest! {
        /// Every point left out lies within the tolerance of the simplified line, and the
        /// simplified line's points are the original's, in order.
        #[test]
        fn every_dropped_point_is_within_the_tolerance(
            pts in proptest::collection::vec((-100.0..100.0_f64, -100.0..100.0_f64), 2..200),
            tolerance in 0.0..20.0_f64,
        ) {
            let kept = simplify_line(&pts, tolerance);
            prop_assert_eq!(kept.first(), pts.first());
            prop_assert_eq!(kept.last(), pts.last());
            // Kept points are a subsequence of the original.
            let mut at = 0;
            let mut spans = Vec::new();
            for k in &kept {
                let i = pts[at..].iter().position(|p| p == k).map(|i| i + at);
                prop_assert!(i.is_some());
                spans.push(i.unwrap_or(0));
                at = i.unwrap_or(0) + 1;
            }
            for w in spans.windows(2) {
                for i in w[0]..=w[1] {
                    let d = segment_distance2(pts[i], pts[w[0]], pts[w[1]]).sqrt();
                    prop_assert!(d <= tolerance + 1e-9, "point {} is {} away", i, d);
                }
            }
        }
    }
}

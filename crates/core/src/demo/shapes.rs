//! Plane geometry for the fictional county: Voronoi cells clipped to a coastline, and the union
//! of cells that share edges, so that small areas tile without gaps and every level above them
//! is exactly the small areas it holds.
//!
//! A cell is the coastline clipped (Sutherland-Hodgman) by the half-plane nearer its own centre
//! than each other centre. Clipping a polygon that is not convex by a half-plane is exact as long
//! as the result is in one piece, which holds for a coastline whose bays are wider than the cells
//! beside them. Corners are snapped to a micro-degree grid, where the copies of a corner computed
//! for neighbouring cells coincide, and a union is then the edges that no two cells share.

use std::collections::{BTreeMap, HashMap};

/// A point in the plane (kilometres east and north).
pub(crate) type Point = (f64, f64);

/// A corner snapped to micro-degrees of longitude and latitude.
pub(crate) type Corner = (i64, i64);

fn dist2(a: Point, b: Point) -> f64 {
    (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)
}

/// Whether `p` is inside the ring (even-odd rule).
pub(crate) fn inside(p: Point, ring: &[Point]) -> bool {
    let mut odd = false;
    let n = ring.len();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < a.0 + (p.1 - a.1) / (b.1 - a.1) * (b.0 - a.0) {
            odd = !odd;
        }
    }
    odd
}

/// The part of `poly` on `own`'s side of the perpendicular bisector of `own` and `other`.
fn clip(poly: &[Point], own: Point, other: Point) -> Vec<Point> {
    // The midpoint and normal are computed so that the cell on the other side sees exactly the
    // negated side values, and so the same crossing points.
    let m = ((own.0 + other.0) / 2.0, (own.1 + other.1) / 2.0);
    let n = (other.0 - own.0, other.1 - own.1);
    let side = |p: Point| (p.0 - m.0) * n.0 + (p.1 - m.1) * n.1;
    let mut out = Vec::with_capacity(poly.len() + 2);
    for (k, &a) in poly.iter().enumerate() {
        let b = poly[(k + 1) % poly.len()];
        let (sa, sb) = (side(a), side(b));
        if sa <= 0.0 {
            out.push(a);
        }
        if (sa <= 0.0) != (sb <= 0.0) {
            let t = sa / (sa - sb);
            out.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
        }
    }
    out
}

/// The Voronoi cell of each centre inside the coastline (counter-clockwise, as the coastline).
pub(crate) fn cells(coast: &[Point], centres: &[Point]) -> Vec<Vec<Point>> {
    centres
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let mut others: Vec<(f64, Point)> = centres
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, &o)| (dist2(c, o), o))
                .collect();
            others.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut cell = coast.to_vec();
            for (d2, o) in others {
                // A bisector farther than the cell's farthest corner cannot cut it.
                let reach = cell.iter().map(|&p| dist2(c, p)).fold(0.0, f64::max);
                if d2 / 4.0 > reach {
                    break;
                }
                cell = clip(&cell, c, o);
            }
            cell
        })
        .collect()
}

/// A ring's corners snapped to the grid, without repeats.
pub(crate) fn snap(ring: &[Point], to_degrees: impl Fn(Point) -> Point) -> Vec<Corner> {
    let mut out: Vec<Corner> = Vec::with_capacity(ring.len());
    for &p in ring {
        let (lon, lat) = to_degrees(p);
        let c = ((lon * 1e6).round() as i64, (lat * 1e6).round() as i64);
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// Twice the signed area (positive when counter-clockwise).
fn area2(ring: &[Corner]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.0 as f64 * b.1 as f64 - b.0 as f64 * a.1 as f64
        })
        .sum()
}

/// The rings that bound the union of `cells`: outer rings counter-clockwise, holes clockwise.
pub(crate) fn union(cells: &[&[Corner]]) -> Vec<Vec<Corner>> {
    let mut edges: HashMap<(Corner, Corner), usize> = HashMap::new();
    for ring in cells {
        for (k, &a) in ring.iter().enumerate() {
            let b = ring[(k + 1) % ring.len()];
            if a == b {
                continue;
            }
            match edges.get_mut(&(b, a)) {
                Some(n) if *n > 1 => *n -= 1,
                Some(_) => {
                    edges.remove(&(b, a));
                }
                None => *edges.entry((a, b)).or_default() += 1,
            }
        }
    }
    // Follow the edges left, in a fixed order so the output does not depend on hashing.
    let mut next: BTreeMap<Corner, Vec<Corner>> = BTreeMap::new();
    for (&(a, b), &n) in &edges {
        for _ in 0..n {
            next.entry(a).or_default().push(b);
        }
    }
    for ends in next.values_mut() {
        ends.sort_unstable();
    }
    let mut rings = Vec::new();
    while let Some((&start, _)) = next.iter().next() {
        let mut ring = vec![start];
        let mut at = start;
        while let Some(ends) = next.get_mut(&at) {
            let Some(to) = ends.pop() else { break };
            if ends.is_empty() {
                next.remove(&at);
            }
            if to == start {
                break;
            }
            ring.push(to);
            at = to;
        }
        if ring.len() >= 3 {
            rings.push(ring);
        }
    }
    rings
}

/// GeoJSON for rings from [`union`] or one cell: a Polygon when there is one outer ring, else a
/// MultiPolygon, each hole with the outer ring it lies in.
pub(crate) fn geojson(rings: &[Vec<Corner>]) -> String {
    let text = |ring: &[Corner]| {
        let mut pts: Vec<String> = ring
            .iter()
            .map(|&(x, y)| format!("[{:.6},{:.6}]", x as f64 / 1e6, y as f64 / 1e6))
            .collect();
        if let Some(first) = pts.first().cloned() {
            pts.push(first);
        }
        format!("[{}]", pts.join(","))
    };
    let (outer, holes): (Vec<&Vec<Corner>>, Vec<&Vec<Corner>>) =
        rings.iter().partition(|r| area2(r) > 0.0);
    let polygons: Vec<String> = outer
        .iter()
        .map(|o| {
            let ring: Vec<Point> = o.iter().map(|&(x, y)| (x as f64, y as f64)).collect();
            let mut parts = vec![text(o)];
            parts.extend(
                holes
                    .iter()
                    .filter(|h| inside((h[0].0 as f64, h[0].1 as f64), &ring))
                    .map(|h| text(h)),
            );
            format!("[{}]", parts.join(","))
        })
        .collect();
    match polygons.as_slice() {
        [one] => format!("{{\"type\":\"Polygon\",\"coordinates\":{one}}}"),
        many => format!(
            "{{\"type\":\"MultiPolygon\",\"coordinates\":[{}]}}",
            many.join(",")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(n: usize) -> Vec<Point> {
        let s = n as f64;
        vec![(0.0, 0.0), (s, 0.0), (s, s), (0.0, s)]
    }

    #[test]
    fn cells_of_a_grid_of_centres_are_the_grid_squares() {
        let centres: Vec<Point> = (0..3)
            .flat_map(|y| (0..3).map(move |x| (x as f64 + 0.5, y as f64 + 0.5)))
            .collect();
        let cells = cells(&square(3), &centres);
        for cell in &cells {
            let snapped = snap(cell, |p| p);
            assert_eq!(snapped.len(), 4, "{cell:?}");
            assert!((area2(&snapped) - 2e12).abs() < 1e3);
        }
    }

    #[test]
    fn the_union_of_cells_that_tile_a_region_is_its_outline() {
        let centres = [(0.2, 0.3), (0.9, 0.1), (0.5, 0.8), (0.3, 0.6), (0.75, 0.55)];
        let cells = cells(&square(1), &centres);
        let snapped: Vec<Vec<Corner>> = cells.iter().map(|c| snap(c, |p| p)).collect();
        let refs: Vec<&[Corner]> = snapped.iter().map(Vec::as_slice).collect();
        let rings = union(&refs);
        assert_eq!(rings.len(), 1, "{rings:?}");
        assert!((area2(&rings[0]) - 2e12).abs() < 1e3);
        // Two cells that touch make one ring; the text is a Polygon.
        assert!(geojson(&union(&refs[..2])).contains("\"Polygon\""));
    }

    #[test]
    fn a_ring_of_cells_around_a_hole_has_the_hole() {
        // Eight unit squares around a ninth.
        let sq = |x: i64, y: i64| vec![(x, y), (x + 1, y), (x + 1, y + 1), (x, y + 1)];
        let ring: Vec<Vec<Corner>> = (0..3)
            .flat_map(|y| (0..3).map(move |x| (x, y)))
            .filter(|&(x, y)| (x, y) != (1, 1))
            .map(|(x, y)| sq(x, y))
            .collect();
        let refs: Vec<&[Corner]> = ring.iter().map(Vec::as_slice).collect();
        let rings = union(&refs);
        assert_eq!(rings.len(), 2);
        let text = geojson(&rings);
        assert!(text.starts_with("{\"type\":\"Polygon\""), "{text}");
        // Apart squares make a MultiPolygon.
        let apart = [sq(0, 0), sq(5, 5)];
        let refs: Vec<&[Corner]> = apart.iter().map(Vec::as_slice).collect();
        assert!(geojson(&union(&refs)).contains("MultiPolygon"));
    }
}

//! The signal pages' two pictures, a map of where and a timeline of when, computed with the
//! SVG toolkit ([`crate::svg`]) so the template (`_signal_pictures.html`) only places them.

use lantern_core::area::AreaLevel;
use lantern_core::signals::Signal;

use crate::AppState;
use crate::error::AppError;
use crate::svg::{Local, Projection, Ring, ScaleBar, bounds, rings_of};

const MAP_W: f64 = 240.0;
const MAP_H: f64 = 180.0;

/// A boundary drawn under the places.
#[derive(Debug, Clone)]
pub(crate) struct Outline {
    /// The SVG path.
    pub(crate) d: String,
    /// A district's (drawn heavier) rather than a small area's.
    pub(crate) district: bool,
    pub(crate) name: String,
}

/// A place in the signal, as a dot sized by its count.
#[derive(Debug, Clone)]
pub(crate) struct Dot {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) r: f64,
    /// `label: count`.
    pub(crate) label: String,
}

/// The scan's circle.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Circle {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) r: f64,
}

/// The map of where.
#[derive(Debug, Clone, Default)]
pub(crate) struct Map {
    pub(crate) outlines: Vec<Outline>,
    pub(crate) dots: Vec<Dot>,
    pub(crate) circle: Option<Circle>,
    pub(crate) scale: ScaleBar,
}

/// One boundary that may be drawn under the maps.
struct Shape {
    name: String,
    district: bool,
    rings: Vec<Ring>,
    /// `(west, south, east, north)`.
    bounds: (f64, f64, f64, f64),
}

/// The small areas' and districts' boundaries, so that a signal's map shows where it is.
#[derive(Default)]
pub(crate) struct Outlines(Vec<Shape>);

impl Outlines {
    pub(crate) async fn load(state: &AppState) -> Result<Self, AppError> {
        let mut shapes = Vec::new();
        // Districts last, so that their lines are drawn over the small areas'.
        for (level, district) in [(AreaLevel::Lsoa, false), (AreaLevel::Lad, true)] {
            for area in state.store.area_boundaries(level).await? {
                let Some(rings) = area.boundary.as_deref().and_then(rings_of) else {
                    continue;
                };
                if let Some(bounds) = bounds(&rings) {
                    shapes.push(Shape {
                        name: area.name,
                        district,
                        rings,
                        bounds,
                    });
                }
            }
        }
        Ok(Self(shapes))
    }

    /// The outlines that cross the map, with points closer than a pixel to the last one left
    /// out.
    fn paths(&self, projection: &Projection) -> Vec<Outline> {
        let mut out = Vec::new();
        for shape in &self.0 {
            let (w, s, e, n) = shape.bounds;
            let (x0, y1) = projection.px(w, s);
            let (x1, y0) = projection.px(e, n);
            if x1 < 0.0 || x0 > MAP_W || y1 < 0.0 || y0 > MAP_H {
                continue;
            }
            out.push(Outline {
                d: projection.path(&shape.rings, Some(1.0)),
                district: shape.district,
                name: shape.name.clone(),
            });
        }
        out
    }
}

impl Map {
    /// The map of a signal's places over the outlines, centred on them, with the scan's
    /// circle when it has one.
    pub(crate) fn of(s: &Signal, outlines: &Outlines) -> Self {
        let places = &s.found.places;
        let Some(first) = places.first() else {
            return Self::default();
        };
        let lat0 = places.iter().map(|p| p.lat).sum::<f64>() / places.len() as f64;
        // Kilometres east and north of the first place.
        let local = Local::new(first.lon, first.lat, lat0);
        let xy: Vec<(f64, f64)> = places.iter().map(|p| local.km(p.lon, p.lat)).collect();
        let radius = s.found.radius_km.unwrap_or(0.0);
        let (cx, cy) = (
            xy.iter().map(|p| p.0).sum::<f64>() / xy.len() as f64,
            xy.iter().map(|p| p.1).sum::<f64>() / xy.len() as f64,
        );
        let half = xy
            .iter()
            .map(|p| (p.0 - cx).abs().max((p.1 - cy).abs()))
            .fold(radius.max(0.5), f64::max)
            * 1.25;
        let px_per_km = (MAP_H / 2.0 - 10.0) / half;
        let projection = local.projection((cx, cy), (MAP_W / 2.0, MAP_H / 2.0), px_per_km);
        let dots = places
            .iter()
            .map(|p| {
                let (x, y) = projection.px(p.lon, p.lat);
                Dot {
                    x,
                    y,
                    r: 3.0 + f64::from(p.count).sqrt() * 2.0,
                    label: format!("{}: {}", p.label, p.count),
                }
            })
            .collect();
        let circle = s.found.radius_km.filter(|r| *r > 0.0).map(|r| {
            let (x, y) = projection.px(first.lon, first.lat);
            Circle {
                x,
                y,
                r: r * px_per_km,
            }
        });
        Self {
            outlines: outlines.paths(&projection),
            dots,
            circle,
            scale: ScaleBar::new(px_per_km, 40.0),
        }
    }
}

/// A week's bar on the timeline.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
    /// Inside the signal's weeks (drawn darker).
    pub(crate) inside: bool,
    pub(crate) title: String,
}

/// The timeline of when.
pub(crate) struct Timeline;

impl Timeline {
    /// The weekly bars of a signal's timeline in a `width` × `height` box.
    pub(crate) fn bars(s: &Signal, width: f64, height: f64) -> Vec<Bar> {
        let t = &s.found.timeline;
        let top = t.iter().map(|x| x.1).max().unwrap_or(1).max(1);
        let w = width / t.len().max(1) as f64;
        t.iter()
            .enumerate()
            .map(|(i, &(day, n))| {
                let h = (height - 2.0) * f64::from(n) / f64::from(top);
                Bar {
                    x: i as f64 * w,
                    y: height - h,
                    width: (w - 1.0).max(1.0),
                    height: h,
                    inside: day >= s.found.start && day - chrono::Duration::days(6) <= s.found.end,
                    title: format!("week to {}: {n}", day.format("%-d %b %Y")),
                }
            })
            .collect()
    }
}

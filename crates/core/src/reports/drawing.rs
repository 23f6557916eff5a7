//! A chart from the shared SVG toolkit, read back as shapes so the PDF can draw the very picture
//! the pages and the HTML report show. Only the toolkit's own small vocabulary is read: `svg`
//! with a `viewBox`, `line`, `rect`, `circle`, `path` (moves and straight lines) and `text`,
//! styled by class. The paints below are those of the stylesheet `choropleth.css` for the
//! `trend` and `bars` charts (a server test checks that each class named here is in it).
//! Anything else (another element, a path with curves) is skipped, never guessed at.

/// A colour as red, green and blue from 0 to 1.
pub(crate) type Rgb = [f32; 3];

/// How a shape is stroked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stroke {
    pub(crate) rgb: Rgb,
    pub(crate) width: f32,
    /// Dash and gap lengths; `None` for a solid line.
    pub(crate) dash: Option<(f32, f32)>,
}

/// How text lines up on its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// One thing drawn, in the chart's own units with y down (as in SVG).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// An open line through points.
    Line {
        points: Vec<(f32, f32)>,
        stroke: Stroke,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Rgb,
    },
    Circle {
        cx: f32,
        cy: f32,
        r: f32,
        fill: Rgb,
        stroke: Option<Stroke>,
    },
    Text {
        x: f32,
        y: f32,
        size: f32,
        rgb: Rgb,
        anchor: Anchor,
        text: String,
    },
}

/// A chart: its size and shapes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Drawing {
    pub(crate) width: f32,
    pub(crate) height: f32,
    pub(crate) shapes: Vec<Shape>,
}

const BLUE: Rgb = rgb(0x00, 0x72, 0xb2);
const GRID: Rgb = rgb(0xd9, 0xdd, 0xe2);
const INK: Rgb = rgb(0x3d, 0x48, 0x52);
const SLATE: Rgb = rgb(0x6b, 0x77, 0x85);
const DARK: Rgb = rgb(0x22, 0x22, 0x22);
const WHITE: Rgb = rgb(0xff, 0xff, 0xff);

const fn rgb(r: u8, g: u8, b: u8) -> Rgb {
    [r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0]
}

/// The chart kinds the PDF draws, and for each the element classes it paints (as the server's
/// `choropleth.css` does).
pub const CLASSES: &[(&str, &[&str])] = &[
    (
        "trend",
        &["grid", "tick", "interval", "line", "comparator", "dot"],
    ),
    ("bars", &["grid", "tick", "interval", "bar"]),
];

fn stroke_of(chart: &str, class: &str) -> Option<Stroke> {
    let solid = |rgb, width| {
        Some(Stroke {
            rgb,
            width,
            dash: None,
        })
    };
    match (chart, class) {
        (_, "grid") => solid(GRID, 1.0),
        ("trend", "interval") => solid(SLATE, 2.0),
        ("bars", "interval") => solid(DARK, 1.5),
        ("trend", "line") => solid(BLUE, 2.0),
        ("trend", "comparator") => Some(Stroke {
            rgb: DARK,
            width: 1.5,
            dash: Some((5.0, 3.0)),
        }),
        _ => None,
    }
}

/// The chart as shapes; `None` when the text is not one of the toolkit's charts.
pub(crate) fn read(svg: &str) -> Option<Drawing> {
    let mut tags = Tags { rest: svg };
    let (name, attrs, _) = tags.next()?;
    if name != "svg" {
        return None;
    }
    let chart = attr(&attrs, "class")?.to_owned();
    if !CLASSES.iter().any(|(c, _)| *c == chart) {
        return None;
    }
    let view: Vec<f32> = attr(&attrs, "viewBox")?
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let (width, height) = match view[..] {
        [_, _, w, h] if w > 0.0 && h > 0.0 => (w, h),
        _ => return None,
    };
    let mut shapes = Vec::new();
    while let Some((name, attrs, text)) = tags.next() {
        let class = attr(&attrs, "class").unwrap_or("");
        let num = |k: &str| attr(&attrs, k).and_then(|v| v.parse::<f32>().ok());
        let has = |c: &str| class.split_whitespace().any(|x| x == c);
        let main = class.split_whitespace().next().unwrap_or("");
        match name {
            "line" => {
                let (Some(x1), Some(y1), Some(x2), Some(y2), Some(stroke)) = (
                    num("x1"),
                    num("y1"),
                    num("x2"),
                    num("y2"),
                    stroke_of(&chart, main),
                ) else {
                    continue;
                };
                shapes.push(Shape::Line {
                    points: vec![(x1, y1), (x2, y2)],
                    stroke,
                });
            }
            "path" => {
                let Some(stroke) = stroke_of(&chart, main) else {
                    continue;
                };
                for points in path_runs(attr(&attrs, "d").unwrap_or("")) {
                    shapes.push(Shape::Line { points, stroke });
                }
            }
            "rect" if main == "bar" => {
                if let (Some(x), Some(y), Some(w), Some(h)) =
                    (num("x"), num("y"), num("width"), num("height"))
                {
                    shapes.push(Shape::Rect {
                        x,
                        y,
                        w,
                        h,
                        fill: BLUE,
                    });
                }
            }
            "circle" if main == "dot" => {
                if let (Some(cx), Some(cy), Some(r)) = (num("cx"), num("cy"), num("r")) {
                    shapes.push(Shape::Circle {
                        cx,
                        cy,
                        r,
                        fill: BLUE,
                        stroke: Some(Stroke {
                            rgb: WHITE,
                            width: 1.0,
                            dash: None,
                        }),
                    });
                }
            }
            "text" => {
                if let (Some(x), Some(y)) = (num("x"), num("y")) {
                    let anchor = if has("end") {
                        Anchor::End
                    } else if has("middle") {
                        Anchor::Middle
                    } else {
                        Anchor::Start
                    };
                    shapes.push(Shape::Text {
                        x,
                        y,
                        size: 11.0,
                        rgb: INK,
                        anchor,
                        text: unescape(&text),
                    });
                }
            }
            _ => {}
        }
    }
    Some(Drawing {
        width,
        height,
        shapes,
    })
}

/// The runs of a path's data made of `M` and `L` commands, each run a line; a path with any
/// other command gives nothing.
fn path_runs(d: &str) -> Vec<Vec<(f32, f32)>> {
    let mut runs: Vec<Vec<(f32, f32)>> = Vec::new();
    let mut tokens = d
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .peekable();
    let mut command = ' ';
    while let Some(t) = tokens.next() {
        let (c, first) = match t.chars().next() {
            Some(c @ ('M' | 'L')) => (c, &t[1..]),
            Some(c) if c.is_ascii_alphabetic() => return Vec::new(),
            _ => (command, t),
        };
        command = c;
        let x = if first.is_empty() {
            tokens.next()
        } else {
            Some(first)
        };
        let (Some(Ok(x)), Some(Ok(y))) = (x.map(str::parse), tokens.next().map(str::parse)) else {
            return Vec::new();
        };
        match (command, runs.last_mut()) {
            ('L', Some(run)) => run.push((x, y)),
            _ => runs.push(vec![(x, y)]),
        }
    }
    runs.retain(|r| r.len() > 1);
    runs
}

fn attr<'a>(attrs: &'a [(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The start tags of an SVG text in order, each with its attributes and the text directly
/// inside it (up to the next tag).
struct Tags<'a> {
    rest: &'a str,
}

type Tag<'a> = (&'a str, Vec<(&'a str, &'a str)>, String);

impl<'a> Tags<'a> {
    fn next(&mut self) -> Option<Tag<'a>> {
        loop {
            let open = self.rest.find('<')?;
            let after = &self.rest[open + 1..];
            let close = after.find('>')?;
            let inside = &after[..close];
            self.rest = &after[close + 1..];
            if inside.starts_with('/') || inside.starts_with('!') || inside.starts_with('?') {
                continue;
            }
            let inside = inside.strip_suffix('/').unwrap_or(inside);
            let name_end = inside
                .find(|c: char| c.is_whitespace())
                .unwrap_or(inside.len());
            let name = &inside[..name_end];
            let mut attrs = Vec::new();
            let mut s = &inside[name_end..];
            while let Some(eq) = s.find("=\"") {
                let key = s[..eq].trim();
                let value_start = eq + 2;
                let Some(len) = s[value_start..].find('"') else {
                    break;
                };
                attrs.push((key, &s[value_start..value_start + len]));
                s = &s[value_start + len + 1..];
            }
            let text_end = self.rest.find('<').unwrap_or(self.rest.len());
            let text = self.rest[..text_end].to_owned();
            return Some((name, attrs, text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_read_as_shapes_in_its_own_units() {
        let svg = r#"<svg class="trend" viewBox="0 0 560 220" role="img" aria-label="A &amp; B"><line x1="44.0" x2="548.0" y1="174.0" y2="174.0" class="grid"/><text x="40.0" y="178.0" class="tick end">0</text><path d="M10.0 20.0 L30.0 40.0 M50.0 60.0 L70.0 80.0" class="comparator"/><circle cx="5.0" cy="6.0" r="3" class="dot"/><text x="1" y="2" class="tick">a &lt; b</text></svg>"#;
        let d = read(svg).expect("a trend chart");
        assert_eq!((d.width, d.height), (560.0, 220.0));
        assert_eq!(d.shapes.len(), 6, "{:?}", d.shapes);
        assert!(
            matches!(&d.shapes[1], Shape::Text { anchor: Anchor::End, text, .. } if text == "0")
        );
        assert!(
            matches!(&d.shapes[2], Shape::Line { points, stroke } if points == &[(10.0, 20.0), (30.0, 40.0)] && stroke.dash.is_some())
        );
        assert!(matches!(&d.shapes[5], Shape::Text { text, .. } if text == "a < b"));
    }

    #[test]
    fn what_is_not_a_toolkit_chart_is_not_read() {
        assert!(read("").is_none());
        assert!(read("<p>no</p>").is_none());
        assert!(read(r#"<svg class="map" viewBox="0 0 1 1"></svg>"#).is_none());
        assert!(read(r#"<svg class="bars" viewBox="0 0 0 1"></svg>"#).is_none());
        assert!(path_runs("M1 2 C3 4 5 6 7 8").is_empty());
        assert_eq!(
            path_runs("M1 2 L3 4 L5 6"),
            vec![vec![(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]]
        );
    }

    proptest::proptest! {
        /// Any text at all is read without a panic.
        #[test]
        fn any_text_is_read_without_panic(s in ".{0,200}") {
            let _ = read(&s);
            let _ = read(&format!("<svg class=\"bars\" viewBox=\"0 0 10 10\">{s}</svg>"));
            let _ = path_runs(&s);
        }
    }
}

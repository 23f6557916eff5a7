//! A report as PDF, made in-process with no browser: A4 pages laid out here, written with
//! `pdf-writer`, in Libertinus Serif (regular and bold, SIL Open Font License, shipped by the
//! `typst-assets` crate) embedded whole, with a ToUnicode map so the text can be searched and
//! copied. Each section starts a page; a table's header is repeated on every page it runs to;
//! every page but the cover has a running head and "page N of M". No clock is read: the
//! document's identifier is made from the data snapshot, so two runs give the same bytes.
//!
//! Why not the `typst` compiler the issue suggests: on this project's 2-core build machine it
//! would add minutes to every clean build and to CI, for layout this report needs little of.
//! `pdf-writer` is the low-level writer typst itself uses (MIT/Apache-2.0, four small
//! dependencies), and `ttf-parser` reads the font's metrics. Charts are the HTML's own: the
//! caller passes the SVG the shared toolkit draws for each table, and `drawing` reads it back as
//! lines, bars, dots and text drawn here as vectors in the same fonts.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish as _, Name, Pdf, Rect, Ref, Str, TextStr};

use super::drawing::{Anchor, Drawing, Shape, Stroke};
use super::{Cell, HELP_NOW, Report, Table};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
const TOP: f32 = PAGE_H - 64.0;
const BOTTOM: f32 = 64.0;
const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;

/// Why a PDF cannot be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot make the PDF: {0}")]
pub struct PdfError(String);

/// One of the two faces.
struct Face {
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
    units: f32,
    name: String,
    /// Glyphs used, with the text each stands for (for the ToUnicode map).
    used: BTreeMap<u16, char>,
}

impl Face {
    fn load(data: &'static [u8]) -> Result<Self, PdfError> {
        let face = ttf_parser::Face::parse(data, 0).map_err(|e| PdfError(e.to_string()))?;
        let name = face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .and_then(|n| n.to_string())
            .unwrap_or_else(|| "LanternFont".to_owned());
        Ok(Self {
            data,
            units: f32::from(face.units_per_em()),
            face,
            name,
            used: BTreeMap::new(),
        })
    }

    fn glyph(&self, c: char) -> u16 {
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('?'))
            .map_or(0, |g| g.0)
    }

    fn advance(&self, gid: u16) -> f32 {
        f32::from(
            self.face
                .glyph_hor_advance(ttf_parser::GlyphId(gid))
                .unwrap_or(0),
        ) / self.units
    }

    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
    }

    /// `text` as two-byte glyph ids (Identity-H), noting the glyphs used.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let g = self.glyph(c);
            self.used.entry(g).or_insert(c);
            out.extend(g.to_be_bytes());
        }
        out
    }
}

/// The two faces a report uses.
fn faces() -> Result<[Face; 2], PdfError> {
    // typst-assets lists Libertinus Serif Regular first and Bold second; check rather than
    // trust, so an update of the crate cannot silently change the report's type.
    let mut regular = None;
    let mut bold = None;
    for data in typst_assets::fonts() {
        let Ok(f) = Face::load(data) else {
            continue;
        };
        match f.name.as_str() {
            "LibertinusSerif-Regular" => regular = Some(f),
            "LibertinusSerif-Bold" => bold = Some(f),
            _ => {}
        }
    }
    match (regular, bold) {
        (Some(r), Some(b)) => Ok([r, b]),
        _ => Err(PdfError(
            "the Libertinus Serif fonts are missing from typst-assets".to_owned(),
        )),
    }
}

/// What is drawn on a page.
enum Op {
    Text {
        x: f32,
        y: f32,
        bold: bool,
        size: f32,
        grey: bool,
        text: String,
    },
    Rule {
        x: f32,
        y: f32,
        w: f32,
        width: f32,
    },
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        rgb: [f32; 3],
    },
    /// A chart with its top-left corner at `(x, y)`, its units scaled by `scale`.
    Chart {
        x: f32,
        y: f32,
        scale: f32,
        drawing: Drawing,
    },
}

struct Layout {
    faces: [Face; 2],
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Start a new page unless `h` points fit above the bottom margin.
    fn room(&mut self, h: f32) -> bool {
        if self.y - h < BOTTOM {
            self.page();
            return true;
        }
        false
    }

    fn width(&self, text: &str, bold: bool, size: f32) -> f32 {
        self.faces[usize::from(bold)].width(text, size)
    }

    /// Break `text` into lines no wider than `w`; a word wider than a line is cut.
    fn wrap(&self, text: &str, bold: bool, size: f32, w: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, bold, size) <= w || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::take(&mut line));
                line = word.to_owned();
            }
            while self.width(&line, bold, size) > w && line.chars().count() > 1 {
                // A word (a hash, a long code) wider than the line: cut it.
                let mut cut = String::new();
                for c in line.chars() {
                    if self.width(&format!("{cut}{c}"), bold, size) > w {
                        break;
                    }
                    cut.push(c);
                }
                let rest: String = line.chars().skip(cut.chars().count().max(1)).collect();
                lines.push(if cut.is_empty() { line.clone() } else { cut });
                line = rest;
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn text(&mut self, x: f32, y: f32, bold: bool, size: f32, grey: bool, text: &str) {
        self.ops().push(Op::Text {
            x,
            y,
            bold,
            size,
            grey,
            text: text.to_owned(),
        });
    }

    /// A wrapped paragraph at the left margin (indented by `indent`).
    fn paragraph(&mut self, text: &str, bold: bool, size: f32, indent: f32) {
        let leading = size * 1.35;
        for line in self.wrap(text, bold, size, WIDTH - indent) {
            self.room(leading);
            self.y -= leading;
            let y = self.y;
            self.text(MARGIN + indent, y, bold, size, false, &line);
        }
        self.y -= size * 0.5;
    }

    fn heading(&mut self, text: &str, size: f32) {
        self.room(size * 3.0);
        self.y -= size * 0.6;
        self.paragraph(text, true, size, 0.0);
        let y = self.y + size * 0.2;
        self.ops().push(Op::Rule {
            x: MARGIN,
            y,
            w: WIDTH,
            width: 1.2,
        });
        self.y -= size * 0.3;
    }

    /// A chart across the text width (never larger than drawn for the screen), kept whole on
    /// one page.
    fn chart(&mut self, drawing: Drawing) {
        let scale = (WIDTH * 0.9 / drawing.width).min(1.0);
        let h = drawing.height * scale;
        self.room(h + 12.0);
        self.y -= 6.0;
        let (x, y) = (MARGIN + (WIDTH - drawing.width * scale) / 2.0, self.y);
        self.ops().push(Op::Chart {
            x,
            y,
            scale,
            drawing,
        });
        self.y -= h + 6.0;
    }

    /// A table: columns sized to their contents, text wrapped in cells, numbers on the right,
    /// and the header repeated on each page the table runs to.
    fn table(&mut self, t: &Table) {
        const SIZE: f32 = 8.5;
        const PAD: f32 = 4.0;
        let leading = SIZE * 1.3;
        let n = t.columns.len().max(1);
        let cells: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::text).collect())
            .collect();
        let numeric: Vec<bool> = (0..n)
            .map(|i| {
                i > 0
                    && t.rows.iter().all(|r| {
                        r.get(i).is_none_or(|c| {
                            c.is_number() || matches!(c, Cell::Empty | Cell::Text(_))
                        })
                    })
                    && t.rows.iter().any(|r| r.get(i).is_some_and(Cell::is_number))
            })
            .collect();
        let natural: Vec<f32> = (0..n)
            .map(|i| {
                let head = t.columns.get(i).map_or(0.0, |c| {
                    c.split_whitespace()
                        .map(|w| self.width(w, true, SIZE))
                        .fold(0.0, f32::max)
                });
                let body = cells
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| self.width(c, false, SIZE))
                    .fold(0.0, f32::max);
                head.max(body) + 2.0 * PAD
            })
            .collect();
        // Numbers keep their width; text columns share what is left, in proportion.
        let fixed: f32 = (0..n).filter(|i| numeric[*i]).map(|i| natural[i]).sum();
        let flexible: f32 = (0..n).filter(|i| !numeric[*i]).map(|i| natural[i]).sum();
        let room = (WIDTH - fixed).max(WIDTH * 0.3);
        let widths: Vec<f32> = (0..n)
            .map(|i| {
                if numeric[i] || flexible <= room {
                    natural[i]
                } else {
                    natural[i] * room / flexible
                }
            })
            .collect();
        let lines_of = |layout: &Self, row: &[String], bold: bool| -> Vec<Vec<String>> {
            row.iter()
                .enumerate()
                .map(|(i, c)| {
                    layout.wrap(
                        c,
                        bold,
                        SIZE,
                        widths.get(i).copied().unwrap_or(WIDTH) - 2.0 * PAD,
                    )
                })
                .collect()
        };
        let header = lines_of(self, &t.columns, true);
        let header_h = header.iter().map(Vec::len).max().unwrap_or(1) as f32 * leading + PAD;
        let draw_row = |layout: &mut Self, lines: &[Vec<String>], bold: bool, shade: bool| {
            let h = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * leading + PAD;
            let top = layout.y;
            if shade {
                layout.ops().push(Op::Fill {
                    x: MARGIN,
                    y: top - h,
                    w: widths.iter().sum(),
                    h,
                    rgb: [0.94, 0.945, 0.957],
                });
            }
            let mut x = MARGIN;
            for (i, cell) in lines.iter().enumerate() {
                let w = widths.get(i).copied().unwrap_or(0.0);
                for (k, line) in cell.iter().enumerate() {
                    let y = top - (k as f32 + 1.0) * leading;
                    let tx = if numeric.get(i).copied().unwrap_or(false) {
                        x + w - PAD - layout.width(line, bold, SIZE)
                    } else {
                        x + PAD
                    };
                    layout.text(tx, y, bold, SIZE, false, line);
                }
                x += w;
            }
            layout.y = top - h;
            layout.ops().push(Op::Rule {
                x: MARGIN,
                y: top - h,
                w: widths.iter().sum(),
                width: 0.4,
            });
        };
        // The caption and the header stay with the first row.
        let caption = self.wrap(&t.title, true, 9.5, WIDTH);
        self.room(caption.len() as f32 * 13.0 + header_h + leading * 2.0 + 8.0);
        self.y -= 6.0;
        for line in caption {
            self.y -= 13.0;
            let y = self.y;
            self.text(MARGIN, y, true, 9.5, false, &line);
        }
        self.y -= 4.0;
        draw_row(self, &header, true, true);
        for row in &cells {
            let lines = lines_of(self, row, false);
            let h = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * leading + PAD;
            if self.room(h) {
                draw_row(self, &header, true, true);
            }
            draw_row(self, &lines, false, false);
        }
        if cells.is_empty() {
            self.room(leading + PAD);
            self.y -= leading;
            let y = self.y;
            self.text(MARGIN + PAD, y, false, SIZE, true, "None.");
            self.y -= PAD;
        }
        if let Some(note) = &t.note {
            self.y -= 2.0;
            for line in self.wrap(note, false, 8.0, WIDTH) {
                self.room(10.5);
                self.y -= 10.5;
                let y = self.y;
                self.text(MARGIN, y, false, 8.0, true, &line);
            }
        }
        self.y -= 8.0;
    }
}

/// A document the PDF writer lays out: a cover (a line above the title, the title, a line
/// under it, the help-now box, labelled lines, notes and contents), then a page per section, with
/// a running head and foot and page numbers. Reports are one; the support directory's leaflet is
/// another.
pub struct Document<'a> {
    /// The small line above the title.
    pub top_line: String,
    /// The title.
    pub title: String,
    /// The line under the title.
    pub subtitle: String,
    /// The cover's labelled lines.
    pub cover: Vec<(&'static str, String)>,
    /// Notes on the cover.
    pub notes: &'a [String],
    /// The sections.
    pub sections: &'a [super::Section],
    /// The running head of every page after the cover.
    pub head: String,
    /// The running foot.
    pub foot: String,
    /// Bytes the file's identifier is made from (the same for the same content).
    pub id_seed: Vec<u8>,
}

/// The report as a PDF file. `chart` gives the SVG drawn above a table (empty for none), from
/// the shared SVG toolkit as the HTML report has it.
///
/// # Errors
/// When the fonts cannot be read.
pub fn pdf_bytes(report: &Report, chart: &dyn Fn(&Table) -> String) -> Result<Vec<u8>, PdfError> {
    let doc = Document {
        top_line: format!(
            "Lantern · for the {} audience",
            report.request.audience.disclosure()
        ),
        title: report.title.clone(),
        subtitle: format!(
            "{} · {}",
            report.request.period.describe(),
            report.area_name
        ),
        cover: report.cover(),
        notes: &report.notes,
        sections: &report.sections,
        head: format!(
            "{} · {} · {}",
            report.title,
            report.request.period.label(),
            report.area_name
        ),
        foot: format!("{} audience", report.request.audience.disclosure()),
        id_seed: report.snapshot.hash.as_bytes()[..16.min(report.snapshot.hash.len())].to_vec(),
    };
    document_pdf(&doc, chart)
}

/// A [`Document`] as a PDF file, `chart` as for [`pdf_bytes`].
///
/// # Errors
/// When the fonts cannot be read.
pub fn document_pdf(
    report: &Document<'_>,
    chart: &dyn Fn(&Table) -> String,
) -> Result<Vec<u8>, PdfError> {
    let mut l = Layout {
        faces: faces()?,
        pages: Vec::new(),
        y: TOP,
    };
    l.page();
    // The cover.
    l.text(MARGIN, TOP, false, 10.0, true, &report.top_line);
    l.y = TOP - 40.0;
    l.paragraph(&report.title, true, 22.0, 0.0);
    l.paragraph(&report.subtitle, false, 13.0, 0.0);
    l.y -= 8.0;
    // The help-now box.
    let box_top = l.y;
    let box_h = HELP_NOW.len() as f32 * 14.0 + 14.0;
    l.ops().push(Op::Fill {
        x: MARGIN,
        y: box_top - box_h,
        w: WIDTH,
        h: box_h,
        rgb: [0.91, 0.945, 0.973],
    });
    l.y -= 4.0;
    for (i, line) in HELP_NOW.iter().enumerate() {
        l.y -= 14.0;
        let y = l.y;
        l.text(MARGIN + 10.0, y, i == 0, 10.5, false, line);
    }
    l.y = box_top - box_h - 16.0;
    for (k, v) in &report.cover {
        let lines = l.wrap(v, false, 10.0, WIDTH - 110.0);
        l.room(lines.len() as f32 * 13.5);
        let top = l.y;
        l.text(MARGIN, top - 13.5, true, 10.0, false, k);
        for (i, line) in lines.iter().enumerate() {
            l.text(
                MARGIN + 110.0,
                top - 13.5 * (i as f32 + 1.0),
                false,
                10.0,
                false,
                line,
            );
        }
        l.y = top - 13.5 * lines.len() as f32 - 3.0;
    }
    if !report.notes.is_empty() {
        l.heading("Notes on this report", 13.0);
        for n in report.notes {
            l.paragraph(&format!("• {n}"), false, 10.0, 0.0);
        }
    }
    l.heading("Contents", 13.0);
    for (i, s) in report.sections.iter().enumerate() {
        l.paragraph(&format!("{}. {}", i + 1, s.title), false, 10.5, 0.0);
    }
    for s in report.sections {
        l.page();
        l.heading(&s.title, 15.0);
        for p in &s.paragraphs {
            l.paragraph(p, false, 10.5, 0.0);
        }
        for t in &s.tables {
            if let Some(d) = super::drawing::read(&chart(t)) {
                l.chart(d);
            }
            l.table(t);
        }
    }
    // The running head and the page numbers, now that the count is known.
    let total = l.pages.len();
    let (head, foot) = (&report.head, &report.foot);
    for i in 1..total {
        let page = format!("Page {} of {total}", i + 1);
        let pw = l.width(&page, false, 8.0);
        let ops = &mut l.pages[i];
        ops.push(Op::Text {
            x: MARGIN,
            y: PAGE_H - 36.0,
            bold: false,
            size: 8.0,
            grey: true,
            text: head.clone(),
        });
        ops.push(Op::Text {
            x: MARGIN,
            y: 36.0,
            bold: false,
            size: 8.0,
            grey: true,
            text: foot.clone(),
        });
        ops.push(Op::Text {
            x: PAGE_W - MARGIN - pw,
            y: 36.0,
            bold: false,
            size: 8.0,
            grey: true,
            text: page,
        });
    }
    write(report, l)
}

fn write(report: &Document<'_>, mut l: Layout) -> Result<Vec<u8>, PdfError> {
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut id = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, info) = (id(), id(), id());
    // Contents first, so the fonts know every glyph used.
    let mut page_ids = Vec::new();
    let mut streams = Vec::new();
    for ops in &l.pages {
        let (page, content) = (id(), id());
        page_ids.push(page);
        let mut c = Content::new();
        for op in ops {
            match op {
                Op::Fill { x, y, w, h, rgb } => {
                    c.set_fill_rgb(rgb[0], rgb[1], rgb[2]);
                    c.rect(*x, *y, *w, *h);
                    c.fill_nonzero();
                }
                Op::Rule { x, y, w, width } => {
                    c.set_stroke_rgb(0.55, 0.57, 0.6);
                    c.set_line_width(*width);
                    c.move_to(*x, *y);
                    c.line_to(x + w, *y);
                    c.stroke();
                }
                Op::Text {
                    x,
                    y,
                    bold,
                    size,
                    grey,
                    text,
                } => {
                    let g = if *grey { 0.33 } else { 0.11 };
                    c.set_fill_rgb(g, g, g);
                    show(
                        &mut c,
                        &mut l.faces[usize::from(*bold)],
                        *bold,
                        *size,
                        (*x, *y),
                        text,
                    );
                }
                Op::Chart {
                    x,
                    y,
                    scale,
                    drawing,
                } => draw_chart(&mut c, &mut l.faces[0], (*x, *y), *scale, drawing),
            }
        }
        streams.push((page, content, c.finish().into_vec()));
    }
    let font_ids: Vec<[Ref; 5]> = (0..2).map(|_| [id(), id(), id(), id(), id()]).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
    for (page, content, data) in &streams {
        let mut p = pdf.page(*page);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(*content);
        let mut resources = p.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), font_ids[0][0]);
        fonts.pair(Name(b"F2"), font_ids[1][0]);
        fonts.finish();
        resources.finish();
        p.finish();
        let compressed = compress(data);
        pdf.stream(*content, &compressed)
            .filter(Filter::FlateDecode);
    }
    for (face, [type0, cid, descriptor, file, cmap]) in l.faces.iter().zip(&font_ids) {
        let name = Name(face.name.as_bytes());
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(*type0)
            .base_font(name)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(*cid)
            .to_unicode(*cmap);
        let mut c = pdf.cid_font(*cid);
        c.subtype(CidFontType::Type0)
            .base_font(name)
            .system_info(system)
            .font_descriptor(*descriptor)
            .default_width(0.0);
        let mut w = c.widths();
        for g in face.used.keys() {
            w.consecutive(*g, [face.advance(*g) * 1000.0]);
        }
        w.finish();
        c.finish();
        let bbox = face.face.global_bounding_box();
        let scale = 1000.0 / face.units;
        pdf.font_descriptor(*descriptor)
            .name(name)
            .flags(FontFlags::SERIF | FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                f32::from(bbox.x_min) * scale,
                f32::from(bbox.y_min) * scale,
                f32::from(bbox.x_max) * scale,
                f32::from(bbox.y_max) * scale,
            ))
            .italic_angle(0.0)
            .ascent(f32::from(face.face.ascender()) * scale)
            .descent(f32::from(face.face.descender()) * scale)
            .cap_height(f32::from(face.face.capital_height().unwrap_or(700)) * scale)
            .stem_v(80.0)
            .font_file3(*file);
        let font = compress(face.data);
        pdf.stream(*file, &font)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Subtype"), Name(b"OpenType"));
        let mut map = UnicodeCmap::new(Name(b"Lantern-UTF16"), system);
        for (g, ch) in &face.used {
            map.pair(*g, *ch);
        }
        pdf.cmap(*cmap, &map.finish());
    }
    pdf.document_info(info)
        .title(TextStr(&report.title))
        .producer(TextStr("Lantern"))
        .creator(TextStr("Lantern"));
    pdf.set_file_id((report.id_seed.clone(), report.id_seed.clone()));
    Ok(pdf.finish())
}

/// Text at a point in one of the two faces.
fn show(c: &mut Content, face: &mut Face, bold: bool, size: f32, at: (f32, f32), text: &str) {
    c.begin_text();
    c.set_font(Name(if bold { b"F2" } else { b"F1" }), size);
    c.next_line(at.0, at.1);
    let bytes = face.encode(text);
    c.show(Str(&bytes));
    c.end_text();
}

/// A chart's shapes, from its units (y down) to the page's points (y up) about its top-left
/// corner `at`.
fn draw_chart(c: &mut Content, face: &mut Face, at: (f32, f32), scale: f32, d: &Drawing) {
    let p = |x: f32, y: f32| (at.0 + x * scale, at.1 - y * scale);
    let stroke = |c: &mut Content, s: &Stroke| {
        c.set_stroke_rgb(s.rgb[0], s.rgb[1], s.rgb[2]);
        c.set_line_width(s.width * scale);
        match s.dash {
            Some((on, off)) => c.set_dash_pattern([on * scale, off * scale], 0.0),
            None => c.set_dash_pattern([], 0.0),
        };
    };
    for shape in &d.shapes {
        match shape {
            Shape::Line { points, stroke: s } => {
                let Some((first, rest)) = points.split_first() else {
                    continue;
                };
                stroke(c, s);
                let (x, y) = p(first.0, first.1);
                c.move_to(x, y);
                for q in rest {
                    let (x, y) = p(q.0, q.1);
                    c.line_to(x, y);
                }
                c.stroke();
            }
            Shape::Rect { x, y, w, h, fill } => {
                let (x0, y0) = p(*x, *y + *h);
                c.set_fill_rgb(fill[0], fill[1], fill[2]);
                c.rect(x0, y0, w * scale, h * scale);
                c.fill_nonzero();
            }
            Shape::Circle {
                cx,
                cy,
                r,
                fill,
                stroke: s,
            } => {
                // Four Bézier quarters; 0.5523 puts the control points on the circle's tangents.
                let (x, y) = p(*cx, *cy);
                let (r, k) = (r * scale, r * scale * 0.552_284_8);
                c.set_fill_rgb(fill[0], fill[1], fill[2]);
                c.move_to(x + r, y);
                c.cubic_to(x + r, y + k, x + k, y + r, x, y + r);
                c.cubic_to(x - k, y + r, x - r, y + k, x - r, y);
                c.cubic_to(x - r, y - k, x - k, y - r, x, y - r);
                c.cubic_to(x + k, y - r, x + r, y - k, x + r, y);
                c.close_path();
                match s {
                    Some(s) => {
                        stroke(c, s);
                        c.fill_nonzero_and_stroke();
                    }
                    None => {
                        c.fill_nonzero();
                    }
                }
            }
            Shape::Text {
                x,
                y,
                size,
                rgb,
                anchor,
                text,
            } => {
                let size = size * scale;
                let w = face.width(text, size);
                let (x, y) = p(*x, *y);
                let x = match anchor {
                    Anchor::Start => x,
                    Anchor::Middle => x - w / 2.0,
                    Anchor::End => x - w,
                };
                c.set_fill_rgb(rgb[0], rgb[1], rgb[2]);
                show(c, face, false, size, (x, y), text);
            }
        }
    }
    c.set_dash_pattern([], 0.0);
}

/// Deflate, for content streams and the fonts (the same input gives the same bytes).
fn compress(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

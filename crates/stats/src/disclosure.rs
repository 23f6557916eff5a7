//! Disclosure control: presets that decide what a table of counts may show to an audience, and
//! rules for rates on few events. Every published table carries the preset it applied.
//!
//! The `partner` preset adds secondary suppression. A two-way table with row, column and grand
//! totals is a bipartite graph (rows and columns are nodes, cells are edges; totals are edges to
//! two extra nodes), and the published margins are one linear equation per node. An unknown
//! (suppressed) entry is fixed by the equations exactly when its edge is a *bridge* of the graph of
//! unknowns: any cycle of unknowns can be shifted by +t/-t around the cycle without changing a
//! margin. So suppression is complete when no suppressed entry is a bridge. The property test
//! checks this with linear algebra rather than with the graph.
//!
//! # Protection across tables: the design
//!
//! Protecting the margins of the one table asked for is not enough when the same audience may
//! ask for others: a county total less its published districts gives a withheld district
//! (Fellegi 1972 named this "residual disclosure"; Hundepool et al. 2012, §4.3.3 and §5.3, call
//! the tables *linked*). The two ways national statistics practice answers it are
//!
//! - **a fixed catalogue of tables with suppression run over all of them together**, as
//!   tau-ARGUS does for linked tables (Hundepool et al. 2012, §4.3; de Wolf and Giessing 2009,
//!   "Adjusting the tau-ARGUS modular approach to deal with linked tables"); and
//! - **cell key perturbation**, the ONS method for Census 2021's flexible tables (ONS 2022,
//!   "Protecting personal data in Census 2021 results"; Fraser and Wooton 2005, ABS): every
//!   record has a fixed random key, a cell's key is the sum of its records' keys modulo the key
//!   range, and a published perturbation table looks up the noise from the count and the cell
//!   key, so the same cell always gets the same noise.
//!
//! Lantern takes the **catalogue**. Perturbation leaves every published count slightly wrong,
//! which a partnership's oversight group cannot explain beside the coroner's own figures, and it
//! only bounds what differencing learns: with noise of ±D, a withheld count is pinned whenever
//! two differencing routes happen to draw opposite extreme noise, which over dozens of tables and
//! periods happens. The catalogue keeps every published figure exact and lets the adversary test
//! use exact linear algebra: a withheld count is safe when its indicator vector is not in the span
//! of the published cells' vectors.
//!
//! The catalogue for the partner and public audiences (`lantern_core::indicators`, enforced
//! before any work, refused with 400 and a reason): periods of a year or a rolling three years
//! (months and quarters are for the statutory core); ages in broad groups, not five-year bands;
//! areas no finer than the local authority,
//! as a breakdown or a filter (so no method or place of death by small area); at most one
//! breakdown besides a period and an area level; for the public no place of death (Samaritans
//! media guidelines); and a withheld row is left out altogether, since its labels describe the
//! people in it.
//!
//! What makes suppression over the whole catalogue tractable is its shape. Every table is a
//! margin of *year × local authority × breakdown value*, and tables with different breakdowns
//! share only their *period × area* margin, so the linked system is a star: a breakdown table
//! tells the rest nothing but which period × area totals its published cells complete, and
//! (because the subspaces of margins form a distributive lattice) what the attacker knows of a
//! breakdown's block is its own span plus the base knowledge all its other blocks share. Each
//! system is small (years × authorities, a few dozen unknowns per block), and rolling
//! three-year periods and area totals are linear combinations inside it. Multi-valued
//! breakdowns (priority groups, self-harm methods) and distinct-person counts have no linear
//! relation to the totals and are protected per value or per table. A directly standardised
//! rate is a weighted sum of five-year age-band counts, so partners and the public get ages in
//! broad groups (0-9, 10-24, 25-44, 45-64, 65+): the rate weights the bands of a group
//! differently while a group's cell weights them alike, so no combination of the rate with
//! published cells is a catalogue cell, and the rate (Fingertips indicator 41001) can be
//! published on its own rule. Suppression runs to a fixed point: primary suppression of 1-4, a span test of
//! every withheld count of 1-4 against what is known, and the smallest published cell whose
//! withholding hides it withheld next (`lantern_core::indicators::linked`, with [`crate::span`]
//! for the exact linear algebra). Allowing two breakdowns would make the system a tree of such
//! systems (a junction tree, as for decomposable log-linear models) and can be added the same
//! way.
//!
//! An adversary property test (`crates/server/tests/api/adversary.rs`) plays the attacker: 200
//! random registers a run, random sets of partner queries (every tenth case the whole
//! catalogue), and its own solver over the register's micro cells, given every zero cell for
//! free; no withheld count of 1-4 may be in the span of what it knows. With per-table
//! suppression alone it fails on its first case.
//!
//! References: I. P. Fellegi (1972), "On the question of statistical confidentiality", JASA 67;
//! L. H. Cox (1980), "Suppression methodology and statistical disclosure control", JASA 75;
//! A. Hundepool et al. (2012), *Statistical Disclosure Control*, Wiley; ONS (2022), "Protecting
//! personal data in Census 2021 results"; Samaritans (2020), *Media guidelines for reporting
//! suicide*.

use std::collections::HashSet;

/// A set of rules for one kind of audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Preset {
    /// ONS: counts 0-2 published as 0 and 3-5 as 5; no standardised rate below 10 events, no
    /// crude rate below 3; rates on fewer than 20 events flagged unreliable (`u`).
    Ons,
    /// NHS: counts 1-7 suppressed, the rest rounded to the nearest 5.
    Nhs,
    /// Fingertips: counts 1-5 flagged.
    Fingertips,
    /// Partner and public audiences: counts 1-4 shown as `<5`, secondary suppression so no
    /// suppressed count can be recovered from totals, and no rate on fewer than 10 events.
    Partner,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Self; 4] = [Self::Ons, Self::Nhs, Self::Fingertips, Self::Partner];

    /// The preset's name in outputs.
    ///
    /// ```
    /// assert_eq!(lantern_stats::Preset::Partner.as_str(), "partner");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ons => "ons",
            Self::Nhs => "nhs",
            Self::Fingertips => "fingertips",
            Self::Partner => "partner",
        }
    }

    /// The preset called `name`.
    ///
    /// ```
    /// assert_eq!(lantern_stats::Preset::parse("nhs"), Some(lantern_stats::Preset::Nhs));
    /// assert_eq!(lantern_stats::Preset::parse("open"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// One published count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The number shown, or `None` when it is withheld.
    pub value: Option<u64>,
    /// What a reader sees: the number, `<5`, or `*`.
    pub display: String,
    /// Withheld (primary or secondary).
    pub suppressed: bool,
    /// Shown but flagged as a small number.
    pub flagged: bool,
}

impl Published {
    fn shown(value: u64, flagged: bool) -> Self {
        Self {
            value: Some(value),
            display: value.to_string(),
            suppressed: false,
            flagged,
        }
    }

    fn withheld(display: &str) -> Self {
        Self {
            value: None,
            display: display.to_owned(),
            suppressed: true,
            flagged: false,
        }
    }
}

/// A count protected on its own (with no totals beside it).
///
/// ```
/// use lantern_stats::{protect_count, Preset};
/// assert_eq!(protect_count(3, Preset::Ons).value, Some(5));
/// assert_eq!(protect_count(3, Preset::Partner).display, "<5");
/// assert_eq!(protect_count(12, Preset::Nhs).value, Some(10));
/// assert!(protect_count(5, Preset::Fingertips).flagged);
/// ```
///
/// # References
/// ONS (2023), *Suicides in England and Wales*, statistical disclosure control notes; NHS England
/// (2023), *Small number suppression in published statistics*; OHID Fingertips technical guidance.
pub fn protect_count(count: u64, preset: Preset) -> Published {
    match preset {
        Preset::Ons => match count {
            0..=2 => Published::shown(0, false),
            3..=5 => Published::shown(5, false),
            n => Published::shown(n, false),
        },
        Preset::Nhs => match count {
            1..=7 => Published::withheld("*"),
            n => Published::shown((n + 2) / 5 * 5, false),
        },
        Preset::Fingertips => Published::shown(count, (1..=5).contains(&count)),
        Preset::Partner => {
            if (1..=4).contains(&count) {
                Published::withheld("<5")
            } else {
                Published::shown(count, false)
            }
        }
    }
}

/// A two-way table of counts with its totals. `None` marks a value already withheld (when a
/// published table is protected again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountTable {
    /// Counts by row, then column.
    pub cells: Vec<Vec<Option<u64>>>,
    /// Row totals.
    pub row_totals: Vec<Option<u64>>,
    /// Column totals.
    pub column_totals: Vec<Option<u64>>,
    /// Grand total.
    pub total: Option<u64>,
}

impl CountTable {
    /// A table from its cells, with the totals summed.
    ///
    /// ```
    /// let t = lantern_stats::CountTable::from_cells(&[vec![1, 2], vec![3, 4]]);
    /// assert_eq!(t.row_totals, vec![Some(3), Some(7)]);
    /// assert_eq!(t.total, Some(10));
    /// ```
    pub fn from_cells(cells: &[Vec<u64>]) -> Self {
        let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
        let get = |r: usize, c: usize| cells[r].get(c).copied().unwrap_or(0);
        Self {
            cells: cells
                .iter()
                .map(|row| {
                    (0..cols)
                        .map(|c| Some(row.get(c).copied().unwrap_or(0)))
                        .collect()
                })
                .collect(),
            row_totals: (0..cells.len())
                .map(|r| Some((0..cols).map(|c| get(r, c)).sum()))
                .collect(),
            column_totals: (0..cols)
                .map(|c| Some((0..cells.len()).map(|r| get(r, c)).sum()))
                .collect(),
            total: Some(cells.iter().flatten().sum()),
        }
    }
}

/// A table as published under a preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedTable {
    /// The preset applied.
    pub preset: Preset,
    /// Cells by row, then column.
    pub cells: Vec<Vec<Published>>,
    /// Row totals.
    pub row_totals: Vec<Published>,
    /// Column totals.
    pub column_totals: Vec<Published>,
    /// Grand total.
    pub total: Published,
}

impl PublishedTable {
    /// The published numbers as a [`CountTable`], withheld values as `None`, so a published
    /// table can be protected again (every preset is idempotent).
    ///
    /// ```
    /// use lantern_stats::{protect_table, CountTable, Preset};
    /// let once = protect_table(&CountTable::from_cells(&[vec![2, 9], vec![7, 8]]), Preset::Ons).unwrap();
    /// let twice = protect_table(&once.as_counts(), Preset::Ons).unwrap();
    /// assert_eq!(once.as_counts(), twice.as_counts());
    /// ```
    pub fn as_counts(&self) -> CountTable {
        let v = |p: &Published| p.value;
        CountTable {
            cells: self
                .cells
                .iter()
                .map(|r| r.iter().map(v).collect())
                .collect(),
            row_totals: self.row_totals.iter().map(v).collect(),
            column_totals: self.column_totals.iter().map(v).collect(),
            total: self.total.value,
        }
    }
}

/// Why a table cannot be protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DisclosureError {
    /// Rows of different lengths, or totals that do not match the table's shape.
    #[error("the table's rows and totals do not have matching lengths")]
    Ragged,
}

/// An entry of the table: a cell, a row total, a column total or the grand total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Entry {
    Cell(usize, usize),
    Row(usize),
    Column(usize),
    Total,
}

/// Protect a table under `preset`. Rounding presets round every entry on its own; `partner`
/// withholds counts of 1-4 and then as many more entries (smallest first) as it takes for no
/// withheld entry to be recoverable from the rest.
///
/// # Errors
/// [`DisclosureError::Ragged`] when the shapes do not match.
///
/// # References
/// Cox, L. H. (1980). Suppression methodology and statistical disclosure control. *JASA* 75,
/// 377-385; Hundepool, A. et al. (2012). *Statistical Disclosure Control*, ch. 4 (Wiley).
///
/// ```
/// use lantern_stats::{protect_table, CountTable, Preset};
/// let t = CountTable::from_cells(&[vec![2, 10, 12], vec![8, 9, 20]]);
/// let p = protect_table(&t, Preset::Partner).unwrap();
/// assert_eq!(p.cells[0][0].display, "<5");
/// // The 2 cannot be recovered from its row total: something else in the row is withheld too.
/// assert!(p.cells[0].iter().filter(|c| c.suppressed).count() >= 2);
/// ```
pub fn protect_table(
    table: &CountTable,
    preset: Preset,
) -> Result<PublishedTable, DisclosureError> {
    let rows = table.cells.len();
    let cols = table.column_totals.len();
    if table.row_totals.len() != rows || table.cells.iter().any(|r| r.len() != cols) {
        return Err(DisclosureError::Ragged);
    }
    let one =
        |v: Option<u64>| v.map_or_else(|| Published::withheld("*"), |n| protect_count(n, preset));
    let mut out = PublishedTable {
        preset,
        cells: table
            .cells
            .iter()
            .map(|r| r.iter().map(|&v| one(v)).collect())
            .collect(),
        row_totals: table.row_totals.iter().map(|&v| one(v)).collect(),
        column_totals: table.column_totals.iter().map(|&v| one(v)).collect(),
        total: one(table.total),
    };
    if preset == Preset::Partner {
        secondary_suppression(table, &mut out);
    }
    Ok(out)
}

fn value_of(table: &CountTable, e: Entry) -> Option<u64> {
    match e {
        Entry::Cell(r, c) => table.cells[r][c],
        Entry::Row(r) => table.row_totals[r],
        Entry::Column(c) => table.column_totals[c],
        Entry::Total => table.total,
    }
}

fn slot(out: &mut PublishedTable, e: Entry) -> &mut Published {
    match e {
        Entry::Cell(r, c) => &mut out.cells[r][c],
        Entry::Row(r) => &mut out.row_totals[r],
        Entry::Column(c) => &mut out.column_totals[c],
        Entry::Total => &mut out.total,
    }
}

fn secondary_suppression(table: &CountTable, out: &mut PublishedTable) {
    let (rows, cols) = (out.cells.len(), out.column_totals.len());
    let mut all: Vec<Entry> = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            all.push(Entry::Cell(r, c));
        }
        all.push(Entry::Row(r));
    }
    all.extend((0..cols).map(Entry::Column));
    all.push(Entry::Total);
    let mut hidden: HashSet<Entry> = all
        .iter()
        .copied()
        .filter(|&e| slot(out, e).suppressed)
        .collect();
    // Cost of withholding an entry: prefer small non-zero counts; zeros last (a withheld zero
    // could be pinned by non-negativity), unknown values (already withheld) cost nothing.
    let cost = |e: Entry| match value_of(table, e) {
        Some(0) => u64::MAX / 2,
        Some(n) => n,
        None => 0,
    };
    let limit = all.len() + 1;
    for _ in 0..limit {
        let Some(bridge) = find_bridge(rows, cols, &hidden) else {
            break;
        };
        let candidates = cycle_options(bridge, rows, cols);
        let best = candidates
            .into_iter()
            .filter(|set| !set.is_empty())
            .min_by_key(|set| {
                set.iter()
                    .filter(|e| !hidden.contains(e))
                    .map(|&e| cost(e))
                    .fold(0_u64, u64::saturating_add)
            });
        match best {
            Some(set) => hidden.extend(set),
            None => hidden.extend(all.iter().copied()), // nothing closes a cycle: withhold everything
        }
    }
    // Not reached for real tables; withholding everything is always safe.
    if find_bridge(rows, cols, &hidden).is_some() {
        hidden.extend(all.iter().copied());
    }
    for e in hidden {
        let p = slot(out, e);
        if !p.suppressed {
            *p = Published::withheld("*");
        }
    }
}

/// Sets of entries that, withheld together with `bridge`, put it on a cycle.
fn cycle_options(bridge: Entry, rows: usize, cols: usize) -> Vec<Vec<Entry>> {
    let mut options = Vec::new();
    match bridge {
        // r - c - r2 - c2 - r, or through the totals: r - c - T' - c2 - r (needs both column
        // totals), r - c - T' - T - r (column total, grand total, row total).
        Entry::Cell(r, c) => {
            for r2 in (0..rows).filter(|&x| x != r) {
                for c2 in (0..cols).filter(|&x| x != c) {
                    options.push(vec![
                        Entry::Cell(r, c2),
                        Entry::Cell(r2, c),
                        Entry::Cell(r2, c2),
                    ]);
                }
            }
            for c2 in (0..cols).filter(|&x| x != c) {
                options.push(vec![
                    Entry::Cell(r, c2),
                    Entry::Column(c),
                    Entry::Column(c2),
                ]);
            }
            for r2 in (0..rows).filter(|&x| x != r) {
                options.push(vec![Entry::Cell(r2, c), Entry::Row(r), Entry::Row(r2)]);
            }
            options.push(vec![Entry::Row(r), Entry::Column(c), Entry::Total]);
        }
        // r - T - r2 - c - r
        Entry::Row(r) => {
            for r2 in (0..rows).filter(|&x| x != r) {
                for c in 0..cols {
                    options.push(vec![Entry::Row(r2), Entry::Cell(r, c), Entry::Cell(r2, c)]);
                }
            }
            for c in 0..cols {
                options.push(vec![Entry::Cell(r, c), Entry::Column(c), Entry::Total]);
            }
        }
        Entry::Column(c) => {
            for c2 in (0..cols).filter(|&x| x != c) {
                for r in 0..rows {
                    options.push(vec![
                        Entry::Column(c2),
                        Entry::Cell(r, c),
                        Entry::Cell(r, c2),
                    ]);
                }
            }
            for r in 0..rows {
                options.push(vec![Entry::Cell(r, c), Entry::Row(r), Entry::Total]);
            }
        }
        Entry::Total => {
            for r in 0..rows {
                for c in 0..cols {
                    options.push(vec![Entry::Row(r), Entry::Column(c), Entry::Cell(r, c)]);
                }
            }
        }
    }
    options
}

/// A withheld entry that is a bridge of the graph of withheld entries, if any.
/// Nodes: rows `0..rows`, columns `rows..rows+cols`, then the two total nodes.
fn find_bridge(rows: usize, cols: usize, hidden: &HashSet<Entry>) -> Option<Entry> {
    let (t_rows, t_cols) = (rows + cols, rows + cols + 1);
    let n = rows + cols + 2;
    let mut edges: Vec<(usize, usize, Entry)> = hidden
        .iter()
        .map(|&e| match e {
            Entry::Cell(r, c) => (r, rows + c, e),
            Entry::Row(r) => (r, t_rows, e),
            Entry::Column(c) => (rows + c, t_cols, e),
            Entry::Total => (t_rows, t_cols, e),
        })
        .collect();
    edges.sort_by_key(|&(a, b, _)| (a, b));
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (i, &(a, b, _)) in edges.iter().enumerate() {
        adj[a].push((b, i));
        adj[b].push((a, i));
    }
    // Tarjan's bridge finding, iteratively.
    let mut disc = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut time = 0;
    for start in 0..n {
        if disc[start] != usize::MAX {
            continue;
        }
        disc[start] = time;
        low[start] = time;
        time += 1;
        let mut stack: Vec<(usize, usize, usize)> = vec![(start, usize::MAX, 0)];
        while let Some(&mut (v, parent_edge, ref mut next)) = stack.last_mut() {
            if *next < adj[v].len() {
                let (w, e) = adj[v][*next];
                *next += 1;
                if e == parent_edge {
                    continue;
                }
                if disc[w] == usize::MAX {
                    disc[w] = time;
                    low[w] = time;
                    time += 1;
                    stack.push((w, e, 0));
                } else {
                    low[v] = low[v].min(disc[w]);
                }
            } else {
                stack.pop();
                if let Some(&(u, _, _)) = stack.last() {
                    low[u] = low[u].min(low[v]);
                    if low[v] > disc[u] {
                        return Some(edges[parent_edge].2);
                    }
                }
            }
        }
    }
    None
}

/// What a rate on a number of events may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateRule {
    /// Show it.
    Show,
    /// Show it, flagged unreliable (`u`).
    Unreliable,
    /// Withhold it, for this reason.
    Withhold(&'static str),
}

/// Whether a rate is crude or standardised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateKind {
    /// A crude or age-specific rate.
    Crude,
    /// A directly standardised rate.
    Standardised,
}

/// The rule a preset applies to a rate on `events` events.
///
/// # References
/// ONS (2023), *Suicides in England and Wales* notes on reliability (`u` below 20 deaths); OHID
/// Fingertips technical guidance (DSRs not published below 10 events).
///
/// ```
/// use lantern_stats::{rate_rule, Preset, RateKind, RateRule};
/// assert_eq!(rate_rule(Preset::Ons, 15, RateKind::Standardised), RateRule::Unreliable);
/// assert!(matches!(rate_rule(Preset::Partner, 9, RateKind::Crude), RateRule::Withhold(_)));
/// ```
pub fn rate_rule(preset: Preset, events: u64, kind: RateKind) -> RateRule {
    match (preset, kind) {
        (Preset::Ons | Preset::Fingertips, RateKind::Standardised) | (Preset::Partner, _)
            if events < 10 =>
        {
            RateRule::Withhold("fewer than 10 events")
        }
        (Preset::Ons, RateKind::Crude) if events < 3 => RateRule::Withhold("fewer than 3 events"),
        (Preset::Ons, _) if events < 20 => RateRule::Unreliable,
        (Preset::Nhs, _) if (1..=7).contains(&events) => RateRule::Withhold("1 to 7 events"),
        _ => RateRule::Show,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_small_cell_in_a_row_takes_another_with_it() {
        let t = CountTable::from_cells(&[vec![3, 40, 50], vec![20, 30, 60]]);
        let p = protect_table(&t, Preset::Partner).unwrap();
        assert!(p.cells[0][0].suppressed);
        assert!(find_bridge(2, 3, &collect_hidden(&p)).is_none());
        assert!(p.cells.iter().flatten().filter(|c| c.suppressed).count() >= 4);
    }

    #[test]
    fn nhs_rounds_to_fives_and_hides_1_to_7() {
        let got: Vec<Option<u64>> = [0, 1, 7, 8, 12, 13, 100]
            .iter()
            .map(|&n| protect_count(n, Preset::Nhs).value)
            .collect();
        assert_eq!(
            got,
            [Some(0), None, None, Some(10), Some(10), Some(15), Some(100)]
        );
    }

    fn collect_hidden(p: &PublishedTable) -> HashSet<Entry> {
        let mut h = HashSet::new();
        for (r, row) in p.cells.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if cell.suppressed {
                    h.insert(Entry::Cell(r, c));
                }
            }
        }
        h.extend(
            p.row_totals
                .iter()
                .enumerate()
                .filter(|(_, x)| x.suppressed)
                .map(|(r, _)| Entry::Row(r)),
        );
        h.extend(
            p.column_totals
                .iter()
                .enumerate()
                .filter(|(_, x)| x.suppressed)
                .map(|(c, _)| Entry::Column(c)),
        );
        if p.total.suppressed {
            h.insert(Entry::Total);
        }
        h
    }
}

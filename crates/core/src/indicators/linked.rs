//! Suppression over the whole partner and public catalogue at once, so that a withheld count
//! cannot be recovered from *other* tables: other periods (a rolling total less two published
//! years), other area levels (a county less its published districts), or the table without the
//! breakdown (all deaths less the published sexes). The design and its references are in
//! `lantern_stats::disclosure`; in short:
//!
//! - Every catalogue table is a margin of *time unit × area unit × breakdown value*: time units
//!   are years (and "no date"), area units local authorities (and residences with no local
//!   authority), and a table has at most one breakdown.
//! - The *base* system holds the tables with no breakdown: each cell is a sum over a window of
//!   years (one year, a rolling three years, all) and a group of area units (one authority, a
//!   county or any area above, the whole partnership, "unknown" at a level, and a filter's part
//!   of those).
//! - Each breakdown's system has one block per value, a copy of the base's cells. For a
//!   single-valued breakdown (sex, age band, method group, place, setting) the blocks add up to
//!   the base; for a multi-valued one (priority groups, self-harm methods) they do not, and each
//!   block stands alone.
//! - The systems meet only in the base, so (by the distributive lattice of margins) what the
//!   attacker knows of the base is the span of the published base cells plus, for each
//!   single-valued breakdown, the base functionals every block's published cells span; and what
//!   they know of a block is its own span plus the base knowledge that all the *other* blocks'
//!   spans also hold.
//!
//! Suppression runs to a fixed point: counts of 1-4 are withheld; while one of them is in the
//! span of what is known, the smallest published cell whose withholding takes it out is withheld
//! too. Zero cells count as published (the attacker is assumed to know them).

use std::collections::{BTreeSet, HashMap};

use lantern_stats::span::Span;

/// A window of time units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Window {
    /// Every unit (a table with no period).
    All,
    /// One year.
    Year(i32),
    /// Three years from this one.
    Rolling(i32),
}

/// A cell of a system: a window, a group of area units (an index into the groups), and a value
/// (an index into the breakdown's values; 0 for the base).
pub(crate) type Cell = (Window, usize, usize);

/// The universe the systems share: time units, area units, windows and groups, and each cell's
/// indicator vector over the micro cells (time unit × area unit).
#[derive(Debug, Clone)]
pub(crate) struct Universe {
    /// Years, then "no date" last when some record has none.
    pub(crate) years: Vec<i32>,
    /// Whether "no date" is a time unit.
    undated: bool,
    /// Area unit codes.
    pub(crate) units: Vec<String>,
    /// Windows and their time units.
    windows: Vec<(Window, Vec<usize>)>,
    /// Groups of area units (sorted, distinct).
    groups: Vec<BTreeSet<usize>>,
    /// A group's index by its set.
    group_index: HashMap<BTreeSet<usize>, usize>,
    /// Cell `w * groups + g`'s vector.
    vectors: Vec<Vec<u64>>,
}

impl Universe {
    /// `years` (first to last) and the area units; `groups` are the sets of units the catalogue
    /// can name (see the module's documentation). `undated`: some record has no date, so "no
    /// date" is a time unit of its own (only in the all-years window). Without one, the attacker
    /// is taken to know that every record has a date, as the schema says.
    pub(crate) fn new(
        years: (i32, i32),
        undated: bool,
        units: Vec<String>,
        groups: impl IntoIterator<Item = BTreeSet<usize>>,
    ) -> Self {
        let years: Vec<i32> = (years.0..=years.1).collect();
        let n_time = years.len() + usize::from(undated);
        let mut windows = vec![(Window::All, (0..n_time).collect())];
        for (i, y) in years.iter().enumerate() {
            windows.push((Window::Year(*y), vec![i]));
        }
        for (i, y) in years.iter().enumerate() {
            if i + 2 < years.len() {
                windows.push((Window::Rolling(*y), vec![i, i + 1, i + 2]));
            }
        }
        let mut list = Vec::new();
        let mut group_index = HashMap::new();
        for g in groups {
            if !g.is_empty() && !group_index.contains_key(&g) {
                group_index.insert(g.clone(), list.len());
                list.push(g);
            }
        }
        let dim = n_time * units.len();
        let mut vectors = Vec::with_capacity(windows.len() * list.len());
        for (_, times) in &windows {
            for group in &list {
                let mut v = vec![0; dim];
                for t in times {
                    for u in group {
                        v[t * units.len() + u] = 1;
                    }
                }
                vectors.push(v);
            }
        }
        Self {
            years,
            undated,
            units,
            windows,
            groups: list,
            group_index,
            vectors,
        }
    }

    /// The group made of these units, if the catalogue has it.
    pub(crate) fn group(&self, units: &BTreeSet<usize>) -> Option<usize> {
        self.group_index.get(units).copied()
    }

    /// A time unit's index: the year's, or "no date".
    pub(crate) fn time(&self, year: Option<i32>) -> usize {
        year.and_then(|y| self.years.iter().position(|x| *x == y))
            .unwrap_or(self.years.len())
    }

    fn dim(&self) -> usize {
        (self.years.len() + usize::from(self.undated)) * self.units.len()
    }

    fn n_cells(&self) -> usize {
        self.windows.len() * self.groups.len()
    }

    /// A cell's index within a block.
    fn index(&self, w: Window, g: usize) -> Option<usize> {
        let wi = self.windows.iter().position(|(x, _)| *x == w)?;
        (g < self.groups.len()).then(|| wi * self.groups.len() + g)
    }
}

/// One system: its blocks' counts per cell and which cells are withheld.
#[derive(Debug, Clone)]
pub(crate) struct System {
    /// Whether the blocks add up to the base.
    pub(crate) single_valued: bool,
    /// The values, in order (one, unnamed, for the base).
    pub(crate) values: Vec<String>,
    /// `micro[value][time * units + unit]`.
    micro: Vec<Vec<u64>>,
    /// `counts[value][cell index]`, made by [`protect`].
    counts: Vec<Vec<u64>>,
    /// `withheld[value][cell index]`.
    withheld: Vec<Vec<bool>>,
    /// `sensitive[value][cell index]`: a count that must not be worked out, made by
    /// [`protect`] (see [`System::mark_sensitive`]).
    sensitive: Vec<Vec<bool>>,
    /// Each block's span of published cells, while still right.
    spans: Vec<Option<Span>>,
}

impl System {
    /// A system of `values` (one for the base) with no records.
    pub(crate) fn new(universe: &Universe, values: Vec<String>, single_valued: bool) -> Self {
        let blocks = values.len().max(1);
        Self {
            single_valued,
            micro: vec![vec![0; universe.dim()]; blocks],
            counts: vec![vec![0; universe.n_cells()]; blocks],
            withheld: vec![vec![false; universe.n_cells()]; blocks],
            sensitive: vec![vec![false; universe.n_cells()]; blocks],
            spans: vec![None; blocks],
            values,
        }
    }

    /// Count one record in block `value` at time unit `time` and area unit `unit`.
    pub(crate) fn add(&mut self, universe: &Universe, value: usize, time: usize, unit: usize) {
        if let Some(block) = self.micro.get_mut(value) {
            block[time * universe.units.len() + unit] += 1;
        }
    }

    fn tally(&mut self, universe: &Universe) {
        for (micro, counts) in self.micro.iter().zip(&mut self.counts) {
            for (c, v) in counts.iter_mut().zip(&universe.vectors) {
                *c = v
                    .iter()
                    .zip(micro)
                    .filter(|(a, _)| **a != 0)
                    .map(|(_, m)| m)
                    .sum();
            }
        }
    }

    /// Whether a cell is withheld (a cell the catalogue does not have counts as withheld).
    pub(crate) fn is_withheld(&self, universe: &Universe, (w, g, v): Cell) -> bool {
        universe
            .index(w, g)
            .and_then(|i| self.withheld.get(v).map(|b| b[i]))
            .unwrap_or(true)
    }

    fn withhold(&mut self, v: usize, i: usize) {
        self.withheld[v][i] = true;
        self.spans[v] = None;
    }

    fn release(&mut self, v: usize, i: usize) {
        self.withheld[v][i] = false;
        self.spans[v] = None;
    }

    fn blocks(&self) -> usize {
        self.withheld.len()
    }

    fn withheld_count(&self) -> usize {
        self.withheld.iter().flatten().filter(|w| **w).count()
    }

    /// The span of block `v`'s published cells.
    fn block_span(&mut self, universe: &Universe, v: usize) -> Span {
        if let Some(s) = &self.spans[v] {
            return s.clone();
        }
        let mut s = Span::new(universe.dim());
        for (i, w) in self.withheld[v].iter().enumerate() {
            if !w && s.dim() < universe.dim() {
                s.insert(&universe.vectors[i]);
            }
        }
        self.spans[v] = Some(s.clone());
        s
    }

    fn all_spans(&mut self, universe: &Universe) -> Vec<Span> {
        (0..self.blocks())
            .map(|v| self.block_span(universe, v))
            .collect()
    }

    /// What the blocks together tell of the base: the intersection of their spans (none for a
    /// multi-valued breakdown).
    fn base_part(&self, universe: &Universe, spans: &[Span]) -> Span {
        if !self.single_valued {
            return Span::new(universe.dim());
        }
        let mut it = spans.iter();
        let Some(first) = it.next() else {
            return Span::new(universe.dim());
        };
        it.fold(first.clone(), |acc, s| {
            if acc.dim() == 0 {
                acc
            } else {
                acc.intersect(s)
            }
        })
    }

    /// The base knowledge every block but `v` holds (all of it for a block of a multi-valued
    /// breakdown: none).
    fn shared(&self, universe: &Universe, base: &Span, spans: &[Span], v: usize) -> Span {
        if !self.single_valued {
            return Span::new(universe.dim());
        }
        let mut shared = base.clone();
        for (i, s) in spans.iter().enumerate() {
            if i != v && shared.dim() > 0 {
                shared = shared.intersect(s);
            }
        }
        shared
    }

    /// Which counts must not be worked out: those of 1-4; and in a block of a multi-valued
    /// breakdown, also a count whose complement in the base cell (the records of that window and
    /// group *without* the value: "not known to mental health services") is 1-4, since a
    /// reader who knows the base cell would subtract. `base` is the base's counts, for a
    /// multi-valued system.
    fn mark_sensitive(&mut self, base: Option<&[u64]>) {
        for v in 0..self.blocks() {
            for i in 0..self.counts[v].len() {
                let n = self.counts[v][i];
                let rest = base
                    .filter(|_| !self.single_valued)
                    .and_then(|b| b.get(i))
                    .map(|total| total.saturating_sub(n));
                self.sensitive[v][i] =
                    (1..=4).contains(&n) || (n > 0 && rest.is_some_and(|r| (1..=4).contains(&r)));
            }
        }
    }

    /// Primary suppression: the sensitive counts.
    fn primary(&mut self) {
        for v in 0..self.blocks() {
            for i in 0..self.counts[v].len() {
                if self.sensitive[v][i] {
                    self.withhold(v, i);
                }
            }
        }
    }

    /// Published cells of block `v` with a count, smallest first.
    fn candidates(&self, v: usize) -> Vec<usize> {
        let mut c: Vec<usize> = (0..self.counts[v].len())
            .filter(|i| !self.withheld[v][*i] && self.counts[v][*i] > 0)
            .collect();
        c.sort_by_key(|i| (self.counts[v][*i], *i));
        c
    }

    /// The withheld sensitive counts in block `v`.
    fn targets(&self, v: usize) -> Vec<usize> {
        (0..self.counts[v].len())
            .filter(|i| self.withheld[v][*i] && self.sensitive[v][*i])
            .collect()
    }

    /// Withhold cells of block `v` until none of its targets is in the span of its published
    /// cells plus `shared`. Returns how many targets `shared` alone gives away: withholding in
    /// this block cannot help those.
    fn close_block(&mut self, universe: &Universe, v: usize, shared: &Span) -> usize {
        loop {
            let known = self.block_span(universe, v).plus(shared);
            let exposed: Vec<usize> = self
                .targets(v)
                .into_iter()
                .filter(|t| known.contains(&universe.vectors[*t]))
                .collect();
            let (stuck, open): (Vec<usize>, Vec<usize>) = exposed
                .into_iter()
                .partition(|t| shared.contains(&universe.vectors[*t]));
            let Some(t) = open.first() else {
                return stuck.len();
            };
            let f = &universe.vectors[*t];
            let candidates = self.candidates(v);
            let pick = candidates
                .iter()
                .copied()
                .find(|c| {
                    self.withhold(v, *c);
                    let ok = !self.block_span(universe, v).plus(shared).contains(f);
                    self.release(v, *c);
                    ok
                })
                .or_else(|| candidates.first().copied());
            let Some(c) = pick else {
                return stuck.len();
            };
            self.withhold(v, c);
        }
    }

    /// Withhold the smallest published cell of any block but `except`; whether there was one.
    fn withhold_smallest(&mut self, except: Option<usize>) -> bool {
        let c = (0..self.blocks())
            .filter(|v| Some(*v) != except)
            .flat_map(|v| self.candidates(v).into_iter().map(move |c| (v, c)))
            .min_by_key(|(v, c)| (self.counts[*v][*c], *v, *c));
        match c {
            Some((v, c)) => {
                self.withhold(v, c);
                true
            }
            None => false,
        }
    }
}

/// Run suppression over the base and every breakdown system to a fixed point.
pub(crate) fn protect(universe: &Universe, base: &mut System, systems: &mut [System]) {
    base.tally(universe);
    base.mark_sensitive(None);
    base.primary();
    for s in systems.iter_mut() {
        s.tally(universe);
        s.mark_sensitive(base.counts.first().map(Vec::as_slice));
        s.primary();
    }
    let total = |base: &System, systems: &[System]| {
        base.withheld_count() + systems.iter().map(System::withheld_count).sum::<usize>()
    };
    // Each round withholds at least one more cell or ends, so this ends.
    loop {
        let before = total(base, systems);
        let (parts, from_breakdowns) = breakdown_parts(universe, systems);
        // The base, given what the breakdowns say of it. A base count the breakdowns alone give
        // away is hidden by withholding in the breakdown that says most of the base.
        if base.close_block(universe, 0, &from_breakdowns) > 0 {
            let widest = (0..systems.len()).max_by_key(|k| parts[*k].dim());
            if let Some(k) = widest {
                systems[k].withhold_smallest(None);
            }
        }
        // Each breakdown's blocks, given the base and the other breakdowns' part of it. A count
        // that the other blocks and the base give away is hidden by withholding in another
        // block, or failing that in the base.
        for (k, s) in systems.iter_mut().enumerate() {
            let known_base = known_base(universe, base, &parts, k);
            for v in 0..s.blocks() {
                let spans = s.all_spans(universe);
                let shared = s.shared(universe, &known_base, &spans, v);
                if s.close_block(universe, v, &shared) > 0 && !s.withhold_smallest(Some(v)) {
                    base.withhold_smallest(None);
                }
            }
        }
        if total(base, systems) == before {
            break;
        }
    }
    release_known(universe, base, systems);
}

/// What each breakdown's published cells say of the base, and all of them together.
fn breakdown_parts(universe: &Universe, systems: &mut [System]) -> (Vec<Span>, Span) {
    let parts: Vec<Span> = systems
        .iter_mut()
        .map(|s| {
            let spans = s.all_spans(universe);
            s.base_part(universe, &spans)
        })
        .collect();
    let all = parts
        .iter()
        .fold(Span::new(universe.dim()), |acc, p| acc.plus(p));
    (parts, all)
}

/// What is known of the base besides breakdown `k`: the published base cells and what every
/// other breakdown says of it.
fn known_base(universe: &Universe, base: &mut System, parts: &[Span], k: usize) -> Span {
    (0..parts.len())
        .filter(|j| *j != k)
        .fold(base.block_span(universe, 0), |acc, j| acc.plus(&parts[j]))
}

/// Publish again every withheld count of 5 or more that the published counts already give
/// away (the secondary suppression's side effect: a county's count withheld to hide a
/// district's, when the county's total less its other published breakdown values gives it).
/// A reader who sees it "withheld" would otherwise work it out anyway, and a withheld cell must
/// not be recoverable. Publishing a count already in the span of what is known adds nothing to
/// that span, so no count of 1-4 becomes exposed.
fn release_known(universe: &Universe, base: &mut System, systems: &mut [System]) {
    let (parts, from_breakdowns) = breakdown_parts(universe, systems);
    let known = base.block_span(universe, 0).plus(&from_breakdowns);
    let releasable = |s: &System, v: usize, known: &Span| -> Vec<usize> {
        (0..s.counts[v].len())
            .filter(|i| s.withheld[v][*i] && !s.sensitive[v][*i])
            .filter(|i| known.contains(&universe.vectors[*i]))
            .collect()
    };
    let mut plan: Vec<(Option<usize>, usize, Vec<usize>)> =
        vec![(None, 0, releasable(base, 0, &known))];
    for (k, s) in systems.iter_mut().enumerate() {
        let known_base = known_base(universe, base, &parts, k);
        let spans = s.all_spans(universe);
        for v in 0..s.blocks() {
            let shared = s.shared(universe, &known_base, &spans, v);
            let known = spans[v].plus(&shared);
            plan.push((Some(k), v, releasable(s, v, &known)));
        }
    }
    // Every decision above was made on the spans before any release, and a release adds
    // nothing to what is known, so they can all be applied.
    for (k, v, cells) in plan {
        let s = match k {
            Some(k) => &mut systems[k],
            None => &mut *base,
        };
        for i in cells {
            s.release(v, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two districts (units 0 and 1) in one county, three years.
    fn universe() -> Universe {
        let groups = [
            BTreeSet::from([0]),
            BTreeSet::from([1]),
            BTreeSet::from([0, 1]),
        ];
        Universe::new((2021, 2023), false, vec!["A".into(), "B".into()], groups)
    }

    #[test]
    fn a_county_less_its_published_district_does_not_give_the_other_away() {
        let u = universe();
        let mut base = System::new(&u, Vec::new(), true);
        for (year, unit, n) in [
            (2021, 0, 20),
            (2021, 1, 3),
            (2022, 0, 15),
            (2022, 1, 12),
            (2023, 0, 11),
            (2023, 1, 9),
        ] {
            for _ in 0..n {
                base.add(&u, 0, u.time(Some(year)), unit);
            }
        }
        protect(&u, &mut base, &mut []);
        let b2021 = (Window::Year(2021), 1, 0);
        assert!(base.is_withheld(&u, b2021));
        // The county total for 2021 (23) or district A's (20) must go too, and every way of
        // subtracting (all years, rolling totals) must be closed.
        let known = base.block_span(&u, 0);
        let i = u.index(Window::Year(2021), 1).unwrap();
        assert!(!known.contains(&u.vectors[i]));
    }

    #[test]
    fn a_breakdown_cannot_be_completed_from_the_total() {
        let u = universe();
        let mut base = System::new(&u, Vec::new(), true);
        let mut sex = System::new(&u, vec!["female".into(), "male".into()], true);
        for (value, n) in [(0, 2), (1, 30)] {
            for _ in 0..n {
                base.add(&u, 0, u.time(Some(2022)), 0);
                sex.add(&u, value, u.time(Some(2022)), 0);
            }
        }
        let mut systems = [sex];
        protect(&u, &mut base, &mut systems);
        let female = (Window::Year(2022), 0, 0);
        assert!(systems[0].is_withheld(&u, female));
        // Knowing every published cell of both tables still leaves it open.
        let base_span = base.block_span(&u, 0);
        let spans = systems[0].all_spans(&u);
        let shared = systems[0].shared(&u, &base_span, &spans, 0);
        let i = u.index(female.0, female.1).unwrap();
        assert!(!spans[0].plus(&shared).contains(&u.vectors[i]));
    }

    #[test]
    fn a_multi_valued_count_does_not_give_away_the_few_without_the_value() {
        // Random registers with a multi-valued breakdown ("known to mental health services",
        // "seen by a GP"): wherever the base cell is published, a published count of a value
        // leaves the records without it at 0 or 5 or more; and a count so withheld cannot be
        // worked out from the block's other cells.
        let u = universe();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut complements_hidden = 0;
        for _ in 0..60 {
            let mut base = System::new(&u, Vec::new(), true);
            let mut contact = System::new(&u, vec!["gp".into(), "mental_health".into()], false);
            for _ in 0..20 + next(60) {
                let (year, unit) = (2021 + next(3) as i32, next(2) as usize);
                base.add(&u, 0, u.time(Some(year)), unit);
                // Most records have both values, so complements are often small.
                for v in 0..2 {
                    if next(10) > 0 {
                        contact.add(&u, v, u.time(Some(year)), unit);
                    }
                }
            }
            let mut systems = [contact];
            protect(&u, &mut base, &mut systems);
            let spans = systems[0].all_spans(&u);
            for i in 0..u.n_cells() {
                for (v, span) in spans.iter().enumerate() {
                    let (n, total) = (systems[0].counts[v][i], base.counts[0][i]);
                    let rest = total - n;
                    if n > 0 && (1..=4).contains(&rest) {
                        assert!(
                            systems[0].withheld[v][i],
                            "cell {i}: {n} of {total} published"
                        );
                        assert!(!span.contains(&u.vectors[i]), "cell {i} worked out");
                        complements_hidden += 1;
                    }
                }
            }
        }
        assert!(complements_hidden > 20, "{complements_hidden}");
    }

    #[test]
    fn no_withheld_count_can_be_worked_out_from_what_is_published() {
        // Many small random registers: two districts, three years, a sex breakdown. Whatever
        // is withheld, small or not, stays out of the span of what is published.
        let u = universe();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..60 {
            let mut base = System::new(&u, Vec::new(), true);
            let mut sex = System::new(&u, vec!["female".into(), "male".into()], true);
            let records = 20 + next(60);
            for _ in 0..records {
                let (year, unit, value) = (
                    2021 + next(3) as i32,
                    next(2) as usize,
                    next(3).min(1) as usize,
                );
                base.add(&u, 0, u.time(Some(year)), unit);
                sex.add(&u, value, u.time(Some(year)), unit);
            }
            let mut systems = [sex];
            protect(&u, &mut base, &mut systems);
            let base_span = base.block_span(&u, 0);
            let spans = systems[0].all_spans(&u);
            let from_sex = systems[0].base_part(&u, &spans);
            let known_base = base_span.plus(&from_sex);
            for i in 0..u.n_cells() {
                if base.withheld[0][i] {
                    assert!(
                        !known_base.contains(&u.vectors[i]),
                        "base cell {i} ({})",
                        base.counts[0][i]
                    );
                }
                for v in 0..2 {
                    if systems[0].withheld[v][i] {
                        let shared = systems[0].shared(&u, &base_span, &spans, v);
                        assert!(
                            !spans[v].plus(&shared).contains(&u.vectors[i]),
                            "block {v} cell {i} ({})",
                            systems[0].counts[v][i]
                        );
                    }
                }
            }
        }
    }
}

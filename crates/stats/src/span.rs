//! Linear algebra over the prime field GF(p), p = 2^61 - 1, for disclosure checks: is a
//! withheld cell's indicator vector a combination of published cells' vectors? Counts are
//! linear in the records, so a withheld count is determined by published ones exactly when its
//! vector is in their span. The vectors are 0/1; their span over GF(p) agrees with their span
//! over the rationals unless p divides a minor of the matrix, which for the small systems
//! disclosure control builds (a few dozen unknowns) is far below p.

/// The prime 2^61 - 1.
pub const P: u64 = (1 << 61) - 1;

fn mul(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    // Reduction modulo a Mersenne prime: fold the high bits onto the low ones.
    let lo = (r as u64) & P;
    let hi = (r >> 61) as u64;
    let s = lo + hi;
    if s >= P { s - P } else { s }
}

fn sub(a: u64, b: u64) -> u64 {
    if a >= b { a - b } else { a + P - b }
}

fn pow(mut a: u64, mut e: u64) -> u64 {
    let mut r = 1;
    while e > 0 {
        if e & 1 == 1 {
            r = mul(r, a);
        }
        a = mul(a, a);
        e >>= 1;
    }
    r
}

fn inverse(a: u64) -> u64 {
    pow(a, P - 2)
}

/// A subspace of GF(p)^n, kept as rows in reduced echelon form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    n: usize,
    /// `(pivot column, row)`, the pivot entry 1 and zero in every other row.
    rows: Vec<(usize, Vec<u64>)>,
}

impl Span {
    /// The zero subspace of GF(p)^n.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            rows: Vec::new(),
        }
    }

    /// The span of `vectors` (each of length n).
    pub fn of<'a>(n: usize, vectors: impl IntoIterator<Item = &'a [u64]>) -> Self {
        let mut s = Self::new(n);
        for v in vectors {
            s.insert(v);
        }
        s
    }

    /// The dimension of the space the vectors live in.
    pub fn ambient(&self) -> usize {
        self.n
    }

    /// The subspace's dimension.
    pub fn dim(&self) -> usize {
        self.rows.len()
    }

    /// Its basis.
    pub fn basis(&self) -> impl Iterator<Item = &[u64]> {
        self.rows.iter().map(|(_, r)| r.as_slice())
    }

    /// `v` less its components along the basis: zero exactly when `v` is in the span.
    fn reduce(&self, v: &[u64]) -> Vec<u64> {
        let mut v: Vec<u64> = v.iter().map(|x| x % P).collect();
        v.resize(self.n, 0);
        for (pivot, row) in &self.rows {
            let f = v[*pivot];
            if f != 0 {
                for (x, r) in v.iter_mut().zip(row) {
                    if *r != 0 {
                        *x = sub(*x, mul(f, *r));
                    }
                }
            }
        }
        v
    }

    /// Whether `v` is in the span.
    pub fn contains(&self, v: &[u64]) -> bool {
        self.reduce(v).iter().all(|x| *x == 0)
    }

    /// Add `v`; whether the span grew.
    pub fn insert(&mut self, v: &[u64]) -> bool {
        let mut r = self.reduce(v);
        let Some(pivot) = r.iter().position(|x| *x != 0) else {
            return false;
        };
        let inv = inverse(r[pivot]);
        for x in &mut r {
            *x = mul(*x, inv);
        }
        for (_, row) in &mut self.rows {
            let f = row[pivot];
            if f != 0 {
                for (x, y) in row.iter_mut().zip(&r) {
                    if *y != 0 {
                        *x = sub(*x, mul(f, *y));
                    }
                }
            }
        }
        self.rows.push((pivot, r));
        true
    }

    /// The sum of two subspaces.
    pub fn plus(&self, other: &Self) -> Self {
        let mut s = self.clone();
        for v in other.basis() {
            s.insert(v);
        }
        s
    }

    /// The intersection of two subspaces (Zassenhaus's algorithm: reduce the rows `[a | a]` and
    /// `[b | 0]`; the rows whose left half is zero hold a basis of the intersection on the right).
    pub fn intersect(&self, other: &Self) -> Self {
        let n = self.n;
        let mut z = Self::new(2 * n);
        for a in self.basis() {
            let mut row = a.to_vec();
            row.extend_from_slice(a);
            z.insert(&row);
        }
        for b in other.basis() {
            let mut row = b.to_vec();
            row.resize(2 * n, 0);
            z.insert(&row);
        }
        let mut out = Self::new(n);
        for (pivot, row) in &z.rows {
            if *pivot >= n {
                out.insert(&row[n..]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_contain_their_combinations_and_nothing_else() {
        let s = Span::of(3, [&[1, 1, 0][..], &[0, 1, 1][..]]);
        assert_eq!(s.dim(), 2);
        assert!(s.contains(&[1, 0, P - 1])); // a - b
        assert!(s.contains(&[2, 3, 1]));
        assert!(!s.contains(&[1, 0, 0]));
        let mut t = s;
        assert!(!t.insert(&[1, 2, 1]));
        assert!(t.insert(&[0, 0, 1]));
        assert!(t.contains(&[1, 0, 0]));
    }

    #[test]
    fn intersections_are_what_both_spans_hold() {
        // The xy-plane and the yz-plane meet in the y-axis.
        let xy = Span::of(3, [&[1, 0, 0][..], &[0, 1, 0][..]]);
        let yz = Span::of(3, [&[0, 1, 1][..], &[0, 0, 1][..]]);
        let y = xy.intersect(&yz);
        assert_eq!(y.dim(), 1);
        assert!(y.contains(&[0, 5, 0]));
        assert!(!y.contains(&[1, 0, 0]));
        assert_eq!(xy.intersect(&Span::new(3)).dim(), 0);
        assert_eq!(xy.plus(&yz).dim(), 3);
    }

    #[test]
    fn field_arithmetic_is_exact() {
        for a in [1, 2, 3, 12_345_678_901, P - 1] {
            assert_eq!(mul(a, inverse(a)), 1);
        }
        assert_eq!(mul(P - 1, P - 1), 1);
    }
}

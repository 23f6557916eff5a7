//! A small deterministic generator for Monte Carlo work: SplitMix64 (Steele, Lea and Flood 2014),
//! which passes BigCrush and needs no dependency. Each replication seeds its own stream from the
//! analysis seed and its index, so results do not depend on how work is split among threads.

/// SplitMix64.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    /// A stream for replication `index` of an analysis seeded with `seed`.
    pub(crate) fn stream(seed: u64, index: u64) -> Self {
        let mut s = Self(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        s.next();
        s
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by rejection so that it is unbiased.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next();
            if v < zone {
                return (v % n) as usize;
            }
        }
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        let x = (self.next() >> 11) as f64;
        x * (1.0 / (1u64 << 53) as f64)
    }
}

//! What the import benches share: a seeded generator, timing a command, running `lantern`.
#![allow(dead_code, reason = "each bench uses part of this")]

use std::process::Command;
use std::time::{Duration, Instant};

/// xorshift64*: enough to vary the rows, with no dependency.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub(crate) fn time(what: &str, cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

pub(crate) fn lantern(url: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lantern"));
    c.args(args)
        .arg("--database-url")
        .arg(url)
        .env("LANTERN_PSEUDONYM_KEY", "ab".repeat(32));
    c
}

//! A progress bar on standard error, shown only when standard error is a terminal, so logs and
//! pipes stay clean.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::time::Instant;

pub(crate) struct Bar {
    label: String,
    enabled: bool,
    last: Mutex<Option<Instant>>,
}

impl Bar {
    pub(crate) fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            enabled: std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    /// A line for the phases before the bar moves (reading and checking a large file).
    pub(crate) fn note(&self, message: &str) {
        if self.enabled {
            eprintln!("{message}");
        }
    }

    pub(crate) fn update(&self, done: u64, total: u64) {
        if !self.enabled || total == 0 {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let now = Instant::now();
        if done < total && last.is_some_and(|t| now.duration_since(t).as_millis() < 100) {
            return;
        }
        *last = Some(now);
        let width = 30;
        let filled = (done.min(total) * width / total) as usize;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{}{}] {:>3}% {done}/{total}",
            self.label,
            "#".repeat(filled),
            " ".repeat(width as usize - filled),
            done.min(total) * 100 / total
        );
        if done >= total {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}

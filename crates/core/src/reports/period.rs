//! The period a report covers, as a person writes it on the command line or in a form:
//!
//! | Written | Meaning |
//! | --- | --- |
//! | `2024` | the calendar year |
//! | `2024Q3`, `2024-Q3` | the calendar quarter (July to September) |
//! | `2024-25`, `2024/25` | the financial year, April 2024 to March 2025 |
//! | `2024-07` | one month (`2011-12` is the financial year; write December 2011 as `2011-12..2011-12`) |
//! | `2024-04..2025-03` | the months from one to the other, both included |
//!
//! Every period is a whole number of months, so that it lines up with the register's monthly
//! figures and a report's "the same period a year before" is well defined.

use chrono::{Datelike, Months, NaiveDate};

/// A report's period: whole months from `first` to `last`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportPeriod {
    /// The first day of the first month.
    first: NaiveDate,
    /// The number of months (at least 1).
    months: u32,
    /// How it was written, for its label.
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Year,
    Quarter,
    FinancialYear,
    Month,
    Months,
}

/// The most months a period may span (ten years).
pub const MAX_MONTHS: u32 = 120;

fn month_start(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

/// `YYYY` as a year between 1900 and 2999.
fn year_of(text: &str) -> Option<i32> {
    (text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
        .filter(|y| (1900..=2999).contains(y))
}

/// `YYYY-MM`.
fn month_of(text: &str) -> Option<NaiveDate> {
    let (y, m) = text.split_once('-')?;
    if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    month_start(year_of(y)?, m.parse().ok()?)
}

impl ReportPeriod {
    /// Read a period as written (see the module's table); surrounding spaces are ignored.
    ///
    /// # Errors
    /// A message that names the forms accepted, or says what is wrong with a form that was
    /// nearly right (a financial year whose second half is not the next year, a range that
    /// runs backwards or over ten years).
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let forms = "a year (2024), a quarter (2024Q3), a financial year (2024-25), a month \
                     (2024-07) or a range of months (2024-04..2025-03)";
        let bad = || format!("'{t}' is not a period: write {forms}");
        if let Some(year) = year_of(t) {
            return Ok(Self {
                first: month_start(year, 1).ok_or_else(bad)?,
                months: 12,
                kind: Kind::Year,
            });
        }
        if let Some((from, to)) = t.split_once("..") {
            let (Some(a), Some(b)) = (month_of(from.trim()), month_of(to.trim())) else {
                return Err(bad());
            };
            if b < a {
                return Err(format!("the range '{t}' ends before it starts"));
            }
            let months = (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32 + 1;
            let months = u32::try_from(months).map_err(|_| bad())?;
            if months > MAX_MONTHS {
                return Err(format!(
                    "the range '{t}' spans {months} months; a report covers at most {MAX_MONTHS}"
                ));
            }
            return Ok(Self {
                first: a,
                months,
                kind: Kind::Months,
            });
        }
        let upper = t.to_ascii_uppercase();
        if let Some((y, q)) = upper
            .split_once("-Q")
            .or_else(|| upper.split_once('Q'))
            .filter(|(_, q)| q.len() == 1)
        {
            let (Some(year), Ok(q @ 1..=4)) = (year_of(y), q.parse::<u32>()) else {
                return Err(bad());
            };
            return Ok(Self {
                first: month_start(year, 3 * q - 2).ok_or_else(bad)?,
                months: 3,
                kind: Kind::Quarter,
            });
        }
        if let Some((y, next)) = t.split_once(['-', '/'])
            && let Some(year) = year_of(y)
            && next.len() == 2
            && next.bytes().all(|b| b.is_ascii_digit())
        {
            let expected = (year + 1) % 100;
            if next.parse::<i32>().ok() == Some(expected) {
                return Ok(Self {
                    first: month_start(year, 4).ok_or_else(bad)?,
                    months: 12,
                    kind: Kind::FinancialYear,
                });
            }
            if month_of(t).is_none() {
                return Err(format!(
                    "'{t}' is not a financial year: the year after {year} ends in {expected:02}, as in {year}-{expected:02}"
                ));
            }
        }
        if let Some(first) = month_of(t) {
            return Ok(Self {
                first,
                months: 1,
                kind: Kind::Month,
            });
        }
        Err(bad())
    }

    /// The first day.
    #[must_use]
    pub fn start(&self) -> NaiveDate {
        self.first
    }

    /// The last day.
    #[must_use]
    pub fn end(&self) -> NaiveDate {
        self.first
            .checked_add_months(Months::new(self.months))
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }

    /// The number of whole months.
    #[must_use]
    pub fn months(&self) -> u32 {
        self.months
    }

    /// Whether `date` falls in the period.
    #[must_use]
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start() <= date && date <= self.end()
    }

    /// The period of the same length just before (the last quarter, the year before), in the
    /// same form; `None` before the years a period can name.
    #[must_use]
    pub fn previous(&self) -> Option<Self> {
        let first = self.first.checked_sub_months(Months::new(self.months))?;
        (first.year() >= 1900).then_some(Self { first, ..*self })
    }

    /// The same months a year earlier (for "against the year before").
    #[must_use]
    pub fn a_year_before(&self) -> Option<Self> {
        let first = self.first.checked_sub_months(Months::new(12))?;
        (first.year() >= 1900).then_some(Self { first, ..*self })
    }

    /// The period as it is written, and parses back to itself: `2024`, `2024Q3`, `2024-25`,
    /// `2024-07` or `2024-04..2025-03`.
    #[must_use]
    pub fn label(&self) -> String {
        let (y, m) = (self.first.year(), self.first.month());
        match self.kind {
            Kind::Year => format!("{y}"),
            Kind::Quarter => format!("{y}Q{}", (m - 1) / 3 + 1),
            Kind::FinancialYear => format!("{y}-{:02}", (y + 1) % 100),
            // `2011-12` reads as the financial year 2011-12: December 2011 is written as a range.
            Kind::Month if i32::try_from(m).ok() == Some((y + 1) % 100) => {
                format!("{y}-{m:02}..{y}-{m:02}")
            }
            Kind::Month => format!("{y}-{m:02}"),
            Kind::Months => {
                let last = self.end();
                format!("{y}-{m:02}..{}-{:02}", last.year(), last.month())
            }
        }
    }

    /// The period in words for a report's cover: "the year 2024", "July to September 2024",
    /// "the financial year April 2024 to March 2025", "July 2024", "April 2024 to March 2025".
    #[must_use]
    pub fn describe(&self) -> String {
        let month = |d: NaiveDate| d.format("%B %Y").to_string();
        let (start, end) = (self.start(), self.end());
        match self.kind {
            Kind::Year => format!("the year {}", start.year()),
            Kind::Quarter => format!("{} to {}", start.format("%B"), month(end)),
            Kind::FinancialYear => {
                format!("the financial year {} to {}", month(start), month(end))
            }
            Kind::Month => month(start),
            Kind::Months => format!("{} to {}", month(start), month(end)),
        }
    }
}

impl std::fmt::Display for ReportPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl std::str::FromStr for ReportPeriod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    #[test]
    fn each_form_covers_its_months() {
        let cases = [
            ("2024", d(2024, 1, 1), d(2024, 12, 31), 12),
            (" 2024Q3 ", d(2024, 7, 1), d(2024, 9, 30), 3),
            ("2024-q1", d(2024, 1, 1), d(2024, 3, 31), 3),
            ("2024-25", d(2024, 4, 1), d(2025, 3, 31), 12),
            ("2099/00", d(2099, 4, 1), d(2100, 3, 31), 12),
            ("2024-02", d(2024, 2, 1), d(2024, 2, 29), 1),
            ("2024-04..2025-03", d(2024, 4, 1), d(2025, 3, 31), 12),
            ("2024-11 .. 2024-11", d(2024, 11, 1), d(2024, 11, 30), 1),
        ];
        for (text, start, end, months) in cases {
            let p = ReportPeriod::parse(text).expect(text);
            assert_eq!(
                (p.start(), p.end(), p.months()),
                (start, end, months),
                "{text}"
            );
        }
        let q = ReportPeriod::parse("2024Q1").expect("a quarter");
        assert_eq!(q.previous().map(|p| p.label()), Some("2023Q4".to_owned()));
        assert_eq!(
            q.a_year_before().map(|p| p.label()),
            Some("2023Q1".to_owned())
        );
        assert_eq!(
            ReportPeriod::parse("2024-25").expect("fy").describe(),
            "the financial year April 2024 to March 2025"
        );
        assert_eq!(
            ReportPeriod::parse("2024Q3").expect("q").describe(),
            "July to September 2024"
        );
    }

    #[test]
    fn near_misses_say_what_is_wrong() {
        for (text, says) in [
            ("2024-26", "the year after 2024 ends in 25"),
            ("2025-03..2024-04", "ends before it starts"),
            ("2000-01..2024-12", "at most 120"),
            ("2024Q5", "not a period"),
            ("2024-13", "not a financial year"),
            ("24", "not a period"),
            ("", "not a period"),
            ("last year", "not a period"),
            ("2024-04..", "not a period"),
            ("１２３４", "not a period"),
        ] {
            let e = ReportPeriod::parse(text).expect_err(text);
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    fn any_period() -> impl Strategy<Value = ReportPeriod> {
        // A range of up to ten years that starts in 2989 still ends by 2999, the last year read.
        (1901..2989i32, 1..=12u32, 0..5usize, 1..=MAX_MONTHS).prop_map(|(y, m, kind, n)| {
            let text = match kind {
                0 => format!("{y}"),
                1 => format!("{y}Q{}", (m - 1) / 3 + 1),
                2 => format!("{y}-{:02}", (y + 1) % 100),
                3 => format!("{y}-{m:02}"),
                _ => {
                    let first = month_start(y, m).expect("a month");
                    let last = first
                        .checked_add_months(Months::new(n - 1))
                        .expect("a month");
                    format!("{y}-{m:02}..{}-{:02}", last.year(), last.month())
                }
            };
            ReportPeriod::parse(&text).expect("a period")
        })
    }

    proptest! {
        #[test]
        fn a_label_reads_back_as_the_same_period(p in any_period()) {
            prop_assert_eq!(ReportPeriod::parse(&p.label()), Ok(p));
            prop_assert!(p.start() <= p.end());
            prop_assert_eq!(p.start().day(), 1);
            prop_assert!(p.end().succ_opt().is_none_or(|n| n.day() == 1));
            prop_assert!(p.contains(p.start()) && p.contains(p.end()));
        }

        #[test]
        fn the_previous_period_ends_the_day_before(p in any_period()) {
            if let Some(q) = p.previous() {
                prop_assert_eq!(q.end().succ_opt(), Some(p.start()));
                prop_assert_eq!(q.months(), p.months());
            }
        }

        #[test]
        fn any_text_is_read_or_refused_without_a_panic(text in "\\PC{0,24}") {
            let _ = ReportPeriod::parse(&text);
        }
    }
}

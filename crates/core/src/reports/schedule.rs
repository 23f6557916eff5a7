//! Report schedules: "the quarterly report for the county, partner audience, on the first Monday
//! of each quarter". The server checks them (on a clock that tests can set), makes each report
//! that has come due in every format and keeps the files, so the group downloads the same
//! bytes whenever it looks.

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::{Kind, ReportPeriod, Request};
use crate::indicators::Audience;

/// How often a schedule runs, and so which period each run reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cadence {
    /// The first Monday of each month, for the month before.
    Monthly,
    /// The first Monday of each quarter (January, April, July, October), for the quarter
    /// before.
    Quarterly,
    /// The first Monday of the year, for the year before.
    Yearly,
}

impl Cadence {
    /// Parse `monthly|quarterly|yearly`.
    ///
    /// # Errors
    /// A message listing the choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "monthly" => Ok(Self::Monthly),
            "quarterly" => Ok(Self::Quarterly),
            "yearly" | "annual" => Ok(Self::Yearly),
            other => Err(format!(
                "'{other}' is not how often a report runs: monthly|quarterly|yearly"
            )),
        }
    }

    /// `monthly`, `quarterly` or `yearly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Quarterly => "quarterly",
            Self::Yearly => "yearly",
        }
    }

    /// The schedule in words: "on the first Monday of each quarter".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Monthly => "on the first Monday of each month, for the month before",
            Self::Quarterly => "on the first Monday of each quarter, for the quarter before",
            Self::Yearly => "on the first Monday of the year, for the year before",
        }
    }

    fn months(self) -> u32 {
        match self {
            Self::Monthly => 1,
            Self::Quarterly => 3,
            Self::Yearly => 12,
        }
    }

    /// The latest period whose run day (the first Monday after it ends) is on or before
    /// `today`, with that day.
    pub fn latest_due(self, today: NaiveDate) -> Option<(ReportPeriod, NaiveDate)> {
        // The period that holds today starts on a boundary; the one before it is due once the
        // first Monday of this one has come, otherwise the one before that.
        let n = self.months();
        let month0 = today.month0() / n * n;
        let current = NaiveDate::from_ymd_opt(today.year(), month0 + 1, 1)?;
        for back in 1..=2 {
            let start = current.checked_sub_months(chrono::Months::new(n * back))?;
            let end = start.checked_add_months(chrono::Months::new(n))?;
            let run = first_monday_from(end);
            if run <= today {
                let text = match self {
                    // `2011-12` would read as a financial year: write such a month as a range.
                    Self::Monthly => {
                        match ReportPeriod::parse(&start.format("%Y-%m").to_string()) {
                            Ok(p) if p.months() == 1 => return Some((p, run)),
                            _ => start.format("%Y-%m..%Y-%m").to_string(),
                        }
                    }
                    Self::Quarterly => format!("{}Q{}", start.year(), start.month0() / 3 + 1),
                    Self::Yearly => start.year().to_string(),
                };
                return ReportPeriod::parse(&text).ok().map(|p| (p, run));
            }
        }
        None
    }
}

/// The first Monday on or after `d`.
fn first_monday_from(d: NaiveDate) -> NaiveDate {
    let ahead = (7 + Weekday::Mon.num_days_from_monday() as i64
        - d.weekday().num_days_from_monday() as i64)
        % 7;
    d + chrono::Duration::days(ahead)
}

/// A schedule as it is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSchedule {
    /// The report's kind (`audit`, `quarterly`, ...).
    pub kind: String,
    /// How often.
    pub cadence: Cadence,
    /// The area (all when `None`).
    pub area: Option<String>,
    /// `statutory`, `partner` or `public`.
    pub audience: String,
    /// The deep dive's ages, as `10-24`.
    #[serde(default)]
    pub ages: Option<String>,
    /// The plan (plan progress).
    #[serde(default)]
    pub plan: Option<i64>,
    /// Who made it.
    pub created_by: String,
}

impl NewSchedule {
    /// The report request for one period.
    ///
    /// # Errors
    /// A kind, audience or ages that no longer parse.
    pub fn request(&self, period: ReportPeriod) -> Result<Request, String> {
        Ok(Request {
            kind: Kind::parse(&self.kind)?,
            period,
            area: self.area.clone(),
            audience: Audience::parse(&self.audience)?,
            ages: match &self.ages {
                Some(a) => super::parse_ages(a)?,
                None => super::CYP_AGES,
            },
            plan: self.plan,
        })
    }

    /// The schedule in words: "Quarterly report, partner audience, all areas, on the first
    /// Monday of each quarter, for the quarter before".
    pub fn describe(&self) -> String {
        let kind =
            Kind::parse(&self.kind).map_or_else(|_| self.kind.clone(), |k| k.title().to_owned());
        format!(
            "{kind}, {} audience, {}, {}",
            self.audience,
            self.area.as_deref().unwrap_or("all areas"),
            self.cadence.describe()
        )
    }
}

/// A stored schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    /// Its id.
    pub id: i64,
    /// What it makes.
    #[serde(flatten)]
    pub schedule: NewSchedule,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// One run of a schedule: the report it made, kept in every format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportRun {
    /// Its id.
    pub id: i64,
    /// The schedule.
    pub schedule_id: i64,
    /// The period reported on (`2026Q3`).
    pub period: String,
    /// When it ran.
    pub ran_at: DateTime<Utc>,
    /// The report's title.
    pub title: String,
    /// The data snapshot's hash.
    pub snapshot: String,
    /// The formats kept.
    pub formats: Vec<String>,
}

/// The formats every run keeps.
pub const RUN_FORMATS: [&str; 4] = ["html", "pdf", "csv", "xlsx"];

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn a_quarter_is_due_from_the_first_monday_of_the_next() {
        // 2027-01-04 is the first Monday of 2027.
        let (p, run) = Cadence::Quarterly.latest_due(d("2027-01-04")).expect("due");
        assert_eq!((p.label(), run), ("2026Q4".to_owned(), d("2027-01-04")));
        // The Sunday before, the quarter before that is the latest due.
        let (p, _) = Cadence::Quarterly.latest_due(d("2027-01-03")).expect("due");
        assert_eq!(p.label(), "2026Q3");
        let (p, run) = Cadence::Yearly.latest_due(d("2026-12-04")).expect("due");
        assert_eq!((p.label(), run), ("2025".to_owned(), d("2026-01-05")));
        let (p, run) = Cadence::Monthly.latest_due(d("2026-12-07")).expect("due");
        assert_eq!((p.label(), run), ("2026-11".to_owned(), d("2026-12-07")));
        let (p, _) = Cadence::Monthly.latest_due(d("2026-12-06")).expect("due");
        assert_eq!(p.label(), "2026-10");
    }

    #[test]
    fn every_day_has_a_due_period_that_ended_before_it() {
        let mut day = d("2019-12-25");
        while day < d("2021-03-10") {
            for c in [Cadence::Monthly, Cadence::Quarterly, Cadence::Yearly] {
                let (p, run) = c.latest_due(day).expect("due");
                assert!(p.end() < run && run <= day, "{c:?} {day}: {p} {run}");
                assert_eq!(run.weekday(), Weekday::Mon);
                assert!((run - p.end()).num_days() <= 7);
            }
            day = day.succ_opt().expect("a day");
        }
    }
}

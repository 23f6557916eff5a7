//! Timescales as plans write them, and the due date they imply.
//!
//! The words are always kept verbatim; the due date is the last day the words allow, so an
//! action "due March 2025" is overdue from 1 April 2025. Several timescales in one cell (a cell
//! per sub-action) give the latest date. "Ongoing" and words with no date give none.

use chrono::{Datelike, NaiveDate};

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// The month a word names (`mar`, `March`, `Sept.`), 1-12.
pub(crate) fn month(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    let i = MONTHS.iter().position(|m| w.starts_with(m))?;
    // "march", "mar", "sept": the word must be a prefix of the month's full name.
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ][i];
    (full.starts_with(&w) || w == "sept").then_some(i as u32 + 1)
}

/// The last day of a month.
pub(crate) fn last_day(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

fn year(word: &str) -> Option<i32> {
    let w = word.trim_end_matches(['.', ',', ')']);
    if w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()) {
        let y: i32 = w.parse().ok()?;
        (1990..=2100).contains(&y).then_some(y)
    } else {
        None
    }
}

/// `31/3/25`, `31/03/2025`, `2025-03-31`, `31.3.2025`.
fn numeric_date(word: &str) -> Option<NaiveDate> {
    let w = word.trim_end_matches(['.', ',', ')', ';']);
    if let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
        return Some(d);
    }
    let parts: Vec<&str> = w.split(['/', '.']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let d: u32 = parts[0].parse().ok()?;
    let m: u32 = parts[1].parse().ok()?;
    let mut y: i32 = parts[2].parse().ok()?;
    if parts[2].len() == 2 {
        y += 2000;
    } else if parts[2].len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `2024/25` or `2024-25`: a financial year, ending 31 March.
fn financial_year(word: &str) -> Option<NaiveDate> {
    let w = word.trim_end_matches(['.', ',', ')']);
    let (a, b) = w.split_once(['/', '-'])?;
    let start = year(a)?;
    let end: i32 = match b.len() {
        2 => (start / 100) * 100 + b.parse::<i32>().ok()?,
        4 => b.parse().ok()?,
        _ => return None,
    };
    (end == start + 1).then(|| NaiveDate::from_ymd_opt(end, 3, 31))?
}

/// The due dates the words name, each the last day they allow.
fn dates_in(text: &str) -> Vec<NaiveDate> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        let next = words.get(i + 1).map(String::as_str);
        let lower = w.to_ascii_lowercase();
        if let Some(d) = numeric_date(w) {
            out.push(d);
        } else if let Some(d) = financial_year(w) {
            out.push(d);
        } else if let (Some(m), Some(y)) = (month(w), next.and_then(year)) {
            // "March 2025"; "31 March 2025" when a day came before.
            let day = i
                .checked_sub(1)
                .and_then(|p| {
                    words[p]
                        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                        .parse::<u32>()
                        .ok()
                })
                .and_then(|d| NaiveDate::from_ymd_opt(y, m, d));
            if let Some(d) = day.or_else(|| last_day(y, m)) {
                out.push(d);
            }
            i += 1;
        } else if let Some(q) = lower.strip_prefix('q').and_then(|q| q.parse::<u32>().ok())
            && (1..=4).contains(&q)
            && let Some(n) = next
        {
            // "Q3 2025" (calendar) or "Q3 2025/26" (financial: Q1 is April-June).
            if let Some(fy_end) = financial_year(n) {
                let m = [6, 9, 12, 3][q as usize - 1];
                let y = if q == 4 {
                    fy_end.year()
                } else {
                    fy_end.year() - 1
                };
                out.extend(last_day(y, m));
                i += 1;
            } else if let Some(y) = year(n) {
                out.extend(last_day(y, q * 3));
                i += 1;
            }
        } else if let Some(y) = year(w) {
            // A bare year: "End of 2024", "Mid 2025", "2025", "Spring 2025" (a winter, an end
            // or a bare year is December).
            let before = i.checked_sub(1).map(|p| words[p].to_ascii_lowercase());
            let m = match before.as_deref() {
                Some("mid") => 6,
                Some("spring") => 5,
                Some("summer") => 8,
                Some("autumn") => 11,
                Some("early") => 3,
                _ => 12,
            };
            out.extend(last_day(y, m));
        }
        i += 1;
    }
    out
}

/// The due date of a timescale: the latest date it names, or `None` ("Ongoing", no date).
pub fn due_date(text: &str) -> Option<NaiveDate> {
    dates_in(text).into_iter().max()
}

/// The timescale is "ongoing" (or "continuous", "annual", ...): it has no end.
pub fn is_ongoing(text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    [
        "ongoing",
        "on-going",
        "continuous",
        "annually",
        "annual",
        "rolling",
    ]
    .iter()
    .any(|w| t.starts_with(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn the_ways_plans_write_dates() {
        assert_eq!(due_date("March 2025"), d(2025, 3, 31));
        assert_eq!(due_date("31/3/25"), d(2025, 3, 31));
        assert_eq!(due_date("31/12/24"), d(2024, 12, 31));
        assert_eq!(due_date("21/12/2025"), d(2025, 12, 21));
        assert_eq!(due_date("End of 2024"), d(2024, 12, 31));
        assert_eq!(due_date("Mid 2025"), d(2025, 6, 30));
        assert_eq!(due_date("June 2025"), d(2025, 6, 30));
        assert_eq!(due_date("Sept 2025"), d(2025, 9, 30));
        assert_eq!(due_date("by 14 February 2026"), d(2026, 2, 14));
        assert_eq!(due_date("2025-03-31"), d(2025, 3, 31));
        assert_eq!(due_date("2024/25"), d(2025, 3, 31));
        assert_eq!(due_date("Q3 2025"), d(2025, 9, 30));
        assert_eq!(due_date("Q3 2025/26"), d(2025, 12, 31));
        assert_eq!(due_date("Q4 2025/26"), d(2026, 3, 31));
        assert_eq!(
            due_date("April 2025; April 2025; September 2025; Ongoing"),
            d(2025, 9, 30)
        );
    }

    #[test]
    fn words_without_a_date_have_no_due_date() {
        for t in [
            "Ongoing",
            "ongoing",
            "TBC",
            "when funding allows",
            "",
            "May",
        ] {
            assert_eq!(due_date(t), None, "{t}");
        }
        assert!(is_ongoing("Ongoing"));
        assert!(!is_ongoing("March 2025"));
    }
}

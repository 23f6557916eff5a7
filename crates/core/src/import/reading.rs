//! Reading the values people write into the canonical text the register's fields parse:
//! UK dates (`03/02/2021`, `3/2/21`, `03-Feb-2021`), local times, codes given by their
//! labels or in capitals, and text in Windows-1252 as Excel saves "CSV (Comma delimited)".
//!
//! Nothing here guesses silently. An ambiguous date is read in the order the person chose
//! (`--date-order`, day first by default); an impossible one is refused with what was tried.

use chrono::{Datelike as _, NaiveDate, NaiveDateTime, NaiveTime};

use crate::codes::CodeList;

/// The order of day, month and year in a date written with numbers only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    /// `03/02/2021` is 3 February (the UK's way).
    #[default]
    Dmy,
    /// `03/02/2021` is 2 March.
    Mdy,
    /// `2021/02/03` is 3 February.
    Ymd,
}

impl std::str::FromStr for DateOrder {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "dmy" => Ok(Self::Dmy),
            "mdy" => Ok(Self::Mdy),
            "ymd" => Ok(Self::Ymd),
            _ => Err(format!("'{s}' is not a date order: use dmy, mdy or ymd")),
        }
    }
}

impl DateOrder {
    fn describe(self) -> &'static str {
        match self {
            Self::Dmy => "day/month/year",
            Self::Mdy => "month/day/year",
            Self::Ymd => "year/month/day",
        }
    }
}

/// The month of a name or its first three letters (`Feb`, `February`, `Sept`), as plan
/// timescales read them.
fn month_of(word: &str) -> Option<u32> {
    crate::plans::timescale::month(word)
}

/// A year of two digits in the century that puts it no later than `today`'s year.
fn full_year(digits: &str, today: NaiveDate) -> Option<i32> {
    let y: i32 = digits.parse().ok()?;
    match digits.len() {
        4 => Some(y),
        2 => {
            let this = today.year();
            let century = this - this.rem_euclid(100);
            Some(if century + y > this {
                century - 100 + y
            } else {
                century + y
            })
        }
        _ => None,
    }
}

/// Read a date written any of the ways a UK file writes one, as `YYYY-MM-DD` text.
/// `today` decides the century of two-digit years.
///
/// # Errors
/// A message for the person fixing the file, naming the forms read.
pub fn read_date(s: &str, order: DateOrder, today: NaiveDate) -> Result<NaiveDate, String> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    let forms = "a date (such as 2021-02-03, 03/02/2021, 3/2/21 or 03-Feb-2021)";
    let parts: Vec<&str> = s
        .split(['/', '-', '.', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    let bad = || format!("'{s}' is not {forms}");
    if parts.len() != 3 || s.len() > 40 {
        return Err(bad());
    }
    // With a month name the order is plain: `03-Feb-2021`, `Feb 3 2021`, `2021-Feb-03`.
    let named: Option<usize> = parts.iter().position(|p| month_of(p).is_some());
    let (y, m, d) = if let Some(i) = named {
        let month = month_of(parts[i]).ok_or_else(bad)?;
        let rest: Vec<&str> = parts
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| *p)
            .collect();
        let (day, year) = if rest[0].len() == 4 {
            (rest[1], rest[0])
        } else {
            (rest[0], rest[1])
        };
        let dd: u32 = day.parse().map_err(|_| bad())?;
        (year.to_owned(), month, dd)
    } else {
        if !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad());
        }
        // A four-digit first part is a year whatever the order.
        let (yy, mm, dd) = if parts[0].len() == 4 || order == DateOrder::Ymd {
            (parts[0], parts[1], parts[2])
        } else if order == DateOrder::Mdy {
            (parts[2], parts[0], parts[1])
        } else {
            (parts[2], parts[1], parts[0])
        };
        let m: u32 = mm.parse().map_err(|_| bad())?;
        let d: u32 = dd.parse().map_err(|_| bad())?;
        (yy.to_owned(), m, d)
    };
    let year = full_year(&y, today).ok_or_else(bad)?;
    NaiveDate::from_ymd_opt(year, m, d).ok_or_else(|| {
        let hint = if named.is_none() && order != DateOrder::Ymd {
            format!(
                " (read as {}; if the file writes dates another way, give --date-order)",
                order.describe()
            )
        } else {
            String::new()
        };
        format!("'{s}' is not a date that exists{hint}")
    })
}

/// The offset of UK clock time from UTC at a local time: one hour in British Summer Time
/// (from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October).
fn uk_offset_hours(local: NaiveDateTime) -> i64 {
    let last_sunday = |month: u32| -> Option<NaiveDate> {
        let first_next = if month == 12 {
            NaiveDate::from_ymd_opt(local.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(local.year(), month + 1, 1)
        }?;
        let last = first_next.pred_opt()?;
        let back = last.weekday().num_days_from_sunday();
        last.checked_sub_days(chrono::Days::new(u64::from(back)))
    };
    let (Some(start), Some(end)) = (last_sunday(3), last_sunday(10)) else {
        return 0;
    };
    // Local times at the changes: 01:00 GMT becomes 02:00 BST; 02:00 BST becomes 01:00 GMT.
    let begins = start.and_hms_opt(1, 0, 0);
    let ends = end.and_hms_opt(1, 0, 0);
    match (begins, ends) {
        (Some(b), Some(e)) if local >= b && local < e => 1,
        _ => 0,
    }
}

/// Read a date, or a date and a UK clock time (`03/02/2021 14:35`), as the register's text:
/// `YYYY-MM-DD`, or RFC 3339 in UTC. RFC 3339 text with its own offset is kept as it is.
///
/// # Errors
/// As [`read_date`], and for a time that is not `HH:MM` or `HH:MM:SS`.
pub fn read_date_or_time(s: &str, order: DateOrder, today: NaiveDate) -> Result<String, String> {
    let s = s.trim();
    if s.len() > 10 && chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return Ok(s.to_owned());
    }
    // `2021-02-03T14:35` or `03/02/2021 14:35[:10]`: a local time.
    let split = s.rfind([' ', 'T']).filter(|&i| s[i + 1..].contains(':'));
    let Some(at) = split else {
        return read_date(s, order, today).map(|d| d.format("%Y-%m-%d").to_string());
    };
    let date = read_date(&s[..at], order, today)?;
    let clock = s[at + 1..].trim();
    let time = NaiveTime::parse_from_str(clock, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
        .map_err(|_| format!("'{clock}' in '{s}' is not a time (HH:MM or HH:MM:SS)"))?;
    let local = date.and_time(time);
    let utc = local - chrono::Duration::hours(uk_offset_hours(local));
    Ok(utc.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Fold text for matching a label: lower case, `&` as "and", and any run of spaces and
/// punctuation as one space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.trim().chars() {
        if c == '&' {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str("and");
            gap = true;
        } else if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// The code a person meant: the code itself in any case, or its label (folded as [`fold`]
/// does, so `Hanging, strangulation & suffocation` finds `hanging`).
pub fn code_for<'a>(list: &'a CodeList, s: &str) -> Option<&'a str> {
    let s = s.trim();
    if let Some(c) = list.codes.iter().find(|c| c.code == s) {
        return Some(&c.code);
    }
    if let Some(c) = list.codes.iter().find(|c| c.code.eq_ignore_ascii_case(s)) {
        return Some(&c.code);
    }
    let folded = fold(s);
    list.codes
        .iter()
        .find(|c| fold(&c.label) == folded || fold(&c.code) == folded)
        .map(|c| c.code.as_str())
}

/// How a file's text is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    Utf8,
    /// Windows-1252, as Excel saves "CSV (Comma delimited)" in the UK.
    Windows1252,
}

impl std::str::FromStr for TextEncoding {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(Self::Utf8),
            "windows-1252" | "cp1252" | "latin1" | "iso-8859-1" => Ok(Self::Windows1252),
            _ => Err(format!(
                "'{s}' is not an encoding Lantern reads: use utf-8 or windows-1252"
            )),
        }
    }
}

impl TextEncoding {
    /// The name as people write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Windows1252 => "Windows-1252",
        }
    }
}

/// Whether a stream of bytes is UTF-8 throughout, read a buffer at a time (a character may be
/// split across reads).
#[derive(Debug, Default)]
pub(crate) struct Utf8Check {
    /// The start of a character cut off at the end of the last buffer.
    carry: Vec<u8>,
    /// A byte that is not UTF-8 has been seen.
    pub(crate) failed: bool,
}

impl Utf8Check {
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        if self.failed {
            return;
        }
        let mut rest = bytes;
        // Finish the character cut off last time, a byte at a time.
        while !self.carry.is_empty() {
            let Some((&b, tail)) = rest.split_first() else {
                return;
            };
            self.carry.push(b);
            rest = tail;
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_none() && self.carry.len() < 4 => {}
                Err(_) => {
                    self.failed = true;
                    return;
                }
            }
        }
        match std::str::from_utf8(rest) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => {
                self.carry = rest[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.failed = true,
        }
    }

    /// Whether the stream ended as UTF-8.
    pub(crate) fn finish(&self) -> bool {
        !self.failed && self.carry.is_empty()
    }
}

/// A reader that turns Windows-1252 bytes into UTF-8 as they pass.
pub(crate) struct Windows1252Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    out: Vec<u8>,
    at: usize,
    done: bool,
}

impl<R: std::io::Read> Windows1252Reader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            decoder: encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
            raw: vec![0; 64 << 10],
            out: Vec::with_capacity(192 << 10),
            at: 0,
            done: false,
        }
    }
}

impl<R: std::io::Read> std::io::Read for Windows1252Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.raw)?;
            let last = n == 0;
            self.out.clear();
            self.at = 0;
            let need = self.decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
            self.out.resize(need, 0);
            let (_, _, written, _) =
                self.decoder
                    .decode_to_utf8(&self.raw[..n], &mut self.out, last);
            self.out.truncate(written);
            self.done = last;
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    const TODAY: fn() -> NaiveDate = || day(2026, 12, 5);

    #[test]
    fn uk_dates_are_read_in_every_common_form() {
        let want = day(2021, 2, 3);
        for s in [
            "2021-02-03",
            "03/02/2021",
            "3/2/2021",
            "3/2/21",
            "03-02-2021",
            "03.02.2021",
            "03-Feb-2021",
            "3 Feb 2021",
            "3 February 2021",
            "03-FEB-21",
            "2021/02/03",
            " 03/02/2021 ",
        ] {
            assert_eq!(read_date(s, DateOrder::Dmy, TODAY()), Ok(want), "{s}");
        }
        assert_eq!(read_date("02/03/2021", DateOrder::Mdy, TODAY()), Ok(want));
        assert_eq!(read_date("21/02/03", DateOrder::Ymd, TODAY()), Ok(want));
        assert_eq!(read_date("Feb 3 2021", DateOrder::Mdy, TODAY()), Ok(want));
    }

    #[test]
    fn impossible_and_odd_dates_are_refused_with_a_hint() {
        let e = read_date("02/13/2021", DateOrder::Dmy, TODAY()).unwrap_err();
        assert!(
            e.contains("does not exist") || e.contains("not a date that exists"),
            "{e}"
        );
        assert!(e.contains("--date-order"), "{e}");
        for s in [
            "31/02/2021",
            "2021-02-30",
            "yesterday",
            "3/2",
            "1/2/3/4",
            "03-Fbr-2021",
            "",
        ] {
            assert!(read_date(s, DateOrder::Dmy, TODAY()).is_err(), "{s}");
        }
    }

    #[test]
    fn two_digit_years_are_never_in_the_future() {
        assert_eq!(
            read_date("1/1/26", DateOrder::Dmy, TODAY()),
            Ok(day(2026, 1, 1))
        );
        assert_eq!(
            read_date("1/1/27", DateOrder::Dmy, TODAY()),
            Ok(day(1927, 1, 1))
        );
        assert_eq!(
            read_date("1/1/00", DateOrder::Dmy, TODAY()),
            Ok(day(2000, 1, 1))
        );
    }

    #[test]
    fn uk_clock_times_become_utc() {
        // Winter: GMT.
        assert_eq!(
            read_date_or_time("03/02/2021 14:35", DateOrder::Dmy, TODAY()).unwrap(),
            "2021-02-03T14:35:00Z"
        );
        // Summer: BST is an hour ahead.
        assert_eq!(
            read_date_or_time("03/07/2021 14:35:10", DateOrder::Dmy, TODAY()).unwrap(),
            "2021-07-03T13:35:10Z"
        );
        // BST began at 01:00 UTC on 28 March 2021 and ended at 01:00 UTC on 31 October.
        assert_eq!(
            read_date_or_time("2021-03-28T00:59", DateOrder::Dmy, TODAY()).unwrap(),
            "2021-03-28T00:59:00Z"
        );
        assert_eq!(
            read_date_or_time("2021-03-28T02:30", DateOrder::Dmy, TODAY()).unwrap(),
            "2021-03-28T01:30:00Z"
        );
        assert_eq!(
            read_date_or_time("31/10/2021 01:30", DateOrder::Dmy, TODAY()).unwrap(),
            "2021-10-31T01:30:00Z"
        );
        assert_eq!(
            read_date_or_time("2021-07-03T14:35:00+01:00", DateOrder::Dmy, TODAY()).unwrap(),
            "2021-07-03T14:35:00+01:00"
        );
        assert_eq!(
            read_date_or_time("3/2/21", DateOrder::Dmy, TODAY()).unwrap(),
            "2021-02-03"
        );
        assert!(read_date_or_time("03/02/2021 25:00", DateOrder::Dmy, TODAY()).is_err());
    }

    #[test]
    fn codes_are_found_by_any_case_and_by_label() {
        let sex = crate::codes::list("sex");
        assert_eq!(code_for(sex, "Male"), Some("male"));
        assert_eq!(code_for(sex, "FEMALE"), Some("female"));
        assert_eq!(code_for(sex, "M"), None);
        let methods = crate::codes::list("method_group");
        let hanging = methods.get("hanging").unwrap();
        assert_eq!(
            code_for(methods, &hanging.label.to_uppercase()),
            Some("hanging")
        );
        assert_eq!(
            code_for(methods, &hanging.label.replace(" and ", " & ")),
            Some("hanging")
        );
        let status = crate::codes::list("suicide_status");
        assert_eq!(code_for(status, "Suspected"), Some("suspected"));
    }

    #[test]
    fn utf8_is_told_from_windows_1252_across_buffer_ends() {
        let text = "Zoë, café, naïve — “quoted”".as_bytes();
        for cut in 0..text.len() {
            let mut check = Utf8Check::default();
            check.feed(&text[..cut]);
            check.feed(&text[cut..]);
            assert!(check.finish(), "cut at {cut}");
        }
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode("Zoë, café");
        for cut in 0..latin.len() {
            let mut check = Utf8Check::default();
            check.feed(&latin[..cut]);
            check.feed(&latin[cut..]);
            assert!(!check.finish(), "cut at {cut}");
        }
        let mut decoded = String::new();
        std::io::Read::read_to_string(&mut Windows1252Reader::new(&latin[..]), &mut decoded)
            .unwrap();
        assert_eq!(decoded, "Zoë, café");
    }

    proptest::proptest! {
        /// Every date written day-first, month-first or year-first reads back as itself.
        #[test]
        fn every_written_date_reads_back(y in 1930_i32..2026, m in 1_u32..=12, d in 1_u32..=28) {
            let date = day(y, m, d);
            let dmy = format!("{d:02}/{m:02}/{y}");
            let mdy = format!("{m}/{d}/{y}");
            let names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
            let named = format!("{d}-{}-{y}", names[m as usize - 1]);
            proptest::prop_assert_eq!(read_date(&dmy, DateOrder::Dmy, TODAY()), Ok(date));
            proptest::prop_assert_eq!(read_date(&mdy, DateOrder::Mdy, TODAY()), Ok(date));
            proptest::prop_assert_eq!(read_date(&named, DateOrder::Mdy, TODAY()), Ok(date));
        }

        /// Any bytes: the check agrees with the standard library.
        #[test]
        fn the_streaming_check_agrees_with_from_utf8(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            cut in 0_usize..64,
        ) {
            let cut = cut.min(bytes.len());
            let mut check = Utf8Check::default();
            check.feed(&bytes[..cut]);
            check.feed(&bytes[cut..]);
            proptest::prop_assert_eq!(check.finish(), std::str::from_utf8(&bytes).is_ok());
        }
    }
}

//! The support directory: services people can turn to (bereavement by suicide, crisis, gambling,
//! domestic abuse, talking therapies, men's groups, ...), the areas and ages each serves, how to
//! reach it, and when its entry was last checked.
//!
//! [`parse_services`] reads a directory file (CSV or XLSX, any column order, the usual other
//! names for the columns) all or nothing, every problem as `FILE:LINE: COLUMN: message`;
//! [`import_services`] writes it, idempotent by each entry's reference. [`search`] answers the
//! public page and `GET /api/v1/support` alike.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{Months, NaiveDate};
use serde::Serialize;

use crate::ImportSummary;
use crate::area::Area;
use crate::codes::CodeList;
use crate::import::columns::{Columns, Spec};
use crate::import::reading::{DateOrder, fold, read_date};
use crate::import::{ImportError, Problems, Table, read_table};
use crate::store::{ServiceStore, SummaryAudit};

/// The code list of needs.
pub const NEEDS: &str = "support_need";

/// An entry is due to be checked again this many months after it was last verified; past it,
/// the public page says so beside the entry and its owners are reminded.
pub const VERIFY_MONTHS: u32 = 6;

/// The word for an entry that serves every area of the partnership.
pub const ALL_AREAS: &str = "all";

/// How people reach a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// People contact it themselves.
    SelfReferral,
    /// A professional refers them.
    Referral,
    /// Either.
    Both,
}

impl Access {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfReferral => "self_referral",
            Self::Referral => "referral",
            Self::Both => "both",
        }
    }

    /// Words for the public page.
    pub fn label(self) -> &'static str {
        match self {
            Self::SelfReferral => "Contact them yourself",
            Self::Referral => "Needs a referral (a GP or another professional)",
            Self::Both => "Contact them yourself, or ask a professional to refer you",
        }
    }

    /// Read the words a directory uses: `self_referral`, `self`, `self-referral`, `referral`,
    /// `professional referral`, `both`, `self or professional`.
    ///
    /// # Errors
    /// A message naming the words read.
    pub fn parse(s: &str) -> Result<Self, String> {
        let f = fold(s);
        let self_ref = f.starts_with("self") || f == "open access" || f == "drop in";
        let referral = f.contains("referral") || f.contains("professional") || f == "refer";
        match f.as_str() {
            "both" | "either" => Ok(Self::Both),
            _ if self_ref && (f.contains(" or ") || f.contains(" and ")) => Ok(Self::Both),
            _ if self_ref => Ok(Self::SelfReferral),
            _ if referral => Ok(Self::Referral),
            _ => Err(format!(
                "'{}' is not one of self_referral|referral|both",
                crate::text::printable(s.trim(), 40)
            )),
        }
    }
}

/// One entry of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    /// The entry's reference, unique in the directory: a re-import updates the entry by it.
    pub reference: String,
    /// The service's name.
    pub name: String,
    /// The organisation that runs it (and whose leads keep the entry).
    pub organisation: String,
    /// Needs met, as codes of [`NEEDS`].
    pub needs: Vec<String>,
    /// Areas served, as area codes, or [`ALL_AREAS`].
    pub areas: Vec<String>,
    /// The youngest age served.
    pub age_min: Option<u32>,
    /// The oldest age served.
    pub age_max: Option<u32>,
    /// How people reach it.
    pub access: Access,
    /// What to do, in words ("Call or text; they will arrange a first meeting").
    pub how_to_access: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Opening hours, in words.
    pub hours: Option<String>,
    /// What it offers, in words.
    pub description: Option<String>,
    /// The day the entry was last checked with the service.
    pub last_verified: NaiveDate,
}

impl Service {
    /// The day the entry is due to be checked again.
    pub fn verify_by(&self) -> NaiveDate {
        self.last_verified
            .checked_add_months(Months::new(VERIFY_MONTHS))
            .unwrap_or(self.last_verified)
    }

    /// Whether the entry has gone unchecked past [`VERIFY_MONTHS`] on `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        today > self.verify_by()
    }

    /// Whether the service takes people of `age`.
    pub fn serves_age(&self, age: u32) -> bool {
        self.age_min.is_none_or(|m| age >= m) && self.age_max.is_none_or(|m| age <= m)
    }

    /// The ages served, in words: "All ages", "18 and over", "Up to 25", "11 to 18".
    pub fn ages(&self) -> String {
        match (self.age_min, self.age_max) {
            (None | Some(0), None) => "All ages".to_owned(),
            (Some(a), None) => format!("{a} and over"),
            (None | Some(0), Some(b)) => format!("Up to {b}"),
            (Some(a), Some(b)) => format!("{a} to {b}"),
        }
    }
}

/// The columns of a directory file, each with the other names it goes by (folded).
const COLUMNS: [Spec; 15] = [
    (
        "reference",
        &["reference", "ref", "id", "service id", "service ref"],
    ),
    ("name", &["name", "service", "service name"]),
    (
        "organisation",
        &["organisation", "organization", "provider", "org", "run by"],
    ),
    (
        "needs",
        &["needs", "need", "categories", "category", "support for"],
    ),
    (
        "areas",
        &["areas", "area", "areas served", "area codes", "coverage"],
    ),
    (
        "age_min",
        &["age min", "min age", "minimum age", "from age"],
    ),
    ("age_max", &["age max", "max age", "maximum age", "to age"]),
    (
        "access",
        &["access", "referral", "referral type", "self referral"],
    ),
    (
        "how_to_access",
        &[
            "how to access",
            "how to refer",
            "referral route",
            "how to get help",
        ],
    ),
    ("phone", &["phone", "telephone", "tel", "phone number"]),
    ("email", &["email", "e mail", "email address"]),
    ("website", &["website", "web", "url", "link"]),
    (
        "hours",
        &["hours", "opening hours", "opening times", "when"],
    ),
    (
        "description",
        &["description", "about", "what they offer", "summary"],
    ),
    (
        "last_verified",
        &[
            "last verified",
            "verified",
            "last checked",
            "checked",
            "date verified",
        ],
    ),
];

/// The columns [`write_csv`] writes and [`parse_services`] reads back.
pub fn csv_columns() -> [&'static str; 15] {
    COLUMNS.map(|c| c.0)
}

/// The need a word names: the code, its label or one of its other words, in any case.
pub fn need_for(s: &str) -> Option<&'static str> {
    let list: &'static CodeList = crate::codes::list(NEEDS);
    if let Some(c) = crate::import::reading::code_for(list, s) {
        return Some(c);
    }
    let f = fold(s);
    list.codes
        .iter()
        .find(|c| c.extra.split(';').any(|w| fold(w) == f))
        .map(|c| c.code.as_str())
}

/// Split a cell of several values (`;`, `|`, `,` or new lines between them).
fn items(s: &str) -> impl Iterator<Item = &str> {
    s.split([';', '|', ',', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
}

fn check_phone(s: &str) -> Result<(), String> {
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_digit() || " +()-.".contains(c));
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if ok_chars && (3..=15).contains(&digits) {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not a telephone number (digits, spaces, + and brackets; 3 to 15 digits)",
            crate::text::printable(s, 40)
        ))
    }
}

fn check_website(s: &str) -> Result<(), String> {
    let lower = s.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(r) if r.contains('.') && !s.chars().any(|c| c.is_whitespace() || c == '"') => Ok(()),
        _ => Err(format!(
            "'{}' is not a web address: give it whole, beginning https://",
            crate::text::printable(s, 60)
        )),
    }
}

fn check_email(s: &str) -> Result<(), String> {
    let ok = match s.split_once('@') {
        Some((user, host)) => {
            !user.is_empty()
                && host.contains('.')
                && !host.starts_with('.')
                && !host.ends_with('.')
                && !s
                    .chars()
                    .any(|c| c.is_whitespace() || "<>\"'@".contains(c) && c != '@')
                && s.matches('@').count() == 1
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not an email address",
            crate::text::printable(s, 60)
        ))
    }
}

fn check_age(s: &str) -> Result<Option<u32>, String> {
    let t = s.trim().trim_end_matches('+');
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<u32>() {
        Ok(a) if a <= 120 => Ok(Some(a)),
        _ => Err(format!(
            "'{}' is not an age (a whole number from 0 to 120)",
            crate::text::printable(s, 20)
        )),
    }
}

/// Read a directory file. `known_area` says whether an area code is held (import the areas
/// first); `today` refuses a verification date in the future.
///
/// # Errors
/// Every problem, each with its line and column; nothing is returned unless the whole file is
/// good.
pub fn parse_services(
    table: &Table,
    known_area: &dyn Fn(&str) -> bool,
    today: NaiveDate,
) -> Result<Vec<Service>, ImportError> {
    let mut problems = Problems::new(&table.file);
    let Some(cols) = Columns::locate(
        table,
        &COLUMNS,
        &[
            "reference",
            "name",
            "organisation",
            "needs",
            "areas",
            "access",
            "last_verified",
        ],
        &mut problems,
    ) else {
        return problems.into_result(Vec::new());
    };
    let header = |name: &str| cols.header(name);
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, cells) in &table.rows {
        let line = *line;
        let texts = cols.cells(line, cells, &mut problems);
        let text = |n: &str| texts.get(n).cloned();
        let mut need_text = |name: &str, what: &str| -> Option<String> {
            let t = text(name);
            if t.is_none() {
                problems.add(line, &header(name), format!("{what} is empty"));
            }
            t
        };
        let reference = need_text("reference", "the reference");
        let name = need_text("name", "the service's name");
        let organisation = need_text("organisation", "the organisation");
        let needs_text = need_text("needs", "the needs it meets");
        let areas_text = need_text("areas", "the areas it serves (area codes, or all)");
        let access_text = need_text("access", "how people reach it");
        let verified_text = need_text("last_verified", "the date it was last checked");
        let mut needs = Vec::new();
        for word in needs_text.iter().flat_map(|t| items(t)) {
            match need_for(word) {
                Some(c) if !needs.iter().any(|n| n == c) => needs.push(c.to_owned()),
                Some(_) => {}
                None => problems.add(
                    line,
                    &header("needs"),
                    format!(
                        "'{}' is not one of {}",
                        crate::text::printable(word, 40),
                        crate::codes::list(NEEDS).choices()
                    ),
                ),
            }
        }
        let mut areas = Vec::new();
        for word in areas_text.iter().flat_map(|t| items(t)) {
            if word.eq_ignore_ascii_case(ALL_AREAS) || fold(word) == "all areas" {
                areas.push(ALL_AREAS.to_owned());
            } else {
                let code = word.to_ascii_uppercase();
                if known_area(&code) {
                    areas.push(code);
                } else {
                    problems.add(
                        line,
                        &header("areas"),
                        format!(
                            "'{}' is not a known area code (import areas first), nor all",
                            crate::text::printable(word, 40)
                        ),
                    );
                }
            }
        }
        if areas.len() > 1 && areas.iter().any(|a| a == ALL_AREAS) {
            problems.add(
                line,
                &header("areas"),
                "all serves every area: give it alone, or list the areas",
            );
        }
        let access = access_text.and_then(|t| {
            Access::parse(&t)
                .map_err(|e| problems.add(line, &header("access"), e))
                .ok()
        });
        let mut age = |name: &str| {
            text(name).and_then(|t| {
                check_age(&t)
                    .map_err(|e| problems.add(line, &header(name), e))
                    .ok()
                    .flatten()
            })
        };
        let (age_min, age_max) = (age("age_min"), age("age_max"));
        if let (Some(a), Some(b)) = (age_min, age_max)
            && a > b
        {
            problems.add(
                line,
                &header("age_max"),
                format!("the oldest age {b} is below the youngest {a}"),
            );
        }
        let mut checked = |name: &str, check: fn(&str) -> Result<(), String>| {
            text(name).filter(|t| {
                check(t)
                    .map_err(|e| problems.add(line, &header(name), e))
                    .is_ok()
            })
        };
        let phone = checked("phone", check_phone);
        let email = checked("email", check_email);
        let website = checked("website", check_website);
        if text("phone").is_none() && text("email").is_none() && text("website").is_none() {
            problems.add(
                line,
                &header("phone"),
                "give at least one way to get in touch: a phone, an email or a website",
            );
        }
        let last_verified =
            verified_text.and_then(|t| match read_date(&t, DateOrder::Dmy, today) {
                Ok(d) if d > today => {
                    problems.add(
                        line,
                        &header("last_verified"),
                        format!("{d} is in the future"),
                    );
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    problems.add(line, &header("last_verified"), e);
                    None
                }
            });
        if let Some(r) = &reference {
            if r.chars().count() > 64 {
                problems.add(line, &header("reference"), "is longer than 64 characters");
            }
            if let Some(first) = seen.insert(r.to_lowercase(), line) {
                problems.add(
                    line,
                    &header("reference"),
                    format!("repeats the reference on line {first}"),
                );
            }
        }
        let (
            Some(reference),
            Some(name),
            Some(organisation),
            Some(access),
            Some(last_verified),
            false,
            false,
        ) = (
            reference,
            name,
            organisation,
            access,
            last_verified,
            needs.is_empty(),
            areas.is_empty(),
        )
        else {
            continue;
        };
        out.push(Service {
            reference,
            name,
            organisation,
            needs,
            areas,
            age_min,
            age_max,
            access,
            how_to_access: text("how_to_access"),
            phone,
            email,
            website,
            hours: text("hours"),
            description: text("description"),
            last_verified,
        });
    }
    if out.is_empty() && problems.is_empty() {
        problems.add(1, &header("reference"), "the file holds no services");
    }
    problems.into_result(out)
}

/// Write the directory as CSV with [`csv_columns`], text neutralised as in every CSV Lantern
/// writes; importing the file again changes nothing.
///
/// # Errors
/// A write failure.
pub fn write_csv(services: &[Service], out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = crate::export::CsvWriter::new(out);
    w.write_record(csv_columns())?;
    for s in services {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let num = |v: Option<u32>| v.map(|a| a.to_string()).unwrap_or_default();
        w.write_record([
            s.reference.clone(),
            s.name.clone(),
            s.organisation.clone(),
            s.needs.join(";"),
            s.areas.join(";"),
            num(s.age_min),
            num(s.age_max),
            s.access.as_str().to_owned(),
            opt(&s.how_to_access),
            opt(&s.phone),
            opt(&s.email),
            opt(&s.website),
            opt(&s.hours),
            opt(&s.description),
            s.last_verified.to_string(),
        ])?;
    }
    w.flush()
}

/// Import a directory file: every entry or none, updated by reference, with the audit entry
/// (when `audit_by` is given) in the same transaction.
///
/// # Errors
/// Problems in the file, or a store failure; in both cases nothing is written.
pub async fn import_services(
    store: &dyn crate::Store,
    path: &Path,
    dry_run: bool,
    today: NaiveDate,
    audit_by: Option<crate::import::AuditBy<'_>>,
) -> Result<ImportSummary, ImportError> {
    let table = read_table(path)?;
    let areas: HashSet<String> = store
        .areas(None)
        .await?
        .into_iter()
        .map(|a| a.code)
        .collect();
    let services = parse_services(&table, &|c| areas.contains(c), today)?;
    let audit = audit_by.map(|by| by.summary_entry("services_import", path));
    let source = crate::import::source_name(path);
    Ok(ServiceStore::upsert_services(
        store,
        &services,
        &source,
        dry_run,
        audit.as_ref().map(|a| a as SummaryAudit<'_>),
    )
    .await?)
}

/// A search of the directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// An area code: services serving it, an area around it, or an area within it.
    pub area: Option<String>,
    /// A need's code.
    pub need: Option<String>,
    /// The age of the person needing help.
    pub age: Option<u32>,
}

/// The entries matching `search`, by name: an area matches a service that serves it, an area
/// containing it (a county's service for a district) or an area inside it (a district's service
/// for its county), and every entry that serves all areas.
pub fn search<'a>(services: &'a [Service], areas: &[Area], q: &Search) -> Vec<&'a Service> {
    let parent: HashMap<&str, &str> = areas
        .iter()
        .filter_map(|a| a.parent_code.as_deref().map(|p| (a.code.as_str(), p)))
        .collect();
    let ancestors = |code: &str| -> Vec<String> {
        let mut out = vec![code.to_owned()];
        let mut c = code;
        for _ in 0..16 {
            match parent.get(c) {
                Some(p) => {
                    out.push((*p).to_owned());
                    c = p;
                }
                None => break,
            }
        }
        out
    };
    let around: HashSet<String> = q
        .area
        .as_deref()
        .map(|a| ancestors(a).into_iter().collect())
        .unwrap_or_default();
    let mut out: Vec<&Service> = services
        .iter()
        .filter(|s| {
            q.area.as_deref().is_none_or(|a| {
                s.areas.iter().any(|x| {
                    x == ALL_AREAS || around.contains(x) || ancestors(x).iter().any(|y| y == a)
                })
            })
        })
        .filter(|s| {
            q.need
                .as_deref()
                .is_none_or(|n| s.needs.iter().any(|x| x == n))
        })
        .filter(|s| q.age.is_none_or(|a| s.serves_age(a)))
        .collect();
    by_name(&mut out);
    out
}

/// Order entries by name (ignoring case), then reference.
pub fn by_name(list: &mut [&Service]) {
    list.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.reference.cmp(&b.reference))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).expect("date")
    }

    fn table(text: &str) -> Table {
        Table::from_csv("services.csv", text.as_bytes()).expect("a table")
    }

    fn known(c: &str) -> bool {
        ["E07000001", "E07000002", "E10000001"].contains(&c)
    }

    fn parse(text: &str) -> Result<Vec<Service>, Vec<String>> {
        parse_services(&table(text), &known, today()).map_err(|e| match e {
            ImportError::Invalid(list) => list.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        })
    }

    const GOOD: &str = "reference,name,organisation,needs,areas,age_min,age_max,access,phone,website,last_verified\n\
        S1,Harbour Bereavement,Harbour Trust,Bereaved by suicide;crisis,E07000001,18,,self,0300 123 4567,https://harbour.example,01/10/2026\n\
        S2,Young Minds Drop-in,Youth Org,CYP|counselling,all,11,25,Professional referral,,https://youth.example,2026-03-01\n";

    #[test]
    fn a_directory_is_read_with_its_words_for_needs_and_access() {
        let s = parse(GOOD).expect("good");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].needs, ["bereavement_by_suicide", "crisis"]);
        assert_eq!(s[0].access, Access::SelfReferral);
        assert_eq!(
            s[0].last_verified,
            NaiveDate::from_ymd_opt(2026, 10, 1).expect("d")
        );
        assert_eq!(s[0].ages(), "18 and over");
        assert_eq!(s[1].needs, ["children_young_people", "talking_therapies"]);
        assert_eq!(s[1].areas, [ALL_AREAS]);
        assert_eq!(s[1].access, Access::Referral);
        assert_eq!(s[1].ages(), "11 to 25");
        assert!(
            s[1].overdue(today()),
            "checked in March, overdue in December"
        );
        assert!(!s[0].overdue(today()));
    }

    #[test]
    fn other_column_names_and_orders_are_read() {
        let text = "Last checked,Service name,Provider,Support for,Areas served,Referral type,Telephone,Ref\n\
            5 Nov 2026,Gamble Free,GF Trust,problem gambling,e07000002,Self-referral or professional,116 123,G1\n";
        let s = parse(text).expect("good");
        assert_eq!(s[0].reference, "G1");
        assert_eq!(s[0].needs, ["gambling"]);
        assert_eq!(s[0].areas, ["E07000002"]);
        assert_eq!(s[0].access, Access::Both);
    }

    #[test]
    fn bad_rows_are_refused_by_line_and_column() {
        let text = "reference,name,organisation,needs,areas,age_min,age_max,access,phone,email,website,last_verified\n\
            S1,Good,Org,crisis,E07000001,,,self,999,,,2026-01-01\n\
            S2,,Org,astrology,E09999999,30,20,sometimes,call us,not-an-email,www.example.com,2027-01-01\n\
            S1,Repeat,Org,crisis,all;E07000001,,,self,,,,31/02/2026\n";
        let problems = parse(text).expect_err("bad");
        let want = [
            "services.csv:3: name: the service's name is empty",
            "services.csv:3: needs: 'astrology' is not one of",
            "services.csv:3: areas: 'E09999999' is not a known area code",
            "services.csv:3: access: 'sometimes' is not one of self_referral|referral|both",
            "services.csv:3: age_max: the oldest age 20 is below the youngest 30",
            "services.csv:3: phone: 'call us' is not a telephone number",
            "services.csv:3: email: 'not-an-email' is not an email address",
            "services.csv:3: website: 'www.example.com' is not a web address",
            "services.csv:3: last_verified: 2027-01-01 is in the future",
            "services.csv:4: areas: all serves every area",
            "services.csv:4: phone: give at least one way to get in touch",
            "services.csv:4: last_verified:",
            "services.csv:4: reference: repeats the reference on line 2",
        ];
        for w in want {
            assert!(
                problems.iter().any(|p| p.starts_with(w)),
                "missing {w}: {problems:#?}"
            );
        }
        assert_eq!(problems.len(), want.len(), "{problems:#?}");
    }

    #[test]
    fn missing_columns_and_an_empty_file_are_named() {
        let p = parse("name,phone\n").expect_err("bad");
        assert!(
            p.iter()
                .any(|x| x == "services.csv:1: reference: the column reference is missing")
        );
        assert_eq!(p.len(), 6, "{p:#?}");
        let header_only = "reference,name,organisation,needs,areas,access,last_verified\n";
        let p = parse(header_only).expect_err("empty");
        assert_eq!(p, ["services.csv:1: reference: the file holds no services"]);
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let s = parse(GOOD).expect("good");
        let mut bytes = Vec::new();
        write_csv(&s, &mut bytes).expect("write");
        let again = parse(std::str::from_utf8(&bytes).expect("utf-8")).expect("reads back");
        assert_eq!(again, s);
        // Text that a spreadsheet would run as a formula is written harmless and read back as
        // it was; an international phone number keeps its +.
        let mut hostile = s.clone();
        hostile[0].phone = Some("+44 1632 960 113".to_owned());
        hostile[0].description = Some("=HYPERLINK(\"https://evil.example\")".to_owned());
        hostile[1].how_to_access = Some("-call first".to_owned());
        let mut bytes = Vec::new();
        write_csv(&hostile, &mut bytes).expect("write");
        let text = std::str::from_utf8(&bytes).expect("utf-8");
        assert!(
            text.contains("'=HYPERLINK") && text.contains("'+44"),
            "{text}"
        );
        assert_eq!(parse(text).expect("reads back"), hostile);
    }

    #[test]
    fn a_search_finds_services_around_and_within_an_area_for_a_need_and_an_age() {
        let area = |code: &str, parent: Option<&str>| Area {
            code: code.to_owned(),
            name: code.to_owned(),
            boundary: None,
            level: if parent.is_some() {
                crate::area::AreaLevel::Lad
            } else {
                crate::area::AreaLevel::County
            },
            parent_code: parent.map(str::to_owned),
        };
        let areas = [
            area("E10000001", None),
            area("E07000001", Some("E10000001")),
            area("E07000002", Some("E10000001")),
        ];
        let mut s = parse(GOOD).expect("good");
        let mut county = s[0].clone();
        county.reference = "S3".to_owned();
        county.name = "County Crisis Line".to_owned();
        county.areas = vec!["E10000001".to_owned()];
        county.age_min = None;
        s.push(county);
        let names = |q: &Search| -> Vec<String> {
            search(&s, &areas, q)
                .iter()
                .map(|x| x.reference.clone())
                .collect()
        };
        let at = |a: &str| Search {
            area: Some(a.to_owned()),
            ..Search::default()
        };
        // The district served, the county's line and the service for all areas.
        assert_eq!(names(&at("E07000001")), ["S3", "S1", "S2"]);
        // Another district: not the first district's service.
        assert_eq!(names(&at("E07000002")), ["S3", "S2"]);
        // The county: its districts' services too.
        assert_eq!(names(&at("E10000001")), ["S3", "S1", "S2"]);
        let q = Search {
            need: Some("crisis".to_owned()),
            age: Some(16),
            ..at("E07000001")
        };
        assert_eq!(names(&q), ["S3"], "S1 is for 18 and over");
    }

    mod properties {
        use super::super::*;
        use super::today;
        use proptest::prelude::*;

        /// A county, three districts and two small areas in each.
        fn tree() -> Vec<Area> {
            let area = |code: &str, level, parent: Option<&str>| Area {
                code: code.to_owned(),
                name: code.to_owned(),
                level,
                parent_code: parent.map(str::to_owned),
                boundary: None,
            };
            let mut out = vec![area("E10000001", crate::area::AreaLevel::County, None)];
            for d in 1..=3 {
                let lad = format!("E0700000{d}");
                out.push(area(&lad, crate::area::AreaLevel::Lad, Some("E10000001")));
                for l in 0..2 {
                    out.push(area(
                        &format!("E0100000{}", d * 2 + l),
                        crate::area::AreaLevel::Lsoa,
                        Some(&lad),
                    ));
                }
            }
            out
        }

        fn chain(areas: &[Area], code: &str) -> Vec<String> {
            let mut out = vec![code.to_owned()];
            let mut c = code.to_owned();
            while let Some(p) = areas
                .iter()
                .find(|a| a.code == c)
                .and_then(|a| a.parent_code.clone())
            {
                out.push(p.clone());
                c = p;
            }
            out
        }

        /// A name with the characters files hold: commas, quotes, semicolons, accents.
        fn text() -> impl Strategy<Value = String> {
            "[A-Za-z][A-Za-z0-9 ,;'\"é&()-]{0,30}".prop_map(|s| s.trim().to_owned())
        }

        fn service() -> impl Strategy<Value = Service> {
            let codes: Vec<String> = tree().into_iter().map(|a| a.code).collect();
            let needs: Vec<String> = crate::codes::list(NEEDS)
                .codes
                .iter()
                .map(|c| c.code.clone())
                .collect();
            (
                "[A-Z]{1,3}[0-9]{1,4}",
                text(),
                text(),
                proptest::sample::subsequence(needs, 1..4),
                prop_oneof![
                    Just(vec![ALL_AREAS.to_owned()]),
                    proptest::sample::subsequence(codes, 1..3),
                ],
                (
                    proptest::option::of(0u32..60),
                    proptest::option::of(0u32..60),
                ),
                prop_oneof![
                    Just(Access::SelfReferral),
                    Just(Access::Referral),
                    Just(Access::Both)
                ],
                proptest::option::of(text()),
                0i64..3000,
            )
                .prop_map(
                    |(reference, name, organisation, needs, areas, ages, access, about, days)| {
                        let (a, b) = match ages {
                            (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
                            other => other,
                        };
                        Service {
                            reference,
                            name: if name.is_empty() {
                                "X".to_owned()
                            } else {
                                name
                            },
                            organisation: if organisation.is_empty() {
                                "Org".to_owned()
                            } else {
                                organisation
                            },
                            needs,
                            areas,
                            age_min: a,
                            age_max: b,
                            access,
                            how_to_access: None,
                            phone: Some("0300 123 4567".to_owned()),
                            email: None,
                            website: None,
                            hours: None,
                            description: about.filter(|d| !d.is_empty()),
                            last_verified: NaiveDate::from_ymd_opt(2026, 12, 5).expect("date")
                                - chrono::Days::new(days.unsigned_abs()),
                        }
                    },
                )
        }

        proptest! {
            /// A directory written out reads back the same, whatever its text holds.
            #[test]
            fn what_is_written_reads_back(list in proptest::collection::vec(service(), 1..12)) {
                let mut seen = std::collections::HashSet::new();
                let list: Vec<Service> = list
                    .into_iter()
                    .filter(|s| seen.insert(s.reference.to_lowercase()))
                    .collect();
                let mut bytes = Vec::new();
                write_csv(&list, &mut bytes).expect("write");
                let table = Table::from_csv("p.csv", &bytes).expect("table");
                let codes: Vec<String> = tree().into_iter().map(|a| a.code).collect();
                let read = parse_services(&table, &|c| codes.iter().any(|x| x == c), today());
                prop_assert_eq!(read.expect("reads"), list);
            }

            /// A search finds exactly the entries serving an area around or within the one
            /// asked for (or all areas) that meet the need and take the age; a need or an age
            /// only narrows it; the list is in name order.
            #[test]
            fn a_search_is_exactly_its_definition(
                list in proptest::collection::vec(service(), 0..15),
                at in 0usize..10,
                need in proptest::option::of(0usize..18),
                age in proptest::option::of(0u32..70),
            ) {
                let areas = tree();
                let code = areas[at % areas.len()].code.clone();
                let need = need.map(|i| crate::codes::list(NEEDS).codes[i % 18].code.clone());
                let q = Search { area: Some(code.clone()), need: need.clone(), age };
                let got: Vec<&str> = search(&list, &areas, &q).iter().map(|s| s.reference.as_str()).collect();
                let around = chain(&areas, &code);
                let mut want: Vec<&Service> = list
                    .iter()
                    .filter(|s| s.areas.iter().any(|x| {
                        x == ALL_AREAS || around.contains(x) || chain(&areas, x).contains(&code)
                    }))
                    .filter(|s| need.as_ref().is_none_or(|n| s.needs.contains(n)))
                    .filter(|s| age.is_none_or(|a| s.serves_age(a)))
                    .collect();
                by_name(&mut want);
                let want: Vec<&str> = want.iter().map(|s| s.reference.as_str()).collect();
                prop_assert_eq!(&got, &want);
                let wider = search(&list, &areas, &Search { area: Some(code), need: None, age: None });
                for r in &got {
                    prop_assert!(wider.iter().any(|s| s.reference == *r));
                }
            }
        }
    }
}

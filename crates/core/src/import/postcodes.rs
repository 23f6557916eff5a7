//! Postcodes to small areas, from ONS's postcode lookups: the National Statistics Postcode
//! Lookup (NSPL) and the ONS Postcode Directory (ONSPD). One CSV row per postcode, with
//! `pcd`/`pcd2`/`pcds` (the postcode in 7-character, 8-character or variable form), `doterm`
//! (the month it was terminated, `YYYYMM`, blank while live), `lsoa21` or `lsoa11` (the small
//! area), and `lat`/`long` (the centroid; 99.999999 and 0 mean none).
//!
//! Only postcodes in small areas the partnership has imported are kept: the whole NSPL is 2.7
//! million rows, and a record whose postcode lies elsewhere is outside the partnership.

use std::collections::HashMap;
use std::path::Path;

use super::{ImportError, Problems, Table, read_table};

/// A postcode as the lookup has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Postcode {
    /// [`postcode_key`] of the postcode: the lookup is kept by a digest, so the database never
    /// holds a postcode as text and a search of its file for a person's postcode finds nothing.
    pub key: String,
    /// The small area (LSOA) it lies in.
    pub area_code: String,
    /// The centroid, WGS84, when the lookup gives one.
    pub lat: Option<f64>,
    /// The centroid's longitude.
    pub lon: Option<f64>,
    /// `YYYYMM` when the postcode was terminated.
    pub terminated: Option<String>,
    /// The postcode district (the outward code, `AV1` of `AV1 0AA`): thousands of homes, not
    /// one, so it is kept as text and the support directory can be searched by it.
    pub district: String,
}

/// The postcode district of a postcode in its normal form ([`normalise_postcode`]).
pub fn postcode_district(normalised: &str) -> String {
    normalised
        .split_once(' ')
        .map_or(normalised, |(outward, _)| outward)
        .to_owned()
}

/// A postcode district in its normal form (`av1` is `AV1`), or `None` when the text is not
/// shaped like one: 2-4 letters and digits, a letter first, a digit among them.
pub fn normalise_district(s: &str) -> Option<String> {
    let t = s.trim().to_ascii_uppercase();
    let b = t.as_bytes();
    ((2..=4).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter().all(u8::is_ascii_alphanumeric)
        && b.iter().any(u8::is_ascii_digit))
    .then_some(t)
}

/// A postcode in its normal form, or `None` when the text is not shaped like a UK postcode
/// (outward code of 2-4 characters starting with a letter, inward code of a digit and two
/// letters). `pr1 2ab`, `PR12AB` and `PR1  2AB` are all `PR1 2AB`.
pub fn normalise_postcode(s: &str) -> Option<String> {
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = {
        let b = inward.as_bytes();
        b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
    };
    let outward_ok = outward.as_bytes()[0].is_ascii_alphabetic()
        && outward.bytes().all(|b| b.is_ascii_alphanumeric())
        && outward.bytes().any(|b| b.is_ascii_digit());
    (inward_ok && outward_ok).then(|| format!("{outward} {inward}"))
}

/// The key a postcode is kept and found by: the first 16 bytes of SHA-256 of its normal
/// form, in hex.
pub fn postcode_key(normalised: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(normalised.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether free text holds something shaped like a full postcode (a sign it holds an address).
pub fn holds_postcode(text: &str) -> bool {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .any(|w| w[1].len() == 3 && normalise_postcode(&format!("{} {}", w[0], w[1])).is_some())
        || words.iter().any(|w| normalise_postcode(w).is_some())
}

/// The first of these columns the table has.
fn first_column(table: &Table, names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| table.headers.iter().position(|h| h.eq_ignore_ascii_case(n)))
}

/// What reading a lookup found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostcodeFile {
    /// The postcodes in the partnership's small areas.
    pub postcodes: Vec<Postcode>,
    /// Rows left out because their small area is not one Lantern holds.
    pub elsewhere: u64,
    /// Rows with no small area (large users, postcodes outside Great Britain).
    pub no_area: u64,
}

/// Read an NSPL or ONSPD file, keeping the postcodes in areas `area_known` accepts.
///
/// # Errors
/// [`ImportError::Invalid`] for missing columns and malformed rows, each with its line.
pub fn parse_postcodes(
    table: &Table,
    area_known: &dyn Fn(&str) -> bool,
) -> Result<PostcodeFile, ImportError> {
    let mut problems = Problems::new(&table.file);
    let pc = first_column(table, &["pcds", "pcd", "pcd2", "postcode"]);
    let area = first_column(table, &["lsoa21", "lsoa21cd", "lsoa11", "lsoa11cd", "lsoa"]);
    if pc.is_none() {
        problems.add(
            1,
            "pcds",
            "no postcode column (pcds, pcd or pcd2): is this ONS's postcode lookup (NSPL or ONSPD)?",
        );
    }
    if area.is_none() {
        problems.add(
            1,
            "lsoa21",
            "no small-area column (lsoa21 or lsoa11): is this ONS's postcode lookup (NSPL or ONSPD)?",
        );
    }
    let (Some(pc), Some(area)) = (pc, area) else {
        return problems.into_result(PostcodeFile::default());
    };
    let doterm = first_column(table, &["doterm"]);
    let lat = first_column(table, &["lat"]);
    let lon = first_column(table, &["long", "lon"]);
    let mut out = PostcodeFile::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, cells) in &table.rows {
        let raw = cells[pc].trim();
        let Some(postcode) = normalise_postcode(raw) else {
            problems.add(
                *line,
                &table.headers[pc],
                format!("'{}' is not a postcode", crate::text::printable(raw, 20)),
            );
            continue;
        };
        let key = postcode_key(&postcode);
        if let Some(first) = seen.insert(key.clone(), *line) {
            problems.add(
                *line,
                &table.headers[pc],
                format!("repeats the postcode of line {first}"),
            );
            continue;
        }
        let code = cells[area].trim();
        if code.is_empty() {
            out.no_area += 1;
            continue;
        }
        if !area_known(code) {
            out.elsewhere += 1;
            continue;
        }
        let terminated = doterm
            .map(|i| cells[i].trim())
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if let Some(t) = &terminated
            && !(t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()))
        {
            problems.add(
                *line,
                "doterm",
                format!(
                    "'{}' is not a month as YYYYMM",
                    crate::text::printable(t, 20)
                ),
            );
            continue;
        }
        let number = |i: Option<usize>, name: &str, problems: &mut Problems| -> Option<f64> {
            let text = cells[i?].trim();
            if text.is_empty() {
                return None;
            }
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    problems.add(
                        *line,
                        name,
                        format!("'{}' is not a number", crate::text::printable(text, 20)),
                    );
                    None
                }
            }
        };
        let (y, x) = (
            number(lat, "lat", &mut problems),
            number(lon, "long", &mut problems),
        );
        // ONS writes 99.999999 and 0.000000 where a postcode has no grid reference.
        let (lat, lon) = match (y, x) {
            (Some(y), Some(x)) if (49.0..61.0).contains(&y) && (-9.0..3.0).contains(&x) => {
                (Some(y), Some(x))
            }
            _ => (None, None),
        };
        out.postcodes.push(Postcode {
            key,
            area_code: code.to_owned(),
            lat,
            lon,
            terminated,
            district: postcode_district(&postcode),
        });
    }
    problems.into_result(out)
}

/// Read a postcode lookup from a file, as [`parse_postcodes`].
///
/// # Errors
/// As [`parse_postcodes`], and when the file cannot be read.
pub fn read_postcodes(
    path: &Path,
    area_known: &dyn Fn(&str) -> bool,
) -> Result<PostcodeFile, ImportError> {
    parse_postcodes(&read_table(path)?, area_known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_are_normalised_and_nonsense_refused() {
        for s in ["pr1 2ab", "PR12AB", " PR1  2AB ", "Pr1 2aB"] {
            assert_eq!(normalise_postcode(s).as_deref(), Some("PR1 2AB"), "{s}");
        }
        assert_eq!(normalise_postcode("SW1A1AA").as_deref(), Some("SW1A 1AA"));
        assert_eq!(normalise_postcode("M1 1AE").as_deref(), Some("M1 1AE"));
        for s in [
            "",
            "PR1",
            "12345",
            "PR1 2A",
            "PR1 22B",
            "1R1 2AB",
            "PR1 2AB X",
            "PRR 2AB",
        ] {
            assert_eq!(normalise_postcode(s), None, "{s}");
        }
    }

    #[test]
    fn an_address_is_seen_in_free_text() {
        assert!(holds_postcode("12 Mill Lane, Ashvale AV1 3QT"));
        assert!(holds_postcode("found near av13qt"));
        assert!(!holds_postcode("railway line near the viaduct"));
        assert!(!holds_postcode("AB123"));
    }

    #[test]
    fn nspl_and_onspd_shapes_are_read() {
        // NSPL shape: pcd, pcd2, pcds, dointr, doterm, ..., lsoa21, lat, long.
        let nspl = "pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,lsoa21,lat,long\n\
                    AV1 1AA,AV1  1AA,AV1 1AA,198001,,0,350000,420000,E01000001,53.65,-2.75\n\
                    AV1 1AB,AV1  1AB,AV1 1AB,198001,200512,0,350010,420010,E01000001,53.65,-2.75\n\
                    ZZ9 9ZZ,ZZ9  9ZZ,ZZ9 9ZZ,198001,,0,,,E01999999,99.999999,0.000000\n\
                    AV2 1AA,AV2  1AA,AV2 1AA,198001,,1,,,E01000002,99.999999,0.000000\n\
                    GY1 1AA,GY1  1AA,GY1 1AA,198001,,0,,,,99.999999,0.000000\n";
        let t = Table::from_csv("nspl.csv", nspl.as_bytes()).unwrap();
        let known = |c: &str| c == "E01000001" || c == "E01000002";
        let got = parse_postcodes(&t, &known).unwrap();
        assert_eq!(got.postcodes.len(), 3);
        assert_eq!(got.elsewhere, 1);
        assert_eq!(got.no_area, 1);
        assert_eq!(got.postcodes[0].lat, Some(53.65));
        assert_eq!(got.postcodes[1].terminated.as_deref(), Some("200512"));
        assert_eq!(got.postcodes[2].lat, None, "99.999999 means no centroid");
        // ONSPD of 2011 areas: pcd only, lsoa11.
        let onspd = "pcd,doterm,lsoa11,lat,long\r\nav11aa,,E01000001,53.6,-2.7\r\n";
        let t = Table::from_csv("onspd.csv", onspd.as_bytes()).unwrap();
        let got = parse_postcodes(&t, &known).unwrap();
        assert_eq!(got.postcodes[0].key, postcode_key("AV1 1AA"));
        assert_eq!(got.postcodes[0].key.len(), 32);
    }

    #[test]
    fn a_file_that_is_not_a_lookup_is_refused_on_line_1() {
        let t = Table::from_csv("x.csv", b"code,name\nE1,x\n").unwrap();
        let Err(ImportError::Invalid(p)) = parse_postcodes(&t, &|_| true) else {
            panic!("expected problems");
        };
        assert_eq!(p.len(), 2);
        assert!(
            p[0].to_string()
                .starts_with("x.csv:1: pcds: no postcode column")
        );
        let t =
            Table::from_csv("x.csv", b"pcds,lsoa21\nAV1 1AA,E1\nnot one,E1\nav11aa,E1\n").unwrap();
        let Err(ImportError::Invalid(p)) = parse_postcodes(&t, &|_| true) else {
            panic!("expected problems");
        };
        let shown: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "x.csv:3: pcds: 'not one' is not a postcode",
                "x.csv:4: pcds: repeats the postcode of line 2"
            ]
        );
    }
}

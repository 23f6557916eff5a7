//! Areas (ONS GSS codes with their level, parent and boundary) and populations by area, year,
//! sex and five-year age band: the denominators behind every rate.

use serde::Serialize;

/// A level of the ONS geography hierarchy, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AreaLevel {
    /// Lower layer super output area.
    Lsoa,
    /// Middle layer super output area.
    Msoa,
    /// Local authority district.
    Lad,
    /// County or upper-tier local authority.
    County,
    /// Integrated care board.
    Icb,
    /// Region.
    Region,
    /// Country.
    Country,
}

impl AreaLevel {
    /// Every level, smallest first.
    pub const ALL: [Self; 7] = [
        Self::Lsoa,
        Self::Msoa,
        Self::Lad,
        Self::County,
        Self::Icb,
        Self::Region,
        Self::Country,
    ];

    /// The level's name in files and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lsoa => "lsoa",
            Self::Msoa => "msoa",
            Self::Lad => "lad",
            Self::County => "county",
            Self::Icb => "icb",
            Self::Region => "region",
            Self::Country => "country",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Lsoa => "Small area (LSOA)",
            Self::Msoa => "Neighbourhood (MSOA)",
            Self::Lad => "District (LAD)",
            Self::County => "County",
            Self::Icb => "Integrated care board",
            Self::Region => "Region",
            Self::Country => "Country",
        }
    }

    /// Parse a level name (case-insensitive).
    ///
    /// # Errors
    /// A message listing the levels.
    pub fn parse(s: &str) -> Result<Self, String> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == lower)
            .ok_or_else(|| format!("'{s}' is not one of lsoa|msoa|lad|county|icb|region|country"))
    }

    /// The level suggested by an ONS GSS code's prefix (E01 LSOA, E02 MSOA, ...).
    pub fn from_gss_prefix(code: &str) -> Option<Self> {
        match code.get(..3)? {
            "E01" | "W01" | "S01" => Some(Self::Lsoa),
            "E02" | "W02" | "S02" => Some(Self::Msoa),
            "E06" | "E07" | "E08" | "E09" | "W06" | "S12" => Some(Self::Lad),
            "E10" | "E11" | "E13" => Some(Self::County),
            "E54" => Some(Self::Icb),
            "E12" => Some(Self::Region),
            "E92" | "W92" | "S92" | "K04" => Some(Self::Country),
            _ => None,
        }
    }
}

/// Check an area code: a letter and eight digits (ONS GSS), or a demo code of the same form.
///
/// # Errors
/// A message saying what a code looks like.
pub fn parse_area_code(s: &str) -> Result<String, String> {
    let s = s.trim();
    let ok = s.len() == 9
        && s.as_bytes()[0].is_ascii_uppercase()
        && s.as_bytes()[1..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!("'{s}' is not a GSS code (a letter and 8 digits)"))
    }
}

/// The code list of what a residence may be instead of an area (no fixed abode, outside the
/// partnership's areas).
pub const RESIDENCE_LIST: &str = "residence";

/// The entry of [`RESIDENCE_LIST`] whose code is `code`: a residence that is not an area.
pub fn residence_other(code: &str) -> Option<&'static crate::codes::Code> {
    crate::codes::list(RESIDENCE_LIST).get(code)
}

/// The [`RESIDENCE_LIST`] code a file's word names, by its code, its label or one of the other
/// words files use (`NFA`, `out of area`), ignoring case, spaces and punctuation.
pub fn residence_word(text: &str) -> Option<&'static str> {
    use std::sync::OnceLock;
    // Folded and without spaces, so that `N.F.A.` is `NFA`.
    fn squash(s: &str) -> String {
        crate::import::reading::fold(s).replace(' ', "")
    }
    // Every word of the list, squashed once.
    static WORDS: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    let t = text.trim();
    // An area code (the usual cell of a million-row file) is never one of the words.
    let b = t.as_bytes();
    if t.is_empty()
        || (b.len() == 9 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit))
    {
        return None;
    }
    let words = WORDS.get_or_init(|| {
        crate::codes::list(RESIDENCE_LIST)
            .codes
            .iter()
            .flat_map(|c| {
                std::iter::once(c.code.as_str())
                    .chain(std::iter::once(c.label.as_str()))
                    .chain(c.extra.split(';'))
                    .map(|w| (squash(w), c.code.as_str()))
            })
            .filter(|(w, _)| !w.is_empty())
            .collect()
    });
    let folded = squash(t);
    words
        .iter()
        .find(|(w, _)| *w == folded)
        .map(|(_, code)| *code)
}

/// An area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Area {
    /// GSS code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level.
    pub level: AreaLevel,
    /// The code of the area it lies in.
    pub parent_code: Option<String>,
    /// GeoJSON geometry (Polygon or MultiPolygon), WGS84 lon/lat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boundary: Option<String>,
}

/// Sex of a population count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PopSex {
    /// Males.
    Male,
    /// Females.
    Female,
    /// Everyone.
    Persons,
}

impl PopSex {
    /// Name in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
            Self::Persons => "persons",
        }
    }

    /// Parse `male|female|persons`.
    ///
    /// # Errors
    /// A message listing the choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "male" => Ok(Self::Male),
            "female" => Ok(Self::Female),
            "persons" => Ok(Self::Persons),
            other => Err(format!("'{other}' is not one of male|female|persons")),
        }
    }
}

/// The 19 five-year age bands of the European Standard Population 2013.
pub const AGE_BANDS: [&str; 19] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54",
    "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
];

/// The age band of an age in years.
pub fn age_band(age: u32) -> &'static str {
    AGE_BANDS[(age / 5).min(18) as usize]
}

/// Check an age band name.
///
/// # Errors
/// A message listing the form of the bands.
pub fn parse_age_band(s: &str) -> Result<&'static str, String> {
    let s = s.trim();
    AGE_BANDS
        .iter()
        .find(|b| **b == s)
        .copied()
        .ok_or_else(|| format!("'{s}' is not an age band (0-4, 5-9, ... 85-89, 90+)"))
}

/// One population count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PopulationRow {
    /// Area code.
    pub area_code: String,
    /// Year (mid-year or census year).
    pub year: i32,
    /// Sex.
    pub sex: PopSex,
    /// Five-year age band.
    pub age_band: &'static str,
    /// Head count.
    pub population: i64,
}

/// An area with its latest total population and record counts, for the areas page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaSummary {
    /// The area, without its boundary.
    pub area: Area,
    /// Latest year with a population.
    pub population_year: Option<i32>,
    /// Persons, all ages, in that year.
    pub population: Option<i64>,
    /// How many smaller areas it contains directly.
    pub children: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_map_to_esp_bands() {
        assert_eq!(age_band(0), "0-4");
        assert_eq!(age_band(14), "10-14");
        assert_eq!(age_band(89), "85-89");
        assert_eq!(age_band(90), "90+");
        assert_eq!(age_band(120), "90+");
    }

    #[test]
    fn area_codes_are_a_letter_and_eight_digits() {
        assert!(parse_area_code("E01012571").is_ok());
        assert!(parse_area_code("E0101257").is_err());
        assert!(parse_area_code("e01012571").is_err());
        assert_eq!(
            AreaLevel::from_gss_prefix("E02002621"),
            Some(AreaLevel::Msoa)
        );
    }
}

#[cfg(test)]
mod residence_tests {
    use super::*;

    #[test]
    fn the_words_for_no_fixed_abode_and_outside_the_areas_are_read_and_nothing_else() {
        for (text, code) in [
            ("NFA", "no_fixed_abode"),
            ("N.F.A.", "no_fixed_abode"),
            ("no fixed abode", "no_fixed_abode"),
            ("No Fixed Address", "no_fixed_abode"),
            ("no_fixed_abode", "no_fixed_abode"),
            ("Out of area", "outside_area"),
            ("OOA", "outside_area"),
            ("outside_area", "outside_area"),
            ("Outside the partnership's areas", "outside_area"),
        ] {
            assert_eq!(residence_word(text), Some(code), "{text}");
        }
        for text in [
            "",
            " ",
            "unknown",
            "E01000001",
            "Ashvale",
            "fixed abode",
            "area",
        ] {
            assert_eq!(residence_word(text), None, "{text}");
        }
        assert!(residence_other("no_fixed_abode").is_some());
        assert!(
            residence_other("NFA").is_none(),
            "the stored form is the code"
        );
        // Neither code can be mistaken for an area code.
        for c in &crate::codes::list(RESIDENCE_LIST).codes {
            assert!(parse_area_code(&c.code).is_err());
        }
    }
}

//! Signals for the surveillance group: what the detectors found in the register, each explained
//! in plain words, and the group's review of it. Lantern does not declare clusters; it puts
//! signals in front of people who decide, following the stages of the national cluster response
//! guidance (new → under review → responding → closed).
//!
//! Three kinds of signal ([`detect`]):
//! - **rule triggers**: three or more suspected suicides close together in place and time, and
//!   any at a registered location of concern;
//! - **temporal aberrations**: a week's count per district and group (sex, age band, method
//!   group) above what the same weeks of past years lead one to expect;
//! - **space-time scans**: a retrospective and a prospective space-time permutation scan over
//!   the small areas of residence.

mod detect;
pub mod events;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use detect::{DetectOptions, Inputs, compute, detect, load};

/// What kind of detector found a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalKind {
    /// A rule: incidents close in place and time, or at a location of concern.
    Rule,
    /// A temporal aberration in a count series.
    Aberration,
    /// A space-time scan statistic.
    Scan,
}

impl SignalKind {
    /// The name stored and shown.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rule => "rule",
            Self::Aberration => "aberration",
            Self::Scan => "scan",
        }
    }

    /// Words for a page.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Rule => "Rule trigger",
            Self::Aberration => "Unusual rise",
            Self::Scan => "Space-time cluster",
        }
    }

    /// From its stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Rule, Self::Aberration, Self::Scan]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Where a signal is in the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Found and not yet looked at.
    New,
    /// The group is assessing it (information gathering, initial assessment).
    UnderReview,
    /// A response is under way (a multi-agency meeting, a response plan).
    Responding,
    /// Closed, with a reason in the note.
    Closed,
}

impl ReviewStatus {
    /// Every status in workflow order.
    pub const ALL: [Self; 4] = [Self::New, Self::UnderReview, Self::Responding, Self::Closed];

    /// The name stored and used in forms.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::UnderReview => "under_review",
            Self::Responding => "responding",
            Self::Closed => "closed",
        }
    }

    /// Words for a page.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::UnderReview => "Under review",
            Self::Responding => "Responding",
            Self::Closed => "Closed",
        }
    }

    /// From its stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A place on a signal's map: an area's centre or an incident's position (rounded to about
/// 100 m), with how many of the signal's events are there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// The area's name, or the location's.
    pub label: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Events there.
    pub count: u32,
}

/// What a detector found, as recomputed from the register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Found {
    /// Stable across recomputations, so the review of a signal survives them.
    pub key: String,
    /// The kind of detector.
    pub kind: SignalKind,
    /// `suicides` or `self-harm`.
    pub dataset: String,
    /// The district it is in, when it is in one.
    pub area_code: Option<String>,
    /// A short title.
    pub title: String,
    /// What was found, in plain words.
    pub explanation: String,
    /// The method, as named on the command line.
    pub method: String,
    /// The method's parameters.
    pub parameters: serde_json::Value,
    /// Events in the signal.
    pub observed: u64,
    /// Events expected there and then.
    pub expected: Option<f64>,
    /// The Monte Carlo p-value (scans).
    pub p_value: Option<f64>,
    /// How often, in days, a signal this unusual would arise by chance (prospective scans).
    pub recurrence_days: Option<f64>,
    /// The first day of the signal.
    pub start: NaiveDate,
    /// The last day.
    pub end: NaiveDate,
    /// Where, for the map.
    pub places: Vec<Place>,
    /// The radius of a scan's circle, in km.
    pub radius_km: Option<f64>,
    /// Weekly counts around the signal, for the timeline: `(last day of the week, count)`.
    pub timeline: Vec<(NaiveDate, u32)>,
    /// The register version the signal was computed from.
    pub snapshot: String,
    /// How long the detector took, in milliseconds.
    pub elapsed_ms: u64,
}

/// A stored signal with its review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    /// Its id.
    pub id: i64,
    /// What was found (as last recomputed).
    pub found: Found,
    /// When it was first found.
    pub found_at: DateTime<Utc>,
    /// When it was last found again.
    pub updated_at: DateTime<Utc>,
    /// Where it is in the review.
    pub status: ReviewStatus,
    /// Who owns the review.
    pub owner: Option<String>,
    /// Bumped by every review change (optimistic locking).
    pub version: i64,
}

/// One change in a signal's review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub author: String,
    /// The status before.
    pub status_before: ReviewStatus,
    /// The status after.
    pub status: ReviewStatus,
    /// The owner after.
    pub owner: Option<String>,
    /// What was decided or done, and why.
    pub note: String,
}

/// A review change to make.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalReview {
    /// The new status.
    pub status: ReviewStatus,
    /// The new owner.
    pub owner: Option<String>,
    /// What was decided or done, and why.
    pub note: String,
    /// Who.
    pub author: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The version the change was made against.
    pub version: i64,
}

/// A place where people have died or may try to, with the measures in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationOfConcern {
    /// Its id (0 before it is stored).
    #[serde(default)]
    pub id: i64,
    /// Its name, as records refer to it in `location_of_concern`.
    pub name: String,
    /// What kind of place: bridge, railway, cliff, car park, building, other.
    pub kind: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Measures in place: barriers, signage, helpline signs, CCTV, patrols.
    pub measures: Vec<String>,
    /// When the measures are next reviewed.
    pub review_date: Option<NaiveDate>,
    /// Notes.
    pub notes: String,
}

impl LocationOfConcern {
    /// A location to register, from what someone typed: names and measures trimmed, empty
    /// measures dropped, `other` when no kind is given.
    ///
    /// # Errors
    /// No name, or a position that is not a latitude and longitude.
    pub fn new<'a>(
        name: &str,
        kind: &str,
        (lat, lon): (f64, f64),
        measures: impl IntoIterator<Item = &'a str>,
        review_date: Option<NaiveDate>,
        notes: &str,
    ) -> Result<Self, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("the location needs a name".to_owned());
        }
        let measures: Vec<&str> = measures.into_iter().collect();
        for (what, text) in [("name", name), ("kind", kind), ("notes", notes)]
            .into_iter()
            .chain(measures.iter().map(|m| ("measures", *m)))
        {
            crate::text::checked(text).map_err(|e| format!("the location's {what} {e}"))?;
        }
        if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
            return Err(format!("{lat}, {lon} is not a latitude and longitude"));
        }
        let kind = kind.trim();
        Ok(Self {
            id: 0,
            name: name.to_owned(),
            kind: if kind.is_empty() { "other" } else { kind }.to_owned(),
            lat,
            lon,
            measures: measures
                .into_iter()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            review_date,
            notes: notes.trim().to_owned(),
        })
    }
}

/// The setting that holds the register version the signals were last computed from.
pub const SNAPSHOT_SETTING: &str = "signals_snapshot";

/// The setting that holds the partnership's detector settings, as JSON.
pub const OPTIONS_SETTING: &str = "signals_options";

/// The partnership's detector settings: the defaults until someone saves others, and the
/// defaults for any setting a saved version does not name.
///
/// # Errors
/// The store failed.
pub async fn saved_options(store: &dyn crate::Store) -> crate::StoreResult<DetectOptions> {
    Ok(store
        .setting(OPTIONS_SETTING)
        .await?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

/// Keep the detector settings, and mark the signals out of date so that the server's job
/// recomputes them with these.
///
/// # Errors
/// The store failed.
pub async fn save_options(
    store: &dyn crate::Store,
    options: &DetectOptions,
) -> crate::StoreResult<()> {
    let json = serde_json::to_string(options).unwrap_or_default();
    store.set_setting(OPTIONS_SETTING, &json).await?;
    store.set_setting(SNAPSHOT_SETTING, "").await
}

/// What a recomputation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refreshed {
    /// Signals found.
    pub found: usize,
    /// Of which new.
    pub new: usize,
    /// The register version they were computed from.
    pub snapshot: String,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
}

/// Keep what [`compute`] found and note the snapshot it came from.
///
/// # Errors
/// The store failed.
pub async fn save(
    store: &dyn crate::Store,
    found: &[Found],
    snapshot: &str,
    started: std::time::Instant,
) -> crate::StoreResult<Refreshed> {
    let new = store.save_signals(found, Utc::now()).await?;
    store.set_setting(SNAPSHOT_SETTING, snapshot).await?;
    Ok(Refreshed {
        found: found.len(),
        new,
        snapshot: snapshot.to_owned(),
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// Read the register, run every detector and keep what they find.
///
/// # Errors
/// The store failed.
pub async fn refresh(
    store: &dyn crate::Store,
    options: &DetectOptions,
) -> crate::StoreResult<Refreshed> {
    let started = std::time::Instant::now();
    let inputs = load(store).await?;
    let found = compute(&inputs, options);
    save(store, &found, inputs.snapshot(), started).await
}

/// Days as words: "21 days", "8 weeks", "about 8 years".
#[must_use]
pub fn duration_words(days: f64) -> String {
    if days < 14.0 {
        let d = days.round() as i64;
        format!("{d} day{}", if d == 1 { "" } else { "s" })
    } else if days < 120.0 {
        format!("{:.0} weeks", days / 7.0)
    } else if days < 730.0 {
        format!("{:.0} months", days / 30.44)
    } else {
        format!("{:.0} years", days / 365.25)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_kinds_round_trip() {
        for s in ReviewStatus::ALL {
            assert_eq!(ReviewStatus::parse(s.as_str()), Some(s));
        }
        for k in [SignalKind::Rule, SignalKind::Aberration, SignalKind::Scan] {
            assert_eq!(SignalKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ReviewStatus::parse("committed"), None);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_words(1.0), "1 day");
        assert_eq!(duration_words(21.0), "3 weeks");
        assert_eq!(duration_words(2922.0), "8 years");
        assert_eq!(duration_words(200.0), "7 months");
    }
}

//! Pure statistics for Lantern: rates and their confidence intervals, standardisation,
//! disclosure control, aberration detection and scan statistics. No I/O, no async,
//! no logging. Every method cites the publication it follows; none is ported from GPL code.
//!
//! An undefined statistic is `None`, never `NaN`; invalid inputs are errors that say what is
//! wrong.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod aberration;
mod calendar;
mod compare;
mod disclosure;
mod dsr;
mod farrington;
mod glm;
mod hotspot;
mod normal;
mod rates;
mod rng;
mod scan;
pub mod span;
mod special;

pub use aberration::{Cusum, DetectError, Detection, Ears, cusum, ears};
pub use compare::{
    Comparison, FunnelLimits, Isr, IsrBand, Polarity, compare_with_benchmark,
    funnel_limits_proportion, funnel_limits_rate, isr,
};
pub use disclosure::{
    CountTable, DisclosureError, Preset, Published, PublishedTable, RateKind, RateRule,
    protect_count, protect_table, rate_rule,
};
pub use dsr::{
    AgeBand, DSR_MIN_COUNT, Dsr, DsrError, ESP2013, ESP2013_BANDS, dsr, esp2013_band,
    event_variance,
};
pub use farrington::{Farrington, FarringtonKind, PowerTrans, ThresholdMethod, farrington};
pub use hotspot::{
    HotSpotError, Incident, LocalG, Weights, haversine_metres, local_g, point_clusters,
};
pub use normal::normal_quantile;
pub use rates::{
    Interval, Method, RateError, byars_limits, crude_rate, exact_poisson_limits, wilson_proportion,
};
pub use scan::{
    ScanCluster, ScanData, ScanError, ScanModel, ScanResult, ScanSettings, equal_period_baseline,
    scan,
};

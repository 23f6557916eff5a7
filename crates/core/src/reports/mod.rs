//! Reports (issue 16): the annual suicide audit, the children and young people deep dive, the
//! quarterly oversight report, the self-harm report and plan progress. So far: the period a
//! report covers ([`ReportPeriod`]).

mod period;

pub use period::{MAX_MONTHS, ReportPeriod};

//! The demo's media monitoring: fictional outlets' reports of suspected suicides over five
//! years, checked against the Samaritans media guidelines, made by rule so the figures are
//! known by hand. Early reports break the guidelines more often than later ones (the
//! partnership's work with editors shows as a rising compliance rate); each report that breaks
//! one has a follow-up. Outlets' websites are under `.example`.

use chrono::{Days, Months, NaiveDate};

use crate::media::MediaReport;

const OUTLETS: [(&str, &str); 4] = [
    ("Ashvale Gazette", "https://gazette.ashvale.example/news/"),
    ("Brackenford Echo", "https://echo.brackenford.example/"),
    ("Coast FM News", "https://coastfm.example/news/"),
    ("Ashvale Live", "https://live.ashvale.example/story/"),
];

/// The demo's 40 media reports for the five years ending on `end`, oldest first, with no
/// register record linked ([`crate::demo::load`] links some once the records have ids).
pub fn reports(end: NaiveDate) -> Vec<MediaReport> {
    (0..40_u32)
        .map(|i| {
            let published = end
                .checked_sub_months(Months::new(58 - i * 3 / 2))
                .and_then(|d| d.checked_add_days(Days::new(u64::from(i % 9))))
                .unwrap_or(end)
                .min(end);
            let (outlet, site) = OUTLETS[i as usize % OUTLETS.len()];
            let early = i < 20;
            let method_detail = if early { i % 3 == 0 } else { i % 7 == 0 };
            let location_detail = if early { i % 4 == 1 } else { i % 9 == 1 };
            let sensational_language = if early { i % 5 == 2 } else { i % 11 == 2 };
            let photo = early && i % 6 == 3;
            let helpline = if early { i % 2 == 0 } else { i % 5 != 0 };
            let mut r = MediaReport {
                reference: format!("MR-{:03}", i + 1),
                outlet: outlet.to_owned(),
                published,
                link: Some(format!("{site}{}", i + 1)),
                headline: Some(
                    ["Tributes paid to local man", "Family remembers much-loved daughter", "Inquest opens into death", "Community comes together after loss"]
                        [i as usize % 4]
                        .to_owned(),
                ),
                area: Some(format!("X0700000{}", i % 5 + 1)),
                record_id: None,
                method_detail,
                location_detail,
                sensational_language,
                photo,
                helpline,
                follow_up: None,
            };
            if !r.compliant() {
                r.follow_up = Some(
                    if r.breaches().contains(&"helpline") && r.breaches().len() == 1 {
                        "Asked the newsdesk to add the Samaritans number; it was added"
                    } else {
                        "Wrote to the editor with the Samaritans media guidelines and offered a briefing"
                    }
                    .to_owned(),
                );
            }
            r
        })
        .collect()
}

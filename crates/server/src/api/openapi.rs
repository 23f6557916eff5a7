//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 document of every JSON route, built from the
//! descriptions below and the access policy (who may call each route). A test checks it
//! against the router's policy table, so a JSON route cannot be left out of it.
//!
//! Why not `utoipa`: its derive macros would describe the handlers' Rust types, but most of
//! these routes answer JSON built at run time (dimensions named by the query, GeoJSON), which a
//! derive cannot see; a table in one file, checked against the routes, describes them as
//! exactly with no proc-macro dependency to build.

use axum::Json;
use axum::Router;
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::access::{POLICY, Rule};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(document))
}

/// A query or path parameter.
struct Param {
    name: &'static str,
    location: &'static str,
    description: &'static str,
    /// Allowed values, when there is a fixed set.
    values: &'static [&'static str],
}

const fn q(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: "query",
        description,
        values: &[],
    }
}

const fn qe(
    name: &'static str,
    description: &'static str,
    values: &'static [&'static str],
) -> Param {
    Param {
        name,
        location: "query",
        description,
        values,
    }
}

const fn path(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: "path",
        description,
        values: &[],
    }
}

/// One JSON operation.
pub(crate) struct Operation {
    method: &'static str,
    pattern: &'static str,
    summary: &'static str,
    params: &'static [Param],
    /// The request body's fields (JSON), if any.
    body: &'static [(&'static str, &'static str)],
    /// What a success answers with.
    answers: &'static str,
    /// The media type of the success, when not `application/json`.
    media: Option<&'static str>,
}

const AUDIENCE: &[&str] = &["statutory", "partner", "public"];
const DATASETS: &[&str] = &["suicides", "self-harm"];
const LEVELS: &[&str] = &["lsoa", "msoa", "lad", "county", "icb", "region", "country"];
const LIST_PARAMS: &[Param] = &[
    q(
        "from",
        "Earliest date (YYYY-MM-DD) of the dataset's date field",
    ),
    q("to", "Latest date (YYYY-MM-DD)"),
    q(
        "area",
        "Residents of this area (a GSS code) and the areas inside it",
    ),
    q("status", "Only records with this status"),
    q("source", "Only records from this source"),
    q("setting", "Only presentations in this setting (self-harm)"),
    q("sort", "Field to sort by"),
    qe("order", "Sort order", &["asc", "desc"]),
    q("page", "Page number, from 1"),
    q("per_page", "Records a page (at most 500)"),
];

/// Every JSON operation the server has.
pub(crate) const OPERATIONS: &[Operation] = &[
    Operation {
        method: "GET",
        pattern: "/healthz",
        summary: "Whether the server and its database answer",
        params: &[],
        body: &[],
        answers: "{\"status\": \"ok\", \"database\": \"sqlite|postgres\"}, or 503 while the database does not answer",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/openapi.json",
        summary: "This document",
        params: &[],
        body: &[],
        answers: "An OpenAPI 3.1 document",
        media: None,
    },
    Operation {
        method: "POST",
        pattern: "/api/v1/session",
        summary: "Sign in: a session cookie and the CSRF token to send with changes",
        params: &[],
        body: &[("username", "string"), ("password", "string")],
        answers: "The signed-in user and the CSRF token",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/session",
        summary: "The signed-in user",
        params: &[],
        body: &[],
        answers: "The user's name, role, area and organisation",
        media: None,
    },
    Operation {
        method: "DELETE",
        pattern: "/api/v1/session",
        summary: "Sign out",
        params: &[],
        body: &[],
        answers: "Nothing (204)",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/areas",
        summary: "The areas Lantern knows, with their populations",
        params: &[qe("level", "Only areas of this level", LEVELS)],
        body: &[],
        answers: "{\"items\": [{code, name, level, parent_code, population, ...}]}",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/indicators",
        summary: "Counts and rates by any breakdown, with the audience's disclosure rule applied",
        params: &[
            qe(
                "dataset",
                "The dataset (default suicides); postvention is the suicides by postvention_stage, each stage's value its percentage of the period and area's deaths, with median_days to first contact; training counts delegates (or sessions) with evaluation means; coverage is the percentage of organisations holding a role or with someone trained, with its denominator (both exact for every audience: they count organisations, not people); media is the percentage of media reports following the Samaritans guidelines or breaking one item (by year and outlet only, except for the statutory core)",
                &[
                    "suicides",
                    "self-harm",
                    "postvention",
                    "training",
                    "coverage",
                ],
            ),
            q(
                "by",
                "Comma-separated dimensions: month, quarter, year, rolling_3_year, financial_year, financial_quarter (statutory), an area level, sex, age_band, age_group, method_group, location_type, setting, priority_group, circumstance, service_contact, support_offered, support_consent, postvention_stage (suicides), psychosocial_assessment (self-harm); the last six not for the public. Training and coverage take a period (not rolling_3_year), an area level, sector and organisation_type, and training also course and framework; media takes a period, an area level (statutory) and outlet",
            ),
            q("area", "Residents of this area only"),
            qe(
                "audience",
                "Whose rule applies (default partner when signed in, public otherwise)",
                AUDIENCE,
            ),
            q(
                "measure",
                "What is counted: presentations (default) or persons (self-harm only); for training delegates (default) or sessions; for coverage (required) role:CODE, course:CODE, course:any or framework:CODE; for media compliant (default) or breach:ITEM",
            ),
            qe(
                "rate",
                "Which rate: published (default: age-standardised for the three-year suicide rate, crude otherwise), crude, or standardised (ESP2013, ages 10+; statutory only beyond the published rate)",
                &["published", "crude", "standardised"],
            ),
        ],
        body: &[],
        answers: "{dataset, by, rows: [{<dimension>, <level>_name, count, value, lower, upper, suppressed, statistic, partial, median_days (postvention)}], disclosure, withheld, zero_rows, last_record, definition}",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/support",
        summary: "The public support directory, searched as /support searches it",
        params: &[
            q(
                "area",
                "Where: an area code or name, a postcode district (AV1) or a postcode (AV1 0AA)",
            ),
            q(
                "need",
                "The kind of support: a code of the support_need list, its label or a common word",
            ),
            q("age", "The age of the person needing support"),
        ],
        body: &[],
        answers: "{area: {query, areas, words}, need, age, count, services: [{reference, name, organisation, needs, areas, age_min, age_max, ages, access, how_to_access, phone, email, website, hours, description, last_verified, verify_by, overdue}]}",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/map",
        summary: "One figure per area of a level for one period, as GeoJSON, with the same rule as the indicators",
        params: &[
            qe("dataset", "The dataset (default suicides)", DATASETS),
            qe("level", "The areas' level (default lad)", LEVELS),
            q("area", "Only the areas inside this one"),
            qe(
                "measure",
                "What the value is (default rate)",
                &["rate", "count", "presentations", "persons"],
            ),
            q(
                "period",
                "2024 (a year), 2022-2024 (three years), 2024-Q3, 2024-07; default the latest whole period",
            ),
            qe("audience", "Whose rule applies", AUDIENCE),
            qe(
                "format",
                "geojson (default), or the figures as a file",
                &["geojson", "csv", "xlsx"],
            ),
            qe(
                "hotspots",
                "true: each Feature also has hot_spot ({z, class}: Getis-Ord Gi* over the published figures, 8 nearest neighbours) and the collection hot_spots (the method, or why there are none)",
                &["true", "false"],
            ),
        ],
        body: &[],
        answers: "A FeatureCollection, one Feature per area with properties code, name, count, value, lower, upper, suppressed, comparison (and hot_spot with hotspots=true); members period, periods, partial, statistic, disclosure, comparator, polarity, definition, withheld (and hot_spots)",
        media: Some("application/geo+json"),
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/suicides",
        summary: "Suspected suicides in the register (statutory core; scoped and audited)",
        params: LIST_PARAMS,
        body: &[],
        answers: "{items, total, page, per_page}",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/self-harm",
        summary: "Self-harm presentations in the register (statutory core; scoped and audited)",
        params: LIST_PARAMS,
        body: &[],
        answers: "{items, total, page, per_page}",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/suicides/{id}",
        summary: "One suspected suicide, with its history (audited)",
        params: &[path("id", "The record's id")],
        body: &[],
        answers: "The record",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/self-harm/{id}",
        summary: "One self-harm presentation, with its history (audited)",
        params: &[path("id", "The record's id")],
        body: &[],
        answers: "The record",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/signals",
        summary: "Signals found by the detectors, with their review status",
        params: &[qe(
            "status",
            "Only signals with this status",
            &["new", "under_review", "responding", "closed"],
        )],
        body: &[],
        answers: "{items: [signal]}",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/plans",
        summary: "The action plans",
        params: &[],
        body: &[],
        answers: "[{id, title, area, period, actions}]",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/plans/{id}",
        summary: "One plan, with its sections, actions and their current status",
        params: &[path("id", "The plan's id")],
        body: &[],
        answers: "The plan",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/plans/{id}/summary",
        summary: "Progress by section, for the oversight group",
        params: &[
            path("id", "The plan's id"),
            q("since", "Changes since this date (YYYY-MM-DD)"),
        ],
        body: &[],
        answers: "Progress by section",
        media: None,
    },
    Operation {
        method: "GET",
        pattern: "/api/v1/plans/{id}/actions/{action}",
        summary: "One action with its updates",
        params: &[
            path("id", "The plan's id"),
            path("action", "The action's number"),
        ],
        body: &[],
        answers: "The action and its updates",
        media: None,
    },
    Operation {
        method: "POST",
        pattern: "/api/v1/plans/{id}/actions/{action}/updates",
        summary: "Post a progress update on an action (its lead, or an admin)",
        params: &[
            path("id", "The plan's id"),
            path("action", "The action's number"),
        ],
        body: &[("text", "string"), ("status", "string"), ("rag", "string")],
        answers: "The stored update",
        media: None,
    },
];

/// Who may call a route, in words.
fn who(rule: Rule) -> &'static str {
    match rule {
        Rule::Public => "anyone",
        Rule::SignedIn => "any signed-in user",
        Rule::People => "the statutory core (roles that see person-level records)",
        Rule::Analysts => "analysts and admins",
        Rule::Admin => "admins",
    }
}

/// The document.
pub(crate) fn build() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let rule = POLICY
            .iter()
            .find(|(m, p, _)| *m == op.method && *p == op.pattern)
            .map(|(_, _, r)| *r);
        let parameters: Vec<Value> = op
            .params
            .iter()
            .map(|p| {
                let mut schema = json!({ "type": if p.location == "path" && p.name == "id" { "integer" } else { "string" } });
                if !p.values.is_empty() {
                    schema["enum"] = json!(p.values);
                }
                json!({
                    "name": p.name,
                    "in": p.location,
                    "required": p.location == "path",
                    "description": p.description,
                    "schema": schema,
                })
            })
            .collect();
        let media = op.media.unwrap_or("application/json");
        let mut operation = json!({
            "summary": op.summary,
            "description": format!("Who may call it: {}.", rule.map_or("nobody (not routed)", who)),
            "parameters": parameters,
            "responses": {
                "200": { "description": op.answers, "content": { media: { "schema": { "type": "object" } } } },
                "4XX": { "description": "{\"error\": {\"code\", \"message\"}}: 400 refused (too fine for the audience), 401 sign in, 403 not allowed, 404, 422 wrong parameter" },
            },
        });
        if !op.body.is_empty() {
            let props: Map<String, Value> = op
                .body
                .iter()
                .map(|(k, t)| ((*k).to_owned(), json!({ "type": t })))
                .collect();
            operation["requestBody"] = json!({
                "required": true,
                "content": { "application/json": { "schema": { "type": "object", "properties": props } } },
            });
        }
        let entry = paths
            .entry(op.pattern.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[op.method.to_ascii_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Lantern",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Surveillance and intelligence for local suicide and self-harm prevention partnerships. Figures outside the statutory core carry the partner or public disclosure rule; person-level routes are scoped and audited.",
            "license": { "name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0" },
        },
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": crate::access::COOKIE },
            },
        },
        "paths": paths,
    })
}

async fn document() -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a route answers JSON (and so belongs in the document).
    fn is_json_route(pattern: &str) -> bool {
        pattern.starts_with("/api/") || pattern == "/healthz"
    }

    #[test]
    fn every_json_route_is_in_the_document_and_nothing_else() {
        let doc = build();
        let routed: Vec<(&str, &str)> = POLICY
            .iter()
            .filter(|(_, p, _)| is_json_route(p))
            .map(|(m, p, _)| (*m, *p))
            .collect();
        for (m, p) in &routed {
            assert!(
                doc["paths"][*p][m.to_ascii_lowercase()].is_object(),
                "{m} {p} is routed but not in the OpenAPI document"
            );
        }
        for op in OPERATIONS {
            assert!(
                routed.contains(&(op.method, op.pattern)),
                "{} {} is described but not routed",
                op.method,
                op.pattern
            );
        }
        // Path parameters are named as in the pattern.
        for op in OPERATIONS {
            for p in op.params.iter().filter(|p| p.location == "path") {
                assert!(
                    op.pattern.contains(&format!("{{{}}}", p.name)),
                    "{}",
                    op.pattern
                );
            }
        }
    }
}

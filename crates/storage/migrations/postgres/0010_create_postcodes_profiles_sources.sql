-- Postcodes to small areas, from ONS's postcode lookups (NSPL, ONSPD), kept for the
-- partnership's own areas: an imported record's postcode becomes its area of residence and is
-- never stored with the record. A postcode is kept by a digest of its normal form (see
-- lantern_core::import::postcode_key), so this file holds no postcode as text.
CREATE TABLE postcodes (
    postcode_key TEXT PRIMARY KEY,
    area_code TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    terminated TEXT
);
CREATE INDEX postcodes_area ON postcodes (area_code);

-- Mapping profiles saved under a name (lantern profiles save NAME P.toml), used by name on
-- import (--profile NAME) and in the browser. The TOML is kept as written.
CREATE TABLE import_profiles (
    name TEXT PRIMARY KEY,
    dataset TEXT NOT NULL,
    toml TEXT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    saved_by TEXT NOT NULL
);

-- The sources that send records (lantern sources add|list|rename). Once any is listed, a file
-- naming another source is refused, with the close matches.
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    added_at TIMESTAMPTZ NOT NULL,
    added_by TEXT NOT NULL
);

-- Files uploaded in the browser (/imports) and what became of each: checked, refused or
-- imported. The file itself is never kept.
CREATE TABLE import_uploads (
    id BIGSERIAL PRIMARY KEY,
    uploaded_at TIMESTAMPTZ NOT NULL,
    uploaded_by TEXT NOT NULL,
    dataset TEXT NOT NULL,
    file_name TEXT NOT NULL,
    profile TEXT,
    outcome TEXT NOT NULL,
    inserted BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    problems BIGINT NOT NULL
);

-- Records from different sources that look like the same death (date, age, sex and area
-- within tolerances), for an analyst to review: open, same (the second is not counted by the
-- indicators; both records and their histories are kept) or distinct. Undo sets it open.
CREATE TABLE possible_duplicates (
    id BIGSERIAL PRIMARY KEY,
    dataset TEXT NOT NULL,
    first_id BIGINT NOT NULL,
    second_id BIGINT NOT NULL,
    found_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at TIMESTAMPTZ,
    UNIQUE (dataset, first_id, second_id)
);
CREATE INDEX possible_duplicates_status ON possible_duplicates (dataset, status);

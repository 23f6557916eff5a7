-- The register, areas and populations (postgres). Generated once from
-- crates/core/src/register/schema.rs; the storage tests check every schema field has a column.
-- Never edit after release: add a new numbered migration instead.

CREATE TABLE areas (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT,
    boundary TEXT
);
CREATE INDEX areas_parent ON areas (parent_code);
CREATE INDEX areas_level ON areas (level);

CREATE TABLE populations (
    area_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    sex TEXT NOT NULL,
    age_band TEXT NOT NULL,
    population BIGINT NOT NULL,
    PRIMARY KEY (area_code, year, sex, age_band)
);

CREATE TABLE suspected_suicides (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    source_ref TEXT NOT NULL,
    date_of_death DATE NOT NULL,
    age BIGINT NOT NULL,
    sex TEXT NOT NULL,
    residence_area TEXT NOT NULL,
    status TEXT NOT NULL,
    method_group TEXT NOT NULL,
    location_type TEXT NOT NULL,
    status_date DATE,
    notified_at DATE,
    reporter_role TEXT,
    date_found DATE,
    location_text TEXT,
    location_lat DOUBLE PRECISION,
    location_lon DOUBLE PRECISION,
    location_of_concern TEXT,
    confirmed_method_group TEXT,
    confirmed_icd10 TEXT,
    substances TEXT,
    emerging_method BOOLEAN,
    gender_identity TEXT,
    ethnicity TEXT,
    relationship_status TEXT,
    living_alone BOOLEAN,
    employment TEXT,
    occupation TEXT,
    priority_groups TEXT,
    circumstances TEXT,
    service_contact TEXT,
    linked_incidents TEXT,
    nok_informed BOOLEAN,
    support_offered BOOLEAN,
    support_consent BOOLEAN,
    referral_date DATE,
    referral_service TEXT,
    first_contact_date DATE,
    postvention_outcome TEXT,
    inquest_date DATE,
    notes TEXT,
    row_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    created_origin TEXT NOT NULL,
    UNIQUE (source, source_ref)
);
CREATE INDEX suspected_suicides_date ON suspected_suicides (date_of_death);
CREATE INDEX suspected_suicides_area ON suspected_suicides (residence_area);

CREATE TABLE self_harm_presentations (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    source_ref TEXT NOT NULL,
    presented_at TEXT NOT NULL,
    setting TEXT NOT NULL,
    person_key TEXT NOT NULL,
    age BIGINT NOT NULL,
    sex TEXT NOT NULL,
    residence_area TEXT NOT NULL,
    presentation_type TEXT NOT NULL,
    intent TEXT NOT NULL,
    methods TEXT NOT NULL,
    arrival_mode TEXT,
    ethnicity TEXT,
    drugs TEXT,
    alcohol BOOLEAN,
    illicit_substances BOOLEAN,
    location_type TEXT,
    precipitating_problems TEXT,
    prior_self_harm BOOLEAN,
    psychosocial_assessment BOOLEAN,
    next_care TEXT,
    referrals TEXT,
    priority_groups TEXT,
    row_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    created_origin TEXT NOT NULL,
    UNIQUE (source, source_ref)
);
CREATE INDEX self_harm_date ON self_harm_presentations (presented_at);
CREATE INDEX self_harm_area ON self_harm_presentations (residence_area);
CREATE INDEX self_harm_person ON self_harm_presentations (person_key, presented_at);

CREATE TABLE record_history (
    id BIGSERIAL PRIMARY KEY,
    dataset TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    origin TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX record_history_record ON record_history (dataset, record_id);

CREATE TABLE suicide_status_history (
    id BIGSERIAL PRIMARY KEY,
    record_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    effective_on DATE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX suicide_status_history_record ON suicide_status_history (record_id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

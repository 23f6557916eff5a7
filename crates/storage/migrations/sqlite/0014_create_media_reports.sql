-- Media reports of suspected suicides (lantern_core::media::MediaReport), by the reference their
-- log gives, each with the Samaritans media guidelines checklist. record_id names a suspected
-- suicide of the register (no foreign key: a record's removal under retention leaves the report).
CREATE TABLE media_reports (
    reference TEXT PRIMARY KEY,
    outlet TEXT NOT NULL,
    published TEXT NOT NULL,
    link TEXT,
    headline TEXT,
    area TEXT,
    record_id INTEGER,
    method_detail INTEGER NOT NULL,
    location_detail INTEGER NOT NULL,
    sensational_language INTEGER NOT NULL,
    photo INTEGER NOT NULL,
    helpline INTEGER NOT NULL,
    follow_up TEXT,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE INDEX media_reports_published ON media_reports (published);

-- Published figures to compare with (Fingertips' England and regional values, ...), one per
-- indicator, area, sex, age and period, as the publisher gave them.
CREATE TABLE benchmarks (
    indicator TEXT NOT NULL,
    indicator_name TEXT,
    area_code TEXT NOT NULL,
    area_name TEXT,
    area_type TEXT,
    sex TEXT NOT NULL,
    age TEXT NOT NULL,
    period TEXT NOT NULL,
    value REAL,
    lower95 REAL,
    upper95 REAL,
    lower998 REAL,
    upper998 REAL,
    count REAL,
    denominator REAL,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (indicator, area_code, sex, age, period)
);
CREATE INDEX benchmarks_area ON benchmarks (area_code);

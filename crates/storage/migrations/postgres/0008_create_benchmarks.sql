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
    value DOUBLE PRECISION,
    lower95 DOUBLE PRECISION,
    upper95 DOUBLE PRECISION,
    lower998 DOUBLE PRECISION,
    upper998 DOUBLE PRECISION,
    count DOUBLE PRECISION,
    denominator DOUBLE PRECISION,
    source TEXT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (indicator, area_code, sex, age, period)
);
CREATE INDEX benchmarks_area ON benchmarks (area_code);

-- Report schedules ("the quarterly report for the county, partner audience, on the first
-- Monday of each quarter"), each run they made, and the run's files in every format.
CREATE TABLE report_schedules (
    id BIGSERIAL PRIMARY KEY,
    detail TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE report_runs (
    id BIGSERIAL PRIMARY KEY,
    schedule_id BIGINT NOT NULL REFERENCES report_schedules (id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    ran_at TIMESTAMPTZ NOT NULL,
    title TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    UNIQUE (schedule_id, period)
);
CREATE TABLE report_files (
    run_id BIGINT NOT NULL REFERENCES report_runs (id) ON DELETE CASCADE,
    format TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (run_id, format)
);

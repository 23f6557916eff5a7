-- The partnership's organisations (lantern_core::workforce::Organisation), by the reference their
-- file gives. Roles are kept beside each organisation as role|from|to items separated by
-- semicolons: an organisation holds a handful, and the coverage figures read them all at once.
-- No person's name is kept.
CREATE TABLE organisations (
    reference TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sector TEXT NOT NULL,
    org_type TEXT NOT NULL,
    area TEXT,
    size INTEGER,
    roles TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

-- Training (lantern_core::workforce::Training): one row per session and delegates'
-- organisation ('' when none is named).
CREATE TABLE training (
    reference TEXT NOT NULL,
    organisation TEXT NOT NULL,
    day TEXT NOT NULL,
    course TEXT NOT NULL,
    provider TEXT,
    area TEXT,
    sector TEXT,
    delegates INTEGER NOT NULL,
    evaluations INTEGER,
    confidence_before REAL,
    confidence_after REAL,
    satisfaction REAL,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (reference, organisation)
);
CREATE INDEX training_day ON training (day);

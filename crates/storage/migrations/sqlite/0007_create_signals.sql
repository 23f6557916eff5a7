-- Signals found by the detectors and their review, and the register of locations of concern.
-- A signal's findings are JSON (replaced when recomputed); its key keeps it the same signal
-- across recomputations, so its review (status, owner, events) survives them.
CREATE TABLE signals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    dataset TEXT NOT NULL,
    area_code TEXT,
    detail TEXT NOT NULL,
    last_day TEXT NOT NULL,
    found_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    version INTEGER NOT NULL
);
CREATE INDEX signals_last_day ON signals (last_day);

CREATE TABLE signal_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    signal_id INTEGER NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    author TEXT NOT NULL,
    status_before TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    note TEXT NOT NULL
);
CREATE INDEX signal_events_signal ON signal_events (signal_id, at);

CREATE TABLE locations_of_concern (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL
);

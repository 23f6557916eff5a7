-- Optimistic locking: every change of a record bumps its version, and an edit made from an older
-- version is refused instead of silently overwriting the newer one.
ALTER TABLE suspected_suicides ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE self_harm_presentations ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

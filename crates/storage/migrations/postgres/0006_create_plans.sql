-- Action plans. A plan row holds the plan without its actions (JSON); each action is a row
-- (its words and fields as JSON, its current status and RAG as columns, since updates change
-- them); each progress update is a row that is never changed.
CREATE TABLE plans (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL UNIQUE,
    detail TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE plan_actions (
    id BIGSERIAL PRIMARY KEY,
    plan_id BIGINT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    section TEXT NOT NULL,
    number TEXT NOT NULL,
    detail TEXT NOT NULL,
    status TEXT,
    rag TEXT,
    UNIQUE (plan_id, number)
);

CREATE TABLE action_updates (
    id BIGSERIAL PRIMARY KEY,
    action_id BIGINT NOT NULL REFERENCES plan_actions (id) ON DELETE CASCADE,
    at TIMESTAMPTZ NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    status_before TEXT,
    status TEXT,
    rag TEXT
);
CREATE INDEX action_updates_action ON action_updates (action_id, at);

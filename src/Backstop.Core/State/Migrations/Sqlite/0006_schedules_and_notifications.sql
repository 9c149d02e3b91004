-- Schedules and notifications (docs/schedules.md). Times are Unix milliseconds (UTC), as in 0004.
-- A schedule's lease: one row per environment and kind. A server process runs a slot (one occurrence of the cron
-- expression) only after a conditional update of this row moved last_slot forward while no other process held the
-- lease; of several processes on one state exactly one wins each slot. The holder renews lease_until while it runs.
CREATE TABLE schedule_leases (
    environment TEXT NOT NULL,
    kind TEXT NOT NULL,
    last_slot INTEGER NOT NULL,
    holder TEXT,
    lease_until INTEGER NOT NULL,
    PRIMARY KEY (environment, kind)
);

-- Each slot run (or skipped because the previous one still held the lease), once.
CREATE TABLE schedule_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    kind TEXT NOT NULL,
    slot INTEGER NOT NULL,
    holder TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    outcome TEXT NOT NULL,
    exit_code INTEGER,
    message TEXT,
    UNIQUE (environment, kind, slot)
);

CREATE INDEX schedule_runs_latest ON schedule_runs (environment, kind, id);

-- Each webhook delivery: its event, the text sent, its tries and how the last one ended. Never the webhook's URL.
-- event_key names the thing told about (request 42 approved, drill 7 failed): with the webhook it is unique, so that
-- of several server processes noticing the same thing, one tells it.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key TEXT NOT NULL,
    webhook TEXT NOT NULL,
    event TEXT NOT NULL,
    environment TEXT,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_attempt_at INTEGER,
    delivered_at INTEGER,
    last_error TEXT,
    UNIQUE (event_key, webhook)
);

CREATE INDEX notifications_status ON notifications (status, id);

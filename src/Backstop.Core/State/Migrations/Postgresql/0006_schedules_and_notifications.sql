-- As Sqlite/0006: schedule leases (one conditional update per slot; exactly one server process wins it), the runs of
-- each slot, and webhook deliveries (never the webhook's URL). Times are Unix milliseconds (UTC).
CREATE TABLE backstop_state.schedule_leases (
    environment text NOT NULL,
    kind text NOT NULL,
    last_slot bigint NOT NULL,
    holder text,
    lease_until bigint NOT NULL,
    PRIMARY KEY (environment, kind)
);

CREATE TABLE backstop_state.schedule_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment text NOT NULL,
    kind text NOT NULL,
    slot bigint NOT NULL,
    holder text NOT NULL,
    started_at bigint NOT NULL,
    finished_at bigint,
    outcome text NOT NULL,
    exit_code bigint,
    message text,
    UNIQUE (environment, kind, slot)
);

CREATE INDEX schedule_runs_latest ON backstop_state.schedule_runs (environment, kind, id);

CREATE TABLE backstop_state.notifications (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_key text NOT NULL,
    webhook text NOT NULL,
    event text NOT NULL,
    environment text,
    text text NOT NULL,
    created_at bigint NOT NULL,
    status text NOT NULL,
    attempts bigint NOT NULL,
    last_attempt_at bigint,
    delivered_at bigint,
    last_error text,
    UNIQUE (event_key, webhook)
);

CREATE INDEX notifications_status ON backstop_state.notifications (status, id);

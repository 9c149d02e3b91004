-- The backup catalog, as Sqlite/0002 keeps it.
CREATE TABLE backstop_state.backups (
    environment text NOT NULL,
    id text NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    path text NOT NULL,
    database text NOT NULL,
    system_identifier text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    size_bytes bigint,
    tables integer,
    rows bigint,
    message text,
    pid integer NOT NULL,
    PRIMARY KEY (environment, id)
);

CREATE TABLE backstop_state.drills (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment text NOT NULL,
    backup_id text NOT NULL,
    kind text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    passed boolean NOT NULL,
    failed_check text,
    failed_object text,
    message text,
    durations text NOT NULL
);

CREATE INDEX drills_backup ON backstop_state.drills (environment, backup_id, id);

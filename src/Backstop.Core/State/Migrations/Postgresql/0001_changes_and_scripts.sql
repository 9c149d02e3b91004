-- The record of changes, as Sqlite/0001 keeps it, in a schema of its own so the database can hold other things.
-- Several processes on several machines add to it at once: ids come from an identity column (a sequence, never
-- handed out twice), and every write is one statement or one transaction. started_at keeps the instant;
-- started_offset_minutes the offset the recording machine gave it, so a change reads back as it was recorded.
CREATE SCHEMA IF NOT EXISTS backstop_state;

CREATE TABLE backstop_state.scripts (
    sha256 text PRIMARY KEY,
    size_bytes bigint NOT NULL,
    head text NOT NULL,
    text text NOT NULL
);

CREATE TABLE backstop_state.changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment text NOT NULL,
    system_identifier text NOT NULL,
    database text NOT NULL,
    host text NOT NULL,
    port integer NOT NULL,
    script_sha256 text NOT NULL REFERENCES backstop_state.scripts,
    verdict text NOT NULL,
    reasons text NOT NULL,
    impact text NOT NULL,
    os_user text NOT NULL,
    started_at timestamptz NOT NULL,
    started_offset_minutes integer NOT NULL,
    duration_ms bigint,
    outcome text NOT NULL,
    message text,
    change_uuid uuid,
    undo_of bigint
);

CREATE INDEX changes_environment ON backstop_state.changes (environment, id);
CREATE INDEX changes_change_uuid ON backstop_state.changes (change_uuid);

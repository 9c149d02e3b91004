-- The record of changes. Each script is kept once, by SHA-256, in scripts. head (the first 65,536 characters) and
-- size_bytes come before text, so a query that reads them stops before the pages of a large script: SQLite reads a
-- row's payload only as far as the columns asked for (https://www.sqlite.org/fileformat2.html#record_format).
-- A file written before versions were recorded (user_version 0, a changes table with the whole script in each row)
-- is brought to this shape by StateSchema instead.
CREATE TABLE scripts (
    sha256 TEXT PRIMARY KEY,
    size_bytes INTEGER NOT NULL,
    head TEXT NOT NULL,
    text TEXT NOT NULL
);

CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    system_identifier TEXT NOT NULL,
    database TEXT NOT NULL,
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    script_sha256 TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reasons TEXT NOT NULL,
    impact TEXT NOT NULL,
    os_user TEXT NOT NULL,
    started_at TEXT NOT NULL,
    duration_ms INTEGER,
    outcome TEXT NOT NULL,
    message TEXT,
    change_uuid TEXT,
    undo_of INTEGER
);

CREATE INDEX changes_environment ON changes (environment, id);
CREATE INDEX changes_change_uuid ON changes (change_uuid);

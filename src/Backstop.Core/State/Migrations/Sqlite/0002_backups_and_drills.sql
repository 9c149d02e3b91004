-- The backup catalog. IF NOT EXISTS: releases up to state version 1 created these tables on first use, outside the
-- numbered migrations, in this same shape.
CREATE TABLE IF NOT EXISTS backups (
    environment TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    path TEXT NOT NULL,
    database TEXT NOT NULL,
    system_identifier TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    size_bytes INTEGER,
    tables INTEGER,
    rows INTEGER,
    message TEXT,
    pid INTEGER NOT NULL,
    PRIMARY KEY (environment, id)
);

CREATE TABLE IF NOT EXISTS drills (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    backup_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    passed INTEGER NOT NULL,
    failed_check TEXT,
    failed_object TEXT,
    message TEXT,
    durations TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS drills_backup ON drills (environment, backup_id, id);

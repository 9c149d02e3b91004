-- The audit log: entries and signed checkpoints, append-only (src/Backstop.Core/Audit, docs/audit.md). An entry is kept
-- as its canonical JSON, which is what its leaf hash covers; actor and at are copies of two of its fields, for
-- `backstop audit list --actor/--since`. Nothing may change or remove a row: the triggers refuse it.
CREATE TABLE audit_entries (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    entry TEXT NOT NULL,
    leaf_hash BLOB NOT NULL
);

CREATE INDEX audit_entries_actor ON audit_entries (actor, seq);

CREATE INDEX audit_entries_at ON audit_entries (at);

CREATE TABLE audit_checkpoints (
    tree_size INTEGER PRIMARY KEY,
    root_hash TEXT NOT NULL,
    at TEXT NOT NULL,
    signature TEXT NOT NULL,
    key_id TEXT NOT NULL
);

CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only: an audit entry cannot be changed');
END;

CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only: an audit entry cannot be removed');
END;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: a checkpoint cannot be changed');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: a checkpoint cannot be removed');
END;

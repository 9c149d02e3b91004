-- Team mode (docs/server.md): people, their sign-in tokens, and approval requests bound to a prepared change.
-- Times are Unix milliseconds (UTC) in both stores, so that one set of queries serves both.
-- Tokens and passwords are kept only as hashes: a token as its SHA-256, a password as Argon2id (PasswordHashing).
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_at INTEGER,
    created_at INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);

CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    client TEXT
);

CREATE INDEX tokens_user ON tokens (user_name);

CREATE TABLE approval_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id INTEGER NOT NULL,
    environment TEXT NOT NULL,
    system_identifier TEXT NOT NULL,
    database TEXT NOT NULL,
    database_oid INTEGER,
    script_sha256 TEXT NOT NULL,
    impact TEXT NOT NULL,
    requester TEXT NOT NULL,
    allow_all_rows INTEGER NOT NULL,
    required_approvals INTEGER NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT,
    staged_runs TEXT,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    approved_at INTEGER,
    execute_by INTEGER,
    executed_at INTEGER,
    closed_reason TEXT
);

CREATE INDEX approval_requests_status ON approval_requests (status, environment);

CREATE TABLE approval_votes (
    request_id INTEGER NOT NULL REFERENCES approval_requests (id),
    voter TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (request_id, voter)
);

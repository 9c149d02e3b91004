-- Download links of snapshots (docs/snapshots.md "Links"). Times are Unix milliseconds (UTC), as in 0004.
-- A link is a random token handed to one user once; only its SHA-256 is kept. It works once (used_at is set by one
-- conditional update), only before expires_at, and only for the user it was issued to. expiry_noted marks a link
-- that expired unused once the audit log has said so.
CREATE TABLE snapshot_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_sha256 TEXT NOT NULL UNIQUE,
    environment TEXT NOT NULL,
    snapshot_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    used_from TEXT,
    expiry_noted INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX snapshot_links_unused ON snapshot_links (expiry_noted, expires_at);

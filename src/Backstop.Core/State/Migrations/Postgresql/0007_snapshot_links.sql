-- As Sqlite/0007: download links of snapshots; only the token's SHA-256 is kept; one use, before expiry, by its user.
CREATE TABLE backstop_state.snapshot_links (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_sha256 text NOT NULL UNIQUE,
    environment text NOT NULL,
    snapshot_id text NOT NULL,
    user_name text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at bigint,
    used_from text,
    expiry_noted integer NOT NULL DEFAULT 0
);

CREATE INDEX snapshot_links_unused ON backstop_state.snapshot_links (expiry_noted, expires_at);

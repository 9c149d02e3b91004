-- Team mode (docs/server.md): people, their sign-in tokens, and approval requests bound to a prepared change.
-- Times are Unix milliseconds (UTC) in both stores, so that one set of queries serves both.
-- Tokens and passwords are kept only as hashes: a token as its SHA-256, a password as Argon2id (PasswordHashing).
CREATE TABLE backstop_state.users (
    name text PRIMARY KEY,
    role text NOT NULL,
    password_hash text NOT NULL,
    disabled bigint NOT NULL DEFAULT 0,
    failed_attempts bigint NOT NULL DEFAULT 0,
    locked_at bigint,
    created_at bigint NOT NULL,
    password_changed_at bigint NOT NULL
);

CREATE TABLE backstop_state.tokens (
    hash text PRIMARY KEY,
    user_name text NOT NULL REFERENCES backstop_state.users (name),
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    revoked_at bigint,
    client text
);

CREATE INDEX tokens_user ON backstop_state.tokens (user_name);

CREATE TABLE backstop_state.approval_requests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    change_id bigint NOT NULL,
    environment text NOT NULL,
    system_identifier text NOT NULL,
    database text NOT NULL,
    database_oid bigint,
    script_sha256 text NOT NULL,
    impact text NOT NULL,
    requester text NOT NULL,
    allow_all_rows bigint NOT NULL,
    required_approvals bigint NOT NULL,
    kind text NOT NULL,
    reason text,
    staged_runs text,
    status text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    approved_at bigint,
    execute_by bigint,
    executed_at bigint,
    closed_reason text
);

CREATE INDEX approval_requests_status ON backstop_state.approval_requests (status, environment);

CREATE TABLE backstop_state.approval_votes (
    request_id bigint NOT NULL REFERENCES backstop_state.approval_requests (id),
    voter text NOT NULL,
    decision text NOT NULL,
    reason text,
    at bigint NOT NULL,
    PRIMARY KEY (request_id, voter)
);

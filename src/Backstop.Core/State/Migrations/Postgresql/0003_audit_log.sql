-- The audit log, as Sqlite/0003 keeps it: entries and signed checkpoints, append-only. The triggers refuse UPDATE and
-- DELETE of any row and TRUNCATE of either table, whoever asks (only a superuser or the tables' owner can disable them,
-- and the verifier catches what they then do); no role gets those privileges through PUBLIC.
CREATE TABLE backstop_state.audit_entries (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    entry text NOT NULL,
    leaf_hash bytea NOT NULL
);

CREATE INDEX audit_entries_actor ON backstop_state.audit_entries (actor, seq);

CREATE INDEX audit_entries_at ON backstop_state.audit_entries (at);

CREATE TABLE backstop_state.audit_checkpoints (
    tree_size bigint PRIMARY KEY,
    root_hash text NOT NULL,
    at timestamptz NOT NULL,
    signature text NOT NULL,
    key_id text NOT NULL
);

CREATE FUNCTION backstop_state.audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
        USING HINT = 'the audit log keeps every entry and checkpoint forever; nothing may change or remove them';
END
$$;

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON backstop_state.audit_entries
    FOR EACH ROW EXECUTE FUNCTION backstop_state.audit_append_only();

CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON backstop_state.audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION backstop_state.audit_append_only();

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON backstop_state.audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION backstop_state.audit_append_only();

CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON backstop_state.audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION backstop_state.audit_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON backstop_state.audit_entries, backstop_state.audit_checkpoints FROM PUBLIC;

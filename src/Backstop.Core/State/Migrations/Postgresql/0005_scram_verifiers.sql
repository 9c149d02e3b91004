-- As Sqlite/0005: SCRAM-SHA-256 verifiers beside the Argon2id hash and the token hashes, for the proxy.
ALTER TABLE backstop_state.users ADD COLUMN scram_verifier text;
ALTER TABLE backstop_state.tokens ADD COLUMN scram_verifier text;

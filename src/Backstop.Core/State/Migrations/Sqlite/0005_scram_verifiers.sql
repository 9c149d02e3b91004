-- For the proxy (docs/proxy.md): PostgreSQL clients authenticate with SCRAM-SHA-256, which needs a verifier derived
-- from the secret (RFC 5802: salt, iterations, StoredKey, ServerKey), not an Argon2id hash. A user's password gets one
-- when it is set, and each sign-in token one with the same salt and iteration count, so that one SCRAM exchange can
-- accept the password or any live token. Users whose password was set before this migration get theirs at their
-- next password reset.
ALTER TABLE users ADD COLUMN scram_verifier TEXT;
ALTER TABLE tokens ADD COLUMN scram_verifier TEXT;

-- The demo's incident-like schema: a tenant's data hangs off users through ON DELETE CASCADE,
-- and orders carry a soft-delete flag.
CREATE TABLE organizations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations ON DELETE CASCADE,
    email text NOT NULL UNIQUE
);
CREATE TABLE leads (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    company text NOT NULL
);
CREATE TABLE conversations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id bigint NOT NULL REFERENCES leads ON DELETE CASCADE,
    body text NOT NULL
);
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer text NOT NULL,
    total numeric(10, 2) NOT NULL,
    is_deleted boolean NOT NULL DEFAULT false
);

INSERT INTO organizations (name) SELECT 'org ' || g FROM generate_series(1, 10) g;
INSERT INTO users (organization_id, email) SELECT 1 + g % 10, 'user' || g || '@example.com' FROM generate_series(1, 100) g;
INSERT INTO leads (user_id, company) SELECT 1 + g % 100, 'company ' || g FROM generate_series(1, 3000) g;
INSERT INTO conversations (lead_id, body) SELECT 1 + g % 3000, 'message ' || g FROM generate_series(1, 30000) g;
INSERT INTO orders (customer, total) SELECT 'customer ' || g, (g % 500) + 0.99 FROM generate_series(1, 5000) g;
ANALYZE;

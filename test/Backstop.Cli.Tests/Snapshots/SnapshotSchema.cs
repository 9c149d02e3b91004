namespace Backstop.Cli.Tests.Snapshots;

/// <summary>
/// The incident schema with personal data: names, unique emails and phones in users, the same in leads (every tenth
/// lead is its own user, with the user's email), free text in conversations that quotes the lead's email.
/// </summary>
internal static class SnapshotSchema
{
    public const string Sql = """
        CREATE TABLE organizations (id int PRIMARY KEY, name text);
        CREATE TABLE users (
            id serial PRIMARY KEY, organization_id int NOT NULL REFERENCES organizations ON DELETE CASCADE,
            name text NOT NULL, email text NOT NULL UNIQUE, phone text, signed_up date NOT NULL);
        CREATE TABLE leads (
            id int PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE CASCADE,
            name text NOT NULL, email text, phone text, score int NOT NULL);
        CREATE TABLE conversations (id int PRIMARY KEY, lead_id int NOT NULL REFERENCES leads ON DELETE CASCADE, body text NOT NULL);
        CREATE TABLE orders (id int PRIMARY KEY, source text NOT NULL DEFAULT 'web', is_deleted boolean NOT NULL DEFAULT false);
        INSERT INTO organizations VALUES (1, 'Acme Corporation'), (2, E'Globex\tIndustries\nEurope \\ Ltd, Zürich'), (3, NULL);
        INSERT INTO users (organization_id, name, email, phone, signed_up)
        SELECT 1 + g % 2,
               (ARRAY['Olivia','Liam','Emma','Noah','Amelia','Oliver','Sophia','Elijah','Isabella','Mateo'])[1 + g % 10] || ' ' ||
               (ARRAY['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller'])[1 + g % 7] || '-' || g,
               'person' || g || '@mail.example.org', '+1 555 01' || lpad(g::text, 4, '0'), date '2024-01-01' + g
        FROM generate_series(1, 100) g;
        INSERT INTO leads
        SELECT g, 1 + g % 100, 'Lead Person ' || g,
               CASE WHEN g % 10 = 0 THEN 'person' || (1 + g % 100) || '@mail.example.org' ELSE 'lead' || g || '@prospect.example.net' END,
               '+44 20 7946 ' || lpad(g::text, 4, '0'), g % 97
        FROM generate_series(1, 1000) g;
        INSERT INTO conversations
        SELECT g, 1 + g % 1000, E'Hello,\tplease write to lead' || (1 + g % 1000) || E'@prospect.example.net\nThanks, a \\ backslash'
        FROM generate_series(1, 5000) g;
        INSERT INTO orders (id) SELECT g FROM generate_series(1, 2000) g;
        """;
}

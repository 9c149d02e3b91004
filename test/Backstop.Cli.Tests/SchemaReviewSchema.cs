namespace Backstop.Cli.Tests;

/// <summary>
/// The cascade incident at review scale: organizations → users → leads → conversations, each ON DELETE CASCADE, and the
/// audit trail cascading from users, with organizations of uneven size (organization k has 5k users) so that the worst
/// delete and the average one differ. audit_trail.user_id and notes.lead_id have no index; page_views has no key.
/// </summary>
internal static class SchemaReviewSchema
{
    public const string Sql = """
        CREATE TABLE organizations (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE users (id int PRIMARY KEY, organization_id int NOT NULL REFERENCES organizations ON DELETE CASCADE, email text);
        CREATE INDEX ON users (organization_id);
        CREATE TABLE leads (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE CASCADE);
        CREATE INDEX ON leads (user_id, id);
        CREATE TABLE conversations (id int PRIMARY KEY, lead_id int NOT NULL REFERENCES leads ON DELETE CASCADE);
        CREATE INDEX ON conversations (lead_id);
        CREATE TABLE audit_trail (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE CASCADE, what text);
        CREATE TABLE notes (id int PRIMARY KEY, lead_id int REFERENCES leads, body text);
        CREATE TABLE page_views (at timestamptz NOT NULL, path text);
        INSERT INTO organizations SELECT g, 'org' || g FROM generate_series(1, 20) g;
        INSERT INTO users SELECT row_number() OVER (), o, 'u@example.com' FROM generate_series(1, 20) o, generate_series(1, 5 * o);
        INSERT INTO leads SELECT g, 1 + g % 1050 FROM generate_series(1, 4200) g;
        INSERT INTO conversations SELECT g, 1 + g % 4200 FROM generate_series(1, 8400) g;
        INSERT INTO audit_trail (user_id, what) SELECT 1 + g % 1050, 'login' FROM generate_series(1, 3150) g;
        INSERT INTO page_views SELECT now(), '/p' || g FROM generate_series(1, 50) g;
        ANALYZE;
        """;

    /// <summary>Per organization, the rows a DELETE of it removes from the other tables, counted for real.</summary>
    public const string RemovedPerOrganization = """
        SELECT (SELECT count(*) FROM users u WHERE u.organization_id = o.id)
             + (SELECT count(*) FROM leads l JOIN users u ON u.id = l.user_id WHERE u.organization_id = o.id)
             + (SELECT count(*) FROM conversations c JOIN leads l ON l.id = c.lead_id JOIN users u ON u.id = l.user_id WHERE u.organization_id = o.id)
             + (SELECT count(*) FROM audit_trail a JOIN users u ON u.id = a.user_id WHERE u.organization_id = o.id)
        FROM organizations o
        """;
}

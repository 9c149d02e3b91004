namespace Backstop.Cli.Tests;

/// <summary>The two incidents in miniature: a cascade chain and an orders table with a soft-delete flag.</summary>
internal static class IncidentSchema
{
    public const string Sql = """
        CREATE TABLE organizations (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE users (id int PRIMARY KEY, organization_id int NOT NULL REFERENCES organizations ON DELETE CASCADE, email text);
        CREATE TABLE leads (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE CASCADE);
        CREATE TABLE conversations (id int PRIMARY KEY, lead_id int NOT NULL REFERENCES leads ON DELETE CASCADE);
        INSERT INTO organizations VALUES (1, 'acme'), (2, 'globex');
        INSERT INTO users SELECT g, 1 + g % 2, 'u' || g || '@example.com' FROM generate_series(1, 10) g;
        INSERT INTO leads SELECT g, 1 + g % 10 FROM generate_series(1, 300) g;
        INSERT INTO conversations SELECT g, 1 + g % 300 FROM generate_series(1, 3000) g;
        CREATE TABLE orders (id int PRIMARY KEY, source text NOT NULL DEFAULT 'web', is_deleted boolean NOT NULL DEFAULT false);
        INSERT INTO orders (id) SELECT g FROM generate_series(1, 5000) g;
        """;
}

namespace Backstop.Cli.Tests.Snapshots;

/// <summary>Users with personal data, their leads and conversations, and a table that is nobody's personal data.</summary>
internal static class SnapshotRulesSchema
{
    public const string Sql = """
        CREATE TABLE organizations (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE users (
            id int PRIMARY KEY,
            organization_id int NOT NULL REFERENCES organizations,
            email varchar(200) NOT NULL UNIQUE,
            first_name text,
            last_name text,
            phone text,
            date_of_birth date,
            last_ip inet,
            status text NOT NULL DEFAULT 'active',
            created_at timestamptz NOT NULL DEFAULT now(),
            full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED);
        CREATE TABLE leads (id bigint PRIMARY KEY, user_id int NOT NULL REFERENCES users, company text, city text, score int);
        CREATE TABLE conversations (id bigint PRIMARY KEY, lead_id bigint NOT NULL REFERENCES leads, body text NOT NULL);
        CREATE SCHEMA backstop_trash_7;
        CREATE TABLE backstop_trash_7.old_users (id int, email text);
        INSERT INTO organizations VALUES (1, 'Acme');
        INSERT INTO users (id, organization_id, email, first_name, last_name, phone) VALUES (1, 1, 'ana@shop.example', 'Ana', 'Lima', '+49 30 1234567');
        """;
}

namespace Backstop.Cli.Tests;

/// <summary>A database worth backing up: several schemas, foreign keys, sequences (serial and identity), an enum, json, arrays, a view, a trigger, a NOT VALID constraint and large objects.</summary>
internal static class BackupSchema
{
    public const string Sql = """
        CREATE SCHEMA crm;
        CREATE SCHEMA sales;
        CREATE TYPE crm.mood AS ENUM ('happy', 'sad');
        CREATE TABLE crm.users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE, mood crm.mood, profile json, born date);
        CREATE TABLE sales.orders (
            id serial PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES crm.users ON DELETE CASCADE,
            total numeric(12, 2),
            placed_at timestamptz NOT NULL DEFAULT now(),
            tags text[],
            note text);
        CREATE INDEX orders_user ON sales.orders (user_id);
        CREATE TABLE sales.audit (id bigserial PRIMARY KEY, order_id int, what text);
        CREATE FUNCTION sales.log_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO sales.audit (order_id, what) VALUES (NEW.id, 'insert'); RETURN NEW; END $$;
        CREATE TRIGGER orders_log AFTER INSERT ON sales.orders FOR EACH ROW EXECUTE FUNCTION sales.log_order();
        CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE total > 1000;
        INSERT INTO crm.users (name, mood, profile, born) SELECT 'user ' || g, CASE WHEN g % 3 = 0 THEN 'sad' ELSE 'happy' END::crm.mood, json_build_object('n', g), date '1990-01-01' + g FROM generate_series(1, 300) g;
        INSERT INTO sales.orders (user_id, total, tags, note) SELECT 1 + g % 300, g * 1.25, ARRAY['a', 'b' || g], CASE WHEN g % 7 = 0 THEN NULL ELSE 'order ' || g END FROM generate_series(1, 5000) g;
        ALTER TABLE sales.orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID;
        SELECT lo_from_bytea(0, convert_to('the first large object', 'UTF8'));
        SELECT lo_from_bytea(0, decode(repeat('00ff', 5000), 'hex'));
        """;
}

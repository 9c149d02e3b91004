using System.Globalization;
using System.Text;

namespace Backstop.Benchmarks;

/// <summary>
/// A large, realistic migration-and-data script, generated the same way every run (fixed seed) so that MB/s
/// figures compare across commits: tables with constraints, multi-row INSERTs with quoted strings, PL/pgSQL
/// functions in dollar quotes, comments, and UPDATE/DELETE with WHERE. All ASCII, so characters equal bytes.
/// </summary>
internal static class SqlBenchmarkScript
{
    private static readonly string[] Names = ["O'Brien", "Smith; Jones", "Zoe Ng", "back\\slash", "plain", "\"quoted\"", "semi;colon -- not a comment"];

    public static string Generate(int minimumLength)
    {
        var random = new Random(20240601);
        var builder = new StringBuilder(minimumLength + 16_384);
        var table = 0;
        while (builder.Length < minimumLength)
        {
            table++;
            AppendCreateTable(builder, table);
            AppendInsert(builder, random, table, rows: 200);
            AppendFunction(builder, table);
            for (var i = 0; i < 20; i++)
            {
                AppendUpdateAndDelete(builder, random, table);
            }
        }

        return builder.ToString();
    }

    private static void AppendCreateTable(StringBuilder builder, int table) => builder.Append(CultureInfo.InvariantCulture, $"""
        -- Orders for shard {table}
        CREATE TABLE IF NOT EXISTS app.orders_{table} (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            customer_id bigint NOT NULL REFERENCES app.customers (id) ON DELETE CASCADE,
            status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped')),
            total numeric(12, 2) NOT NULL CHECK (total >= 0),
            note text,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT orders_{table}_note_len CHECK (char_length(note) < 1000)
        );
        CREATE INDEX IF NOT EXISTS orders_{table}_customer ON app.orders_{table} (customer_id, created_at DESC);

        """);

    private static void AppendInsert(StringBuilder builder, Random random, int table, int rows)
    {
        builder.Append(CultureInfo.InvariantCulture, $"INSERT INTO app.orders_{table} (customer_id, status, total, note) VALUES\n");
        for (var row = 0; row < rows; row++)
        {
            var name = Names[random.Next(Names.Length)].Replace("'", "''", StringComparison.Ordinal);
            var total = random.Next(0, 1_000_000) / 100.0;
            builder.Append(CultureInfo.InvariantCulture, $"    ({random.Next(1, 100_000)}, 'paid', {total:0.00}, 'for {name}')");
            builder.Append(row + 1 < rows ? ",\n" : ";\n\n");
        }
    }

    private static void AppendFunction(StringBuilder builder, int table) => builder.Append(CultureInfo.InvariantCulture, $$"""
        /* Keeps totals in step; the body has its own semicolons. */
        CREATE OR REPLACE FUNCTION app.touch_orders_{{table}}() RETURNS trigger
        LANGUAGE plpgsql AS $fn$
        DECLARE
            delta numeric := 0;
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                delta := NEW.total - OLD.total;
            END IF;
            UPDATE app.customer_totals SET total = total + delta WHERE customer_id = NEW.customer_id;
            RAISE NOTICE 'order % changed by %; status=%', NEW.id, delta, E'it\'s';
            RETURN NEW;
        END
        $fn$;

        """);

    private static void AppendUpdateAndDelete(StringBuilder builder, Random random, int table)
    {
        var id = random.Next(1, 1_000_000);
        builder.Append(CultureInfo.InvariantCulture, $"""
            UPDATE app.orders_{table} AS o SET status = 'shipped', note = note || E' (shipped \'fast\')'
            WHERE o.id = {id} AND o.status = 'paid'; -- one row

            DELETE FROM app.orders_{table} WHERE created_at < now() - interval '30 days' AND status = 'new' AND id > {id};

            """);
    }
}

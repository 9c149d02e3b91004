using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>DROP SCHEMA … CASCADE through Backstop keeps the whole schema in the recycle bin.</summary>
public sealed class TrashSchemaTests : IDisposable
{
    private const string Schema = """
        CREATE SCHEMA crm;
        CREATE TABLE crm.customers (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE crm.notes (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES crm.customers, body text);
        CREATE VIEW crm.customer_notes AS SELECT c.name, n.body FROM crm.customers c JOIN crm.notes n ON n.customer_id = c.id;
        CREATE FUNCTION crm.shout(text) RETURNS text LANGUAGE sql AS $$ SELECT upper($1) $$;
        INSERT INTO crm.customers SELECT g, 'customer ' || g FROM generate_series(1, 200) g;
        INSERT INTO crm.notes SELECT g, 1 + g % 200, 'note ' || g FROM generate_series(1, 1000) g;
        CREATE TABLE public.invoices (id int PRIMARY KEY, customer_id int CONSTRAINT invoices_customer REFERENCES crm.customers);
        INSERT INTO public.invoices SELECT g, 1 + g % 200 FROM generate_series(1, 300) g;
        """;

    private const string Catalog = """
        SELECT string_agg(item, E'\n' ORDER BY item) FROM (
            SELECT 'table ' || table_name AS item FROM information_schema.tables WHERE table_schema = 'crm'
            UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = to_regnamespace('crm')
            UNION ALL SELECT 'fk ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND connamespace::regnamespace::text <> 'backstop'
            UNION ALL SELECT 'customers ' || md5(string_agg(c::text, '|' ORDER BY c.id)) FROM crm.customers c
            UNION ALL SELECT 'view rows ' || count(*) FROM crm.customer_notes
        ) items
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Drop_schema_cascade_goes_to_the_bin_and_restore_brings_back_everything_in_it_and_the_foreign_keys_into_it()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        var before = await PostgresSandbox.TextAsync(database, Catalog);

        var drop = await _workspace.RunAsync("run", "-e", "dev", "-c", "DROP SCHEMA crm CASCADE");
        Assert.True(drop.ExitCode == 0, drop.ToString());
        Assert.Null(await PostgresSandbox.TextAsync(database, "SELECT to_regnamespace('crm')::text"));
        Assert.Null(await PostgresSandbox.TextAsync(database, "SELECT conname::text FROM pg_constraint WHERE conname = 'invoices_customer'"));
        var list = await _workspace.RunAsync("trash", "list", "-e", "dev", "--json");
        using var items = JsonDocument.Parse(list.Out);
        var item = items.RootElement.GetProperty("items").EnumerateArray().Single();
        Assert.Equal("schema crm", item.GetProperty("table").GetString());

        var restore = await _workspace.RunAsync("trash", "restore", item.GetProperty("id").GetString()!, "-e", "dev");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(before, await PostgresSandbox.TextAsync(database, Catalog));
    }
}

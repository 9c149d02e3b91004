using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>The recycle bin: DROP TABLE through Backstop, then `backstop trash restore`.</summary>
public sealed class TrashTests : IDisposable
{
    private const string Schema = """
        CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, age int CHECK (age >= 0));
        CREATE UNIQUE INDEX users_email ON users (lower(email));
        CREATE TABLE leads (id int PRIMARY KEY, user_id int NOT NULL CONSTRAINT leads_user REFERENCES users ON DELETE CASCADE);
        CREATE TABLE audit (what text);
        CREATE FUNCTION audit_users() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (TG_OP); RETURN NULL; END $$;
        CREATE TRIGGER users_audit AFTER INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit_users();
        INSERT INTO users SELECT g, 'user' || g || '@example.com', g % 90 FROM generate_series(1, 500) g;
        INSERT INTO leads SELECT g, 1 + g % 500 FROM generate_series(1, 2000) g;
        """;

    private const string Catalog = """
        SELECT string_agg(item, E'\n' ORDER BY item) FROM (
            SELECT 'index ' || indexdef AS item FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'users'
            UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'public.users'::regclass
            UNION ALL SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'public.users'::regclass AND NOT tgisinternal
            UNION ALL SELECT 'references ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated
                      FROM pg_constraint WHERE confrelid = 'public.users'::regclass
            UNION ALL SELECT 'data ' || md5(string_agg(u::text, '|' ORDER BY u.id)) FROM users u
        ) items
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Drop_table_goes_to_the_bin_and_restore_brings_back_data_indexes_constraints_triggers_and_foreign_keys()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        var before = await PostgresSandbox.TextAsync(database, Catalog);

        var drop = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DROP TABLE users CASCADE");
        Assert.True(drop.ExitCode == 0, drop.ToString());
        Assert.Null(await PostgresSandbox.TextAsync(database, "SELECT to_regclass('public.users')::text"));
        Assert.Null(await PostgresSandbox.TextAsync(database, "SELECT conname::text FROM pg_constraint WHERE conname = 'leads_user'"));
        var list = await _workspace.RunAsync("trash", "list", "-e", "dev", "--json");
        using var items = JsonDocument.Parse(list.Out);
        var item = items.RootElement.GetProperty("items").EnumerateArray().Single();
        Assert.Equal("public.users", item.GetProperty("table").GetString());

        var restore = await _workspace.RunAsync("trash", "restore", item.GetProperty("id").GetString()!, "-e", "dev");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(before, await PostgresSandbox.TextAsync(database, Catalog));
        Assert.Contains("references leads leads_user FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE true", before, StringComparison.Ordinal);
        var emptied = await _workspace.RunAsync("trash", "list", "-e", "dev");
        Assert.Contains("empty", emptied.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_refuses_when_the_name_is_taken_and_keeps_the_item()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        Assert.Equal(0, (await _workspace.RunAsync("run", "-e", "dev", "-c", "DROP TABLE leads")).ExitCode);
        await PostgresSandbox.ExecuteAsync(database, "CREATE TABLE leads (id int)");
        var list = await _workspace.RunAsync("trash", "list", "-e", "dev", "--json");
        using var items = JsonDocument.Parse(list.Out);
        var id = items.RootElement.GetProperty("items")[0].GetProperty("id").GetString()!;

        var restore = await _workspace.RunAsync("trash", "restore", id, "-e", "dev");

        Assert.Equal(2, restore.ExitCode);
        Assert.Contains("public.leads is taken", restore.Error, StringComparison.Ordinal);
        Assert.Contains(id, (await _workspace.RunAsync("trash", "list", "-e", "dev")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drop_table_with_dependents_and_no_cascade_fails_as_postgresql_would_and_drops_nothing()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);

        var drop = await _workspace.RunAsync("run", "-e", "dev", "-c", "DROP TABLE users");

        Assert.Equal(1, drop.ExitCode);
        Assert.Contains("2BP01", drop.Error, StringComparison.Ordinal);
        Assert.Equal("users", await PostgresSandbox.TextAsync(database, "SELECT to_regclass('public.users')::text"));
    }

    [Fact]
    public async Task Undo_of_a_drop_table_restores_it_from_the_bin()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        var before = await PostgresSandbox.TextAsync(database, Catalog);
        var drop = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DROP TABLE IF EXISTS users, no_such_table CASCADE");

        var undo = await _workspace.RunAsync("undo", drop.ChangeId);

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(before, await PostgresSandbox.TextAsync(database, Catalog));
    }

    [Fact]
    public async Task Retention_purge_removes_old_images_and_the_change_can_no_longer_be_undone()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        var update = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE users SET age = 1 WHERE id <= 10");
        var id = update.ChangeId;

        var kept = await _workspace.RunAsync("purge", "-e", "dev", "--json");
        var purged = await _workspace.RunAsync("purge", "-e", "dev", "--older-than", "0s", "--yes", "--json");
        var undo = await _workspace.RunAsync("undo", id);

        using (var keptJson = JsonDocument.Parse(kept.Out))
        {
            Assert.Equal(0, keptJson.RootElement.GetProperty("changes").GetInt32());
        }

        using (var purgedJson = JsonDocument.Parse(purged.Out))
        {
            Assert.Equal(1, purgedJson.RootElement.GetProperty("changes").GetInt32());
            Assert.True(purgedJson.RootElement.GetProperty("bytesFreed").GetInt64() > 0);
        }

        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'backstop' AND c.relname LIKE 'img\\_%'"));
        Assert.Equal(1, undo.ExitCode);
        Assert.Contains("purged", undo.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_drops_binned_tables_that_reference_each_other()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE ta (id int PRIMARY KEY, b int);
            CREATE TABLE tb (id int PRIMARY KEY, a int REFERENCES ta);
            ALTER TABLE ta ADD FOREIGN KEY (b) REFERENCES tb;
            """);
        Assert.Equal(0, (await _workspace.RunAsync("run", "-e", "dev", "-c", "DROP TABLE ta, tb")).ExitCode);

        var purge = await _workspace.RunAsync("trash", "purge", "-e", "dev", "--older-than", "0s", "--yes");

        Assert.True(purge.ExitCode == 0, purge.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM backstop.trash"));
    }

    [Fact]
    public async Task Undo_of_a_drop_on_production_needs_the_typed_confirmation_and_is_recorded()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", Schema);
        var policy = await File.ReadAllTextAsync(_workspace.ConfigPath);
        await File.WriteAllTextAsync(_workspace.ConfigPath, policy.Replace(
            "  production:\n", "  production:\n    destructive_ddl: confirm\n    total_rows: confirm\n    table_fraction: confirm\n", StringComparison.Ordinal));
        var drop = await _workspace.RunAsync("run", "-e", "prod", "--confirm", "prod", "--json", "-c", "DROP TABLE leads");
        Assert.True(drop.ExitCode == 0, drop.ToString());
        var id = drop.ChangeId;

        var unconfirmed = await _workspace.RunAsync("undo", id);
        var confirmed = await _workspace.RunAsync("undo", id, "--confirm", "prod", "--json");

        Assert.Equal(4, unconfirmed.ExitCode);
        Assert.True(confirmed.ExitCode == 0, confirmed.ToString());
        Assert.Equal("leads", await PostgresSandbox.TextAsync(database, "SELECT to_regclass('public.leads')::text"));
        Assert.Contains("\"undoOf\": " + id, (await _workspace.RunAsync("changes", "--json")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_of_the_same_name_can_be_dropped_again_and_both_are_kept()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE owner_t (id serial PRIMARY KEY, v text)");
        Assert.Equal(0, (await _workspace.RunAsync("run", "-e", "dev", "-c", "DROP TABLE owner_t")).ExitCode);
        await PostgresSandbox.ExecuteAsync(database, "CREATE TABLE owner_t (id serial PRIMARY KEY, v text)");

        var again = await _workspace.RunAsync("run", "-e", "dev", "-c", "DROP TABLE owner_t");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(2, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM backstop.trash WHERE original_name = 'owner_t'"));
    }

    [Fact]
    public async Task Purge_drops_binned_tables_for_good()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        Assert.Equal(0, (await _workspace.RunAsync("run", "-e", "dev", "-c", "DROP TABLE leads")).ExitCode);

        var young = await _workspace.RunAsync("trash", "purge", "-e", "dev", "--yes");
        var purge = await _workspace.RunAsync("trash", "purge", "-e", "dev", "--older-than", "0s", "--yes", "--json");

        Assert.Contains("Nothing in the recycle bin is that old", young.Out, StringComparison.Ordinal);
        Assert.True(purge.ExitCode == 0, purge.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'backstop\\_trash\\_%' AND c.relkind = 'r'"));
    }
}

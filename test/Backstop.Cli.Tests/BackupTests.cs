using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>backup run / verify / list / status / restore against a real database, including damaged backups.</summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
[Trait("Area", "State")]
public sealed class BackupTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task A_backup_with_schemas_keys_sequences_and_large_objects_is_proven_by_its_drill()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);

        var run = await _workspace.RunAsync("backup", "run", "-e", "dev", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var backup = JsonDocument.Parse(run.Out);
        var id = backup.RootElement.GetProperty("id").GetString()!;
        Assert.Equal(3, backup.RootElement.GetProperty("tables").GetInt32());
        Assert.Equal(300 + 5000 + 5000, backup.RootElement.GetProperty("rows").GetInt64());

        var before = await _workspace.RunAsync("backup", "status", "-e", "dev", "--strict", "--json");
        Assert.Equal(1, before.ExitCode);

        var verify = await _workspace.RunAsync("backup", "verify", id, "-e", "dev", "--json");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        using (var drill = JsonDocument.Parse(verify.Out))
        {
            Assert.True(drill.RootElement.GetProperty("passed").GetBoolean());
            Assert.Empty(drill.RootElement.GetProperty("failures").EnumerateArray());
        }

        var status = await _workspace.RunAsync("backup", "status", "-e", "dev", "--strict", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using (var json = JsonDocument.Parse(status.Out))
        {
            var dev = json.RootElement.GetProperty("environments")[0];
            Assert.False(dev.GetProperty("stale").GetBoolean());
            Assert.Equal(id, dev.GetProperty("lastProvenRestore").GetProperty("backup").GetString());
        }

        var thorough = await _workspace.RunAsync("backup", "verify", "--latest", "--thorough", "-e", "dev");
        Assert.True(thorough.ExitCode == 0, thorough.ToString());

        var table = await _workspace.RunAsync("backup", "status");
        Assert.Contains("(backup " + id + ")", table.Out, StringComparison.Ordinal);

        // The source is untouched by all this.
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM sales.orders"));
    }

    [Fact]
    public async Task A_restore_goes_into_a_new_database_and_never_over_a_non_empty_one_without_force_and_the_typed_name()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var id = await BackupAsync();
        var source = CliWorkspace.UrlOf(database);
        var fresh = source[..source.LastIndexOf('/')] + "/restored_" + Guid.NewGuid().ToString("N")[..8];

        var restore = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", fresh, "--json");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var restored = ConnectionStringOf(fresh);
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(restored, "SELECT count(*) FROM sales.orders"));
        Assert.Equal(2, await PostgresSandbox.ScalarAsync(restored, "SELECT count(*) FROM pg_largeobject_metadata"));

        // The sequence goes on where the source's was, so new rows do not collide with restored ones.
        Assert.Equal(5001, await PostgresSandbox.ScalarAsync(restored, "SELECT nextval('sales.orders_id_seq')"));

        var refused = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", fresh);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("is not empty", refused.Error, StringComparison.Ordinal);

        await PostgresSandbox.ExecuteAsync(restored, "DELETE FROM sales.orders WHERE id <= 10");
        var unconfirmed = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", fresh, "--force");
        Assert.Equal(4, unconfirmed.ExitCode);
        Assert.Equal(4990, await PostgresSandbox.ScalarAsync(restored, "SELECT count(*) FROM sales.orders"));

        // --yes confirms for an environment that is not production, never for a bare URL, whose tier nobody knows.
        var yesForUrl = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", fresh, "--force", "--yes", "--json");
        Assert.Equal(4, yesForUrl.ExitCode);
        Assert.Contains("needs the typed name (--yes is not enough for a production environment or a URL); re-run with --confirm restored_", yesForUrl.Error, StringComparison.Ordinal);
        Assert.Contains("\"needsConfirmation\"", yesForUrl.Out, StringComparison.Ordinal);
        Assert.Equal(4990, await PostgresSandbox.ScalarAsync(restored, "SELECT count(*) FROM sales.orders"));

        var dbName = fresh[(fresh.LastIndexOf('/') + 1)..];

        // A restore over a database that cannot take it (a view of its own depends on a table of the backup) fails as
        // a whole: pg_restore --clean ran in one transaction, so nothing was dropped.
        await PostgresSandbox.ExecuteAsync(restored, "CREATE VIEW public.my_orders AS SELECT id FROM sales.orders");
        var failed = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", fresh, "--force", "--confirm", dbName);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("left as it was", failed.Error, StringComparison.Ordinal);
        Assert.Equal(4990, await PostgresSandbox.ScalarAsync(restored, "SELECT count(*) FROM sales.orders"));
        Assert.Equal(300, await PostgresSandbox.ScalarAsync(restored, "SELECT count(*) FROM crm.users"));
        await PostgresSandbox.ExecuteAsync(restored, "DROP VIEW public.my_orders");

        var forced = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", fresh, "--force", "--confirm", dbName);
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(restored, "SELECT count(*) FROM sales.orders"));

        await PostgresSandbox.ExecuteAsync(database, "DELETE FROM sales.orders WHERE id <= 10");
        var yesForDevelopment = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--to", "dev", "--force", "--yes");
        Assert.True(yesForDevelopment.ExitCode == 0, yesForDevelopment.ToString());
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM sales.orders"));
    }

    [Fact]
    public async Task A_restore_into_a_sandbox_prints_a_url_that_holds_the_data_with_its_owners()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql + "CREATE ROLE backstop_test_owner NOLOGIN; ALTER TABLE crm.users OWNER TO backstop_test_owner;");
        var id = await BackupAsync();
        var name = "restore-test-" + Guid.NewGuid().ToString("N")[..6];

        var restore = await _workspace.RunAsync("backup", "restore", id, "-e", "dev", "--sandbox", "--name", name, "--json");
        try
        {
            Assert.True(restore.ExitCode == 0, restore.ToString());
            using var json = JsonDocument.Parse(restore.Out);
            var restored = ConnectionStringOf(json.RootElement.GetProperty("url").GetString()!);
            Assert.Equal(300, await PostgresSandbox.ScalarAsync(restored, "SELECT count(*) FROM crm.users"));
            Assert.Equal("backstop_test_owner", await PostgresSandbox.TextAsync(restored, "SELECT tableowner FROM pg_tables WHERE schemaname = 'crm' AND tablename = 'users'"));
        }
        finally
        {
            await _workspace.RunAsync("sandbox", "stop", name);
        }
    }

    [Fact]
    public async Task A_backup_of_the_postgres_database_is_drilled_in_the_new_cluster_s_own_postgres_database()
    {
        var cluster = await PostgresSandbox.GetAsync();
        Assert.Equal(0, (await _workspace.RunAsync("init")).ExitCode);
        Assert.Equal(0, (await _workspace.RunAsync("env", "add", "dev", "--url", CliWorkspace.UrlOf(cluster.ConnectionString()), "--tier", "development")).ExitCode);

        var id = await BackupAsync();
        var verify = await _workspace.RunAsync("backup", "verify", id, "-e", "dev");

        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task A_backup_of_a_latin1_database_is_proven_by_its_drill()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", "SELECT 1");
        var cluster = await PostgresSandbox.GetAsync();
        var name = "latin1_" + Guid.NewGuid().ToString("N")[..8];
        await PostgresSandbox.ExecuteAsync(cluster.ConnectionString(), $"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'LATIN1' LOCALE 'C'");
        await PostgresSandbox.ExecuteAsync(cluster.ConnectionString(name), "CREATE TABLE c (id int PRIMARY KEY, name text); INSERT INTO c VALUES (1, 'José'), (2, 'Zoë');");

        Assert.Equal(0, (await _workspace.RunAsync("backup", "run", "-e", "dev", "--database", name)).ExitCode);
        var verify = await _workspace.RunAsync("backup", "verify", "--latest", "-e", "dev", "--database", name);

        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task A_flipped_byte_in_a_data_file_fails_the_drill_naming_the_file_and_its_table()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var id = await BackupAsync();
        var file = OrdersDataFile(id);
        await BackupFiles.FlipByteAsync(file);

        var failure = await VerifyFailureAsync(id);
        Assert.Equal("manifest", failure.Check);
        Assert.Contains(Path.GetFileName(file), failure.Object, StringComparison.Ordinal);
        Assert.Contains("sales.orders", failure.Object, StringComparison.Ordinal);
        await AssertRecordedAsFailedAsync(id, "manifest");
    }

    [Fact]
    public async Task A_deleted_file_fails_the_drill_naming_the_file()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var id = await BackupAsync();
        File.Delete(Path.Combine(BackupPath(id), "dump", "toc.dat"));

        var failure = await VerifyFailureAsync(id);
        Assert.Equal("manifest", failure.Check);
        Assert.Equal("dump/toc.dat", failure.Object);
        Assert.Contains("missing", failure.Message, StringComparison.Ordinal);
        await AssertRecordedAsFailedAsync(id, "manifest");
    }

    [Fact]
    public async Task A_row_missing_from_the_dump_fails_the_drill_naming_the_table_even_when_the_checksums_were_made_to_match()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var id = await BackupAsync();

        // A dump that was wrong from the start (a bug, a bad disk before checksumming): remove one row and re-checksum it.
        var file = OrdersDataFile(id);
        await BackupFiles.EditDumpAsync(file, text =>
        {
            var lines = text.Split('\n').ToList();
            lines.RemoveAt(42);
            return string.Join('\n', lines);
        });

        BackupFiles.RewriteChecksum(BackupPath(id), file);
        var failure = await VerifyFailureAsync(id);
        Assert.Equal("rows", failure.Check);
        Assert.Equal("sales.orders", failure.Object);
        Assert.Contains("4,999 rows restored, 5,000 at backup time", failure.Message, StringComparison.Ordinal);
        await AssertRecordedAsFailedAsync(id, "rows");
    }

    [Fact]
    public async Task A_changed_value_in_the_dump_fails_the_fingerprint_check_for_that_table()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var id = await BackupAsync();
        var file = OrdersDataFile(id);
        await BackupFiles.EditDumpAsync(file, text => text.Replace("\torder 12\n", "\torder 13\n", StringComparison.Ordinal));

        BackupFiles.RewriteChecksum(BackupPath(id), file);
        var failure = await VerifyFailureAsync(id);
        Assert.Equal("fingerprint", failure.Check);
        Assert.Equal("sales.orders", failure.Object);
    }

    [Fact]
    public async Task Verify_of_an_unknown_backup_is_a_usage_error_that_says_how_to_list_them()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var result = await _workspace.RunAsync("backup", "verify", "20990101-000000", "-e", "dev");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("backstop backup list -e dev", result.Error, StringComparison.Ordinal);

        var latest = await _workspace.RunAsync("backup", "verify", "--latest", "-e", "dev");
        Assert.Equal(2, latest.ExitCode);
        Assert.Contains("backstop backup run -e dev", latest.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keep_removes_older_backups_but_never_the_newest_proven_one()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var proven = await BackupAsync();
        Assert.Equal(0, (await _workspace.RunAsync("backup", "verify", proven, "-e", "dev")).ExitCode);
        var second = await BackupAsync();
        var third = await _workspace.RunAsync("backup", "run", "-e", "dev", "--keep", "1", "--json");
        Assert.True(third.ExitCode == 0, third.ToString());
        using var json = JsonDocument.Parse(third.Out);
        Assert.Equal([second], json.RootElement.GetProperty("expired").EnumerateArray().Select(e => e.GetString()));
        Assert.True(Directory.Exists(BackupPath(proven)));
        Assert.False(Directory.Exists(BackupPath(second)));
    }

    [Fact]
    public async Task Backups_of_another_database_neither_expire_nor_prove_the_environment_s_own()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", BackupSchema.Sql);
        var own = await BackupAsync();
        Assert.Equal(0, (await _workspace.RunAsync("backup", "verify", own, "-e", "dev")).ExitCode);
        var other = await PostgresSandbox.CreateDatabaseAsync("other");
        var otherName = new Npgsql.NpgsqlConnectionStringBuilder(other).Database!;

        var first = await _workspace.RunAsync("backup", "run", "-e", "dev", "--database", otherName, "--keep", "1");
        var second = await _workspace.RunAsync("backup", "run", "-e", "dev", "--database", otherName, "--keep", "1", "--json");
        Assert.Equal(0, (await _workspace.RunAsync("backup", "verify", "--latest", "-e", "dev", "--database", otherName)).ExitCode);

        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, first.ToString() + second);
        Assert.True(Directory.Exists(BackupPath(own)));
        using var status = JsonDocument.Parse((await _workspace.RunAsync("backup", "status", "-e", "dev", "--json")).Out);
        Assert.Equal(own, status.RootElement.GetProperty("environments")[0].GetProperty("lastProvenRestore").GetProperty("backup").GetString());
    }

    private Task<string> BackupAsync() => BackupFiles.TakeAsync(_workspace);

    private string BackupPath(string id) => BackupFiles.PathOf(_workspace, id);

    private string OrdersDataFile(string id) => BackupFiles.OrdersDataFile(BackupPath(id));

    private async Task<(string Check, string Object, string Message)> VerifyFailureAsync(string id)
    {
        var verify = await _workspace.RunAsync("backup", "verify", id, "-e", "dev", "--json");
        Assert.True(verify.ExitCode == 1, verify.ToString());
        using var json = JsonDocument.Parse(verify.Out);
        Assert.False(json.RootElement.GetProperty("passed").GetBoolean());
        var first = json.RootElement.GetProperty("failures")[0];
        return (first.GetProperty("check").GetString()!, first.GetProperty("object").GetString()!, first.GetProperty("message").GetString()!);
    }

    private async Task AssertRecordedAsFailedAsync(string id, string check)
    {
        var list = await _workspace.RunAsync("backup", "list", "-e", "dev", "--json");
        using var json = JsonDocument.Parse(list.Out);
        var entry = json.RootElement.GetProperty("backups").EnumerateArray().Single(b => b.GetProperty("id").GetString() == id);
        var drill = entry.GetProperty("lastDrill");
        Assert.False(drill.GetProperty("passed").GetBoolean());
        Assert.Equal(check, drill.GetProperty("failedCheck").GetString());

        var status = await _workspace.RunAsync("backup", "status", "-e", "dev", "--strict");
        Assert.Equal(1, status.ExitCode);
    }

    private static string ConnectionStringOf(string url)
    {
        var uri = new Uri(url);
        return $"Host={uri.Host};Port={uri.Port};Username=postgres;Database={uri.AbsolutePath.TrimStart('/')};Pooling=false";
    }
}

using System.Text.Json;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests;

/// <summary><c>backup restore ID --to ENV</c> after the environment's database was dropped: it is created, restored and accepted again.</summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class BackupRestoreDroppedDatabaseTests : IDisposable
{
    private const string Schema = """
        CREATE TABLE invoices (id int PRIMARY KEY, total numeric NOT NULL);
        INSERT INTO invoices SELECT g, g * 10 FROM generate_series(1, 300) g;
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Backup_restore_to_an_environment_whose_database_was_dropped_creates_it_and_records_its_new_oid()
    {
        var database = await _workspace.AddEnvironmentAsync("stage", "staging", Schema);
        var name = new NpgsqlConnectionStringBuilder(database).Database!;
        var backup = await _workspace.RunAsync("backup", "run", "-e", "stage", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var id = JsonDocument.Parse(backup.Out).RootElement.GetProperty("id").GetString()!;
        NpgsqlConnection.ClearAllPools();
        var server = (await PostgresSandbox.GetAsync()).ConnectionString();
        await PostgresSandbox.ExecuteAsync(server, $"DROP DATABASE {name} WITH (FORCE)");

        var restored = await _workspace.RunAsync("backup", "restore", id, "-e", "stage", "--to", "stage", "--json");

        Assert.True(restored.ExitCode == 0, restored.ToString());
        var oid = JsonDocument.Parse(restored.Out).RootElement.GetProperty("recordedOid").GetUInt32();
        Assert.Equal(oid, (uint)await PostgresSandbox.ScalarAsync(server, $"SELECT oid::bigint FROM pg_database WHERE datname = '{name}'"));
        Assert.Equal(300, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM invoices"));
        var verified = await _workspace.RunAsync("env", "verify", "stage");
        Assert.True(verified.ExitCode == 0, verified.ToString());
    }
}

using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests;

/// <summary>The wrong-terminal incident on staging: DROP DATABASE runs only with a recent backup of that database proven by a drill.</summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class DropDatabaseBackupTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Drop_database_on_staging_needs_a_backup_of_it_proven_within_the_hour()
    {
        // The environment's own database is the maintenance connection; the database to drop is another one on that server.
        var maintenance = await _workspace.AddEnvironmentAsync("stage", "staging", "SELECT 1");
        var doomed = await PostgresSandbox.CreateDatabaseAsync("doomed");
        await PostgresSandbox.ExecuteAsync(doomed, "CREATE TABLE accounts (id int PRIMARY KEY, name text); INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 100) g;");
        var name = new NpgsqlConnectionStringBuilder(doomed).Database!;

        var denied = await _workspace.RunAsync("run", "-e", "stage", "--yes", "--json", "-c", $"DROP DATABASE {name}");
        Assert.Equal(3, denied.ExitCode);
        Assert.Contains($"backstop backup run -e stage --database {name}", Reasons(denied), StringComparison.Ordinal);
        Assert.Equal(1, await DatabaseExistsAsync(maintenance, name));

        // Taken but not proven: still denied.
        Assert.Equal(0, (await _workspace.RunAsync("backup", "run", "-e", "stage", "--database", name)).ExitCode);
        Assert.Equal(3, (await _workspace.RunAsync("run", "-e", "stage", "--yes", "-c", $"DROP DATABASE {name}")).ExitCode);

        var verify = await _workspace.RunAsync("backup", "verify", "--latest", "-e", "stage", "--database", name);
        Assert.True(verify.ExitCode == 0, verify.ToString());

        // Proven, but two hours have passed: denied again.
        var provenAt = _workspace.Now;
        _workspace.Now = provenAt.AddHours(2);
        var stale = await _workspace.RunAsync("run", "-e", "stage", "--yes", "--json", "-c", $"DROP DATABASE {name}");
        Assert.Equal(3, stale.ExitCode);
        Assert.Contains("the newest was taken 2 hours ago", Reasons(stale), StringComparison.Ordinal);

        _workspace.Now = provenAt.AddMinutes(5);
        NpgsqlConnection.ClearAllPools();
        var dropped = await _workspace.RunAsync("run", "-e", "stage", "--yes", "-c", $"DROP DATABASE {name}");
        Assert.True(dropped.ExitCode == 0, dropped.ToString());
        Assert.Equal(0, await DatabaseExistsAsync(maintenance, name));
    }

    /// <summary>The reasons of a `run --json`'s verdicts, as one text.</summary>
    private static string Reasons(CliResult result)
    {
        using var json = System.Text.Json.JsonDocument.Parse(result.Out);
        return string.Join("\n", json.RootElement.GetProperty("statements").EnumerateArray()
            .SelectMany(s => s.GetProperty("reasons").EnumerateArray()).Select(r => r.GetString()));
    }

    private static Task<long> DatabaseExistsAsync(string connectionString, string name) =>
        PostgresSandbox.ScalarAsync(connectionString, $"SELECT count(*) FROM pg_database WHERE datname = '{name}'");
}

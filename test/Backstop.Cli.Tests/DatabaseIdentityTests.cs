using System.Text.RegularExpressions;
using Backstop.Postgres;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests;

/// <summary>The wrong-terminal incident inside one cluster: the same name, a database dropped and created again.</summary>
public sealed class DatabaseIdentityTests : IDisposable
{
    private const string Schema = "CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders VALUES (1, 'before');";

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Run_on_a_database_created_again_under_the_same_name_is_refused_until_accepted_with_the_typed_name()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", Schema);
        var oldOid = await OidAsync(database);
        await RecreateAsync(database);
        var newOid = await OidAsync(database);
        var config = await File.ReadAllTextAsync(_workspace.ConfigPath);

        var run = await _workspace.RunAsync("run", "-e", "prod", "--confirm", "prod", "-c", "UPDATE orders SET note = 'after' WHERE id = 1");
        var verify = await _workspace.RunAsync("env", "verify", "prod");
        var unconfirmed = await _workspace.RunAsync("env", "verify", "prod", "--accept");
        var onlyYes = await _workspace.RunAsync("env", "verify", "prod", "--accept", "--yes");
        var wrongName = await _workspace.RunAsync("env", "verify", "prod", "--accept", "--confirm", "production");
        var configAfterRefusals = await File.ReadAllTextAsync(_workspace.ConfigPath);
        var stillRefused = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT 1");
        var accepted = await _workspace.RunAsync("env", "verify", "prod", "--accept", "--confirm", "prod");
        var runAgain = await _workspace.RunAsync("run", "-e", "prod", "--confirm", "prod", "-c", "UPDATE orders SET note = 'after' WHERE id = 1");

        Assert.NotEqual(oldOid, newOid);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("environment 'prod'", run.Error, StringComparison.Ordinal);
        Assert.Contains($"database OID {newOid}, expected {oldOid}", run.Error, StringComparison.Ordinal);
        Assert.Contains("dropped and created again", run.Error, StringComparison.Ordinal);
        Assert.Contains("backstop env verify prod --accept", run.Error, StringComparison.Ordinal);
        Assert.Equal(2, verify.ExitCode);
        Assert.Equal(4, unconfirmed.ExitCode);
        Assert.Contains("--confirm prod", unconfirmed.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was recorded", unconfirmed.Error, StringComparison.Ordinal);
        Assert.Equal(4, onlyYes.ExitCode);
        Assert.Equal(4, wrongName.ExitCode);
        Assert.Contains("does not match", wrongName.Error, StringComparison.Ordinal);
        Assert.Equal(config, configAfterRefusals);
        Assert.Equal(2, stillRefused.ExitCode);
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
        Assert.Contains($"database_oid: {newOid}", await File.ReadAllTextAsync(_workspace.ConfigPath), StringComparison.Ordinal);
        Assert.True(runAgain.ExitCode == 0, runAgain.ToString());
        Assert.Equal("after", await PostgresSandbox.TextAsync(database, "SELECT note FROM orders WHERE id = 1"));
    }

    [Fact]
    public async Task Verify_accept_on_production_at_a_terminal_records_only_after_the_name_is_typed()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", Schema);
        await RecreateAsync(database);
        var newOid = await OidAsync(database);

        var mistyped = await _workspace.RunWithInputAsync(new StringReader("staging\n"), interactive: true, "env", "verify", "prod", "--accept");
        var afterMistype = await File.ReadAllTextAsync(_workspace.ConfigPath);
        var typed = await _workspace.RunWithInputAsync(new StringReader("prod\n"), interactive: true, "env", "verify", "prod", "--accept");

        Assert.Equal(4, mistyped.ExitCode);
        Assert.DoesNotContain($"database_oid: {newOid}", afterMistype, StringComparison.Ordinal);
        Assert.Contains("Type the environment's name", typed.Error, StringComparison.Ordinal);
        Assert.True(typed.ExitCode == 0, typed.ToString());
        Assert.Contains($"database_oid: {newOid}", await File.ReadAllTextAsync(_workspace.ConfigPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_with_an_identity_recorded_without_oid_works_says_so_and_verify_records_it()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", Schema);
        var oid = await OidAsync(database);
        var withoutOid = Regex.Replace(await File.ReadAllTextAsync(_workspace.ConfigPath), ", database_oid: [0-9]+", "");
        await File.WriteAllTextAsync(_workspace.ConfigPath, withoutOid);

        var check = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT 1");
        var verify = await _workspace.RunAsync("env", "verify", "prod");
        var recorded = await File.ReadAllTextAsync(_workspace.ConfigPath);
        await RecreateAsync(database);
        var afterRecreate = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT 1");

        Assert.DoesNotContain("database_oid", withoutOid, StringComparison.Ordinal);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("has no database OID", check.Error, StringComparison.Ordinal);
        Assert.Contains("backstop env verify prod", check.Error, StringComparison.Ordinal);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"Recorded the database OID {oid}", verify.Out, StringComparison.Ordinal);
        Assert.Contains($"database_oid: {oid}", recorded, StringComparison.Ordinal);
        Assert.Equal(2, afterRecreate.ExitCode);
        Assert.Contains($"expected {oid}", afterRecreate.Error, StringComparison.Ordinal);
    }

    private static async Task<long> OidAsync(string database) =>
        await PostgresSandbox.ScalarAsync(database, "SELECT oid FROM pg_database WHERE datname = current_database()");

    /// <summary>DROP DATABASE and CREATE DATABASE under the same name, with the same table and row, as a careless restore would.</summary>
    private static async Task RecreateAsync(string database)
    {
        var name = new NpgsqlConnectionStringBuilder(database).Database!;
        var maintenance = new NpgsqlConnectionStringBuilder(database) { Database = "postgres" }.ConnectionString;
        NpgsqlConnection.ClearAllPools();
        await PostgresSandbox.ExecuteAsync(maintenance, $"DROP DATABASE {PgIdentifier.Quote(name)} WITH (FORCE)");
        await PostgresSandbox.ExecuteAsync(maintenance, $"CREATE DATABASE {PgIdentifier.Quote(name)}");
        await PostgresSandbox.ExecuteAsync(database, Schema);
    }
}

using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>Edges a preview must not get wrong: effects outside the database, writes that look like reads, unverified targets.</summary>
public sealed class ReviewedEdgeTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Check_copy_to_program_is_never_run_by_a_preview_and_needs_approval_on_production()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);
        var marker = Path.Combine(Path.GetTempPath(), "backstop-copy-" + Guid.NewGuid().ToString("N"));

        var result = await _workspace.RunAsync("check", "-e", "prod", "--json", "-c", $"COPY orders TO PROGRAM 'touch {marker}'");

        Assert.False(File.Exists(marker));
        Assert.Equal(4, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        var statement = json.RootElement.GetProperty("statements")[0];
        Assert.False(statement.GetProperty("executed").GetBoolean());
        Assert.Equal("approve", statement.GetProperty("verdict").GetString());
        Assert.Contains("shell command", statement.GetProperty("note").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_select_of_a_function_that_deletes_is_judged_as_a_write()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql + """
            CREATE FUNCTION purge(n int) RETURNS int LANGUAGE sql AS $$
                WITH gone AS (DELETE FROM orders WHERE id <= n RETURNING 1) SELECT count(*)::int FROM gone
            $$;
            """);

        var result = await _workspace.RunAsync("run", "-e", "prod", "--json", "-c", "SELECT purge(900)");

        Assert.Equal(4, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("confirm", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(900, json.RootElement.GetProperty("statements")[0].GetProperty("tables")[0].GetProperty("deleted").GetInt64());
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders"));
    }

    [Fact]
    public async Task Check_production_environment_without_recorded_identity_is_refused_until_accepted()
    {
        var database = await PostgresSandbox.CreateDatabaseAsync("noid");
        await File.WriteAllTextAsync(_workspace.ConfigPath, $"environments:\n  prod:\n    url: {CliWorkspace.UrlOf(database)}\n    tier: production\n");

        var refused = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT 1");
        var accepted = await _workspace.RunAsync("env", "verify", "prod", "--accept", "--confirm", "prod");
        var allowed = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT 1");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("no recorded identity", refused.Error, StringComparison.Ordinal);
        Assert.Contains("env verify prod --accept", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, accepted.ExitCode);
        Assert.Equal(0, allowed.ExitCode);
    }

    [Fact]
    public async Task Check_warns_that_run_refuses_a_non_transactional_statement_mixed_with_others()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", IncidentSchema.Sql);

        var check = await _workspace.RunAsync("check", "-e", "dev", "--json", "-c", "UPDATE orders SET source = 'x' WHERE id = 1; CREATE INDEX CONCURRENTLY orders_source ON orders (source)");
        var run = await _workspace.RunAsync("run", "-e", "dev", "-c", "UPDATE orders SET source = 'x' WHERE id = 1; CREATE INDEX CONCURRENTLY orders_source ON orders (source)");

        using var json = JsonDocument.Parse(check.Out);
        Assert.Contains("statement 2", json.RootElement.GetProperty("runRefusal").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, run.ExitCode);
    }
}

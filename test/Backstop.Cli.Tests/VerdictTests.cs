using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>Each verdict end to end through the CLI, with its exit code, against a real database.</summary>
public sealed class VerdictTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Check_update_after_blank_line_is_one_statement_touching_three_rows()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("check", "-e", "prod", "--json", "-c", "UPDATE orders SET is_deleted = true\n\nWHERE id IN (1, 2, 3);");

        Assert.Equal(4, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        var statement = json.RootElement.GetProperty("statements").EnumerateArray().Single();
        Assert.Equal("confirm", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(3, statement.GetProperty("rowCount").GetInt64());
        Assert.False(statement.GetProperty("estimated").GetBoolean());
        var table = statement.GetProperty("tables").EnumerateArray().Single();
        Assert.Equal("public.orders", table.GetProperty("table").GetString());
        Assert.Equal(3, table.GetProperty("updated").GetInt64());
        Assert.Equal(0, table.GetProperty("inserted").GetInt64());
        Assert.Equal(0, table.GetProperty("deleted").GetInt64());
    }

    [Fact]
    public async Task Run_update_without_where_on_production_is_denied_with_exit_3()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("run", "-e", "prod", "--confirm", "prod", "-c", "UPDATE orders SET is_deleted = true");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("no WHERE", result.Out, StringComparison.Ordinal);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE is_deleted"));
    }

    [Fact]
    public async Task Run_trivially_true_where_with_allow_all_rows_needs_approval_with_exit_4()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("run", "-e", "prod", "--allow-all-rows", "--confirm", "prod", "--json", "-c", "UPDATE orders SET is_deleted = true WHERE 1 = 1");

        Assert.Equal(4, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("approve", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal("needsApproval", json.RootElement.GetProperty("outcome").GetString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE is_deleted"));
    }

    [Fact]
    public async Task Check_cascading_delete_shows_exact_counts_and_needs_approval()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("check", "-e", "prod", "--json", "-c", "DELETE FROM users WHERE id = 4");

        Assert.Equal(4, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("approve", json.RootElement.GetProperty("verdict").GetString());
        var tables = json.RootElement.GetProperty("statements")[0].GetProperty("tables").EnumerateArray()
            .ToDictionary(t => t.GetProperty("table").GetString()!, t => t.GetProperty("deleted").GetInt64());
        Assert.Equal(1, tables["public.users"]);
        Assert.Equal(30, tables["public.leads"]);
        Assert.Equal(300, tables["public.conversations"]);
        Assert.Contains(json.RootElement.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("cascades into 2 other tables: 330 rows", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_read_is_allowed_with_exit_0()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT count(*) FROM orders");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("ALLOW", result.Out, StringComparison.Ordinal);
        Assert.Contains("PRODUCTION", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_drop_database_on_production_is_denied_without_running()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("run", "-e", "prod", "--confirm", "prod", "--json", "-c", "DROP DATABASE postgres");

        Assert.Equal(3, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        var statement = json.RootElement.GetProperty("statements")[0];
        Assert.False(statement.GetProperty("executed").GetBoolean());
        Assert.Equal("deny", statement.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Run_write_inside_freeze_window_needs_approval()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", IncidentSchema.Sql);
        _workspace.Now = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero); // a Saturday

        var result = await _workspace.RunAsync("run", "-e", "prod", "--confirm", "prod", "-c", "UPDATE orders SET source = 'api' WHERE id = 7");

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("freeze window", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_on_development_commits_without_confirmation()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", IncidentSchema.Sql);

        var result = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE orders SET is_deleted = true");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("committed", json.RootElement.GetProperty("outcome").GetString());
        Assert.True(json.RootElement.GetProperty("changeId").GetInt64() > 0);
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE is_deleted"));
    }

    [Fact]
    public async Task Run_on_staging_needs_yes_for_all_rows()
    {
        var database = await _workspace.AddEnvironmentAsync("staging", "staging", IncidentSchema.Sql);

        var refused = await _workspace.RunAsync("run", "-e", "staging", "-c", "DELETE FROM conversations");
        var confirmed = await _workspace.RunAsync("run", "-e", "staging", "--yes", "-c", "DELETE FROM conversations");

        Assert.Equal(4, refused.ExitCode);
        Assert.Contains("--yes", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, confirmed.ExitCode);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM conversations"));
    }
}

using System.Text.Json;

namespace Backstop.Cli.Tests;

/// <summary>The rules locking_ddl and privileges: each reason says why, and the tiers ask for what their defaults say.</summary>
public sealed class LockingAndPrivilegeTests : IDisposable
{
    private const string Schema = """
        CREATE TABLE big (id int PRIMARY KEY, v int);
        INSERT INTO big SELECT g, g % 1000 FROM generate_series(1, 150000) g;
        CREATE TABLE small (id int PRIMARY KEY, v int);
        INSERT INTO small VALUES (1, 1);
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Theory]
    [InlineData("CREATE INDEX big_v ON big (v)", "CREATE INDEX without CONCURRENTLY holds a SHARE lock on public.big (150,000 rows): every write waits until it finishes")]
    [InlineData("LOCK TABLE big", "LOCK TABLE holds an ACCESS EXCLUSIVE lock on public.big (150,000 rows)")]
    [InlineData("ALTER TABLE big ADD CONSTRAINT v_positive CHECK (v >= 0)", "ADD CONSTRAINT without NOT VALID (it checks every row) holds an ACCESS EXCLUSIVE lock on public.big")]
    [InlineData("GRANT SELECT ON small TO PUBLIC", "TO PUBLIC gives every role, present and future")]
    [InlineData("ALTER ROLE CURRENT_USER BYPASSRLS", "BYPASSRLS gives the role power")]
    public async Task Locking_and_privilege_statements_need_approval_on_production_and_confirmation_on_staging(string script, string reason)
    {
        await _workspace.AddEnvironmentAsync("prod", "production", Schema);
        await _workspace.AddEnvironmentAsync("stage", "staging", Schema);

        var production = await _workspace.RunAsync("check", "-e", "prod", "--json", "-c", script);
        var staging = await _workspace.RunAsync("check", "-e", "stage", "--json", "-c", script);

        Assert.True(production.ExitCode == 4, production.ToString());
        Assert.Contains(reason, production.Out, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(production.Out);
        Assert.Equal("approve", json.RootElement.GetProperty("verdict").GetString());
        using var stagingJson = JsonDocument.Parse(staging.Out);
        Assert.Equal("confirm", stagingJson.RootElement.GetProperty("verdict").GetString());
    }

    [Theory]
    [InlineData("CREATE INDEX small_v ON small (v)")]
    [InlineData("CREATE INDEX CONCURRENTLY big_v ON big (v)")]
    public async Task A_lock_on_a_small_table_or_a_concurrent_build_is_no_locking_ddl(string script)
    {
        await _workspace.AddEnvironmentAsync("prod", "production", Schema);

        var check = await _workspace.RunAsync("check", "-e", "prod", "--json", "-c", script);

        Assert.DoesNotContain("lock on", check.Out, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(check.Out);
        Assert.Equal("confirm", json.RootElement.GetProperty("verdict").GetString());
    }
}

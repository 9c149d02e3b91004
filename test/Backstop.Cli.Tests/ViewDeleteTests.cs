using System.Text.Json;

namespace Backstop.Cli.Tests;

/// <summary>A DELETE through an updatable view writes the view's base table: that is not a cascade.</summary>
public sealed class ViewDeleteTests : IDisposable
{
    private const string Schema = """
        CREATE TABLE users (id int PRIMARY KEY, active boolean NOT NULL);
        INSERT INTO users SELECT g, g % 2 = 0 FROM generate_series(1, 400) g;
        CREATE VIEW active_users AS SELECT id, active FROM users WHERE active;
        CREATE TABLE leads (id int PRIMARY KEY, user_id int REFERENCES users ON DELETE CASCADE);
        INSERT INTO leads SELECT g, 2 + 2 * (g % 10) FROM generate_series(1, 30) g;
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task A_delete_through_a_view_calls_only_the_tables_it_reaches_through_foreign_keys_a_cascade()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", Schema);

        var lone = await _workspace.RunAsync("check", "-e", "prod", "--json", "-c", "DELETE FROM active_users WHERE id = 40");
        var cascading = await _workspace.RunAsync("check", "-e", "prod", "--json", "-c", "DELETE FROM active_users WHERE id = 2");

        Assert.True(lone.ExitCode == 4, lone.ToString());
        Assert.DoesNotContain("cascades", lone.Out, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(lone.Out);
        Assert.Equal("confirm", json.RootElement.GetProperty("verdict").GetString());
        Assert.Contains("the DELETE cascades into 1 other table: 3 rows (public.leads 3)", cascading.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("public.users 1", cascading.Out, StringComparison.Ordinal);
    }
}

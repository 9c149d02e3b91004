using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// Restoring from the recycle bin and purging it are changes like any other: judged by the tier's policy, confirmed as
/// the tier asks (the typed name on production), and recorded with their actor and verdict.
/// </summary>
public sealed class RecycleBinLifecycleTests : IDisposable
{
    private const string Schema = """
        CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
        INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 40) g;
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Trash_restore_on_production_needs_the_typed_name_and_appears_in_changes_with_its_actor_and_verdict()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", Schema);
        await AllowDropsOnProductionAsync();
        var id = await DropIntoTheBinAsync("prod");

        var unconfirmed = await _workspace.RunAsync("trash", "restore", id, "-e", "prod", "--yes");
        Assert.Equal(4, unconfirmed.ExitCode);
        Assert.Contains("--confirm prod", unconfirmed.Error, StringComparison.Ordinal);
        Assert.Null(await PostgresSandbox.TextAsync(database, "SELECT to_regclass('public.notes')::text"));

        var restored = await _workspace.RunAsync("trash", "restore", id, "-e", "prod", "--confirm", "prod", "--json");

        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Equal(40, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM notes"));
        var changes = await ChangesAsync();
        var notConfirmed = changes.Single(c => c.Outcome == "notConfirmed");
        var committed = changes.Single(c => c.Outcome == "committed" && c.Id == JsonDocument.Parse(restored.Out).RootElement.GetProperty("changeId").GetInt64());
        Assert.Equal(Environment.UserName, committed.Actor);
        Assert.Equal("confirm", committed.Verdict);
        Assert.Equal("confirm", notConfirmed.Verdict);
        var shown = await _workspace.RunAsync("show", committed.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("restore from the recycle bin", shown.Out, StringComparison.Ordinal);
        Assert.Contains("public.notes", shown.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trash_purge_on_production_needs_the_typed_name_purges_what_it_showed_and_is_recorded()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", Schema);
        await AllowDropsOnProductionAsync();
        await DropIntoTheBinAsync("prod");

        var unconfirmed = await _workspace.RunAsync("trash", "purge", "-e", "prod", "--older-than", "0s", "--yes");
        Assert.Equal(4, unconfirmed.ExitCode);
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM backstop.trash"));

        var purged = await _workspace.RunAsync("trash", "purge", "-e", "prod", "--older-than", "0s", "--confirm", "prod", "--json");

        Assert.True(purged.ExitCode == 0, purged.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM backstop.trash"));
        var committed = (await ChangesAsync()).Single(c => c.Outcome == "committed" && c.Script.Contains("purge", StringComparison.Ordinal));
        Assert.Equal(Environment.UserName, committed.Actor);
        Assert.Equal("confirm", committed.Verdict);
        // The change log in the database holds the purge too: it committed there.
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, $"SELECT count(*) FROM backstop.changes WHERE local_id = {committed.Id}"));
    }

    [Fact]
    public async Task A_purge_is_confirmed_even_where_the_tier_allows_writes_without_a_confirmation()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        await DropIntoTheBinAsync("dev");

        var unconfirmed = await _workspace.RunAsync("trash", "purge", "-e", "dev", "--older-than", "0s");
        var confirmed = await _workspace.RunAsync("trash", "purge", "-e", "dev", "--older-than", "0s", "--yes");

        Assert.Equal(4, unconfirmed.ExitCode);
        Assert.Contains("cannot be undone", unconfirmed.Out, StringComparison.Ordinal);
        Assert.True(confirmed.ExitCode == 0, confirmed.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM backstop.trash"));
    }

    private async Task AllowDropsOnProductionAsync()
    {
        var config = await File.ReadAllTextAsync(_workspace.ConfigPath);
        await File.WriteAllTextAsync(_workspace.ConfigPath, config.Replace(
            "  production:\n", "  production:\n    destructive_ddl: confirm\n    total_rows: confirm\n    table_fraction: confirm\n", StringComparison.Ordinal));
    }

    private async Task<string> DropIntoTheBinAsync(string environment)
    {
        var drop = await _workspace.RunAsync("run", "-e", environment, "--confirm", environment, "--yes", "-c", "DROP TABLE notes");
        Assert.True(drop.ExitCode == 0, drop.ToString());
        var list = await _workspace.RunAsync("trash", "list", "-e", environment, "--json");
        using var items = JsonDocument.Parse(list.Out);
        return items.RootElement.GetProperty("items").EnumerateArray().Single().GetProperty("id").GetString()!;
    }

    private sealed record Listed(long Id, string Outcome, string Verdict, string Actor, string Script);

    private async Task<IReadOnlyList<Listed>> ChangesAsync()
    {
        var changes = await _workspace.RunAsync("changes", "--json");
        using var document = JsonDocument.Parse(changes.Out);
        var listed = new List<Listed>();
        foreach (var c in document.RootElement.GetProperty("changes").EnumerateArray())
        {
            var shown = await _workspace.RunAsync("show", c.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
            listed.Add(new Listed(c.GetProperty("id").GetInt64(), c.GetProperty("outcome").ToString(), c.GetProperty("verdict").ToString(), c.GetProperty("actor").GetString()!, shown.Out));
        }

        return listed;
    }
}

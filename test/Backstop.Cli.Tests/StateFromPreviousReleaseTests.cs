using System.Text.Json;
using Backstop.Core.State;
using Microsoft.Data.Sqlite;

namespace Backstop.Cli.Tests;

/// <summary>
/// A state file written by the previous release (Fixtures/state-ff7d716.db) opens, is migrated with a line saying so,
/// and still lists its changes and backups; a state file of a newer Backstop is refused with exit 2.
/// </summary>
[Trait("Area", "State")]
public sealed class StateFromPreviousReleaseTests : IDisposable
{
    private readonly CliWorkspace _workspace = new() { StateInPostgres = false };

    public void Dispose() => _workspace.Dispose();

    private string StatePath => Path.Combine(_workspace.Directory, ".backstop", StateLocation.FileName);

    [Fact]
    public async Task Changes_and_backup_list_state_file_of_the_previous_release_is_migrated_and_lists_everything_it_recorded()
    {
        await UsePreviousReleaseFileAsync();

        var changes = await _workspace.RunAsync("changes", "--json");
        var backups = await _workspace.RunAsync("backup", "list", "--json");
        var show = await _workspace.RunAsync("show", "2", "--json");

        Assert.True(changes.ExitCode == 0, changes.ToString());
        Assert.Contains($"note: migrated the state file {StatePath} from version 1 to {StateSchema.Version}", changes.Error, StringComparison.Ordinal);
        using (var listed = JsonDocument.Parse(changes.Out))
        {
            var rows = listed.RootElement.GetProperty("changes").EnumerateArray().ToList();
            Assert.Equal([5, 4, 3, 2, 1], rows.Select(c => c.GetProperty("id").GetInt64()));
            Assert.Equal(["denied", "committed", "committed", "committed", "committed"], rows.Select(c => c.GetProperty("outcome").GetString()));
            Assert.Equal(["prod", "dev", "dev", "dev", "dev"], rows.Select(c => c.GetProperty("environment").GetString()));
            Assert.Equal(3, rows[1].GetProperty("undoOf").GetInt64());
            Assert.Equal([45, 1, 1, 6, 1], rows.Select(c => c.GetProperty("rowsChanged").GetInt64()));
        }

        Assert.True(backups.ExitCode == 0, backups.ToString());
        Assert.DoesNotContain("migrated", backups.Error, StringComparison.Ordinal);
        using (var listed = JsonDocument.Parse(backups.Out))
        {
            var backup = Assert.Single(listed.RootElement.GetProperty("backups").EnumerateArray());
            Assert.Equal("20261206-230258", backup.GetProperty("id").GetString());
            Assert.Equal("dev", backup.GetProperty("environment").GetString());
            Assert.Equal("complete", backup.GetProperty("status").GetString());
            Assert.Equal(72, backup.GetProperty("rows").GetInt64());
            Assert.True(backup.GetProperty("lastDrill").GetProperty("passed").GetBoolean());
        }

        Assert.True(show.ExitCode == 0, show.ToString());
        using (var shown = JsonDocument.Parse(show.Out))
        {
            Assert.Equal("DELETE FROM customers WHERE id = 2", shown.RootElement.GetProperty("script").GetString());
        }

        Assert.Equal(StateSchema.Version, await UserVersionAsync());
    }

    [Fact]
    public async Task Changes_state_file_of_a_newer_Backstop_is_refused_with_exit_2_naming_both_versions_and_left_as_it_is()
    {
        await UsePreviousReleaseFileAsync();
        await ExecuteAsync("PRAGMA user_version = 99");

        var changes = await _workspace.RunAsync("changes", "--json");
        var backups = await _workspace.RunAsync("backup", "list");

        Assert.Equal(2, changes.ExitCode);
        Assert.StartsWith(
            $"the state file {StatePath} was written by a newer Backstop (its schema version is 99; this Backstop knows versions up to {StateSchema.Version}); " +
            "nothing was read or changed. Upgrade Backstop to use it",
            changes.JsonError, StringComparison.Ordinal);
        Assert.Contains("error: the state file", changes.Error, StringComparison.Ordinal);

        Assert.Equal(2, backups.ExitCode);
        Assert.Contains("its schema version is 99", backups.Error, StringComparison.Ordinal);
        Assert.Equal(99, await UserVersionAsync());
    }

    [Fact]
    public async Task Changes_show_and_backup_list_values_a_newer_Backstop_recorded_show_as_unknown()
    {
        await UsePreviousReleaseFileAsync();
        Assert.Equal(0, (await _workspace.RunAsync("changes")).ExitCode);
        await ExecuteAsync("UPDATE changes SET outcome = 'Escalated', verdict = 'Review' WHERE id = 1; UPDATE backups SET status = 'quarantined'");

        var changes = await _workspace.RunAsync("changes");
        var json = await _workspace.RunAsync("changes", "--json");
        var show = await _workspace.RunAsync("show", "1");
        var backups = await _workspace.RunAsync("backup", "list", "--all", "--json");

        Assert.True(changes.ExitCode == 0, changes.ToString());
        Assert.Contains("│ Unknown   │ unknown │", changes.Out, StringComparison.Ordinal);
        using (var listed = JsonDocument.Parse(json.Out))
        {
            var first = listed.RootElement.GetProperty("changes").EnumerateArray().Last();
            Assert.Equal(("unknown", "unknown"), (first.GetProperty("outcome").GetString(), first.GetProperty("verdict").GetString()));
        }

        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("Outcome: Unknown. Verdict: unknown", show.Out, StringComparison.Ordinal);
        Assert.Contains("a newer Backstop recorded an outcome or verdict this one does not know; upgrade Backstop to see it", show.Out, StringComparison.Ordinal);
        using (var listed = JsonDocument.Parse(backups.Out))
        {
            var backup = Assert.Single(listed.RootElement.GetProperty("backups").EnumerateArray());
            Assert.Equal("unknown", backup.GetProperty("status").GetString());
            Assert.False(backup.GetProperty("usable").GetBoolean());
        }
    }

    /// <summary>A backstop.yaml without environments (listing needs none) and the previous release's state file beside it.</summary>
    private async Task UsePreviousReleaseFileAsync()
    {
        await File.WriteAllTextAsync(_workspace.ConfigPath, "environments:\n");
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "state-ff7d716.db"), StatePath);
    }

    private async Task<long> UserVersionAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={StatePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = new SqliteCommand("PRAGMA user_version", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={StatePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = new SqliteCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>Runs are recorded and can be listed and shown; scripts can come from standard input.</summary>
[Trait("Area", "State")]
public sealed class RecordTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Run_from_standard_input_is_recorded_with_its_impact_and_shown()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", IncidentSchema.Sql);
        const string script = "DELETE FROM users WHERE id = 4;\nUPDATE orders SET source = 'api' WHERE id <= 10;\n";

        var run = await _workspace.RunWithInputAsync(new StringReader(script), interactive: false, "run", "-e", "dev", "-");
        var changes = await _workspace.RunAsync("changes", "-e", "dev", "--json");
        using var list = JsonDocument.Parse(changes.Out);
        var id = list.RootElement.GetProperty("changes")[0].GetProperty("id").GetInt64();
        var show = await _workspace.RunAsync("show", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM leads WHERE user_id = 4"));
        using var change = JsonDocument.Parse(show.Out);
        var root = change.RootElement;
        Assert.Equal("committed", root.GetProperty("outcome").GetString(), ignoreCase: true);
        Assert.Equal("dev", root.GetProperty("environment").GetString());
        Assert.Equal(script, root.GetProperty("script").GetString());
        Assert.Equal(64, root.GetProperty("scriptSha256").GetString()!.Length);
        Assert.Equal(Environment.UserName, root.GetProperty("osUser").GetString());
        var deleted = root.GetProperty("impact")[0].GetProperty("tables").EnumerateArray()
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("deleted").GetInt64());
        Assert.Equal(1, deleted["users"]);
        Assert.Equal(30, deleted["leads"]);
        Assert.Equal(300, deleted["conversations"]);
        Assert.Equal(10, root.GetProperty("impact")[1].GetProperty("tables")[0].GetProperty("updated").GetInt64());
    }

    [Fact]
    public async Task Show_unknown_change_exits_2()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", "SELECT 1");

        var result = await _workspace.RunAsync("show", "424242");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no change 424242", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Env_list_refuses_a_password_written_into_the_file_by_hand_without_showing_it()
    {
        await File.WriteAllTextAsync(_workspace.ConfigPath, "environments:\n  legacy:\n    url: postgresql://app:hunter2@db.example.com:5432/app\n    tier: staging\n");

        var result = await _workspace.RunAsync("env", "list");
        var json = await _workspace.RunAsync("env", "list", "--json");

        Assert.Equal((2, 2), (result.ExitCode, json.ExitCode));
        Assert.Contains(
            $"{_workspace.ConfigPath}:3:10: the URL of environment 'legacy' contains a password, and Backstop never keeps passwords in backstop.yaml; remove it and keep it in ~/.pgpass",
            result.Error,
            StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.All + json.All, StringComparison.Ordinal);
    }
}

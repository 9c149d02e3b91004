using System.Text.Json;

namespace Backstop.Cli.Tests;

/// <summary><c>backstop changes --limit</c> takes a count of changes, one or more.</summary>
[Trait("Area", "State")]
public sealed class ChangesLimitTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public async Task Changes_limit_below_one_exits_2_saying_what_to_give(string limit)
    {
        Assert.Equal(0, (await _workspace.RunAsync("init")).ExitCode);

        var result = await _workspace.RunAsync("changes", "--limit", limit);
        var json = await _workspace.RunAsync("changes", "--json", "--limit", limit);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--limit {limit} is not a number of changes to show; give 1 or more", result.Error, StringComparison.Ordinal);
        Assert.Equal(2, json.ExitCode);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(2, document.RootElement.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Changes_limit_one_lists_only_the_newest()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
        Assert.Equal(0, (await _workspace.RunAsync("run", "-e", "dev", "-c", "DELETE FROM t WHERE id = 1")).ExitCode);
        Assert.Equal(0, (await _workspace.RunAsync("run", "-e", "dev", "-c", "DELETE FROM t WHERE id = 2")).ExitCode);

        var result = await _workspace.RunAsync("changes", "--json", "--limit", "1");

        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Out);
        var change = Assert.Single(document.RootElement.GetProperty("changes").EnumerateArray());
        Assert.Equal(2, change.GetProperty("id").GetInt64());
    }
}

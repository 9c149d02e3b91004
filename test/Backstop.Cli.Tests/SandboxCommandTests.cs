using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

public sealed class SandboxCommandTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Sandbox_start_list_stop_gives_a_working_url_and_cleans_up()
    {
        var name = "cli-sandbox-" + Guid.NewGuid().ToString("N")[..6];

        var start = await _workspace.RunAsync("sandbox", "start", "--name", name, "--json");
        Assert.True(start.ExitCode == 0, start.ToString());
        using var started = JsonDocument.Parse(start.Out);
        var url = started.RootElement.GetProperty("url").GetString()!;
        var directory = started.RootElement.GetProperty("directory").GetString()!;
        try
        {
            var port = started.RootElement.GetProperty("port").GetInt32();
            Assert.Equal(1, await PostgresSandbox.ScalarAsync($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false", "SELECT 1"));
            Assert.StartsWith("postgresql://postgres@127.0.0.1:", url, StringComparison.Ordinal);

            var list = await _workspace.RunAsync("sandbox", "list");
            Assert.Contains(name, list.Out, StringComparison.Ordinal);
            Assert.Contains("running", list.Out, StringComparison.Ordinal);

            var duplicate = await _workspace.RunAsync("sandbox", "start", "--name", name);
            Assert.Equal(2, duplicate.ExitCode);
            Assert.Contains("already exists", duplicate.Error, StringComparison.Ordinal);
        }
        finally
        {
            var stop = await _workspace.RunAsync("sandbox", "stop", name);
            Assert.True(stop.ExitCode == 0, stop.ToString());
        }

        Assert.False(Directory.Exists(directory));
        Assert.DoesNotContain(name, (await _workspace.RunAsync("sandbox", "list")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sandbox_stop_unknown_name_exits_2_and_says_how_to_start_one()
    {
        var result = await _workspace.RunAsync("sandbox", "stop", "no-such-sandbox");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no sandbox named 'no-such-sandbox'", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "sandbox", "start", "--name", "bad/name" }, "the sandbox name 'bad/name' is not valid; use 1 to 40 letters, digits, '-' or '_'")]
    [InlineData(new[] { "sandbox", "start", "--port", "70000" }, "--port 70000 is not a port a sandbox can listen on; give one from 1024 to 65535")]
    [InlineData(new[] { "sandbox", "start", "--port", "many" }, "error: Cannot parse argument 'many' for option '--port'")]
    [InlineData(new[] { "sandbox", "stop" }, "error: Required argument 'NAME' missing")]
    [InlineData(new[] { "sandbox", "restart" }, "error: Unrecognized command or argument 'restart'.")]
    public async Task Sandbox_usage_error_exits_2_and_says_what_is_wrong(string[] args, string message)
    {
        var result = await _workspace.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }
}

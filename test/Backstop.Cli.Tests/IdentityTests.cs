using Backstop.Postgres.Sandbox;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>The wrong-terminal incident: the same URL, a different cluster behind it.</summary>
public sealed class IdentityTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    [Trait(TestSpeed.Name, TestSpeed.Slow)]
    public async Task Check_refuses_a_different_cluster_behind_the_same_url_with_exit_2()
    {
        var first = await SandboxCluster.StartAsync(new SandboxOptions());
        var port = first.Info.Port;
        SandboxCluster? second = null;
        try
        {
            Assert.Equal(0, (await _workspace.RunAsync("init")).ExitCode);
            Assert.Equal(0, (await _workspace.RunAsync("env", "add", "prod", "--url", first.Url, "--tier", "production")).ExitCode);
            Assert.Equal(0, (await _workspace.RunAsync("env", "verify", "prod")).ExitCode);
            await first.StopAsync();
            second = await SandboxCluster.StartAsync(new SandboxOptions { Port = port });
            await PostgresSandbox.ExecuteAsync(second.ConnectionString(), "CREATE TABLE orders (id int)");

            var check = await _workspace.RunAsync("check", "-e", "prod", "-c", "DELETE FROM orders WHERE id = 1");
            var verify = await _workspace.RunAsync("env", "verify", "prod");
            var accept = await _workspace.RunAsync("env", "verify", "prod", "--accept", "--confirm", "prod");
            var after = await _workspace.RunAsync("check", "-e", "prod", "-c", "SELECT 1");

            Assert.Equal(2, check.ExitCode);
            Assert.Contains("different target", check.Error, StringComparison.Ordinal);
            Assert.Contains("system identifier", check.Error, StringComparison.Ordinal);
            Assert.Contains("env verify prod --accept", check.Error, StringComparison.Ordinal);
            Assert.Equal(2, verify.ExitCode);
            Assert.Equal(0, accept.ExitCode);
            Assert.Equal(0, after.ExitCode);
        }
        finally
        {
            await first.StopAsync();
            if (second is not null)
            {
                await second.StopAsync();
            }
        }
    }
}

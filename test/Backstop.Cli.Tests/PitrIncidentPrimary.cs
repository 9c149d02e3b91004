using Backstop.Postgres.Sandbox;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// The production cluster of an incident test: started with its databases, then (once the test has loaded its data)
/// made an environment with point-in-time recovery and a first backup. Disposing it stops the clones made of that
/// environment (<c>pitr-ENV-…</c>; each test class has an environment name of its own, so that one class's clean-up
/// never stops another's clones) and the cluster.
/// </summary>
internal sealed class PitrIncidentPrimary : IAsyncDisposable
{
    private PitrIncidentPrimary(SandboxCluster cluster, string environment)
    {
        Cluster = cluster;
        Environment = environment;
    }

    public SandboxCluster Cluster { get; }

    public string Environment { get; }

    public string ConnectionString(string database) => Cluster.ConnectionString(database);

    public static async Task<PitrIncidentPrimary> StartAsync(string environment, params string[] databases)
    {
        var cluster = await SandboxCluster.StartAsync(new SandboxOptions { Name = $"test-{System.Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}" });
        foreach (var database in databases)
        {
            await PostgresSandbox.ExecuteAsync(cluster.ConnectionString(), $"CREATE DATABASE {database}");
        }

        return new PitrIncidentPrimary(cluster, environment);
    }

    /// <summary><c>init</c>, the environment on <paramref name="database"/>, <c>pitr enable</c> and a first <c>pitr backup</c>.</summary>
    public async Task EnableAsync(CliWorkspace workspace, string database, string tier)
    {
        Assert.Equal(0, (await workspace.RunAsync("init")).ExitCode);
        var added = await workspace.RunAsync("env", "add", Environment, "--url", $"postgresql://postgres@127.0.0.1:{Cluster.Info.Port}/{database}", "--tier", tier);
        Assert.True(added.ExitCode == 0, added.ToString());
        var enabled = await workspace.RunAsync("pitr", "enable", "-e", Environment, "--pgdata", Cluster.Info.DataDirectory, "--restart");
        Assert.True(enabled.ExitCode == 0, enabled.ToString());
        var backup = await workspace.RunAsync("pitr", "backup", "-e", Environment);
        Assert.True(backup.ExitCode == 0, backup.ToString());
    }

    /// <summary>Waits until the server's clock has passed <paramref name="time"/> (an SQL expression).</summary>
    public static async Task WaitForServerTimeAsync(string connectionString, string time)
    {
        while (await PostgresSandbox.ScalarAsync(connectionString, $"SELECT (clock_timestamp() > {time})::int") == 0)
        {
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (info, _) in SandboxCluster.List().Where(s => s.Info.Name.StartsWith($"pitr-{Environment}-", StringComparison.Ordinal)))
        {
            await SandboxCluster.Find(info.Name).StopAsync();
        }

        await Cluster.StopAsync();
    }
}

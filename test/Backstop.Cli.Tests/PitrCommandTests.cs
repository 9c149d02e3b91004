using System.Text.Json;
using Backstop.Postgres.Sandbox;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests;

/// <summary>
/// backstop pitr on a sandbox cluster of its own (PITR takes a whole cluster, and enabling it restarts the server):
/// the whole path a user takes, with the exit codes and messages at each step.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class PitrCommandTests : IAsyncLifetime, IDisposable
{
    private readonly CliWorkspace _workspace = new();
    private readonly List<string> _sandboxes = [];
    private SandboxCluster _primary = null!;

    public async Task InitializeAsync()
    {
        _primary = await SandboxCluster.StartAsync(new SandboxOptions { Name = TestName() });
        await PostgresSandbox.ExecuteAsync(_primary.ConnectionString(), "CREATE DATABASE shop");
        await PostgresSandbox.ExecuteAsync(_primary.ConnectionString(), "CREATE ROLE app LOGIN");
    }

    public async Task DisposeAsync()
    {
        foreach (var name in _sandboxes)
        {
            if (SandboxCluster.List().Any(s => s.Info.Name == name))
            {
                await SandboxCluster.Find(name).StopAsync();
            }
        }

        await _primary.StopAsync();
    }

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Pitr_enable_backup_clone_takes_a_user_from_set_up_to_a_clone_of_a_past_moment()
    {
        var data = _primary.Info.DataDirectory;
        var shop = _primary.ConnectionString("shop");
        Assert.Equal(0, (await _workspace.RunAsync("init")).ExitCode);
        Assert.Equal(0, (await _workspace.RunAsync("env", "add", "prod", "--url", $"postgresql://postgres@127.0.0.1:{_primary.Info.Port}/shop", "--tier", "development")).ExitCode);
        Assert.Equal(0, (await _workspace.RunAsync("env", "add", "appuser", "--url", $"postgresql://app@127.0.0.1:{_primary.Info.Port}/shop", "--tier", "development")).ExitCode);

        var notSuperuser = await _workspace.RunAsync("pitr", "enable", "-e", "appuser", "--pgdata", data);
        Assert.True(notSuperuser.ExitCode == 1, notSuperuser.ToString());
        Assert.Contains("environment 'appuser' connects as 'app', which may not change server settings (ALTER SYSTEM needs a superuser); the server was not changed.", notSuperuser.Error, StringComparison.Ordinal);
        Assert.Contains("    archive_mode = 'on'", notSuperuser.Error, StringComparison.Ordinal);
        Assert.Contains("    archive_command = '/", notSuperuser.Error, StringComparison.Ordinal);

        var needsRestart = await _workspace.RunAsync("pitr", "enable", "-e", "prod", "--pgdata", data);
        Assert.True(needsRestart.ExitCode == 4, needsRestart.ToString());
        Assert.Contains("changed: ALTER SYSTEM SET archive_mode = 'on'", needsRestart.Out, StringComparison.Ordinal);
        Assert.Contains($"pg_ctl restart -D {data} -m fast", needsRestart.Error, StringComparison.Ordinal);
        Assert.Equal("off", await PostgresSandbox.TextAsync(shop, "SHOW archive_mode"));

        var notEnabledYet = await _workspace.RunAsync("pitr", "clone", "-e", "prod", "--time", "now");
        Assert.True(notEnabledYet.ExitCode == 2, notEnabledYet.ToString());
        Assert.Contains("environment 'prod' has no point-in-time recovery set up", notEnabledYet.Error, StringComparison.Ordinal);

        var enabled = await _workspace.RunAsync("pitr", "enable", "-e", "prod", "--pgdata", data, "--restart", "--json");
        Assert.True(enabled.ExitCode == 0, enabled.ToString());
        using (var json = JsonDocument.Parse(enabled.Out))
        {
            Assert.True(json.RootElement.GetProperty("enabled").GetBoolean());
            Assert.Contains(json.RootElement.GetProperty("changes").EnumerateArray(), c => c.GetString()!.StartsWith("restarted the cluster", StringComparison.Ordinal));
        }

        Assert.Equal("on", await PostgresSandbox.TextAsync(shop, "SHOW archive_mode"));
        Assert.Contains("    pitr:\n      pgdata: \"" + data + "\"", await File.ReadAllTextAsync(_workspace.ConfigPath), StringComparison.Ordinal);

        var backup = await _workspace.RunAsync("pitr", "backup", "-e", "prod", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        using (var json = JsonDocument.Parse(backup.Out))
        {
            Assert.Equal("full", json.RootElement.GetProperty("type").GetString());
        }

        // The incident: every order soft-deleted. The clone from just before it has them all. (pgBackRest records when a
        // backup ended to the second, so the earliest time a clone can have is the next whole second.)
        await Task.Delay(TimeSpan.FromSeconds(1));
        await PostgresSandbox.ExecuteAsync(shop, "CREATE TABLE orders (id int PRIMARY KEY, is_deleted bool NOT NULL DEFAULT false); INSERT INTO orders SELECT generate_series(1, 50)");
        var before = await PostgresSandbox.TextAsync(shop, "SELECT clock_timestamp()::text");
        await Task.Delay(TimeSpan.FromSeconds(1));
        await PostgresSandbox.ExecuteAsync(shop, "UPDATE orders SET is_deleted = true");

        var name = TestName();
        _sandboxes.Add(name);
        var clone = await _workspace.RunAsync("pitr", "clone", "-e", "prod", "--time", before!, "--name", name, "--json");
        Assert.True(clone.ExitCode == 0, clone.ToString());
        using (var json = JsonDocument.Parse(clone.Out))
        {
            Assert.Equal(name, json.RootElement.GetProperty("name").GetString());
            var url = json.RootElement.GetProperty("url").GetString()!;
            var builder = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = new Uri(url).Port, Username = "postgres", Database = "shop", Pooling = false };
            Assert.Equal(50, await PostgresSandbox.ScalarAsync(builder.ConnectionString, "SELECT count(*) FROM orders WHERE NOT is_deleted"));
        }

        Assert.Contains("replaying WAL to ", clone.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await _workspace.RunAsync("sandbox", "stop", name)).ExitCode);

        var badType = await _workspace.RunAsync("pitr", "backup", "-e", "prod", "--type", "weekly");
        Assert.Equal(2, badType.ExitCode);

        // A clone needs one target: a time, or a WAL location (exclusive only for a location).
        var noTarget = await _workspace.RunAsync("pitr", "clone", "-e", "prod", "--json");
        Assert.Equal(2, noTarget.ExitCode);
        Assert.Equal("say what to recover to: --time TIME (e.g. '2026-05-01 16:03:00+02', or now) or --lsn LOCATION (e.g. 0/1A2B3C4)", noTarget.JsonError);
        var notLsn = await _workspace.RunAsync("pitr", "clone", "-e", "prod", "--lsn", "16:03", "--json");
        Assert.Equal(2, notLsn.ExitCode);
        Assert.StartsWith("'16:03' is not a WAL location; give it as PostgreSQL prints a pg_lsn", notLsn.JsonError, StringComparison.Ordinal);
        var both = await _workspace.RunAsync("pitr", "clone", "-e", "prod", "--lsn", "0/1", "--time", "now", "--json");
        Assert.Equal(2, both.ExitCode);
        Assert.Equal("give either a time (now) or a WAL location (0/1) to recover to, not both", both.JsonError);
        var exclusiveTime = await _workspace.RunAsync("pitr", "clone", "-e", "prod", "--time", "now", "--exclusive", "--json");
        Assert.Equal(2, exclusiveTime.ExitCode);
        Assert.Equal("an exclusive target applies to a WAL location only; give the location with --lsn", exclusiveTime.JsonError);
    }

    private static string TestName() => $"test-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
}

using Backstop.Core.Audit;
using Backstop.Core.Configuration;
using Backstop.Core.State;

namespace Backstop.Cli.Tests;

/// <summary>Without a team server, the CLI's own changes go into the audit log of its state store, as local:USER.</summary>
public sealed class LocalAuditTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Run_and_undo_are_audited_as_the_local_user_and_previews_are_not()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, g FROM generate_series(1, 10) g;");
        Assert.Equal(0, (await _workspace.RunAsync("check", "-e", "dev", "-c", "UPDATE t SET v = 0 WHERE id = 1")).ExitCode);
        var ran = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE t SET v = 0 WHERE id = 1");
        Assert.True(ran.ExitCode == 0, ran.ToString());
        var undone = await _workspace.RunAsync("undo", ran.ChangeId, "--yes");
        Assert.True(undone.ExitCode == 0, undone.ToString());
        var failed = await _workspace.RunAsync("run", "-e", "dev", "-c", "UPDATE nowhere SET v = 1");
        Assert.Equal(1, failed.ExitCode);

        var log = await AuditLogs.OpenAsync(StateLocation.Of(ConfigLoader.Load(_workspace.ConfigPath), _workspace.Variables.GetValueOrDefault), null, CancellationToken.None);
        var entries = (await log.ListAsync(null, null, 100, CancellationToken.None)).OrderBy(e => e.Seq).ToList();
        Assert.Equal(["run ok", "undo ok", "run failed"], entries.Select(e => $"{e.Action} {e.Outcome}"));
        Assert.All(entries, e => Assert.Equal("local:" + Environment.UserName, e.Actor));
        Assert.Equal("dev", entries[0].Environment);

        var verified = await _workspace.RunAsync("audit", "verify");
        Assert.True(verified.ExitCode == 0, verified.ToString());
    }
}

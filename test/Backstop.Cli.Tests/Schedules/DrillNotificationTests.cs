using System.Text.Json;
using Backstop.Cli.Tests.Team;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Schedules;

/// <summary>
/// What no request announces reaches the webhook too: a scheduled drill of a damaged backup fails and is told with its
/// backup and failed check; the environment, with no proven restore, is told once as stale, however often it is checked.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class DrillNotificationTests : IAsyncLifetime
{
    private WebhookReceiver _chat = null!;
    private TeamSetup _team = null!;
    private string _backup = "";

    public async Task InitializeAsync()
    {
        _chat = WebhookReceiver.Start(failFirst: 0);
        _team = await TeamSetup.StartAsync(
            serverEnvironment: new Dictionary<string, string>(StringComparer.Ordinal) { ["CHAT_WEBHOOK"] = _chat.Url },
            before: async (workspace, _) =>
            {
                var run = await workspace.RunAsync("backup", "run", "-e", "prod", "--json");
                Assert.True(run.ExitCode == 0, run.ToString());
                using (var json = JsonDocument.Parse(run.Out))
                {
                    _backup = json.RootElement.GetProperty("id").GetString()!;
                }

                var dump = Path.Combine(workspace.Directory, ".backstop", "backups", "prod", _backup, "dump");
                await BackupFiles.FlipByteAsync(Directory.GetFiles(dump, "*.dat.gz").OrderByDescending(f => new FileInfo(f).Length).First());
                await workspace.AddSettingAsync("prod", "schedule:\n      drill: \"*/3 * * * * *\"");
                await File.AppendAllTextAsync(workspace.ConfigPath, "notifications:\n  check_every: 1s\n  webhooks:\n    chat:\n      url: env:CHAT_WEBHOOK\n");
            });
    }

    public async Task DisposeAsync()
    {
        await _team.DisposeAsync();
        await _chat.DisposeAsync();
    }

    [Fact]
    public async Task Failed_scheduled_drill_and_stale_restore_are_told_to_the_webhook()
    {
        var failed = await _chat.WaitForAsync("drill.failed", 1, TimeSpan.FromSeconds(60));
        var first = Assert.Single(failed.Take(1));
        Assert.Equal((_backup, "manifest", "prod"), (first.GetProperty("backupId").GetString(), first.GetProperty("failedCheck").GetString(), first.GetProperty("environment").GetString()));
        Assert.Contains($"The restore drill of backup {_backup} of prod failed: ", first.GetProperty("text").GetString(), StringComparison.Ordinal);

        var stale = Assert.Single(await _chat.WaitForAsync("restore.stale", 1, TimeSpan.FromSeconds(30)));
        Assert.Equal(JsonValueKind.Null, stale.GetProperty("lastProvenBackup").ValueKind);
        Assert.StartsWith("prod has no proven restore", stale.GetProperty("text").GetString(), StringComparison.Ordinal);

        // Checked every second and after every drill, it is still told once; each failed drill once.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Single(_chat.Received, r => r.GetProperty("event").GetString() == "restore.stale");
        var drills = _chat.Received.Where(r => r.GetProperty("event").GetString() == "drill.failed").Select(r => r.GetProperty("drillId").GetInt64()).ToList();
        Assert.Equal(drills.Distinct().Count(), drills.Count);

        var runs = await ScheduleJson.RunsAsync(_team.Workspace);
        Assert.Contains(runs, r => r.GetProperty("outcome").GetString() == "failed" && r.GetProperty("exitCode").GetInt32() == 1
            && r.GetProperty("message").GetString()!.StartsWith($"backup {_backup}: failed", StringComparison.Ordinal));
    }
}

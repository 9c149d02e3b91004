using System.Text.Json;
using Backstop.Cli.Tests.Team;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Schedules;

/// <summary>
/// Schedules (issue 17, point 2): a real `backstop server` with a backup and a drill scheduled every few seconds (cron
/// with seconds) takes backups and drills them by itself; each run is recorded with its outcome, shown by `schedule
/// list` with the next slot, and audited as the scheduler's.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class ScheduledBackupAndDrillTests : IAsyncLifetime
{
    private TeamSetup _team = null!;

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync(before: (workspace, _) =>
            workspace.AddSettingAsync("prod", "schedule:\n      timezone: Europe/Berlin\n      backup: \"*/10 * * * * *\"\n      drill: \"5-59/10 * * * * *\""));
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    [Fact]
    public async Task Server_runs_the_scheduled_backup_and_drill_and_records_them()
    {
        var workspace = _team.Workspace;
        var ran = await ScheduleJson.WaitAsync(async () =>
        {
            var runs = await ScheduleJson.RunsAsync(workspace);
            return runs.Any(r => Is(r, "backup", "ok")) && runs.Any(r => Is(r, "drill", "ok"));
        }, TimeSpan.FromSeconds(120));
        var runs = await ScheduleJson.RunsAsync(workspace);
        Assert.True(ran, string.Join('\n', runs) + "\n" + _team.Server.Output);

        // What the runs did is in the catalog: backups, and the drilled one proven.
        var backups = await ScheduleJson.ListAsync(workspace, "backups", "backup", "list", "-e", "prod");
        var okBackups = runs.Where(r => Is(r, "backup", "ok")).ToList();
        Assert.All(okBackups, r => Assert.Contains(backups, b => r.GetProperty("message").GetString() == "id " + b.GetProperty("id").GetString()));
        var status = await workspace.RunAsync("backup", "status", "-e", "prod", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using (var json = JsonDocument.Parse(status.Out))
        {
            Assert.Contains(json.RootElement.GetProperty("environments").EnumerateArray(), e => e.GetProperty("lastProvenRestore").ValueKind == JsonValueKind.Object);
        }

        // Each slot once, by this server, on the cron's seconds.
        Assert.Equal(runs.Count, runs.Select(r => (r.GetProperty("kind").GetString(), r.GetProperty("slot").GetDateTimeOffset())).Distinct().Count());
        Assert.All(runs, r => Assert.Equal(r.GetProperty("kind").GetString() == "backup" ? 0 : 5, r.GetProperty("slot").GetDateTimeOffset().Second % 10));

        // schedule list: both schedules, in their zone, with the latest outcome and a next slot.
        var schedules = await ScheduleJson.ListAsync(workspace, "schedules", "schedule", "list");
        Assert.Equal(["backup", "drill"], schedules.Select(s => s.GetProperty("kind").GetString()));
        Assert.All(schedules, s =>
        {
            Assert.Equal("Europe/Berlin", s.GetProperty("timeZone").GetString());
            Assert.Equal(JsonValueKind.String, s.GetProperty("next").ValueKind);
            Assert.Equal(JsonValueKind.Object, s.GetProperty("last").ValueKind);
        });
        var table = await workspace.RunAsync("schedule", "list");
        Assert.Contains("*/10 * * * * *", table.Out, StringComparison.Ordinal);

        // The console's API shows the same, to any signed-in person.
        using var http = new HttpClient { BaseAddress = new Uri(_team.Server.Url) };
        using (var credentials = JsonDocument.Parse(await File.ReadAllTextAsync(_team.Alice.CredentialsPath)))
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", credentials.RootElement.GetProperty("token").GetString());
        }

        using (var served = JsonDocument.Parse(await http.GetStringAsync("/api/v1/schedules?environment=prod")))
        {
            Assert.Equal(["backup", "drill"], served.RootElement.EnumerateArray().Select(s => s.GetProperty("kind").GetString()));
            Assert.All(served.RootElement.EnumerateArray(), s => Assert.Equal(JsonValueKind.Object, s.GetProperty("last").ValueKind));
        }

        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/schedules?environment=nope")).StatusCode);

        // Audited as the scheduler's, with the command it ran.
        var audit = await ScheduleJson.ListAsync(workspace, "entries", "audit", "list", "--actor", "scheduler", "--limit", "1000");
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "schedule.backup" && e.GetProperty("outcome").GetString() == "ok");
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "schedule.drill" && e.GetProperty("outcome").GetString() == "ok");
    }

    private static bool Is(JsonElement run, string kind, string outcome) =>
        run.GetProperty("kind").GetString() == kind && run.GetProperty("outcome").GetString() == outcome;
}

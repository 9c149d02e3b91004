using System.Text.Json;
using Backstop.Cli.Tests.Team;
using Backstop.Testing;
using Xunit.Abstractions;

namespace Backstop.Cli.Tests.Schedules;

/// <summary>
/// Two `backstop server` processes on one PostgreSQL state with the same schedule: each slot is run once, by one of
/// them (issue 17, point 2: "10 scheduled runs happen exactly 10 times"), and a backup is taken for each run, once.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class TwoServerScheduleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Slots = 10;
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    private TeamSetup _team = null!;
    private TeamServerProcess _other = null!;

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync(
            postgresState: true,
            before: (workspace, _) => workspace.AddSettingAsync("prod", "schedule:\n      backup: \"*/5 * * * * *\""));
        _other = await _team.StartAnotherServerAsync();
    }

    public async Task DisposeAsync()
    {
        await _other.DisposeAsync();
        await _team.DisposeAsync();
    }

    [Fact]
    public async Task Ten_scheduled_runs_happen_exactly_ten_times_between_two_servers()
    {
        var workspace = _team.Workspace;
        var done = await ScheduleJson.WaitAsync(
            async () => (await ScheduleJson.RunsAsync(workspace)).Count(r => Outcome(r) == "ok") >= Slots,
            TimeSpan.FromSeconds(Slots * Every.TotalSeconds + 120));
        var runs = (await ScheduleJson.RunsAsync(workspace)).OrderBy(Slot).ToList();
        var report = string.Join('\n', runs) + "\n--- first server:\n" + _team.Server.Output + "\n--- second server:\n" + _other.Output;
        Assert.True(done, report);

        // The slots up to the tenth run: one record each, the cron's consecutive slots. A slot that came while the
        // previous run still held the lease (a loaded machine) is recorded as skipped, and nothing ran for it.
        var window = new List<JsonElement>();
        foreach (var run in runs.TakeWhile(_ => window.Count(r => Outcome(r) == "ok") < Slots))
        {
            window.Add(run);
        }

        Assert.Equal(window.Count, window.Select(Slot).Distinct().Count());
        Assert.All(window.Zip(window.Skip(1)), pair => Assert.True(Slot(pair.Second) - Slot(pair.First) == Every, report));
        Assert.All(window, r => Assert.True(Outcome(r) is "ok" or "skipped", report));
        var ran = window.Where(r => Outcome(r) == "ok").ToList();
        Assert.Equal(Slots, ran.Count);
        output.WriteLine($"slots: {window.Count} ({window.Count - Slots} skipped); run by: "
            + string.Join(", ", ran.GroupBy(r => r.GetProperty("holder").GetString()).Select(g => $"{g.Key} × {g.Count()}")));

        // ... and exactly ten backups were taken in their time: one per run, none twice, none for a skipped slot.
        var (from, until) = (Slot(window[0]), Slot(window[^1]) + Every);
        var backups = await ScheduleJson.ListAsync(workspace, "backups", "backup", "list", "-e", "prod", "--all");
        var taken = backups.Where(b => b.GetProperty("startedAt").GetDateTimeOffset() is var at && at >= from && at < until).ToList();
        Assert.True(taken.Count == Slots, report + "\n--- backups:\n" + string.Join('\n', backups));
        Assert.Equal(
            taken.Select(b => "id " + b.GetProperty("id").GetString()).Order(StringComparer.Ordinal),
            ran.Select(r => r.GetProperty("message").GetString()!).Order(StringComparer.Ordinal));
    }

    private static string? Outcome(JsonElement run) => run.GetProperty("outcome").GetString();

    private static DateTimeOffset Slot(JsonElement run) => run.GetProperty("slot").GetDateTimeOffset();
}

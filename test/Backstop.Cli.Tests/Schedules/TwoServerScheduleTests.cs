using System.Text.Json;
using Backstop.Cli.Tests.Team;
using Backstop.Testing;
using Xunit.Abstractions;

namespace Backstop.Cli.Tests.Schedules;

/// <summary>
/// Two `backstop server` processes on one PostgreSQL state with the same schedule: each slot is run once, by one of
/// them (issue 17, point 2: "10 scheduled runs happen exactly 10 times").
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class TwoServerScheduleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Slots = 10;
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(4);

    private TeamSetup _team = null!;
    private TeamServerProcess _other = null!;

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync(
            postgresState: true,
            before: (workspace, _) => workspace.AddSettingAsync("prod", "schedule:\n      backup: \"*/4 * * * * *\""));
        _other = await _team.StartAnotherServerAsync();
    }

    public async Task DisposeAsync()
    {
        await _other.DisposeAsync();
        await _team.DisposeAsync();
    }

    [Fact]
    public async Task Ten_scheduled_slots_run_exactly_ten_times_between_two_servers()
    {
        var workspace = _team.Workspace;
        var done = await ScheduleJson.WaitAsync(
            async () => (await ScheduleJson.RunsAsync(workspace)).Count(r => r.GetProperty("outcome").GetString() != "running") > Slots,
            TimeSpan.FromSeconds(Slots * Every.TotalSeconds + 90));
        var runs = (await ScheduleJson.RunsAsync(workspace)).OrderBy(Slot).ToList();
        var report = string.Join('\n', runs) + "\n--- first server:\n" + _team.Server.Output + "\n--- second server:\n" + _other.Output;
        Assert.True(done, report);

        // The first ten slots: one record each, the cron's consecutive slots, each run to its end.
        var first = runs.Take(Slots).ToList();
        Assert.Equal(Slots, first.Select(Slot).Distinct().Count());
        Assert.All(first.Zip(first.Skip(1)), pair => Assert.Equal(Every, Slot(pair.Second) - Slot(pair.First)));
        Assert.All(first, r => Assert.True(r.GetProperty("outcome").GetString() == "ok", report));
        output.WriteLine("slots run by: " + string.Join(", ", first.GroupBy(r => r.GetProperty("holder").GetString()).Select(g => $"{g.Key} × {g.Count()}")));

        // ... and exactly ten backups were taken in their time: one per slot, none twice.
        var start = Slot(first[0]);
        var backups = await ScheduleJson.ListAsync(workspace, "backups", "backup", "list", "-e", "prod", "--all");
        var taken = backups.Where(b => b.GetProperty("startedAt").GetDateTimeOffset() is var at && at >= start && at < start + Slots * Every).ToList();
        Assert.True(taken.Count == Slots, report + "\n--- backups:\n" + string.Join('\n', backups));
        Assert.Equal(
            taken.Select(b => "id " + b.GetProperty("id").GetString()).Order(StringComparer.Ordinal),
            first.Select(r => r.GetProperty("message").GetString()!).Order(StringComparer.Ordinal));
    }

    private static DateTimeOffset Slot(JsonElement run) => run.GetProperty("slot").GetDateTimeOffset();
}

using Backstop.Core.Schedules;
using Backstop.Core.Team;
using Backstop.Core.Tests.State;

namespace Backstop.Core.Tests.Schedules;

/// <summary>A slot is run once, whoever claims it; a run that still holds the lease makes the next slot a recorded skip.</summary>
[Trait("Area", "State")]
public sealed class ScheduleRunStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private static readonly Schedule Backup = new()
    {
        Environment = "prod",
        Kind = ScheduleKind.Backup,
        Cron = "* * * * *",
        Expression = Schedule.ParseCron("* * * * *"),
        TimeZone = TimeZoneInfo.Utc,
    };

    private readonly string _directory = Directory.CreateTempSubdirectory("backstop-schedule-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task ClaimAsync_from_eight_processes_at_once_one_claims_each_slot(string kind)
    {
        var location = await TestStores.CreateAsync(kind, _directory);
        var stores = new List<ScheduleRunStore>();
        for (var i = 0; i < 8; i++)
        {
            stores.Add(new ScheduleRunStore(await TeamDatabase.OpenAsync(location, null, CancellationToken.None)));
        }

        for (var minute = 1; minute <= 5; minute++)
        {
            var slot = Now.AddMinutes(minute);
            var claims = await Task.WhenAll(stores.Select((s, i) => Task.Run(() => s.ClaimAsync(Backup, slot, $"host:{i}", slot, TimeSpan.FromMinutes(2), CancellationToken.None))));
            var winner = Assert.Single(claims, c => c.Claim == ScheduleClaim.Claimed);
            Assert.All(claims.Where(c => c.Claim != ScheduleClaim.Claimed), c => Assert.Equal(ScheduleClaim.Taken, c.Claim));
            await stores[0].FinishAsync(Backup, winner.RunId, $"host:{Array.IndexOf(claims, winner)}", ScheduleOutcomes.Ok, 0, "id 1", slot.AddSeconds(5), CancellationToken.None);
        }

        var runs = await stores[0].ListAsync("prod", "backup", 100, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 5).Reverse().Select(m => Now.AddMinutes(m)), runs.Select(r => r.Slot));
        Assert.All(runs, r => Assert.Equal(ScheduleOutcomes.Ok, r.Outcome));
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task ClaimAsync_while_the_previous_run_holds_the_lease_records_a_skip_and_after_it_ran_out_interrupts_it(string kind)
    {
        var store = new ScheduleRunStore(await TeamDatabase.OpenAsync(await TestStores.CreateAsync(kind, _directory), null, CancellationToken.None));
        var lease = TimeSpan.FromMinutes(2);

        var (first, _) = await store.ClaimAsync(Backup, Now.AddMinutes(1), "a:1", Now.AddMinutes(1), lease, CancellationToken.None);
        var (second, _) = await store.ClaimAsync(Backup, Now.AddMinutes(2), "b:2", Now.AddMinutes(2), lease, CancellationToken.None);
        var (again, _) = await store.ClaimAsync(Backup, Now.AddMinutes(2), "a:1", Now.AddMinutes(2), lease, CancellationToken.None);

        // a:1 stopped without finishing: once its lease ran out, the next slot is claimed and its run marked interrupted.
        var (third, _) = await store.ClaimAsync(Backup, Now.AddMinutes(4), "b:2", Now.AddMinutes(4), lease, CancellationToken.None);

        Assert.Equal((ScheduleClaim.Claimed, ScheduleClaim.Skipped, ScheduleClaim.Taken, ScheduleClaim.Claimed), (first, second, again, third));
        var runs = await store.ListAsync(null, null, 10, CancellationToken.None);
        Assert.Equal(
            [(Now.AddMinutes(4), ScheduleOutcomes.Running, "b:2"), (Now.AddMinutes(2), ScheduleOutcomes.Skipped, "b:2"), (Now.AddMinutes(1), ScheduleOutcomes.Interrupted, "a:1")],
            runs.Select(r => (r.Slot, r.Outcome, r.Holder)));
        Assert.Equal(Now.AddMinutes(4), await store.LastSlotAsync(Backup, CancellationToken.None));
    }
}

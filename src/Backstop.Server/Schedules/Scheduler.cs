using System.Globalization;
using Backstop.Core.Schedules;
using Backstop.Server.Services;

namespace Backstop.Server.Schedules;

/// <summary>
/// Runs the environments' schedules in the server (docs/schedules.md): one loop per schedule sleeps until its next slot,
/// claims the slot in the state (<see cref="ScheduleRunStore.ClaimAsync"/>: of several server processes on one state,
/// exactly one runs it), runs the CLI command of its kind in this process, as the actor <c>scheduler</c>, records how it
/// ended and audits it. A slot missed while no server ran is made up once, at start, if it is at most a day old.
/// </summary>
public sealed class Scheduler(ServerContext server, ScheduleRunStore runs, ICommandRunner commands, Action<string> log)
{
    public const string Actor = "scheduler";

    /// <summary>How long a claim holds without renewal: a process that stops frees the schedule after this.</summary>
    internal static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan CatchUp = TimeSpan.FromDays(1);
    private static readonly TimeSpan LongestSleep = TimeSpan.FromHours(1);

    /// <summary>This process, as the runs it claims name it.</summary>
    public string Holder { get; } = $"{Environment.MachineName}:{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Told after each scheduled drill, so that a failure is notified at once.</summary>
    public Action? AfterDrill { get; init; }

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(server.Config.Environments.SelectMany(e => e.Schedules).Select(s => LoopAsync(s, cancellationToken)));

    private async Task LoopAsync(Schedule schedule, CancellationToken cancellationToken)
    {
        var clock = server.Clock;
        DateTimeOffset? cursor = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (cursor is null)
                {
                    var start = clock.GetUtcNow();
                    cursor = await runs.LastSlotAsync(schedule, cancellationToken) is { } last && last > start - CatchUp && last < start ? last : start;
                }

                var now = clock.GetUtcNow();
                if (schedule.Latest(cursor.Value, now) is { } slot)
                {
                    cursor = slot;
                    await RunSlotAsync(schedule, slot, cancellationToken);
                    continue;
                }

                if (schedule.Next(now) is not { } next)
                {
                    return;
                }

                var wait = next - now;
                await Task.Delay(wait < LongestSleep ? wait : LongestSleep, clock, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever went wrong, the schedule goes on: an exception here would otherwise stop the whole server.
                var what = e is Core.Environments.ConnectionFailedException or System.Data.Common.DbException or IOException or TimeoutException
                    ? "the state store could not be reached" : "it stopped on an unexpected error";
                log($"error: schedule {schedule.Name} of {schedule.Environment}: {what} ({e.Message}); trying again in 10 s");
                await Task.Delay(TimeSpan.FromSeconds(10), clock, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task RunSlotAsync(Schedule schedule, DateTimeOffset slot, CancellationToken cancellationToken)
    {
        var clock = server.Clock;
        var (claim, runId) = await runs.ClaimAsync(schedule, slot, Holder, clock.GetUtcNow(), Lease, cancellationToken);
        var action = "schedule." + schedule.Name;
        var subject = "slot " + slot.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        if (claim == ScheduleClaim.Skipped)
        {
            await server.Audit.RecordAsync(new AuditEvent(Actor, Holder, action, schedule.Environment, subject, ScheduleOutcomes.Skipped,
                new Dictionary<string, string> { ["reason"] = "the previous run of this schedule was still running" }), CancellationToken.None);
            return;
        }

        if (claim != ScheduleClaim.Claimed)
        {
            return;
        }

        var args = ScheduledCommand.Args(schedule);
        CommandResult result;
        using (var running = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var renewing = RenewAsync(schedule, running.Token);
            try
            {
                result = await commands.RunAsync(["--config", server.Config.Path, "--local", "--json", .. args], Actor, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                result = new CommandResult(1, "", "the server stopped while the run went on");
            }

            await running.CancelAsync();
            await renewing;
        }

        var outcome = result.ExitCode == 0 ? ScheduleOutcomes.Ok : ScheduleOutcomes.Failed;
        var message = ScheduledCommand.Message(result);
        await runs.FinishAsync(schedule, runId, Holder, outcome, result.ExitCode, message, clock.GetUtcNow(), CancellationToken.None);
        var detail = new Dictionary<string, string>
        {
            ["command"] = string.Join(' ', args),
            ["exitCode"] = result.ExitCode.ToString(CultureInfo.InvariantCulture),
            ["run"] = runId.ToString(CultureInfo.InvariantCulture),
        };
        if (message is not null)
        {
            detail["message"] = message;
        }

        await server.Audit.RecordAsync(new AuditEvent(Actor, Holder, action, schedule.Environment, subject, outcome, detail), CancellationToken.None);
        if (outcome == ScheduleOutcomes.Failed)
        {
            log($"schedule {schedule.Name} of {schedule.Environment} ({subject}) failed with exit code {result.ExitCode}: {message}");
        }

        if (schedule.Kind is ScheduleKind.Drill or ScheduleKind.PitrDrill)
        {
            AfterDrill?.Invoke();
        }
    }

    private async Task RenewAsync(Schedule schedule, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Lease / 4, server.Clock, cancellationToken);
                await runs.RenewAsync(schedule, Holder, server.Clock.GetUtcNow() + Lease, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            log($"error: the lease of schedule {schedule.Name} of {schedule.Environment} could not be renewed ({e.Message}); another server may start its next slot");
        }
    }
}

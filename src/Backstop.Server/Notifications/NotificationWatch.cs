using System.Globalization;
using Backstop.Core.Notifications;
using Backstop.Recovery.Backups;
using Backstop.Recovery.Catalog;
using Backstop.Server.Services;

namespace Backstop.Server.Notifications;

/// <summary>
/// Looks at the backup catalog every <c>notifications.check_every</c> (and after each scheduled drill) for what no
/// request announces: a drill that failed in the last day, and an environment whose last proven restore is older than its
/// <c>backup.proven_within</c>. Each is told once (its key: the drill, or the environment and its last proven backup),
/// whichever server process sees it first.
/// </summary>
internal sealed class NotificationWatch(ServerContext server, IBackupCatalog catalog, TimeSpan every, Action<string> log) : IDisposable
{
    private static readonly TimeSpan Recent = TimeSpan.FromDays(1);
    private readonly SemaphoreSlim _now = new(0);

    /// <summary>Checks at once (after a scheduled drill) instead of at the next tick.</summary>
    public void CheckSoon() => _now.Release();

    public void Dispose() => _now.Dispose();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(cancellationToken);
                await _now.WaitAsync(every, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The state store or an environment's URL: whatever it is, the next check may find it mended.
                log($"error: the check for failed drills and stale restores did not finish ({e.Message}); trying again in {every.TotalSeconds:0} s");
                await Task.Delay(every, server.Clock, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        var now = server.Clock.GetUtcNow();
        foreach (var environment in server.Config.Environments)
        {
            var drills = await catalog.ListDrillsAsync(environment.Name, cancellationToken);
            foreach (var drill in drills.Where(d => !d.Passed && d.FinishedAt > now - Recent))
            {
                await server.Notifications.NotifyAsync(DrillFailed(environment.Name, drill), cancellationToken);
            }

            // Only environments that take backups are held to proven restores: those with a backup schedule or a backup.
            var watched = environment.Schedules.Any(s => s.Kind is Core.Schedules.ScheduleKind.Backup or Core.Schedules.ScheduleKind.Drill)
                || (await catalog.ListAsync(environment.Name, cancellationToken)).Any(b => b.Kind == "logical");
            if (!watched)
            {
                continue;
            }

            string database;
            try
            {
                database = environment.Identity?.Database ?? server.Connector.ResolveUrl(environment).Database;
            }
            catch (Core.Configuration.ConfigException e)
            {
                // One environment whose URL cannot be read must not hide the others' stale restores.
                log($"error: whether the restores of {environment.Name} are proven could not be checked: {e.Message}");
                continue;
            }

            var health = await BackupHealth.ReadAsync(catalog, environment.Name, database, environment.Backup.ProvenWithin, now, cancellationToken);
            if (health.Stale)
            {
                await server.Notifications.NotifyAsync(Stale(health), cancellationToken);
            }
        }
    }

    private static NotificationMessage DrillFailed(string environment, DrillEntry drill)
    {
        var text = $"The {(drill.Kind == "logical" ? "restore" : "point-in-time")} drill of backup {SlackText.Escape(drill.BackupId)} of {SlackText.Escape(environment)} failed: "
            + $"{SlackText.Escape(drill.Failure)}. `backstop backup status -e {SlackText.Escape(environment)}` shows what is still proven.";
        return new NotificationMessage(NotificationEvents.DrillFailed, $"{NotificationEvents.DrillFailed}:{environment}:{drill.Id.ToString(CultureInfo.InvariantCulture)}", environment, text,
            new Dictionary<string, object?>
            {
                ["drillId"] = drill.Id,
                ["backupId"] = drill.BackupId,
                ["kind"] = drill.Kind,
                ["failedCheck"] = drill.FailedCheck,
                ["failedObject"] = drill.FailedObject,
                ["failure"] = drill.Failure,
                ["finishedAt"] = drill.FinishedAt,
            });
    }

    private static NotificationMessage Stale(BackupHealth health)
    {
        var environment = SlackText.Escape(health.Environment);
        var limit = $"{health.Limit.TotalHours:0.#} h";
        var text = health.LastProvenBackup is { } proven
            ? $"The last proven restore of {environment} is {health.LastProvenAge!.Value.TotalHours:0.#} h old (backup {SlackText.Escape(proven.Id)}), over its limit of {limit}: run and drill a backup (`backstop backup run -e {environment}`, then `backstop backup verify --latest -e {environment}`)."
            : $"{environment} has no proven restore (no backup of it passed a drill); its limit is {limit}: run and drill a backup (`backstop backup run -e {environment}`, then `backstop backup verify --latest -e {environment}`).";
        return new NotificationMessage(NotificationEvents.RestoreStale, $"{NotificationEvents.RestoreStale}:{health.Environment}:{health.LastProvenBackup?.Id ?? "none"}", health.Environment, text,
            new Dictionary<string, object?>
            {
                ["lastProvenBackup"] = health.LastProvenBackup?.Id,
                ["lastProvenAgeSeconds"] = health.LastProvenAge?.TotalSeconds,
                ["limitSeconds"] = health.Limit.TotalSeconds,
            });
    }
}

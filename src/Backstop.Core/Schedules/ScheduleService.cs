using Backstop.Core.Configuration;

namespace Backstop.Core.Schedules;

/// <summary>The schedules of backstop.yaml with their state: what <c>backstop schedule list</c> and the console show.</summary>
public sealed class ScheduleService(BackstopConfig config, ScheduleRunStore runs, TimeProvider clock)
{
    /// <summary>Every schedule of the configuration (of one environment when named), in the file's order.</summary>
    /// <exception cref="ConfigException">no such environment.</exception>
    public async Task<IReadOnlyList<ScheduleView>> ListAsync(string? environment, CancellationToken cancellationToken)
    {
        var environments = environment is null ? config.Environments : [config.Environment(environment)];
        var latest = await runs.LatestAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return environments.SelectMany(e => e.Schedules).Select(s => new ScheduleView
        {
            Environment = s.Environment,
            Kind = s.Name,
            Cron = s.Cron,
            TimeZone = s.TimeZone.Id,
            Next = s.Next(now),
            Last = latest.FirstOrDefault(r => r.Environment == s.Environment && r.Kind == s.Name),
        }).ToList();
    }

    /// <summary>The recorded slots, newest first.</summary>
    public Task<IReadOnlyList<ScheduleRun>> RunsAsync(string? environment, string? kind, int limit, CancellationToken cancellationToken) =>
        runs.ListAsync(environment, kind, limit, cancellationToken);
}

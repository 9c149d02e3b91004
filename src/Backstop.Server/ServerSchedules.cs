using Backstop.Core.Configuration;
using Backstop.Core.Notifications;
using Backstop.Core.Schedules;
using Backstop.Core.State;
using Backstop.Core.Team;
using Backstop.Server.Notifications;
using Backstop.Server.Schedules;
using Backstop.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Backstop.Server;

/// <summary>
/// The server's background work of issue 17: the schedules and the webhooks (docs/schedules.md), set up beside the
/// API by <see cref="ServerHost.BuildAsync"/> and stopped with it.
/// </summary>
internal static class ServerSchedules
{
    /// <summary>The notifier of the configured webhooks, their URLs read now; null without webhooks.</summary>
    /// <exception cref="ConfigException">a webhook's URL cannot be read or is not an http(s) URL.</exception>
    public static Notifier? Notifier(BackstopConfig config, ServerSettings settings, Func<string, string?> variables, TeamDatabase database, TimeProvider clock, Func<WebApplication?> app)
    {
        if (config.Notifications is not { Webhooks.Count: > 0 } notifications)
        {
            return null;
        }

        var urls = WebhookUrls.Resolve(notifications, variables, config.Path);
        return new Notifier(notifications, urls, new NotificationStore(database), clock,
            () => settings.PublicUrl ?? (app() is { } running ? ServerHost.Addresses(running) is [var first, ..] ? first : null : null) ?? settings.Urls[0], Log);
    }

    public static async Task AddAsync(IServiceCollection services, ServerContext context, TeamDatabase database, StateLocation location, ICommandRunner commands, Notifier? notifier, CancellationToken cancellationToken)
    {
        var runs = new ScheduleRunStore(database);
        services.AddSingleton(new ScheduleService(context.Config, runs, context.Clock));
        services.AddSingleton(new NotificationStore(database));
        NotificationWatch? watch = null;
        if (notifier is not null)
        {
            var catalog = await Recovery.Catalog.BackupCatalogs.OpenAsync(location, null, cancellationToken);
            watch = new NotificationWatch(context, catalog, context.Config.Notifications!.CheckEvery, Log);
        }

        var scheduler = new Scheduler(context, runs, commands, Log) { AfterDrill = watch is null ? null : watch.CheckSoon };
        services.AddHostedService(_ => new BackgroundWork(scheduler, watch, notifier));
    }

    private static void Log(string line) => Console.Error.WriteLine(line);

    /// <summary>Starts the loops with the server; on stop, cancels them and lets the webhook tries under way end.</summary>
    private sealed class BackgroundWork(Scheduler scheduler, NotificationWatch? watch, Notifier? notifier) : Microsoft.Extensions.Hosting.BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            await Task.WhenAll(scheduler.RunAsync(stoppingToken), watch?.RunAsync(stoppingToken) ?? Task.CompletedTask);
        }

        public override async Task StopAsync(CancellationToken cancellationToken)
        {
            await base.StopAsync(cancellationToken);
            if (notifier is not null)
            {
                await notifier.DisposeAsync();
            }
        }
    }
}

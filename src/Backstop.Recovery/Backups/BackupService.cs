using System.Diagnostics;
using System.Text.Json;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>
/// <c>backstop backup run | verify | list | status</c> for any caller: each finds the catalog and the repository from
/// the configuration, settles runs whose process is gone, and returns what happened for the caller to show.
/// </summary>
public sealed class BackupService(BackstopConfig config, EnvironmentConnector connector, TimeProvider clock)
{
    /// <summary>Takes a backup, then applies retention to the backups of the same database.</summary>
    public async Task<BackupRunResult> RunAsync(BackupRunRequest request, IProgress<BackupProgress> progress, CancellationToken cancellationToken)
    {
        var environment = request.Environment;
        await using var target = await connector.OpenAsync(environment, cancellationToken);
        var other = request.Database is null || request.Database == target.Identity.Database ? null : target.Url.WithDatabase(request.Database);
        var (connection, identity) = other is null
            ? (target.Connection, target.Identity)
            : await EnvironmentConnector.ConnectAsync(environment.Name, other, cancellationToken);
        await using var _ = other is null ? null : connection;
        var catalog = await BackupLocations.OpenCatalogAsync(config, connector, cancellationToken);
        var runner = new BackupRunner(catalog, BackupLocations.Repository(config, environment), clock);
        var watch = Stopwatch.StartNew();
        var (entry, manifest) = await runner.RunAsync(environment.Name, connection, other ?? target.Url, identity, request.Settings, progress, cancellationToken);
        var expired = await BackupRetention.ApplyAsync(catalog, environment.Name, entry.Database, request.Settings.Keep, request.Settings.MaxAge, clock.GetUtcNow(), cancellationToken);
        return new BackupRunResult(entry, manifest, expired, watch.Elapsed);
    }

    /// <summary>The restore drill of one backup; its outcome is recorded in the catalog, passed or not.</summary>
    public async Task<BackupVerifyResult> VerifyAsync(BackupVerifyRequest request, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var environment = request.Environment;
        var catalog = await BackupLocations.OpenCatalogAsync(config, connector, cancellationToken);
        await BackupRunner.SettleAsync(catalog, BackupLocations.Repository(config, environment), environment.Name, cancellationToken);
        var database = request.Id is null ? request.Database ?? BackupLocations.OwnDatabase(connector, environment) : null;
        var backup = await UsableBackup.FindAsync(catalog, environment.Name, request.Id, database, cancellationToken);
        var drill = new RestoreDrill(catalog, clock);
        var result = await drill.RunAsync(backup, request.Jobs ?? environment.Backup.Jobs, request.KeepSandbox, progress, request.Thorough, cancellationToken);
        var durations = JsonSerializer.Deserialize<Dictionary<string, double>>(result.Entry.Durations) ?? [];
        return new BackupVerifyResult(backup, result, durations);
    }

    /// <summary>Logical backups, newest first, of one environment (null: of all), each with its latest drill.</summary>
    /// <param name="all">also failed, interrupted and expired ones.</param>
    public async Task<IReadOnlyList<BackupListing>> ListAsync(string? environment, bool all, CancellationToken cancellationToken)
    {
        var environments = environment is null ? config.Environments : [config.Environment(environment)];
        var catalog = await BackupLocations.OpenCatalogAsync(config, connector, cancellationToken);
        foreach (var each in environments)
        {
            await BackupRunner.SettleAsync(catalog, BackupLocations.Repository(config, each), each.Name, cancellationToken);
        }

        var backups = (await catalog.ListAsync(environment, cancellationToken))
            .Where(b => b.Kind == "logical" && (all || b.Status is BackupStatus.Complete or BackupStatus.Running))
            .ToList();
        var drills = (await catalog.ListDrillsAsync(environment, cancellationToken)).Where(d => d.Kind == "logical").ToList();
        return backups.Select(b => new BackupListing(b, drills.FirstOrDefault(d => d.Environment == b.Environment && d.BackupId == b.Id))).ToList();
    }

    /// <summary>Per environment (null: every one), its last backup and last proven restore against its limit.</summary>
    public async Task<IReadOnlyList<BackupHealth>> StatusAsync(string? environment, CancellationToken cancellationToken)
    {
        var environments = environment is null ? config.Environments : [config.Environment(environment)];
        var catalog = await BackupLocations.OpenCatalogAsync(config, connector, cancellationToken);
        var now = clock.GetUtcNow();
        var health = new List<BackupHealth>();
        foreach (var each in environments)
        {
            await BackupRunner.SettleAsync(catalog, BackupLocations.Repository(config, each), each.Name, cancellationToken);
            health.Add(await BackupHealth.ReadAsync(catalog, each.Name, BackupLocations.OwnDatabase(connector, each), each.Backup.ProvenWithin, now, cancellationToken));
        }

        return health;
    }
}

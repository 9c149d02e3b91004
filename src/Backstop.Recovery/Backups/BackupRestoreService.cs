using System.Diagnostics;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Policies;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;
using Npgsql;

namespace Backstop.Recovery.Backups;

/// <summary>
/// <c>backstop backup restore</c> in two steps: <see cref="PrepareAsync"/> checks the backup and the target and says
/// what the restore would replace; <see cref="RestoreAsync"/> does it. Between them the caller judges and confirms a
/// restore over a non-empty database, which is the one destructive case.
/// </summary>
public sealed class BackupRestoreService(BackstopConfig config, EnvironmentConnector connector)
{
    /// <summary>Objects a user made: what a restore without <c>--force</c> must not land on.</summary>
    private const string UserObjects = """
        SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
        """;

    /// <summary>Finds and checks the backup, and the target: an environment's identity, whether the database exists and holds objects.</summary>
    /// <exception cref="BackupException">the backup is unusable or damaged; its latest drill failed, the target is not a URL, or not empty, without <c>--force</c> (usage errors).</exception>
    public async Task<BackupRestoreTarget> PrepareAsync(BackupRestoreRequest request, CancellationToken cancellationToken)
    {
        var environment = request.Environment;
        var catalog = await BackupLocations.OpenCatalogAsync(config, connector, cancellationToken);
        var backup = await UsableBackup.FindAsync(catalog, environment.Name, request.BackupId, null, cancellationToken);
        var failedDrill = await UsableBackup.CheckLatestDrillAsync(catalog, backup, request.Force, cancellationToken);
        var manifest = BackupManifest.Read(backup.Path);
        await UsableBackup.CheckFilesAsync(backup, manifest, "restored", 5, cancellationToken);
        var prepared = new BackupRestoreTarget { Backup = backup, Manifest = manifest, Jobs = request.Jobs ?? environment.Backup.Jobs, Owners = !request.NoOwner, FailedDrill = failedDrill, LatestDrillPassed = (await UsableBackup.LatestDrillAsync(catalog, backup, cancellationToken))?.Passed == true };
        if (request.To is not { } destination)
        {
            return prepared with { SandboxName = request.SandboxName ?? $"restore-{backup.Id}" };
        }

        var targetEnvironment = config.Environments.FirstOrDefault(e => e.Name == destination);
        PgUrl url;
        if (targetEnvironment is not null)
        {
            url = await CheckedUrlAsync(targetEnvironment, cancellationToken);
        }
        else
        {
            url = ParseUrl(destination);
        }

        var objects = await CountObjectsAsync(url, cancellationToken);
        if (objects > 0 && !request.Force)
        {
            throw new BackupException($"database '{url.Database}' at {url.Endpoint} is not empty ({objects} objects); nothing was restored. Restore into a new database, or use --force to drop and replace its objects of the same names")
            {
                IsUsageError = true,
            };
        }

        // Over an environment's tables, the tier's policy judges the restore (BackupRestoreOver, through the lifecycle).
        return prepared with { Url = url, Environment = targetEnvironment, Objects = objects };
    }

    /// <summary>
    /// Restores as prepared: into a new sandbox (roles first, when the backup has them), into a database it creates, or
    /// over a non-empty one, dropping the backup's objects first in a single transaction. The caller has confirmed that.
    /// </summary>
    public async Task<BackupRestoreResult> RestoreAsync(BackupRestoreTarget target, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var manifest = target.Manifest;
        var path = target.Backup.Path;
        if (target.Url is not { } url)
        {
            var cluster = await SandboxCluster.StartAsync(new SandboxOptions { Name = target.SandboxName }, null, cancellationToken);
            var maintenance = PgUrl.Parse(cluster.Url);
            var restored = maintenance.WithDatabase(manifest.Database);
            if (manifest.RolesIncluded)
            {
                await DumpRestorer.CreateRolesAsync(path, maintenance, cancellationToken);
            }

            await DumpRestorer.CreateDatabaseAsync(maintenance, manifest.Database, cancellationToken, manifest.Encoding);
            await DumpRestorer.RestoreAsync(path, restored, target.Jobs, clean: false, owners: manifest.RolesIncluded && target.Owners, null, cancellationToken);
            return new BackupRestoreResult(restored, cluster.Info.Name, watch.Elapsed);
        }

        if (target.Objects is null)
        {
            await DumpRestorer.CreateDatabaseAsync(url.WithDatabase("postgres"), url.Database, cancellationToken);
        }

        await DumpRestorer.RestoreAsync(path, url, target.Jobs, clean: target.Replaces, owners: target.Owners, null, cancellationToken);
        return new BackupRestoreResult(url, null, watch.Elapsed) { RecordedOid = target is { Objects: null, Environment: { } environment } ? (await Pitr.RecreatedDatabase.RecordOidAsync(config, environment, url, cancellationToken))?.DatabaseOid : null };
    }

    /// <summary>
    /// The same identity check as every command that acts on an environment: not the wrong server. When the
    /// environment's database is gone (dropped), the server is checked through its maintenance database, and the
    /// restore creates the database.
    /// </summary>
    private async Task<PgUrl> CheckedUrlAsync(EnvironmentConfig environment, CancellationToken cancellationToken)
    {
        try
        {
            await using var checkedTarget = await connector.OpenAsync(environment, cancellationToken);
            return checkedTarget.Url;
        }
        catch (ConnectionFailedException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName })
        {
            await using var server = await Pitr.MaintenanceDatabase.OpenAsync(connector, environment, Pitr.MaintenanceDatabase.DefaultName, cancellationToken);
            return server.Url.WithDatabase(connector.ResolveUrl(environment).Database);
        }
    }

    private static PgUrl ParseUrl(string text)
    {
        try
        {
            return PgUrl.Parse(text);
        }
        catch (FormatException e)
        {
            throw new BackupException($"--to is neither an environment nor a valid URL: {e.Message}") { IsUsageError = true };
        }
    }

    /// <summary>How many objects the database holds; null when it does not exist (also what snapshot load checks a target with).</summary>
    internal static async Task<long?> CountObjectsAsync(PgUrl url, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(url.ToConnectionString());
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(UserObjects, connection);
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return null;
        }
    }
}

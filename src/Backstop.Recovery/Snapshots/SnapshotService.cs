using System.Diagnostics;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Snapshots;
using Backstop.Postgres.Catalog;
using Backstop.Postgres.Connections;
using Backstop.Recovery.Backups;
using Npgsql;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// <c>backstop snapshot create | list | load</c> for any caller. A snapshot is handed out only when usable, and never
/// loaded into production: not into an environment of the production tier, nor into a URL that reaches the cluster
/// of one.
/// </summary>
public sealed class SnapshotService(BackstopConfig config, EnvironmentConnector connector, TimeProvider clock)
{
    public SnapshotRepository Repository { get; } = SnapshotRepository.For(config);

    /// <summary>Reads the environment (its identity checked) and writes, drills and scans a snapshot.</summary>
    public async Task<(string Path, SnapshotManifest Manifest, TimeSpan Duration)> CreateAsync(
        EnvironmentConfig environment, SnapshotSettings settings, IMaskerFactory maskers, byte[] key, int jobs, IProgress<SnapshotProgress>? progress, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        PgUrl url;
        ServerIdentity identity;
        await using (var target = await connector.OpenAsync(environment, cancellationToken))
        {
            (url, identity) = (target.Url, target.Identity);

            // Strict: every column of every table has a rule for its type, and every rule a column, before anything is written.
            (await Core.Snapshots.Rules.SnapshotRulesCheck.CheckAsync(target.Connection, settings, cancellationToken)).ThrowIfFailed(environment.Name);
        }

        var request = new SnapshotCreateRequest { Environment = environment.Name, Url = url, Identity = identity, Settings = settings, Maskers = maskers, Key = key, Jobs = jobs };
        var (path, manifest) = await new SnapshotCreator(Repository, clock).CreateAsync(request, progress, cancellationToken);
        return (path, manifest, watch.Elapsed);
    }

    /// <summary>Snapshots newest first, of one environment or all, each with its manifest (null when unreadable, with the reason).</summary>
    public IReadOnlyList<(string Environment, string Id, string Path, SnapshotManifest? Manifest, string? Error)> List(string? environment)
    {
        if (environment is not null)
        {
            config.Environment(environment);
        }

        return Repository.List(environment);
    }

    /// <summary>
    /// Loads a usable snapshot into <paramref name="to"/> (an environment's name or a URL) with pg_restore, creating the
    /// database when it does not exist; over a non-empty one only with <paramref name="clean"/> (its objects of the
    /// same names dropped first, in one transaction).
    /// </summary>
    /// <exception cref="SnapshotException">not usable, a production target, or a non-empty one without --clean (usage errors).</exception>
    public async Task<SnapshotLoadResult> LoadAsync(string id, string to, bool clean, int jobs, CancellationToken cancellationToken)
    {
        var (_, path, manifest) = Repository.Find(id);
        if (!manifest.IsUsable)
        {
            throw new SnapshotException($"snapshot {id} is not usable ({manifest.Message ?? manifest.Status}); nothing was loaded. Make a new one with `backstop snapshot create -e {manifest.Environment}`") { IsUsageError = true };
        }

        var url = await TargetAsync(to, cancellationToken);
        var watch = Stopwatch.StartNew();
        var objects = await BackupRestoreService.CountObjectsAsync(url, cancellationToken);
        if (objects > 0 && !clean)
        {
            throw new SnapshotException($"database '{url.Database}' at {url.Endpoint} is not empty ({objects} objects); nothing was loaded. Load into a new database, or add --clean to drop and replace its objects of the same names") { IsUsageError = true };
        }

        if (objects is null)
        {
            await DumpRestorer.CreateDatabaseAsync(url.WithDatabase("postgres"), url.Database, cancellationToken);
        }

        try
        {
            await DumpRestorer.RestoreAsync(path, url, jobs, clean: objects > 0, owners: false, null, cancellationToken);
        }
        catch (BackupException e)
        {
            throw new SnapshotException(e.Message, e);
        }

        return new SnapshotLoadResult(id, url, objects is null, watch.Elapsed);
    }

    /// <summary>The target's URL, after refusing production: a production-tier environment, or any URL whose cluster is a production environment's.</summary>
    private async Task<PgUrl> TargetAsync(string to, CancellationToken cancellationToken)
    {
        if (config.Environments.FirstOrDefault(e => e.Name == to) is { } environment)
        {
            if (environment.Tier == Tier.Production)
            {
                throw new SnapshotException($"environment '{environment.Name}' is of the production tier; a snapshot is never loaded into production. Load it into a development or staging environment, or a new database") { IsUsageError = true };
            }

            var url = connector.ResolveUrl(environment);
            await RefuseProductionClusterAsync(url, $"environment '{environment.Name}'", cancellationToken);
            return url;
        }

        PgUrl parsed;
        try
        {
            parsed = PgUrl.Parse(to);
        }
        catch (FormatException e)
        {
            throw new SnapshotException($"--to '{to}' is neither an environment of backstop.yaml nor a valid postgresql:// URL: {e.Message}") { IsUsageError = true };
        }

        await RefuseProductionClusterAsync(parsed, "the URL", cancellationToken);
        return parsed;
    }

    /// <summary>
    /// The cluster's system identifier (through the database, else the server's <c>postgres</c> database when the
    /// database does not exist yet) against every production environment's recorded identity, and its host and port
    /// against their URLs: another database on a production server is production too.
    /// </summary>
    private async Task RefuseProductionClusterAsync(PgUrl url, string what, CancellationToken cancellationToken)
    {
        var productions = config.Environments.Where(e => e.Tier == Tier.Production).ToList();
        if (productions.Count == 0)
        {
            return;
        }

        var systemIdentifier = await SystemIdentifierAsync(url, cancellationToken);
        foreach (var production in productions)
        {
            var sameCluster = production.Identity is { } identity && identity.SystemIdentifier == systemIdentifier;
            var sameServer = TryResolve(production) is { } productionUrl
                && string.Equals(productionUrl.Host, url.Host, StringComparison.OrdinalIgnoreCase) && productionUrl.Port == url.Port;
            if (sameCluster || sameServer)
            {
                throw new SnapshotException(
                    $"{what} reaches the cluster of production environment '{production.Name}' ({(sameCluster ? $"system identifier {systemIdentifier}" : url.Endpoint)}); a snapshot is never loaded into production. Load it into a development or staging server")
                { IsUsageError = true };
            }
        }
    }

    private PgUrl? TryResolve(EnvironmentConfig environment)
    {
        try
        {
            return connector.ResolveUrl(environment);
        }
        catch (ConfigException)
        {
            return null;
        }
    }

    private static async Task<string?> SystemIdentifierAsync(PgUrl url, CancellationToken cancellationToken)
    {
        foreach (var database in new[] { url.Database, "postgres" })
        {
            try
            {
                await using var connection = new NpgsqlConnection(url.WithDatabase(database).ToConnectionString());
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT system_identifier::text FROM pg_control_system()", connection);
                return (string?)await command.ExecuteScalarAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
            }
        }

        return null;
    }
}

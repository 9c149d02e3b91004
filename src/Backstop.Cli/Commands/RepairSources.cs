using Backstop.Core.Configuration;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;
using Backstop.Recovery.Backups;
using Backstop.Recovery.Pitr;
using Npgsql;

namespace Backstop.Cli.Commands;

/// <summary>A source a repair reads from: an open connection, and the cluster made for it (stopped when done).</summary>
internal sealed class RepairSource(string name, NpgsqlConnection connection, SandboxCluster? cluster, bool keep) : IAsyncDisposable
{
    public string Name { get; } = name;

    public NpgsqlConnection Connection { get; } = connection;

    public SandboxCluster? Cluster { get; } = cluster;

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        if (Cluster is not null && !keep)
        {
            await Cluster.StopAsync(immediate: true, CancellationToken.None);
        }
    }
}

/// <summary>
/// Turns <c>--from</c> / <c>--after</c> into connections: a postgresql:// URL as it is, <c>backup:ID</c> restored into a
/// sandbox for the occasion, <c>pitr:TIME</c> a point-in-time clone made for the occasion.
/// </summary>
internal static class RepairSources
{
    public const string BackupPrefix = "backup:";
    public const string PitrPrefix = "pitr:";

    public static async Task<RepairSource> OpenAsync(
        CommandContext context, BackstopConfig config, EnvironmentConfig environment, string spec, bool keep, IProgress<string> progress, CancellationToken cancellationToken)
    {
        if (spec.StartsWith(BackupPrefix, StringComparison.Ordinal))
        {
            return await FromBackupAsync(context, config, environment, spec[BackupPrefix.Length..], keep, progress, cancellationToken);
        }

        if (spec.StartsWith(PitrPrefix, StringComparison.Ordinal))
        {
            return await FromPitrAsync(context, config, environment, spec[PitrPrefix.Length..], keep, progress, cancellationToken);
        }

        if (config.Environments.FirstOrDefault(e => e.Name == spec) is { } named)
        {
            // Another environment (a clone registered as one): its identity is checked like any environment's.
            var opened = await context.Connector.OpenAsync(named, cancellationToken);
            return new RepairSource($"environment {named.Name}", opened.Connection, null, keep);
        }

        if (spec.StartsWith(Core.Environments.EnvironmentConnector.VariablePrefix, StringComparison.Ordinal))
        {
            // env:VAR, so that a clone's password need not be on the command line.
            var variable = spec[Core.Environments.EnvironmentConnector.VariablePrefix.Length..];
            spec = context.Host.Variables(variable) is { Length: > 0 } value
                ? value
                : throw new UsageException($"the source reads its URL from the variable {variable}, which is not set; export {variable}=postgresql://…");
        }

        PgUrl url;
        try
        {
            url = PgUrl.Parse(spec);
        }
        catch (FormatException e)
        {
            throw new UsageException($"the source is not a postgresql:// URL, env:VARIABLE, an environment's name, backup:ID or pitr:TIME ({e.Message})");
        }

        var connection = new NpgsqlConnection(url.ToConnectionString("backstop-repair"));
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw new Core.Environments.ConnectionFailedException($"cannot connect to the source {url}: {e.Message}", e);
        }

        return new RepairSource(url.ToString(), connection, null, keep);
    }

    private static async Task<RepairSource> FromBackupAsync(CommandContext context, BackstopConfig config, EnvironmentConfig environment, string id, bool keep, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var catalog = await context.OpenCatalogAsync(config, cancellationToken);
        var backup = await BackupCommand.UsableBackupAsync(catalog, environment.Name, id, cancellationToken);
        var manifest = BackupManifest.Read(backup.Path);
        var own = environment.Identity?.Database;
        if (own is not null && manifest.Database != own)
        {
            throw new UsageException($"backup {backup.Id} is of database '{manifest.Database}', not of {environment.Name}'s database '{own}'; choose a backup of '{own}' (`backstop backup list -e {environment.Name}`)");
        }

        var damaged = await ManifestCheck.CheckAsync(backup.Path, manifest, cancellationToken);
        if (damaged.Count > 0)
        {
            throw new BackupException($"backup {backup.Id} does not match its manifest, so it is not used: {string.Join("; ", damaged.Take(3))}");
        }

        progress.Report($"restoring backup {backup.Id} into a sandbox");
        var cluster = await SandboxCluster.StartAsync(new SandboxOptions { Name = $"repair-{backup.Id}-{Guid.NewGuid().ToString("N")[..4]}", Settings = RestoreDrill.RestoreSettings }, null, cancellationToken);
        try
        {
            var maintenance = PgUrl.Parse(cluster.Url);
            await DumpRestorer.CreateDatabaseAsync(maintenance, manifest.Database, cancellationToken, manifest.Encoding);
            await DumpRestorer.RestoreAsync(backup.Path, maintenance.WithDatabase(manifest.Database), environment.Backup.Jobs, clean: false, owners: false, null, cancellationToken);
            var connection = new NpgsqlConnection(cluster.ConnectionString(manifest.Database));
            await connection.OpenAsync(cancellationToken);
            return new RepairSource($"backup {backup.Id} (sandbox {cluster.Info.Name})", connection, cluster, keep);
        }
        catch
        {
            await cluster.StopAsync(immediate: true, CancellationToken.None);
            throw;
        }
    }

    private static async Task<RepairSource> FromPitrAsync(CommandContext context, BackstopConfig config, EnvironmentConfig environment, string time, bool keep, IProgress<string> progress, CancellationToken cancellationToken)
    {
        progress.Report($"cloning {environment.Name} as of {time}");
        var stanza = await PitrStanza.OpenAsync(config, environment, cancellationToken);
        var clone = await PitrCloner.CloneAsync(stanza, context.Connector, new CloneOptions { Time = time }, progress, cancellationToken);
        try
        {
            var database = context.Connector.ResolveUrl(environment).Database;
            var connection = new NpgsqlConnection(PitrCloner.OwnerConnectionString(clone.Cluster, stanza.BackRest.Owner.Name, database));
            await connection.OpenAsync(cancellationToken);
            return new RepairSource($"a clone of {environment.Name} as of {RecoveryTarget.Display(clone.Target)} (sandbox {clone.Name})", connection, clone.Cluster, keep);
        }
        catch
        {
            await clone.Cluster.StopAsync(immediate: true, CancellationToken.None);
            throw;
        }
    }
}

using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;
using Backstop.Recovery.Backups;
using Backstop.Recovery.Pitr;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>
/// Opens a repair's sources: a postgresql:// URL as it is, an environment with its identity checked, <c>backup:ID</c>
/// restored into a sandbox for the occasion, <c>pitr:TIME</c> a point-in-time clone made for the occasion.
/// </summary>
/// <param name="variables">the process environment, for <c>env:VARIABLE</c>.</param>
internal sealed class RepairSources(BackstopConfig config, EnvironmentConnector connector, Func<string, string?> variables)
{
    /// <param name="environment">the repair's target: backups and clones are of it.</param>
    public async Task<RepairSource> OpenAsync(EnvironmentConfig environment, RepairSourceSpec spec, bool keep, IProgress<string> progress, CancellationToken cancellationToken)
    {
        switch (spec.Kind)
        {
            case RepairSourceKind.Backup:
                return await FromBackupAsync(environment, spec.Value, keep, progress, cancellationToken);
            case RepairSourceKind.Pitr:
                return await FromPitrAsync(environment, spec.Value, keep, progress, cancellationToken);
            case RepairSourceKind.Environment:
                var opened = await connector.OpenAsync(config.Environment(spec.Value), cancellationToken);
                return new RepairSource($"environment {spec.Value}", opened.Connection, null, keep);
        }

        var text = spec.Kind == RepairSourceKind.Variable
            ? variables(spec.Value) is { Length: > 0 } value
                ? value
                : throw new RepairUsageException($"the source reads its URL from the variable {spec.Value}, which is not set; export {spec.Value}=postgresql://…")
            : spec.Value;
        PgUrl url;
        try
        {
            url = PgUrl.Parse(text);
        }
        catch (FormatException e)
        {
            throw new RepairUsageException($"the source is not a postgresql:// URL, env:VARIABLE, an environment's name, backup:ID or pitr:TIME ({e.Message})");
        }

        var connection = new NpgsqlConnection(url.ToConnectionString("backstop-repair"));
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw new ConnectionFailedException($"cannot connect to the source {url}: {e.Message}", e);
        }

        return new RepairSource(url.ToString(), connection, null, keep);
    }

    private async Task<RepairSource> FromBackupAsync(EnvironmentConfig environment, string id, bool keep, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var catalog = await BackupLocations.OpenCatalogAsync(config, connector, cancellationToken);
        var backup = await UsableBackup.FindAsync(catalog, environment.Name, id, null, cancellationToken);
        var manifest = BackupManifest.Read(backup.Path);
        var own = environment.Identity?.Database;
        if (own is not null && manifest.Database != own)
        {
            throw new RepairUsageException($"backup {backup.Id} is of database '{manifest.Database}', not of {environment.Name}'s database '{own}'; choose a backup of '{own}' (`backstop backup list -e {environment.Name}`)");
        }

        await UsableBackup.CheckFilesAsync(backup, manifest, "used", 3, cancellationToken);
        progress.Report($"restoring backup {backup.Id} into a sandbox");
        var cluster = await SandboxCluster.StartAsync(new SandboxOptions { Name = $"repair-{backup.Id}-{Guid.NewGuid().ToString("N")[..4]}", Settings = RestoreDrill.RestoreSettings }, null, cancellationToken);
        try
        {
            var maintenance = PgUrl.Parse(cluster.Url);
            await DumpRestorer.CreateDatabaseAsync(maintenance, manifest.Database, cancellationToken, manifest.Encoding);
            await DumpRestorer.RestoreAsync(backup.Path, maintenance.WithDatabase(manifest.Database), environment.Backup.Jobs, clean: false, owners: false, null, cancellationToken);
            var connection = new NpgsqlConnection(cluster.ConnectionString(manifest.Database));
            await connection.OpenAsync(cancellationToken);
            var latest = await UsableBackup.LatestDrillAsync(catalog, backup, cancellationToken);
            return new RepairSource($"backup {backup.Id} (sandbox {cluster.Info.Name})", connection, cluster, keep)
            {
                Proven = latest is { Passed: true } ? $"{environment.Name}'s backup {backup.Id}, proven by a restore drill" : null,
            };
        }
        catch
        {
            await cluster.StopAsync(immediate: true, CancellationToken.None);
            throw;
        }
    }

    private async Task<RepairSource> FromPitrAsync(EnvironmentConfig environment, string time, bool keep, IProgress<string> progress, CancellationToken cancellationToken)
    {
        progress.Report($"cloning {environment.Name} as of {time}");
        var stanza = await PitrStanza.OpenAsync(config, environment, cancellationToken);
        var clone = await PitrCloner.CloneAsync(stanza, connector, new CloneOptions { Time = time }, progress, cancellationToken);
        try
        {
            var database = connector.ResolveUrl(environment).Database;
            var connection = new NpgsqlConnection(PitrCloner.OwnerConnectionString(clone.Cluster, stanza.BackRest.Owner.Name, database));
            await connection.OpenAsync(cancellationToken);
            return new RepairSource($"a clone of {environment.Name} as of {RecoveryTarget.Display(clone.Target)} (sandbox {clone.Name})", connection, clone.Cluster, keep)
            {
                Proven = $"{environment.Name} as of {RecoveryTarget.Display(clone.Target)}, from its point-in-time recovery",
            };
        }
        catch
        {
            await clone.Cluster.StopAsync(immediate: true, CancellationToken.None);
            throw;
        }
    }
}

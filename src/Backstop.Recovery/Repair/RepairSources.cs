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
        var stanza = await PitrStanza.OpenAsync(config, environment, cancellationToken);
        var database = connector.ResolveUrl(environment).Database;

        // A clone kept by an earlier repair of the same incident (same environment, same target) is used again.
        var kept = keep ? KeptCloneName(environment, time) : null;
        if (kept is not null && await ReuseAsync(kept, stanza, database, cancellationToken) is { } reused)
        {
            progress.Report($"using the clone of {environment.Name} as of {time} kept by an earlier repair (sandbox {kept})");
            return new RepairSource($"a clone of {environment.Name} as of {time} (sandbox {kept}, kept)", reused.Connection, reused.Cluster, keep)
            {
                Proven = $"{environment.Name} as of {time}, from its point-in-time recovery",
            };
        }

        progress.Report($"cloning {environment.Name} as of {time}");
        var options = time.StartsWith(RepairSourceSpec.LsnPrefix, StringComparison.Ordinal)
            ? new CloneOptions
            {
                Lsn = time[RepairSourceSpec.LsnPrefix.Length..].Replace(RepairSourceSpec.ExclusiveSuffix, "", StringComparison.Ordinal),
                Inclusive = !time.EndsWith(RepairSourceSpec.ExclusiveSuffix, StringComparison.Ordinal),
                Name = kept,
            }
            : new CloneOptions { Time = time, Name = kept };
        var clone = await PitrCloner.CloneAsync(stanza, connector, options, progress, cancellationToken);
        try
        {
            var connection = new NpgsqlConnection(PitrCloner.OwnerConnectionString(clone.Cluster, stanza.BackRest.Owner.Name, database));
            await connection.OpenAsync(cancellationToken);
            var moment = clone.TargetLsn is { } lsn
                ? $"WAL location {lsn} ({(clone.Inclusive ? "replayed" : "just before it")})"
                : RecoveryTarget.Display(clone.Target);
            return new RepairSource($"a clone of {environment.Name} as of {moment} (sandbox {clone.Name})", connection, clone.Cluster, keep)
            {
                Proven = $"{environment.Name} as of {moment}, from its point-in-time recovery",
            };
        }
        catch
        {
            await clone.Cluster.StopAsync(immediate: true, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// The sandbox name of a kept clone: the environment and a hash of the target, so that the next repair of the same
    /// incident finds it, and a repair of another moment never does.
    /// </summary>
    internal static string KeptCloneName(EnvironmentConfig environment, string target)
    {
        var safe = new string(environment.Name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{environment.Name}\n{target}")))[..10];
        return $"pitr-{(safe.Length > 18 ? safe[..18] : safe)}-kept-{hash}";
    }

    /// <summary>The kept clone, when it is running and finished (promoted: a clone stopped halfway is still in recovery); otherwise null, and a half-made one is removed.</summary>
    private static async Task<(SandboxCluster Cluster, NpgsqlConnection Connection)?> ReuseAsync(string name, PitrStanza stanza, string database, CancellationToken cancellationToken)
    {
        var found = SandboxCluster.List().FirstOrDefault(s => s.Info.Name == name);
        if (found.Info is null)
        {
            return null;
        }

        var cluster = SandboxCluster.Find(name);
        if (found.Running)
        {
            var connection = new NpgsqlConnection(PitrCloner.OwnerConnectionString(cluster, stanza.BackRest.Owner.Name, database));
            try
            {
                await connection.OpenAsync(cancellationToken);
                await using var check = new NpgsqlCommand("SELECT NOT pg_is_in_recovery()", connection);
                if (await check.ExecuteScalarAsync(cancellationToken) is true)
                {
                    return (cluster, connection);
                }
            }
            catch (NpgsqlException)
            {
            }

            await connection.DisposeAsync();
        }

        await cluster.StopAsync(immediate: true, cancellationToken);
        return null;
    }
}

using Backstop.Core.Environments;
using Backstop.Postgres.Sandbox;
using Backstop.Postgres.Tools;
using Npgsql;
using NpgsqlTypes;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// <c>backstop pitr clone</c>: a new cluster holding the environment exactly as it was at a point in time. The
/// source (when reachable) first archives WAL past the target; pgBackRest restores the newest backup that ended
/// before the target; the clone replays archived WAL up to the target, pauses there, shows that it reached it, and is
/// promoted. The clone is a sandbox, so <c>backstop sandbox list / stop</c> manage it.
/// </summary>
public static class PitrCloner
{
    public static async Task<CloneResult> CloneAsync(PitrStanza stanza, EnvironmentConnector connector, CloneOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var environment = stanza.Environment;
        var url = connector.ResolveUrl(environment);
        var warnings = new List<string>();
        var lsn = ReadLsnOptions(options);
        CloneTarget target;
        PitrBackup backup;
        StanzaInfo info;
        string? segment = null;
        ConnectedEnvironment? source = null;
        try
        {
            source = options.SourceDatabase is { } database
                ? await MaintenanceDatabase.OpenAsync(connector, environment, database, cancellationToken)
                : await connector.OpenAsync(environment, cancellationToken);
        }
        catch (ConnectionFailedException e)
        {
            warnings.Add($"the source is not reachable ({e.Message}); the clone can reach only what was archived before");
        }

        await using (source)
        {
            target = lsn is { } location
                ? await LsnTargetAsync(source, location, options.Inclusive, cancellationToken)
                : await TimeTargetAsync(source, options.Time, environment.TimeZone, cancellationToken);
            info = await stanza.InfoAsync(cancellationToken);
            backup = ChooseBackup(environment.Name, info, target);
            if (source is not null)
            {
                progress?.Report($"archiving WAL past {target.Display} on the source");
                try
                {
                    segment = await WalArchiving.ArchivePastNowAsync(source.Connection, stanza.Layout, options.ArchiveTimeout, cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    warnings.Add($"the role of environment '{environment.Name}' may not switch WAL ({e.MessageText}), so WAL past the target may not be archived yet");
                }
            }
        }

        var clone = await SandboxCluster.CreateEmptyAsync(new SandboxOptions { Name = options.Name ?? DefaultName(environment.Name), Root = options.SandboxRoot }, cancellationToken);
        var failure = new PitrFailureContext(stanza.Layout, target, info.ArchiveMax, SourceReachable: source is not null && segment is not null);
        try
        {
            await CheckSameOwnerAsync(stanza.BackRest.Owner, clone, cancellationToken);
            progress?.Report($"restoring backup {backup.Label} into {clone.Info.DataDirectory}");
            await CloneRestore.RestoreAsync(stanza, clone, backup, target, cancellationToken);
            progress?.Report($"replaying WAL to {target.Display}");
            await CloneRecovery.StartAsync(clone, failure, options.RecoveryTimeout, cancellationToken);
            var connectionString = OwnerConnectionString(clone, stanza.BackRest.Owner.Name, "postgres");
            var confirmation = await CloneRecovery.WaitForTargetAsync(clone, connectionString, failure, options.RecoveryTimeout, cancellationToken);
            progress?.Report("reached the target; promoting the clone");
            await CloneRecovery.PromoteAsync(clone, connectionString, failure, cancellationToken);
            return new CloneResult
            {
                Cluster = clone,
                Url = $"postgresql://{Uri.EscapeDataString(url.User ?? stanza.BackRest.Owner.Name)}@127.0.0.1:{clone.Info.Port}/{Uri.EscapeDataString(url.Database)}",
                OwnerConnectionString = connectionString,
                Target = target.Time ?? confirmation.LastReplayedCommit ?? backup.StoppedAt,
                TargetLsn = target.Lsn,
                Inclusive = target.Inclusive,
                Backup = backup.Label,
                Confirmation = confirmation,
                ArchivedSegment = segment,
                Warnings = warnings,
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure.KeepLog(clone);
            await clone.StopAsync(CancellationToken.None);
            if (e is PitrException && warnings.Count > 0)
            {
                throw new PitrException(e.Message + "; note: " + string.Join("; ", warnings));
            }

            throw;
        }
    }

    /// <summary>Connects to one database of the clone as the cluster owner, through its socket.</summary>
    public static string OwnerConnectionString(SandboxCluster clone, string owner, string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = clone.Info.Directory,
            Port = clone.Info.Port,
            Username = owner,
            Database = database,
            Pooling = false,
            ApplicationName = "backstop-pitr",
            Timeout = 5,
        }.ConnectionString;

    /// <summary>The newest backup that ended before the target; the target must not be before the first backup or in a gap.</summary>
    private static PitrBackup ChooseBackup(string environment, StanzaInfo info, CloneTarget target)
    {
        var backups = info.Backups.Where(b => !b.HasErrors).ToList();
        if (backups.Count == 0)
        {
            throw new PitrException($"environment '{environment}' has no point-in-time backup yet, so there is nothing to recover from; take one with `backstop pitr backup -e {environment}`", isUsageError: true);
        }

        if (target.Lsn is { } lsn)
        {
            // Recovery cannot stop before the end of the backup it starts from (its consistent point).
            return backups.LastOrDefault(b => b.LsnStop is { } stop && stop <= lsn)
                ?? throw new PitrException(
                    $"WAL location {lsn} is before the end of the first backup of environment '{environment}' (backup {backups[0].Label} ended at {backups[0].LsnStop?.ToString() ?? "an unknown location"}); choose a later location",
                    isUsageError: true);
        }

        var time = target.Time!.Value;
        return backups.LastOrDefault(b => b.RecoverableFrom <= time)
            ?? throw new PitrException(
                $"{RecoveryTarget.Display(time)} is before the first backup of environment '{environment}': the earliest time it can be recovered to is {RecoveryTarget.Display(backups[0].RecoverableFrom)} (just after backup {backups[0].Label} ended); choose a later time",
                isUsageError: true);
    }

    /// <summary>A time target, now by default; never in the future by the source's clock (or this machine's, when the source is down).</summary>
    private static async Task<CloneTarget> TimeTargetAsync(ConnectedEnvironment? source, string? text, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        var now = source is null ? DateTimeOffset.UtcNow : await ServerClockAsync(source.Connection, cancellationToken);
        var time = text is null ? RecoveryTarget.ToMicroseconds(now) : RecoveryTarget.Parse(text, zone, now);
        if (time > now)
        {
            throw new PitrException(
                $"{RecoveryTarget.Display(time)} is in the future ({(source is null ? "this machine's" : "the server's")} clock reads {RecoveryTarget.Display(now)}); choose a time up to now",
                isUsageError: true);
        }

        return CloneTarget.AtTime(time);
    }

    /// <summary>A location target; when the source is reachable, not past the WAL it has written.</summary>
    private static async Task<CloneTarget> LsnTargetAsync(ConnectedEnvironment? source, NpgsqlLogSequenceNumber lsn, bool inclusive, CancellationToken cancellationToken)
    {
        if (source is not null)
        {
            // The insert location: WAL written to the buffers (with synchronous_commit off, a commit may not be on disk yet).
            await using var command = new NpgsqlCommand("SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END", source.Connection);
            if (await command.ExecuteScalarAsync(cancellationToken) is NpgsqlLogSequenceNumber current && lsn > current)
            {
                throw new PitrException($"WAL location {lsn} is ahead of the server, which has written WAL up to {current}; choose a location up to it", isUsageError: true);
            }
        }

        return CloneTarget.AtLsn(lsn, inclusive);
    }

    /// <summary>--lsn and --time exclude each other; --exclusive needs --lsn.</summary>
    private static NpgsqlLogSequenceNumber? ReadLsnOptions(CloneOptions options)
    {
        if (options.Lsn is null)
        {
            return options.Inclusive
                ? null
                : throw new PitrException("an exclusive target applies to a WAL location only; give the location with --lsn", isUsageError: true);
        }

        return options.Time is null
            ? RecoveryLsn.Parse(options.Lsn)
            : throw new PitrException($"give either a time ({options.Time}) or a WAL location ({options.Lsn}) to recover to, not both", isUsageError: true);
    }

    /// <summary>The clone's files must belong to the user pgBackRest runs as, and its server runs as the sandbox user.</summary>
    private static async Task CheckSameOwnerAsync(ClusterOwner owner, SandboxCluster clone, CancellationToken cancellationToken)
    {
        if (!owner.SwitchesUser)
        {
            return;
        }

        var sandboxOwner = await ClusterOwner.OfAsync(clone.Info.Directory, cancellationToken);
        if (!string.Equals(sandboxOwner.Name, owner.Name, StringComparison.Ordinal))
        {
            throw new PitrException($"clones run as the sandbox user '{sandboxOwner.Name}', but the cluster and its repository belong to '{owner.Name}'; run backstop as '{owner.Name}' to clone it");
        }
    }

    private static async Task<DateTimeOffset> ServerClockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT clock_timestamp()", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    private static string DefaultName(string environment) =>
        $"pitr-{(environment.Length > 20 ? environment[..20] : environment)}-{Guid.NewGuid().ToString("N")[..6]}";
}

using System.Diagnostics;
using System.Globalization;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Postgres;
using Backstop.Postgres.Connections;
using Backstop.Recovery.Drills;
using Backstop.Recovery.Pitr.Wal;
using Npgsql;

namespace Backstop.Recovery.Pitr.RecoverDatabase;

/// <summary>
/// <c>backstop recover-database</c>: puts an environment's dropped database back, as it was just before the
/// <c>DROP DATABASE</c>, under its old name on the same server. It finds the drop in the WAL, clones the cluster to the
/// location just before the drop began (exclusive: a time target stops only at a commit, after the drop has marked the
/// database invalid), checks the clone's database is valid and reads every row, copies it into a new database under a
/// temporary name (so that nothing connects to a half-restored database), checks that it holds the clone's rows
/// exactly, renames it, and records the new database OID in the environment's identity.
/// </summary>
public sealed class DatabaseRecovery(BackstopConfig config, EnvironmentConnector connector)
{
    public async Task<RecoverDatabaseResult> RecoverAsync(EnvironmentConfig environment, RecoverDatabaseOptions options, Action<string> changed, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var stanza = await PitrStanza.OpenAsync(config, environment, cancellationToken);
        var url = connector.ResolveUrl(environment);
        var name = url.Database;
        var oid = options.DatabaseOid ?? environment.Identity?.DatabaseOid
            ?? throw new PitrException(
                $"the recorded identity of environment '{environment.Name}' has no database OID (an earlier Backstop recorded it), and the WAL names a dropped database only by its OID; " +
                $"give it with --oid (in a server log or monitoring: SELECT oid FROM pg_database WHERE datname = '{name}' as it was)",
                isUsageError: true);
        var durations = new Dictionary<string, double>(StringComparer.Ordinal);
        var step = Stopwatch.StartNew();

        DroppedDatabase drop;
        WalSearch searched;
        await using (var server = await MaintenanceDatabase.OpenAsync(connector, environment, options.MaintenanceDatabase, cancellationToken))
        {
            await RefuseIfPresentAsync(server.Connection, environment.Name, name, cancellationToken);
            var since = options.Since is null ? (DateTimeOffset?)null : RecoveryTarget.Parse(options.Since, environment.TimeZone, DateTimeOffset.UtcNow);
            progress?.Report($"looking for the DROP DATABASE of '{name}' (OID {oid}) in the WAL");
            var history = await WalHistory.OpenAsync(stanza, server.Connection, progress, cancellationToken);
            var found = await history.FindDropDatabaseAsync(oid, since, cancellationToken);
            searched = history.Searched!;
            drop = found ?? throw new PitrException(
                $"no DROP DATABASE of '{name}' (OID {oid}){(since is null ? "" : $" committed since {RecoveryTarget.Display(since.Value)}")} was found in the WAL of environment '{environment.Name}': searched {searched}; nothing was changed. " +
                "If it was dropped earlier than that, restore a backup instead (`backstop backup list`)");
        }

        var committed = drop.CommitTime is { } at ? $"committed at {RecoveryTarget.Display(at)}" : "not committed";
        progress?.Report($"found it: transaction {drop.TransactionId} dropped it at WAL location {drop.DropLsn} ({committed}); it began at {drop.RecoveryLsn}");
        durations["find"] = Seconds(step);

        step.Restart();
        var clone = await PitrCloner.CloneAsync(
            stanza,
            connector,
            new CloneOptions { Lsn = drop.RecoveryLsn.ToString(), Inclusive = false, SourceDatabase = options.MaintenanceDatabase, Name = options.CloneName, SandboxRoot = options.SandboxRoot },
            progress,
            cancellationToken);
        durations["clone"] = Seconds(step);
        var keep = options.KeepClone;
        try
        {
            var owner = stanza.BackRest.Owner.Name;
            step.Restart();
            progress?.Report($"checking database '{name}' on the clone and reading every row");
            DatabaseProperties properties;
            await using (var cloneServer = new NpgsqlConnection(PitrCloner.OwnerConnectionString(clone.Cluster, owner, "postgres")))
            {
                await cloneServer.OpenAsync(cancellationToken);
                await CheckValidAsync(cloneServer, name, oid, clone.Name, cancellationToken);
                properties = await DatabaseProperties.ReadAsync(cloneServer, oid, cancellationToken);
            }

            var original = await PitrVerifier.FingerprintAsync(PitrCloner.OwnerConnectionString(clone.Cluster, owner, name), null, cancellationToken);
            durations["check"] = Seconds(step);

            step.Restart();
            var temporary = TemporaryName(name);
            var maintenance = url.WithDatabase(options.MaintenanceDatabase);
            progress?.Report($"copying it into a new database '{temporary}' on the server (pg_dump | pg_restore, {options.Jobs} jobs)");
            await ExecuteAsync(maintenance, properties.CreateStatement(temporary), cancellationToken);
            try
            {
                var fromClone = PgUrl.Parse(
                    $"postgresql://{Uri.EscapeDataString(owner)}@/{Uri.EscapeDataString(name)}?host={Uri.EscapeDataString(clone.Cluster.Info.Directory)}&port={clone.Cluster.Info.Port.ToString(CultureInfo.InvariantCulture)}");
                await DatabaseCopy.CopyAsync(fromClone, url.WithDatabase(temporary), options.Jobs, cancellationToken);
                durations["copy"] = Seconds(step);

                step.Restart();
                progress?.Report($"comparing every table of '{temporary}' with the clone");
                NpgsqlConnection.ClearAllPools();
                var copied = await PitrVerifier.FingerprintAsync(url.WithDatabase(temporary).ToConnectionString(), null, cancellationToken);
                Compare(original, copied, temporary);
                durations["verify"] = Seconds(step);
            }
            catch
            {
                NpgsqlConnection.ClearAllPools();
                await ExecuteAsync(maintenance, $"DROP DATABASE IF EXISTS {PgIdentifier.Quote(temporary)} WITH (FORCE)", CancellationToken.None);
                throw;
            }

            step.Restart();
            progress?.Report($"renaming '{temporary}' to '{name}'");
            await RenameAsync(maintenance, temporary, name, properties, cancellationToken);
            changed($"created database '{name}' on {url.Endpoint} from the clone {clone.Name} ({original.Tables.Count} tables, {original.TotalRows} rows)");
            var newOid = await RecordIdentityAsync(environment, url, oid, changed, cancellationToken);
            durations["rename"] = Seconds(step);
            return new RecoverDatabaseResult
            {
                Environment = environment.Name,
                Database = name,
                Drop = drop,
                Searched = searched,
                FromClone = clone,
                CloneKept = keep,
                Tables = original.Tables,
                NewOid = newOid,
                Durations = durations,
            };
        }
        catch (Exception e) when (e is PitrException or PostgresException or NpgsqlException or IOException)
        {
            keep = true;
            throw new PitrException($"{e.Message}; the clone {clone.Name} holds the database as it was, at {clone.Url}: stop it with `backstop sandbox stop {clone.Name}` when done");
        }
        finally
        {
            if (!keep)
            {
                await clone.Cluster.StopAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Nothing to put back while the database exists. A database left invalid by an interrupted DROP DATABASE
    /// (datconnlimit = -2, PostgreSQL 15.4+) cannot be connected to and must be dropped first.
    /// </summary>
    private static async Task RefuseIfPresentAsync(NpgsqlConnection server, string environment, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT oid::bigint, datconnlimit FROM pg_database WHERE datname = $1", server);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return;
        }

        throw reader.GetInt32(1) == -2
            ? new PitrException(
                $"database '{name}' of environment '{environment}' exists but is invalid (OID {reader.GetInt64(0)}: a DROP DATABASE was interrupted); nothing was changed. Finish the drop with DROP DATABASE {PgIdentifier.Quote(name)}, then run this again",
                isUsageError: true)
            : new PitrException(
                $"database '{name}' of environment '{environment}' still exists (OID {reader.GetInt64(0)}); nothing was changed. recover-database puts back a dropped database; " +
                "for lost rows or tables use `backstop repair` or `backstop pitr clone`",
                isUsageError: true);
    }

    /// <summary>The clone must hold the database, with its OID, not marked invalid (datconnlimit = -2 since PostgreSQL 15.4).</summary>
    private static async Task CheckValidAsync(NpgsqlConnection clone, string name, uint oid, string cloneName, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT oid::bigint, datconnlimit FROM pg_database WHERE datname = $1", clone);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetInt64(0) != oid)
        {
            throw new PitrException($"the clone {cloneName} has no database '{name}' with OID {oid}: the recovery location is not before the drop");
        }

        if (reader.GetInt32(1) == -2)
        {
            throw new PitrException($"database '{name}' is marked invalid in the clone {cloneName} (datconnlimit = -2): the clone stopped after the drop began");
        }
    }

    private static void Compare(DatabaseFingerprint clone, DatabaseFingerprint copy, string copyName)
    {
        var expected = clone.Tables.ToDictionary(t => t.QualifiedName, StringComparer.Ordinal);
        var actual = copy.Tables.ToDictionary(t => t.QualifiedName, StringComparer.Ordinal);
        foreach (var (table, original) in expected)
        {
            if (!actual.TryGetValue(table, out var copied))
            {
                throw new PitrException($"table {table} is missing from the copy '{copyName}'; it was dropped again, nothing was changed");
            }

            if (copied.Rows != original.Rows || copied.Hash != original.Hash)
            {
                throw new PitrException($"table {table} differs between the clone ({original.Rows} rows) and the copy '{copyName}' ({copied.Rows} rows); it was dropped again, nothing was changed");
            }
        }

        if (actual.Keys.Except(expected.Keys, StringComparer.Ordinal).FirstOrDefault() is { } extra)
        {
            throw new PitrException($"table {extra} of the copy '{copyName}' is not in the clone; it was dropped again, nothing was changed");
        }
    }

    /// <summary>Gives the copy its name, then the properties that follow the name (settings, privileges, limits).</summary>
    private static async Task RenameAsync(PgUrl maintenance, string temporary, string name, DatabaseProperties properties, CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(maintenance.ToConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var statement in properties.AlterStatements(name).Prepend($"ALTER DATABASE {PgIdentifier.Quote(temporary)} RENAME TO {PgIdentifier.Quote(name)}"))
        {
            await using var command = new NpgsqlCommand(statement, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The database is the environment's again, with a new OID: record it, then open the environment through the same
    /// identity check every later command makes.
    /// </summary>
    private async Task<uint> RecordIdentityAsync(EnvironmentConfig environment, PgUrl url, uint oldOid, Action<string> changed, CancellationToken cancellationToken)
    {
        var identity = await RecreatedDatabase.RecordOidAsync(config, environment, url, cancellationToken);
        if (identity is not null)
        {
            changed($"recorded the new OID {identity.DatabaseOid} of database '{identity.Database}' (was {oldOid}) in the identity of '{environment.Name}' in {config.Path}");
        }

        await using var connected = await connector.OpenAsync(environment with { Identity = identity ?? environment.Identity }, cancellationToken);
        return connected.Identity.DatabaseOid ?? 0;
    }

    private static async Task ExecuteAsync(PgUrl url, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(url.ToConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A name nobody connects to by accident, within PostgreSQL's 63 bytes.</summary>
    private static string TemporaryName(string name)
    {
        var suffix = "_recovering_" + Guid.NewGuid().ToString("N")[..6];
        var stem = name;
        while (System.Text.Encoding.UTF8.GetByteCount(stem + suffix) > 63)
        {
            stem = stem[..^1];
        }

        return stem + suffix;
    }

    private static double Seconds(Stopwatch step) => Math.Round(step.Elapsed.TotalSeconds, 2);
}

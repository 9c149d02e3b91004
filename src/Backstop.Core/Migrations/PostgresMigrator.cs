using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.Migrations;

/// <summary>
/// Brings a schema of a PostgreSQL database to the newest of its migrations, each in a transaction of its own, and
/// records each one in <c>SCHEMA.schema_version</c> (version, name, when) in that same transaction: the schema's
/// version is the highest recorded. An advisory lock, held around each migration's transaction, lets only one process
/// migrate at a time; the others wait, read the version again and find nothing left to do.
/// </summary>
/// <param name="schema">the schema the migrations build (created if missing, with its version table).</param>
/// <param name="lockName">names the advisory lock (<c>hashtext(lockName)</c>), shared with whoever else must not run during a migration.</param>
/// <param name="legacyVersion">the version of a schema without a version table (one of earlier releases that kept it elsewhere); 0 when there is none.</param>
internal sealed class PostgresMigrator(string schema, string lockName, IReadOnlyList<Migration> migrations, Func<NpgsqlConnection, CancellationToken, Task<int>> legacyVersion)
{
    private readonly string _versionTable = PgIdentifier.Quote(schema, "schema_version");

    public int Latest => migrations[^1].Version;

    public IReadOnlyList<Migration> Migrations => migrations;

    /// <summary>The schema's version, and whether the version table holds it (false for a schema of an earlier release, or none).</summary>
    public async Task<(int Version, bool Recorded)> ReadVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var exists = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection))
        {
            exists.Parameters.AddWithValue("table", _versionTable);
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return (await legacyVersion(connection, cancellationToken), false);
            }
        }

        await using var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {_versionTable}", connection);
        return ((int)(await read.ExecuteScalarAsync(cancellationToken))!, true);
    }

    /// <summary>
    /// Applies every migration above the schema's version. The connection must not be inside a transaction: each
    /// migration commits on its own, before anything else runs on it.
    /// </summary>
    /// <param name="tooNew">the exception for a schema at a version above <see cref="Latest"/>; the schema is then left as it is.</param>
    /// <param name="alsoRecord">SQL run with the bookkeeping of each migration, given its version (the capture schema's comment), or null.</param>
    /// <returns>the version found and the version left; equal when there was nothing to do.</returns>
    public async Task<(int From, int To)> MigrateAsync(
        NpgsqlConnection connection, Func<int, Exception> tooNew, Func<int, string>? alsoRecord, CancellationToken cancellationToken)
    {
        var (from, recorded) = await ReadVersionAsync(connection, cancellationToken);
        if (from > Latest)
        {
            throw tooNew(from);
        }

        if (from == Latest && recorded)
        {
            return (from, from);
        }

        // A schema of an earlier release that is already at the newest version only needs its version recorded.
        var steps = migrations.Where(m => m.Version > from).ToList();
        if (steps.Count == 0)
        {
            steps.Add(migrations[^1] with { Sql = "" });
        }

        // The lock is the session's, taken before any transaction begins, and held across all the steps: a transaction
        // that began first and then waited would still hold catalog lookups cached before the wait (PostgreSQL takes in
        // other sessions' catalog changes when a transaction starts, or when it locks a relation, not when it gets an
        // advisory lock), and would not see the schema another process migrated meanwhile. Held across the steps, a
        // process that waited finds them all done, and says nothing of a migration it did not make.
        await AdvisoryAsync(connection, "pg_advisory_lock", cancellationToken);
        var applied = new List<int>();
        try
        {
            foreach (var migration in steps)
            {
                if (await ApplyAsync(connection, migration, tooNew, alsoRecord, cancellationToken) is { } before)
                {
                    applied.Add(before);
                }
            }
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await AdvisoryAsync(connection, "pg_advisory_unlock", CancellationToken.None);
            }
        }

        return applied.Count == 0 ? (Latest, Latest) : (applied[0], Latest);
    }

    /// <summary>One migration in a transaction of its own, unless another process applied it meanwhile.</summary>
    /// <returns>the version the schema was at when this applied it; null when it was applied already.</returns>
    private async Task<int?> ApplyAsync(NpgsqlConnection connection, Migration migration, Func<int, Exception> tooNew, Func<int, string>? alsoRecord, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (now, recorded) = await ReadVersionAsync(connection, cancellationToken);
        if (now > Latest)
        {
            throw tooNew(now);
        }

        if (now > migration.Version || (now == migration.Version && recorded))
        {
            return null;
        }

        await ExecuteAsync(connection, VersionTable, cancellationToken);
        await ExecuteAsync(connection, migration.Sql, cancellationToken);
        await using (var record = new NpgsqlCommand($"INSERT INTO {_versionTable} (version, name) VALUES (@version, @name)", connection))
        {
            record.Parameters.AddWithValue("version", migration.Version);
            record.Parameters.AddWithValue("name", migration.Name);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        if (alsoRecord?.Invoke(migration.Version) is { } also)
        {
            await ExecuteAsync(connection, also, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return now;
    }

    private async Task AdvisoryAsync(NpgsqlConnection connection, string function, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}(hashtext(@name))", connection);
        command.Parameters.AddWithValue("name", lockName);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Takes the advisory lock shared, in the connection's transaction and until it ends, and returns the schema's
    /// version: no migration can start while the transaction lasts, so what the caller does inside it meets the
    /// schema it read.
    /// </summary>
    public async Task<int> HoldAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var command in HoldCommands())
        {
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetInt32(0);
    }

    /// <summary>
    /// What <see cref="HoldAsync"/> sends: the lock (one row, no value), then the version (one row, one integer). Two statements: under READ COMMITTED each takes its snapshot when it starts, so
    /// the version is read after the lock is granted, and a migration that committed during the wait is seen.
    /// </summary>
    private IEnumerable<NpgsqlBatchCommand> HoldCommands()
    {
        var hold = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock_shared(hashtext(@name))");
        hold.Parameters.AddWithValue("name", lockName);
        yield return hold;
        yield return new NpgsqlBatchCommand($"SELECT coalesce(max(version), 0) FROM {_versionTable}");
    }

    private string VersionTable => $"""
        CREATE SCHEMA IF NOT EXISTS {PgIdentifier.Quote(schema)};
        CREATE TABLE IF NOT EXISTS {_versionTable} (
            version integer PRIMARY KEY,
            name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(sql))
        {
            return;
        }

        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

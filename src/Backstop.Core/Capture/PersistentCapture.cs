using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.Capture;

/// <summary>
/// Gives tables the persistent row trigger of capture migration 0006, which lets the statement guard keep a write
/// after one run (<see cref="Guard.GuardOutcome.OneRun"/>). The trigger does nothing unless a guard opened its gate
/// for the statement running: in every other session its WHEN condition is one comparison per row, false, and no
/// event is queued. docs/proxy.md, "One run", says what it costs and how to remove it.
/// </summary>
public static class PersistentCapture
{
    public const string TriggerName = "backstop_guard_row";

    /// <summary>How long CREATE TRIGGER may wait for its lock (SHARE ROW EXCLUSIVE, which waits for writers to finish
    /// and holds new ones back while it waits); a table busier than that is tried again after its next guarded write.</summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromMilliseconds(200);

    private const string Condition =
        "current_setting('backstop.guard_change', true) <> '' AND nextval('backstop.guard_seq') <= current_setting('backstop.guard_limit')::bigint";

    /// <summary>
    /// On a connection of its own, outside any transaction (each trigger commits on its own): adds the trigger to every
    /// table of <paramref name="tables"/> that is an ordinary table (not a partition, not partitioned, not Backstop's)
    /// and lacks it. A table that is busy past <see cref="LockWait"/>, or that the role may not add triggers to, is
    /// left as it is.
    /// </summary>
    /// <returns>the tables that got the trigger now.</returns>
    public static async Task<IReadOnlyList<string>> InstallAsync(NpgsqlConnection connection, IEnumerable<(string Schema, string Name)> tables, CancellationToken cancellationToken)
    {
        var wanted = tables.Distinct().ToList();
        if (wanted.Count == 0)
        {
            return [];
        }

        var missing = new List<(string Schema, string Name)>();
        await using (var find = new NpgsqlCommand(
            $"""
            SELECT n.nspname::text, c.relname::text
            FROM unnest($1::text[]) AS t(name)
            JOIN pg_class c ON c.oid = to_regclass(t.name)
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND NOT c.relispartition AND NOT {Preview.CatalogWatch.OwnSchemaSql}
              AND NOT EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND tg.tgname = '{TriggerName}')
            """, connection))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = wanted.Select(t => PgIdentifier.Quote(t.Schema, t.Name)).ToArray() });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                missing.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var installed = new List<string>();
        foreach (var (schema, name) in missing)
        {
            var table = PgIdentifier.Quote(schema, name);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("BEGIN"),
                    new NpgsqlBatchCommand($"SET LOCAL lock_timeout = {(long)LockWait.TotalMilliseconds}"),
                    new NpgsqlBatchCommand(
                        $"CREATE TRIGGER {TriggerName} AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW WHEN ({Condition}) EXECUTE FUNCTION backstop.guard_row()"),
                    new NpgsqlBatchCommand("COMMIT"),
                },
            };
            try
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
                installed.Add(table);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.InsufficientPrivilege
                                              or PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UndefinedTable)
            {
                await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
                await rollback.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        return installed;
    }

    /// <summary>
    /// Turns the staged images of kept changes into image tables (<c>backstop.guard_materialize</c>), outside any
    /// transaction: of one change, or of every change that has some when <paramref name="changeId"/> is null. Nothing to
    /// do on a database whose backstop schema predates persistent capture.
    /// </summary>
    /// <returns>the image tables made.</returns>
    public static async Task<int> MaterializeAsync(NpgsqlConnection connection, Guid? changeId, CancellationToken cancellationToken)
    {
        await using (var present = new NpgsqlCommand("SELECT to_regproc('backstop.guard_materialize_all') IS NOT NULL", connection))
        {
            if (await present.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return 0;
            }
        }

        await using var command = changeId is { } id
            ? new NpgsqlCommand("SELECT backstop.guard_materialize($1)", connection) { Parameters = { new NpgsqlParameter { Value = id } } }
            : new NpgsqlCommand("SELECT backstop.guard_materialize_all()", connection);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The tables of the database that have the trigger (schema-qualified, quoted where needed).</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT format('%I.%I', n.nspname, c.relname) FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE tg.tgname = '{TriggerName}' ORDER BY 1",
            connection);
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }
}

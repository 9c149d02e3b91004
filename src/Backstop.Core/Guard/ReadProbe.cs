using Backstop.Core.Changes;
using Backstop.Core.Preview;
using Npgsql;

namespace Backstop.Core.Guard;

/// <summary>
/// The cheap way through for a statement whose text says it only reads (a SELECT, SHOW, SET): one round trip that
/// takes the savepoint and runs the statement between two readings of the transaction's tuple counters, and one that
/// releases the savepoint. A statement that still wrote something (a function that deletes rows or truncates a table,
/// DESIGN D10) moved the counters, and is rolled back to its savepoint to be measured and judged as the write it is.
/// </summary>
internal static class ReadProbe
{
    /// <summary>
    /// Every tuple the transaction inserted, updated or deleted so far, in any table, the catalog's included (a TRUNCATE
    /// or DROP writes pg_class, a dropped column pg_attribute, lo_unlink pg_largeobject_metadata). The counters count
    /// the transaction's open and rolled-back subtransactions too, so they never go down (docs: "pg_stat_xact_all_tables").
    /// </summary>
    private const string WrittenSql = "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_xact_all_tables";

    /// <summary>Runs the statement under the savepoint; true when it wrote nothing and has been released (kept).</summary>
    /// <exception cref="StatementFailedException">the statement failed; it was rolled back to its savepoint.</exception>
    public static async Task<(bool ReadOnly, StatementImpact Impact)> RunAsync(NpgsqlConnection connection, GuardSavepoint savepoint, AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        var executed = new NpgsqlBatchCommand(statement.Statement.Text);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { savepoint.Establish(), new NpgsqlBatchCommand(WrittenSql), executed, new NpgsqlBatchCommand(WrittenSql) },
        };

        // Npgsql's reader skips commands that return no rows (SAVEPOINT, SET): the first result is the first reading and
        // the last the second, with the statement's own rows, if any, in between (read and dropped).
        var readings = new List<long?>();
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            do
            {
                long? reading = null;
                for (var row = 0; await reader.ReadAsync(cancellationToken); row++)
                {
                    if (row == 0 && reader.FieldCount == 1 && reader.GetFieldType(0) == typeof(long) && !reader.IsDBNull(0))
                    {
                        reading = reader.GetInt64(0);
                    }
                }

                readings.Add(reading);
            }
            while (await reader.NextResultAsync(cancellationToken));
        }
        catch (PostgresException e) when (GuardSavepoint.Refusal(e) is { } refusal)
        {
            // Only SAVEPOINT fails this way (in a transaction that has none, or that failed before), and then nothing ran.
            throw refusal;
        }
        catch (PostgresException e)
        {
            await savepoint.AbandonAsync(connection);
            throw new StatementFailedException(statement, e);
        }
        catch (Exception) when (connection.State == System.Data.ConnectionState.Open)
        {
            await savepoint.AbandonAsync(connection);
            throw;
        }

        var impact = new StatementImpact { Index = statement.Index, CommandTag = ScriptAnalyzer.FirstWords(statement), RowCount = RowCount(executed), Executed = true };
        if (readings.Count < 2 || readings[0] is not { } before || readings[^1] != before)
        {
            await savepoint.RollBackAsync(connection, cancellationToken);
            return (false, impact);
        }

        await savepoint.ReleaseAsync(connection, cancellationToken);
        return (true, impact);
    }

    private static long? RowCount(NpgsqlBatchCommand command) =>
        command.StatementType is StatementType.Select ? checked((long)command.Rows) : null;
}

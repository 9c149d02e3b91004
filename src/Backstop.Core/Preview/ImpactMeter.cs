using System.Globalization;
using Backstop.Core.Changes;
using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>
/// Runs statements inside a transaction the caller owns and measures each one: the counters of
/// pg_stat_xact_user_tables before and after it, the rows removed by TRUNCATE/DROP, and the size of
/// every table it touched. Each statement runs under a savepoint, so that in a preview a statement that
/// hits lock_timeout or statement_timeout can be undone and estimated with EXPLAIN instead.
/// </summary>
internal sealed class ImpactMeter(NpgsqlConnection connection, bool estimateOnTimeout)
{
    private const string Savepoint = "backstop_statement";

    private Dictionary<uint, TableCounters>? _counters;

    public async Task<StatementImpact> MeasureAsync(AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        if (!statement.Info.AllowedInTransaction)
        {
            return new StatementImpact
            {
                Index = statement.Index,
                CommandTag = ScriptAnalyzer.FirstWords(statement),
                Note = "cannot run inside a transaction block: not executed, judged by its classification alone",
            };
        }

        _counters ??= await SnapshotAsync(cancellationToken);
        var removed = RemovedTables.Applies(statement.Info)
            ? await RemovedTables.CountAsync(connection, statement.Info, cancellationToken)
            : null;

        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new NpgsqlBatchCommand($"SAVEPOINT {Savepoint}"), new NpgsqlBatchCommand(statement.Statement.Text) },
        };
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (estimateOnTimeout && IsPreviewBound(e) && !cancellationToken.IsCancellationRequested)
        {
            await ExecuteAsync($"ROLLBACK TO SAVEPOINT {Savepoint}; RELEASE SAVEPOINT {Savepoint}", cancellationToken);

            // The aborted attempt still counts in the counters: take a fresh snapshot before the next statement.
            _counters = null;
            return await ExplainEstimate.EstimateAsync(connection, statement, BoundName(e), cancellationToken);
        }
        catch (PostgresException e)
        {
            throw new StatementFailedException(statement, e);
        }

        var executed = batch.BatchCommands[1];
        var after = await SnapshotAsync(cancellationToken, release: true);
        var deltas = TableCounters.Deltas(_counters, after);
        _counters = after;

        var sizes = await TableSizes.ReadAsync(connection, deltas.Select(d => d.RelationId).ToList(), cancellationToken);
        var tables = deltas.Select(d =>
        {
            var size = sizes.GetValueOrDefault(d.RelationId);
            var before = size.Rows is { } now && !size.Estimated ? now + d.Impact.Deleted - d.Impact.Inserted : size.Rows;
            return d.Impact with { RowsBefore = before, RowsBeforeEstimated = size.Estimated };
        }).ToList();

        foreach (var (_, table) in removed ?? [])
        {
            if (table.Rows is { } rows && rows > 0)
            {
                tables.Add(new TableImpact { Schema = table.Schema, Name = table.Name, Deleted = rows, RowsBefore = rows, RowsBeforeEstimated = table.Estimated });
            }
        }

        return new StatementImpact
        {
            Index = statement.Index,
            CommandTag = CommandTag(executed, statement),
            RowCount = executed.StatementType is StatementType.Other ? null : checked((long)executed.Rows),
            Executed = true,
            Tables = tables,
        };
    }

    private static bool IsPreviewBound(PostgresException e) =>
        e.SqlState is PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.LockNotAvailable;

    private static string BoundName(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.LockNotAvailable ? "lock_timeout" : "statement_timeout";

    private static string CommandTag(NpgsqlBatchCommand command, AnalyzedStatement statement)
    {
        var rows = command.Rows.ToString(CultureInfo.InvariantCulture);
        return command.StatementType switch
        {
            StatementType.Insert => $"INSERT 0 {rows}",
            StatementType.Update => $"UPDATE {rows}",
            StatementType.Delete => $"DELETE {rows}",
            StatementType.Merge => $"MERGE {rows}",
            StatementType.Select => $"SELECT {rows}",
            StatementType.CreateTableAs => $"SELECT {rows}",
            StatementType.Copy => $"COPY {rows}",
            _ => ScriptAnalyzer.FirstWords(statement),
        };
    }

    private async Task<Dictionary<uint, TableCounters>> SnapshotAsync(CancellationToken cancellationToken, bool release = false)
    {
        await using var batch = new NpgsqlBatch(connection);
        if (release)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"RELEASE SAVEPOINT {Savepoint}"));
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand(TableCounters.SnapshotSql));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await TableCounters.ReadAsync(reader, cancellationToken);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

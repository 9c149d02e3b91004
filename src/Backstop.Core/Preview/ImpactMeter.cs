using System.Globalization;
using Backstop.Core.Changes;
using Backstop.Sql.Classification;
using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>
/// Runs statements inside a transaction the caller owns and measures each one: the counters of
/// pg_stat_xact_user_tables before and after it, the rows removed by TRUNCATE/DROP, and the size of
/// every table it touched. Each statement runs under a savepoint, so that in a preview a statement that
/// hits lock_timeout or statement_timeout can be undone and estimated with EXPLAIN instead.
/// The bounds are set again before every statement, so a script's own SET cannot lift them.
/// </summary>
/// <param name="preview">true in a preview: statements with effects outside the database are not run, and a statement
/// that hits a bound is estimated; false when the change runs for real.</param>
/// <param name="lockTimeout">applied before every statement.</param>
/// <param name="statementTimeout">applied before every statement; null for none (the real run).</param>
internal sealed class ImpactMeter(NpgsqlConnection connection, bool preview, TimeSpan lockTimeout, TimeSpan? statementTimeout)
{
    private const string Savepoint = "backstop_statement";

    private Dictionary<uint, TableCounters>? _counters;

    /// <summary>
    /// Called before a TRUNCATE runs, with the tables it will empty (cascade included), so that their rows can be
    /// captured first: no row trigger sees the rows TRUNCATE removes.
    /// </summary>
    public Func<IReadOnlyDictionary<uint, TableSize>, CancellationToken, Task>? BeforeTruncate { get; init; }

    /// <summary>Called before an ALTER TABLE that drops columns runs, so that their values can be kept first.</summary>
    public Func<AnalyzedStatement, CancellationToken, Task>? BeforeDropColumns { get; init; }

    /// <summary>
    /// Offered every statement before it runs; returning true means it was carried out another way (a DROP TABLE
    /// moved into the recycle bin) and is not run as written.
    /// </summary>
    public Func<AnalyzedStatement, CancellationToken, Task<bool>>? InsteadOf { get; init; }

    public async Task<StatementImpact> MeasureAsync(AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        if (!statement.Info.AllowedInTransaction)
        {
            return NotRun(statement, "cannot run inside a transaction block: not executed, judged by its classification alone");
        }

        if (preview && statement.Info.ExternalEffect is { } external)
        {
            return NotRun(statement, $"{external}, which no rollback undoes: not executed by the preview, judged by its classification alone");
        }

        _counters ??= await SnapshotAsync(cancellationToken);
        var removed = RemovedTables.Applies(statement.Info)
            ? await RemovedTables.CountAsync(connection, statement.Info, cancellationToken)
            : null;
        if (removed is not null && statement.Info.Kind == StatementKind.Truncate && BeforeTruncate is { } beforeTruncate)
        {
            await beforeTruncate(removed, cancellationToken);
        }

        if (statement.Info.DroppedColumns.Count > 0 && BeforeDropColumns is { } beforeDropColumns)
        {
            await beforeDropColumns(statement, cancellationToken);
        }

        if (InsteadOf is { } insteadOf && await CarriedOutAsync(insteadOf, statement, cancellationToken))
        {
            var afterMove = await SnapshotAsync(cancellationToken);
            _counters = afterMove;
            return new StatementImpact
            {
                Index = statement.Index,
                CommandTag = ScriptAnalyzer.FirstWords(statement),
                Executed = true,
                Note = "moved into the recycle bin instead of dropped (backstop trash list)",
                Tables = RemovedImpacts(removed),
            };
        }

        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SAVEPOINT {Savepoint}"));
        Environments.SessionSettings.AddTo(batch);
        batch.BatchCommands.Add(SetLocal("lock_timeout", lockTimeout));
        if (statementTimeout is { } bound)
        {
            batch.BatchCommands.Add(SetLocal("statement_timeout", bound));
        }

        var executed = new NpgsqlBatchCommand(statement.Statement.Text);
        batch.BatchCommands.Add(executed);
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (preview && IsPreviewBound(e) && !cancellationToken.IsCancellationRequested)
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

        var after = await SnapshotAsync(cancellationToken, release: true);
        var deltas = TableCounters.Deltas(_counters, after);
        _counters = after;

        var sizes = await TableSizes.ReadAsync(connection, deltas.Select(d => d.RelationId).ToList(), cancellationToken);
        var tables = deltas.Select(d =>
        {
            if (sizes.GetValueOrDefault(d.RelationId) is not { } size)
            {
                return d.Impact;
            }

            var before = size.Rows is { } now && !size.Estimated ? now + d.Impact.Deleted - d.Impact.Inserted : size.Rows;
            return d.Impact with { RowsBefore = before, RowsBeforeEstimated = size.Estimated, HasPrimaryKey = size.HasPrimaryKey };
        }).ToList();

        tables.AddRange(RemovedImpacts(removed));

        return new StatementImpact
        {
            Index = statement.Index,
            CommandTag = CommandTag(executed, statement),
            RowCount = executed.StatementType is StatementType.Other ? null : checked((long)executed.Rows),
            Executed = true,
            Tables = tables,
        };
    }

    /// <summary>
    /// Fires what would otherwise wait for COMMIT (deferred constraint triggers: SET CONSTRAINTS ALL IMMEDIATE) while it
    /// can still be measured and captured, and adds what it wrote to the last statement's impact.
    /// </summary>
    public async Task<IReadOnlyList<StatementImpact>> FlushDeferredAsync(IReadOnlyList<StatementImpact> impacts, CancellationToken cancellationToken)
    {
        if (impacts.Count == 0 || _counters is null)
        {
            return impacts;
        }

        await using (var immediate = new NpgsqlCommand("SET CONSTRAINTS ALL IMMEDIATE", connection))
        {
            await immediate.ExecuteNonQueryAsync(cancellationToken);
        }

        var after = await SnapshotAsync(cancellationToken);
        var deltas = TableCounters.Deltas(_counters, after);
        _counters = after;
        if (deltas.Count == 0)
        {
            return impacts;
        }

        var last = impacts[^1];
        var tables = last.Tables.ToList();
        foreach (var (_, delta) in deltas)
        {
            var index = tables.FindIndex(t => t.QualifiedName == delta.QualifiedName);
            tables.Add(index < 0 ? delta : tables[index] with
            {
                Inserted = tables[index].Inserted + delta.Inserted,
                Updated = tables[index].Updated + delta.Updated,
                Deleted = tables[index].Deleted + delta.Deleted,
            });
            if (index >= 0)
            {
                tables.RemoveAt(index);
            }
        }

        var note = "includes what deferred triggers wrote at the end of the change";
        return [.. impacts.Take(impacts.Count - 1), last with { Tables = tables, Note = last.Note is null ? note : $"{last.Note}; {note}" }];
    }

    /// <summary>SET LOCAL through set_config, so the value travels as a parameter.</summary>
    internal static NpgsqlBatchCommand SetLocal(string setting, TimeSpan value) => new("SELECT set_config($1, $2, true)")
    {
        Parameters =
        {
            new NpgsqlParameter { Value = setting },
            new NpgsqlParameter { Value = ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) },
        },
    };

    private static List<TableImpact> RemovedImpacts(Dictionary<uint, TableSize>? removed) =>
        (removed ?? []).Values
            .Where(table => table.Rows is > 0)
            .Select(table => new TableImpact { Schema = table.Schema, Name = table.Name, Deleted = table.Rows!.Value, RowsBefore = table.Rows, RowsBeforeEstimated = table.Estimated, HasPrimaryKey = table.HasPrimaryKey })
            .ToList();

    private static async Task<bool> CarriedOutAsync(Func<AnalyzedStatement, CancellationToken, Task<bool>> insteadOf, AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        try
        {
            return await insteadOf(statement, cancellationToken);
        }
        catch (PostgresException e)
        {
            throw new StatementFailedException(statement, e);
        }
    }

    private static StatementImpact NotRun(AnalyzedStatement statement, string note) =>
        new() { Index = statement.Index, CommandTag = ScriptAnalyzer.FirstWords(statement), Note = note };

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

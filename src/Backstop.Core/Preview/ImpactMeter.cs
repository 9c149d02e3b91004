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
    private CatalogCounters? _catalog;
    private WatchedTables? _tables;

    // The last statement's savepoint stays open until the next statement starts (its RELEASE rides in that batch), so
    // that a statement seen destroying something can still be rolled back to be counted.
    private bool _releasePending;

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
    /// <remarks>Given the rows of the tables it removes, as the meter counted them just before.</remarks>
    public Func<AnalyzedStatement, IReadOnlyDictionary<uint, TableSize>, CancellationToken, Task<bool>>? InsteadOf { get; init; }

    /// <summary>In a run: per statement, what the preview saw it destroy. The run is held to it.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<ObservedEffect>> Planned { get; init; } = new Dictionary<int, IReadOnlyList<ObservedEffect>>();

    /// <summary>In a run: called before a statement with what the preview saw it destroy, so that it can be kept first.</summary>
    public Func<AnalyzedStatement, IReadOnlyList<ObservedEffect>, CancellationToken, Task>? KeepEffects { get; init; }

    public async Task<StatementImpact> MeasureAsync(AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        var impact = await MeasureStatementAsync(statement, cancellationToken);
        if (statement.Info.Lock is not null)
        {
            impact = impact with { Locked = await LockedAsync(statement, cancellationToken) };
        }

        return statement.Info.Kind == StatementKind.Delete && impact.Executed
            ? impact with { ViewBaseTables = await ViewBases.ReadAsync(connection, statement, cancellationToken) }
            : impact;
    }

    /// <summary>The sizes of the tables a locking statement names (a CREATE INDEX leaves them as they were).</summary>
    private async Task<IReadOnlyList<TableImpact>> LockedAsync(AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT array_agg(c.oid) FROM unnest(@names::text[]) AS t(name) JOIN pg_class c ON c.oid = to_regclass(t.name)", connection);
        command.Parameters.AddWithValue("names", statement.Info.Targets.Select(t => Backstop.Postgres.PgIdentifier.Quote(t.Schema, t.Name)).ToArray());
        var ids = await command.ExecuteScalarAsync(cancellationToken) as uint[] ?? [];
        var sizes = await TableSizes.ReadAsync(connection, ids, cancellationToken);
        return sizes.Values.Select(s => new TableImpact { Schema = s.Schema, Name = s.Name, RowsBefore = s.Rows, RowsBeforeEstimated = s.Estimated }).ToList();
    }

    private async Task<StatementImpact> MeasureStatementAsync(AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        if (!statement.Info.AllowedInTransaction)
        {
            return NotRun(statement, "cannot run inside a transaction block: not executed, judged by its classification alone");
        }

        if (preview && statement.Info.ExternalEffect is { } external)
        {
            return NotRun(statement, $"{external}: not executed by the preview, since no rollback takes it back; judged by its classification alone");
        }

        if (preview && await ForeignTables.WrittenAsync(connection, statement, cancellationToken) is { } foreign)
        {
            return NotRun(statement, $"writes the foreign table {foreign}, which lives on another server where this rollback does not reach: not executed by the preview");
        }

        await EnsureSnapshotAsync(cancellationToken);
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

        if (InsteadOf is { } insteadOf && await CarriedOutAsync(insteadOf, statement, removed ?? [], cancellationToken))
        {
            (_counters, _catalog) = await SnapshotAsync(cancellationToken);
            _tables = await CatalogWatch.ReadTablesAsync(connection, null, cancellationToken);
            return new StatementImpact
            {
                Index = statement.Index,
                CommandTag = ScriptAnalyzer.FirstWords(statement),
                Executed = true,
                Note = "moved into the recycle bin instead of dropped (backstop trash list)",
                Tables = RemovedImpacts(removed),
            };
        }

        var planned = Planned.GetValueOrDefault(statement.Index) ?? [];
        if (planned.Count > 0 && KeepEffects is { } keep)
        {
            await keep(statement, planned, cancellationToken);

            // What keeping wrote (images, the recycle bin) is Backstop's, not the statement's.
            (_counters, _catalog) = await SnapshotAsync(cancellationToken);
        }

        var run = await RunAsync(statement, cancellationToken);
        if (run.Estimate is { } estimate)
        {
            return estimate;
        }

        var effects = new List<ObservedEffect>();
        var unplanned = new List<string>();
        var unexplained = false;
        if (run.Catalog!.Moved(_catalog!))
        {
            unexplained = preview && !DeclaresCatalogChanges(statement);
            var tablesAfter = await CatalogWatch.ReadTablesAsync(connection, _tables, cancellationToken);
            if (preview && tablesAfter.OwnSchemaChangedSince(_tables!) is { } ownSchema)
            {
                throw OwnObjects.Refusal(statement, $"a table of schema {ownSchema}");
            }

            var changes = await CatalogWatch.ChangesAsync(connection, _tables!, tablesAfter, _catalog!.NextXid, run.Catalog.AttributeWrites != _catalog.AttributeWrites, cancellationToken);
            if (preview && changes.FirstOrDefault(c => CatalogWatch.IsBackstopSchema(c.Table.Schema)) is { } own)
            {
                throw OwnObjects.Refusal(statement, own.Table.QualifiedName);
            }

            changes = changes.Where(c => !CatalogWatch.IsBackstopSchema(c.Table.Schema) && !Accounted(c, statement, removed)).ToList();
            var largeObjects = run.Catalog.LargeObjectDeletes - _catalog.LargeObjectDeletes;
            if (preview && (changes.Any(c => c.Kind != CatalogChangeKind.ColumnWritten) || largeObjects > 0))
            {
                var after = await EffectCounter.ReadAfterAsync(connection, changes, largeObjects, cancellationToken);
                var written = TableCounters.Deltas(_counters!, run.Counters!).ToDictionary(d => d.RelationId, d => (d.Impact.Inserted, d.Impact.Deleted));
                await ExecuteAsync($"ROLLBACK TO SAVEPOINT {Savepoint}; RELEASE SAVEPOINT {Savepoint}", cancellationToken);
                _releasePending = false;
                effects = await EffectCounter.ReadBeforeAsync(connection, changes, after, written, largeObjects, Cause(statement), cancellationToken);

                // The rolled-back attempt still counts in the tuple counters: measure the statement again from a fresh snapshot.
                (_counters, _catalog) = await SnapshotAsync(cancellationToken);
                run = await RunAsync(statement, cancellationToken);
                if (run.Estimate is { } second)
                {
                    // Counted once, the destruction stands even when the second run can only be estimated.
                    return second with { Effects = effects };
                }

                tablesAfter = await CatalogWatch.ReadTablesAsync(connection, _tables, cancellationToken);
            }
            else if (!preview)
            {
                effects = EffectPlan.Match(planned, changes, largeObjects, unplanned);
            }

            _tables = tablesAfter;
            unexplained &= effects.Count == 0;
        }
        else if (!preview && planned.Count > 0)
        {
            unplanned.AddRange(planned.Select(p => $"the preview saw statement {statement.Index + 1} do this, the run did not: {p.Describe()}"));
        }

        var deltas = TableCounters.Deltas(_counters!, run.Counters!, moves: statement.Info.Kind == StatementKind.Update);
        if (preview && deltas.FirstOrDefault(d => CatalogWatch.IsBackstopSchema(d.Impact.Schema)) is { Impact: { } ownTable })
        {
            throw OwnObjects.Refusal(statement, ownTable.QualifiedName);
        }

        deltas.RemoveAll(d => CatalogWatch.IsBackstopSchema(d.Impact.Schema));
        (_counters, _catalog) = (run.Counters, run.Catalog);

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
        tables.AddRange(effects.Where(e => e.Kind is EffectKind.Truncated or EffectKind.DroppedTable && e.Count > 0)
            .Select(e => new TableImpact { Schema = e.Schema, Name = e.Name, Deleted = e.Count, RowsBefore = e.Count }));

        return new StatementImpact
        {
            Index = statement.Index,
            CommandTag = CommandTag(run.Executed!, statement),
            RowCount = run.Executed!.StatementType is StatementType.Other ? null : checked((long)run.Executed.Rows),
            Executed = true,
            Tables = tables,
            Effects = effects,
            Unplanned = unplanned,
            UnexplainedCatalogChange = unexplained,
        };
    }

    /// <summary>A change the statement's own classification already counted: the tables a TRUNCATE or DROP names, the columns an ALTER TABLE drops.</summary>
    private static bool Accounted(CatalogChange change, AnalyzedStatement statement, Dictionary<uint, TableSize>? removed)
    {
        if (change.Kind is CatalogChangeKind.Dropped or CatalogChangeKind.NewFileNode && removed is not null
            && (removed.ContainsKey(change.Table.Oid) || change.Table.Root is { } root && removed.ContainsKey(root)))
        {
            return true;
        }

        return change.Kind == CatalogChangeKind.ColumnDropped && statement.Info.DroppedColumns.Count > 0 && statement.Info.Targets is [var target]
            && target.Name == change.Table.Name && (target.Schema is null || target.Schema == change.Table.Schema);
    }

    /// <summary>
    /// Statements whose text says they change the catalog (DDL, GRANT, maintenance); the others (queries, DML, CALL, DO)
    /// moving it means a function or trigger did something their text does not show.
    /// </summary>
    private static bool DeclaresCatalogChanges(AnalyzedStatement statement) => statement.Info.Kind is not
        (StatementKind.Select or StatementKind.Insert or StatementKind.Update or StatementKind.Delete or StatementKind.Merge
        or StatementKind.Call or StatementKind.Do or StatementKind.CopyFrom or StatementKind.CopyTo or StatementKind.Unclassified);

    /// <summary>For DROP TYPE, DROP DOMAIN and the like: the object whose CASCADE takes columns with it.</summary>
    private static string? Cause(AnalyzedStatement statement) =>
        statement.Info.ObjectType is { } type && statement.Info.Kind is not (StatementKind.DropTable or StatementKind.DropSchema) && statement.Info.Targets.Count > 0
            && statement.Statement.Tokens.Count > 0 && statement.Statement.TokenText(statement.Statement.Tokens[0]).Equals("DROP", StringComparison.OrdinalIgnoreCase)
            ? $"{type.ToLowerInvariant()} {string.Join(", ", statement.Info.Targets)}"
            : null;

    private sealed record StatementRun(NpgsqlBatchCommand? Executed, Dictionary<uint, TableCounters>? Counters, CatalogCounters? Catalog, StatementImpact? Estimate);

    /// <summary>Runs the statement under its savepoint with the bounds set again, and snapshots the counters after it.</summary>
    private async Task<StatementRun> RunAsync(AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        if (_releasePending)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"RELEASE SAVEPOINT {Savepoint}"));
            _releasePending = false;
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SAVEPOINT {Savepoint}"));
        Environments.SessionSettings.AddTo(batch);
        batch.BatchCommands.Add(SetLocal("lock_timeout", lockTimeout));
        if (statementTimeout is { } bound)
        {
            batch.BatchCommands.Add(SetLocal("statement_timeout", bound));
        }

        var executed = new NpgsqlBatchCommand(statement.Statement.Text);
        batch.BatchCommands.Add(executed);

        // The counters after it ride in the same round trip; they are the last two result sets, whatever the statement
        // returned before them (skipped when it fails).
        batch.BatchCommands.Add(new NpgsqlBatchCommand(TableCounters.SnapshotSql));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(CatalogWatch.CountersSql));
        Dictionary<uint, TableCounters>? counters = null;
        CatalogCounters? catalog = null;
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            do
            {
                if (reader.FieldCount > 0 && reader.GetName(0) == TableCounters.FirstColumn)
                {
                    counters = await TableCounters.ReadAsync(reader, cancellationToken);
                }
                else if (reader.FieldCount > 0 && reader.GetName(0) == CatalogWatch.FirstColumn)
                {
                    catalog = await CatalogWatch.ReadCountersAsync(reader, cancellationToken);
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }
        catch (PostgresException e) when (preview && IsPreviewBound(e) && !cancellationToken.IsCancellationRequested)
        {
            await ExecuteAsync($"ROLLBACK TO SAVEPOINT {Savepoint}; RELEASE SAVEPOINT {Savepoint}", cancellationToken);

            // The aborted attempt still counts in the counters: take a fresh snapshot before the next statement.
            _counters = null;
            return new StatementRun(null, null, null, await ExplainEstimate.EstimateAsync(connection, statement, BoundName(e), cancellationToken));
        }
        catch (PostgresException e)
        {
            throw new StatementFailedException(statement, e);
        }

        _releasePending = true;
        return new StatementRun(executed, counters!, catalog!, null);
    }

    private async Task EnsureSnapshotAsync(CancellationToken cancellationToken)
    {
        if (_counters is null || _catalog is null)
        {
            (_counters, _catalog, var tables) = await SnapshotAsync(withTables: _tables is null, cancellationToken);
            _tables ??= tables;
        }

        _tables ??= await CatalogWatch.ReadTablesAsync(connection, null, cancellationToken);
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

        var (after, catalog) = await SnapshotAsync(cancellationToken);
        var deltas = TableCounters.Deltas(_counters, after);
        deltas.RemoveAll(d => CatalogWatch.IsBackstopSchema(d.Impact.Schema));
        (_counters, _catalog) = (after, catalog);
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

    private static async Task<bool> CarriedOutAsync(
        Func<AnalyzedStatement, IReadOnlyDictionary<uint, TableSize>, CancellationToken, Task<bool>> insteadOf, AnalyzedStatement statement, Dictionary<uint, TableSize> removed, CancellationToken cancellationToken)
    {
        try
        {
            return await insteadOf(statement, removed, cancellationToken);
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

    internal static string CommandTag(NpgsqlBatchCommand command, AnalyzedStatement statement)
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

    private async Task<(Dictionary<uint, TableCounters>, CatalogCounters)> SnapshotAsync(CancellationToken cancellationToken)
    {
        var (counters, catalog, _) = await SnapshotAsync(withTables: false, cancellationToken);
        return (counters, catalog);
    }

    /// <summary>The counters, and the tables too when asked (in the same round trip).</summary>
    private async Task<(Dictionary<uint, TableCounters>, CatalogCounters, WatchedTables?)> SnapshotAsync(bool withTables, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);

        batch.BatchCommands.Add(new NpgsqlBatchCommand(TableCounters.SnapshotSql));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(CatalogWatch.CountersSql));
        if (withTables)
        {
            CatalogWatch.AddTablesTo(batch, null);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var counters = await TableCounters.ReadAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var catalog = await CatalogWatch.ReadCountersAsync(reader, cancellationToken);
        if (!withTables)
        {
            return (counters, catalog, null);
        }

        await reader.NextResultAsync(cancellationToken);
        return (counters, catalog, await CatalogWatch.ReadTablesAsync(reader, cancellationToken));
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>
/// Counts what a previewed statement destroyed, once <see cref="CatalogWatch"/> has seen that it did: the state after
/// the statement is read first, then the statement is rolled back to its savepoint and the state before it is read
/// (the rows of a truncated or dropped table, the values of a dropped or retyped column). The meter then runs the
/// statement again, so that the rest of the preview sees what it did.
/// </summary>
internal static class EffectCounter
{
    public sealed record AfterState(Dictionary<uint, long> Rows, Dictionary<(uint, short), uint?> Types, HashSet<uint> LargeObjects);

    private const string LargeObjectsSql = "SELECT coalesce(array_agg(oid), '{}') FROM pg_largeobject_metadata";

    /// <summary>Read while the statement's effects are still in place.</summary>
    /// <param name="largeObjects">large objects the statement removed (the counters say how many, not which).</param>
    public static async Task<AfterState> ReadAfterAsync(NpgsqlConnection connection, IReadOnlyList<CatalogChange> changes, long largeObjects, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<uint, long>();
        var types = new Dictionary<(uint, short), uint?>();
        foreach (var change in changes)
        {
            if (change.Kind == CatalogChangeKind.NewFileNode)
            {
                rows[change.Table.Oid] = await CatalogWatch.CountRowsAsync(connection, change.Table, cancellationToken);
            }
            else if (change.Kind == CatalogChangeKind.ColumnWritten)
            {
                types[(change.Table.Oid, change.Column)] = await CatalogWatch.ColumnTypeAsync(connection, change.Table.Oid, change.Column, cancellationToken);
            }
        }

        return new AfterState(rows, types, largeObjects > 0 ? await LargeObjectsAsync(connection, cancellationToken) : []);
    }

    /// <summary>Read once the statement has been rolled back to its savepoint.</summary>
    /// <param name="written">per table, the rows the statement inserted and deleted (its tuple counters).</param>
    /// <param name="cause">the object whose drop took columns with it, e.g. "type public.mood"; null when none.</param>
    public static async Task<List<ObservedEffect>> ReadBeforeAsync(
        NpgsqlConnection connection, IReadOnlyList<CatalogChange> changes, AfterState after, IReadOnlyDictionary<uint, (long Inserted, long Deleted)> written,
        long largeObjects, string? cause, CancellationToken cancellationToken)
    {
        var effects = new List<ObservedEffect>();
        foreach (var change in changes)
        {
            var table = change.Table;
            switch (change.Kind)
            {
                case CatalogChangeKind.Dropped:
                    effects.Add(Effect(EffectKind.DroppedTable, table) with { Count = await CatalogWatch.CountRowsAsync(connection, table, cancellationToken) });
                    break;
                case CatalogChangeKind.ColumnDropped when await CatalogWatch.DescribeColumnAsync(connection, table, change.Column, cancellationToken) is { } column:
                    effects.Add(Effect(EffectKind.DroppedColumn, table) with
                    {
                        Column = column.Name, ColumnNumber = change.Column, ColumnType = column.Type, Count = column.Values, Cause = cause,
                    });
                    break;
                case CatalogChangeKind.ColumnWritten when changes.Any(c => c.Kind == CatalogChangeKind.NewFileNode && c.Table.Oid == table.Oid)
                    && await CatalogWatch.DescribeColumnAsync(connection, table, change.Column, cancellationToken) is { } column
                    && after.Types.GetValueOrDefault((table.Oid, change.Column)) is { } typeAfter && typeAfter != column.TypeId:
                    effects.Add(Effect(EffectKind.RewrittenColumn, table) with
                    {
                        Column = column.Name, ColumnNumber = change.Column, ColumnType = column.Type, Count = column.Values,
                    });
                    break;
            }
        }

        foreach (var change in changes.Where(c => c.Kind == CatalogChangeKind.NewFileNode))
        {
            var table = change.Table;
            var before = await CatalogWatch.CountRowsAsync(connection, table, cancellationToken);
            var (inserted, deleted) = written.GetValueOrDefault(table.Root ?? table.Oid);
            if (before > 0 && after.Rows.GetValueOrDefault(table.Oid) < before + inserted - deleted)
            {
                // Rows vanished without a DELETE: a TRUNCATE, whatever ran it (and whatever it inserted afterwards).
                effects.Add(Effect(EffectKind.Truncated, table) with { Count = before });
            }
            else if (!effects.Any(e => e.Kind == EffectKind.RewrittenColumn && e.RelationId == table.Oid))
            {
                effects.Add(Effect(EffectKind.RewrittenTable, table) with { Count = before });
            }
        }

        if (largeObjects > 0)
        {
            var removed = (await LargeObjectsAsync(connection, cancellationToken)).Except(after.LargeObjects).Order().ToList();
            effects.Add(new ObservedEffect { Kind = EffectKind.RemovedLargeObjects, RelationId = 0, Schema = "", Name = "", Count = removed.Count, LargeObjects = removed });
        }

        // A column's values are kept by primary key: without one they cannot be put back on the right rows.
        for (var i = 0; i < effects.Count; i++)
        {
            if (effects[i].Kind is EffectKind.DroppedColumn or EffectKind.RewrittenColumn && !await HasPrimaryKeyAsync(connection, effects[i].RelationId, cancellationToken))
            {
                effects[i] = effects[i] with { Keepable = false };
            }
        }

        return effects;
    }

    private static async Task<HashSet<uint>> LargeObjectsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(LargeObjectsSql, connection);
        return [.. (uint[])(await command.ExecuteScalarAsync(cancellationToken))!];
    }

    private static async Task<bool> HasPrimaryKeyAsync(NpgsqlConnection connection, uint relationId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = @relid AND indisprimary)", connection);
        command.Parameters.Add(new NpgsqlParameter("relid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = relationId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static ObservedEffect Effect(EffectKind kind, WatchedTable table) =>
        new() { Kind = kind, RelationId = table.Oid, Schema = table.Schema, Name = table.Name };
}

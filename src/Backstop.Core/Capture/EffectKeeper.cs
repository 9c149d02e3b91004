using Backstop.Core.Preview;
using Backstop.Sql.Classification;
using Npgsql;

namespace Backstop.Core.Capture;

/// <summary>
/// Before a statement runs for real, keeps what its preview saw it destroy, whatever will do the destroying (a
/// function, a DO block, a trigger, a CASCADE): a truncated table's rows go into the change's images, a dropped table
/// into the recycle bin as a copy, a dropped or retyped column's values by key. Undo and <c>trash restore</c> bring them back.
/// </summary>
internal static class EffectKeeper
{
    public static async Task KeepAsync(NpgsqlConnection connection, ChangeCapture capture, Guid changeId, IReadOnlyList<ObservedEffect> effects, CancellationToken cancellationToken)
    {
        var truncated = effects.Where(e => e.Kind == EffectKind.Truncated)
            .ToDictionary(e => e.RelationId, e => new TableSize(e.Count, false, e.Schema, e.Name, HasPrimaryKey: true));
        if (truncated.Count > 0)
        {
            await capture.CaptureTruncateAsync(changeId, truncated, cancellationToken);
        }

        foreach (var dropped in effects.Where(e => e.Kind == EffectKind.DroppedTable))
        {
            await RecycleBin.TableCopy.KeepAsync(connection, changeId, dropped, cancellationToken);
        }

        foreach (var removed in effects.Where(e => e.Kind == EffectKind.RemovedLargeObjects))
        {
            // lo_get reads the object with the change's own privileges: one it may not read cannot be kept, and the change fails.
            await using var keep = new NpgsqlCommand(
                "INSERT INTO backstop.large_objects (change_id, loid, data) SELECT @change, m.oid, lo_get(m.oid) FROM pg_largeobject_metadata m WHERE m.oid = ANY(@oids)", connection);
            keep.Parameters.AddWithValue("change", changeId);
            keep.Parameters.Add(new NpgsqlParameter("oids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid) { Value = removed.LargeObjects.ToArray() });
            await keep.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var column in effects.Where(e => e.Kind is EffectKind.DroppedColumn or EffectKind.RewrittenColumn))
        {
            // A column that goes with its type (DROP TYPE … CASCADE) is kept as text: an image column of that type would go too.
            await DroppedColumnCapture.CaptureAsync(connection, changeId, new RelationName(column.Schema, column.Name), [column.Column!], cancellationToken,
                asText: column.Cause is not null, rewritten: column.Kind == EffectKind.RewrittenColumn);
        }
    }
}

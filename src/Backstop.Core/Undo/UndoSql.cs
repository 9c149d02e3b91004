using Backstop.Postgres;

namespace Backstop.Core.Undo;

/// <summary>
/// The SQL that takes one table back, from its image table. A key's events in capture order tell its net effect:
/// the first event says whether the row existed before the change ('U', 'D': yes, with that old image) and the
/// last whether it exists after ('I', 'u': yes, with that new image). Rows are only touched while they still
/// equal what the change left; every other row is a conflict and is left alone.
/// </summary>
/// <param name="materialized">a table holding <see cref="NetQuery"/>'s rows (computed once per undo), or null to compute them inline.</param>
internal sealed class UndoSql(UndoTable table, string? materialized = null)
{
    private const string ExistedBefore = "IN ('U', 'D')";
    private const string ExistsAfter = "IN ('I', 'u')";

    private string Target => PgIdentifier.Quote(table.Schema, table.Name);

    private string Image => PgIdentifier.Quote(Capture.CaptureSchema.Name, table.ImageTable);

    private string Keys => string.Join(", ", table.KeyColumns.Select(PgIdentifier.Quote));

    /// <summary>
    /// Each key once, with its first image (f.*), its last event, and its last image: as columns backstop_after_0…n
    /// when rows compare column by column, else as one jsonb column backstop_after.
    /// </summary>
    public string NetQuery
    {
        get
        {
            var after = table.RowComparable
                ? string.Join(", ", table.ImageColumns.Select((c, i) => $"l.{PgIdentifier.Quote(c)} AS backstop_after_{i}"))
                : "to_jsonb(l) - 'backstop_op' - 'backstop_seq' AS backstop_after";
            return $"SELECT f.*, l.backstop_op AS backstop_last_op, {after} " +
                $"FROM (SELECT DISTINCT ON ({Keys}) * FROM {Image} ORDER BY {Keys}, backstop_seq) f " +
                $"JOIN (SELECT DISTINCT ON ({Keys}) * FROM {Image} ORDER BY {Keys}, backstop_seq DESC) l USING ({Keys})";
        }
    }

    private string Net => materialized ?? $"({NetQuery})";

    /// <summary>The last image of key row <paramref name="alias"/>, comparable with <see cref="Current"/>.</summary>
    private string After(string alias) => table.RowComparable
        ? "ROW(" + string.Join(", ", table.ImageColumns.Select((_, i) => $"{alias}.backstop_after_{i}")) + ")"
        : $"{alias}.backstop_after";

    /// <summary>Rows the change created: deleted while they are as the change left them.</summary>
    public string Delete() =>
        $"DELETE FROM {Target} AS t USING {Net} AS n " +
        $"WHERE {KeyMatch("t", "n")} AND n.backstop_op {ExistsAfter} AND n.backstop_last_op {ExistsAfter} AND {Current("t")} IS NOT DISTINCT FROM {After("n")}";

    /// <summary>Rows the change removed: inserted again, with their identity values, where their key is still free.</summary>
    public string Reinsert()
    {
        var columns = string.Join(", ", table.InsertableColumns.Select(PgIdentifier.Quote));
        var values = string.Join(", ", table.InsertableColumns.Select(c => "n." + PgIdentifier.Quote(c)));
        return $"INSERT INTO {Target} ({columns}) OVERRIDING SYSTEM VALUE SELECT {values} FROM {Net} AS n " +
            $"WHERE n.backstop_op {ExistedBefore} AND n.backstop_last_op {ExistedBefore} " +
            $"AND NOT EXISTS (SELECT 1 FROM {Target} AS t WHERE {KeyMatch("t", "n")})";
    }

    /// <summary>Rows the change modified: set back to their old image while they are as the change left them. Null when no column can change.</summary>
    public string? Revert()
    {
        if (table.UpdatableColumns.Count == 0)
        {
            return null;
        }

        var set = string.Join(", ", table.UpdatableColumns.Select(c => $"{PgIdentifier.Quote(c)} = n.{PgIdentifier.Quote(c)}"));
        return $"UPDATE {Target} AS t SET {set} FROM {Net} AS n " +
            $"WHERE {KeyMatch("t", "n")} AND n.backstop_op {ExistedBefore} AND n.backstop_last_op {ExistsAfter} AND {Current("t")} IS NOT DISTINCT FROM {After("n")}";
    }

    /// <summary>How many keys each statement would touch at most: (delete, reinsert, revert), so that empty statements are left out.</summary>
    public string Counts() =>
        $"SELECT count(*) FILTER (WHERE n.backstop_op {ExistsAfter} AND n.backstop_last_op {ExistsAfter}), " +
        $"count(*) FILTER (WHERE n.backstop_op {ExistedBefore} AND n.backstop_last_op {ExistedBefore}), " +
        $"count(*) FILTER (WHERE n.backstop_op {ExistedBefore} AND n.backstop_last_op {ExistsAfter}) FROM {Net} AS n";

    /// <summary>Keys undo would skip: (key as json, reason, current row as json).</summary>
    public string Conflicts()
    {
        var key = "jsonb_build_object(" + string.Join(", ", table.KeyColumns.Select(c => $"{PgLiteral.Quote(c)}, n.{PgIdentifier.Quote(c)}")) + ")::text";
        var present = $"t.{PgIdentifier.Quote(table.KeyColumns[0])} IS NOT NULL";
        return $"""
            SELECT {key},
                   CASE WHEN n.backstop_last_op {ExistsAfter} AND NOT ({present}) THEN 'deleted after the change'
                        WHEN n.backstop_last_op {ExistsAfter} THEN 'changed after the change'
                        ELSE 'its key was taken after the change' END,
                   CASE WHEN {present} THEN to_jsonb(t)::text END
            FROM {Net} AS n LEFT JOIN {Target} AS t ON {KeyMatch("t", "n")}
            WHERE (n.backstop_last_op {ExistsAfter} AND (NOT ({present}) OR {Current("t")} IS DISTINCT FROM {After("n")}))
               OR (n.backstop_op {ExistedBefore} AND n.backstop_last_op {ExistedBefore} AND {present})
            ORDER BY 1
            """;
    }

    /// <summary>
    /// A row's value for comparison: a row of its captured columns where every type has equality (fast), else its
    /// jsonb (json, point or xml columns have no equality operator).
    /// </summary>
    private string Current(string alias) => table.RowComparable
        ? "ROW(" + string.Join(", ", table.ImageColumns.Select(c => $"{alias}.{PgIdentifier.Quote(c)}")) + ")"
        : $"to_jsonb({alias})";

    private string KeyMatch(string left, string right) =>
        string.Join(" AND ", table.KeyColumns.Select(c => $"{left}.{PgIdentifier.Quote(c)} = {right}.{PgIdentifier.Quote(c)}"));
}

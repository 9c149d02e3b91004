using Backstop.Postgres;

namespace Backstop.Core.Undo;

/// <summary>
/// The SQL that takes one table back, from its image table. A key's events in capture order tell its net effect:
/// the first event says whether the row existed before the change ('U', 'V', 'D': yes, with that old image) and the
/// last whether it exists after ('I', 'u', 'V': yes). Rows are only touched while they are still the row versions
/// the change left: the current row's xmin is the xmin of the key's last image row, which the capture trigger wrote
/// in the same statement and subtransaction as the row itself. Every other row is a conflict and is left alone.
/// </summary>
/// <param name="net">a table holding <see cref="NetQuery"/>'s rows, or null to read them inline (from the images
/// themselves when the table has one image per key).</param>
internal sealed class UndoSql(UndoTable table, string? net = null)
{
    private const string ExistedBefore = "IN ('U', 'V', 'D')";
    private const string NewKey = "IN ('I', 'u')";
    private const string ExistsAfter = "IN ('I', 'u', 'V')";
    private const string GoneAfter = "IN ('U', 'D')";

    private string Target => PgIdentifier.Quote(table.Schema, table.Name);

    private string Keys => string.Join(", ", table.KeyColumns.Select(PgIdentifier.Quote));

    /// <summary>
    /// Each key once, with its first image (its columns and backstop_op), its last event (backstop_last_op), and the
    /// xmin of its last image (backstop_last_xmin): one sort of the images.
    /// </summary>
    public string NetQuery =>
        $"SELECT DISTINCT ON ({Keys}) *, last_value(backstop_op) OVER w AS backstop_last_op, last_value(backstop_xmin) OVER w AS backstop_last_xmin " +
        $"FROM {table.ImageSource} AS i WINDOW w AS (PARTITION BY {Keys} ORDER BY backstop_seq ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) " +
        $"ORDER BY {Keys}, backstop_seq";

    /// <summary>
    /// The images themselves, when every key has exactly one (the change wrote the table in one statement that moved
    /// no keys): no sort at all.
    /// </summary>
    public string SingleImageQuery => $"SELECT *, backstop_op AS backstop_last_op, backstop_xmin AS backstop_last_xmin FROM {table.ImageSource} AS i";

    private string Net => net ?? (table.SingleImagePerKey ? $"({SingleImageQuery})" : $"({NetQuery})");

    /// <summary>Rows the change created: deleted while they are as the change left them.</summary>
    public string Delete() =>
        $"DELETE FROM {Target} AS t USING {Net} AS n " +
        $"WHERE {KeyMatch("t", "n")} AND n.backstop_op {NewKey} AND n.backstop_last_op {ExistsAfter} AND {Unchanged("t", "n")}";

    /// <summary>Rows the change removed: inserted again, with their identity values, where their key is still free.</summary>
    public string Reinsert()
    {
        var columns = string.Join(", ", table.InsertableColumns.Select(PgIdentifier.Quote));
        var values = string.Join(", ", table.InsertableColumns.Select(c => "n." + PgIdentifier.Quote(c)));
        return $"INSERT INTO {Target} ({columns}) OVERRIDING SYSTEM VALUE SELECT {values} FROM {Net} AS n " +
            $"WHERE n.backstop_op {ExistedBefore} AND n.backstop_last_op {GoneAfter} " +
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
            $"WHERE {KeyMatch("t", "n")} AND n.backstop_op {ExistedBefore} AND n.backstop_last_op {ExistsAfter} AND {Unchanged("t", "n")}";
    }

    /// <summary>How many keys each statement would touch at most: (delete, reinsert, revert), so that empty statements are left out.</summary>
    public string Counts() =>
        $"SELECT count(*) FILTER (WHERE n.backstop_op {NewKey} AND n.backstop_last_op {ExistsAfter}), " +
        $"count(*) FILTER (WHERE n.backstop_op {ExistedBefore} AND n.backstop_last_op {GoneAfter}), " +
        $"count(*) FILTER (WHERE n.backstop_op {ExistedBefore} AND n.backstop_last_op {ExistsAfter}) FROM {Net} AS n";

    /// <summary>Keys undo would skip: (key as json, reason, current row as json).</summary>
    public string Conflicts()
    {
        var key = "jsonb_build_object(" + string.Join(", ", table.KeyColumns.Select(c => $"{PgLiteral.Quote(c)}, n.{PgIdentifier.Quote(c)}")) + ")::text";
        var present = $"t.{PgIdentifier.Quote(table.KeyColumns[0])} IS NOT NULL";
        return $"""
            SELECT {key},
                   CASE WHEN n.backstop_last_op {ExistsAfter} AND NOT ({present}) THEN 'deleted after the change (or moved to another key)'
                        WHEN n.backstop_last_op {ExistsAfter} THEN 'changed after the change'
                        ELSE 'its key was taken after the change' END,
                   CASE WHEN {present} THEN to_jsonb(t)::text END
            FROM {Net} AS n LEFT JOIN {Target} AS t ON {KeyMatch("t", "n")}
            WHERE (n.backstop_last_op {ExistsAfter} AND (NOT ({present}) OR NOT {Unchanged("t", "n")}))
               OR (n.backstop_op {ExistedBefore} AND n.backstop_last_op {GoneAfter} AND {present})
            """;
    }

    /// <summary>
    /// The current row is the version the change left: written by the same (sub)transaction as the key's last image.
    /// Any later write, even one that sets the same values, makes a new version with another xmin.
    /// </summary>
    private static string Unchanged(string current, string image) => $"{current}.xmin = {image}.backstop_last_xmin";

    private string KeyMatch(string left, string right) =>
        string.Join(" AND ", table.KeyColumns.Select(c => $"{left}.{PgIdentifier.Quote(c)} = {right}.{PgIdentifier.Quote(c)}"));
}

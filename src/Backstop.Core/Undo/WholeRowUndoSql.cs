using Backstop.Postgres;

namespace Backstop.Core.Undo;

/// <summary>
/// Undo for a table without a primary key: rows can only be matched by all their columns. For each distinct row
/// value the change added some copies and removed some (an UPDATE removes the old value and adds the new one);
/// undo removes the copies it added and adds back the copies it removed. Copies of one value cannot be told apart,
/// so any of them will do; when fewer copies are left than the change added, the rest changed since: a conflict.
/// </summary>
internal sealed class WholeRowUndoSql(UndoTable table)
{
    private string Target => PgIdentifier.Quote(table.Schema, table.Name);

    private string Columns(string? alias = null) => string.Join(", ", table.ImageColumns.Select(c => (alias is null ? "" : alias + ".") + PgIdentifier.Quote(c)));

    private string Row(string alias) => $"ROW({Columns(alias)})";

    /// <summary>Each distinct row value with its net change: d &gt; 0 copies added by the change, d &lt; 0 copies removed.</summary>
    private string Net =>
        $"SELECT {Columns()}, sum(CASE WHEN backstop_op IN ('I', 'u') THEN 1 ELSE -1 END) AS backstop_d " +
        $"FROM {table.ImageSource} AS i GROUP BY {Columns()} HAVING sum(CASE WHEN backstop_op IN ('I', 'u') THEN 1 ELSE -1 END) <> 0";

    /// <summary>Removes up to d copies of each value the change added.</summary>
    public string Delete() =>
        $"DELETE FROM {Target} WHERE ctid IN (SELECT x.ctid FROM (" +
        $"SELECT t.ctid, row_number() OVER (PARTITION BY {Columns("t")}) AS backstop_rn, n.backstop_d FROM {Target} AS t " +
        $"JOIN ({Net}) AS n ON {Row("t")} IS NOT DISTINCT FROM {Row("n")} WHERE n.backstop_d > 0) AS x WHERE x.backstop_rn <= x.backstop_d)";

    /// <summary>Adds back the copies of each value the change removed.</summary>
    public string Reinsert()
    {
        var columns = string.Join(", ", table.InsertableColumns.Select(PgIdentifier.Quote));
        var values = string.Join(", ", table.InsertableColumns.Select(c => "n." + PgIdentifier.Quote(c)));
        return $"INSERT INTO {Target} ({columns}) OVERRIDING SYSTEM VALUE SELECT {values} FROM ({Net}) AS n, generate_series(1, -n.backstop_d) WHERE n.backstop_d < 0";
    }

    /// <summary>(copies to delete, copies to insert, 0).</summary>
    public string Counts() =>
        $"SELECT coalesce(sum(backstop_d) FILTER (WHERE backstop_d > 0), 0)::bigint, coalesce(-sum(backstop_d) FILTER (WHERE backstop_d < 0), 0)::bigint, 0::bigint FROM ({Net}) AS n";

    /// <summary>Values of which fewer copies are left than the change added.</summary>
    public string Conflicts() =>
        $"""
        SELECT to_jsonb(n)::text, format('%s of the %s copies the change added are left: the others changed after the change', coalesce(c.left_now, 0), n.backstop_d), NULL::text
        FROM ({Net}) AS n
        LEFT JOIN LATERAL (SELECT count(*) AS left_now FROM {Target} AS t WHERE {Row("t")} IS NOT DISTINCT FROM {Row("n")}) AS c ON true
        WHERE n.backstop_d > 0 AND coalesce(c.left_now, 0) < n.backstop_d
        """;
}

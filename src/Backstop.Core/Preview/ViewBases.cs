using Backstop.Core.Changes;
using Backstop.Postgres;
using Backstop.Sql.Classification;
using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>
/// A DELETE through an updatable view deletes from the view's base table: that table is what the statement writes,
/// not a table the DELETE cascades into.
/// </summary>
internal static class ViewBases
{
    private const string Sql = """
        SELECT DISTINCT bn.nspname || '.' || b.relname
        FROM unnest(@names::text[]) AS t(name)
        JOIN pg_class v ON v.oid = to_regclass(t.name) AND v.relkind = 'v'
        JOIN pg_rewrite r ON r.ev_class = v.oid
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
        JOIN pg_class b ON b.oid = d.refobjid AND b.relkind IN ('r', 'p') AND b.oid <> v.oid
        JOIN pg_namespace bn ON bn.oid = b.relnamespace
        """;

    /// <summary>The base tables (schema.name, as <see cref="TableImpact.QualifiedName"/>) of the views a DELETE names.</summary>
    public static async Task<IReadOnlyList<string>> ReadAsync(NpgsqlConnection connection, AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        if (statement.Info.Kind != StatementKind.Delete || statement.Info.Targets.Count == 0)
        {
            return [];
        }

        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.AddWithValue("names", statement.Info.Targets.Select(t => PgIdentifier.Quote(t.Schema, t.Name)).ToArray());
        var bases = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            bases.Add(reader.GetString(0));
        }

        return bases;
    }
}

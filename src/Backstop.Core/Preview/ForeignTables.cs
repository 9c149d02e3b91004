using Backstop.Core.Changes;
using Backstop.Postgres;
using Backstop.Sql.Classification;
using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>
/// A write to a foreign table reaches another server; whether its foreign-data wrapper takes it back with this
/// transaction is the wrapper's business (dblink-style wrappers do not), so a preview does not run it.
/// </summary>
internal static class ForeignTables
{
    /// <summary>The first foreign table the statement writes, or null.</summary>
    public static async Task<string?> WrittenAsync(NpgsqlConnection connection, AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        var info = statement.Info;
        if (info.Kind is not (StatementKind.Insert or StatementKind.Update or StatementKind.Delete or StatementKind.Merge or StatementKind.Truncate or StatementKind.CopyFrom)
            || info.Targets.Count == 0)
        {
            return null;
        }

        await using var command = new NpgsqlCommand(
            "SELECT c.oid::regclass::text FROM unnest(@names::text[]) AS t(name) JOIN pg_class c ON c.oid = to_regclass(t.name) WHERE c.relkind = 'f' LIMIT 1", connection);
        command.Parameters.AddWithValue("names", info.Targets.Select(t => PgIdentifier.Quote(t.Schema, t.Name)).ToArray());
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }
}

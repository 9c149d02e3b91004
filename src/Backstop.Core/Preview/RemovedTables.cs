using Backstop.Postgres;
using Backstop.Sql.Classification;
using Npgsql;
using NpgsqlTypes;

namespace Backstop.Core.Preview;

/// <summary>
/// TRUNCATE and DROP remove rows without touching the tuple counters, so their rows are counted before
/// the statement runs: the targets, tables that TRUNCATE … CASCADE reaches through foreign keys, and
/// every table of a dropped schema.
/// </summary>
internal static class RemovedTables
{
    private const string CascadeSql = """
        WITH RECURSIVE reached(oid) AS (
            SELECT unnest(@ids::oid[])
            UNION
            SELECT con.conrelid FROM pg_constraint con JOIN reached r ON con.confrelid = r.oid WHERE con.contype = 'f' AND con.conparentid = 0
        )
        SELECT oid FROM reached
        """;

    public static bool Applies(StatementInfo info) => info.Kind is StatementKind.Truncate or StatementKind.DropTable or StatementKind.DropSchema;

    public static async Task<Dictionary<uint, TableSize>> CountAsync(
        NpgsqlConnection connection, StatementInfo info, CancellationToken cancellationToken)
    {
        var ids = new List<uint>();
        foreach (var target in info.Targets)
        {
            var id = info.Kind == StatementKind.DropSchema
                ? null
                : await ScalarAsync<uint?>(connection, "SELECT to_regclass(@name)::oid", ("name", PgIdentifier.Quote(target.Schema, target.Name)), cancellationToken);
            if (id is { } oid)
            {
                ids.Add(oid);
            }
        }

        if (info.Kind == StatementKind.DropSchema)
        {
            await using var command = new NpgsqlCommand(
                "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY(@schemas)", connection);
            command.Parameters.AddWithValue("schemas", info.Targets.Select(t => t.Name).ToArray());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetFieldValue<uint>(0));
            }
        }
        else if (info.Kind == StatementKind.Truncate && info.Cascade && ids.Count > 0)
        {
            await using var command = new NpgsqlCommand(CascadeSql, connection);
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Oid) { Value = ids.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            ids.Clear();
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetFieldValue<uint>(0));
            }
        }

        return await TableSizes.ReadAsync(connection, ids, cancellationToken);
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, string sql, (string Name, object Value) parameter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(parameter.Name, parameter.Value);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull or null ? default : (T)value;
    }
}

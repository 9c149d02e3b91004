using Npgsql;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// Constraints marked NOT VALID (added without checking the existing rows; docs: "ALTER TABLE → ADD CONSTRAINT …
/// NOT VALID"), named <c>schema.table.constraint</c> as <see cref="Drills.DatabaseFingerprint.NotValidConstraints"/> names them.
/// </summary>
internal static class NotValidConstraints
{
    private const string Query = """
        SELECT n.nspname || '.' || coalesce(c.relname, '') || '.' || co.conname
        FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace LEFT JOIN pg_class c ON c.oid = co.conrelid
        WHERE NOT co.convalidated AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
        """;

    public static async Task<IReadOnlySet<string>> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(Query, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Backstop.Postgres;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Tools;
using Npgsql;

namespace Backstop.Recovery.Snapshots;

/// <summary>A table's data entry in the dump: the file pg_restore reads its rows from, and the columns of its COPY statement in order.</summary>
internal sealed record DataEntry(string Schema, string Name, string File, IReadOnlyList<string> Columns)
{
    public string QualifiedName => $"{Schema}.{Name}";
}

/// <summary>
/// The dump a snapshot fills in, made without copying any data: production's schema (from the snapshot) restored into
/// an empty database of the sandbox, its sequences set to production's values, then dumped with pg_dump in directory
/// format. Its toc.dat lists a TABLE DATA entry per table with a data file (<c>NNNN.dat</c>, NNNN the entry's dump id)
/// that pg_restore feeds to <c>COPY … FROM stdin</c>; the snapshot writes the masked rows into those files. pg_restore
/// reads COPY text rows up to the end of the file (the <c>\.</c> terminator is optional) and also finds
/// <c>NNNN.dat.gz</c> (PostgreSQL 15, pg_backup_directory.c and compress_io.c).
/// </summary>
internal static partial class DumpSkeleton
{
    public const string SchemaDatabase = "backstop_snapshot_schema";

    private const string ColumnsSql = """
        SELECT c.oid, n.nspname, c.relname, array(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r'
        """;

    /// <returns>the data entry of each table, by qualified name.</returns>
    public static async Task<IReadOnlyDictionary<string, DataEntry>> CreateAsync(
        PgUrl source, string snapshot, PgUrl sandbox, string workDirectory, string dumpDirectory, IReadOnlyList<(string Schema, string Name, long LastValue)> sequences, CancellationToken cancellationToken)
    {
        var schemaFile = Path.Combine(workDirectory, "schema.dump");
        Check(await ClientTool.RunAsync(
            "pg_dump", ["--schema-only", "--format=custom", "--no-owner", "--no-privileges", "--snapshot", snapshot, "--no-password", "--file", schemaFile], source, cancellationToken: cancellationToken), "pg_dump --schema-only of the source");

        var empty = sandbox.WithDatabase(SchemaDatabase);
        await Backups.DumpRestorer.CreateDatabaseAsync(sandbox, SchemaDatabase, cancellationToken, "UTF8");
        Check(await ClientTool.RunAsync(
            "pg_restore", ["--exit-on-error", "--no-owner", "--no-privileges", "--no-password", "--dbname", SchemaDatabase, schemaFile], empty, cancellationToken: cancellationToken), "pg_restore of the source's schema into the sandbox");
        File.Delete(schemaFile);

        var entries = new Dictionary<uint, (string Schema, string Name, string[] Columns)>();
        await using (var connection = new NpgsqlConnection(empty.ToConnectionString()))
        {
            await connection.OpenAsync(cancellationToken);
            foreach (var (schema, name, lastValue) in sequences)
            {
                await using var setval = new NpgsqlCommand("SELECT setval($1::regclass, $2, true)", connection);
                setval.Parameters.AddWithValue(PgIdentifier.Quote(schema, name));
                setval.Parameters.AddWithValue(lastValue);
                await setval.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var command = new NpgsqlCommand(ColumnsSql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                entries[reader.GetFieldValue<uint>(0)] = (reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3));
            }
        }

        Check(await ClientTool.RunAsync(
            "pg_dump", ["--format=directory", "--compress", "0", "--no-owner", "--no-privileges", "--no-password", "--file", dumpDirectory], empty, cancellationToken: cancellationToken), "pg_dump of the schema");
        var list = await ClientTool.RunAsync("pg_restore", ["--list", dumpDirectory], null, cancellationToken: cancellationToken);
        Check(list, "pg_restore --list of the schema's dump");

        // "3351; 0 16407 TABLE DATA public a postgres": dump id; catalog oid (0 for data); the table's oid.
        var result = new Dictionary<string, DataEntry>(StringComparer.Ordinal);
        foreach (var line in list.Output.Split('\n'))
        {
            var match = TableDataLine().Match(line);
            if (match.Success && entries.TryGetValue(uint.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), out var table))
            {
                var entry = new DataEntry(table.Schema, table.Name, Path.Combine(dumpDirectory, match.Groups[1].Value + ".dat"), table.Columns);
                result[entry.QualifiedName] = entry;
            }
        }

        return result;
    }

    private static void Check(ToolResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new SnapshotException($"{what} failed (exit {result.ExitCode}): {result.ErrorSummary()}");
        }
    }

    [GeneratedRegex(@"^(\d+); \d+ (\d+) TABLE DATA ")]
    private static partial Regex TableDataLine();
}

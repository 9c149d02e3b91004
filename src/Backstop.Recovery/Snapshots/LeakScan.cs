using System.IO.Compression;
using System.Text;
using Backstop.Postgres;
using Npgsql;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// Looks for sampled original values in what a snapshot hands out: in the restored database, every text-like column
/// of every table equal to one (one query per table, the values as an array parameter); in the snapshot's files, every
/// occurrence anywhere, also inside longer text (<see cref="LeakMatcher"/>: the data files as they are written, the others read back). Any hit fails
/// the snapshot.
/// </summary>
internal static class LeakScan
{
    private const string TextColumnsSql = """
        SELECT n.nspname, c.relname, array_agg(a.attname ORDER BY a.attnum)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_type ty ON ty.oid = a.atttypid
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
          AND (ty.typcategory = 'S' OR ty.typname IN ('json', 'jsonb', 'xml'))
        GROUP BY 1, 2
        """;

    /// <param name="jobs">tables scanned at once, each on its own connection.</param>
    public static async Task<IReadOnlyList<LeakHit>> ScanDatabaseAsync(string connectionString, LeakSamples samples, int jobs, CancellationToken cancellationToken)
    {
        var hits = new System.Collections.Concurrent.ConcurrentBag<LeakHit>();
        if (samples.Count == 0)
        {
            return [];
        }

        var values = samples.Values.ToArray();
        var tables = new List<(string Schema, string Name, string[] Columns)>();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(TextColumnsSql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2)));
            }
        }

        await Parallel.ForEachAsync(tables, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, jobs), CancellationToken = cancellationToken }, async (table, token) =>
        {
            var (schema, name, columns) = table;
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(token);

            // One scan of the table: each column's values that equal a sampled one, with the column's position.
            var pairs = columns.Select((c, i) => $"({i}, t.{PgIdentifier.Quote(c)}::text)");
            var sql = $"SELECT DISTINCT m.col, m.v FROM ONLY {PgIdentifier.Quote(schema, name)} t CROSS JOIN LATERAL (VALUES {string.Join(", ", pairs)}) m(col, v) WHERE m.v = ANY($1) LIMIT 100";
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await command.ExecuteReaderAsync(token);
            while (await reader.ReadAsync(token))
            {
                var foundIn = $"{schema}.{name}.{columns[reader.GetInt32(0)]}";
                foreach (var source in samples.SourcesOf(reader.GetString(1)))
                {
                    hits.Add(new LeakHit(source, foundIn));
                }
            }
        });

        return hits.Distinct().ToList();
    }

    /// <summary>
    /// Files under <paramref name="directory"/> not in <paramref name="scanned"/> (which were searched as they were
    /// written), <c>.gz</c> ones decompressed, searched for every sampled value: toc.dat (the schema, defaults,
    /// comments) and the data files pg_dump wrote itself.
    /// </summary>
    public static async Task ScanFilesAsync(string directory, LeakMatcher matcher, IReadOnlySet<string> scanned, CancellationToken cancellationToken)
    {
        if (matcher.IsEmpty)
        {
            return;
        }

        var buffer = new char[1 << 16];
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(directory, file);
            if (scanned.Contains(relative))
            {
                continue;
            }

            await using var raw = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            await using Stream stream = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(raw, CompressionMode.Decompress) : raw;

            // toc.dat is binary; decoded as UTF-8 (invalid bytes replaced) the text it holds is still found.
            using var reader = new StreamReader(stream, new UTF8Encoding(false, false), false, 1 << 16);
            var scanner = matcher.Scanner(relative);
            int read;
            while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
            {
                scanner.Feed(buffer.AsSpan(0, read));
            }

            scanner.Complete();
        }
    }
}

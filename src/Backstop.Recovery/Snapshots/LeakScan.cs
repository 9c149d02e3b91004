using System.Buffers;
using System.IO.Compression;
using System.Text;
using Backstop.Postgres;
using Npgsql;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// Looks for sampled original values in what a snapshot hands out: in the restored database, every text-like column
/// of every table equal to one (one query per table, the values as an array parameter); in the snapshot's files, every
/// occurrence anywhere, also inside longer text (each file streamed through a multi-string matcher). Any hit fails
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

    public static async Task<IReadOnlyList<LeakHit>> ScanDatabaseAsync(string connectionString, LeakSamples samples, CancellationToken cancellationToken)
    {
        var hits = new List<LeakHit>();
        if (samples.Count == 0)
        {
            return hits;
        }

        var values = samples.Values.ToArray();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var tables = new List<(string Schema, string Name, string[] Columns)>();
        await using (var command = new NpgsqlCommand(TextColumnsSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2)));
            }
        }

        foreach (var (schema, name, columns) in tables)
        {
            // One scan of the table: each column's values that equal a sampled one, with the column's name.
            var pairs = columns.Select((c, i) => $"({i}, t.{PgIdentifier.Quote(c)}::text)");
            var sql = $"SELECT DISTINCT m.col, m.v FROM {PgIdentifier.Quote(schema, name)} t CROSS JOIN LATERAL (VALUES {string.Join(", ", pairs)}) m(col, v) WHERE m.v = ANY($1) LIMIT 100";
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var foundIn = $"{schema}.{name}.{columns[reader.GetInt32(0)]}";
                hits.AddRange(samples.SourcesOf(reader.GetString(1)).Select(source => new LeakHit(source, foundIn)));
            }
        }

        return hits.Distinct().ToList();
    }

    /// <summary>Every file under <paramref name="directory"/>, <c>.gz</c> ones decompressed, searched for every sampled value as it would be written there (COPY-escaped) and as it is.</summary>
    public static async Task<IReadOnlyList<LeakHit>> ScanFilesAsync(string directory, LeakSamples samples, CancellationToken cancellationToken)
    {
        var hits = new HashSet<LeakHit>();
        if (samples.Count == 0)
        {
            return [];
        }

        var patterns = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in samples.Values)
        {
            patterns.TryAdd(value, value);
            patterns.TryAdd(CopyText.Escape(value), value);
        }

        var matcher = SearchValues.Create(patterns.Keys.ToArray(), StringComparison.Ordinal);
        var longest = patterns.Keys.Max(p => p.Length);
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(directory, file);
            await using var raw = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            await using Stream stream = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(raw, CompressionMode.Decompress) : raw;

            // toc.dat is binary; decoding it as UTF-8 still finds the text it holds (schema, defaults, comments).
            using var reader = new StreamReader(stream, new UTF8Encoding(false, false), false, 1 << 20);
            var buffer = new char[(1 << 20) + longest];
            var kept = 0;
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory(kept, buffer.Length - kept), cancellationToken)) > 0 || kept > 0)
            {
                var length = kept + read;
                var window = buffer.AsSpan(0, length);
                var offset = 0;
                while (window[offset..].IndexOfAny(matcher) is var at && at >= 0)
                {
                    var position = offset + at;
                    foreach (var (pattern, value) in patterns)
                    {
                        if (window[position..].StartsWith(pattern, StringComparison.Ordinal))
                        {
                            foreach (var source in samples.SourcesOf(value))
                            {
                                hits.Add(new LeakHit(source, relative));
                            }
                        }
                    }

                    offset = position + 1;
                }

                if (read == 0)
                {
                    break;
                }

                // Keep the tail that could be the start of a match cut by the buffer's end.
                kept = Math.Min(longest - 1, length);
                window[(length - kept)..].CopyTo(buffer);
            }
        }

        return hits.ToList();
    }
}

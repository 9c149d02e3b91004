using System.Globalization;
using System.Text;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>
/// One side of a comparison: a connection to a database holding the table. Reads per-bucket hashes (rows are put in
/// buckets by a hash of their key) and, for the buckets that differ, the rows themselves, streamed with COPY in
/// PostgreSQL's text format: a key and its values are kept as that exact text, which is equal on two sides exactly
/// when the values are.
/// </summary>
public sealed class TableSnapshot(NpgsqlConnection connection, RepairTable table, string? where, int bucketBits)
{
    public NpgsqlConnection Connection { get; } = connection;

    private long Mask => (1L << bucketBits) - 1;

    private string KeyHash => $"(hash_record_extended(ROW({string.Join(", ", table.Key.Select(k => k.HashExpression("r")))}), 0) & {Mask.ToString(CultureInfo.InvariantCulture)})";

    private string RowHash => $"hash_record_extended(ROW({string.Join(", ", table.Key.Concat(table.Columns).Select(c => c.HashExpression("r")))}), 1)";

    private string Filter => where is null ? "" : $" WHERE ({where})";

    /// <summary>Per bucket: how many rows and the sum of their hashes (key and repaired columns).</summary>
    public async Task<Dictionary<int, (long Rows, string Sum)>> BucketsAsync(CancellationToken cancellationToken)
    {
        await PrepareAsync(cancellationToken);
        var sql = $"SELECT {KeyHash}::int AS b, count(*), sum({RowHash})::text FROM {table.Quoted} AS r{Filter} GROUP BY 1";
        var result = new Dictionary<int, (long, string)>();
        await using var command = new NpgsqlCommand(sql, Connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetInt32(0)] = (reader.GetInt64(1), reader.GetString(2));
        }

        return result;
    }

    /// <summary>The rows of the given buckets: key text → values text (of <paramref name="columns"/>, tab-separated as COPY writes them).</summary>
    public async Task<Dictionary<string, string>> RowsAsync(IReadOnlyCollection<int> buckets, IReadOnlyList<RepairColumn> columns, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (buckets.Count == 0)
        {
            return result;
        }

        await PrepareAsync(cancellationToken);
        var list = string.Join(",", buckets.Select(b => b.ToString(CultureInfo.InvariantCulture)));
        var bucketFilter = $"{KeyHash}::int = ANY ('{{{list}}}'::int[])";
        var select = string.Join(", ", table.Key.Concat(columns).Select(c => "r." + c.Quoted));
        var sql = $"COPY (SELECT {select} FROM {table.Quoted} AS r WHERE {bucketFilter}{(where is null ? "" : $" AND ({where})")}) TO STDOUT";
        using var reader = await Connection.BeginTextExportAsync(sql, cancellationToken);
        var keyFields = table.Key.Count;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            var split = NthTab(line, keyFields);
            result[split < 0 ? line : line[..split]] = split < 0 ? "" : line[(split + 1)..];
        }

        return result;
    }

    private async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await using var settings = new NpgsqlCommand(Drills.Fingerprinter.SessionSettings, Connection);
        await settings.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Index of the <paramref name="n"/>-th tab (1-based), or -1.</summary>
    private static int NthTab(string line, int n)
    {
        var index = -1;
        for (var i = 0; i < n; i++)
        {
            index = line.IndexOf('\t', index + 1);
            if (index < 0)
            {
                return -1;
            }
        }

        return index;
    }

    /// <summary>Splits a COPY text line into its fields (still escaped).</summary>
    public static string[] Fields(string text) => text.Split('\t');

    /// <summary>A COPY text field as a person reads it: \N is NULL, escapes undone.</summary>
    public static string Display(string field)
    {
        if (field == "\\N")
        {
            return "NULL";
        }

        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var builder = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 1 < field.Length)
            {
                i++;
                builder.Append(field[i] switch { 't' => '\t', 'n' => '\n', 'r' => '\r', '\\' => '\\', var c => c });
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }
}

using System.Globalization;
using System.Text;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>How rows are put in buckets: by ranges of an integer key (a mistake on a range of keys touches only those
/// buckets, and their rows are read through the key's index), or by a hash of the key.</summary>
public sealed record Bucketing(string Expression)
{
    /// <summary>For range buckets: the key column (quoted), the smallest key and how many keys each bucket spans.</summary>
    public (string Key, long Low, long Step)? Range { get; private init; }

    public static Bucketing ByHash(RepairTable table, int bits) =>
        new($"(hash_record_extended(ROW({string.Join(", ", table.Key.Select(k => k.HashExpression("r")))}), 0) & {((1L << bits) - 1).ToString(CultureInfo.InvariantCulture)})");

    /// <summary>Ranges of <paramref name="step"/> keys from <paramref name="low"/>: bucket = (key − low) / step.</summary>
    public static Bucketing ByRange(RepairTable table, long low, long step) =>
        new($"((r.{table.Key[0].Quoted}::bigint - {low.ToString(CultureInfo.InvariantCulture)}) / {step.ToString(CultureInfo.InvariantCulture)})::int")
        {
            Range = (table.Key[0].Quoted, low, step),
        };

    /// <summary>
    /// The condition that selects the rows of <paramref name="buckets"/> out of <paramref name="all"/>: none when every
    /// bucket is wanted; for range buckets that are a small part of the table and a key with a btree index
    /// (<paramref name="keyIndexed"/>), the merged key ranges, joined so that each is an index range scan rather than
    /// a scan of the whole table; otherwise the bucket expression.
    /// </summary>
    public (string Join, string Filter) Select(IReadOnlyCollection<int> buckets, int all, bool keyIndexed)
    {
        if (buckets.Count >= all)
        {
            return ("", "true");
        }

        if (Range is var (key, low, step) && keyIndexed && buckets.Count * 4L <= all)
        {
            var ranges = KeyRanges(low, step, buckets);
            static string Array(IEnumerable<long> values) => $"'{{{string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}}}'::bigint[]";

            // Names no table column is likely to have, so that a --where naming its own "low" or "high" stays unambiguous.
            return (
                $" JOIN unnest({Array(ranges.Select(r => r.Low))}, {Array(ranges.Select(r => r.High))}) AS backstop_range(backstop_low, backstop_high)" +
                $" ON r.{key} BETWEEN backstop_range.backstop_low AND backstop_range.backstop_high",
                "true");
        }

        return ("", $"{Expression}::int = ANY ('{{{string.Join(",", buckets.Select(b => b.ToString(CultureInfo.InvariantCulture)))}}}'::int[])");
    }

    /// <summary>
    /// The keys of range buckets <paramref name="buckets"/> (bucket b holds low + b·step to low + (b + 1)·step − 1), as
    /// inclusive ranges in order, adjacent buckets merged; the last bucket ends at <see cref="long.MaxValue"/> at most.
    /// </summary>
    public static IReadOnlyList<(long Low, long High)> KeyRanges(long low, long step, IEnumerable<int> buckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        var ranges = new List<(long Low, long High)>();
        foreach (var bucket in buckets.Distinct().Order())
        {
            var from = checked(low + (bucket * step));
            var to = from > long.MaxValue - (step - 1) ? long.MaxValue : from + (step - 1);
            if (ranges.Count > 0 && ranges[^1].High != long.MaxValue && ranges[^1].High + 1 == from)
            {
                ranges[^1] = (ranges[^1].Low, to);
            }
            else
            {
                ranges.Add((from, to));
            }
        }

        return ranges;
    }
}

/// <summary>
/// One side of a comparison: a connection to a database holding the table. Reads per-bucket hashes and, for the
/// buckets that differ, the rows themselves, streamed with COPY in PostgreSQL's text format: a key and its values are
/// kept as that exact text, which is equal on two sides exactly when the values are.
/// </summary>
public sealed class TableSnapshot(NpgsqlConnection connection, RepairTable table, string? where, Bucketing bucketing)
{
    public NpgsqlConnection Connection { get; } = connection;

    private string KeyHash => bucketing.Expression;

    private string RowHash => $"hash_record_extended(ROW({string.Join(", ", table.Key.Concat(table.Columns).Select(c => c.HashExpression("r")))}), 1)";

    /// <summary>The smallest and largest key, for range buckets (a single integer key); null when the table is empty.</summary>
    public async Task<(long Low, long High)?> KeyRangeAsync(CancellationToken cancellationToken)
    {
        var key = table.Key[0].Quoted;
        await using var command = new NpgsqlCommand($"SELECT min(r.{key})::bigint, max(r.{key})::bigint FROM {table.Quoted} AS r{Filter}", Connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.IsDBNull(0) ? null : (reader.GetInt64(0), reader.GetInt64(1));
    }

    // A newline before the closing parenthesis, so that a trailing -- comment in the condition cannot swallow it.
    private string Filter => where is null ? "" : $" WHERE ({where}\n)";

    /// <summary>Per bucket: how many rows and the XOR of their hashes (key and repaired columns; keys are unique, so no two rows cancel out).</summary>
    public async Task<Dictionary<int, (long Rows, string Sum)>> BucketsAsync(CancellationToken cancellationToken)
    {
        // The planner takes the bucket expression to have as many values as the key and so expects a group per row: it
        // sorts the whole table to group it. There are about a thousand rows per bucket, so hashing the groups needs
        // little memory and is twice as fast on a 10M-row table (docs/benchmarks.md). Set for this query only.
        var sql = $"SET LOCAL enable_sort = off; SELECT {KeyHash}::int AS b, count(*), bit_xor({RowHash})::text FROM {table.Quoted} AS r{Filter} GROUP BY 1; SET LOCAL enable_sort TO DEFAULT";
        var result = new Dictionary<int, (long, string)>();
        await using var command = new NpgsqlCommand(sql, Connection) { CommandTimeout = 0 };
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                result[reader.GetInt32(0)] = (reader.GetInt64(1), reader.GetString(2));
            }

            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }

        return result;
    }

    /// <summary>
    /// The rows of the given buckets (of <paramref name="allBuckets"/> in all): key text → values text (of
    /// <paramref name="columns"/>, tab-separated as COPY writes them).
    /// </summary>
    public async Task<Dictionary<string, string>> RowsAsync(IReadOnlyCollection<int> buckets, int allBuckets, IReadOnlyList<RepairColumn> columns, CancellationToken cancellationToken)
    {
        if (buckets.Count == 0)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        var (join, bucketFilter) = bucketing.Select(buckets, allBuckets, bucketing.Range is not null && await KeyIndexedAsync(cancellationToken));
        var select = string.Join(", ", table.Key.Concat(columns).Select(c => "r." + c.Quoted));
        var sql = $"COPY (SELECT {select} FROM {table.Quoted} AS r{join} WHERE {bucketFilter}{(where is null ? "" : $" AND ({where}\n)")}) TO STDOUT";

        // A COPY row is a protocol message of its own, and Npgsql's asynchronous line reads cost about four times what
        // synchronous ones do per row (1.5 s against 0.37 s for 1M rows, docs/benchmarks.md); so each side reads
        // synchronously on a thread of its own, and the sides still read at once.
        return await Task.Run(() => ReadRows(sql, cancellationToken), cancellationToken);
    }

    /// <summary>Whether a valid btree index on this side leads with the (single) key column, so that key ranges are index range scans.</summary>
    private async Task<bool> KeyIndexedAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT EXISTS (
                SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                WHERE i.indrelid = to_regclass(@table) AND i.indisvalid AND i.indpred IS NULL AND am.amname = 'btree' AND a.attname = @key)
            """,
            Connection);
        command.Parameters.AddWithValue("table", table.Quoted);
        command.Parameters.AddWithValue("key", table.Key[0].Name);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private Dictionary<string, string> ReadRows(string sql, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var reader = Connection.BeginTextExport(sql);
            using var cancel = cancellationToken.Register(reader.Cancel);
            var keyFields = table.Key.Count;
            while (reader.ReadLine() is { } line)
            {
                var split = NthTab(line, keyFields);
                var key = split < 0 ? line : line[..split];
                if (!result.TryAdd(key, split < 0 ? "" : line[(split + 1)..]))
                {
                    throw new RepairUsageException(
                        $"the key ({string.Join(", ", table.Key.Select(k => k.Name))}) is not unique in database '{Connection.Database}': ({string.Join(", ", key.Split('\t').Select(Display))}) appears more than once; give columns that identify one row with --key");
                }
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.QueryCanceled && cancellationToken.IsCancellationRequested)
        {
            // Cancelling the read cancels the COPY in the server, which reports it as an error of its own.
            throw new OperationCanceledException("the comparison was cancelled", e, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return result;
    }

    /// <summary>
    /// Starts the read of one side: a REPEATABLE READ, READ ONLY transaction (one consistent snapshot, and nothing in it,
    /// not a function called from <c>--where</c> either, can write), with the settings that fix text forms set LOCAL so
    /// that they end with it and never reach the repair's own run in the same session. Commit it when the reading is done.
    /// </summary>
    public static async Task<NpgsqlTransaction> BeginReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using var settings = new NpgsqlCommand("SET TRANSACTION READ ONLY; " + Drills.Fingerprinter.SessionSettings.Replace("SET ", "SET LOCAL ", StringComparison.Ordinal), connection, transaction);
        await settings.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
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

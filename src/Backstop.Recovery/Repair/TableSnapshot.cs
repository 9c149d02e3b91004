using System.Globalization;
using System.Text;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>How rows are put in buckets: by ranges of an integer key (a mistake on a range of keys touches only those
/// buckets), or by a hash of the key.</summary>
public sealed record Bucketing(string Expression)
{
    public static Bucketing ByHash(RepairTable table, int bits) =>
        new($"(hash_record_extended(ROW({string.Join(", ", table.Key.Select(k => k.HashExpression("r")))}), 0) & {((1L << bits) - 1).ToString(CultureInfo.InvariantCulture)})");

    /// <summary>Ranges of <paramref name="step"/> keys from <paramref name="low"/>: bucket = (key − low) / step.</summary>
    public static Bucketing ByRange(RepairTable table, long low, long step) =>
        new($"((r.{table.Key[0].Quoted}::bigint - {low.ToString(CultureInfo.InvariantCulture)}) / {step.ToString(CultureInfo.InvariantCulture)})::int");
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
        var sql = $"SELECT {KeyHash}::int AS b, count(*), bit_xor({RowHash})::text FROM {table.Quoted} AS r{Filter} GROUP BY 1";
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

        var list = string.Join(",", buckets.Select(b => b.ToString(CultureInfo.InvariantCulture)));
        var bucketFilter = $"{KeyHash}::int = ANY ('{{{list}}}'::int[])";
        var select = string.Join(", ", table.Key.Concat(columns).Select(c => "r." + c.Quoted));
        var sql = $"COPY (SELECT {select} FROM {table.Quoted} AS r WHERE {bucketFilter}{(where is null ? "" : $" AND ({where}\n)")}) TO STDOUT";
        using var reader = await Connection.BeginTextExportAsync(sql, cancellationToken);
        var keyFields = table.Key.Count;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            var split = NthTab(line, keyFields);
            var key = split < 0 ? line : line[..split];
            if (!result.TryAdd(key, split < 0 ? "" : line[(split + 1)..]))
            {
                throw new RepairUsageException(
                    $"the key ({string.Join(", ", table.Key.Select(k => k.Name))}) is not unique in database '{Connection.Database}': ({string.Join(", ", key.Split('\t').Select(Display))}) appears more than once; give columns that identify one row with --key");
            }
        }

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

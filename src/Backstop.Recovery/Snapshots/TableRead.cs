using System.Security.Cryptography;
using System.Text;
using Backstop.Core.Snapshots;
using Backstop.Postgres;

namespace Backstop.Recovery.Snapshots;

/// <summary>One column of a table's read: its rule and, for a rule applied in .NET, its masker and how it is read.</summary>
internal sealed record ColumnRead(SnapshotColumn Column, ColumnRule Rule, IValueMasker? Masker, MaskedRead? Read);

/// <summary>
/// The query that reads one table's kept rows, masked, inside the snapshot. <c>keep</c>, <c>sql</c> and <c>shuffle</c>
/// are done by production in the SELECT list; <c>null</c>, <c>fake</c>, <c>hash</c> and <c>set</c> by the maskers in
/// .NET. Every column comes in binary COPY as its text, but those a masker reads in their own type (an integer, a
/// timestamp); a table with no .NET masker goes byte for byte into its data file (<see cref="BinaryCopyText"/>). Tables are read with ONLY, as pg_dump does: an
/// inheritance parent's own rows, its children's in their own files.
/// <para>
/// Shuffle: the kept rows are numbered in the order of a keyed hash of each row, the column's values in the order of
/// a keyed hash of each value, and row n gets value n: a permutation of the column's own values, the same for the
/// same key and data. The keys of the hashes are HMACs of the masking key per table and column, never the key.
/// </para>
/// </summary>
internal sealed class TableRead
{
    private const string RowNumber = "\"backstop shuffled row\"";
    private const string ShuffledValue = "\"backstop shuffled value\"";

    private TableRead(SourceTable table, IReadOnlyList<ColumnRead> columns, string copySql, bool binary, string with, string? condition)
    {
        Table = table;
        Columns = columns;
        CopySql = copySql;
        Binary = binary;
        With = with;
        Condition = condition;
    }

    public SourceTable Table { get; }

    /// <summary>In the order of the dump's COPY statement.</summary>
    public IReadOnlyList<ColumnRead> Columns { get; }

    public string CopySql { get; }

    /// <summary>Read through Npgsql's binary exporter (a column is masked in .NET); else converted byte for byte.</summary>
    public bool Binary { get; }

    private string With { get; }

    private string? Condition { get; }

    private Func<IReadOnlyList<string>, TableRead>? Rebuild { get; init; }

    /// <summary>The same read with the columns in another order (the dump's).</summary>
    public TableRead WithColumnOrder(IReadOnlyList<string> columnOrder) => Rebuild!(columnOrder);

    /// <param name="columnOrder">the columns as the dump's COPY statement lists them.</param>
    public static TableRead Build(SourceTable table, IReadOnlyList<string> columnOrder, TableRule? rule, SubsetPlan plan, IMaskerFactory maskers, byte[] key)
    {
        var missing = columnOrder.Where(c => rule?.Columns.All(r => r.Column != c) != false).ToList();
        if (rule is null || missing.Count > 0)
        {
            throw new SnapshotException(
                $"{table.QualifiedName} has no rule for {string.Join(", ", missing.Select(m => table.QualifiedName + "." + m))}; nothing was written. Add a rule for each column (or exclude the table); `backstop snapshot rules` suggests them")
            { IsUsageError = true };
        }

        var columns = columnOrder.Select(name =>
        {
            var column = table.Column(name) ?? throw new SnapshotException($"{table.QualifiedName}.{name} is in the dump's schema but not in the source's catalog; run the snapshot again");
            var columnRule = rule.Columns.First(r => r.Column == name);
            return columnRule.Kind is MaskKind.Keep or MaskKind.Sql or MaskKind.Shuffle
                ? new ColumnRead(column, columnRule, null, null)
                : new ColumnRead(column, columnRule, maskers.Create(rule, columnRule, column), MaskedRead.For(column.TypeName));
        }).ToList();

        var (with, condition) = plan.RowsOf(table);
        var binary = columns.Any(c => c.Masker is not null);
        var shuffled = columns.Where(c => c.Rule.Kind == MaskKind.Shuffle).ToList();
        var ctes = new List<string>();
        string from;
        if (shuffled.Count == 0)
        {
            from = $"ONLY {table.Quoted} t{Where(condition)}";
        }
        else
        {
            var rowSalt = PgLiteral.Quote(Salt(key, $"rows:{table.QualifiedName}"));
            ctes.Add($"\"backstop rows\" AS (SELECT t.*, row_number() OVER (ORDER BY md5({rowSalt} || t::text), t::text) AS {RowNumber} FROM ONLY {table.Quoted} t{Where(condition)})");
            from = "\"backstop rows\" t";
            for (var i = 0; i < shuffled.Count; i++)
            {
                var column = PgIdentifier.Quote(shuffled[i].Column.Name);
                var salt = PgLiteral.Quote(Salt(key, $"values:{table.QualifiedName}.{shuffled[i].Column.Name}"));
                ctes.Add($"\"backstop shuffle {i}\" AS (SELECT t.{column} AS {ShuffledValue}, row_number() OVER (ORDER BY md5({salt} || coalesce(t.{column}::text, '')), t.{column}::text) AS {RowNumber} FROM ONLY {table.Quoted} t{Where(condition)})");
                from += $" JOIN \"backstop shuffle {i}\" s{i} ON s{i}.{RowNumber} = t.{RowNumber}";
            }
        }

        var list = columns.Select(c =>
        {
            var name = PgIdentifier.Quote(c.Column.Name);
            var expression = c.Rule.Kind switch
            {
                MaskKind.Sql => $"(({c.Rule.Argument}))::{c.Column.TypeName}",
                MaskKind.Shuffle => $"s{shuffled.IndexOf(c)}.{ShuffledValue}",
                _ => $"t.{name}",
            };
            return c.Read is { AsText: false } ? expression : $"({expression})::text";
        });
        var allWith = CombineWith(with, ctes);
        var select = $"{allWith}SELECT {string.Join(", ", list)} FROM {from}";
        var copy = $"COPY ({select}) TO STDOUT (FORMAT binary)";
        return new TableRead(table, columns, copy, binary, with, condition) { Rebuild = order => Build(table, order, rule, plan, maskers, key) };
    }

    /// <summary>
    /// The query that samples up to <paramref name="limit"/> distinct original values (longer than 3 characters) of a
    /// masked column among the kept rows, for the leak scan; bounded by reading at most 5× that many rows.
    /// </summary>
    public string SampleSql(ColumnRead column, int limit)
    {
        var name = "t." + PgIdentifier.Quote(column.Column.Name);
        var condition = (Condition is null ? "" : $"({Condition}) AND ") + $"length({name}::text) > 3";
        return $"{With}SELECT DISTINCT v FROM (SELECT {name}::text AS v FROM ONLY {Table.Quoted} t WHERE {condition} LIMIT {limit * 5}) s LIMIT {limit}";
    }

    /// <summary>Counts the table's rows in the snapshot (for a subsetted table: before the subset).</summary>
    public string CountSql => $"SELECT count(*) FROM ONLY {Table.Quoted}";

    private static string Where(string? condition) => condition is null ? "" : $" WHERE {condition}";

    private static string CombineWith(string with, List<string> more)
    {
        if (more.Count == 0)
        {
            return with;
        }

        return with.Length == 0 ? "WITH " + string.Join(",\n     ", more) + "\n" : with.TrimEnd() + ",\n     " + string.Join(",\n     ", more) + "\n";
    }

    /// <summary>A per-purpose salt from the masking key: revealing it reveals an order, never the key.</summary>
    private static string Salt(byte[] key, string purpose) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("backstop-shuffle:" + purpose)));
}

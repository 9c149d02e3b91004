using System.Text;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>
/// Which rows of each table of a <see cref="RepairGraph"/> a mistake on the root's rows could have reached, by key, read
/// in the state before the mistake: the root rows the user's condition names, then, table by table, the rows whose
/// foreign key points at rows already in scope, until no table gains a row (a cycle of foreign keys ends there). The
/// comparison then reads exactly those keys on every side, so later writes to other rows (other tenants) are never
/// taken for the mistake, and nobody writes a subquery by hand.
/// </summary>
internal static class RepairScope
{
    /// <summary>Separates the fields of a key held as one string: PostgreSQL text never contains NUL.</summary>
    private const char FieldSeparator = '\0';

    /// <summary>Key tuples per table (the graph's quoted names), each a string of the key columns' text forms.</summary>
    /// <param name="before">the state before the mistake, in a read-only transaction of the caller's</param>
    /// <param name="where">the user's condition on the root table</param>
    public static async Task<Dictionary<string, HashSet<string>>> KeysAsync(
        NpgsqlConnection before, string sourceName, RepairGraph graph, IReadOnlyDictionary<string, RepairTable> tables, string where, IProgress<string> progress,
        CancellationToken cancellationToken)
    {
        var root = tables[graph.Tables[0]];
        var keys = graph.Tables.ToDictionary(t => t, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        keys[graph.Tables[0]].UnionWith(await ReadKeysAsync(before, root, $"({where}\n)", cancellationToken));
        if (keys[graph.Tables[0]].Count == 0)
        {
            throw new RepairNotFoundException(
                $"--where matches no row of {root.QualifiedName} in {sourceName}, the state before the mistake; nothing was repaired. Check the condition, or give an earlier --incident-at");
        }

        var pending = new Queue<(string Table, HashSet<string> Added)>();
        pending.Enqueue((graph.Tables[0], keys[graph.Tables[0]]));
        while (pending.TryDequeue(out var next))
        {
            foreach (var edge in graph.Edges.Where(e => e.Parent == next.Table))
            {
                var parent = tables[edge.Parent];
                var child = tables[edge.Child];
                var childColumns = string.Join(", ", edge.ChildColumns.Select(c => "r." + Postgres.PgIdentifier.Quote(c)));
                var parentColumns = string.Join(", ", edge.ParentColumns.Select(c => "p." + Postgres.PgIdentifier.Quote(c)));
                var condition = $"({childColumns}) IN (SELECT {parentColumns} FROM {parent.Quoted} AS p WHERE {Condition(parent, next.Added, "p")})";
                var added = (await ReadKeysAsync(before, child, condition, cancellationToken)).Where(k => keys[edge.Child].Add(k)).ToHashSet(StringComparer.Ordinal);
                if (added.Count > 0)
                {
                    pending.Enqueue((edge.Child, added));
                }
            }
        }

        progress.Report($"rows in reach: {string.Join(", ", graph.Tables.Select(t => $"{tables[t].QualifiedName} {keys[t].Count:N0}"))}");
        return keys;
    }

    /// <summary>
    /// The rows of <paramref name="table"/> (aliased <paramref name="alias"/>) whose key is one of <paramref name="keys"/>:
    /// the keys go in as array literals of the key columns' types, one per column, read back with unnest.
    /// </summary>
    public static string Condition(RepairTable table, IReadOnlyCollection<string> keys, string alias = "r")
    {
        if (keys.Count == 0)
        {
            return "false";
        }

        var columns = string.Join(", ", table.Key.Select(k => $"{alias}.{k.Quoted}"));
        var arrays = table.Key.Select((k, i) => $"{Postgres.PgLiteral.QuoteEscaped(ArrayText(keys.Select(key => key.Split(FieldSeparator)[i])))}::{k.Type}[]");
        return $"({columns}) IN (SELECT * FROM unnest({string.Join(", ", arrays)}))";
    }

    private static async Task<List<string>> ReadKeysAsync(NpgsqlConnection connection, RepairTable table, string condition, CancellationToken cancellationToken)
    {
        var select = string.Join(", ", table.Key.Select(k => $"r.{k.Quoted}::text"));
        await using var command = new NpgsqlCommand($"SELECT {select} FROM {table.Quoted} AS r WHERE {condition}", connection) { CommandTimeout = 0 };
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(string.Join(FieldSeparator, Enumerable.Range(0, reader.FieldCount).Select(reader.GetString)));
        }

        return keys;
    }

    /// <summary>An array literal of text elements, each double-quoted with its quotes and backslashes escaped.</summary>
    private static string ArrayText(IEnumerable<string> elements)
    {
        var text = new StringBuilder("{");
        foreach (var element in elements)
        {
            if (text.Length > 1)
            {
                text.Append(',');
            }

            text.Append('"').Append(element.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }

        return text.Append('}').ToString();
    }
}

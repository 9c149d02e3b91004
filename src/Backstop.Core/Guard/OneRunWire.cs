using System.Globalization;
using Npgsql;

namespace Backstop.Core.Guard;

/// <summary>
/// How the one-run way's batches reach the database: as one pipeline of statements (one Sync), rows in text. On a
/// plain connection that is Npgsql (<see cref="NpgsqlOneRunWire"/>); the proxy speaks to the client's upstream connection
/// directly, a round trip without the two extra hops of lending it to Npgsql (docs/proxy.md, "One run").
/// </summary>
public interface IOneRunWire
{
    /// <summary>Runs <paramref name="statements"/> in order, up to the first error, which ends the pipeline. Rows are kept
    /// only of the sets <see cref="WireRows.Kept"/> names.</summary>
    Task<WireReply> RunAsync(IReadOnlyList<WireStatement> statements, CancellationToken cancellationToken);
}

/// <summary>One statement of a pipeline; its parameters are <see cref="Guid"/> (uuid), <see cref="string"/> (text) or <see cref="long"/> (bigint).</summary>
public sealed record WireStatement(string Sql, params object[] Parameters);

/// <summary>The rows of one statement that returned some (its columns named), in text; null is SQL NULL.</summary>
public sealed record WireRows(IReadOnlyList<string> Columns, IReadOnlyList<string?[]> Rows)
{
    /// <summary>
    /// Whether a wire keeps the rows of a set with these columns: only the guard's own, whose first column is named
    /// <c>backstop_…</c>. A statement's RETURNING rows are never read by the guard and may be millions: skipped.
    /// </summary>
    public static bool Kept(IReadOnlyList<string> columns) => columns.Count > 0 && columns[0].StartsWith("backstop_", StringComparison.Ordinal);
}

/// <summary>
/// What came back: the row sets of the statements that return rows, in order; per statement the command tag it
/// completed with (null: it did not complete); the error that ended the pipeline, and the statement it came from when
/// the wire can tell.
/// </summary>
public sealed record WireReply(IReadOnlyList<WireRows> Sets, IReadOnlyList<string?> Tags, PostgresException? Error, int? FailedIndex)
{
    /// <exception cref="PostgresException">the pipeline failed.</exception>
    public WireReply ThrowIfFailed() => Error is null ? this : throw Error;
}

/// <summary>The connection a statement is guarded on: a wire for the one-run way, and Npgsql for everything else.</summary>
public abstract class GuardLink
{
    public abstract IOneRunWire Wire { get; }

    /// <summary>The connection as Npgsql; once asked for, the wire is not used again for this statement.</summary>
    public abstract ValueTask<NpgsqlConnection> NpgsqlAsync();

    /// <summary>A plain Npgsql connection, which is its own wire.</summary>
    public static GuardLink Of(NpgsqlConnection connection) => new Plain(connection);

    private sealed class Plain(NpgsqlConnection connection) : GuardLink
    {
        public override IOneRunWire Wire { get; } = new NpgsqlOneRunWire(connection);

        public override ValueTask<NpgsqlConnection> NpgsqlAsync() => ValueTask.FromResult(connection);
    }
}

/// <summary>The one-run pipeline as an Npgsql batch; the guard's queries cast what they return to text.</summary>
public sealed class NpgsqlOneRunWire(NpgsqlConnection connection) : IOneRunWire
{
    public async Task<WireReply> RunAsync(IReadOnlyList<WireStatement> statements, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var statement in statements)
        {
            var command = new NpgsqlBatchCommand(statement.Sql);
            foreach (var value in statement.Parameters)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            batch.BatchCommands.Add(command);
        }

        var sets = new List<WireRows>();
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            do
            {
                if (reader.FieldCount == 0)
                {
                    continue;
                }

                var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
                var rows = new List<string?[]>();
                while (WireRows.Kept(columns) && await reader.ReadAsync(cancellationToken))
                {
                    var row = new string?[reader.FieldCount];
                    for (var i = 0; i < row.Length; i++)
                    {
                        row[i] = reader.IsDBNull(i) ? null : Text(reader, i);
                    }

                    rows.Add(row);
                }

                sets.Add(new WireRows(columns, rows));
            }
            while (await reader.NextResultAsync(cancellationToken));
        }
        catch (PostgresException e)
        {
            // Npgsql names the failed command for some errors only; the first one it has no completion for is it.
            var failed = e.BatchCommand is { } command ? batch.BatchCommands.IndexOf(command) : -1;
            if (failed < 0)
            {
                failed = Enumerable.Range(0, batch.BatchCommands.Count).FirstOrDefault(i => batch.BatchCommands[i].StatementType == StatementType.Unknown, -1);
            }

            return new WireReply(sets, Tags(batch), e, failed < 0 ? null : failed);
        }

        return new WireReply(sets, Tags(batch), null, null);
    }

    /// <summary>
    /// A value as text: the guard's own queries return text columns; other columns (a statement's RETURNING, which the
    /// guard does not read) as .NET words them, or null where Npgsql has no reader for the type.
    /// </summary>
    private static string? Text(NpgsqlDataReader reader, int column)
    {
        if (reader.GetFieldType(column) == typeof(string))
        {
            return reader.GetString(column);
        }

        try
        {
            return Convert.ToString(reader.GetValue(column), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is InvalidCastException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The tags of the commands that completed, as the server words them for the kinds the guard runs.</summary>
    private static string?[] Tags(NpgsqlBatch batch)
    {
        var tags = new string?[batch.BatchCommands.Count];
        for (var i = 0; i < tags.Length; i++)
        {
            var command = batch.BatchCommands[i];
            if (command.StatementType == StatementType.Unknown)
            {
                continue;
            }

            var rows = command.Rows.ToString(CultureInfo.InvariantCulture);
            tags[i] = command.StatementType switch
            {
                StatementType.Insert => "INSERT 0 " + rows,
                StatementType.Update => "UPDATE " + rows,
                StatementType.Delete => "DELETE " + rows,
                StatementType.Select => "SELECT " + rows,
                _ => command.StatementType.ToString().ToUpperInvariant(),
            };
        }

        return tags;
    }
}

/// <summary>PostgreSQL's text form of values the one-run way reads.</summary>
internal static class WireText
{
    public static bool Bool(string? text) => text is "t" or "true";

    public static long Long(string? text) => long.Parse(text!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public static long? NullableLong(string? text) => text is null ? null : Long(text);

    /// <summary>A one-dimensional array's text (docs 8.15.6): <c>{a,"b,c","d\"e",NULL}</c>; NULL elements are null.</summary>
    /// <exception cref="FormatException">not an array's text.</exception>
    public static string?[] Array(string? text)
    {
        if (text is null || text.Length < 2 || text[0] != '{' || text[^1] != '}')
        {
            throw new FormatException($"not an array: {text}");
        }

        var items = new List<string?>();
        var i = 1;
        if (text.Length == 2)
        {
            return [];
        }

        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                var item = new System.Text.StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\')
                    {
                        i++;
                    }

                    if (i >= text.Length)
                    {
                        throw new FormatException($"not an array: {text}");
                    }

                    item.Append(text[i]);
                    i++;
                }

                i++;
                items.Add(item.ToString());
            }
            else
            {
                var end = i;
                while (end < text.Length - 1 && text[end] != ',')
                {
                    end++;
                }

                var item = text[i..end];
                items.Add(item == "NULL" ? null : item);
                i = end;
            }

            if (i >= text.Length || (text[i] != ',' && text[i] != '}'))
            {
                throw new FormatException($"not an array: {text}");
            }

            i++;
        }

        return [.. items];
    }
}

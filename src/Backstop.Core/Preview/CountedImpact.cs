using Backstop.Postgres;
using Backstop.Sql.Classification;
using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>One statement of a script whose caller has counted its rows: it writes exactly <paramref name="Rows"/> rows of its table.</summary>
/// <param name="Write">Insert, Update or Delete.</param>
/// <param name="SetColumns">for an update, the columns it sets; empty otherwise.</param>
public sealed record CountedStatement(StatementKind Write, long Rows, IReadOnlyList<string> SetColumns);

/// <summary>
/// The impact of a script whose caller already knows it exactly (repair: its comparison counted every row it writes),
/// when the catalog shows that the statements declare no way to write anything but those rows: then the dry run that a preview
/// otherwise is (DESIGN.md, D2) would only repeat the count, and on a million-row repair it doubles the time, the WAL
/// and the row locks, and leaves a million dead row versions behind for the real run to wade through. The run still
/// measures every statement and is held to these counts exactly (see <see cref="Changes.ImpactComparison"/>), so a write
/// the catalog cannot show (a function called from a column default, a CHECK constraint or an index expression that
/// writes a table) is found there and rolls the change back, as is a trigger added between this check and the run.
/// </summary>
public static class CountedImpact
{
    // Anything that could make the statements write another table, or other rows of this one: a user trigger, a rule,
    // partitions or inheritance children (whose rows are counted apart), row security (which may hide rows), and a
    // foreign key from another table whose action fires on the columns written (its referenced columns, for updates;
    // any, for deletes).
    private const string CatalogSql = """
        SELECT c.relkind = 'r' AND NOT c.relhassubclass AND NOT c.relispartition AND NOT c.relhasrules AND NOT c.relrowsecurity
               AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
               coalesce((SELECT array_agg(DISTINCT a.attname::text) FROM pg_constraint f
                         CROSS JOIN unnest(f.confkey) AS k(attnum)
                         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                         WHERE f.contype = 'f' AND f.confrelid = c.oid), '{}'),
               c.oid
        FROM pg_class c WHERE c.oid = to_regclass(@name)
        """;

    /// <summary>
    /// The impacts of <paramref name="statements"/> (one per statement of the script, in order) on
    /// <paramref name="schema"/>.<paramref name="name"/>, or null when the catalog cannot show that they write only the
    /// rows counted: the caller then previews with a dry run as usual.
    /// </summary>
    public static async Task<IReadOnlyList<StatementImpact>?> TryAsync(
        NpgsqlConnection connection, string schema, string name, IReadOnlyList<CountedStatement> statements, CancellationToken cancellationToken)
    {
        if (statements.FirstOrDefault(s => s.Write is not (StatementKind.Insert or StatementKind.Update or StatementKind.Delete)) is { } other)
        {
            throw new ArgumentException($"only INSERT, UPDATE and DELETE can be counted, not {other.Write}", nameof(statements));
        }

        uint relationId;
        await using (var command = new NpgsqlCommand(CatalogSql, connection))
        {
            command.Parameters.AddWithValue("name", PgIdentifier.Quote(schema, name));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || !reader.GetBoolean(0))
            {
                return null;
            }

            // Every foreign key references at least one column, so "referenced at all" is "any referenced column".
            var referencedColumns = reader.GetFieldValue<string[]>(1).ToHashSet(StringComparer.Ordinal);
            if (statements.Any(s => s.Write == StatementKind.Delete) && referencedColumns.Count > 0
                || statements.Any(s => s.Write == StatementKind.Update && s.SetColumns.Any(referencedColumns.Contains)))
            {
                return null;
            }

            relationId = reader.GetFieldValue<uint>(2);
        }

        var size = (await TableSizes.ReadAsync(connection, [relationId], cancellationToken)).GetValueOrDefault(relationId);
        var impacts = new List<StatementImpact>(statements.Count);
        var rows = size?.Rows;
        foreach (var (statement, index) in statements.Select((s, i) => (s, i)))
        {
            impacts.Add(new StatementImpact
            {
                Index = index,
                CommandTag = statement.Write switch
                {
                    StatementKind.Insert => $"INSERT 0 {statement.Rows}",
                    StatementKind.Update => $"UPDATE {statement.Rows}",
                    _ => $"DELETE {statement.Rows}",
                },
                RowCount = statement.Rows,
                Executed = true,
                Counted = true,
                Note = "counted beforehand, not dry-run: the table has no trigger, rule, partition, row security or cascading foreign key, so the statement writes only these rows",
                Tables =
                [
                    new TableImpact
                    {
                        Schema = schema,
                        Name = name,
                        Inserted = statement.Write == StatementKind.Insert ? statement.Rows : 0,
                        Updated = statement.Write == StatementKind.Update ? statement.Rows : 0,
                        Deleted = statement.Write == StatementKind.Delete ? statement.Rows : 0,
                        RowsBefore = rows,
                        RowsBeforeEstimated = size?.Estimated ?? false,
                        HasPrimaryKey = size?.HasPrimaryKey,
                    },
                ],
            });

            // The next statement finds the table as this one leaves it; an estimate stays the planner's, as ImpactMeter has it.
            if (size is { Estimated: false })
            {
                rows = rows + (statement.Write == StatementKind.Insert ? statement.Rows : 0) - (statement.Write == StatementKind.Delete ? statement.Rows : 0);
            }
        }

        return impacts;
    }
}

using Backstop.Core.Changes;
using Backstop.Core.Preview;
using Backstop.Postgres;
using Backstop.Sql;
using Backstop.Sql.Classification;
using Npgsql;

namespace Backstop.Core.Review;

/// <summary>
/// <c>backstop review -f migration.sql</c>: runs the script as <c>check</c> previews it, in a transaction that is always
/// rolled back, reads the catalog inside that transaction, and reports what the migration would introduce: findings the
/// catalog has after it and not before, cascades that reach further, columns added NOT NULL with a volatile default (their
/// table rewritten), and CREATE INDEX without CONCURRENTLY on a big table.
/// </summary>
public static class MigrationReview
{
    // A column added with a non-volatile default keeps it as pg_attribute.attmissingval (atthasmissing) and rewrites
    // nothing; with a volatile default every row is rewritten (docs: ALTER TABLE, "Notes").
    private const string RewrittenColumnsSql = $"""
        SELECT c.oid, a.attnum, n.nspname::text, c.relname::text, a.attname::text, c.reltuples::float8
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull AND a.atthasdef AND NOT a.atthasmissing
          AND a.attgenerated = '' AND {SchemaCatalog.UserSchemas}
        """;

    public static async Task<IReadOnlyList<ReviewFinding>> ReviewAsync(
        NpgsqlConnection connection, IReadOnlyList<AnalyzedStatement> statements, PreviewBounds bounds, CancellationToken cancellationToken)
    {
        var before = await SchemaCatalog.ReadAsync(connection, cancellationToken);
        var (beforeFindings, beforeCascades) = await SchemaReviewer.SchemaFindingsAsync(connection, cancellationToken);
        var beforeColumns = (await ColumnsAsync(connection, cancellationToken)).Select(c => (c.Table, c.Number)).ToHashSet();
        IReadOnlyList<StatementImpact> impacts;
        IReadOnlyList<ReviewFinding> afterFindings;
        IReadOnlyList<CascadeReach> afterCascades;
        List<RewrittenColumn> afterColumns;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            try
            {
                var meter = new ImpactMeter(connection, preview: true, bounds.LockTimeout, bounds.StatementTimeout);
                var measured = new List<StatementImpact>(statements.Count);
                foreach (var statement in statements)
                {
                    measured.Add(await meter.MeasureAsync(statement, cancellationToken));
                }

                impacts = await meter.FlushDeferredAsync(measured, cancellationToken);
                (afterFindings, afterCascades) = await SchemaReviewer.SchemaFindingsAsync(connection, cancellationToken);
                afterColumns = await ColumnsAsync(connection, cancellationToken);
            }
            finally
            {
                if (connection.State == System.Data.ConnectionState.Open)
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                }
            }
        }

        var findings = new List<ReviewFinding>();
        var known = beforeFindings.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        findings.AddRange(afterFindings.Where(f => f.Rule != ReviewRules.CascadeBlastRadius.Id && !known.Contains(f.Key)));
        findings.AddRange(NewCascades(beforeCascades, afterCascades));
        var existingTables = before.Tables.Select(t => t.Oid).ToHashSet();
        foreach (var column in afterColumns.Where(c => existingTables.Contains(c.Table) && !beforeColumns.Contains((c.Table, c.Number))))
        {
            findings.Add(new ReviewFinding
            {
                Rule = ReviewRules.VolatileDefaultNotNull.Id,
                Severity = column.Rows >= SchemaRules.BigTableRows ? ReviewSeverity.High : ReviewSeverity.Medium,
                Object = IdentifierDisplay.Qualified(column.Schema, column.Name) + "." + IdentifierDisplay.Name(column.Column),
                Why = $"The column is added NOT NULL with a volatile default, so all {SchemaRules.Rows(Math.Max(column.Rows, 0))} rows of {IdentifierDisplay.Qualified(column.Schema, column.Name)} are rewritten under an ACCESS EXCLUSIVE lock.",
                Fix = $"-- add it nullable without a default, backfill in batches, then:\nALTER TABLE {PgIdentifier.Quote(column.Schema, column.Name)} ALTER COLUMN {PgIdentifier.Quote(column.Column)} SET NOT NULL;",
            });
        }

        foreach (var (statement, impact) in statements.Zip(impacts))
        {
            if (statement.Info is { Kind: StatementKind.Create, ObjectType: "INDEX", Lock: not null })
            {
                foreach (var table in impact.Locked.Where(t => t.RowsBefore >= SchemaRules.BigTableRows))
                {
                    findings.Add(new ReviewFinding
                    {
                        Rule = ReviewRules.BlockingCreateIndex.Id, Severity = ReviewSeverity.High,
                        Object = IdentifierDisplay.Qualified(table.Schema, table.Name),
                        Why = $"Statement {statement.Index} ({statement.Location}) builds an index on {IdentifierDisplay.Qualified(table.Schema, table.Name)} ({SchemaRules.Rows(table.RowsBefore ?? 0)} rows) without CONCURRENTLY: every write to it waits until the build ends.",
                        Fix = "-- write it as CREATE INDEX CONCURRENTLY …, in a script of its own (it cannot run in a transaction block)",
                    });
                }
            }
        }

        return ReviewReport.Suppress(findings, [], DateTimeOffset.MinValue);
    }

    private static IEnumerable<ReviewFinding> NewCascades(IReadOnlyList<CascadeReach> before, IReadOnlyList<CascadeReach> after)
    {
        var old = before.ToDictionary(r => r.Table, r => r.Steps.Select(s => s.Table + " " + s.Action).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var reach in after)
        {
            var had = old.GetValueOrDefault(reach.Table) ?? [];
            var added = reach.Steps.Where(s => !had.Contains(s.Table + " " + s.Action)).ToList();
            if (added.Count == 0)
            {
                continue;
            }

            var severity = SchemaRules.Severity(reach);
            yield return new ReviewFinding
            {
                Rule = ReviewRules.NewCascade.Id,
                Severity = severity > ReviewSeverity.High ? severity : ReviewSeverity.High,
                Object = reach.Table,
                Why = $"After the migration, deleting one row of {reach.Table} also reaches {string.Join(", ", added.Select(s => $"{s.Table} (ON DELETE {s.Action} via {s.Via}, about {SchemaRules.Rows(s.RowsWorst)} rows at worst)"))}; "
                    + $"in all about {SchemaRules.Rows(reach.RowsWorst)} rows at worst, {SchemaRules.Rows(reach.RowsAverage)} on average (estimates from statistics).",
                Cascade = reach,
            };
        }
    }

    private static async Task<List<RewrittenColumn>> ColumnsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var columns = new List<RewrittenColumn>();
        await using var command = new NpgsqlCommand(RewrittenColumnsSql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            columns.Add(new RewrittenColumn(reader.GetFieldValue<uint>(0), reader.GetInt16(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetDouble(5)));
        }

        return columns;
    }

    private sealed record RewrittenColumn(uint Table, short Number, string Schema, string Name, string Column, double Rows);
}

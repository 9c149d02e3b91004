using System.Globalization;
using Backstop.Postgres;

namespace Backstop.Core.Review;

/// <summary>The rules that need only the catalog of tables and foreign keys (pure: no database).</summary>
public static class SchemaRules
{
    /// <summary>A table with at least this many rows (estimated) is big: a full scan or a rewrite of it is felt.</summary>
    public const double BigTableRows = 100_000;

    public static IEnumerable<ReviewFinding> Evaluate(SchemaCatalog catalog, IReadOnlyList<CascadeReach> reaches)
    {
        var byOid = catalog.Tables.ToDictionary(t => t.Oid);
        foreach (var reach in reaches)
        {
            yield return BlastRadius(reach);
        }

        foreach (var key in catalog.ForeignKeys.Where(k => !k.Indexed && byOid.ContainsKey(k.Child) && byOid.ContainsKey(k.Parent)))
        {
            var child = byOid[key.Child];
            var parent = byOid[key.Parent];
            var columns = string.Join(", ", key.Columns.Select(PgIdentifier.Quote));
            var fix = $"CREATE INDEX CONCURRENTLY ON {child.Quoted} ({columns});";
            var size = child.HasStatistics ? $" ({Rows(child.Rows)} rows)" : "";
            yield return key.Reaches
                ? new ReviewFinding
                {
                    Rule = ReviewRules.CascadeWithoutIndex.Id,
                    Severity = ReviewSeverity.High,
                    Object = key.Display(child),
                    Why = $"ON DELETE {key.Action} from {parent.Display} has no index on {child.Display} ({string.Join(", ", key.Columns)}), so every delete of a {parent.Display} row scans {child.Display}{size}.",
                    Fix = fix,
                }
                : new ReviewFinding
                {
                    Rule = ReviewRules.ForeignKeyWithoutIndex.Id,
                    Severity = child.Rows >= BigTableRows ? ReviewSeverity.High : ReviewSeverity.Medium,
                    Object = key.Display(child),
                    Why = $"No index on {child.Display} ({string.Join(", ", key.Columns)}): every delete or key update of a {parent.Display} row scans {child.Display}{size} to check it.",
                    Fix = fix,
                };
        }

        foreach (var table in catalog.Tables.Where(t => !t.HasKey))
        {
            yield return new ReviewFinding
            {
                Rule = ReviewRules.TableWithoutKey.Id,
                Severity = ReviewSeverity.Medium,
                Object = table.Display,
                Why = $"{table.Display} has no primary key or unique key on NOT NULL columns, so undo and repair must match its rows by every column and cannot tell duplicates apart.",
            };
        }
    }

    /// <summary>
    /// Critical from 100,000 rows removed at worst; high from 1,000 rows or 3 tables; medium when it removes any row;
    /// low when it only sets columns to NULL or their default.
    /// </summary>
    public static ReviewSeverity Severity(CascadeReach reach) =>
        reach.RowsWorst >= 100_000 ? ReviewSeverity.Critical
        : reach.RowsWorst >= 1_000 || reach.Steps.Count >= 3 ? ReviewSeverity.High
        : reach.Steps.Any(s => s.Action == "CASCADE") ? ReviewSeverity.Medium
        : ReviewSeverity.Low;

    private static ReviewFinding BlastRadius(CascadeReach reach)
    {
        var tables = string.Join(", ", reach.Steps.Select(s => s.Table));
        var nulls = reach.Steps.Where(s => s.Action != "CASCADE").ToList();
        var updates = nulls.Count > 0 ? $"; it sets columns in {string.Join(", ", nulls.Select(s => s.Table))}" : "";
        var triggers = reach.Steps.Where(s => s.Triggers.Count > 0).Select(s => $"{s.Table} ({string.Join(", ", s.Triggers)})").ToList();
        var triggerNote = triggers.Count > 0 ? $"; DELETE triggers may write more: {string.Join(", ", triggers)}" : "";
        var missing = reach.MissingStatistics.Count > 0 ? $"; never analyzed, so not counted: {string.Join(", ", reach.MissingStatistics)} (run ANALYZE)" : "";
        return new ReviewFinding
        {
            Rule = ReviewRules.CascadeBlastRadius.Id,
            Severity = Severity(reach),
            Object = reach.Table,
            Why = $"Deleting one row of {reach.Table} reaches {reach.Steps.Count} table{(reach.Steps.Count == 1 ? "" : "s")} ({tables}) and removes about {Rows(reach.RowsWorst)} rows at worst, {Rows(reach.RowsAverage)} on average (estimates from statistics){updates}{triggerNote}{missing}.",
            Cascade = reach,
        };
    }

    internal static string Rows(double rows) => Math.Round(rows).ToString("N0", CultureInfo.InvariantCulture);
}

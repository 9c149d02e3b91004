using System.Globalization;
using Backstop.Core.Review;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>How <c>backstop review</c> shows its report: the cascades ranked, then the findings grouped by severity.</summary>
internal static class ReviewView
{
    public static void Write(IAnsiConsole console, ReviewReport report, string? migration, DateTimeOffset now)
    {
        var counted = report.Counted.ToList();
        var what = migration is null ? $"Review of {report.Environment}" : $"Review of {migration} against {report.Environment} (previewed, rolled back: nothing was changed)";
        console.MarkupLineInterpolated($"[bold]{what}[/]: {Summary(counted)}");
        if (report.Cascades.Count > 0)
        {
            console.WriteLine();
            console.MarkupLine("[bold]Blast radius of a one-row DELETE[/] [dim](estimates from statistics)[/]");
            var table = new Table().AddColumns("Table", "Reaches", "Rows at worst", "Rows on average");
            foreach (var reach in report.Cascades)
            {
                var steps = string.Join(", ", reach.Steps.Select(s => s.Action == "CASCADE" ? s.Table : $"{s.Table} ({s.Action})"));
                table.AddRow(Markup.Escape(reach.Table), Markup.Escape(steps), Rows(reach.RowsWorst), Rows(reach.RowsAverage));
            }

            console.Write(table);
        }

        foreach (var group in counted.GroupBy(f => f.Severity).OrderByDescending(g => g.Key))
        {
            console.WriteLine();
            console.MarkupLine($"[{Colour(group.Key)}]{group.Key.ToString().ToUpperInvariant()}[/] ({group.Count()})");
            foreach (var finding in group)
            {
                console.MarkupLineInterpolated($"  [bold]{finding.Rule}[/]  {finding.Object}");
                console.MarkupLineInterpolated($"    {finding.Why}");
                if (finding.Fix is not null)
                {
                    console.MarkupLineInterpolated($"    [green]fix:[/] {finding.Fix}");
                }

                if (finding.Suppression is { } expired)
                {
                    console.MarkupLineInterpolated(
                        $"    [yellow]suppression expired[/] on {expired.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} (owner {expired.Owner}: {expired.Reason}); it counts again: fix it or renew the suppression in backstop.yaml");
                }
            }
        }

        var suppressed = report.Findings.Where(f => f.Suppressed).ToList();
        if (suppressed.Count > 0)
        {
            console.WriteLine();
            console.MarkupLine($"[dim]Suppressed ({suppressed.Count}):[/]");
            foreach (var finding in suppressed)
            {
                var s = finding.Suppression!;
                console.MarkupLineInterpolated($"  [dim]{finding.Rule}  {finding.Object} — owner {s.Owner}, until {s.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}: {s.Reason}[/]");
            }
        }

        if (counted.Count == 0)
        {
            console.MarkupLine(migration is null ? "[green]Nothing to report.[/]" : "[green]The migration introduces no finding.[/]");
        }
    }

    public static object Json(ReviewReport report, string? migration, ReviewSeverity? failOn, bool failed) => new
    {
        environment = report.Environment,
        migration,
        failOn = failOn is { } f ? SarifLog.Name(f) : null,
        failed,
        counts = Enum.GetValues<ReviewSeverity>().Reverse().ToDictionary(SarifLog.Name, s => report.Counted.Count(f => f.Severity == s)),
        suppressedCount = report.Findings.Count(f => f.Suppressed),
        findings = report.Findings.Select(f => new
        {
            rule = f.Rule,
            severity = SarifLog.Name(f.Severity),
            @object = f.Object,
            why = f.Why,
            fix = f.Fix,
            suppressed = f.Suppressed,
            suppression = f.Suppression is { } s
                ? new { owner = s.Owner, reason = s.Reason, expires = s.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), expired = !f.Suppressed }
                : null,
        }),
        cascades = report.Cascades.Select(Cascade),
    };

    private static object Cascade(CascadeReach reach) => new
    {
        table = reach.Table,
        estimated = reach.Estimated,
        rowsWorst = Math.Round(reach.RowsWorst),
        rowsAverage = Math.Round(reach.RowsAverage, 1),
        triggers = reach.Triggers,
        missingStatistics = reach.MissingStatistics,
        reaches = reach.Steps.Select(s => new
        {
            table = s.Table, via = s.Via, action = s.Action, depth = s.Depth, rowsWorst = Math.Round(s.RowsWorst), rowsAverage = Math.Round(s.RowsAverage, 1),
            triggers = s.Triggers, unindexed = s.Unindexed,
        }),
    };

    private static string Summary(IReadOnlyList<ReviewFinding> counted) =>
        counted.Count == 0 ? "no findings"
        : string.Join(", ", counted.GroupBy(f => f.Severity).OrderByDescending(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));

    private static string Rows(double rows) => "about " + Math.Round(rows).ToString("N0", CultureInfo.InvariantCulture);

    private static string Colour(ReviewSeverity severity) => severity switch
    {
        ReviewSeverity.Critical => "bold red",
        ReviewSeverity.High => "red",
        ReviewSeverity.Medium => "yellow",
        ReviewSeverity.Low => "blue",
        _ => "dim",
    };
}

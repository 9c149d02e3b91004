using System.Globalization;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Postgres.Connections;
using Spectre.Console;

namespace Backstop.Cli.Rendering;

/// <summary>How a preview looks on a terminal: a banner for production, then each statement with its impact per table and its verdict.</summary>
internal static class ImpactView
{
    public static void Banner(IAnsiConsole console, EnvironmentConfig environment, PgUrl url)
    {
        if (environment.Tier != Tier.Production)
        {
            console.MarkupLineInterpolated($"[bold]{environment.Name}[/] ({environment.Tier.ToString().ToLowerInvariant()}) {url.Endpoint}/{url.Database}");
            return;
        }

        var text = $" PRODUCTION  {environment.Name}  {url.Endpoint}  database {url.Database} ";
        console.Write(new Panel(new Markup($"[bold white on red]{Markup.Escape(text)}[/]")).BorderColor(Color.Red));
    }

    public static void Statements(IAnsiConsole console, IReadOnlyList<AnalyzedStatement> statements, IReadOnlyList<StatementImpact> impacts, PolicyDecision decision)
    {
        foreach (var statement in statements)
        {
            var impact = impacts.FirstOrDefault(i => i.Index == statement.Index);
            var verdict = decision.Statements.First(v => v.Index == statement.Index);
            var firstLine = statement.Statement.Text.Split('\n')[0].TrimEnd();
            var more = statement.Statement.Text.Contains('\n', StringComparison.Ordinal) ? " …" : "";
            if (firstLine.Length > 100)
            {
                (firstLine, more) = (firstLine[..100], " …");
            }

            console.MarkupLineInterpolated($"[bold]Statement {statement.Index + 1}[/] (line {statement.Statement.Span.Start.Line}) [dim]{firstLine}{more}[/]");
            var tag = impact is null ? "" : impact.CommandTag + (impact.Estimated ? " (estimated)" : "");
            console.Markup($"  {Markup.Escape(tag)}  ");
            console.MarkupLine(Styled(verdict.Verdict));
            if (impact?.Note is { } note)
            {
                console.MarkupLineInterpolated($"  [yellow]{note}[/]");
            }

            if (impact is { Tables.Count: > 0 })
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("Table", "Inserted", "Updated", "Deleted", "Share of table");
                foreach (var t in impact.Tables)
                {
                    table.AddRow(Markup.Escape(Backstop.Sql.IdentifierDisplay.Qualified(t.Schema, t.Name)), Number(t.Inserted), Number(t.Updated), Number(t.Deleted), Markup.Escape(Share(t)));
                }

                console.Write(table);
            }

            foreach (var reason in verdict.Reasons.Where(r => r.Verdict > Verdict.Allow))
            {
                console.MarkupLineInterpolated($"  - {reason.Message} → {reason.Verdict.ToString().ToLowerInvariant()}");
            }
        }
    }

    public static void Summary(IAnsiConsole console, PolicyDecision decision, long totalRows)
    {
        foreach (var reason in decision.ScriptReasons)
        {
            console.MarkupLineInterpolated($"Script: {reason.Message} → {reason.Verdict.ToString().ToLowerInvariant()}");
        }

        console.MarkupLine($"Rows changed in all: {Number(totalRows)}. Verdict: {Styled(decision.Verdict)}");
    }

    /// <summary>The verdict on an operation (no statements, no rows counted): its deciding reasons, then the verdict.</summary>
    public static void VerdictOnly(IAnsiConsole console, PolicyDecision decision)
    {
        foreach (var reason in decision.ScriptReasons)
        {
            console.MarkupLineInterpolated($"{reason.Message} → {reason.Verdict.ToString().ToLowerInvariant()}");
        }

        console.MarkupLine($"Verdict: {Styled(decision.Verdict)}");
    }

    public static string Styled(Verdict verdict) => verdict switch
    {
        Core.Policies.Verdict.Allow => "[green]ALLOW[/]",
        Core.Policies.Verdict.Confirm => "[yellow]CONFIRM[/]",
        Core.Policies.Verdict.Approve => "[darkorange]APPROVE[/]",
        _ => "[bold red]DENY[/]",
    };

    private static string Share(TableImpact table)
    {
        if (table.Fraction is not { } fraction)
        {
            return table.RowsBefore is 0 ? "(was empty)" : "";
        }

        var of = $"{fraction.ToString("P1", CultureInfo.InvariantCulture)} of {Number(table.RowsBefore!.Value)}";
        return table.RowsBeforeEstimated || table.Estimated ? of + " (estimated)" : of;
    }

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}

using System.Globalization;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Policies;
using Backstop.Core.Reports;
using Backstop.Postgres.Connections;
using Spectre.Console;

namespace Backstop.Cli.Rendering;

/// <summary>How a preview looks on a terminal: a banner for production, then each statement with its impact per table and its verdict.</summary>
internal static class ImpactView
{
    public static void Banner(IAnsiConsole console, EnvironmentConfig environment, PgUrl url) => Banner(console, environment.Name, environment.Tier, url.Endpoint, url.Database);

    public static void Banner(IAnsiConsole console, string name, Tier tier, string endpoint, string database)
    {
        if (tier != Tier.Production)
        {
            console.MarkupLineInterpolated($"[bold]{name}[/] ({tier.ToString().ToLowerInvariant()}) {endpoint}/{database}");
            return;
        }

        var text = $" PRODUCTION  {name}  {endpoint}  database {database} ";
        console.Write(new Panel(new Markup($"[bold white on red]{Markup.Escape(text)}[/]")).BorderColor(Color.Red));
    }

    /// <summary>Each statement with its impact per table and its verdict, then the script's reasons and the verdict.</summary>
    public static void Report(IAnsiConsole console, ChangeReport report, IReadOnlyList<StatementReport>? statements = null, long? totalRows = null)
    {
        Statements(console, statements ?? report.Statements);
        Summary(console, report.Verdict, report.ScriptRules, totalRows ?? report.TotalRowsChanged);
    }

    public static void Statements(IAnsiConsole console, IReadOnlyList<StatementReport> statements)
    {
        foreach (var statement in statements)
        {
            var firstLine = statement.Text.Split('\n')[0].TrimEnd();
            var more = statement.Text.Contains('\n', StringComparison.Ordinal) ? " …" : "";
            if (firstLine.Length > 100)
            {
                (firstLine, more) = (firstLine[..100], " …");
            }

            console.MarkupLineInterpolated($"[bold]Statement {statement.Index}[/] (line {statement.Line}) [dim]{firstLine}{more}[/]");
            var tag = statement.CommandTag is null ? "" : statement.CommandTag + (statement.Estimated ? " (estimated)" : "");
            console.Markup($"  {Markup.Escape(tag)}  ");
            console.MarkupLine(Styled(statement.Verdict));
            if (statement.Note is { } note)
            {
                console.MarkupLineInterpolated($"  [yellow]{note}[/]");
            }

            if (statement.Tables.Count > 0)
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("Table", "Inserted", "Updated", "Deleted", "Share of table");
                foreach (var t in statement.Tables)
                {
                    table.AddRow(Markup.Escape(t.Table), Number(t.Inserted), Number(t.Updated), Number(t.Deleted), Markup.Escape(Share(t)));
                }

                console.Write(table);
            }

            foreach (var reason in statement.Rules.Where(r => r.Verdict > Verdict.Allow))
            {
                console.MarkupLineInterpolated($"  - {reason.Message} → {reason.Verdict.ToString().ToLowerInvariant()}");
            }
        }
    }

    public static void Summary(IAnsiConsole console, Verdict verdict, IReadOnlyList<ReasonReport> scriptRules, long totalRows)
    {
        foreach (var reason in scriptRules)
        {
            console.MarkupLineInterpolated($"Script: {reason.Message} → {reason.Verdict.ToString().ToLowerInvariant()}");
        }

        console.MarkupLine($"Rows changed in all: {Number(totalRows)}. Verdict: {Styled(verdict)}");
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

    private static string Share(TableReport table)
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

using System.Text.Json;
using Backstop.Cli.Rendering;
using Backstop.Recovery.Repair;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>How <c>backstop repair</c> shows a comparison: a table of counts and samples on the terminal, and the <c>repair</c> object of its JSON.</summary>
internal static class RepairView
{
    private const int SampleRows = 10;

    public static object Summary(RepairComparison comparison)
    {
        var summary = TablesSummary(comparison);
        if (comparison.Incident is not { Transaction: var mistake } incident)
        {
            return summary;
        }

        // The mistake as the WAL showed it, next to what the repair compared.
        var node = JsonSerializer.SerializeToNode(summary, JsonOptions)!.AsObject();
        node["incident"] = JsonSerializer.SerializeToNode(
            new
            {
                transactionId = mistake.TransactionId, firstLsn = mistake.FirstLsn.ToString(), commitLsn = mistake.CommitLsn.ToString(), commitTime = mistake.CommitTime,
                records = mistake.Records, otherTransactions = incident.Others.Count,
            },
            JsonOptions);
        return node;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static object TablesSummary(RepairComparison comparison)
    {
        if (comparison.Graph is { } graph)
        {
            var tables = comparison.Plans.Select(p => p.Table).ToList();
            return new
            {
                root = tables[0].QualifiedName,
                foreignKeys = graph.Edges.Select(e => RepairGraph.Describe(e, tables)),
                source = comparison.Source,
                after = comparison.After,
                threeWay = comparison.After is not null,
                compareSeconds = Math.Round(comparison.Compared.TotalSeconds, 3),
                tables = comparison.Plans.Select(p => Summary(comparison, p)),
            };
        }

        return Summary(comparison, comparison.Plans[0]);
    }

    private static object Summary(RepairComparison comparison, RepairPlan plan) =>
        new
        {
            table = plan.Table.QualifiedName,
            key = plan.Table.Key.Select(k => k.Name),
            columns = plan.Table.Columns.Select(c => c.Name),
            source = comparison.Source,
            after = comparison.After,
            threeWay = plan.ThreeWay,
            sourceRows = plan.SourceRows,
            targetRows = plan.TargetRows,
            buckets = plan.Buckets,
            differingBuckets = plan.DifferingBuckets,
            updates = plan.Updates.Count,
            inserts = plan.Inserts.Count,
            deletes = plan.Deletes.Count,
            conflicts = plan.Conflicts.Count,
            laterWrites = plan.LaterWrites,
            missingLeft = plan.MissingLeft,
            extraLeft = plan.ExtraLeft,
            compareSeconds = Math.Round(comparison.Compared.TotalSeconds, 3),
            sample = plan.Updates.Take(SampleRows).Select(r => Row(plan, r)),
            conflictRows = plan.Conflicts.Take(100).Select(r => Row(plan, r)),
        };

    public static void Show(IAnsiConsole console, RepairComparison comparison)
    {
        if (comparison.Graph is { } graph)
        {
            var tables = comparison.Plans.Select(p => p.Table).ToList();
            console.MarkupLineInterpolated($"Repair of [bold]{tables[0].QualifiedName}[/] and the {tables.Count - 1} tables its rows reach, in one change, parents first:");
            foreach (var edge in graph.Edges)
            {
                console.MarkupLineInterpolated($"  {RepairGraph.Describe(edge, tables)}");
            }
        }

        foreach (var plan in comparison.Plans)
        {
            Show(console, comparison, plan);
        }
    }

    private static void Show(IAnsiConsole console, RepairComparison comparison, RepairPlan plan)
    {
        var after = comparison.After;
        console.MarkupLineInterpolated($"Repair of [bold]{plan.Table.QualifiedName}[/] ({string.Join(", ", plan.Table.Columns.Select(c => c.Name))}) by ({string.Join(", ", plan.Table.Key.Select(k => k.Name))}) from {comparison.Source}{(after is null ? "" : $", three-way with {after}")}.");
        console.MarkupLineInterpolated(
            $"Compared {Humanize.Count(plan.SourceRows)} source and {Humanize.Count(plan.TargetRows)} target rows in {Humanize.Span(comparison.Compared)}: {plan.DifferingBuckets} of {plan.Buckets} key buckets differ.");
        var table = new Table().AddColumns("What", "Rows");
        table.AddRow("rows set back (differing values)", Humanize.Count(plan.Updates.Count));
        table.AddRow("missing rows re-inserted", Humanize.Count(plan.Inserts.Count));
        table.AddRow("extra rows deleted", Humanize.Count(plan.Deletes.Count));
        if (plan.ThreeWay)
        {
            table.AddRow("[yellow]conflicts: changed again since the mistake, left alone[/]", Humanize.Count(plan.Conflicts.Count));
            table.AddRow("changed only after the mistake, kept", Humanize.Count(plan.LaterWrites));
        }

        if (plan.MissingLeft > 0)
        {
            table.AddRow("missing from the target, not restored (--restore-missing)", Humanize.Count(plan.MissingLeft));
        }

        if (plan.ExtraLeft > 0)
        {
            table.AddRow("only in the target, kept (--delete-extra)", Humanize.Count(plan.ExtraLeft));
        }

        console.Write(table);
        Sample(console, plan, plan.Updates, "Sample of rows set back (target → source):");
        Sample(console, plan, plan.Conflicts, "Conflicts (target / after the mistake / source):");
    }

    private static object Row(RepairPlan plan, RepairRow row) => new
    {
        key = Named(plan.Table.Key, row.Key),
        target = row.Target is null ? null : Named(plan.Table.Columns, row.Target),
        source = row.Source is null ? null : Named(plan.Table.Columns, row.Source),
        after = row.After is null ? null : Named(plan.Table.Columns, row.After),
    };

    private static Dictionary<string, string> Named(IReadOnlyList<RepairColumn> columns, string text)
    {
        var fields = TableSnapshot.Fields(text);
        return columns.Select((c, i) => (c.Name, Value: i < fields.Length ? TableSnapshot.Display(fields[i]) : "")).ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
    }

    private static void Sample(IAnsiConsole console, RepairPlan plan, IReadOnlyList<RepairRow> rows, string title)
    {
        if (rows.Count == 0)
        {
            return;
        }

        console.MarkupLineInterpolated($"{title}");
        foreach (var row in rows.Take(SampleRows))
        {
            var key = string.Join(", ", Named(plan.Table.Key, row.Key).Select(p => $"{p.Key}={p.Value}"));
            var target = row.Target is null ? null : Named(plan.Table.Columns, row.Target);
            var source = row.Source is null ? null : Named(plan.Table.Columns, row.Source);
            var after = row.After is null ? null : Named(plan.Table.Columns, row.After);
            var conflicts = plan.ThreeWay && rows == plan.Conflicts;
            var changes = plan.Table.Columns
                .Where(c => target?.GetValueOrDefault(c.Name) != source?.GetValueOrDefault(c.Name) || (conflicts && target?.GetValueOrDefault(c.Name) != after?.GetValueOrDefault(c.Name)))
                .Select(c => $"{c.Name}: {target?.GetValueOrDefault(c.Name) ?? "(no row)"}" + (conflicts ? $" / {after?.GetValueOrDefault(c.Name) ?? "(no row)"}" : "") + $" → {source?.GetValueOrDefault(c.Name) ?? "(no row)"}");
            console.MarkupLineInterpolated($"  ({key}) {string.Join("; ", changes)}");
        }

        if (rows.Count > SampleRows)
        {
            console.MarkupLineInterpolated($"  … and {Humanize.Count(rows.Count - SampleRows)} more");
        }
    }
}

using Npgsql;

namespace Backstop.Core.Snapshots.Rules;

/// <summary>
/// Strict by default (docs/snapshots.md "Strictness"): every column of every user table has a rule (or its table is
/// excluded), every rule names a column that exists with the type it was written for, and every rule can be carried out
/// on its column. <c>snapshot create</c> runs this before it writes anything.
/// </summary>
public static class SnapshotRulesCheck
{
    /// <summary>Reads the live catalog and checks the rules against it; the catalog comes back for the pipeline to reuse.</summary>
    public static async Task<SnapshotRulesCheckResult> CheckAsync(NpgsqlConnection connection, SnapshotSettings settings, CancellationToken cancellationToken)
    {
        var tables = await SnapshotCatalog.ReadAsync(connection, cancellationToken);
        return new SnapshotRulesCheckResult(tables, Check(tables, settings));
    }

    /// <summary>Every problem at once, tables and columns in catalog order, then rules that name what no longer exists.</summary>
    public static IReadOnlyList<SnapshotRuleProblem> Check(IReadOnlyList<SnapshotCatalogTable> tables, SnapshotSettings settings)
    {
        var problems = new List<SnapshotRuleProblem>();
        var rules = settings.Tables.ToDictionary(t => (t.Schema, t.Table));
        foreach (var table in tables)
        {
            if (!rules.TryGetValue((table.Schema, table.Table), out var rule))
            {
                problems.Add(new SnapshotRuleProblem(table.QualifiedName, "the table has no rules",
                    $"add `{table.QualifiedName}:` under snapshot.tables with `columns:` and a rule per column (`backstop snapshot rules` writes a starting set), or `{table.QualifiedName}: {{ exclude: true }}`"));
                continue;
            }

            if (rule.Exclude)
            {
                continue;
            }

            var byName = rule.Columns.ToDictionary(c => c.Column, StringComparer.Ordinal);
            foreach (var column in table.Columns)
            {
                var name = $"{table.QualifiedName}.{column.Name}";
                if (!byName.TryGetValue(column.Name, out var columnRule))
                {
                    var suggestion = RuleSuggester.Suggest(table, column);
                    problems.Add(new SnapshotRuleProblem(name, $"the column ({column.TypeName}) has no rule",
                        $"add `{SnapshotRulesYaml.ColumnLine(suggestion.Rule)}` under snapshot.tables.{table.QualifiedName}.columns (suggested: {suggestion.Why})"));
                    continue;
                }

                if (ColumnRuleFit.Problem(column, columnRule) is { } problem)
                {
                    problems.Add(new SnapshotRuleProblem(name, problem.Reason, problem.Fix));
                }
            }

            var live = table.Columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var stale in rule.Columns.Where(c => !live.Contains(c.Column)))
            {
                problems.Add(new SnapshotRuleProblem($"{table.QualifiedName}.{stale.Column}", "the rule names a column that does not exist (dropped or renamed?)",
                    $"remove the line `{SnapshotRulesYaml.ColumnLine(stale)}` from snapshot.tables.{table.QualifiedName}.columns"));
            }
        }

        var existing = tables.Select(t => (t.Schema, t.Table)).ToHashSet();
        foreach (var stale in settings.Tables.Where(t => !existing.Contains((t.Schema, t.Table))))
        {
            problems.Add(new SnapshotRuleProblem($"{stale.Schema}.{stale.Table}", "the rules name a table that does not exist (dropped or renamed?)",
                $"remove the entry `{stale.Schema}.{stale.Table}:` from snapshot.tables"));
        }

        return problems;
    }
}

namespace Backstop.Core.Snapshots.Rules;

/// <summary>
/// A starting set of rules for <c>backstop snapshot rules</c>: the rules there are, kept as written, and a suggested rule
/// (with its type recorded) for every table and column that has none yet.
/// </summary>
/// <param name="Added">the suggested rules, by <c>schema.table.column</c>, with why each was suggested.</param>
public sealed record SnapshotRulesDraft(SnapshotSettings Settings, IReadOnlyList<(string Object, RuleSuggestion Suggestion)> Added)
{
    /// <summary>Where <c>snapshot.key</c> points when the environment has no key yet: a reference, never a secret.</summary>
    public const string DefaultKeyReference = "env:BACKSTOP_SNAPSHOT_KEY";

    public static SnapshotRulesDraft Create(IReadOnlyList<SnapshotCatalogTable> catalog, SnapshotSettings existing)
    {
        var added = new List<(string, RuleSuggestion)>();
        var tables = new List<TableRule>();
        var rules = existing.Tables.ToDictionary(t => (t.Schema, t.Table));
        foreach (var table in catalog)
        {
            var rule = rules.GetValueOrDefault((table.Schema, table.Table)) ?? new TableRule(table.Schema, table.Table, false, null, []);
            if (rule.Exclude)
            {
                tables.Add(rule);
                continue;
            }

            var columns = rule.Columns.ToList();
            foreach (var column in table.Columns.Where(c => !rule.Columns.Any(r => r.Column == c.Name)))
            {
                var suggestion = RuleSuggester.Suggest(table, column);
                columns.Add(suggestion.Rule);
                added.Add(($"{table.QualifiedName}.{column.Name}", suggestion));
            }

            tables.Add(rule with { Columns = columns });
        }

        // Rules of tables that no longer exist stay for a person to remove: the strict check names them.
        tables.AddRange(existing.Tables.Where(t => !catalog.Any(c => c.Schema == t.Schema && c.Table == t.Table)));
        var settings = existing with { Tables = tables, KeyReference = existing.KeyReference ?? DefaultKeyReference };
        return new SnapshotRulesDraft(settings, added);
    }

    /// <summary>The <c>snapshot:</c> section as YAML, each new rule marked with a comment saying why it was suggested.</summary>
    public IReadOnlyList<string> Yaml() =>
        SnapshotRulesYaml.Section(Settings, Added.ToDictionary(a => a.Object, a => "new: " + a.Suggestion.Why, StringComparer.Ordinal));
}

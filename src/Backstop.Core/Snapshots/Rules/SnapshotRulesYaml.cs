using System.Globalization;
using System.Text.RegularExpressions;
using Backstop.Core.Configuration;

namespace Backstop.Core.Snapshots.Rules;

/// <summary>Writes rules as the YAML that <see cref="SnapshotSettingsReader"/> reads back.</summary>
public static partial class SnapshotRulesYaml
{
    /// <summary>The rule as the value of its column's line: <c>keep</c>, or <c>{ fake: email, type: text }</c>.</summary>
    public static string Value(ColumnRule rule)
    {
        var parts = new List<string>();
        var kind = rule.Kind.ToString().ToLowerInvariant();
        parts.Add(rule.Kind switch
        {
            MaskKind.Fake or MaskKind.Set or MaskKind.Sql => $"{kind}: {Scalar(rule.Argument ?? "", rule.Kind is MaskKind.Set or MaskKind.Sql)}",
            _ => kind,
        });
        if (rule.ShiftDays is { } days)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"days: {days}"));
        }

        if (rule.RecordedType is { } type)
        {
            parts.Add($"type: {Scalar(type, quoteAlways: false)}");
        }

        return parts.Count == 1 && rule.Kind is MaskKind.Keep or MaskKind.Null or MaskKind.Hash or MaskKind.Shuffle
            ? parts[0]
            : "{ " + string.Join(", ", parts) + " }";
    }

    /// <summary>The line of one column under <c>columns:</c>, without its indentation.</summary>
    public static string ColumnLine(ColumnRule rule, string? comment = null) =>
        $"{Key(rule.Column)}: {Value(rule)}" + (comment is null ? "" : "  # " + comment);

    /// <summary>The whole <c>snapshot:</c> section, indented to sit under an environment (4 spaces).</summary>
    /// <param name="comments">a comment per <c>schema.table.column</c> (why a new rule was suggested).</param>
    public static IReadOnlyList<string> Section(SnapshotSettings settings, IReadOnlyDictionary<string, string> comments)
    {
        var lines = new List<string> { "    snapshot:" };
        if (settings.KeyReference is { } key)
        {
            lines.Add($"      key: {Scalar(key, quoteAlways: false)}");
        }

        lines.Add($"      locale: {Scalar(settings.Locale, quoteAlways: false)}");
        lines.Add("      tables:");
        foreach (var table in settings.Tables)
        {
            var name = Key($"{table.Schema}.{table.Table}");
            if (table.Exclude)
            {
                lines.Add($"        {name}: {{ exclude: true }}");
                continue;
            }

            lines.Add($"        {name}:");
            if (table.Where is { } where)
            {
                lines.Add($"          where: {ConfigFileEditor.Quote(where)}");
            }

            lines.Add("          columns:");
            foreach (var column in table.Columns)
            {
                lines.Add("            " + ColumnLine(column, comments.GetValueOrDefault($"{table.Schema}.{table.Table}.{column.Column}")));
            }
        }

        return lines;
    }

    private static string Key(string name) => PlainKey().IsMatch(name) ? name : ConfigFileEditor.Quote(name);

    private static string Scalar(string value, bool quoteAlways) =>
        !quoteAlways && Plain().IsMatch(value) && value is not ("null" or "true" or "false" or "yes" or "no" or "on" or "off" or "y" or "n" or "keep" or "hash" or "shuffle")
            ? value
            : ConfigFileEditor.Quote(value);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_ ()]*(?<! )$")]
    private static partial Regex Plain();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.$]*$")]
    private static partial Regex PlainKey();
}

using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Backstop.Core.Snapshots.Rules;

/// <summary>
/// Reads an environment's <c>snapshot:</c> section (docs/snapshots.md "Rules"): the key reference, the locale, and per
/// table <c>exclude</c>, <c>where</c> and a rule per column. Every mistake names the environment, table and column.
/// </summary>
internal static class SnapshotSettingsReader
{
    private static readonly string[] SnapshotKeys = ["key", "locale", "tables"];
    private static readonly string[] TableKeys = ["exclude", "where", "columns"];
    private static readonly string[] ArgumentlessKinds = ["keep", "null", "hash", "shuffle"];
    private static readonly string[] RuleKeys = ["keep", "null", "hash", "shuffle", "fake", "set", "sql", "type", "days"];

    public static SnapshotSettings Read(YamlReader read, YamlNode node, string environment)
    {
        var settings = SnapshotSettings.Empty;
        var tables = new List<TableRule>();
        var where = $"environment '{environment}' snapshot";
        foreach (var (key, value) in read.Entries(read.Mapping(node, "snapshot"), where, SnapshotKeys))
        {
            switch (key)
            {
                case "key":
                    settings = settings with { KeyReference = ReadKey(read, value, environment) };
                    break;
                case "locale":
                    var locale = read.Scalar(value, key).Trim();
                    settings = settings with
                    {
                        Locale = Bogus.Database.LocaleResourceExists(locale)
                            ? locale
                            : throw read.Error(value, $"snapshot.locale of environment '{environment}' is '{locale}', which the fake generators do not know; use a locale such as en, de, fr, es, nl or pt_BR"),
                    };
                    break;
                default:
                    if (value is YamlScalarNode { Value: null or "" or "~" })
                    {
                        break;
                    }

                    foreach (var (name, table) in read.Entries(read.Mapping(value, "snapshot.tables"), $"{where}.tables", []))
                    {
                        var rule = ReadTable(read, name, table, environment);
                        if (tables.Any(t => t.Schema == rule.Schema && t.Table == rule.Table))
                        {
                            throw read.Error(table, $"snapshot.tables of environment '{environment}' names {rule.Schema}.{rule.Table} twice; keep one entry");
                        }

                        tables.Add(rule);
                    }

                    break;
            }
        }

        return settings with { Tables = tables };
    }

    /// <summary>As with a URL, the secret itself never goes into the shared, reviewed file: only where to find it.</summary>
    private static string ReadKey(YamlReader read, YamlNode value, string environment)
    {
        var text = read.Scalar(value, "key").Trim();
        return text.StartsWith(EnvironmentConnector.VariablePrefix, StringComparison.Ordinal) && text.Length > EnvironmentConnector.VariablePrefix.Length
            || text.StartsWith(EnvironmentConnector.FilePrefix, StringComparison.Ordinal) && text.Length > EnvironmentConnector.FilePrefix.Length
            ? text
            : throw read.Error(value,
                $"snapshot.key of environment '{environment}' must say where the masking key is, not be the key: Backstop never keeps secrets in backstop.yaml; " +
                "put the key (32 bytes or more) in an environment variable or a file only Backstop may read, and write key: env:BACKSTOP_SNAPSHOT_KEY or key: file:/PATH");
    }

    private static TableRule ReadTable(YamlReader read, string name, YamlNode node, string environment)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var (schema, table) = dot < 0 ? ("public", name) : (name[..dot], name[(dot + 1)..]);
        if (schema.Length == 0 || table.Length == 0)
        {
            throw read.Error(node, $"snapshot.tables of environment '{environment}' has '{name}'; name a table as schema.table, e.g. public.users");
        }

        var qualified = $"{schema}.{table}";
        var where = $"snapshot.tables.{qualified} of environment '{environment}'";
        var exclude = false;
        string? filter = null;
        var columns = new List<ColumnRule>();
        foreach (var (key, value) in read.Entries(read.Mapping(node, where), where, TableKeys))
        {
            switch (key)
            {
                case "exclude":
                    exclude = read.Bool(value, key);
                    break;
                case "where":
                    filter = read.Scalar(value, key).Trim();
                    if (filter.Length == 0)
                    {
                        throw read.Error(value, $"{where} has an empty 'where'; give a condition such as \"id % 10 = 0\", or remove the line to keep every row");
                    }

                    break;
                default:
                    if (value is YamlScalarNode { Value: null or "" or "~" })
                    {
                        break;
                    }

                    foreach (var (column, rule) in read.Entries(read.Mapping(value, $"{where} columns"), $"{where} columns", []))
                    {
                        columns.Add(ReadColumn(read, column, rule, $"{qualified}.{column}", environment));
                    }

                    break;
            }
        }

        if (exclude && (filter is not null || columns.Count > 0))
        {
            throw read.Error(node, $"{where} is excluded but also has {(filter is not null ? "a 'where'" : "column rules")}; an excluded table is left out whole, so remove one or the other");
        }

        return new TableRule(schema, table, exclude, filter, columns);
    }

    private static ColumnRule ReadColumn(YamlReader read, string column, YamlNode node, string qualified, string environment)
    {
        var where = $"the rule of {qualified} in environment '{environment}'";
        if (node is YamlScalarNode scalar)
        {
            var text = scalar.Value ?? "";
            return ArgumentlessKinds.Contains(text, StringComparer.Ordinal) && scalar.Style is ScalarStyle.Plain
                ? new ColumnRule(column, Kind(text))
                : throw read.Error(node, text.Length == 0 || text == "~"
                    ? $"{where} is empty; write one of keep, null, hash, shuffle, {{ fake: KIND }}, {{ set: VALUE }} or {{ sql: EXPRESSION }}"
                    : $"{where} is '{text}', which is not a rule; write one of keep, null, hash, shuffle, {{ fake: KIND }}, {{ set: VALUE }} or {{ sql: EXPRESSION }}");
        }

        ColumnRule? rule = null;
        string? type = null;
        YamlNode? days = null;
        foreach (var (key, value) in read.Entries(read.Mapping(node, where), where, RuleKeys))
        {
            if (key == "type")
            {
                type = read.Scalar(value, key).Trim();
                continue;
            }

            if (key == "days")
            {
                days = value;
                continue;
            }

            if (rule is not null)
            {
                throw read.Error(value, $"{where} has two rules ({rule.Kind.ToString().ToLowerInvariant()} and {key}); keep one");
            }

            rule = key switch
            {
                "fake" => Fake(read, value, column, where),
                "set" => Set(read, value, column, where),
                "sql" => new ColumnRule(column, MaskKind.Sql, NonEmpty(read, value, where, "sql", "an expression such as \"date_trunc('month', created_at)\"")),
                _ => IsEmptyArgument(value)
                    ? new ColumnRule(column, Kind(key))
                    : throw read.Error(value, $"{where}: '{key}' takes no value; write {{ {key}, type: TYPE }}"),
            };
        }

        if (rule is null)
        {
            throw read.Error(node, $"{where} has no rule, only its type; add one of keep, null, hash, shuffle, fake: KIND, set: VALUE or sql: EXPRESSION");
        }

        if (days is not null)
        {
            if (rule is not { Kind: MaskKind.Fake, Argument: FakeKinds.DateShift })
            {
                throw read.Error(days, $"{where} has 'days', which only fake: date_shift takes; remove it");
            }

            rule = rule with { ShiftDays = (int)Math.Min(read.Long(days, "days", 1), 36_500) };
        }

        return rule with { RecordedType = type is { Length: > 0 } ? type : null };
    }

    private static ColumnRule Fake(YamlReader read, YamlNode value, string column, string where)
    {
        var kind = NonEmpty(read, value, where, "fake", $"a kind: {string.Join(", ", FakeKinds.All)}");
        return FakeKinds.IsKnown(kind)
            ? new ColumnRule(column, MaskKind.Fake, kind)
            : throw read.Error(value, $"{where} asks for fake: {kind}, which is not a kind of fake; use one of {string.Join(", ", FakeKinds.All)}");
    }

    /// <summary><c>set: ''</c> is the empty string; <c>set:</c> with nothing (or ~) is a mistake, and <c>set: null</c> is the <c>null</c> rule.</summary>
    private static ColumnRule Set(YamlReader read, YamlNode value, string column, string where)
    {
        if (value is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" })
        {
            throw read.Error(value, $"{where} has set: without a value; give the constant, e.g. {{ set: 'XX' }} (for NULL write null instead)");
        }

        return new ColumnRule(column, MaskKind.Set, read.Scalar(value, "set"));
    }

    private static string NonEmpty(YamlReader read, YamlNode value, string where, string key, string expected)
    {
        var text = value is YamlScalarNode { Value: { } v } ? v.Trim() : "";
        return text.Length > 0 ? text : throw read.Error(value, $"{where} has {key}: without a value; give {expected}");
    }

    /// <summary><c>{ keep, type: integer }</c> gives keep an empty value; <c>keep: true</c> is read the same.</summary>
    private static bool IsEmptyArgument(YamlNode value) => value is YamlScalarNode { Value: null or "" or "~" or "true" };

    private static MaskKind Kind(string text) => text switch
    {
        "keep" => MaskKind.Keep,
        "null" => MaskKind.Null,
        "hash" => MaskKind.Hash,
        _ => MaskKind.Shuffle,
    };
}

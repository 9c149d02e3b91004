using Backstop.Core.Snapshots.Masking;

namespace Backstop.Core.Snapshots.Rules;

/// <summary>Whether a rule can be carried out on a column as the catalog has it now: its recorded type, NOT NULL, uniqueness and type.</summary>
public static class ColumnRuleFit
{
    /// <returns>why the rule does not fit and the line to write instead; null when it fits.</returns>
    public static (string Reason, string Fix)? Problem(SnapshotColumn column, ColumnRule rule)
    {
        var type = ColumnType.Parse(column.TypeName);
        string Change(string why) => $"{why}: `{SnapshotRulesYaml.ColumnLine(rule with { RecordedType = column.TypeName })}`";

        if (rule.RecordedType is { } recorded && !string.Equals(recorded, column.TypeName, StringComparison.Ordinal))
        {
            return ($"the column is now {column.TypeName}, but its rule was written for {recorded}",
                Change("check that the rule still fits the new type, then record it"));
        }

        switch (rule.Kind)
        {
            case MaskKind.Null when column.NotNull:
                return ("null on a NOT NULL column", $"use another rule, e.g. `{column.Name}: {{ hash, type: {column.TypeName} }}` or a fake, or set: a constant");
            case MaskKind.Set when column.Unique:
                return ("set gives every row one value, and the column is unique", $"use hash or a fake, which stay unique: `{column.Name}: {{ hash, type: {column.TypeName} }}`");
            case MaskKind.Shuffle when column.Unique:
                return ("shuffle hands each row another row's value of a unique column, so whatever looks a row up by it finds the wrong one",
                    $"use hash (keyed, unique, and consistent with the columns that refer to it): `{column.Name}: {{ hash, type: {column.TypeName} }}`");
            case MaskKind.Set when ColumnValues.TryParse(rule.Argument ?? "", type, out var error) is null:
                return ($"the constant does not fit the column: {error}", Change("give a value of the column's type"));
            case MaskKind.Hash when type.Family is not (ColumnFamily.Text or ColumnFamily.Smallint or ColumnFamily.Integer or ColumnFamily.Bigint or ColumnFamily.Uuid or ColumnFamily.Bytea):
                return ($"hash cannot produce a {column.TypeName} value (it hashes text, integers, uuid and bytea)",
                    $"use set, null, sql or keep for it, e.g. `{column.Name}: {{ sql: \"…\", type: {column.TypeName} }}`");
            case MaskKind.Hash when column.Unique && type.MaxLength < FakeText.SuffixLength:
                return ($"{column.TypeName} is too short to hold a unique hash ({FakeText.SuffixLength} characters)", "widen the column, or exclude the table");
            case MaskKind.Fake when !FakeKinds.Fits(rule.Argument ?? "", type):
                return ($"fake: {rule.Argument} cannot produce a {column.TypeName} value; fakes that fit it: {FakeKinds.FittingKinds(type)}",
                    $"use a fitting fake, or hash: `{column.Name}: {{ hash, type: {column.TypeName} }}`");
            case MaskKind.Fake when column.Unique && rule.Argument == FakeKinds.DateShift:
                return ("date_shift can move two values onto one day, and the column is unique", $"keep it, or use sql: for it");
            case MaskKind.Fake when column.Unique && type.MaxLength < FakeText.MinimumUniqueLength(rule.Argument!) && !(rule.Argument == FakeKinds.Ip && type.Family == ColumnFamily.Inet):
                return ($"{column.TypeName} is too short for a unique fake {rule.Argument} ({FakeText.MinimumUniqueLength(rule.Argument!)} characters, to embed {FakeText.SuffixLength} characters of the hash)",
                    $"use hash: `{column.Name}: {{ hash, type: {column.TypeName} }}`");
            default:
                return null;
        }
    }
}

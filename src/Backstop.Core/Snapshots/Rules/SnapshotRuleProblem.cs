namespace Backstop.Core.Snapshots.Rules;

/// <summary>One reason the rules do not cover the live schema safely.</summary>
/// <param name="Object"><c>schema.table.column</c>, or <c>schema.table</c> for a whole table.</param>
/// <param name="Fix">The YAML line to add or change, and where.</param>
public sealed record SnapshotRuleProblem(string Object, string Reason, string Fix)
{
    public override string ToString() => $"{Object}: {Reason}; {Fix}";
}

namespace Backstop.Core.Snapshots.Masking;

/// <summary>Two rows of a unique column were masked to the same value: the snapshot would not restore, so it fails.</summary>
public sealed class UniquenessLostException(string column, ColumnRule rule)
    : Exception($"masking {column} with {Rules.SnapshotRulesYaml.Value(rule)} gave two rows the same value, and the column is unique; " +
        "nothing usable was written. Use hash (keyed and unique) for it, widen the column so a fake can embed more of the hash, or exclude the table")
{
    public string Column { get; } = column;

    public ColumnRule Rule { get; } = rule;
}

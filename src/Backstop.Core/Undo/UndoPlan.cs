namespace Backstop.Core.Undo;

/// <summary>What undoing a change takes: the script that restores it (a guarded change like any other) and the conflicts found.</summary>
public sealed record UndoPlan(string Script, IReadOnlyList<UndoConflict> Conflicts, IReadOnlyList<string> Tables)
{
    public bool IsEmpty => Script.Length == 0;

    /// <summary>
    /// Per table, at most how many rows the undo may update and delete. More means it reached rows it did not capture
    /// (a cascade, a trigger), and the undo rolls back rather than lose them.
    /// </summary>
    public IReadOnlyDictionary<string, (long Updated, long Deleted)> Bounds { get; init; } = new Dictionary<string, (long, long)>();
}

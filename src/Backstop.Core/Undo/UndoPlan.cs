namespace Backstop.Core.Undo;

/// <summary>
/// What undoing a change takes: the script that restores it (a guarded change like any other), and the conflicts known
/// without looking at rows (columns that cannot come back); rows changed since are found by
/// <see cref="UndoPlanner.FindConflictsAsync"/>.
/// </summary>
public sealed record UndoPlan(string Script, IReadOnlyList<UndoConflict> Conflicts, IReadOnlyList<string> Tables)
{
    /// <summary>Per statement of <see cref="Script"/>, how many rows it changes when nothing changed since; null for statements without a plan.</summary>
    public IReadOnlyList<long?> ExpectedRows { get; init; } = [];

    /// <summary>Per table, the query that lists the keys the undo would skip.</summary>
    internal IReadOnlyList<(string Table, string Sql)> ConflictQueries { get; init; } = [];

    public bool IsEmpty => Script.Length == 0;

    /// <summary>
    /// Per table, at most how many rows the undo may update and delete. More means it reached rows it did not capture
    /// (a cascade, a trigger), and the undo rolls back rather than lose them.
    /// </summary>
    public IReadOnlyDictionary<string, (long Updated, long Deleted)> Bounds { get; init; } = new Dictionary<string, (long, long)>();
}

namespace Backstop.Core.Undo;

/// <summary>What undoing a change takes: the script that restores it (a guarded change like any other) and the conflicts found.</summary>
public sealed record UndoPlan(string Script, IReadOnlyList<UndoConflict> Conflicts, IReadOnlyList<string> Tables)
{
    public bool IsEmpty => Script.Length == 0;
}

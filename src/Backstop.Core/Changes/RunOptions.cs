namespace Backstop.Core.Changes;

public sealed record RunOptions
{
    public bool AllowAllRows { get; init; }

    /// <summary>For an undo: the change it takes back.</summary>
    public State.ChangeRecord? UndoOf { get; init; }

    /// <summary>For an undo: per table, at most how many rows it may update and delete (see <see cref="Undo.UndoPlan.Bounds"/>).</summary>
    public IReadOnlyDictionary<string, (long Updated, long Deleted)>? UndoBounds { get; init; }

    /// <summary>
    /// Called with the preview before it is shown or judged; an exception thrown here stops the change before anything
    /// is recorded or run (undo uses it to stop on rows changed since).
    /// </summary>
    public Func<CheckResult, CancellationToken, Task>? AfterPreview { get; init; }

    /// <summary>Asked when the verdict is confirm; true to go ahead.</summary>
    public required Func<CheckResult, CancellationToken, Task<bool>> Confirm { get; init; }

    /// <summary>Told when the preview is done and before the change runs.</summary>
    public Action<CheckResult>? Previewed { get; init; }
}

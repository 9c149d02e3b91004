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

    /// <summary>
    /// Called with each statement's measured impact once the statements have run, before anything commits: a reason
    /// returned here rolls the change back and it fails with that reason (repair uses it to hold each statement to the
    /// exact row count it planned, where the comparison with the preview allows 10 %).
    /// </summary>
    public Func<IReadOnlyList<Preview.StatementImpact>, string?>? CheckRun { get; init; }

    /// <summary>
    /// Offered before the preview: a caller that has counted the script's impact itself returns it here (see
    /// <see cref="Preview.CountedImpact"/>), and it stands in for the dry run: judged, shown and confirmed the same way,
    /// and the run is held to it exactly. Null, or a null result: the usual dry run.
    /// </summary>
    public Func<CancellationToken, Task<IReadOnlyList<Preview.StatementImpact>?>>? CountedImpact { get; init; }

    /// <summary>Asked when the verdict is confirm; true to go ahead.</summary>
    public required Func<CheckResult, CancellationToken, Task<bool>> Confirm { get; init; }

    /// <summary>Told when the preview is done and before the change runs.</summary>
    public Action<CheckResult>? Previewed { get; init; }
}

using Backstop.Core.Policies;
using Backstop.Core.Preview;

namespace Backstop.Core.Guard;

/// <summary>
/// What the guard did with one statement inside a client's transaction. Whatever it says, the transaction is as usable
/// as before the statement: either the statement is in it (<see cref="Kept"/>), or it was rolled back to its savepoint.
/// </summary>
public sealed record GuardOutcome
{
    /// <summary>The tier policy's verdict on what the statement did (for a kept statement: on what was kept).</summary>
    public required Verdict Verdict { get; init; }

    /// <summary>The rules that decided <see cref="Verdict"/>, in words a user reads.</summary>
    public required IReadOnlyList<PolicyReason> Reasons { get; init; }

    /// <summary>
    /// What the statement did, per table (cascades and triggers included) and in the catalog (truncations, drops,
    /// rewrites, whatever ran them). For a kept statement this is the run that was kept.
    /// </summary>
    public required StatementImpact Impact { get; init; }

    /// <summary>The statement's effects are part of the client's transaction; false: rolled back to its savepoint.</summary>
    public required bool Kept { get; init; }

    /// <summary>
    /// For a kept statement that wrote: the change under which its before-images are in the <c>backstop</c> schema, in
    /// the same transaction. Once the client commits, <see cref="Undo.UndoPlanner"/> takes it back with this id; if the
    /// client rolls back, the images go with it. Null for a read, and for a statement that was not kept.
    /// </summary>
    public Guid? ChangeId { get; init; }

    /// <summary>
    /// Kept the one-run way: run once with the persistent row capture of every table it wrote (capture migration 0006).
    /// False for a statement kept the measured way, whose tables a caller may give persistent capture for next time
    /// (<see cref="Capture.PersistentCapture"/>).
    /// </summary>
    public bool OneRun { get; init; }

    /// <summary>Why the statement was not kept, in a sentence that says what happened to it; null when it was.</summary>
    public string? Message { get; init; }
}

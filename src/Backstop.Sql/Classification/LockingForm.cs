namespace Backstop.Sql.Classification;

/// <summary>
/// A statement that holds a heavy lock on its target table for as long as it works (docs: "Explicit Locking", table 13.2):
/// what it is, the lock it takes, and who waits.
/// </summary>
/// <param name="What">e.g. "CREATE INDEX without CONCURRENTLY".</param>
/// <param name="Mode">e.g. "SHARE".</param>
/// <param name="Waits">e.g. "every write waits until it finishes".</param>
public sealed record LockingForm(string What, string Mode, string Waits);

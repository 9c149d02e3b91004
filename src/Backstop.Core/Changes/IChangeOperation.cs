using Backstop.Core.Policies;
using Npgsql;

namespace Backstop.Core.Changes;

/// <summary>
/// A write that is not a script the lifecycle previews by running it (restoring from the recycle bin, purging it,
/// restoring a backup over a database), and that still goes through the lifecycle: judged by the tier's policy,
/// authorized as the verdict needs, recorded with its actor, and shown by <c>backstop changes</c>.
/// </summary>
public interface IChangeOperation
{
    /// <summary>What it does, recorded as the change's script: SQL comment lines a reader of <c>backstop show</c> understands.</summary>
    string Description { get; }

    /// <summary>Whether it runs in one transaction, so that a failure leaves nothing changed.</summary>
    bool AllOrNothing { get; }

    /// <summary>The policy's rules it falls under, each with its reason in words; the lifecycle adds the freeze window.</summary>
    IReadOnlyList<PolicyReason> Judge(TierPolicy policy);

    /// <summary>
    /// Does it. An operation that runs in one transaction calls <paramref name="logChange"/> inside it before it commits,
    /// so that the change log in the target database shows whether it committed. Returns warnings to show.
    /// </summary>
    Task<IReadOnlyList<string>> RunAsync(NpgsqlConnection connection, Func<CancellationToken, Task> logChange, CancellationToken cancellationToken);
}

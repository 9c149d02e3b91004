namespace Backstop.Core.State;

/// <summary>Where changes are recorded (DESIGN.md, D4 and D12): a SQLite file by default, a PostgreSQL database a team shares (<see cref="StateStores"/>).</summary>
public interface IStateStore
{
    Task<long> AddAsync(ChangeRecord change, CancellationToken cancellationToken);

    Task UpdateAsync(ChangeRecord change, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="UpdateAsync"/>, but only while the change is still recorded as running: a command that settles
    /// another one's record never overwrites the outcome that the change itself recorded meanwhile.
    /// </summary>
    /// <returns>false if the change was no longer recorded as running.</returns>
    Task<bool> SettleRunningAsync(ChangeRecord change, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="UpdateAsync"/>, but only while the change is still recorded with outcome
    /// <paramref name="expected"/>, in one atomic step: of two processes that run the same prepared change, one wins.
    /// </summary>
    /// <returns>false if the change's outcome was no longer <paramref name="expected"/>.</returns>
    Task<bool> UpdateIfAsync(ChangeRecord change, ChangeOutcome expected, CancellationToken cancellationToken);

    /// <summary>
    /// Removes a change recorded as running that never became one (recorded before its statement was judged, then not
    /// kept); nothing when it is no longer running. Its script stays (scripts are shared by their SHA-256, and another
    /// writer may be adding a change with the same one).
    /// </summary>
    /// <returns>false if the change was no longer recorded as running (or not at all).</returns>
    Task<bool> DiscardRunningAsync(long id, CancellationToken cancellationToken);

    Task<ChangeRecord?> GetAsync(long id, CancellationToken cancellationToken);

    /// <summary>Newest first; scripts cut to their first line's worth.</summary>
    Task<IReadOnlyList<ChangeRecord>> ListAsync(string? environment, int limit, CancellationToken cancellationToken);

    /// <summary>The local id of the change with this id in the target database's change log, or null.</summary>
    Task<long?> FindIdAsync(Guid changeUuid, CancellationToken cancellationToken);

    /// <summary>Committed changes of the script with this SHA-256 started since <paramref name="since"/>, newest first (at most 100).</summary>
    Task<IReadOnlyList<ChangeRecord>> FindCommittedAsync(string scriptSha256, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Writes a change's whole script; false if there is no such change.</summary>
    Task<bool> CopyScriptAsync(long id, TextWriter destination, CancellationToken cancellationToken);
}

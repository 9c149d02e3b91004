namespace Backstop.Core.Changes;

/// <summary>A commit of the same script (same SHA-256) on an environment of a lower tier: where, when, and what it did there.</summary>
public sealed record StagedRun(string Environment, Configuration.Tier Tier, long ChangeId, DateTimeOffset At, long RowsChanged, IReadOnlyList<Team.TableCount> Tables);

/// <summary>Where the staged runs of a script are found (team mode: the shared state store).</summary>
public interface IStagedRuns
{
    /// <summary>Committed runs of the script with this SHA-256 on environments of a tier below <paramref name="tier"/>, since <paramref name="since"/>, newest first.</summary>
    Task<IReadOnlyList<StagedRun>> FindAsync(string scriptSha256, Configuration.Tier tier, DateTimeOffset since, CancellationToken cancellationToken);
}

namespace Backstop.Core.Snapshots.Rules;

/// <summary>What the strict check read and found: the catalog (for the pipeline to reuse) and every problem at once.</summary>
public sealed record SnapshotRulesCheckResult(IReadOnlyList<SnapshotCatalogTable> Tables, IReadOnlyList<SnapshotRuleProblem> Problems)
{
    public bool Passed => Problems.Count == 0;

    /// <summary>For <c>snapshot create</c>: stop before anything is written (exit 2, a configuration to fix) when a problem was found.</summary>
    /// <exception cref="Configuration.ConfigException">with <see cref="Describe"/>'s message.</exception>
    public void ThrowIfFailed(string environment)
    {
        if (!Passed)
        {
            throw new Configuration.ConfigException(Describe(environment));
        }
    }

    /// <summary>One message naming every problem, for an error that stops a snapshot before it writes anything.</summary>
    public string Describe(string environment) =>
        $"the snapshot rules of environment '{environment}' do not cover its schema ({Problems.Count} problem{(Problems.Count == 1 ? "" : "s")}); nothing was written:\n"
        + string.Join('\n', Problems.Select(p => "  - " + p))
        + $"\nfix backstop.yaml, or run `backstop snapshot rules -e {environment}` for a starting set of the rules that are missing";
}

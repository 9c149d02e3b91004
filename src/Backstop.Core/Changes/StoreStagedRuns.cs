using Backstop.Core.Configuration;
using Backstop.Core.State;

namespace Backstop.Core.Changes;

/// <summary>Staged runs from the change record: the environments of backstop.yaml tell which tier each one is.</summary>
public sealed class StoreStagedRuns(IStateStore store, BackstopConfig config) : IStagedRuns
{
    public async Task<IReadOnlyList<StagedRun>> FindAsync(string scriptSha256, Tier tier, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var lower = config.Environments.Where(e => Rank(e.Tier) < Rank(tier)).ToDictionary(e => e.Name, e => e.Tier, StringComparer.Ordinal);
        if (lower.Count == 0)
        {
            return [];
        }

        var committed = await store.FindCommittedAsync(scriptSha256, since, cancellationToken);
        return committed.Where(c => lower.ContainsKey(c.Environment)).Select(c => new StagedRun(
            c.Environment,
            lower[c.Environment],
            c.Id,
            c.StartedAt,
            c.Impact.Sum(i => i.Changed),
            c.Impact.SelectMany(i => i.Tables).GroupBy(t => t.QualifiedName, StringComparer.Ordinal)
                .Select(g => new Team.TableCount(g.Key, g.Sum(t => t.Inserted), g.Sum(t => t.Updated), g.Sum(t => t.Deleted))).ToList())).ToList();
    }

    private static int Rank(Tier tier) => tier switch
    {
        Tier.Development => 0,
        Tier.Staging => 1,
        _ => 2,
    };
}

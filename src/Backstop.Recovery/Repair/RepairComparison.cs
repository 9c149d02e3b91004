using System.Diagnostics;
using Backstop.Core.Environments;
using Backstop.Core.Preview;

namespace Backstop.Recovery.Repair;

/// <summary>
/// A compared table and the open sides it was compared on. The target stays open because the repair runs on the same
/// session the rows are loaded into (temporary tables), and the sources stay up until the repair is done, so that
/// <c>--keep-sources</c> has something to keep and a clone is not stopped under a running comparison.
/// </summary>
public sealed class RepairComparison(ConnectedEnvironment target, RepairSource source, RepairSource? after, RepairPlan plan, TimeSpan compared, int batchRows) : IAsyncDisposable
{
    public ConnectedEnvironment Target { get; } = target;

    public RepairPlan Plan { get; } = plan;

    /// <summary>How messages name the source of the right values.</summary>
    public string Source => source.Name;

    /// <summary>Three-way: how messages name the state just after the mistake; null for a two-way repair.</summary>
    public string? After => after?.Name;

    /// <summary>From connecting to the target to the finished plan.</summary>
    public TimeSpan Compared { get; } = compared;

    /// <summary>
    /// Loads the plan's rows into the target's session and returns the guarded changes that apply them: one, or one per
    /// <see cref="RepairRequest.BatchRows"/> rows of each kind.
    /// </summary>
    public async Task<PreparedRepair> PrepareAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var batches = await RepairScript.PrepareBatchesAsync(Target.Connection, Plan, batchRows, cancellationToken);
        return new PreparedRepair(batches, watch.Elapsed);
    }

    /// <summary>The batch's impact as the comparison counted it, where the catalog vouches for it (see <see cref="RepairBatch.CountedImpactAsync"/>).</summary>
    public Task<IReadOnlyList<StatementImpact>?> CountedImpactAsync(RepairBatch batch, CancellationToken cancellationToken) =>
        batch.CountedImpactAsync(Target.Connection, cancellationToken);

    public ValueTask DisposeAsync() => CloseAsync(Target, source, after);

    /// <summary>Closes the sides in the reverse order of their opening, and stops the clusters made for the repair.</summary>
    internal static async ValueTask CloseAsync(ConnectedEnvironment target, RepairSource? source, RepairSource? after)
    {
        if (after is not null)
        {
            await after.DisposeAsync();
        }

        if (source is not null)
        {
            await source.DisposeAsync();
        }

        await target.DisposeAsync();
    }
}

using System.Diagnostics;
using Backstop.Core.Environments;
using Backstop.Core.Preview;

namespace Backstop.Recovery.Repair;

/// <summary>
/// The compared tables (one, or a root and the tables its rows reach) and the open sides they were compared on. The target stays open because the repair runs on the same
/// session the rows are loaded into (temporary tables), and the sources stay up until the repair is done, so that
/// <c>--keep-sources</c> has something to keep and a clone is not stopped under a running comparison.
/// </summary>
public sealed class RepairComparison : IAsyncDisposable
{
    private readonly RepairSource _source;
    private readonly RepairSource? _after;
    private readonly int _batchRows;

    internal RepairComparison(ConnectedEnvironment target, RepairSource source, RepairSource? after, IReadOnlyList<RepairPlan> plans, RepairGraph? graph, TimeSpan compared, int batchRows)
    {
        Target = target;
        Plans = plans;
        Graph = graph;
        Compared = compared;
        _source = source;
        _after = after;
        _batchRows = batchRows;
    }

    public ConnectedEnvironment Target { get; }

    /// <summary>One plan per table, parents before children.</summary>
    public IReadOnlyList<RepairPlan> Plans { get; }

    /// <summary>With <c>--root</c>: the foreign keys followed from the root; null for a repair of one table.</summary>
    public RepairGraph? Graph { get; }

    /// <summary>Nothing to set back, re-insert or delete in any table.</summary>
    public bool IsEmpty => Plans.All(p => p.IsEmpty);

    /// <summary>How messages name the source of the right values.</summary>
    public string Source => _source.Name;

    /// <summary>Three-way: how messages name the state just after the mistake; null for a two-way repair.</summary>
    public string? After => _after?.Name;

    /// <summary>
    /// The state the repair puts back when Backstop can prove it (the source, and the state after the mistake if there is
    /// one, are a point-in-time clone of the environment or a drilled backup of it): the change is then a recovery,
    /// judged by the tier's recovery rule. Null otherwise.
    /// </summary>
    public string? Recovery => _source.Proven is { } proven && (_after is null || _after.Proven is not null) ? proven : null;

    /// <summary>The mistake as the WAL showed it, when <c>--incident-at</c> found it there; null otherwise.</summary>
    public RepairIncident? Incident { get; init; }

    /// <summary>From connecting to the target to the finished plan.</summary>
    public TimeSpan Compared { get; }

    /// <summary>
    /// Loads the plan's rows into the target's session and returns the guarded changes that apply them: one, or one per
    /// <see cref="RepairRequest.BatchRows"/> rows of each kind.
    /// </summary>
    public async Task<PreparedRepair> PrepareAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var batches = await RepairScript.PrepareBatchesAsync(Target.Connection, Plans, _batchRows, cancellationToken);
        return new PreparedRepair(batches, watch.Elapsed);
    }

    /// <summary>The batch's impact as the comparison counted it, where the catalog vouches for it (see <see cref="RepairBatch.CountedImpactAsync"/>).</summary>
    public Task<IReadOnlyList<StatementImpact>?> CountedImpactAsync(RepairBatch batch, CancellationToken cancellationToken) =>
        batch.CountedImpactAsync(Target.Connection, cancellationToken);

    public ValueTask DisposeAsync() => CloseAsync(Target, _source, _after);

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

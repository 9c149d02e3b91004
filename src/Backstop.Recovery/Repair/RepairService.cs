using System.Diagnostics;
using Backstop.Core.Environments;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>
/// <c>backstop repair</c> up to the point where it changes something: checks the request, opens the target and the
/// sources, resolves the table on each side, and compares them into a plan. Running the plan is a guarded change of the
/// caller's (preview, policy, confirmation, capture), one per batch of <see cref="RepairComparison.PrepareAsync"/>.
/// </summary>
/// <param name="variables">the process environment, for sources given as <c>env:VARIABLE</c>.</param>
public sealed class RepairService(EnvironmentConnector connector, Func<string, string?> variables, TimeProvider clock)
{
    /// <summary>Compares the target with the source (and the state after the mistake) and plans the repair.</summary>
    /// <exception cref="RepairUsageException">the request cannot be met as given; nothing was opened or changed.</exception>
    public async Task<RepairComparison> CompareAsync(RepairRequest request, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var environment = request.Environment;
        var (fromText, afterText) = RepairSourceSpec.Sources(request.From, request.After, request.IncidentAt, request.IncidentWindow, environment.TimeZone, clock.GetUtcNow());
        Validate(request, threeWay: afterText is not null);

        var watch = Stopwatch.StartNew();
        var names = request.Config.Environments.Select(e => e.Name).ToList();
        var sources = new RepairSources(request.Config, connector, variables);
        var target = await connector.OpenAsync(environment, cancellationToken);
        RepairSource? source = null;
        RepairSource? after = null;
        try
        {
            var table = await NothingChangedAsync(() => RepairTable.ResolveAsync(target.Connection, request.Table, request.Columns, request.Key, cancellationToken));
            RepairWhere.CheckIsOneCondition(request.Options.Where);

            source = await sources.OpenAsync(environment, RepairSourceSpec.Parse(fromText, names), request.KeepSources, progress, cancellationToken);
            table = await NothingChangedAsync(() => table.CheckSourceAsync(source.Connection, source.Name, cancellationToken));
            if (request.Options.RestoreMissing && table.ColumnsLackingInSource.FirstOrDefault(c => c.Required) is { } required)
            {
                throw new RepairUsageException(
                    $"--restore-missing cannot re-insert rows into {table.QualifiedName}: its column '{required.Name}' ({required.Type}, NOT NULL, no default) is not in the source {source.Name} with that type; nothing was changed");
            }

            if (afterText is not null)
            {
                after = await sources.OpenAsync(environment, RepairSourceSpec.Parse(afterText, names), request.KeepSources, progress, cancellationToken);
                var afterSide = after;
                await NothingChangedAsync(() => table.CheckSourceAsync(afterSide.Connection, afterSide.Name, cancellationToken));
            }

            var plan = await PlanAsync(target.Connection, source, after, table, request.Options, progress, cancellationToken);
            return new RepairComparison(target, source, after, plan, watch.Elapsed, request.BatchRows);
        }
        catch
        {
            await RepairComparison.CloseAsync(target, source, after);
            throw;
        }
    }

    /// <summary>What the options allow together, checked before anything is opened.</summary>
    /// <exception cref="RepairUsageException">they contradict each other.</exception>
    internal static void Validate(RepairRequest request, bool threeWay)
    {
        var options = request.Options;
        if (options.DeleteExtra && options.Where is not null)
        {
            throw new RepairUsageException("--delete-extra cannot be used with --where: the condition is applied on each side separately, so a row the mistake moved out of it would look extra and be deleted; repair without --where, or leave extra rows alone");
        }

        if (request.BatchRows < 0)
        {
            throw new RepairUsageException($"--batch-rows {request.BatchRows} is not a number of rows; give a positive number, or leave it out to repair in one change");
        }

        if (options.OverwriteConflicts && !threeWay)
        {
            throw new RepairUsageException("--overwrite-conflicts needs a three-way repair (--after or --incident-at)");
        }
    }

    /// <summary>Every side is read in a read-only transaction of its own (see <see cref="TableSnapshot.BeginReadAsync"/>), committed once the plan is made.</summary>
    private static async Task<RepairPlan> PlanAsync(
        NpgsqlConnection target, RepairSource source, RepairSource? after, RepairTable table, RepairOptions options, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var rows = await EstimateRowsAsync(target, table, cancellationToken);
        var sides = new[] { target, source.Connection, after?.Connection }.OfType<NpgsqlConnection>().ToList();
        var reads = new List<NpgsqlTransaction>();
        foreach (var side in sides)
        {
            reads.Add(await TableSnapshot.BeginReadAsync(side, cancellationToken));
        }

        await RepairWhere.CheckOnAsync(target, table, options.Where, "the target", cancellationToken);
        await RepairWhere.CheckOnAsync(source.Connection, table, options.Where, source.Name, cancellationToken);
        var bucketing = await RepairPlanner.ChooseBucketingAsync(
            table, rows, sides.Select(c => new TableSnapshot(c, table, options.Where, Bucketing.ByHash(table, 6))).ToList(), cancellationToken);
        var plan = await RepairPlanner.PlanAsync(
            table,
            new TableSnapshot(target, table, options.Where, bucketing),
            new TableSnapshot(source.Connection, table, options.Where, bucketing),
            after is null ? null : new TableSnapshot(after.Connection, table, options.Where, bucketing),
            options,
            progress,
            cancellationToken);
        foreach (var read in reads)
        {
            await read.CommitAsync(cancellationToken);
            await read.DisposeAsync();
        }

        return plan;
    }

    /// <summary>The planner's estimate of the table's rows, which sizes the comparison's buckets.</summary>
    private static async Task<long> EstimateRowsAsync(NpgsqlConnection connection, RepairTable table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT (CASE WHEN reltuples < 0 THEN pg_relation_size(oid) / 100 ELSE reltuples END)::bigint FROM pg_class WHERE oid = to_regclass(@name)", connection);
        command.Parameters.AddWithValue("name", table.Quoted);
        return await command.ExecuteScalarAsync(cancellationToken) is long rows ? rows : 0;
    }

    /// <summary>A table that cannot be repaired as asked is found before anything changed, and the message says so.</summary>
    private static async Task<T> NothingChangedAsync<T>(Func<Task<T>> resolve)
    {
        try
        {
            return await resolve();
        }
        catch (RepairUsageException e)
        {
            throw new RepairUsageException(e.Message + "; nothing was changed");
        }
    }
}

using System.Diagnostics;
using Backstop.Core.Configuration;
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
        // --incident-at without a window: the two states are found in the WAL once the tables are known.
        DateTimeOffset? incidentAt = request is { IncidentAt: { } time, IncidentWindow: null, From: null, After: null }
            ? RepairSourceSpec.IncidentTime(time, environment.TimeZone, clock.GetUtcNow())
            : null;
        var (fromText, afterText) = incidentAt is null
            ? RepairSourceSpec.Sources(request.From, request.After, request.IncidentAt, request.IncidentWindow, environment.TimeZone, clock.GetUtcNow())
            : (string.Empty, string.Empty);

        Validate(request, threeWay: afterText is not null);

        var watch = Stopwatch.StartNew();
        var names = request.Config.Environments.Select(e => e.Name).ToList();
        var sources = new RepairSources(request.Config, connector, variables);
        var target = await connector.OpenAsync(environment, cancellationToken);
        RepairSource? source = null;
        RepairSource? after = null;
        try
        {
            var (tables, graph) = await TablesAsync(target.Connection, request, progress, cancellationToken);
            RepairWhere.CheckIsOneCondition(request.Options.Where);
            RepairIncident? incident = null;
            if (incidentAt is { } at)
            {
                incident = await RepairIncident.FindAsync(request.Config, environment, target.Connection, tables, at, progress, cancellationToken);
                (fromText, afterText) = (incident.Before, incident.After);
            }

            // The two states are independent (two clones, two restores): made at once, each shared by every table.
            var opening = sources.OpenAsync(environment, RepairSourceSpec.Parse(fromText, names), request.KeepSources, progress, cancellationToken);
            var openingAfter = afterText is null
                ? Task.FromResult<RepairSource?>(null)
                : OpenOptionalAsync(sources, environment, RepairSourceSpec.Parse(afterText, names), request.KeepSources, progress, cancellationToken);
            try
            {
                await Task.WhenAll((Task)opening, openingAfter);
            }
            finally
            {
                source = opening.IsCompletedSuccessfully ? opening.Result : null;
                after = openingAfter.IsCompletedSuccessfully ? openingAfter.Result : null;
            }

            var options = request.Options with { RestoreMissing = request.Options.RestoreMissing || graph is not null };
            for (var i = 0; i < tables.Count; i++)
            {
                var checkedTable = await NothingChangedAsync(() => tables[i].CheckSourceAsync(source!.Connection, source.Name, cancellationToken));
                if (options.RestoreMissing && checkedTable.ColumnsLackingInSource.FirstOrDefault(c => c.Required) is { } required)
                {
                    throw new RepairUsageException(
                        $"{(graph is null ? "--restore-missing" : "the repair")} cannot re-insert rows into {checkedTable.QualifiedName}: its column '{required.Name}' ({required.Type}, NOT NULL, no default) is not in the source {source!.Name} with that type; nothing was changed");
                }

                if (after is not null)
                {
                    var afterSide = after;
                    await NothingChangedAsync(() => checkedTable.CheckSourceAsync(afterSide.Connection, afterSide.Name, cancellationToken));
                }

                tables[i] = checkedTable;
            }

            var plans = await PlanAsync(target.Connection, source!, after, tables, graph, options, progress, cancellationToken);
            return new RepairComparison(target, source!, after, plans, graph, watch.Elapsed, request.BatchRows) { Incident = incident };
        }
        catch
        {
            await RepairComparison.CloseAsync(target, source, after);
            throw;
        }
    }

    private static async Task<RepairSource?> OpenOptionalAsync(
        RepairSources sources, EnvironmentConfig environment, RepairSourceSpec spec, bool keep, IProgress<string> progress, CancellationToken cancellationToken) =>
        await sources.OpenAsync(environment, spec, keep, progress, cancellationToken);

    /// <summary>
    /// The table to repair, or with <c>--root</c> the root and every table its rows reach through foreign keys (parents
    /// first), resolved on the target.
    /// </summary>
    private static async Task<(List<RepairTable> Tables, RepairGraph? Graph)> TablesAsync(
        NpgsqlConnection target, RepairRequest request, IProgress<string> progress, CancellationToken cancellationToken)
    {
        if (request.Root is null)
        {
            var table = await NothingChangedAsync(() => RepairTable.ResolveAsync(target, request.Table!, request.Columns, request.Key, cancellationToken));
            return ([table], null);
        }

        var root = await NothingChangedAsync(() => RepairTable.ResolveAsync(target, request.Root, null, null, cancellationToken));
        var graph = await RepairGraph.DiscoverAsync(target, root, cancellationToken);
        var tables = new List<RepairTable>();
        foreach (var quoted in graph.Tables)
        {
            tables.Add(await NothingChangedAsync(() => RepairTable.ResolveAsync(target, quoted, null, null, cancellationToken)));
        }

        progress.Report(graph.Edges.Count == 0
            ? $"{root.QualifiedName} is referenced by no foreign key that cascades, sets null or sets default: repairing it alone"
            : $"following {root.QualifiedName} through {string.Join("; ", graph.Edges.Select(e => RepairGraph.Describe(e, tables)))}");
        return (tables, graph);
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

        if (request.Root is not null)
        {
            if (request.Table is not null || request.Columns is not null || request.Key is not null)
            {
                throw new RepairUsageException("--root repairs every table the root's rows reach, each by its primary key and all its columns; give it without --table, --columns and --key");
            }

            if (options.Where is null)
            {
                throw new RepairUsageException("--root needs --where naming the root rows the mistake took (e.g. --where \"id = 42\"); every other table's rows are found from them");
            }

            if (request.BatchRows > 0)
            {
                throw new RepairUsageException("--root repairs every table in one change, parents before children; give it without --batch-rows");
            }
        }
        else if (request.Table is null)
        {
            throw new RepairUsageException("say what to repair: --table NAME, or --root NAME --where CONDITION for rows and everything their foreign keys reached");
        }

        if (options.OverwriteConflicts && !threeWay)
        {
            throw new RepairUsageException("--overwrite-conflicts needs a three-way repair (--after or --incident-at)");
        }
    }

    /// <summary>
    /// Every side is read in a read-only transaction of its own (see <see cref="TableSnapshot.BeginReadAsync"/>), one
    /// snapshot for every table, committed once the plans are made. With a graph, the rows in reach are found in the
    /// source first and every table is compared on exactly those keys.
    /// </summary>
    private static async Task<List<RepairPlan>> PlanAsync(
        NpgsqlConnection target, RepairSource source, RepairSource? after, IReadOnlyList<RepairTable> tables, RepairGraph? graph, RepairOptions options,
        IProgress<string> progress, CancellationToken cancellationToken)
    {
        var sides = new[] { target, source.Connection, after?.Connection }.OfType<NpgsqlConnection>().ToList();
        var reads = new List<NpgsqlTransaction>();
        foreach (var side in sides)
        {
            reads.Add(await TableSnapshot.BeginReadAsync(side, cancellationToken));
        }

        var wheres = tables.ToDictionary(t => t.Quoted, _ => options.Where, StringComparer.Ordinal);
        if (graph is not null)
        {
            await RepairWhere.CheckOnAsync(source.Connection, tables[0], options.Where, source.Name, cancellationToken);
            var keys = await RepairScope.KeysAsync(source.Connection, source.Name, graph, tables.ToDictionary(t => t.Quoted, StringComparer.Ordinal), options.Where!, progress, cancellationToken);
            foreach (var table in tables)
            {
                wheres[table.Quoted] = RepairScope.Condition(table, keys[table.Quoted]);
            }
        }

        var plans = new List<RepairPlan>();
        foreach (var table in tables)
        {
            var where = wheres[table.Quoted];
            if (graph is null)
            {
                await RepairWhere.CheckOnAsync(target, table, where, "the target", cancellationToken);
                await RepairWhere.CheckOnAsync(source.Connection, table, where, source.Name, cancellationToken);
            }

            var rows = await EstimateRowsAsync(target, table, cancellationToken);
            var tableOptions = options with { Where = where };
            var bucketing = await RepairPlanner.ChooseBucketingAsync(
                table, rows, sides.Select(c => new TableSnapshot(c, table, where, Bucketing.ByHash(table, 6))).ToList(), cancellationToken);
            plans.Add(await RepairPlanner.PlanAsync(
                table,
                new TableSnapshot(target, table, where, bucketing),
                new TableSnapshot(source.Connection, table, where, bucketing),
                after is null ? null : new TableSnapshot(after.Connection, table, where, bucketing),
                tableOptions,
                progress,
                cancellationToken));
        }

        foreach (var read in reads)
        {
            await read.CommitAsync(cancellationToken);
            await read.DisposeAsync();
        }

        return plans;
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

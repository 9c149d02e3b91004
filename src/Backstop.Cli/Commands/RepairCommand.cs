using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Recovery.Pitr;
using Backstop.Recovery.Repair;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop repair</c>: put back only the rows and columns a mistake changed, from a clone or a backup, as a guarded
/// change (preview, policy, confirmation, capture, undo) while the database keeps running.
/// </summary>
internal static class RepairCommand
{
    private const int SampleRows = 10;

    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var table = new Option<string>("--table") { Description = "The table to repair (name or schema.name)", Required = true };
        var from = new Option<string?>("--from") { Description = "Where the right values are: a postgresql:// URL or env:VARIABLE holding one (a clone), an environment's name, backup:ID, or pitr:TIME (a point-in-time clone made for the occasion)" };
        var after = new Option<string?>("--after") { Description = "Three-way: a state just after the mistake (URL, backup:ID or pitr:TIME); only rows the mistake changed are repaired, later writes are kept" };
        var incidentAt = new Option<string?>("--incident-at") { Description = "The mistake's time: --from pitr:TIME and --after pitr:TIME+window, both cloned for the occasion" };
        var window = new Option<string>("--incident-window") { Description = "With --incident-at: how long after it the mistake had committed (default 10s); writes to the repaired columns in that window count as the mistake's", DefaultValueFactory = _ => "10s" };
        var columns = new Option<string?>("--columns") { Description = "Only these columns, comma-separated (default: every column but the key)" };
        var where = new Option<string?>("--where") { Description = "Only rows matching this SQL condition, on every side" };
        var key = new Option<string?>("--key") { Description = "Columns that identify a row, comma-separated (default: the primary key)" };
        var restoreMissing = new Option<bool>("--restore-missing") { Description = "Re-insert rows the target lacks, with the same keys" };
        var deleteExtra = new Option<bool>("--delete-extra") { Description = "Delete rows that exist only in the target" };
        var overwrite = new Option<bool>("--overwrite-conflicts") { Description = "Three-way: repair rows that changed again after the mistake too" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Compare and show what would be repaired; change nothing" };
        var batchRows = new Option<int>("--batch-rows")
        {
            Description = "Apply in batches of at most N rows of each kind, each a change of its own that commits before the next starts, so row locks are held for one batch only (each batch is undone on its own); default: one change",
        };
        var keepSources = new Option<bool>("--keep-sources") { Description = "Leave the clones and sandboxes made for the repair running" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm without a prompt (not enough on production: use --confirm NAME)" };
        var confirm = new Option<string?>("--confirm") { Description = "Confirm on production without a prompt by giving the environment's name" };
        var command = new Command("repair", "Put back the rows and columns a mistake changed, from a clone or a backup, as a guarded change that can be undone")
        {
            environmentOption, table, from, after, incidentAt, window, columns, where, key, restoreMissing, deleteExtra, overwrite, dryRun, batchRows, keepSources, yes, confirm,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var (fromSpec, afterSpec) = Sources(parse.GetValue(from), parse.GetValue(after), parse.GetValue(incidentAt), parse.GetValue(window)!, environment, host.Clock.GetUtcNow());
            var options = new RepairOptions
            {
                RestoreMissing = parse.GetValue(restoreMissing),
                DeleteExtra = parse.GetValue(deleteExtra),
                OverwriteConflicts = parse.GetValue(overwrite),
                Where = parse.GetValue(where),
            };
            if (options.DeleteExtra && options.Where is not null)
            {
                throw new UsageException("--delete-extra cannot be used with --where: the condition is applied on each side separately, so a row the mistake moved out of it would look extra and be deleted; repair without --where, or leave extra rows alone");
            }

            if (parse.GetValue(batchRows) < 0)
            {
                throw new UsageException($"--batch-rows {parse.GetValue(batchRows)} is not a number of rows; give a positive number, or leave it out to repair in one change");
            }

            if (options.OverwriteConflicts && afterSpec is null)
            {
                throw new UsageException("--overwrite-conflicts needs a three-way repair (--after or --incident-at)");
            }

            var progress = new Progress<string>(step => context.ErrorConsole.MarkupLineInterpolated($"[grey]{step}…[/]"));
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await using var target = await context.Connector.OpenAsync(environment, cancellationToken);
            var repairTable = await Resolve(() => RepairTable.ResolveAsync(target.Connection, parse.GetValue(table)!, List(parse.GetValue(columns)), List(parse.GetValue(key)), cancellationToken));
            CheckWhereIsOneCondition(options.Where);

            var keep = parse.GetValue(keepSources);
            await using var source = await RepairSources.OpenAsync(context, config, environment, fromSpec, keep, progress, cancellationToken);
            repairTable = await Resolve(() => repairTable.CheckSourceAsync(source.Connection, source.Name, cancellationToken));
            if (options.RestoreMissing && repairTable.ColumnsLackingInSource.FirstOrDefault(c => c.Required) is { } required)
            {
                throw new UsageException(
                    $"--restore-missing cannot re-insert rows into {repairTable.QualifiedName}: its column '{required.Name}' ({required.Type}, NOT NULL, no default) is not in the source {source.Name} with that type; nothing was changed");
            }

            await using var afterSource = afterSpec is null ? null : await RepairSources.OpenAsync(context, config, environment, afterSpec, keep, progress, cancellationToken);
            if (afterSource is not null)
            {
                await Resolve(() => repairTable.CheckSourceAsync(afterSource.Connection, afterSource.Name, cancellationToken));
            }

            var rows = await EstimateRowsAsync(target.Connection, repairTable, cancellationToken);
            var sides = new[] { target.Connection, source.Connection, afterSource?.Connection }.OfType<Npgsql.NpgsqlConnection>().ToList();

            // Everything the comparison reads, it reads in a read-only transaction per side (see TableSnapshot.BeginReadAsync).
            var reads = new List<Npgsql.NpgsqlTransaction>();
            foreach (var side in sides)
            {
                reads.Add(await TableSnapshot.BeginReadAsync(side, cancellationToken));
            }

            await CheckWhereAsync(target.Connection, repairTable, options.Where, "the target", cancellationToken);
            await CheckWhereAsync(source.Connection, repairTable, options.Where, source.Name, cancellationToken);
            var bucketing = await RepairPlanner.ChooseBucketingAsync(
                repairTable, rows, sides.Select(c => new TableSnapshot(c, repairTable, options.Where, Bucketing.ByHash(repairTable, 6))).ToList(), cancellationToken);
            var plan = await RepairPlanner.PlanAsync(
                repairTable,
                new TableSnapshot(target.Connection, repairTable, options.Where, bucketing),
                new TableSnapshot(source.Connection, repairTable, options.Where, bucketing),
                afterSource is null ? null : new TableSnapshot(afterSource.Connection, repairTable, options.Where, bucketing),
                options,
                progress,
                cancellationToken);
            foreach (var read in reads)
            {
                await read.CommitAsync(cancellationToken);
                await read.DisposeAsync();
            }

            var compared = watch.Elapsed;
            var summary = Summary(plan, source.Name, afterSource?.Name, compared);
            if (!context.Json)
            {
                Show(context, plan, source.Name, afterSource?.Name, compared);
            }

            if (plan.AfterShowsNoMistake)
            {
                context.ErrorConsole.MarkupLine("[yellow]warning:[/] the state \"after\" the mistake equals the source wherever the target differs: it may have been taken before the mistake committed. Give a later --after (or a longer --incident-window); nothing was repaired.");
            }

            if (plan.IsEmpty || parse.GetValue(dryRun))
            {
                if (context.Json)
                {
                    context.WriteJson(new { repair = summary, change = (object?)null });
                }
                else if (plan.IsEmpty)
                {
                    context.Console.MarkupLine("Nothing to repair.");
                }

                return ExitCodes.Done;
            }

            var loadWatch = System.Diagnostics.Stopwatch.StartNew();
            var scripts = await RepairScript.PrepareBatchesAsync(target.Connection, plan, parse.GetValue(batchRows), cancellationToken);
            var loaded = loadWatch.Elapsed;
            var flags = new GuardedRunFlags(AllowAllRows: false, parse.GetValue(yes), parse.GetValue(confirm), host.Interactive);
            if (scripts.Count == 1)
            {
                return await RunBatchAsync(
                    context, config, target, scripts[0], flags, cancellationToken,
                    wrapJson: change => new { repair = summary, loadSeconds = Math.Round(loaded.TotalSeconds, 3), change });
            }

            return await RunBatchesAsync(context, config, target, scripts, flags, summary, loaded, cancellationToken);
        });
        return command;
    }

    /// <summary>
    /// Runs each batch as a guarded change of its own, in order, and stops at the first that does not commit. The first
    /// is confirmed as the user said; the ones after it carry that confirmation (each is still previewed, judged by the
    /// policy and captured).
    /// </summary>
    private static async Task<int> RunBatchesAsync(
        CommandContext context, BackstopConfig config, Core.Environments.ConnectedEnvironment target, IReadOnlyList<RepairBatch> scripts, GuardedRunFlags flags, object summary,
        TimeSpan loaded, CancellationToken cancellationToken)
    {
        var changes = new List<object>();
        var committed = new List<long>();
        var exitCode = ExitCodes.Done;
        for (var batch = 0; batch < scripts.Count; batch++)
        {
            context.ErrorConsole.MarkupLineInterpolated($"[grey]Batch {batch + 1} of {scripts.Count}…[/]");
            var batchFlags = batch == 0 ? flags : flags with { Yes = true, ConfirmName = target.Environment.Name };
            try
            {
                exitCode = await RunBatchAsync(
                    context, config, target, scripts[batch], batchFlags, cancellationToken, jsonSink: changes.Add,
                    ran: result =>
                    {
                        if (result.Outcome == Core.State.ChangeOutcome.Committed)
                        {
                            committed.Add(result.ChangeId);
                        }
                    });
            }
            catch (RepairTargetChangedException e) when (batch > 0)
            {
                // Its preview fell short: this batch was not applied, the ones before it were.
                context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] batch {batch + 1} of {scripts.Count}: {e.Message.Replace("nothing was repaired", "this batch was not applied", StringComparison.Ordinal)}");
                changes.Add(new { batch = batch + 1, error = e.Message, exitCode = ExitCodes.RuntimeError });
                exitCode = ExitCodes.RuntimeError;
            }

            if (exitCode != ExitCodes.Done)
            {
                if (batch > 0)
                {
                    context.ErrorConsole.MarkupLineInterpolated(
                        $"[yellow]Batch {batch + 1} of {scripts.Count} did not commit; batches 1 to {batch} did and stay. Run the same repair again to compare afresh and finish it.[/]");
                }

                break;
            }
        }

        // Each batch is a change of its own: the whole repair is taken back by undoing them, newest first.
        var undo = committed.Count == 0 ? null : string.Join(" && ", committed.AsEnumerable().Reverse().Select(id => $"backstop undo {id.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));
        if (context.Json)
        {
            context.WriteJson(new { repair = summary, loadSeconds = Math.Round(loaded.TotalSeconds, 3), batches = scripts.Count, changes, undo });
        }
        else if (undo is not null)
        {
            context.Console.MarkupLineInterpolated($"{committed.Count} of {scripts.Count} batches committed. To take {(committed.Count == scripts.Count ? "the whole repair" : "them")} back: [bold]{undo}[/]");
        }

        return exitCode;
    }

    /// <summary>
    /// One batch as a guarded change, held to the rows it planned. Its preview is the comparison's count where the
    /// catalog vouches for it, and the run that falls short (a row written since the comparison) rolls back; where a
    /// dry run previews it, a dry run that falls short stops it before anything is recorded or confirmed.
    /// </summary>
    private static Task<int> RunBatchAsync(
        CommandContext context, BackstopConfig config, Core.Environments.ConnectedEnvironment target, RepairBatch batch, GuardedRunFlags flags, CancellationToken cancellationToken,
        Func<object, object>? wrapJson = null, Action<object>? jsonSink = null, Action<RunResult>? ran = null) =>
        GuardedRun.ExecuteAsync(
            context, config, target,
            new ChangeRequest
            {
                Script = batch.Script,
                Actor = Environment.UserName,
                PreviewChecks = [new PreviewCheck((preview, _) => RepairScript.Mismatch(batch, preview.Impacts) is { } reason ? throw new RepairTargetChangedException(reason) : Task.CompletedTask)],
                RunChecks = [new RunCheck(impacts => RepairScript.Mismatch(batch, impacts))],
                CountedImpact = ct => batch.CountedImpactAsync(target.Connection, ct),
            },
            flags, cancellationToken, new GuardedRun.Output(wrapJson, jsonSink, ran));

    private static (string From, string? After) Sources(string? from, string? after, string? incidentAt, string window, EnvironmentConfig environment, DateTimeOffset now)
    {
        if (incidentAt is null)
        {
            return (from ?? throw new UsageException("say where the right values are: --from URL|backup:ID|pitr:TIME, or --incident-at TIME"), after);
        }

        if (from is not null || after is not null)
        {
            throw new UsageException("--incident-at makes both sources from point-in-time clones; give it without --from and --after");
        }

        if (!Durations.TryParse(window, out var span) || span <= TimeSpan.Zero)
        {
            throw new UsageException($"--incident-window '{window}' is not a duration; use e.g. 10s or 2m");
        }

        DateTimeOffset at;
        try
        {
            at = RecoveryTarget.Parse(incidentAt, environment.TimeZone, now);
        }
        catch (PitrException e)
        {
            throw new UsageException(e.Message);
        }

        return (RepairSources.PitrPrefix + RecoveryTarget.Format(at), RepairSources.PitrPrefix + RecoveryTarget.Format(at + span));
    }

    private static List<string>? List(string? text) =>
        text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static async Task<T> Resolve<T>(Func<Task<T>> resolve)
    {
        try
        {
            return await resolve();
        }
        catch (RepairUsageException e)
        {
            throw new UsageException(e.Message + "; nothing was changed");
        }
    }

    /// <summary>--where must be one condition: no top-level ';' that would start a statement of its own.</summary>
    private static void CheckWhereIsOneCondition(string? where)
    {
        if (where is null)
        {
            return;
        }

        try
        {
            var script = Backstop.Sql.Splitting.SqlSplitter.Split($"SELECT 1 WHERE ({where}\n)");
            if (script.Statements.Count != 1 || script.Statements[0].Text.TrimEnd().EndsWith(';'))
            {
                throw new UsageException("--where must be one condition, without ';'; nothing was changed");
            }
        }
        catch (Backstop.Sql.SqlSyntaxException e)
        {
            throw new UsageException($"--where is not valid SQL: {e.Message}; nothing was changed");
        }
    }

    /// <summary>A --where that does not parse or names an unknown column is a usage error, found before anything is compared.</summary>
    private static async Task CheckWhereAsync(Npgsql.NpgsqlConnection connection, RepairTable table, string? where, string side, CancellationToken cancellationToken)
    {
        if (where is null)
        {
            return;
        }

        try
        {
            await using var command = new Npgsql.NpgsqlCommand($"EXPLAIN SELECT 1 FROM {table.Quoted} AS r WHERE ({where}\n)", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Npgsql.PostgresException e)
        {
            throw new UsageException($"--where does not work on {table.QualifiedName} in {side}: {e.MessageText}; nothing was changed");
        }
    }

    private static async Task<long> EstimateRowsAsync(Npgsql.NpgsqlConnection connection, RepairTable table, CancellationToken cancellationToken)
    {
        await using var command = new Npgsql.NpgsqlCommand("SELECT (CASE WHEN reltuples < 0 THEN pg_relation_size(oid) / 100 ELSE reltuples END)::bigint FROM pg_class WHERE oid = to_regclass(@name)", connection);
        command.Parameters.AddWithValue("name", table.Quoted);
        return await command.ExecuteScalarAsync(cancellationToken) is long rows ? rows : 0;
    }

    private static object Summary(RepairPlan plan, string source, string? after, TimeSpan compared) => new
    {
        table = plan.Table.QualifiedName,
        key = plan.Table.Key.Select(k => k.Name),
        columns = plan.Table.Columns.Select(c => c.Name),
        source,
        after,
        threeWay = plan.ThreeWay,
        sourceRows = plan.SourceRows,
        targetRows = plan.TargetRows,
        buckets = plan.Buckets,
        differingBuckets = plan.DifferingBuckets,
        updates = plan.Updates.Count,
        inserts = plan.Inserts.Count,
        deletes = plan.Deletes.Count,
        conflicts = plan.Conflicts.Count,
        laterWrites = plan.LaterWrites,
        missingLeft = plan.MissingLeft,
        extraLeft = plan.ExtraLeft,
        compareSeconds = Math.Round(compared.TotalSeconds, 3),
        sample = plan.Updates.Take(SampleRows).Select(r => Row(plan, r)),
        conflictRows = plan.Conflicts.Take(100).Select(r => Row(plan, r)),
    };

    private static object Row(RepairPlan plan, RepairRow row) => new
    {
        key = Named(plan.Table.Key, row.Key),
        target = row.Target is null ? null : Named(plan.Table.Columns, row.Target),
        source = row.Source is null ? null : Named(plan.Table.Columns, row.Source),
        after = row.After is null ? null : Named(plan.Table.Columns, row.After),
    };

    private static Dictionary<string, string> Named(IReadOnlyList<RepairColumn> columns, string text)
    {
        var fields = TableSnapshot.Fields(text);
        return columns.Select((c, i) => (c.Name, Value: i < fields.Length ? TableSnapshot.Display(fields[i]) : "")).ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
    }

    private static void Show(CommandContext context, RepairPlan plan, string source, string? after, TimeSpan compared)
    {
        var console = context.Console;
        console.MarkupLineInterpolated($"Repair of [bold]{plan.Table.QualifiedName}[/] ({string.Join(", ", plan.Table.Columns.Select(c => c.Name))}) by ({string.Join(", ", plan.Table.Key.Select(k => k.Name))}) from {source}{(after is null ? "" : $", three-way with {after}")}.");
        console.MarkupLineInterpolated(
            $"Compared {Humanize.Count(plan.SourceRows)} source and {Humanize.Count(plan.TargetRows)} target rows in {Humanize.Span(compared)}: {plan.DifferingBuckets} of {plan.Buckets} key buckets differ.");
        var table = new Table().AddColumns("What", "Rows");
        table.AddRow("rows set back (differing values)", Humanize.Count(plan.Updates.Count));
        table.AddRow("missing rows re-inserted", Humanize.Count(plan.Inserts.Count));
        table.AddRow("extra rows deleted", Humanize.Count(plan.Deletes.Count));
        if (plan.ThreeWay)
        {
            table.AddRow("[yellow]conflicts: changed again since the mistake, left alone[/]", Humanize.Count(plan.Conflicts.Count));
            table.AddRow("changed only after the mistake, kept", Humanize.Count(plan.LaterWrites));
        }

        if (plan.MissingLeft > 0)
        {
            table.AddRow("missing from the target, not restored (--restore-missing)", Humanize.Count(plan.MissingLeft));
        }

        if (plan.ExtraLeft > 0)
        {
            table.AddRow("only in the target, kept (--delete-extra)", Humanize.Count(plan.ExtraLeft));
        }

        console.Write(table);
        Sample(console, plan, plan.Updates, "Sample of rows set back (target → source):");
        Sample(console, plan, plan.Conflicts, "Conflicts (target / after the mistake / source):");
    }

    private static void Sample(IAnsiConsole console, RepairPlan plan, IReadOnlyList<RepairRow> rows, string title)
    {
        if (rows.Count == 0)
        {
            return;
        }

        console.MarkupLineInterpolated($"{title}");
        foreach (var row in rows.Take(SampleRows))
        {
            var key = string.Join(", ", Named(plan.Table.Key, row.Key).Select(p => $"{p.Key}={p.Value}"));
            var target = row.Target is null ? null : Named(plan.Table.Columns, row.Target);
            var source = row.Source is null ? null : Named(plan.Table.Columns, row.Source);
            var after = row.After is null ? null : Named(plan.Table.Columns, row.After);
            var conflicts = plan.ThreeWay && rows == plan.Conflicts;
            var changes = plan.Table.Columns
                .Where(c => target?.GetValueOrDefault(c.Name) != source?.GetValueOrDefault(c.Name) || (conflicts && target?.GetValueOrDefault(c.Name) != after?.GetValueOrDefault(c.Name)))
                .Select(c => $"{c.Name}: {target?.GetValueOrDefault(c.Name) ?? "(no row)"}" + (conflicts ? $" / {after?.GetValueOrDefault(c.Name) ?? "(no row)"}" : "") + $" → {source?.GetValueOrDefault(c.Name) ?? "(no row)"}");
            console.MarkupLineInterpolated($"  ({key}) {string.Join("; ", changes)}");
        }

        if (rows.Count > SampleRows)
        {
            console.MarkupLineInterpolated($"  … and {Humanize.Count(rows.Count - SampleRows)} more");
        }
    }
}

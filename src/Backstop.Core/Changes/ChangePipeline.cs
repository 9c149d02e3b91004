using System.Security.Cryptography;
using System.Text;
using Backstop.Core.Capture;
using Backstop.Core.Environments;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Core.State;
using Npgsql;

namespace Backstop.Core.Changes;

/// <summary>
/// The life of a change (DESIGN.md): split, classify, preview in a rolled-back transaction, judge, confirm,
/// then execute in one transaction that measures the impact again and commits only if it still matches.
/// </summary>
public sealed class ChangePipeline(ConnectedEnvironment target, TierPolicy policy, TimeProvider clock)
{
    /// <summary>Per database of the target's server, when its newest proven backup was taken (for DROP DATABASE).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> ProvenBackups { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <param name="statements">the script as <see cref="ScriptAnalyzer.Analyze"/> returned it.</param>
    public async Task<CheckResult> CheckAsync(IReadOnlyList<AnalyzedStatement> statements, bool allowAllRows, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var bounds = new PreviewBounds(target.Environment.LockTimeout, target.Environment.StatementTimeout);
        var impacts = await ImpactPreviewer.PreviewAsync(target.Connection, statements, bounds, progress, cancellationToken);
        return new CheckResult(statements, impacts, Judge(statements, impacts, allowAllRows), target.Identity);
    }

    /// <summary>
    /// The caller's counted impact as the preview, or null for the usual dry run: when none is offered, when it does not
    /// describe these statements (each one INSERT, UPDATE or DELETE of the one table its impact names, run in the
    /// transaction), or when the catalog could not be read within the environment's lock_timeout.
    /// </summary>
    private async Task<CheckResult?> CountedAsync(IReadOnlyList<AnalyzedStatement> statements, RunOptions options, CancellationToken cancellationToken)
    {
        if (options.CountedImpact is not { } counted)
        {
            return null;
        }

        IReadOnlyList<StatementImpact>? impacts;
        var connection = target.Connection;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using (var bound = new NpgsqlBatch(connection) { BatchCommands = { ImpactMeter.SetLocal("lock_timeout", target.Environment.LockTimeout) } })
            {
                await bound.ExecuteNonQueryAsync(cancellationToken);
            }

            try
            {
                impacts = await counted(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                impacts = null;
            }

            await transaction.RollbackAsync(CancellationToken.None);
        }

        return impacts is not null && Describes(impacts, statements)
            ? new CheckResult(statements, impacts, Judge(statements, impacts, options.AllowAllRows), target.Identity)
            : null;
    }

    private static bool Describes(IReadOnlyList<StatementImpact> impacts, IReadOnlyList<AnalyzedStatement> statements) =>
        impacts.Count == statements.Count && statements.Zip(impacts).All(pair =>
        {
            var (statement, impact) = pair;
            if (impact.Index != statement.Index || !statement.Info.AllowedInTransaction || statement.Info.ExternalEffect is not null
                || statement.Info.Targets is not [var written] || impact.Tables is not [var table]
                || written.Name != table.Name || (written.Schema is { } schema && schema != table.Schema))
            {
                return false;
            }

            return statement.Info.Kind switch
            {
                Sql.Classification.StatementKind.Insert => table is { Updated: 0, Deleted: 0 },
                Sql.Classification.StatementKind.Update => table is { Inserted: 0, Deleted: 0 },
                Sql.Classification.StatementKind.Delete => table is { Inserted: 0, Updated: 0 },
                _ => false,
            };
        });

    /// <param name="script">the script's text, as recorded.</param>
    /// <param name="statements">the script as <see cref="ScriptAnalyzer.Analyze"/> returned it.</param>
    public async Task<RunResult> RunAsync(string script, IReadOnlyList<AnalyzedStatement> statements, RunOptions options, IStateStore store, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var started = clock.GetUtcNow();
        if (TransactionalityProblem(statements) is { } problem)
        {
            throw new ScriptRejectedException(problem);
        }

        // Rows written around a dropped column would be captured with and without it; keeping the column's values
        // whole needs the drop to be a change of its own.
        if (statements.Count > 1 && statements.FirstOrDefault(s => s.Info.DroppedColumns.Count > 0) is { } dropping)
        {
            throw new ScriptRejectedException(
                $"statement {dropping.Index + 1} at {dropping.Location} drops a column; Backstop keeps a dropped column's values so the drop can be undone, and that needs ALTER TABLE … DROP COLUMN to run as a script of its own");
        }

        CheckResult preview;
        var record = NewRecord(script, started) with { UndoOf = options.UndoOf?.Id };
        var previewWatch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            preview = await CountedAsync(statements, options, cancellationToken)
                ?? await CheckAsync(statements, options.AllowAllRows, progress, cancellationToken);
        }
        catch (StatementFailedException e)
        {
            // No impact was measured: the verdict recorded is what the statements' classification alone earns.
            var classified = Judge(statements, [], options.AllowAllRows);
            var conflict = await LockConflict.DescribeAsync(target, e, [], store, CancellationToken.None);
            record = record with
            {
                Outcome = ChangeOutcome.Failed,
                Message = "the preview failed: " + (conflict?.Message ?? e.Message),
                Verdict = classified.Verdict,
                Reasons = classified.DecidingReasons.Select(r => r.Message).ToList(),
                Duration = clock.GetUtcNow() - started,
            };
            await store.AddAsync(record, CancellationToken.None);
            if (conflict is not null)
            {
                throw conflict;
            }

            throw;
        }

        var previewTime = previewWatch.Elapsed;
        if (options.AfterPreview is { } afterPreview)
        {
            await afterPreview(preview, cancellationToken);
        }

        options.Previewed?.Invoke(preview);
        record = record with
        {
            Verdict = preview.Decision.Verdict,
            Reasons = preview.Decision.DecidingReasons.Select(r => r.Message).ToList(),
            Impact = preview.Impacts,
        };

        var stop = preview.Decision.Verdict switch
        {
            Verdict.Deny => (ChangeOutcome.Denied, "denied by policy; nothing was changed"),
            Verdict.Approve => (ChangeOutcome.NeedsApproval, "needs a second person's approval; nothing was changed"),
            Verdict.Confirm when !await options.Confirm(preview, cancellationToken) => (ChangeOutcome.NotConfirmed, "not confirmed; nothing was changed"),
            _ => ((ChangeOutcome, string)?)null,
        };
        if (stop is var (outcome, message))
        {
            record = record with { Outcome = outcome, Message = message, Duration = clock.GetUtcNow() - started };
            var id = await store.AddAsync(record, CancellationToken.None);
            return new RunResult { Preview = preview, ChangeId = id, Outcome = outcome, Message = message, PreviewTime = previewTime };
        }

        if (preview.Statements.All(s => s.Info.AllowedInTransaction))
        {
            // Before the change is recorded and its transaction begins: each migration of the schema commits on its own.
            await CaptureSchema.EnsureAsync(target.Connection, target.Notice, cancellationToken);
        }

        record = record with { Id = await store.AddAsync(record, CancellationToken.None) };
        var runWatch = System.Diagnostics.Stopwatch.StartNew();
        var result = await ExecuteAsync(preview, options, store, record, progress, cancellationToken);
        return result with { PreviewTime = previewTime, RunTime = runWatch.Elapsed };
    }

    private async Task<RunResult> ExecuteAsync(CheckResult preview, RunOptions options, IStateStore store, ChangeRecord record, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var connection = target.Connection;
        var transactional = preview.Statements.All(s => s.Info.AllowedInTransaction);
        if (options.CheckRun is not null && !transactional)
        {
            // A check of the run can only stop what it can still roll back.
            throw new InvalidOperationException("a change whose run is checked before it commits must run in a transaction");
        }

        await using var transaction = transactional ? await connection.BeginTransactionAsync(cancellationToken) : null;
        List<StatementImpact> impacts;
        PolicyDecision decision;
        try
        {
            if (transaction is not null)
            {
                // Capture's own locks (CREATE TRIGGER, the lock before a TRUNCATE) wait no longer than the statements' do.
                await using var bound = new NpgsqlBatch(connection) { BatchCommands = { ImpactMeter.SetLocal("lock_timeout", target.Environment.LockTimeout) } };
                await bound.ExecuteNonQueryAsync(cancellationToken);
                await ChangeReconciler.MarkSessionAsync(connection, record.ChangeUuid, cancellationToken);
            }

            var capture = transaction is null ? null : await BeginCaptureAsync(preview, options, record, cancellationToken);
            var meter = new ImpactMeter(connection, preview: false, target.Environment.LockTimeout, statementTimeout: null)
            {
                BeforeTruncate = capture is null ? null : (tables, ct) => capture.CaptureTruncateAsync(record.ChangeUuid, tables, ct),
                InsteadOf = capture is null ? null : (statement, sizes, ct) => RecycleBin.TrashBin.TryMoveAsync(connection, record.ChangeUuid, statement, sizes, ct),
                BeforeDropColumns = capture is null ? null : (statement, ct) => capture.CaptureDroppedColumnsAsync(record.ChangeUuid, statement.Info.Targets[0], statement.Info.DroppedColumns, ct),
                Planned = preview.Impacts.Where(i => i.Effects.Count > 0).ToDictionary(i => i.Index, i => i.Effects),
                KeepEffects = capture is null ? null : (statement, effects, ct) => EffectKeeper.KeepAsync(connection, capture, record.ChangeUuid, effects, ct),
            };
            impacts = [];
            foreach (var statement in preview.Statements)
            {
                progress?.Report(statement.Index);
                impacts.Add(transaction is null ? await RunOutsideTransactionAsync(statement, cancellationToken) : await meter.MeasureAsync(statement, cancellationToken));
            }

            if (transaction is not null)
            {
                impacts = [.. await meter.FlushDeferredAsync(impacts, cancellationToken)];
            }

            impacts = [.. impacts.Select(run => WithCountedSizes(run, preview.Impacts))];
            decision = Judge(preview.Statements, impacts, options.AllowAllRows);
            if (impacts.SelectMany(i => i.Unplanned).ToList() is { Count: > 0 } unplanned && transaction is not null)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                const string message = "the run destroyed something other than what the preview showed; rolled back, nothing was changed";
                await store.UpdateAsync(Finished(record, ChangeOutcome.ImpactChanged, message + ": " + string.Join("; ", unplanned), impacts, decision), CancellationToken.None);
                return new RunResult { Preview = preview, ChangeId = record.Id, Outcome = ChangeOutcome.ImpactChanged, RunImpacts = impacts, RunDecision = decision, Differences = unplanned, Message = message };
            }

            if (options.CheckRun?.Invoke(impacts) is { } reason && transaction is not null)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                await store.UpdateAsync(Finished(record, ChangeOutcome.Failed, reason, impacts, decision), CancellationToken.None);
                return new RunResult { Preview = preview, ChangeId = record.Id, Outcome = ChangeOutcome.Failed, RunImpacts = impacts, RunDecision = decision, Message = reason };
            }

            if (options.UndoBounds is { } bounds && transaction is not null && UndoOverreach(impacts, bounds) is { Count: > 0 } overreach)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                var message = "the undo would also change rows it did not capture, so it was rolled back and nothing was changed: " + string.Join("; ", overreach);
                await store.UpdateAsync(Finished(record, ChangeOutcome.Failed, message, impacts, decision), CancellationToken.None);
                return new RunResult { Preview = preview, ChangeId = record.Id, Outcome = ChangeOutcome.Failed, RunImpacts = impacts, RunDecision = decision, Message = message };
            }

            if (capture is not null && transaction is not null)
            {
                var captured = await capture.EndAsync(record.ChangeUuid, cancellationToken);
                // A table dropped inside a function went into the recycle bin as a copy, not into the images.
                var notImaged = capture.CreatedByChange.Union(impacts.SelectMany(i => i.Effects).Where(e => e.Kind == EffectKind.DroppedTable).Select(e => e.QualifiedName)).ToHashSet(StringComparer.Ordinal);
                var mismatches = CaptureVerification.Mismatches(impacts, captured, CaptureVerification.UncapturableStatements(preview.Statements), notImaged);
                if (mismatches.Count > 0 && preview.Impacts.Any(i => i.Estimated))
                {
                    // The preview could only estimate, and capture followed the estimate: the run showed what the change
                    // really does, which is an impact to show and judge again, not a failure of capture.
                    await transaction.RollbackAsync(CancellationToken.None);
                    const string changed = "the run did more than the preview could estimate; rolled back, nothing was changed";
                    var shown = ImpactComparison.Differences(preview.Impacts, impacts).Concat(mismatches).ToList();
                    await store.UpdateAsync(Finished(record, ChangeOutcome.ImpactChanged, changed + ": " + string.Join("; ", shown), impacts, decision), CancellationToken.None);
                    return new RunResult { Preview = preview, ChangeId = record.Id, Outcome = ChangeOutcome.ImpactChanged, RunImpacts = impacts, RunDecision = decision, Differences = shown, Message = changed };
                }

                if (mismatches.Count > 0)
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                    var message = "the before-images do not account for every changed row, so the change could not be undone; rolled back, nothing was changed: " + string.Join("; ", mismatches);
                    await store.UpdateAsync(Finished(record, ChangeOutcome.Failed, message, impacts, decision), CancellationToken.None);
                    return new RunResult { Preview = preview, ChangeId = record.Id, Outcome = ChangeOutcome.Failed, RunImpacts = impacts, RunDecision = decision, Message = message };
                }
            }

            var differences = ImpactComparison.Differences(preview.Impacts, impacts).ToList();
            if (decision.Verdict > preview.Decision.Verdict)
            {
                differences.Add($"the verdict is now {decision.Verdict.ToString().ToLowerInvariant()} (was {preview.Decision.Verdict.ToString().ToLowerInvariant()}): {string.Join("; ", decision.DecidingReasons.Select(r => r.Message))}");
            }

            if (differences.Count > 0 && transaction is not null)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                const string message = "the impact changed between the preview and the run; rolled back, nothing was changed";
                await store.UpdateAsync(Finished(record, ChangeOutcome.ImpactChanged, message + ": " + string.Join("; ", differences), impacts, decision), CancellationToken.None);
                return new RunResult { Preview = preview, ChangeId = record.Id, Outcome = ChangeOutcome.ImpactChanged, RunImpacts = impacts, RunDecision = decision, Differences = differences, Message = message };
            }

            if (transaction is not null)
            {
                // Past this point the change may be committed: no cancellation, and no "nothing was changed".
                await transaction.CommitAsync(CancellationToken.None);
            }
        }
        catch (Exception e) when (e is StatementFailedException or NpgsqlException or OperationCanceledException or CapturePrivilegeException or CaptureSchemaTooNewException or RecycleBin.RecycleBinException)
        {
            // Described at once, while the other side most likely still holds its locks.
            var conflict = transaction is null ? null : await LockConflict.DescribeAsync(target, e, preview.Impacts, store, CancellationToken.None);
            var message = conflict?.Message ?? (transaction is null
                ? e.Message + "; it ran outside a transaction block, so check what it left behind (CREATE INDEX CONCURRENTLY, for one, leaves an invalid index)"
                : e.Message + "; rolled back, nothing was changed");
            await store.UpdateAsync(Finished(record, ChangeOutcome.Failed, message, record.Impact, null), CancellationToken.None);
            if (conflict is not null)
            {
                throw conflict;
            }

            throw;
        }

        string? warning = null;
        try
        {
            await store.UpdateAsync(Finished(record, ChangeOutcome.Committed, null, impacts, decision), CancellationToken.None);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException)
        {
            warning = $"the change was committed, but recording it in the state store failed ({e.Message}); `backstop changes` shows it as running";
        }

        return new RunResult { Preview = preview, ChangeId = record.Id, Outcome = ChangeOutcome.Committed, RunImpacts = impacts, RunDecision = decision, Message = warning };
    }

    /// <summary>
    /// A counted preview read its tables' sizes before anything was written; the run reads them after its statement,
    /// when a table that grew past the size counted exactly is only estimated. Judging the run by the sizes the preview
    /// was judged by keeps the two verdicts comparable.
    /// </summary>
    private static StatementImpact WithCountedSizes(StatementImpact run, IReadOnlyList<StatementImpact> preview)
    {
        if (preview.FirstOrDefault(p => p.Index == run.Index) is not { Counted: true } counted)
        {
            return run;
        }

        return run with
        {
            Tables = run.Tables.Select(t => counted.Tables.FirstOrDefault(c => c.QualifiedName == t.QualifiedName) is { } before
                ? t with { RowsBefore = before.RowsBefore, RowsBeforeEstimated = before.RowsBeforeEstimated }
                : t).ToList(),
        };
    }

    private static List<string> UndoOverreach(IReadOnlyList<StatementImpact> impacts, IReadOnlyDictionary<string, (long Updated, long Deleted)> bounds)
    {
        var overreach = new List<string>();
        foreach (var table in impacts.SelectMany(i => i.Tables).GroupBy(t => t.QualifiedName, StringComparer.Ordinal))
        {
            var (updated, deleted) = (table.Sum(t => t.Updated), table.Sum(t => t.Deleted));
            var (maxUpdated, maxDeleted) = bounds.GetValueOrDefault(table.Key);
            if (updated > maxUpdated || deleted > maxDeleted)
            {
                overreach.Add($"{table.Key}: {updated} updated and {deleted} deleted, where the change's images account for {maxUpdated} and {maxDeleted}");
            }
        }

        return overreach;
    }

    private Task<ChangeCapture> BeginCaptureAsync(CheckResult preview, RunOptions options, ChangeRecord record, CancellationToken cancellationToken)
    {
        var tables = preview.Impacts.SelectMany(i => i.Tables).Select(t => (t.Schema, t.Name));
        var request = new CaptureRequest(record.ChangeUuid, record.Id, record.Environment, record.OsUser, record.ScriptSha256, options.UndoOf?.ChangeUuid);
        return ChangeCapture.BeginAsync(target.Connection, request, tables, cancellationToken);
    }

    private ChangeRecord Finished(ChangeRecord record, ChangeOutcome outcome, string? message, IReadOnlyList<StatementImpact> impacts, PolicyDecision? decision) => record with
    {
        Outcome = outcome,
        Message = message,
        Impact = impacts,
        Verdict = decision?.Verdict ?? record.Verdict,
        Reasons = decision?.DecidingReasons.Select(r => r.Message).ToList() ?? record.Reasons,
        Duration = clock.GetUtcNow() - record.StartedAt,
    };

    private async Task<StatementImpact> RunOutsideTransactionAsync(AnalyzedStatement statement, CancellationToken cancellationToken)
    {
        // A batch command goes to the server as one Parse, unsplit by Npgsql, which the server refuses if it holds two statements.
        await using var command = new NpgsqlBatch(target.Connection) { BatchCommands = { new NpgsqlBatchCommand(statement.Statement.Text) }, Timeout = 0 };
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e)
        {
            throw new StatementFailedException(statement, e);
        }

        return new StatementImpact { Index = statement.Index, CommandTag = ScriptAnalyzer.FirstWords(statement), Executed = true, Note = "ran outside a transaction block; impact not measured" };
    }

    /// <summary>
    /// Why <c>run</c> refuses the script as a whole, or null: a statement that cannot run in a transaction block can only run
    /// alone, or the rest of the script would lose its all-or-nothing guarantee.
    /// </summary>
    public static string? TransactionalityProblem(IReadOnlyList<AnalyzedStatement> statements)
    {
        var outside = statements.FirstOrDefault(s => !s.Info.AllowedInTransaction);
        return outside is not null && statements.Count > 1
            ? $"statement {outside.Index + 1} at {outside.Location} ({ScriptAnalyzer.FirstWords(outside)}) cannot run inside a transaction block, and Backstop runs a script as one transaction; run it as a script of its own"
            : null;
    }

    private PolicyDecision Judge(IReadOnlyList<AnalyzedStatement> statements, IReadOnlyList<StatementImpact> impacts, bool allowAllRows) =>
        PolicyEvaluator.Evaluate(policy, statements, impacts, new PolicyContext
        {
            Now = clock.GetUtcNow(),
            TimeZone = target.Environment.TimeZone,
            AllowAllRows = allowAllRows,
            EnvironmentName = target.Environment.Name,
            ProvenBackups = ProvenBackups,
        });

    private ChangeRecord NewRecord(string script, DateTimeOffset started) => new()
    {
        Environment = target.Environment.Name,
        SystemIdentifier = target.Identity.SystemIdentifier,
        Database = target.Identity.Database,
        Host = target.Identity.Host,
        Port = target.Identity.Port,
        Script = script,
        ScriptSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(script))),
        Verdict = Verdict.Allow,
        Reasons = [],
        Impact = [],
        OsUser = Environment.UserName,
        ChangeUuid = Guid.CreateVersion7(),
        StartedAt = started,
        Outcome = ChangeOutcome.Running,
    };
}

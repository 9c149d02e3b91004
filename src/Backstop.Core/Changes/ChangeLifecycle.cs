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
/// The life of a change (DESIGN.md, docs/architecture.md "The change lifecycle"), the same for the CLI, the server and
/// the proxy: <see cref="PrepareAsync"/> splits, classifies, previews in a rolled-back transaction and judges, and
/// records the change as prepared with what it needs before it may run; <see cref="ExecuteAsync"/> runs it once, given
/// that authorization, in one transaction that measures the impact again, applies the run checks, and commits only
/// within the prepared impact. Nothing waits on a person in between: a prepared change can wait for its approval for
/// hours, in another process.
/// </summary>
public sealed class ChangeLifecycle(ConnectedEnvironment target, TierPolicy policy, IStateStore store, TimeProvider clock)
{
    /// <summary>Where the proof of recent backups comes from (the drop_database rule); none known when null.</summary>
    public IBackupProof? BackupProof { get; init; }

    /// <summary>
    /// Team mode: where commits of the same script on lower tiers are found, for the staged_first rule; null where the
    /// rule does not apply (the CLI on its own, which cannot ask for the approval it would need).
    /// </summary>
    public IStagedRuns? StagedRuns { get; init; }

    /// <summary>The preview alone (<c>backstop check</c>): nothing is recorded, and the transaction is rolled back.</summary>
    /// <param name="statements">the script as <see cref="ScriptAnalyzer.Analyze"/> returned it.</param>
    public async Task<CheckResult> CheckAsync(IReadOnlyList<AnalyzedStatement> statements, bool allowAllRows, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var proven = await ProvenBackupsAsync(statements, cancellationToken);
        return await PreviewAsync(statements, allowAllRows, proven, progress, cancellationToken);
    }

    private async Task<CheckResult> PreviewAsync(
        IReadOnlyList<AnalyzedStatement> statements, bool allowAllRows, IReadOnlyDictionary<string, DateTimeOffset> proven, IProgress<int>? progress, CancellationToken cancellationToken, string? recovery = null, IReadOnlyList<StagedRun>? staged = null)
    {
        var bounds = new PreviewBounds(target.Environment.LockTimeout, target.Environment.StatementTimeout);
        var impacts = await ImpactPreviewer.PreviewAsync(target.Connection, statements, bounds, progress, cancellationToken);
        return new CheckResult(statements, impacts, Judge(statements, impacts, allowAllRows, proven, recovery, staged), target.Identity);
    }

    /// <summary>The commits of this script on lower tiers, when the staged_first rule applies here; null when it does not.</summary>
    private async Task<IReadOnlyList<StagedRun>?> StagedAsync(string scriptSha256, CancellationToken cancellationToken) =>
        StagedRuns is not null && policy.StagedFirst > Verdict.Allow
            ? await StagedRuns.FindAsync(scriptSha256, target.Environment.Tier, clock.GetUtcNow() - policy.StagedWindow, cancellationToken)
            : null;

    private async Task<IReadOnlyDictionary<string, DateTimeOffset>> ProvenBackupsAsync(IReadOnlyList<AnalyzedStatement> statements, CancellationToken cancellationToken) =>
        BackupProof is not null && statements.Any(s => s.Info.Kind == Sql.Classification.StatementKind.DropDatabase)
            ? await BackupProof.ProvenBackupsAsync(target.Identity, cancellationToken)
            : new Dictionary<string, DateTimeOffset>();

    /// <summary>
    /// The caller's counted impact as the preview, or null for the usual dry run: when none is offered, when it does not
    /// describe these statements (each one INSERT, UPDATE or DELETE of the one table its impact names, run in the
    /// transaction), or when the catalog could not be read within the environment's lock_timeout.
    /// </summary>
    private async Task<CheckResult?> CountedAsync(
        IReadOnlyList<AnalyzedStatement> statements, ChangeRequest request, IReadOnlyDictionary<string, DateTimeOffset> proven, CancellationToken cancellationToken, IReadOnlyList<StagedRun>? staged = null)
    {
        if (request.CountedImpact is not { } counted)
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
            ? new CheckResult(statements, impacts, Judge(statements, impacts, request.AllowAllRows, proven, request.Recovery, staged), target.Identity)
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

    /// <summary>
    /// Previews and judges the request's script and records it: as prepared, with what it needs before it may run, or
    /// as denied. A preview that fails is recorded as failed and its error thrown; a preview check that throws stops
    /// the change before anything is recorded.
    /// </summary>
    /// <exception cref="ScriptRejectedException">the script cannot run as one guarded change.</exception>
    public async Task<PreparedChange> PrepareAsync(ChangeRequest request, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var started = clock.GetUtcNow();
        var statements = request.Statements ?? ScriptAnalyzer.Analyze(request.Script);
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
        var record = NewRecord(request, started);
        var previewWatch = System.Diagnostics.Stopwatch.StartNew();
        var proven = await ProvenBackupsAsync(statements, cancellationToken);
        var staged = await StagedAsync(record.ScriptSha256, cancellationToken);
        try
        {
            preview = await CountedAsync(statements, request, proven, cancellationToken, staged)
                ?? await PreviewAsync(statements, request.AllowAllRows, proven, progress, cancellationToken, request.Recovery, staged);
        }
        catch (StatementFailedException e)
        {
            // No impact was measured: the verdict recorded is what the statements' classification alone earns.
            var classified = Judge(statements, [], request.AllowAllRows, proven, request.Recovery);
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
        foreach (var check in request.PreviewChecks)
        {
            await check.CheckAsync(preview, cancellationToken);
        }

        var requires = ConfirmationRules.For(preview.Decision.Verdict, target.Environment.Tier);
        record = record with
        {
            Verdict = preview.Decision.Verdict,
            Reasons = preview.Decision.DecidingReasons.Select(r => r.Message).ToList(),
            Impact = preview.Impacts,
            Outcome = requires == Requirement.Refused ? ChangeOutcome.Denied : ChangeOutcome.Prepared,
            Message = requires == Requirement.Refused ? DeniedMessage : null,
            Duration = requires == Requirement.Refused ? clock.GetUtcNow() - started : null,
        };
        record = record with { Id = await store.AddAsync(record, CancellationToken.None) };
        return new PreparedChange
        {
            Id = record.Id,
            ChangeUuid = record.ChangeUuid,
            Environment = target.Environment.Name,
            Tier = target.Environment.Tier,
            Actor = request.Actor,
            Script = request.Script,
            ScriptSha256 = record.ScriptSha256,
            Preview = preview,
            Requires = requires,
            PreviewTime = previewTime,
            Request = request,
            Record = record,
            ProvenBackups = proven,
            StagedRuns = staged,
        };
    }

    private const string DeniedMessage = "denied by policy; nothing was changed";

    /// <summary>
    /// A change prepared earlier, perhaps by another process, as the store recorded it: its whole script analyzed again,
    /// its recorded preview judged again, and what it needs now. This is how a change runs after a person's confirmation
    /// or approval arrived by another request: <see cref="ExecuteAsync"/> then measures it again and commits only within
    /// the recorded impact.
    /// </summary>
    /// <param name="databaseOid">the OID of the database it was prepared on, when the caller recorded it (an approval does).</param>
    /// <exception cref="ChangeNotRunnableException">no such change on this environment, or it is no longer waiting to run.</exception>
    public async Task<PreparedChange> LoadPreparedAsync(long id, bool allowAllRows, uint? databaseOid, CancellationToken cancellationToken)
    {
        var record = await store.GetAsync(id, cancellationToken);
        if (record is null || !string.Equals(record.Environment, target.Environment.Name, StringComparison.Ordinal))
        {
            throw new ChangeNotRunnableException($"there is no change {id} on environment '{target.Environment.Name}'; nothing was changed");
        }

        if (record.Outcome != ChangeOutcome.Prepared)
        {
            throw new ChangeNotRunnableException(
                $"change {id} is no longer waiting to run (it is {record.Outcome.ToString().ToLowerInvariant()}); a prepared change runs once. Prepare it again to run it again");
        }

        var script = record.Script;
        if (record.ScriptTruncated)
        {
            await using var whole = new StringWriter();
            await store.CopyScriptAsync(id, whole, cancellationToken);
            script = whole.ToString();
        }

        var statements = ScriptAnalyzer.Analyze(script);
        var identity = new Postgres.Catalog.ServerIdentity(record.SystemIdentifier, record.Database, record.Host, record.Port, databaseOid);
        var staged = await StagedAsync(record.ScriptSha256, cancellationToken);
        var preview = new CheckResult(statements, record.Impact, Judge(statements, record.Impact, allowAllRows, new Dictionary<string, DateTimeOffset>(), null, staged), identity);
        return new PreparedChange
        {
            Id = record.Id,
            ChangeUuid = record.ChangeUuid,
            Environment = record.Environment,
            Tier = target.Environment.Tier,
            Actor = record.OsUser,
            Script = script,
            ScriptSha256 = record.ScriptSha256,
            Preview = preview,
            Requires = ConfirmationRules.For(preview.Decision.Verdict, target.Environment.Tier),
            Request = new ChangeRequest { Script = script, Statements = statements, Actor = record.OsUser, AllowAllRows = allowAllRows },
            Record = record with { Script = script, ScriptTruncated = false },
            StagedRuns = staged,
        };
    }

    /// <summary>
    /// Judges an operation by the tier's policy (its own rules, and the freeze window) and records it as prepared or
    /// denied, like a script; nothing runs.
    /// </summary>
    public async Task<PreparedChange> PrepareAsync(IChangeOperation operation, string actor, ChangeRecord? undoOf, CancellationToken cancellationToken)
    {
        var request = new ChangeRequest { Script = operation.Description, Statements = [], Actor = actor, UndoOf = undoOf };
        var reasons = operation.Judge(policy).ToList();
        var now = clock.GetUtcNow();
        if (policy.FreezeWindow is { } window && window.Contains(TimeZoneInfo.ConvertTime(now, target.Environment.TimeZone).DateTime))
        {
            reasons.Add(new("freeze", policy.Freeze, $"a write inside the freeze window ({window}, {target.Environment.TimeZone.Id})"));
        }

        var verdict = reasons.Select(r => r.Verdict).DefaultIfEmpty(Verdict.Allow).Max();
        var decision = new PolicyDecision(verdict, [], reasons.Where(r => r.Verdict > Verdict.Allow).ToList());
        var requires = ConfirmationRules.For(verdict, target.Environment.Tier);
        var record = NewRecord(request, now) with
        {
            Verdict = verdict,
            Reasons = decision.DecidingReasons.Select(r => r.Message).ToList(),
            Outcome = requires == Requirement.Refused ? ChangeOutcome.Denied : ChangeOutcome.Prepared,
            Message = requires == Requirement.Refused ? DeniedMessage : null,
            Duration = requires == Requirement.Refused ? TimeSpan.Zero : null,
        };
        record = record with { Id = await store.AddAsync(record, cancellationToken) };
        return new PreparedChange
        {
            Id = record.Id,
            ChangeUuid = record.ChangeUuid,
            Environment = target.Environment.Name,
            Tier = target.Environment.Tier,
            Actor = actor,
            Script = operation.Description,
            ScriptSha256 = record.ScriptSha256,
            Preview = new CheckResult([], [], decision, target.Identity),
            Requires = requires,
            Operation = operation,
            Request = request,
            Record = record,
        };
    }

    private async Task<RunResult> RunOperationAsync(PreparedChange change, IChangeOperation operation, ChangeRecord record, CancellationToken cancellationToken)
    {
        var log = new CaptureRequest(record.ChangeUuid, record.Id, record.Environment, record.OsUser, record.ScriptSha256, change.Request.UndoOf?.ChangeUuid);
        IReadOnlyList<string> warnings;
        try
        {
            await CaptureSchema.EnsureAsync(target.Connection, target.Notice, cancellationToken);
            warnings = await operation.RunAsync(target.Connection, ct => ChangeCapture.LogAsync(target.Connection, log, ct), cancellationToken);
        }
        catch (Exception e)
        {
            // Whatever stopped it, the record says so; a change is never left recorded as running by a failure.
            var left = operation.AllOrNothing ? "; nothing was changed" : "; it did not run in one transaction, so check what it left behind";
            await store.UpdateAsync(Finished(record, ChangeOutcome.Failed, e.Message + left, [], null), CancellationToken.None);
            throw;
        }

        await store.UpdateAsync(Finished(record, ChangeOutcome.Committed, warnings.Count == 0 ? null : string.Join("; ", warnings), [], null), CancellationToken.None);
        return new RunResult { Preview = change.Preview, ChangeId = record.Id, Outcome = ChangeOutcome.Committed, RunImpacts = [], RunDecision = change.Preview.Decision, Warnings = warnings };
    }

    /// <summary>How a change that does not run ends, as a result to report: denied, or set aside by <see cref="SetAsideAsync"/>.</summary>
    public static RunResult NotRun(PreparedChange change, ChangeOutcome outcome, string message) =>
        new() { Preview = change.Preview, ChangeId = change.Id, Outcome = outcome, Message = message, PreviewTime = change.PreviewTime };

    /// <summary>The result of a change the policy denied (<see cref="Requirement.Refused"/>): nothing ran.</summary>
    public static RunResult Denied(PreparedChange change) => NotRun(change, ChangeOutcome.Denied, DeniedMessage);

    /// <summary>
    /// Ends a prepared change that will not run: <see cref="ChangeOutcome.NotConfirmed"/>, or
    /// <see cref="ChangeOutcome.NeedsApproval"/> where no approval can be asked for (the CLI on its own).
    /// </summary>
    public async Task<RunResult> SetAsideAsync(PreparedChange change, ChangeOutcome outcome, CancellationToken cancellationToken)
    {
        var message = outcome switch
        {
            ChangeOutcome.NotConfirmed => "not confirmed; nothing was changed",
            ChangeOutcome.NeedsApproval => "needs a second person's approval; nothing was changed",
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "a change is set aside as not confirmed or as needing approval"),
        };
        await store.UpdateIfAsync(change.Record with { Outcome = outcome, Message = message, Duration = clock.GetUtcNow() - change.Record.StartedAt }, ChangeOutcome.Prepared, cancellationToken);
        return NotRun(change, outcome, message);
    }

    /// <summary>
    /// Runs a prepared change with the authorization its verdict needs: once, on the database it was prepared on, in
    /// one transaction that is measured again and committed only if every run check passes.
    /// </summary>
    /// <exception cref="ChangeNotRunnableException">
    /// the authorization is not enough, the environment now reaches another database, or the change is no longer
    /// waiting to run (already run, or set aside); nothing was changed.
    /// </exception>
    public async Task<RunResult> ExecuteAsync(PreparedChange change, Authorization authorization, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        if (authorization.Shortfall(change) is { } shortfall)
        {
            throw new ChangeNotRunnableException($"change {change.Id} may not run: {shortfall}; nothing was changed");
        }

        var (was, now) = (change.Identity, target.Identity);
        if (was.SystemIdentifier != now.SystemIdentifier || was.Database != now.Database || (was.DatabaseOid is { } oid && now.DatabaseOid is { } nowOid && oid != nowOid))
        {
            throw new ChangeNotRunnableException(
                $"change {change.Id} was prepared on cluster {was.SystemIdentifier}, database '{was.Database}', but environment '{change.Environment}' now reaches cluster {now.SystemIdentifier}, database '{now.Database}'; nothing was changed. Prepare it again");
        }

        var record = change.Record with { Outcome = ChangeOutcome.Running, Message = null };
        if (!await store.UpdateIfAsync(record, ChangeOutcome.Prepared, cancellationToken))
        {
            var current = await store.GetAsync(change.Id, cancellationToken);
            throw new ChangeNotRunnableException(
                $"change {change.Id} is no longer waiting to run (it is {current?.Outcome.ToString().ToLowerInvariant() ?? "gone"}); a prepared change runs once. Prepare it again to run it again");
        }

        var runWatch = System.Diagnostics.Stopwatch.StartNew();
        var result = change.Operation is { } operation
            ? await RunOperationAsync(change, operation, record, cancellationToken)
            : await RunAsync(change, record, progress, cancellationToken);
        return result with { PreviewTime = change.PreviewTime, RunTime = runWatch.Elapsed };
    }

    private async Task<RunResult> RunAsync(PreparedChange change, ChangeRecord record, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var preview = change.Preview;
        var request = change.Request;
        var connection = target.Connection;
        var transactional = preview.Statements.All(s => s.Info.AllowedInTransaction);
        if (request.RunChecks.Count > 0 && !transactional)
        {
            // A check of the run can only stop what it can still roll back.
            throw new InvalidOperationException("a change whose run is checked before it commits must run in a transaction");
        }

        if (transactional)
        {
            try
            {
                // Before the transaction: each migration of the backstop schema commits on its own.
                await CaptureSchema.EnsureAsync(connection, target.Notice, cancellationToken);
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or CapturePrivilegeException or CaptureSchemaTooNewException)
            {
                await store.UpdateAsync(Finished(record, ChangeOutcome.Failed, e.Message + "; nothing was changed", record.Impact, null), CancellationToken.None);
                throw;
            }
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

            var capture = transaction is null ? null : await BeginCaptureAsync(preview, request, record, cancellationToken);
            var planned = preview.Impacts.Where(i => i.Effects.Count > 0).ToDictionary(i => i.Index, i => i.Effects);
            var meter = capture is null
                ? new ImpactMeter(connection, preview: false, target.Environment.LockTimeout, statementTimeout: null) { Planned = planned }
                : CapturingMeter.Create(connection, capture, record.ChangeUuid, target.Environment.LockTimeout, planned);
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
            decision = Judge(preview.Statements, impacts, request.AllowAllRows, change.ProvenBackups, request.Recovery, change.StagedRuns);
            if (transaction is not null)
            {
                var captured = capture is null ? null : await capture.EndAsync(record.ChangeUuid, cancellationToken);
                // A table dropped inside a function went into the recycle bin as a copy, not into the images.
                var notImaged = (capture?.CreatedByChange ?? new HashSet<string>())
                    .Union(impacts.SelectMany(i => i.Effects).Where(e => e.Kind == EffectKind.DroppedTable).Select(e => e.QualifiedName))
                    .ToHashSet(StringComparer.Ordinal);
                var run = new RunCheckContext(preview, impacts, decision, captured, notImaged);
                IRunCheck[] checks = [LifecycleChecks.Unplanned, .. request.RunChecks, LifecycleChecks.ImagesAccount, LifecycleChecks.WithinPrepared];
                if (checks.Select(c => c.Check(run)).FirstOrDefault(f => f is not null) is { } failure)
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                    var detail = failure.Differences.Count == 0 ? failure.Message : failure.Message + ": " + string.Join("; ", failure.Differences);
                    await store.UpdateAsync(Finished(record, failure.Outcome, detail, impacts, decision), CancellationToken.None);
                    return new RunResult
                    {
                        Preview = preview, ChangeId = record.Id, Outcome = failure.Outcome, RunImpacts = impacts, RunDecision = decision, Differences = failure.Differences, Message = failure.Message,
                    };
                }

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

    private Task<ChangeCapture> BeginCaptureAsync(CheckResult preview, ChangeRequest change, ChangeRecord record, CancellationToken cancellationToken)
    {
        var tables = preview.Impacts.SelectMany(i => i.Tables).Select(t => (t.Schema, t.Name));
        var request = new CaptureRequest(record.ChangeUuid, record.Id, record.Environment, record.OsUser, record.ScriptSha256, change.UndoOf?.ChangeUuid);
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

    private PolicyDecision Judge(
        IReadOnlyList<AnalyzedStatement> statements, IReadOnlyList<StatementImpact> impacts, bool allowAllRows, IReadOnlyDictionary<string, DateTimeOffset> proven, string? recovery = null, IReadOnlyList<StagedRun>? staged = null) =>
        PolicyEvaluator.Evaluate(policy, statements, impacts, new PolicyContext
        {
            Now = clock.GetUtcNow(),
            TimeZone = target.Environment.TimeZone,
            AllowAllRows = allowAllRows,
            EnvironmentName = target.Environment.Name,
            ProvenBackups = proven,
            Recovery = recovery,
            StagedRuns = staged,
        });

    private ChangeRecord NewRecord(ChangeRequest request, DateTimeOffset started) => new()
    {
        Environment = target.Environment.Name,
        SystemIdentifier = target.Identity.SystemIdentifier,
        Database = target.Identity.Database,
        Host = target.Identity.Host,
        Port = target.Identity.Port,
        Script = request.Script,
        ScriptSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(request.Script))),
        Verdict = Verdict.Allow,
        Reasons = [],
        Impact = [],
        OsUser = request.Actor,
        UndoOf = request.UndoOf?.Id,
        ChangeUuid = Guid.CreateVersion7(),
        StartedAt = started,
        Outcome = ChangeOutcome.Running,
    };
}

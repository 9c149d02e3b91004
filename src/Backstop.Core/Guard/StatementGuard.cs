using System.Security.Cryptography;
using System.Text;
using Backstop.Core.Capture;
using Backstop.Core.Changes;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Npgsql;

namespace Backstop.Core.Guard;

/// <summary>
/// Guards one statement inside a transaction someone else owns (DESIGN D9; the proxy's person sessions): the client
/// began the transaction and will commit or roll it back, so the guard never does either. It works under a savepoint
/// of its own: measure what the statement really does (rows per table, cascades and triggers included, and what the
/// catalog shows it destroyed), judge that by the tier's policy, and then either keep it, with its before-images in
/// the same transaction, or roll back to the savepoint, which leaves the client's earlier work and its transaction
/// as they were. See docs/architecture.md, "The statement guard".
/// </summary>
/// <remarks>
/// An allowed write runs twice: once to be measured and judged, with nothing set up, and once more, after a rollback
/// to the savepoint, with capture on exactly the tables the first run wrote, and held to it. Capture cannot be set up
/// before the first run without guessing the tables (a trigger or a function writes where the text does not say), and
/// setting it up everywhere would lock every table of the database; a refused statement costs one run and no capture.
/// The guard holds no state of its own: one instance serves every session of an environment. The backstop schema must
/// be at this Backstop's version before the client's transaction begins (<c>CaptureSchema.EnsureAsync</c> on the
/// session, or on a connection of its own): its migrations commit on their own, which a client's transaction cannot.
/// </remarks>
public sealed partial class StatementGuard(TierPolicy policy, TimeProvider clock)
{
    /// <summary>
    /// Brings the target database's <c>backstop</c> schema to this Backstop's version, on a connection of its own and
    /// outside any client's transaction; a guard's caller does this once per database before guarding there.
    /// </summary>
    public static Task PrepareDatabaseAsync(NpgsqlConnection connection, Action<string>? notice, CancellationToken cancellationToken) =>
        CaptureSchema.EnsureAsync(connection, notice, cancellationToken);

    /// <param name="connection">an open connection inside the client's transaction (BEGIN sent, not failed).</param>
    /// <param name="statementSql">exactly one statement, as the server will run it.</param>
    /// <exception cref="ScriptRejectedException">the text is not one statement Backstop can guard (transaction control,
    /// psql syntax, several statements) or writes Backstop's own objects; nothing was run.</exception>
    /// <exception cref="StatementFailedException">PostgreSQL refused the statement; it was rolled back to its savepoint,
    /// and the transaction is usable (a proxy that mimics the server aborts it itself).</exception>
    /// <exception cref="InvalidOperationException">the connection is not inside a usable transaction; nothing was run.</exception>
    public Task<GuardOutcome> GuardAsync(NpgsqlConnection connection, string statementSql, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return GuardAsync(GuardLink.Of(connection), statementSql, context, cancellationToken);
    }

    /// <summary>
    /// As <see cref="GuardAsync(NpgsqlConnection, string, GuardContext, CancellationToken)"/>, on a link whose wire
    /// carries the one-run way and whose Npgsql connection is asked for only when the statement goes another way.
    /// </summary>
    public async Task<GuardOutcome> GuardAsync(GuardLink link, string statementSql, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(context);
        var statement = Single(statementSql);
        var own = context.Autocommit ? new OwnTransaction() : null;
        if (statement.Info.IsWrite && OneRunApplies(statement))
        {
            try
            {
                if (await TryOneRunAsync(link.Wire, GuardSavepoint.New(), statement, context, own, cancellationToken) is { } oneRun)
                {
                    return oneRun;
                }
            }
            catch (Exception) when (own is { Open: true })
            {
                own.Open = false;
                await link.Wire.RunAsync([new WireStatement("ROLLBACK")], CancellationToken.None);
                throw;
            }
        }

        // Any other way, on Npgsql; a transaction the one-run way opened for a client in autocommit stays open for it.
        var connection = await link.NpgsqlAsync();
        if (own is null)
        {
            return await GuardInsideAsync(connection, statement, context, null, cancellationToken);
        }

        try
        {
            var outcome = await GuardInsideAsync(connection, statement, context, own, cancellationToken);
            if (own.Open)
            {
                own.Open = false;
                if (outcome.Kept)
                {
                    try
                    {
                        await ExecuteAsync(connection, "COMMIT", CancellationToken.None);
                    }
                    catch (PostgresException e)
                    {
                        // A deferred constraint, say: the transaction is gone, and the statement with it.
                        throw new StatementFailedException(statement, e);
                    }
                }
                else
                {
                    await ExecuteAsync(connection, "ROLLBACK", CancellationToken.None);
                }
            }

            return outcome;
        }
        catch (Exception) when (own.Open && connection.State == System.Data.ConnectionState.Open)
        {
            own.Open = false;
            await ExecuteAsync(connection, "ROLLBACK", CancellationToken.None);
            throw;
        }
    }

    /// <summary>The transaction the guard opened for a statement of a client in autocommit (<see cref="GuardContext.Autocommit"/>).</summary>
    private sealed class OwnTransaction
    {
        /// <summary>BEGIN was sent, and neither COMMIT nor ROLLBACK since.</summary>
        public bool Open { get; set; }

        public async Task BeginAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
        {
            if (!Open)
            {
                await ExecuteAsync(connection, "BEGIN", cancellationToken);
                Open = true;
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<GuardOutcome> GuardInsideAsync(NpgsqlConnection connection, AnalyzedStatement statement, GuardContext context, OwnTransaction? own, CancellationToken cancellationToken)
    {
        var savepoint = GuardSavepoint.New();
        ClientSettings? settings = null;
        if (!statement.Info.IsWrite)
        {
            var byText = Judge(statement, null, context);
            if (!Passes(byText.Verdict, context, null))
            {
                return NotKept(byText, NotRun(statement, "not run: refused by its text alone"), Refusal(byText.Verdict));
            }

            if (own is not null)
            {
                await own.BeginAsync(connection, cancellationToken);
            }

            var (readOnly, read) = await ReadProbe.RunAsync(connection, savepoint, statement, cancellationToken);
            if (readOnly)
            {
                return new GuardOutcome { Verdict = byText.Verdict, Reasons = Deciding(byText), Impact = read, Kept = true };
            }

            // It wrote after all: rolled back to the savepoint, which stays for the measured way through.
        }
        else
        {
            if (own is not null)
            {
                await own.BeginAsync(connection, cancellationToken);
            }

            // Outside the try: when SAVEPOINT itself fails there is no savepoint to go back to.
            settings = await ReadSettingsAsync(connection, savepoint, establish: true, cancellationToken);
        }

        var kept = false;
        try
        {
            settings ??= await ReadSettingsAsync(connection, savepoint, establish: false, cancellationToken);
            var outcome = await MeasureAndKeepAsync(connection, savepoint, settings, statement, context, cancellationToken);
            kept = outcome.Kept;
            return outcome;
        }
        finally
        {
            if (!kept && connection.State == System.Data.ConnectionState.Open)
            {
                await savepoint.AbandonAsync(connection);
            }
        }
    }

    /// <summary>Under an established savepoint; the caller abandons it unless the outcome is kept.</summary>
    private async Task<GuardOutcome> MeasureAndKeepAsync(
        NpgsqlConnection connection, GuardSavepoint savepoint, ClientSettings settings, AnalyzedStatement statement, GuardContext context, CancellationToken cancellationToken)
    {
        if (!statement.Info.AllowedInTransaction)
        {
            var impact = NotRun(statement, "cannot run inside a transaction block: not run, judged by its text alone");
            var decision = Judge(statement, impact, context);
            return NotKept(decision, impact, Passes(decision.Verdict, context, null)
                ? $"{ScriptAnalyzer.FirstWords(statement)} cannot run inside a transaction block, and the guard runs statements inside the client's; nothing was run"
                : Refusal(decision.Verdict));
        }

        var meter = new ImpactMeter(connection, preview: true, settings.LockTimeout, statementTimeout: null);
        var measured = await meter.MeasureAsync(statement, cancellationToken);
        var judged = Judge(statement, measured, context);
        if (!Passes(judged.Verdict, context, measured))
        {
            return NotKept(judged, measured, Refusal(judged.Verdict));
        }

        if (measured.Estimated)
        {
            // Only a bound stops a measurement: the client's own lock_timeout or statement_timeout, or a cancel.
            return NotKept(judged, measured, $"the statement could not be measured ({measured.Note}); rolled back to its savepoint, nothing of it was kept");
        }

        await savepoint.RollBackAsync(connection, cancellationToken);
        var request = new CaptureRequest(context.ChangeId ?? Guid.CreateVersion7(), context.LocalId, context.EnvironmentName, context.Actor, Sha256(statement.Statement.Text), UndoOf: null);
        StatementImpact run;
        IReadOnlyList<string> problems;
        try
        {
            (run, problems) = await KeptRun.RunAsync(connection, statement, measured, request, settings.LockTimeout, cancellationToken);
        }
        catch (Exception e) when (e is CapturePrivilegeException or CaptureSchemaTooNewException or RecycleBin.RecycleBinException)
        {
            return NotKept(judged, measured, e.Message);
        }

        // Judged on what is kept; a preview-only finding of the measurement (a catalog change nothing explains) still counts.
        var ran = Judge(statement, run, context);
        ran = judged.Verdict > ran.Verdict ? judged : ran;
        if (problems.Count > 0)
        {
            return NotKept(ran, run, "the statement did something else when it ran again to be kept, or its before-images do not account for every row it changed, so it was rolled back to its savepoint: " + string.Join("; ", problems));
        }

        if (!Passes(ran.Verdict, context, run))
        {
            return NotKept(ran, run, Refusal(ran.Verdict));
        }

        var kept = new GuardOutcome { Verdict = ran.Verdict, Reasons = Deciding(ran), Impact = run, Kept = true, ChangeId = request.ChangeId };

        // Not cancelled once sent: the statement is then part of the client's transaction, and must be reported so.
        await using (var keep = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand($"RELEASE SAVEPOINT {savepoint.Name}"), settings.Restore() } })
        {
            await keep.ExecuteNonQueryAsync(CancellationToken.None);
        }

        return kept;
    }

    /// <summary>Takes the savepoint (unless the read probe left it in place) and reads the client's settings in the same round trip.</summary>
    private static async Task<ClientSettings> ReadSettingsAsync(NpgsqlConnection connection, GuardSavepoint savepoint, bool establish, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        if (establish)
        {
            batch.BatchCommands.Add(savepoint.Establish());
        }

        batch.BatchCommands.Add(ClientSettings.Read());
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            return await ClientSettings.ReadAsync(reader, cancellationToken);
        }
        catch (PostgresException e) when (establish && GuardSavepoint.Refusal(e) is { } refusal)
        {
            throw refusal;
        }
    }

    /// <summary>
    /// Kept when the policy allows it, asks for a confirmation the client gave, or asks for an approval that was given
    /// for at most this impact (measured: a statement judged by its text alone is never approved here).
    /// </summary>
    private static bool Passes(Verdict verdict, GuardContext context, StatementImpact? impact) =>
        verdict == Verdict.Allow
        || (verdict == Verdict.Confirm && context.Confirmed)
        || (verdict == Verdict.Approve && impact is { Executed: true, Estimated: false } && context.ApprovedImpact is { } approved && WithinApproval(impact, approved));

    /// <summary>Every table the statement changed was approved, and none by more rows than approved.</summary>
    public static bool WithinApproval(StatementImpact impact, IReadOnlyList<Team.TableCount> approved)
    {
        var limits = approved.ToDictionary(t => t.Table, StringComparer.Ordinal);
        return impact.Tables.Where(t => t.Changed > 0).All(t =>
            limits.TryGetValue(t.QualifiedName, out var limit)
            && t.Inserted <= limit.Inserted && t.Updated <= limit.Updated && t.Deleted <= limit.Deleted);
    }

    private static string Refusal(Verdict verdict) => verdict switch
    {
        Verdict.Deny => "denied by policy; rolled back to its savepoint, the rest of the transaction is as it was",
        Verdict.Approve => "needs a second person's approval; rolled back to its savepoint, the rest of the transaction is as it was",
        _ => "needs confirmation, which was not given; rolled back to its savepoint, the rest of the transaction is as it was",
    };

    private static GuardOutcome NotKept(PolicyDecision decision, StatementImpact impact, string message) =>
        new() { Verdict = decision.Verdict, Reasons = Deciding(decision), Impact = impact, Kept = false, Message = message };

    private static List<PolicyReason> Deciding(PolicyDecision decision) => decision.DecidingReasons.ToList();

    private static StatementImpact NotRun(AnalyzedStatement statement, string note) =>
        new() { Index = statement.Index, CommandTag = ScriptAnalyzer.FirstWords(statement), Note = note };

    private PolicyDecision Judge(AnalyzedStatement statement, StatementImpact? impact, GuardContext context) =>
        PolicyEvaluator.Evaluate(policy, [statement], impact is null ? [] : [impact], new PolicyContext
        {
            Now = clock.GetUtcNow(),
            TimeZone = context.TimeZone,
            AllowAllRows = context.AllowAllRows,
            EnvironmentName = context.EnvironmentName,
            ProvenBackups = context.ProvenBackups,
        });

    private static AnalyzedStatement Single(string statementSql)
    {
        var statements = ScriptAnalyzer.Analyze(statementSql);
        return statements.Count == 1
            ? statements[0]
            : throw new ScriptRejectedException($"the statement guard takes one statement at a time, and this text holds {statements.Count}; send them one by one");
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

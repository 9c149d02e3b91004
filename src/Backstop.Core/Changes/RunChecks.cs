using Backstop.Core.Capture;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Core.State;

namespace Backstop.Core.Changes;

/// <summary>Looks at a change's preview before anything is recorded or run; throws to stop the change there.</summary>
public interface IPreviewCheck
{
    Task CheckAsync(CheckResult preview, CancellationToken cancellationToken);
}

/// <summary>
/// Looks at what a change did, after its statements ran and before it commits. A failure rolls the change back and ends
/// it with the failure's outcome and message; nothing is kept.
/// </summary>
public interface IRunCheck
{
    RunCheckFailure? Check(RunCheckContext run);
}

/// <summary>What a run check sees.</summary>
public sealed record RunCheckContext
{
    internal RunCheckContext(CheckResult preview, IReadOnlyList<StatementImpact> impacts, PolicyDecision decision, IReadOnlyList<CapturedTable>? captured, IReadOnlySet<string> notImaged)
    {
        Preview = preview;
        Impacts = impacts;
        Decision = decision;
        Captured = captured;
        NotImaged = notImaged;
    }

    /// <summary>The prepared change's preview, as it was judged and authorized.</summary>
    public CheckResult Preview { get; }

    /// <summary>What the run measured, per statement.</summary>
    public IReadOnlyList<StatementImpact> Impacts { get; }

    /// <summary>The policy's verdict on the run's own impact.</summary>
    public PolicyDecision Decision { get; }

    /// <summary>The before-images per table; null when the run had no capture.</summary>
    internal IReadOnlyList<CapturedTable>? Captured { get; }

    /// <summary>Tables whose rows are kept otherwise than in images (created by the change, or kept whole in the recycle bin).</summary>
    internal IReadOnlySet<string> NotImaged { get; }
}

/// <summary>Why a run is rolled back: the outcome recorded, the message, and the differences shown one per line.</summary>
public sealed record RunCheckFailure(ChangeOutcome Outcome, string Message, IReadOnlyList<string> Differences);

/// <summary>A preview check from a function that throws to stop the change.</summary>
public sealed class PreviewCheck(Func<CheckResult, CancellationToken, Task> check) : IPreviewCheck
{
    public Task CheckAsync(CheckResult preview, CancellationToken cancellationToken) => check(preview, cancellationToken);
}

/// <summary>A run check from a function: null to go on, else a reason to fail the change with.</summary>
public sealed class RunCheck(Func<IReadOnlyList<StatementImpact>, string?> reason) : IRunCheck
{
    public RunCheckFailure? Check(RunCheckContext run) =>
        reason(run.Impacts) is { } message ? new RunCheckFailure(ChangeOutcome.Failed, message, []) : null;
}

/// <summary>
/// An undo may update and delete per table at most the rows its change's images account for: more means it would
/// overwrite rows it never captured.
/// </summary>
public sealed class UndoBoundsCheck(IReadOnlyDictionary<string, (long Updated, long Deleted)> bounds) : IRunCheck
{
    public RunCheckFailure? Check(RunCheckContext run)
    {
        var overreach = new List<string>();
        foreach (var table in run.Impacts.SelectMany(i => i.Tables).GroupBy(t => t.QualifiedName, StringComparer.Ordinal))
        {
            var (updated, deleted) = (table.Sum(t => t.Updated), table.Sum(t => t.Deleted));
            var (maxUpdated, maxDeleted) = bounds.GetValueOrDefault(table.Key);
            if (updated > maxUpdated || deleted > maxDeleted)
            {
                overreach.Add($"{table.Key}: {updated} updated and {deleted} deleted, where the change's images account for {maxUpdated} and {maxDeleted}");
            }
        }

        return overreach.Count == 0
            ? null
            : new RunCheckFailure(ChangeOutcome.Failed, "the undo would also change rows it did not capture, so it was rolled back and nothing was changed: " + string.Join("; ", overreach), []);
    }
}

/// <summary>The lifecycle's own checks of every run, in the order they are applied.</summary>
internal static class LifecycleChecks
{
    /// <summary>The run destroyed something its preview did not show (a function that truncates only on its second call).</summary>
    public static readonly IRunCheck Unplanned = new Delegated(run =>
        run.Impacts.SelectMany(i => i.Unplanned).ToList() is { Count: > 0 } unplanned
            ? new RunCheckFailure(ChangeOutcome.ImpactChanged, "the run destroyed something other than what the preview showed; rolled back, nothing was changed", unplanned)
            : null);

    /// <summary>Every changed row has its before-image (DESIGN.md: no change is kept that cannot be undone).</summary>
    public static readonly IRunCheck ImagesAccount = new Delegated(run =>
    {
        if (run.Captured is null)
        {
            return null;
        }

        var mismatches = CaptureVerification.Mismatches(run.Impacts, run.Captured, CaptureVerification.UncapturableStatements(run.Preview.Statements), run.NotImaged);
        if (mismatches.Count == 0)
        {
            return null;
        }

        // A preview that could only estimate, with capture set up after the estimate: the run showed what the change
        // really does, which is an impact to show and judge again, not a failure of capture.
        return run.Preview.Impacts.Any(i => i.Estimated)
            ? new RunCheckFailure(ChangeOutcome.ImpactChanged, "the run did more than the preview could estimate; rolled back, nothing was changed",
                ImpactComparison.Differences(run.Preview.Impacts, run.Impacts).Concat(mismatches).ToList())
            : new RunCheckFailure(ChangeOutcome.Failed,
                "the before-images do not account for every changed row, so the change could not be undone; rolled back, nothing was changed: " + string.Join("; ", mismatches), []);
    });

    /// <summary>The run stays within the impact that was prepared, judged and authorized, and earns no stricter verdict.</summary>
    public static readonly IRunCheck WithinPrepared = new Delegated(run =>
    {
        var differences = ImpactComparison.Differences(run.Preview.Impacts, run.Impacts).ToList();
        if (run.Decision.Verdict > run.Preview.Decision.Verdict)
        {
            differences.Add($"the verdict is now {run.Decision.Verdict.ToString().ToLowerInvariant()} (was {run.Preview.Decision.Verdict.ToString().ToLowerInvariant()}): {string.Join("; ", run.Decision.DecidingReasons.Select(r => r.Message))}");
        }

        return differences.Count == 0
            ? null
            : new RunCheckFailure(ChangeOutcome.ImpactChanged, "the impact changed between the preview and the run; rolled back, nothing was changed", differences);
    });

    private sealed class Delegated(Func<RunCheckContext, RunCheckFailure?> check) : IRunCheck
    {
        public RunCheckFailure? Check(RunCheckContext run) => check(run);
    }
}

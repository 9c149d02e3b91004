using Backstop.Core.Capture;
using Backstop.Core.Changes;
using Backstop.Core.Preview;
using Npgsql;

namespace Backstop.Core.Guard;

/// <summary>
/// The second run of an allowed statement, the one that stays: capture is set up on every table the measurement saw it
/// write (cascades and triggers included, which no reading of the text can foresee), what it destroys is kept first,
/// and the run is held to the measurement. Anything the images cannot account for is a problem, and the guard rolls
/// the statement back rather than keep a write that undo could not take back.
/// </summary>
internal static class KeptRun
{
    /// <returns>the run's impact, and what is wrong with keeping it (empty when nothing).</returns>
    public static async Task<(StatementImpact Run, IReadOnlyList<string> Problems)> RunAsync(
        NpgsqlConnection connection, AnalyzedStatement statement, StatementImpact measured, CaptureRequest request, TimeSpan lockTimeout, CancellationToken cancellationToken)
    {
        var capture = await ChangeCapture.BeginAsync(connection, request, measured.Tables.Select(t => (t.Schema, t.Name)), cancellationToken);
        var planned = new Dictionary<int, IReadOnlyList<ObservedEffect>>();
        if (measured.Effects.Count > 0)
        {
            planned[statement.Index] = measured.Effects;
        }

        var meter = CapturingMeter.Create(connection, capture, request.ChangeId, lockTimeout, planned);
        var run = await meter.MeasureAsync(statement, cancellationToken);
        var captured = await capture.EndAsync(request.ChangeId, cancellationToken);

        // A table the statement created has no rows from before to keep; one it dropped inside a function went into the
        // recycle bin as a copy, not into the images.
        var notImaged = capture.CreatedByChange
            .Union(run.Effects.Where(e => e.Kind == EffectKind.DroppedTable).Select(e => e.QualifiedName))
            .ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>(run.Unplanned);
        problems.AddRange(ImpactComparison.Differences([measured], [run]));
        problems.AddRange(CaptureVerification.Mismatches([run], captured, CaptureVerification.UncapturableStatements([statement]), notImaged));
        return (run, problems);
    }
}

using Backstop.Core.Preview;
using Npgsql;

namespace Backstop.Core.Capture;

/// <summary>
/// An <see cref="ImpactMeter"/> for a run that is kept: every way a statement can destroy something is wired to what
/// keeps it first, under the change's id. Rows go into the change's images through the capture triggers; a TRUNCATE's
/// rows are copied before it runs; a DROP TABLE moves the table into the recycle bin instead; a dropped column's values
/// are kept by key; and what the measurement saw a function or trigger destroy (its plan) is kept before the statement.
/// </summary>
internal static class CapturingMeter
{
    /// <param name="planned">per statement index, what measuring it showed it destroys; the run is held to it.</param>
    public static ImpactMeter Create(NpgsqlConnection connection, ChangeCapture capture, Guid changeId, TimeSpan lockTimeout, IReadOnlyDictionary<int, IReadOnlyList<ObservedEffect>> planned) =>
        new(connection, preview: false, lockTimeout, statementTimeout: null)
        {
            BeforeTruncate = (tables, ct) => capture.CaptureTruncateAsync(changeId, tables, ct),
            InsteadOf = (statement, sizes, ct) => RecycleBin.TrashBin.TryMoveAsync(connection, changeId, statement, sizes, ct),
            BeforeDropColumns = (statement, ct) => capture.CaptureDroppedColumnsAsync(changeId, statement.Info.Targets[0], statement.Info.DroppedColumns, ct),
            Planned = planned,
            KeepEffects = (_, effects, ct) => EffectKeeper.KeepAsync(connection, capture, changeId, effects, ct),
        };
}

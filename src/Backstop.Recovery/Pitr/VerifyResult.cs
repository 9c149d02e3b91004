using Backstop.Recovery.Drills;

namespace Backstop.Recovery.Pitr;

/// <summary>The outcome of a PITR drill: the clone it made, what the checks found, and the catalog entry.</summary>
public sealed record VerifyResult
{
    public required long DrillId { get; init; }

    /// <summary>The clone that was checked (stopped and removed unless <see cref="Kept"/>).</summary>
    public required CloneResult CloneResult { get; init; }

    public required IReadOnlyList<DrillFailure> Failures { get; init; }

    public required int Tables { get; init; }

    public required long Rows { get; init; }

    /// <summary>Seconds per step.</summary>
    public required IReadOnlyDictionary<string, double> Durations { get; init; }

    /// <summary>The source's NOT VALID constraints could not be read (the source was not reachable), so that check was skipped.</summary>
    public bool ConstraintsSkipped { get; init; }

    /// <summary>The clone is still running (<c>--keep</c>).</summary>
    public required bool Kept { get; init; }

    public bool Passed => Failures.Count == 0;
}

using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Core.State;

namespace Backstop.Core.Changes;

/// <summary>How a <c>backstop run</c> ended.</summary>
public sealed record RunResult
{
    public required CheckResult Preview { get; init; }

    public required long ChangeId { get; init; }

    public required ChangeOutcome Outcome { get; init; }

    /// <summary>What the run measured, when the script ran (committed or rolled back).</summary>
    public IReadOnlyList<StatementImpact>? RunImpacts { get; init; }

    /// <summary>The verdict on the run's own impact, when the script ran.</summary>
    public PolicyDecision? RunDecision { get; init; }

    /// <summary>Why the run was rolled back because its impact differed from the preview.</summary>
    public IReadOnlyList<string> Differences { get; init; } = [];

    public string? Message { get; init; }

    /// <summary>What an operation wants said although it committed (a foreign key restored NOT VALID).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>How long the preview took (wall clock).</summary>
    public TimeSpan PreviewTime { get; init; }

    /// <summary>How long the run took, capture and commit included (wall clock); zero when it did not run.</summary>
    public TimeSpan RunTime { get; init; }
}

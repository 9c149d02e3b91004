using Backstop.Core.Preview;
using Backstop.Core.State;

namespace Backstop.Core.Changes;

/// <summary>
/// What someone asks to change: the script, who asks, and what the caller knows beyond it. The environment is the
/// <see cref="ChangeLifecycle"/>'s own. Everything here is data; nothing is asked of the caller later.
/// </summary>
public sealed record ChangeRequest
{
    /// <summary>The script's text, as recorded and as its SHA-256 is taken.</summary>
    public required string Script { get; init; }

    /// <summary>The script as <see cref="ScriptAnalyzer.Analyze"/> returned it; analyzed from <see cref="Script"/> when null.</summary>
    public IReadOnlyList<AnalyzedStatement>? Statements { get; init; }

    /// <summary>Who asks: the operating-system user for the CLI, the signed-in user for the server.</summary>
    public required string Actor { get; init; }

    /// <summary>Statements without WHERE are meant (the all_rows rule becomes all_rows_acknowledged).</summary>
    public bool AllowAllRows { get; init; }

    /// <summary>
    /// What the change puts back, when it is a recovery to a state Backstop can prove (a repair from a point-in-time clone
    /// of this environment, or from a backup whose latest drill passed): judged by the tier's recovery rule
    /// (<see cref="Policies.PolicyContext.Recovery"/>). Null for every other change.
    /// </summary>
    public string? Recovery { get; init; }

    /// <summary>For an undo: the change it takes back.</summary>
    public ChangeRecord? UndoOf { get; init; }

    /// <summary>Run on the preview before anything is recorded; one that throws stops the change there.</summary>
    public IReadOnlyList<IPreviewCheck> PreviewChecks { get; init; } = [];

    /// <summary>Run on what the change did, before it commits, after the lifecycle's own checks of effects.</summary>
    public IReadOnlyList<IRunCheck> RunChecks { get; init; } = [];

    /// <summary>
    /// Offered before the preview: a caller that has counted the script's impact itself returns it here (see
    /// <see cref="Preview.CountedImpact"/>), and it stands in for the dry run: judged, shown and authorized the same way,
    /// and the run is held to it exactly. Null, or a null result: the usual dry run.
    /// </summary>
    public Func<CancellationToken, Task<IReadOnlyList<StatementImpact>?>>? CountedImpact { get; init; }
}

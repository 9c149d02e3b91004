using Backstop.Core.Policies;
using Backstop.Core.State;
using Backstop.Postgres.Catalog;

namespace Backstop.Core.Changes;

/// <summary>
/// A change that has been previewed and judged, and is recorded in the state store as prepared (or as denied): what a
/// confirmation or an approval is given for. <see cref="ChangeLifecycle.ExecuteAsync"/> runs it at most once, only on
/// the database it was prepared on, and commits only within its impact.
/// </summary>
public sealed record PreparedChange
{
    /// <summary>Its local id in the state store.</summary>
    public required long Id { get; init; }

    /// <summary>Its id in the target database's change log.</summary>
    public required Guid ChangeUuid { get; init; }

    public required string Environment { get; init; }

    public required Configuration.Tier Tier { get; init; }

    public required string Actor { get; init; }

    public required string Script { get; init; }

    public required string ScriptSha256 { get; init; }

    /// <summary>The statements, what each did in the preview, and the verdict on them.</summary>
    public required CheckResult Preview { get; init; }

    /// <summary>The database it was prepared on; it runs on no other.</summary>
    public ServerIdentity Identity => Preview.Identity;

    public Verdict Verdict => Preview.Decision.Verdict;

    /// <summary>What it needs before it may run.</summary>
    public required Requirement Requires { get; init; }

    /// <summary>For an operation (restore from the recycle bin, purge, backup restore): what runs instead of statements.</summary>
    public IChangeOperation? Operation { get; init; }

    /// <summary>How long the preview took (wall clock).</summary>
    public TimeSpan PreviewTime { get; init; }

    /// <summary>The request it was prepared from (its run checks go with it).</summary>
    internal ChangeRequest Request { get; init; } = null!;

    /// <summary>The backup proof the preview was judged with; the run is judged with the same, not asked for twice.</summary>
    internal IReadOnlyDictionary<string, DateTimeOffset> ProvenBackups { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>Team mode: this script's commits on lower tiers, when the staged_first rule was applied; null when it was not.</summary>
    public IReadOnlyList<StagedRun>? StagedRuns { get; init; }

    /// <summary>The record as the store holds it.</summary>
    internal ChangeRecord Record { get; init; } = null!;
}

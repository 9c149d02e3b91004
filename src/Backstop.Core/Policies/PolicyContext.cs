namespace Backstop.Core.Policies;

/// <summary>What besides the script a verdict depends on.</summary>
public sealed record PolicyContext
{
    public required DateTimeOffset Now { get; init; }

    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary><c>--allow-all-rows</c>: the user says the statements without WHERE are meant.</summary>
    public bool AllowAllRows { get; init; }

    /// <summary>The environment's name, for messages that say which command to run.</summary>
    public string EnvironmentName { get; init; } = "ENV";

    /// <summary>
    /// Per database of the target's server: when its newest proven backup was taken (a backup whose latest restore
    /// drill passed). Consulted for <see cref="TierPolicy.DropDatabaseBackupWithin"/>.
    /// </summary>
    public IReadOnlyDictionary<string, DateTimeOffset> ProvenBackups { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>
    /// The state a recovery puts back, when Backstop can prove it (<see cref="TierPolicy.Recovery"/>): the script is then
    /// judged by the recovery rule, and of the other rules only those no recovery may skip (a statement Backstop cannot
    /// classify or measure, a write whose before-images cannot be kept).
    /// </summary>
    public string? Recovery { get; init; }

    /// <summary>
    /// Team mode: the commits of this exact script on environments of a lower tier within the policy's window, for
    /// <see cref="TierPolicy.StagedFirst"/>; null where they were not looked for (the CLI on its own, which cannot ask for
    /// the approval the rule would need).
    /// </summary>
    public IReadOnlyList<Changes.StagedRun>? StagedRuns { get; init; }
}

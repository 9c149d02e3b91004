namespace Backstop.Core.Policies;

/// <summary>What besides the script a verdict depends on.</summary>
public sealed record PolicyContext
{
    public required DateTimeOffset Now { get; init; }

    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary><c>--allow-all-rows</c>: the user says the statements without WHERE are meant.</summary>
    public bool AllowAllRows { get; init; }
}

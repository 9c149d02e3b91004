namespace Backstop.Core.Review;

/// <summary>
/// A finding accepted for a while, from backstop.yaml (<c>review: suppress:</c>): someone owns it, says why, and the date after
/// which it counts again.
/// </summary>
public sealed record ReviewSuppression
{
    public required string Rule { get; init; }

    /// <summary>The finding's object exactly as the review prints it.</summary>
    public required string Object { get; init; }

    public required string Owner { get; init; }

    public required string Reason { get; init; }

    /// <summary>The last day the suppression holds (in UTC); from the next day on, the finding counts again.</summary>
    public required DateOnly Expires { get; init; }

    public bool ExpiredAt(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime) > Expires;

    public bool Matches(ReviewFinding finding) =>
        string.Equals(finding.Rule, Rule, StringComparison.Ordinal) && string.Equals(finding.Object, Object, StringComparison.Ordinal);
}

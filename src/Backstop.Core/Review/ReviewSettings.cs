namespace Backstop.Core.Review;

/// <summary>The <c>review:</c> section of an environment in backstop.yaml.</summary>
public sealed record ReviewSettings
{
    public static ReviewSettings Default { get; } = new();

    public IReadOnlyList<ReviewSuppression> Suppressions { get; init; } = [];

    /// <summary>The roles the application connects as (<c>review.roles</c>), reviewed besides the one Backstop connects as.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];
}

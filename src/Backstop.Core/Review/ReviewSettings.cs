namespace Backstop.Core.Review;

/// <summary>The <c>review:</c> section of an environment in backstop.yaml.</summary>
public sealed record ReviewSettings
{
    public static ReviewSettings Default { get; } = new();

    public IReadOnlyList<ReviewSuppression> Suppressions { get; init; } = [];
}

namespace Backstop.Core.Review;

/// <summary>How much a finding matters, lowest first (docs/review.md, "Severities"); <c>--fail-on</c> names one of them.</summary>
public enum ReviewSeverity
{
    Info,
    Low,
    Medium,
    High,
    Critical,
}

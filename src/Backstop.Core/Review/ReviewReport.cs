namespace Backstop.Core.Review;

/// <summary>A review's findings, most severe first, with the suppressions applied.</summary>
/// <param name="Cascades">every table's reach, widest first (also inside the cascade-blast-radius findings).</param>
public sealed record ReviewReport(string Environment, IReadOnlyList<ReviewFinding> Findings, IReadOnlyList<CascadeReach> Cascades)
{
    /// <summary>Findings that count: not hidden by an active suppression.</summary>
    public IEnumerable<ReviewFinding> Counted => Findings.Where(f => !f.Suppressed);

    public bool HasAtLeast(ReviewSeverity severity) => Counted.Any(f => f.Severity >= severity);

    /// <summary>Marks the findings the suppressions name; an expired suppression is kept on the finding but hides nothing.</summary>
    public static IReadOnlyList<ReviewFinding> Suppress(IEnumerable<ReviewFinding> findings, IReadOnlyList<ReviewSuppression> suppressions, DateTimeOffset now) =>
        findings.Select(f => suppressions.FirstOrDefault(s => s.Matches(f)) is { } s ? f with { Suppression = s, Suppressed = !s.ExpiredAt(now) } : f)
            .OrderByDescending(f => f.Severity).ThenBy(f => f.Rule, StringComparer.Ordinal).ThenBy(f => f.Object, StringComparer.Ordinal)
            .ToList();
}

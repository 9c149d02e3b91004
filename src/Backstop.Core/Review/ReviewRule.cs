namespace Backstop.Core.Review;

/// <summary>A rule of the review, as docs/review.md and SARIF's <c>tool.driver.rules</c> describe it.</summary>
/// <param name="Id">stable, kebab-case: what suppressions and <c>--json</c> name.</param>
/// <param name="Title">a short name.</param>
/// <param name="Description">what it looks for and why, in a sentence or two.</param>
public sealed record ReviewRule(string Id, string Title, ReviewSeverity DefaultSeverity, string Description);

using Backstop.Core.Policies;
using Backstop.Core.Review;

namespace Backstop.Core.Tests.Review;

/// <summary>
/// "Retention shorter than the freeze window" (issue 19): a mistake made as the freeze window begins is found when it
/// ends; the before-images, the recycle bin and backups kept by age must still be there a working day later.
/// </summary>
public sealed class RetentionRuleTests
{
    private static readonly FreezeWindow Weekend = FreezeWindow.Default; // Fri 16:00 - Mon 08:00

    [Fact]
    public void The_default_freeze_window_lasts_64_hours_and_one_that_wraps_the_week_is_measured_across_it()
    {
        Assert.Equal(TimeSpan.FromHours(64), Weekend.Length);
        Assert.True(FreezeWindow.TryParse("Sun 22:00 - Mon 02:00", out var night));
        Assert.Equal(TimeSpan.FromHours(4), night!.Length);
    }

    [Fact]
    public void Retention_of_two_days_under_a_weekend_freeze_is_found_with_the_fix_and_the_severity_of_the_tier()
    {
        var findings = Evaluate(retention: TimeSpan.FromDays(2), production: true);

        var finding = Assert.Single(findings, f => f.Rule == "retention-shorter-than-freeze");
        Assert.Equal(ReviewSeverity.High, finding.Severity);
        Assert.Equal("environment prod", finding.Object);
        Assert.Contains("kept for 2 days", finding.Why, StringComparison.Ordinal);
        Assert.Contains("Fri 16:00 - Mon 08:00", finding.Why, StringComparison.Ordinal);
        Assert.Contains("retention: 4d", finding.Fix, StringComparison.Ordinal);

        Assert.Equal(ReviewSeverity.Medium, Assert.Single(Evaluate(retention: TimeSpan.FromDays(2), production: false), f => f.Rule == "retention-shorter-than-freeze").Severity);
    }

    [Fact]
    public void Backups_that_expire_before_the_freeze_window_ends_are_found_on_their_own()
    {
        var findings = Evaluate(retention: TimeSpan.FromDays(30), backupMaxAge: TimeSpan.FromDays(1), production: true);

        var finding = Assert.Single(findings, f => f.Rule == "retention-shorter-than-freeze");
        Assert.Equal("environment prod backups", finding.Object);
        Assert.Contains("max_age: 4d", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_enough_retention_or_no_freeze_window_is_no_finding()
    {
        Assert.DoesNotContain(Evaluate(retention: TimeSpan.FromDays(4), backupMaxAge: TimeSpan.FromDays(7), production: true), f => f.Rule == "retention-shorter-than-freeze");
        Assert.DoesNotContain(Evaluate(retention: TimeSpan.FromHours(1), backupMaxAge: TimeSpan.FromHours(1), production: true, weekend: false), f => f.Rule == "retention-shorter-than-freeze");
    }

    private static List<ReviewFinding> Evaluate(TimeSpan retention, bool production, TimeSpan? backupMaxAge = null, bool weekend = true) =>
        [.. RecoverabilityRules.Evaluate(new RecoverabilityFacts(
            "prod", TimeSpan.FromHours(1), TimeSpan.FromHours(24), AnyDrill: true, Pitr: true, production,
            retention, backupMaxAge, weekend ? Weekend : null))];
}

using System.Globalization;

namespace Backstop.Core.Review;

/// <summary>Whether the environment could be recovered if the worst cascade happened now.</summary>
public static class RecoverabilityRules
{
    public static IEnumerable<ReviewFinding> Evaluate(RecoverabilityFacts facts)
    {
        var subject = $"environment {facts.Environment}";
        var prove = $"backstop backup run -e {facts.Environment} && backstop backup verify --latest -e {facts.Environment}";
        if (facts.LastProvenAge is not { } age)
        {
            yield return new ReviewFinding
            {
                Rule = ReviewRules.NoProvenRestore.Id, Severity = facts.Production ? ReviewSeverity.Critical : ReviewSeverity.High, Object = subject,
                Why = facts.AnyDrill
                    ? $"No restore drill of {facts.Environment} has passed on a backup that is still intact, so there is no evidence it can be recovered."
                    : $"No restore drill of {facts.Environment} has ever run, so there is no evidence its backups can be restored.",
                Fix = prove,
            };
        }
        else if (age > facts.Limit)
        {
            yield return new ReviewFinding
            {
                Rule = ReviewRules.ProvenRestoreStale.Id, Severity = ReviewSeverity.Medium, Object = subject,
                Why = $"The last proven restore of {facts.Environment} is {Hours(age)} old, past its limit of {Hours(facts.Limit)} (backup.proven_within): a restore would lose at least that much.",
                Fix = prove,
            };
        }

        if (!facts.Pitr)
        {
            yield return new ReviewFinding
            {
                Rule = ReviewRules.NoPitr.Id, Severity = facts.Production ? ReviewSeverity.Medium : ReviewSeverity.Low, Object = subject,
                Why = $"{facts.Environment} has no point-in-time recovery, so a mistake can be undone only back to the last backup, not to the minute before it.",
                Fix = $"backstop pitr enable -e {facts.Environment} --pgdata PATH",
            };
        }
    }

    private static string Hours(TimeSpan span) =>
        span.TotalHours >= 48 ? $"{Math.Floor(span.TotalDays).ToString(CultureInfo.InvariantCulture)} days" : $"{Math.Floor(span.TotalHours).ToString(CultureInfo.InvariantCulture)} h";
}

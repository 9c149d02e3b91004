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

        foreach (var finding in Retention(facts, subject))
        {
            yield return finding;
        }
    }

    /// <summary>
    /// A mistake made as the freeze window begins (nobody changes anything then, and few look) is found when it ends; a
    /// working day later someone acts on it. Before-images and the recycle bin (<c>retention</c>), and backups kept by age
    /// (<c>backup.max_age</c>), must last that long, or the means to undo it are gone by then.
    /// </summary>
    private static IEnumerable<ReviewFinding> Retention(RecoverabilityFacts facts, string subject)
    {
        if (facts.Freeze is not { } freeze)
        {
            yield break;
        }

        var needed = freeze.Length + TimeSpan.FromDays(1);
        var severity = facts.Production ? ReviewSeverity.High : ReviewSeverity.Medium;
        var days = Math.Ceiling(needed.TotalDays).ToString(CultureInfo.InvariantCulture);
        if (facts.Retention is { } retention && retention < needed)
        {
            yield return new ReviewFinding
            {
                Rule = ReviewRules.RetentionShorterThanFreeze.Id, Severity = severity, Object = subject,
                Why = $"Before-images and the recycle bin of {facts.Environment} are kept for {Hours(retention)}, but a mistake made as the freeze window ({freeze}) begins is found when it ends, {Hours(freeze.Length)} later: `backstop purge` may have removed what would undo it.",
                Fix = $"# backstop.yaml, environment {facts.Environment}:\nretention: {days}d",
            };
        }

        if (facts.BackupMaxAge is { } maxAge && maxAge < needed)
        {
            yield return new ReviewFinding
            {
                Rule = ReviewRules.RetentionShorterThanFreeze.Id, Severity = severity, Object = $"{subject} backups",
                Why = $"Backups of {facts.Environment} expire after {Hours(maxAge)} (backup.max_age), shorter than the freeze window ({freeze}, {Hours(freeze.Length)}) and a day to act: the backup from before a mistake made as it begins may be gone when someone looks.",
                Fix = $"# backstop.yaml, environment {facts.Environment}, backup:\nmax_age: {days}d",
            };
        }
    }

    private static string Hours(TimeSpan span) =>
        span.TotalHours >= 48 ? $"{Math.Floor(span.TotalDays).ToString(CultureInfo.InvariantCulture)} days" : $"{Math.Floor(span.TotalHours).ToString(CultureInfo.InvariantCulture)} h";
}

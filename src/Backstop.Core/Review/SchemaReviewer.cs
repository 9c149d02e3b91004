using Npgsql;

namespace Backstop.Core.Review;

/// <summary><c>backstop review</c>'s work: reads the live catalog and statistics and applies every rule.</summary>
public static class SchemaReviewer
{
    /// <summary>The findings of the catalog alone (cascades, foreign key indexes, keys), as before and after a migration compare them.</summary>
    public static async Task<(IReadOnlyList<ReviewFinding> Findings, IReadOnlyList<CascadeReach> Cascades)> SchemaFindingsAsync(
        NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var catalog = await SchemaCatalog.ReadAsync(connection, cancellationToken);
        var cascades = CascadeAnalysis.Compute(catalog.Tables, catalog.ForeignKeys);
        return (SchemaRules.Evaluate(catalog, cascades).ToList(), cascades);
    }

    public static async Task<ReviewReport> ReviewAsync(
        NpgsqlConnection connection, string environment, RecoverabilityFacts recoverability, IReadOnlyList<ReviewSuppression> suppressions, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var (findings, cascades) = await SchemaFindingsAsync(connection, cancellationToken);
        var all = findings
            .Concat(await PrivilegeRules.EvaluateAsync(connection, cancellationToken))
            .Concat(await SettingRules.EvaluateAsync(connection, cancellationToken))
            .Concat(await HealthRules.EvaluateAsync(connection, cancellationToken))
            .Concat(RecoverabilityRules.Evaluate(recoverability));
        return new ReviewReport(environment, ReviewReport.Suppress(all, suppressions, now), cascades);
    }
}

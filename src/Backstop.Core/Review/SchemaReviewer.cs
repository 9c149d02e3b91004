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
        CancellationToken cancellationToken, IReadOnlyList<string>? roles = null)
    {
        roles ??= [];
        await CheckRolesExistAsync(connection, environment, roles, cancellationToken);
        var (findings, cascades) = await SchemaFindingsAsync(connection, cancellationToken);
        var all = findings
            .Concat(await PrivilegeRules.EvaluateAsync(connection, roles, cancellationToken))
            .Concat(await SettingRules.EvaluateAsync(connection, roles, cancellationToken))
            .Concat(await HealthRules.EvaluateAsync(connection, cancellationToken))
            .Concat(RecoverabilityRules.Evaluate(recoverability));
        return new ReviewReport(environment, ReviewReport.Suppress(all, suppressions, now), cascades);
    }

    /// <exception cref="Configuration.ConfigException">review.roles names a role the server does not have.</exception>
    private static async Task CheckRolesExistAsync(NpgsqlConnection connection, string environment, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        if (roles.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand("SELECT r FROM unnest(@roles::text[]) r WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) ORDER BY 1", connection);
        command.Parameters.AddWithValue("roles", roles.ToArray());
        var missing = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                missing.Add(reader.GetString(0));
            }
        }

        if (missing.Count > 0)
        {
            throw new Configuration.ConfigException(
                $"review.roles of environment '{environment}' names {string.Join(", ", missing.Select(m => $"'{m}'"))}, which the server has no role of; " +
                "list the roles the application connects as (SELECT rolname FROM pg_roles shows them), or remove the name");
        }
    }
}

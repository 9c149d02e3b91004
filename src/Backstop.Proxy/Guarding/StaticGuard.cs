using Backstop.Core.Changes;
using Backstop.Core.Policies;
using Backstop.Sql.Classification;

namespace Backstop.Proxy.Guarding;

/// <summary>
/// A service account's guard (issue 16, 4): no measurement, so an application's writes stay as fast as without
/// Backstop; only what the classifier knows to be catastrophic is refused, when the tier's policy would not simply
/// allow it: DROP DATABASE, TRUNCATE, DROP TABLE, DROP SCHEMA, and UPDATE or DELETE without WHERE or with a WHERE
/// that is trivially true (<c>WHERE 1=1</c>, <c>WHERE true</c>).
/// </summary>
public static class StaticGuard
{
    /// <summary>The refusal of the first catastrophic statement of <paramref name="statements"/>, or null.</summary>
    public static string? Refusal(IReadOnlyList<AnalyzedStatement> statements, TierPolicy policy, PolicyContext context)
    {
        foreach (var statement in statements)
        {
            if (!IsCatastrophic(statement.Info))
            {
                continue;
            }

            var decision = PolicyEvaluator.Evaluate(policy, [statement], [], context);
            if (decision.Verdict != Verdict.Allow)
            {
                var reasons = string.Join("; ", decision.DecidingReasons.Select(r => r.Message));
                return $"{Describe(statement)} is refused for service accounts on the {context.EnvironmentName} environment ({reasons})";
            }
        }

        return null;
    }

    public static bool IsCatastrophic(StatementInfo info) => info.Kind switch
    {
        StatementKind.DropDatabase or StatementKind.Truncate or StatementKind.DropTable or StatementKind.DropSchema => true,
        StatementKind.Update or StatementKind.Delete => !info.HasWhere || info.WhereIsTriviallyTrue,
        _ => false,
    };

    private static string Describe(AnalyzedStatement statement)
    {
        var info = statement.Info;
        var verb = statement.Statement.TokenText(statement.Statement.Tokens[0]).ToUpperInvariant();
        var what = info.Kind switch
        {
            StatementKind.DropDatabase => "DROP DATABASE",
            StatementKind.DropTable => "DROP TABLE",
            StatementKind.DropSchema => "DROP SCHEMA",
            _ => verb,
        };
        var target = info.Targets.Count > 0 ? " " + string.Join(", ", info.Targets.Select(t => t.ToString())) : "";
        return info.Kind switch
        {
            StatementKind.Update or StatementKind.Delete when info.WhereIsTriviallyTrue => $"{what}{target} with a WHERE that is always true",
            StatementKind.Update or StatementKind.Delete => $"{what}{target} without WHERE",
            _ => what + target,
        };
    }
}

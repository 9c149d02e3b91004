using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Policies;
using Backstop.Core.Preview;

namespace Backstop.Cli.Rendering;

/// <summary>The JSON object <c>check</c> and <c>run</c> print with --json (documented in docs/cli.md).</summary>
internal static class ChangeJson
{
    public static object Check(EnvironmentConfig environment, CheckResult result, string? runRefusal) => new
    {
        environment = environment.Name,
        runRefusal,
        tier = environment.Tier,
        verdict = result.Decision.Verdict,
        reasons = result.Decision.DecidingReasons.Select(r => r.Message),
        totalRowsChanged = result.Impacts.Sum(i => i.Changed),
        statements = Statements(result.Statements, result.Impacts, result.Decision),
    };

    public static object Run(EnvironmentConfig environment, RunResult result)
    {
        var impacts = result.RunImpacts ?? result.Preview.Impacts;
        var decision = result.RunDecision ?? result.Preview.Decision;
        return new
        {
            environment = environment.Name,
            tier = environment.Tier,
            changeId = result.ChangeId,
            outcome = result.Outcome,
            verdict = result.Preview.Decision.Verdict,
            reasons = result.Preview.Decision.DecidingReasons.Select(r => r.Message),
            message = result.Message,
            differences = result.Differences,
            totalRowsChanged = impacts.Sum(i => i.Changed),
            statements = Statements(result.Preview.Statements, impacts, decision),
            preview = result.RunImpacts is null ? null : Statements(result.Preview.Statements, result.Preview.Impacts, result.Preview.Decision),
            previewSeconds = Math.Round(result.PreviewTime.TotalSeconds, 3),
            runSeconds = Math.Round(result.RunTime.TotalSeconds, 3),
        };
    }

    private static IEnumerable<object> Statements(IReadOnlyList<AnalyzedStatement> statements, IReadOnlyList<StatementImpact> impacts, PolicyDecision decision) =>
        statements.Select(s =>
        {
            var impact = impacts.FirstOrDefault(i => i.Index == s.Index);
            var verdict = decision.Statements.FirstOrDefault(v => v.Index == s.Index);
            return new
            {
                index = s.Index + 1,
                line = s.Statement.Span.Start.Line,
                column = s.Statement.Span.Start.Column,
                kind = s.Info.Kind,
                targets = s.Info.Targets.Select(t => t.ToString()),
                text = s.Statement.Text,
                commandTag = impact?.CommandTag,
                verdict = verdict?.Verdict ?? Verdict.Allow,
                reasons = verdict?.Reasons.Select(r => r.Message) ?? [],
                rowCount = impact?.RowCount,
                executed = impact?.Executed ?? false,
                estimated = impact?.Estimated ?? false,
                counted = impact?.Counted ?? false,
                note = impact?.Note,
                tables = (impact?.Tables ?? []).Select(t => new
                {
                    table = Backstop.Sql.IdentifierDisplay.Qualified(t.Schema, t.Name),
                    inserted = t.Inserted,
                    updated = t.Updated,
                    deleted = t.Deleted,
                    rowsBefore = t.RowsBefore,
                    rowsBeforeEstimated = t.RowsBeforeEstimated,
                    fraction = t.Fraction,
                    estimated = t.Estimated,
                }),
            };
        });
}

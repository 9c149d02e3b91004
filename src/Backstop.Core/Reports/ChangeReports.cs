using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Policies;
using Backstop.Core.Preview;

namespace Backstop.Core.Reports;

/// <summary>Builds <see cref="ChangeReport"/>s from what the lifecycle returns.</summary>
public static class ChangeReports
{
    public static ChangeReport Check(EnvironmentConfig environment, CheckResult result, string? runRefusal) => new()
    {
        Environment = environment.Name,
        Tier = environment.Tier,
        RunRefusal = runRefusal,
        Verdict = result.Decision.Verdict,
        Reasons = result.Decision.DecidingReasons.Select(r => r.Message).ToList(),
        ScriptRules = result.Decision.ScriptReasons.Select(ReasonReport.Of).ToList(),
        TotalRowsChanged = result.Impacts.Sum(i => i.Changed),
        Statements = Statements(result.Statements, result.Impacts, result.Decision),
    };

    public static ChangeReport Run(EnvironmentConfig environment, RunResult result)
    {
        var impacts = result.RunImpacts ?? result.Preview.Impacts;
        var decision = result.RunDecision ?? result.Preview.Decision;
        return new ChangeReport
        {
            Environment = environment.Name,
            Tier = environment.Tier,
            ChangeId = result.ChangeId,
            Outcome = result.Outcome,
            Verdict = result.Preview.Decision.Verdict,
            Reasons = result.Preview.Decision.DecidingReasons.Select(r => r.Message).ToList(),
            ScriptRules = result.Preview.Decision.ScriptReasons.Select(ReasonReport.Of).ToList(),
            Message = result.Message,
            Differences = result.Differences,
            TotalRowsChanged = impacts.Sum(i => i.Changed),
            Statements = Statements(result.Preview.Statements, impacts, decision),
            Preview = result.RunImpacts is null ? null : Statements(result.Preview.Statements, result.Preview.Impacts, result.Preview.Decision),
            PreviewRowsChanged = result.RunImpacts is null ? null : result.Preview.Impacts.Sum(i => i.Changed),
            PreviewSeconds = Math.Round(result.PreviewTime.TotalSeconds, 3),
            RunSeconds = Math.Round(result.RunTime.TotalSeconds, 3),
        };
    }

    /// <summary>A prepared change before it runs: its preview, and what it still needs.</summary>
    public static ChangeReport Prepared(EnvironmentConfig environment, PreparedChange change, string? requires) => Check(environment, change.Preview, null) with
    {
        ChangeId = change.Id,
        Outcome = change.Record.Outcome,
        Requires = requires,
        PreviewSeconds = Math.Round(change.PreviewTime.TotalSeconds, 3),
    };

    public static IReadOnlyList<StatementReport> Statements(IReadOnlyList<AnalyzedStatement> statements, IReadOnlyList<StatementImpact> impacts, PolicyDecision decision) =>
        statements.Select(s =>
        {
            var impact = impacts.FirstOrDefault(i => i.Index == s.Index);
            var verdict = decision.Statements.FirstOrDefault(v => v.Index == s.Index);
            return new StatementReport
            {
                Index = s.Index + 1,
                Line = s.Statement.Span.Start.Line,
                Column = s.Statement.Span.Start.Column,
                Kind = s.Info.Kind,
                Targets = s.Info.Targets.Select(t => t.ToString()).ToList(),
                Text = s.Statement.Text,
                CommandTag = impact?.CommandTag,
                Verdict = verdict?.Verdict ?? Verdict.Allow,
                Reasons = verdict?.Reasons.Select(r => r.Message).ToList() ?? [],
                Rules = verdict?.Reasons.Select(ReasonReport.Of).ToList() ?? [],
                RowCount = impact?.RowCount,
                Executed = impact?.Executed ?? false,
                Estimated = impact?.Estimated ?? false,
                Counted = impact?.Counted ?? false,
                Note = impact?.Note,
                Tables = (impact?.Tables ?? []).Select(t => new TableReport
                {
                    Table = Backstop.Sql.IdentifierDisplay.Qualified(t.Schema, t.Name),
                    Inserted = t.Inserted,
                    Updated = t.Updated,
                    Deleted = t.Deleted,
                    RowsBefore = t.RowsBefore,
                    RowsBeforeEstimated = t.RowsBeforeEstimated,
                    Fraction = t.Fraction,
                    Estimated = t.Estimated,
                }).ToList(),
            };
        }).ToList();
}

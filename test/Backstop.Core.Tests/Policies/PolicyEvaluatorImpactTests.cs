using Backstop.Core.Changes;
using Backstop.Core.Policies;
using Backstop.Core.Preview;

namespace Backstop.Core.Tests.Policies;

/// <summary>Rules decided by what the preview measured: total rows, share of a table, cascades, unknown impact.</summary>
public sealed class PolicyEvaluatorImpactTests
{
    /// <summary>A Wednesday noon: outside the default freeze window.</summary>
    private static readonly PolicyContext Midweek = new() { Now = new DateTimeOffset(2025, 1, 15, 12, 0, 0, TimeSpan.Zero) };

    private const string TwoUpdates = "UPDATE orders SET is_deleted = true WHERE id < 600; UPDATE customers SET active = false WHERE id < 500";

    [Fact]
    public void Evaluate_more_than_1000_rows_across_statements_on_production_needs_approval()
    {
        var impacts = new[]
        {
            Measured(0, Table("orders", updated: 600)),
            Measured(1, Table("customers", updated: 401)),
        };

        var decision = Evaluate(TierPolicy.Production, TwoUpdates, impacts);

        Assert.Equal(Verdict.Approve, decision.Verdict);
        Assert.All(decision.Statements, s => Assert.Equal(Verdict.Confirm, s.Verdict));
        var reason = Assert.Single(decision.ScriptReasons);
        Assert.Equal("total_rows", reason.Rule);
        Assert.Equal("changes 1,001 rows in all, more than 1,000", reason.Message);
        Assert.Equal([reason], decision.DecidingReasons);
    }

    [Fact]
    public void Evaluate_exactly_1000_rows_on_production_only_asks_to_confirm()
    {
        var impacts = new[]
        {
            Measured(0, Table("orders", updated: 600)),
            Measured(1, Table("customers", updated: 400)),
        };

        var decision = Evaluate(TierPolicy.Production, TwoUpdates, impacts);

        Assert.Equal(Verdict.Confirm, decision.Verdict);
        Assert.Empty(decision.ScriptReasons);
    }

    [Fact]
    public void Evaluate_total_rows_counts_rows_written_in_other_tables_by_triggers()
    {
        var impacts = new[] { Measured(0, Table("orders", updated: 500), Table("audit_log", inserted: 501)) };

        var decision = Evaluate(TierPolicy.Production, "UPDATE orders SET is_deleted = true WHERE id <= 500", impacts);

        Assert.Equal(Verdict.Approve, decision.Verdict);
        Assert.Equal("changes 1,001 rows in all, more than 1,000", Assert.Single(decision.ScriptReasons).Message);
    }

    [Fact]
    public void Evaluate_total_rows_from_an_estimate_says_estimated()
    {
        var impacts = new[] { new StatementImpact { Index = 0, CommandTag = "UPDATE", Estimated = true, Tables = [Table("orders", updated: 5000)] } };

        var decision = Evaluate(TierPolicy.Production, "UPDATE orders SET is_deleted = true WHERE id <= 5000", impacts);

        Assert.Equal("changes 5,000 rows in all (estimated), more than 1,000", Assert.Single(decision.ScriptReasons).Message);
    }

    [Fact]
    public void Evaluate_statement_changing_half_of_a_table_over_100_rows_needs_approval()
    {
        var impacts = new[] { Measured(0, Table("orders", updated: 101, rowsBefore: 202)) };

        var decision = Evaluate(TierPolicy.Production, "UPDATE orders SET is_deleted = true WHERE id % 2 = 0", impacts);

        Assert.Equal(Verdict.Approve, decision.Verdict);
        var reason = Assert.Single(decision.DecidingReasons);
        Assert.Equal("table_fraction", reason.Rule);
        Assert.StartsWith("changes 50", reason.Message, StringComparison.Ordinal);
        Assert.EndsWith("of public.orders (101 of 202 rows)", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_half_of_a_table_with_exactly_100_rows_does_not_count()
    {
        var impacts = new[] { Measured(0, Table("orders", deleted: 50, rowsBefore: 100)) };

        var decision = Evaluate(TierPolicy.Production, "DELETE FROM orders WHERE id <= 50", impacts);

        Assert.Equal(Verdict.Confirm, decision.Verdict);
        Assert.DoesNotContain(decision.Statements[0].Reasons, r => r.Rule == "table_fraction");
    }

    [Fact]
    public void Evaluate_49_percent_of_a_table_does_not_count()
    {
        var impacts = new[] { Measured(0, Table("orders", deleted: 98, rowsBefore: 200)) };

        var decision = Evaluate(TierPolicy.Production, "DELETE FROM orders WHERE id <= 98", impacts);

        Assert.Equal(Verdict.Confirm, decision.Verdict);
        Assert.DoesNotContain(decision.Statements[0].Reasons, r => r.Rule == "table_fraction");
    }

    [Fact]
    public void Evaluate_table_fraction_from_planner_statistics_says_estimated()
    {
        var impacts = new[] { Measured(0, Table("orders", deleted: 150, rowsBefore: 200) with { RowsBeforeEstimated = true }) };

        var decision = Evaluate(TierPolicy.Staging, "DELETE FROM orders WHERE id <= 150", impacts);

        Assert.Equal(Verdict.Confirm, decision.Verdict);
        Assert.EndsWith("of public.orders (150 of 200 rows, estimated)", Assert.Single(decision.DecidingReasons).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_delete_cascading_100_rows_on_production_asks_to_confirm()
    {
        var impacts = new[] { Measured(0, Table("organizations", deleted: 1), Table("users", deleted: 100)) };

        var decision = Evaluate(TierPolicy.Production, "DELETE FROM organizations WHERE id = 1", impacts);

        Assert.Equal(Verdict.Confirm, decision.Verdict);
        var reason = Assert.Single(decision.DecidingReasons);
        Assert.Equal("cascade", reason.Rule);
        Assert.Equal("the DELETE cascades into 1 other table: 100 rows (public.users 100)", reason.Message);
    }

    [Fact]
    public void Evaluate_delete_cascading_101_rows_on_production_needs_approval()
    {
        var impacts = new[] { Measured(0, Table("organizations", deleted: 1), Table("users", deleted: 40), Table("leads", deleted: 61)) };

        var decision = Evaluate(TierPolicy.Production, "DELETE FROM organizations WHERE id = 1", impacts);

        Assert.Equal(Verdict.Approve, decision.Verdict);
        var reason = Assert.Single(decision.DecidingReasons);
        Assert.Equal("cascade", reason.Rule);
        Assert.Equal("the DELETE cascades into 2 other tables: 101 rows (public.users 40, public.leads 61)", reason.Message);
    }

    [Fact]
    public void Evaluate_delete_cascading_on_staging_asks_to_confirm()
    {
        var impacts = new[] { Measured(0, Table("organizations", deleted: 1), Table("users", deleted: 500)) };

        var decision = Evaluate(TierPolicy.Staging, "DELETE FROM public.organizations WHERE id = 1", impacts);

        Assert.Equal(Verdict.Confirm, decision.Verdict);
        Assert.Equal("cascade", Assert.Single(decision.DecidingReasons).Rule);
    }

    [Fact]
    public void Evaluate_delete_touching_only_its_own_table_has_no_cascade_reason()
    {
        var impacts = new[] { Measured(0, Table("organizations", deleted: 3)) };

        var decision = Evaluate(TierPolicy.Staging, "DELETE FROM Organizations WHERE id < 4", impacts);

        Assert.Equal(Verdict.Allow, decision.Verdict);
        Assert.DoesNotContain(decision.Statements[0].Reasons, r => r.Rule == "cascade");
    }

    [Fact]
    public void Evaluate_update_writing_other_tables_is_not_a_cascade()
    {
        var impacts = new[] { Measured(0, Table("orders", updated: 1), Table("order_history", updated: 200)) };

        var decision = Evaluate(TierPolicy.Staging, "UPDATE orders SET is_deleted = true WHERE id = 1", impacts);

        Assert.Equal(Verdict.Allow, decision.Verdict);
    }

    [Fact]
    public void Evaluate_write_whose_impact_is_unknown_fails_closed_on_production()
    {
        var impacts = new[] { new StatementImpact { Index = 0, CommandTag = "UPDATE", Executed = false, Estimated = false } };

        var decision = Evaluate(TierPolicy.Production, "UPDATE orders SET is_deleted = true WHERE id = 1", impacts);

        Assert.Equal(Verdict.Approve, decision.Verdict);
        var reason = Assert.Single(decision.DecidingReasons);
        Assert.Equal("unclassified", reason.Rule);
        Assert.Equal("its impact could not be measured or estimated", reason.Message);
    }

    [Fact]
    public void Evaluate_write_whose_impact_is_unknown_asks_to_confirm_on_staging()
    {
        var impacts = new[] { new StatementImpact { Index = 0, CommandTag = "UPDATE" } };

        var decision = Evaluate(TierPolicy.Staging, "UPDATE orders SET is_deleted = true WHERE id = 1", impacts);

        Assert.Equal(Verdict.Confirm, decision.Verdict);
    }

    [Fact]
    public void Evaluate_impact_is_matched_to_its_statement_by_index()
    {
        var impacts = new[]
        {
            Measured(0, Table("orders", updated: 1, rowsBefore: 1000)),
            Measured(1, Table("customers", updated: 900, rowsBefore: 1000)),
        };

        var decision = Evaluate(TierPolicy.Production, TwoUpdates, impacts);

        Assert.Equal(Verdict.Confirm, decision.Statements[0].Verdict);
        Assert.Equal(Verdict.Approve, decision.Statements[1].Verdict);
        Assert.Equal("table_fraction", Assert.Single(decision.DecidingReasons).Rule);
    }

    private static PolicyDecision Evaluate(TierPolicy policy, string script, IReadOnlyList<StatementImpact> impacts) =>
        PolicyEvaluator.Evaluate(policy, ScriptAnalyzer.Analyze(script), impacts, Midweek);

    private static StatementImpact Measured(int index, params TableImpact[] tables) =>
        new() { Index = index, CommandTag = "DML", Executed = true, Tables = tables };

    private static TableImpact Table(string name, long inserted = 0, long updated = 0, long deleted = 0, long? rowsBefore = null) =>
        new() { Schema = "public", Name = name, Inserted = inserted, Updated = updated, Deleted = deleted, RowsBefore = rowsBefore };
}

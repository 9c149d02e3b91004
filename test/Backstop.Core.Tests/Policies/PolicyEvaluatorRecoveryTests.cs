using Backstop.Core.Changes;
using Backstop.Core.Policies;
using Backstop.Core.Preview;

namespace Backstop.Core.Tests.Policies;

/// <summary>
/// A recovery to a state Backstop can prove is judged by the recovery rule, not by the rules meant for mistakes: the
/// repair of a mistake that changed a million rows on a Sunday must not wait for an approval that nobody can give.
/// </summary>
public sealed class PolicyEvaluatorRecoveryTests
{
    private const string Repair = "INSERT INTO users (id) SELECT id FROM pg_temp.backstop_repair_insert_0; UPDATE orders SET is_deleted = r.is_deleted FROM pg_temp.backstop_repair_update_1 r WHERE orders.id = r.id";

    /// <summary>Sunday 19 January 2025, inside the default freeze window.</summary>
    private static readonly DateTimeOffset Sunday = new(2025, 1, 19, 10, 0, 0, TimeSpan.Zero);

    private static readonly StatementImpact[] Large =
    [
        new() { Index = 0, CommandTag = "INSERT", Executed = true, Tables = [new() { Schema = "public", Name = "users", Inserted = 1, RowsBefore = 10 }] },
        new() { Index = 1, CommandTag = "UPDATE", Executed = true, Tables = [new() { Schema = "public", Name = "orders", Updated = 1_000_000, RowsBefore = 1_000_000 }] },
    ];

    [Fact]
    public void The_same_repair_needs_approval_as_a_script_and_a_confirmation_as_a_recovery_on_production()
    {
        var asScript = PolicyEvaluator.Evaluate(TierPolicy.Production, ScriptAnalyzer.Analyze(Repair), Large, new PolicyContext { Now = Sunday });
        Assert.Equal(Verdict.Approve, asScript.Verdict);
        Assert.Contains(asScript.DecidingReasons, r => r.Rule == "total_rows");

        var asRecovery = PolicyEvaluator.Evaluate(
            TierPolicy.Production, ScriptAnalyzer.Analyze(Repair), Large, new PolicyContext { Now = Sunday, Recovery = "prod as of 2025-01-19T09:58:00Z, from its point-in-time recovery" });

        Assert.Equal(Verdict.Confirm, asRecovery.Verdict);
        Assert.All(asRecovery.DecidingReasons, r => Assert.Equal("recovery", r.Rule));
        Assert.Equal("a recovery: puts back prod as of 2025-01-19T09:58:00Z, from its point-in-time recovery", asRecovery.DecidingReasons.First().Message);
        Assert.DoesNotContain(asRecovery.Statements.SelectMany(s => s.Reasons), r => r.Rule is "freeze" or "table_fraction" or "total_rows");
    }

    [Fact]
    public void The_recovery_rule_is_the_tiers_to_set()
    {
        var decision = PolicyEvaluator.Evaluate(
            TierPolicy.Production with { Recovery = Verdict.Approve }, ScriptAnalyzer.Analyze(Repair), Large, new PolicyContext { Now = Sunday, Recovery = "prod as of then" });

        Assert.Equal(Verdict.Approve, decision.Verdict);
    }

    [Fact]
    public void A_recovery_still_needs_approval_for_a_statement_Backstop_cannot_classify()
    {
        var decision = PolicyEvaluator.Evaluate(
            TierPolicy.Production, ScriptAnalyzer.Analyze("FROBNICATE orders"), [], new PolicyContext { Now = Sunday, Recovery = "prod as of then" });

        Assert.Equal(Verdict.Approve, decision.Verdict);
        Assert.Contains(decision.DecidingReasons, r => r.Rule == "unclassified");
    }
}

using Backstop.Core.Changes;
using Backstop.Core.Policies;
using Backstop.Core.Preview;

namespace Backstop.Core.Tests.Policies;

/// <summary>The freeze window is judged in the environment's time zone, and only writes are frozen.</summary>
public sealed class PolicyEvaluatorFreezeTests
{
    private const string Write = "UPDATE orders SET is_deleted = true WHERE id = 1";

    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    /// <summary>Friday 17 January 2025, 15:30 UTC: 16:30 in Berlin (CET, UTC+1), after the window opens at 16:00.</summary>
    private static readonly DateTimeOffset FridayAfternoon = new(2025, 1, 17, 15, 30, 0, TimeSpan.Zero);

    [Fact]
    public void Evaluate_write_at_1630_berlin_time_on_friday_is_in_the_freeze_window()
    {
        var decision = Evaluate(TierPolicy.Production, Write, new PolicyContext { Now = FridayAfternoon, TimeZone = Berlin });

        Assert.Equal(Verdict.Approve, decision.Verdict);
        var reason = Assert.Single(decision.DecidingReasons);
        Assert.Equal("freeze", reason.Rule);
        Assert.Equal("a write inside the freeze window (Fri 16:00 - Mon 08:00, Europe/Berlin)", reason.Message);
    }

    [Fact]
    public void Evaluate_same_instant_in_utc_is_before_the_freeze_window()
    {
        var decision = Evaluate(TierPolicy.Production, Write, new PolicyContext { Now = FridayAfternoon, TimeZone = TimeZoneInfo.Utc });

        Assert.Equal(Verdict.Confirm, decision.Verdict);
        Assert.DoesNotContain(decision.Statements[0].Reasons, r => r.Rule == "freeze");
    }

    [Fact]
    public void Evaluate_now_with_an_offset_is_converted_to_the_environment_time_zone()
    {
        var sameInstantInNewYork = FridayAfternoon.ToOffset(TimeSpan.FromHours(-5));

        var decision = Evaluate(TierPolicy.Production, Write, new PolicyContext { Now = sameInstantInNewYork, TimeZone = Berlin });

        Assert.Equal(Verdict.Approve, decision.Verdict);
    }

    [Fact]
    public void Evaluate_read_in_the_freeze_window_is_allowed()
    {
        var decision = Evaluate(TierPolicy.Production, "SELECT * FROM orders", new PolicyContext { Now = FridayAfternoon, TimeZone = Berlin });

        Assert.Equal(Verdict.Allow, decision.Verdict);
    }

    [Fact]
    public void Evaluate_write_in_the_freeze_window_on_staging_is_allowed()
    {
        var decision = Evaluate(TierPolicy.Staging, Write, new PolicyContext { Now = FridayAfternoon, TimeZone = Berlin });

        Assert.Equal(Verdict.Allow, decision.Verdict);
    }

    [Fact]
    public void Evaluate_sunday_write_on_production_needs_approval()
    {
        var sunday = new DateTimeOffset(2025, 1, 19, 10, 0, 0, TimeSpan.Zero);

        var decision = Evaluate(TierPolicy.Production, "INSERT INTO orders (id) VALUES (1)", new PolicyContext { Now = sunday });

        Assert.Equal(Verdict.Approve, decision.Verdict);
        Assert.Equal("a write inside the freeze window (Fri 16:00 - Mon 08:00, UTC)", Assert.Single(decision.DecidingReasons).Message);
    }

    [Fact]
    public void Evaluate_monday_0800_is_after_the_freeze_window()
    {
        var monday = new DateTimeOffset(2025, 1, 20, 8, 0, 0, TimeSpan.Zero);

        var decision = Evaluate(TierPolicy.Production, Write, new PolicyContext { Now = monday });

        Assert.Equal(Verdict.Confirm, decision.Verdict);
    }

    [Fact]
    public void Evaluate_policy_without_a_freeze_window_never_freezes()
    {
        var policy = TierPolicy.Production with { FreezeWindow = null };

        var decision = Evaluate(policy, Write, new PolicyContext { Now = FridayAfternoon, TimeZone = Berlin });

        Assert.Equal(Verdict.Confirm, decision.Verdict);
    }

    private static PolicyDecision Evaluate(TierPolicy policy, string script, PolicyContext context) =>
        PolicyEvaluator.Evaluate(policy, ScriptAnalyzer.Analyze(script), Array.Empty<StatementImpact>(), context);
}

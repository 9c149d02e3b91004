using Backstop.Core.Changes;
using Backstop.Core.Policies;
using Backstop.Core.Preview;

namespace Backstop.Core.Tests.Policies;

/// <summary>The default policy table per tier for rules that the statement's text alone decides.</summary>
public sealed class PolicyEvaluatorTests
{
    /// <summary>A Wednesday noon: outside the default freeze window (Fri 16:00 – Mon 08:00).</summary>
    private static readonly PolicyContext Midweek = new() { Now = new DateTimeOffset(2025, 1, 15, 12, 0, 0, TimeSpan.Zero) };

    public static TheoryData<string> AllRowsScripts => new()
    {
        "UPDATE orders SET is_deleted = true",
        "DELETE FROM orders",
        "UPDATE orders SET is_deleted = true WHERE 1=1",
        "DELETE FROM orders WHERE true",
    };

    [Theory]
    [MemberData(nameof(AllRowsScripts))]
    public void Evaluate_all_rows_on_production_denies(string script)
    {
        var decision = Evaluate(TierPolicy.Production, script);

        Assert.Equal(Verdict.Deny, decision.Verdict);
        var reason = Assert.Single(decision.DecidingReasons);
        Assert.Equal("all_rows", reason.Rule);
        Assert.Contains("of orders has ", reason.Message, StringComparison.Ordinal);
        Assert.Contains("it changes every row (if every row is meant, --allow-all-rows asks for approval instead)", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_update_without_where_names_the_missing_where()
    {
        var decision = Evaluate(TierPolicy.Production, "UPDATE orders SET is_deleted = true");

        Assert.Equal(
            "UPDATE of orders has no WHERE: it changes every row (if every row is meant, --allow-all-rows asks for approval instead)",
            Assert.Single(decision.DecidingReasons).Message);
    }

    [Fact]
    public void Evaluate_delete_with_trivially_true_where_names_the_where()
    {
        var decision = Evaluate(TierPolicy.Production, "DELETE FROM public.orders WHERE 1=1");

        Assert.Equal(
            "DELETE of public.orders has a WHERE that is always true: it changes every row (if every row is meant, --allow-all-rows asks for approval instead)",
            Assert.Single(decision.DecidingReasons).Message);
    }

    [Theory]
    [MemberData(nameof(AllRowsScripts))]
    public void Evaluate_all_rows_on_production_with_allow_all_rows_needs_approval(string script)
    {
        var decision = Evaluate(TierPolicy.Production, script, Midweek with { AllowAllRows = true });

        Assert.Equal(Verdict.Approve, decision.Verdict);
        var reason = Assert.Single(decision.DecidingReasons);
        Assert.Equal("all_rows", reason.Rule);
        Assert.DoesNotContain("--allow-all-rows", reason.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllRowsScripts))]
    public void Evaluate_all_rows_on_staging_asks_to_confirm(string script)
    {
        var decision = Evaluate(TierPolicy.Staging, script);

        Assert.Equal(Verdict.Confirm, decision.Verdict);
        Assert.Equal("all_rows", Assert.Single(decision.DecidingReasons).Rule);
    }

    [Theory]
    [MemberData(nameof(AllRowsScripts))]
    public void Evaluate_all_rows_on_development_allows(string script)
    {
        var decision = Evaluate(TierPolicy.Development, script);

        Assert.Equal(Verdict.Allow, decision.Verdict);
    }

    [Fact]
    public void Evaluate_update_with_a_real_where_on_production_only_asks_to_confirm()
    {
        var decision = Evaluate(TierPolicy.Production, "UPDATE orders SET is_deleted = true WHERE id = 1");

        Assert.Equal(Verdict.Confirm, decision.Verdict);
        Assert.Equal("a write", Assert.Single(decision.DecidingReasons).Message);
    }

    [Theory]
    [InlineData(Verdict.Deny)]
    [InlineData(Verdict.Confirm)]
    [InlineData(Verdict.Allow)]
    public void Evaluate_drop_database_follows_the_tier(Verdict expected)
    {
        var policy = expected switch
        {
            Verdict.Deny => TierPolicy.Production,
            Verdict.Confirm => TierPolicy.Staging,
            _ => TierPolicy.Development,
        };

        var proven = Midweek with { ProvenBackups = new Dictionary<string, DateTimeOffset> { ["shop"] = Midweek.Now.AddMinutes(-10) } };
        var decision = Evaluate(policy, "DROP DATABASE shop", proven);

        Assert.Equal(expected, decision.Verdict);
        if (expected > Verdict.Allow)
        {
            Assert.Equal("DROP DATABASE", Assert.Single(decision.DecidingReasons).Message);
        }
    }

    [Fact]
    public void Evaluate_drop_database_on_staging_without_a_proven_backup_is_denied_and_says_which_commands_make_one()
    {
        var decision = Evaluate(TierPolicy.Staging, "DROP DATABASE shop", Midweek with { EnvironmentName = "stage" });

        Assert.Equal(Verdict.Deny, decision.Verdict);
        var reason = Assert.Single(decision.DecidingReasons);
        Assert.Equal("drop_database_backup", reason.Rule);
        Assert.Contains("within the last 60 minutes; there is none", reason.Message, StringComparison.Ordinal);
        Assert.Contains("`backstop backup run -e stage --database shop`", reason.Message, StringComparison.Ordinal);
        Assert.Contains("`backstop backup verify --latest -e stage --database shop`", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_drop_database_with_a_proven_backup_older_than_the_limit_is_denied()
    {
        var old = Midweek with { ProvenBackups = new Dictionary<string, DateTimeOffset> { ["shop"] = Midweek.Now.AddMinutes(-61), ["other"] = Midweek.Now } };

        var decision = Evaluate(TierPolicy.Staging, "DROP DATABASE shop", old);

        Assert.Equal(Verdict.Deny, decision.Verdict);
        Assert.Contains("the newest was taken 61 minutes ago", Assert.Single(decision.DecidingReasons).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_drop_database_backup_requirement_can_be_switched_off()
    {
        var decision = Evaluate(TierPolicy.Staging with { DropDatabaseBackupWithin = null }, "DROP DATABASE shop");

        Assert.Equal(Verdict.Confirm, decision.Verdict);
    }


    [Theory]
    [InlineData("DROP TABLE orders", "DROP TABLE of orders")]
    [InlineData("DROP SCHEMA archive CASCADE", "DROP SCHEMA of archive")]
    [InlineData("TRUNCATE TABLE orders, order_lines", "TRUNCATE of orders, order_lines")]
    [InlineData("ALTER TABLE orders DROP COLUMN note", "ALTER TABLE … DROP COLUMN of orders")]
    public void Evaluate_destructive_ddl_on_production_needs_approval(string script, string message)
    {
        var decision = Evaluate(TierPolicy.Production, script);

        Assert.Equal(Verdict.Approve, decision.Verdict);
        var reason = Assert.Single(decision.DecidingReasons);
        Assert.Equal("destructive_ddl", reason.Rule);
        Assert.Equal(message, reason.Message);
    }

    [Theory]
    [InlineData("DROP TABLE orders")]
    [InlineData("DROP SCHEMA archive CASCADE")]
    [InlineData("TRUNCATE orders")]
    [InlineData("ALTER TABLE orders DROP COLUMN note")]
    public void Evaluate_destructive_ddl_on_staging_asks_to_confirm_and_on_development_allows(string script)
    {
        var staging = Evaluate(TierPolicy.Staging, script);
        var development = Evaluate(TierPolicy.Development, script);

        Assert.Equal(Verdict.Confirm, staging.Verdict);
        Assert.Equal("destructive_ddl", Assert.Single(staging.DecidingReasons).Rule);
        Assert.Equal(Verdict.Allow, development.Verdict);
    }

    [Fact]
    public void Evaluate_truncate_without_table_keyword_describes_the_statement_as_truncate()
    {
        var decision = Evaluate(TierPolicy.Production, "TRUNCATE orders, order_lines");

        Assert.Equal("TRUNCATE of orders, order_lines", Assert.Single(decision.DecidingReasons).Message);
    }

    [Fact]
    public void Evaluate_alter_table_add_column_is_not_destructive()
    {
        var decision = Evaluate(TierPolicy.Staging, "ALTER TABLE orders ADD COLUMN note text");

        Assert.Equal(Verdict.Allow, decision.Verdict);
    }

    [Fact]
    public void Evaluate_unclassified_statement_on_production_needs_approval()
    {
        var decision = Evaluate(TierPolicy.Production, "FROBNICATE the_table");

        Assert.Equal(Verdict.Approve, decision.Verdict);
        var reason = Assert.Single(decision.DecidingReasons);
        Assert.Equal("unclassified", reason.Rule);
        Assert.Equal("Backstop cannot classify 'FROBNICATE the_table', so it is treated as risky", reason.Message);
    }

    [Fact]
    public void Evaluate_unclassified_statement_on_staging_asks_to_confirm()
    {
        var decision = Evaluate(TierPolicy.Staging, "FROBNICATE the_table");

        Assert.Equal(Verdict.Confirm, decision.Verdict);
        Assert.Equal("unclassified", Assert.Single(decision.DecidingReasons).Rule);
    }

    [Theory]
    [InlineData("SELECT * FROM orders")]
    [InlineData("SHOW search_path")]
    [InlineData("EXPLAIN DELETE FROM orders")]
    public void Evaluate_read_is_allowed_on_every_tier(string script)
    {
        foreach (var policy in new[] { TierPolicy.Production, TierPolicy.Staging, TierPolicy.Development })
        {
            var decision = Evaluate(policy, script);

            Assert.Equal(Verdict.Allow, decision.Verdict);
            Assert.Equal("a read", Assert.Single(Assert.Single(decision.Statements).Reasons).Message);
            Assert.Empty(decision.ScriptReasons);
        }
    }

    [Fact]
    public void Evaluate_script_takes_the_strictest_statement_verdict()
    {
        const string script = """
            SELECT count(*) FROM orders;
            UPDATE orders SET is_deleted = true WHERE id = 7;
            DROP TABLE order_archive;
            INSERT INTO audit_log (what) VALUES ('cleanup');
            """;

        var decision = Evaluate(TierPolicy.Production, script);

        Assert.Equal(Verdict.Approve, decision.Verdict);
        Assert.Equal([Verdict.Allow, Verdict.Confirm, Verdict.Approve, Verdict.Confirm], decision.Statements.Select(s => s.Verdict));
        Assert.Equal(["DROP TABLE of order_archive"], decision.DecidingReasons.Select(r => r.Message));
    }

    [Fact]
    public void Evaluate_denied_statement_decides_over_an_approval()
    {
        var decision = Evaluate(TierPolicy.Production, "DROP TABLE orders; DELETE FROM customers");

        Assert.Equal(Verdict.Deny, decision.Verdict);
        Assert.Equal(["all_rows"], decision.DecidingReasons.Select(r => r.Rule));
    }

    [Fact]
    public void Evaluate_statement_with_several_reasons_drops_the_plain_write_reason()
    {
        var decision = Evaluate(TierPolicy.Production, "DELETE FROM orders");

        var statement = Assert.Single(decision.Statements);
        Assert.DoesNotContain(statement.Reasons, r => r.Rule == "write");
        Assert.Equal("all_rows", statement.Reasons[0].Rule);
    }

    private static PolicyDecision Evaluate(TierPolicy policy, string script, PolicyContext? context = null) =>
        PolicyEvaluator.Evaluate(policy, ScriptAnalyzer.Analyze(script), Array.Empty<StatementImpact>(), context ?? Midweek);
}

using Backstop.Core.Snapshots;
using Backstop.Recovery.Snapshots;

namespace Backstop.Recovery.Tests.Snapshots;

/// <summary>The subset's graph logic, without a database: which tables are subset, what is refused, and the SQL's shape.</summary>
public sealed class SubsetPlanTests
{
    private static readonly SourceCatalog Incident = new(
        [Table("organizations", "id"), Table("users", "id", "organization_id"), Table("leads", "id", "user_id"), Table("conversations", "id", "lead_id"), Table("orders", "id")],
        [
            new ForeignKey("users_organization_id_fkey", "public.users", ["organization_id"], "public.organizations", ["id"]),
            new ForeignKey("leads_user_id_fkey", "public.leads", ["user_id"], "public.users", ["id"]),
            new ForeignKey("conversations_lead_id_fkey", "public.conversations", ["lead_id"], "public.leads", ["id"]),
        ]);

    [Fact]
    public void Build_without_where_keeps_every_table_whole()
    {
        var plan = SubsetPlan.Build(Incident, Settings());

        Assert.All(plan.Tables, t => Assert.False(plan.IsSubsetted(t)));
        Assert.Equal(("", (string?)null), plan.RowsOf(Incident.Tables[1]));
    }

    [Fact]
    public void Build_with_where_on_users_subsets_their_descendants_and_keeps_their_parents_whole()
    {
        var plan = SubsetPlan.Build(Incident, Settings(Rule("users", where: "id % 10 = 0")));

        Assert.Equal(["public.users", "public.leads", "public.conversations"], plan.Tables.Where(plan.IsSubsetted).Select(t => t.QualifiedName));
        var (with, condition) = plan.RowsOf(Incident.Tables[3]);
        Assert.Contains("k_1 AS (SELECT c.\"id\", c.\"organization_id\" FROM ONLY \"public\".\"users\" c WHERE (id % 10 = 0))", with, StringComparison.Ordinal);
        Assert.Contains("EXISTS (SELECT FROM k_1 x WHERE c.\"user_id\" = x.\"id\")", with, StringComparison.Ordinal);
        Assert.Equal("(t.\"lead_id\" IS NULL OR EXISTS (SELECT FROM k_2 x WHERE t.\"lead_id\" = x.\"id\"))", condition);
    }

    [Fact]
    public void Build_with_where_on_a_child_pulls_up_the_parents_its_rows_reference()
    {
        var plan = SubsetPlan.Build(Incident, Settings(Rule("users", where: "id <= 50"), Rule("leads", where: "id < 70")));

        var (with, condition) = plan.RowsOf(Incident.Tables[1]);
        Assert.Equal("WITH u_2 AS (SELECT c.\"id\", c.\"user_id\" FROM ONLY \"public\".\"leads\" c WHERE (id < 70))\n", with);
        Assert.Equal("(id <= 50) OR EXISTS (SELECT FROM u_2 x WHERE x.\"user_id\" = t.\"id\")", condition);
        Assert.False(plan.IsSubsetted(Incident.Tables[0]));
    }

    [Fact]
    public void Build_refuses_a_kept_table_that_references_an_excluded_one_unless_the_reference_is_nulled()
    {
        var refused = Assert.Throws<SnapshotException>(() => SubsetPlan.Build(Incident, Settings(Rule("users", exclude: true))));
        Assert.True(refused.IsUsageError);
        Assert.Contains("public.leads (user_id) → public.users (foreign key leads_user_id_fkey)", refused.Message, StringComparison.Ordinal);

        var nulled = SubsetPlan.Build(Incident, Settings(Rule("users", exclude: true), Rule("leads", columns: [new ColumnRule("user_id", MaskKind.Null)])));
        Assert.DoesNotContain(nulled.Tables, t => t.Name == "users");
        Assert.All(nulled.Tables, t => Assert.False(nulled.IsSubsetted(t)));
    }

    [Fact]
    public void Build_refuses_a_subset_through_a_foreign_key_cycle()
    {
        var cyclic = Incident with
        {
            ForeignKeys = [.. Incident.ForeignKeys, new ForeignKey("users_first_lead_fkey", "public.users", ["first_lead_id"], "public.leads", ["id"])],
        };

        var refused = Assert.Throws<SnapshotException>(() => SubsetPlan.Build(cyclic, Settings(Rule("organizations", where: "id = 1"))));
        Assert.Contains("public.leads, public.users", refused.Message, StringComparison.Ordinal);
    }

    private static SourceTable Table(string name, params string[] columns) =>
        new("public", name, columns.Select(c => new SnapshotColumn(c, "integer", true, c == "id")).ToList());

    private static TableRule Rule(string table, string? where = null, bool exclude = false, IReadOnlyList<ColumnRule>? columns = null) =>
        new("public", table, exclude, where, columns ?? []);

    private static SnapshotSettings Settings(params TableRule[] tables) => new(tables, "env:KEY", "en");
}

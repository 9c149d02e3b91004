using Backstop.Core.Changes;
using Backstop.Core.Preview;

namespace Backstop.Core.Tests.Changes;

public sealed class ImpactComparisonTests
{
    [Fact]
    public void Differences_one_row_more_when_run_differs_because_a_confirmation_is_given_for_the_impact_shown()
    {
        var differences = ImpactComparison.Differences([Impact(0, Orders(updated: 900))], [Impact(0, Orders(updated: 901))]);

        Assert.Equal(["public.orders: updated 900 in the preview, 901 when run"], differences);
    }

    [Fact]
    public void Differences_10_percent_fewer_rows_when_run_is_the_same_impact()
    {
        var differences = ImpactComparison.Differences([Impact(0, Orders(deleted: 1000))], [Impact(0, Orders(deleted: 900))]);

        Assert.Empty(differences);
    }

    [Fact]
    public void Differences_11_percent_more_rows_when_run_differs()
    {
        var differences = ImpactComparison.Differences([Impact(0, Orders(updated: 900))], [Impact(0, Orders(updated: 1000))]);

        Assert.Equal(["public.orders: updated 900 in the preview, 1,000 when run"], differences);
    }

    [Fact]
    public void Differences_far_more_rows_when_run_names_table_count_and_both_numbers()
    {
        var differences = ImpactComparison.Differences([Impact(0, Orders(updated: 900))], [Impact(0, Orders(updated: 1200))]);

        Assert.Equal(["public.orders: updated 900 in the preview, 1,200 when run"], differences);
    }

    [Fact]
    public void Differences_table_only_in_the_run_differs()
    {
        var differences = ImpactComparison.Differences(
            [Impact(0, Orders(updated: 10))],
            [Impact(0, Orders(updated: 10), new TableImpact { Schema = "audit", Name = "log", Inserted = 10 })]);

        Assert.Equal(["audit.log: inserted 0 in the preview, 10 when run"], differences);
    }

    [Fact]
    public void Differences_table_only_in_the_preview_differs()
    {
        var differences = ImpactComparison.Differences(
            [Impact(0, Orders(deleted: 3), new TableImpact { Schema = "public", Name = "order_lines", Deleted = 12 })],
            [Impact(0, Orders(deleted: 3))]);

        Assert.Equal(["public.order_lines: deleted 12 in the preview, 0 when run"], differences);
    }

    [Fact]
    public void Differences_counts_are_totalled_per_table_across_statements()
    {
        var differences = ImpactComparison.Differences(
            [Impact(0, Orders(updated: 500)), Impact(1, Orders(updated: 400))],
            [Impact(0, Orders(updated: 900))]);

        Assert.Empty(differences);
    }

    [Fact]
    public void Differences_each_count_is_compared_on_its_own()
    {
        var differences = ImpactComparison.Differences(
            [Impact(0, Orders(inserted: 100, updated: 100, deleted: 100))],
            [Impact(0, Orders(inserted: 100, updated: 50, deleted: 200))]);

        Assert.Equal(
            ["public.orders: updated 100 in the preview, 50 when run", "public.orders: deleted 100 in the preview, 200 when run"],
            differences);
    }

    [Fact]
    public void Differences_are_ordered_by_table_name()
    {
        var differences = ImpactComparison.Differences(
            [Impact(0)],
            [Impact(0, new TableImpact { Schema = "public", Name = "users", Deleted = 1 }, new TableImpact { Schema = "audit", Name = "log", Inserted = 1 })]);

        Assert.Equal(["audit.log: inserted 0 in the preview, 1 when run", "public.users: deleted 0 in the preview, 1 when run"], differences);
    }

    [Fact]
    public void Differences_statement_the_preview_only_estimated_is_not_held_to_the_estimate()
    {
        var estimated = Impact(0, Orders(updated: 100)) with { Executed = false, Estimated = true };

        var differences = ImpactComparison.Differences([estimated, Impact(1, Orders(deleted: 5))], [Impact(0, Orders(updated: 250_000)), Impact(1, Orders(deleted: 5))]);

        Assert.Empty(differences);
    }

    [Fact]
    public void Differences_a_run_is_held_exactly_to_counts_its_caller_counted()
    {
        var counted = Impact(0, Orders(updated: 1000)) with { Counted = true };

        Assert.Equal(["public.orders: updated 1,000 in the preview, 999 when run"], ImpactComparison.Differences([counted], [Impact(0, Orders(updated: 999))]));
        Assert.Empty(ImpactComparison.Differences([counted], [Impact(0, Orders(updated: 1000))]));
    }

    [Fact]
    public void Differences_no_rows_anywhere_is_the_same_impact()
    {
        var differences = ImpactComparison.Differences([Impact(0, Orders())], [Impact(0, Orders())]);

        Assert.Empty(differences);
    }

    private static StatementImpact Impact(int index, params TableImpact[] tables) =>
        new() { Index = index, CommandTag = "UPDATE", Executed = true, Tables = tables };

    private static TableImpact Orders(long inserted = 0, long updated = 0, long deleted = 0) =>
        new() { Schema = "public", Name = "orders", Inserted = inserted, Updated = updated, Deleted = deleted };
}

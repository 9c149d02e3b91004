using Backstop.Core.Preview;
using Backstop.Sql.Classification;
using Backstop.Recovery.Repair;

namespace Backstop.Recovery.Tests;

/// <summary>Which keys a repair reads for the buckets that differ, and how it holds its statements to the plan.</summary>
public sealed class RepairRangeTests
{
    [Fact]
    public void Adjacent_buckets_merge_into_one_range_and_the_others_stay_apart()
    {
        var ranges = Bucketing.KeyRanges(low: 1, step: 10, buckets: [3, 0, 1, 7, 1]);

        Assert.Equal([(1L, 20L), (31L, 40L), (71L, 80L)], ranges);
    }

    [Fact]
    public void Negative_keys_and_single_key_buckets_cover_exactly_their_keys()
    {
        Assert.Equal([(-100L, -91L)], Bucketing.KeyRanges(low: -100, step: 5, buckets: [0, 1]));
        Assert.Equal([(7L, 7L), (9L, 10L)], Bucketing.KeyRanges(low: 7, step: 1, buckets: [0, 2, 3]));
    }

    [Fact]
    public void The_last_bucket_ends_at_the_largest_bigint_rather_than_wrapping_round()
    {
        // Keys from MaxValue − 1000: a bucket of 16 keys at the top would end past MaxValue.
        var low = long.MaxValue - 1000;
        var ranges = Bucketing.KeyRanges(low, step: 16, buckets: [62, 61]);

        Assert.Equal([(low + (61 * 16), long.MaxValue)], ranges);
    }

    [Fact]
    public void Ranges_are_used_only_for_a_few_buckets_of_an_indexed_key()
    {
        var bucketing = Bucketing.ByRange(RepairTableOf("id"), low: 1, step: 100);

        Assert.Contains("BETWEEN", bucketing.Select([1, 2], all: 64, keyIndexed: true).Join, StringComparison.Ordinal);
        Assert.Equal("", bucketing.Select([1, 2], all: 64, keyIndexed: false).Join);
        Assert.Contains("= ANY", bucketing.Select(Enumerable.Range(0, 40).ToList(), all: 64, keyIndexed: true).Filter, StringComparison.Ordinal);
        Assert.Equal(("", "true"), bucketing.Select(Enumerable.Range(0, 64).ToList(), all: 64, keyIndexed: true));
    }

    [Fact]
    public void A_statement_that_changed_fewer_rows_than_planned_is_a_mismatch_that_says_how_many()
    {
        var batch = new RepairBatch(RepairTableOf("id"), "UPDATE …; DELETE …;", [new RepairStep(100, "rows to set back", StatementKind.Update), new RepairStep(3, "rows to delete", StatementKind.Delete)]);

        Assert.Null(RepairScript.Mismatch(batch, [Impact(0, 100), Impact(1, 3)]));
        Assert.StartsWith("the target changed since it was compared: 99 of 100 rows to set back", RepairScript.Mismatch(batch, [Impact(0, 99), Impact(1, 3)]), StringComparison.Ordinal);
        Assert.NotNull(RepairScript.Mismatch(batch, [Impact(0, 100)]));

        // An estimate (a preview cut short by its bounds) is no count to hold a statement to; the run is checked instead.
        Assert.Null(RepairScript.Mismatch(batch, [Impact(0, 100) with { Estimated = true, RowCount = 5 }, Impact(1, 3)]));
    }

    private static StatementImpact Impact(int index, long rows) =>
        new() { Index = index, CommandTag = $"UPDATE {rows}", RowCount = rows, Executed = true };

    private static RepairTable RepairTableOf(string key) => new()
    {
        Schema = "public",
        Name = "orders",
        Key = [new RepairColumn(key, "bigint", BinaryHash: true)],
        Columns = [],
        Insertable = [],
        HasIdentityAlways = false,
    };
}

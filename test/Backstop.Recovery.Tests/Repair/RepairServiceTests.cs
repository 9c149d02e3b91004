using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Policies;
using Backstop.Recovery.Repair;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Recovery.Tests.Repair;

/// <summary>
/// The repair service without the CLI, against real databases: a target where a mistake set <c>status</c> on three
/// orders, and a source (a clone, here another database) that still holds the right values.
/// </summary>
public sealed class RepairServiceTests : IAsyncLifetime
{
    private const string Orders = """
        CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL, note text);
        INSERT INTO orders SELECT g, 'open', 'n' || g FROM generate_series(1, 100) g;
        """;

    private string _target = "";
    private string _source = "";

    public async Task InitializeAsync()
    {
        _target = await PostgresSandbox.CreateDatabaseAsync("repair_target");
        _source = await PostgresSandbox.CreateDatabaseAsync("repair_source");
        await PostgresSandbox.ExecuteAsync(_target, Orders + "UPDATE orders SET status = 'deleted' WHERE id IN (3, 30, 77);");
        await PostgresSandbox.ExecuteAsync(_source, Orders);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task CompareAsync_rows_the_mistake_changed_are_planned_to_be_set_back_and_nothing_else()
    {
        await using var comparison = await Service().CompareAsync(Request() with { Columns = ["status"] }, new Progress<string>(), CancellationToken.None);

        var plan = comparison.Plans[0];
        Assert.Equal(["3", "30", "77"], plan.Updates.Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.Empty(plan.Inserts);
        Assert.Empty(plan.Deletes);
        Assert.False(plan.ThreeWay);
        Assert.Equal((100L, 100L), (plan.SourceRows, plan.TargetRows));
        Assert.Equal(Url(_source), comparison.Source);
        Assert.Null(comparison.After);
    }

    [Fact]
    public async Task PrepareAsync_batch_rows_splits_the_repair_into_changes_of_at_most_that_many_rows()
    {
        await using var comparison = await Service().CompareAsync(Request() with { BatchRows = 2 }, new Progress<string>(), CancellationToken.None);

        var prepared = await comparison.PrepareAsync(CancellationToken.None);

        Assert.Equal([2L, 1L], prepared.Batches.Select(b => b.Steps.Sum(s => s.Rows)));
        Assert.All(prepared.Batches, b => Assert.StartsWith("UPDATE", b.Script.TrimStart(), StringComparison.Ordinal));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_target, "SELECT count(*) FROM orders WHERE status = 'open' AND id IN (3, 30, 77)"));
    }

    [Fact]
    public async Task CompareAsync_where_naming_an_unknown_column_is_a_usage_error_naming_the_side()
    {
        var request = Request() with { Options = new RepairOptions { Where = "stauts = 'deleted'" } };

        var error = await Assert.ThrowsAsync<RepairUsageException>(() => Service().CompareAsync(request, new Progress<string>(), CancellationToken.None));

        Assert.StartsWith("--where does not work on public.orders in the target: column \"stauts\" does not exist", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("; nothing was changed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompareAsync_unknown_table_is_a_usage_error_that_says_nothing_was_changed()
    {
        var error = await Assert.ThrowsAsync<RepairUsageException>(() => Service().CompareAsync(Request() with { Table = "ordres" }, new Progress<string>(), CancellationToken.None));

        Assert.StartsWith("there is no table 'ordres' in database", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("; give it as name or schema.name; nothing was changed", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "id < 50", 0, false, "--delete-extra cannot be used with --where")]
    [InlineData(false, null, -1, false, "--batch-rows -1 is not a number of rows")]
    [InlineData(false, null, 0, true, "--overwrite-conflicts needs a three-way repair (--after or --incident-at)")]
    public async Task CompareAsync_options_that_contradict_each_other_are_refused_before_anything_is_opened(bool deleteExtra, string? where, int batchRows, bool overwrite, string message)
    {
        // The target's port is closed: reaching it would be a connection failure, not this usage error.
        var request = Request("postgresql://nobody@127.0.0.1:1/none") with
        {
            Options = new RepairOptions { DeleteExtra = deleteExtra, Where = where, OverwriteConflicts = overwrite },
            BatchRows = batchRows,
        };

        var error = await Assert.ThrowsAsync<RepairUsageException>(() => Service().CompareAsync(request, new Progress<string>(), CancellationToken.None));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompareAsync_source_from_an_unset_variable_says_which_to_export()
    {
        var error = await Assert.ThrowsAsync<RepairUsageException>(
            () => Service().CompareAsync(Request() with { From = "env:REPAIR_SOURCE_URL" }, new Progress<string>(), CancellationToken.None));

        Assert.Equal("the source reads its URL from the variable REPAIR_SOURCE_URL, which is not set; export REPAIR_SOURCE_URL=postgresql://…", error.Message);
    }

    private static RepairService Service() => new(new EnvironmentConnector(_ => null), _ => null, TimeProvider.System);

    private RepairRequest Request(string? targetUrl = null)
    {
        var environment = new EnvironmentConfig { Name = "dev", Url = targetUrl ?? Url(_target), Tier = Tier.Development };
        var config = new BackstopConfig
        {
            Path = Path.Combine(Path.GetTempPath(), "backstop-repair-tests", "backstop.yaml"),
            Environments = [environment],
            Policies = new Dictionary<Tier, TierPolicy>(),
        };
        return new RepairRequest { Config = config, Environment = environment, Table = "orders", From = Url(_source) };
    }

    /// <summary>The sandbox's databases as postgresql:// URLs, the way a user gives a clone.</summary>
    private static string Url(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{Uri.EscapeDataString(builder.Username!)}@{builder.Host}:{builder.Port}/{builder.Database}";
    }
}

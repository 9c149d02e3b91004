using System.Diagnostics;
using Backstop.Postgres.Sandbox;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Capture;

/// <summary>
/// A vacuum that autovacuum runs on a table to capture gives way to the change (it would to any other session that
/// waits for its lock): the change does not time out behind it. Found in CI, where a repair of a million rows waited
/// 2 s behind the autovacuum of the table it had just updated, and gave up.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class AutovacuumLockTests : IAsyncLifetime
{
    private SandboxCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await SandboxCluster.StartAsync(new SandboxOptions
        {
            Name = $"test-autovacuum-{Environment.ProcessId}",
            Settings = new Dictionary<string, string> { ["autovacuum_naptime"] = "1s", ["deadlock_timeout"] = "200ms" },
        });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task BeginAsync_on_a_table_autovacuum_is_slowly_vacuuming_takes_its_locks_within_lock_timeout()
    {
        var database = _cluster.ConnectionString();
        // A vacuum slowed down to a crawl (cost limit 1, 100 ms of sleep each time it is reached), started at once.
        await PostgresSandbox.ExecuteAsync(database, """
            CREATE TABLE big (id int PRIMARY KEY, v text) WITH (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0,
                autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1, autovacuum_analyze_threshold = 2000000000);
            INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 100000) g;
            DELETE FROM big WHERE id % 2 = 0;
            """);
        var watch = Stopwatch.StartNew();
        while (await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND query LIKE '%big%'") == 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "autovacuum never started on the table");
            await Task.Delay(100);
        }

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await Core.Capture.CaptureSchema.EnsureAsync(connection, null, CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var timeout = new NpgsqlCommand("SET LOCAL lock_timeout = '5s'", connection))
        {
            await timeout.ExecuteNonQueryAsync();
        }

        watch.Restart();
        var (changeId, _, capture) = await CapturedChanges.BeginAsync(connection, "big");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        await using (var update = new NpgsqlCommand("UPDATE big SET v = 'y' WHERE id = 1", connection))
        {
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        var captured = await capture.EndAsync(changeId, CancellationToken.None);
        await transaction.CommitAsync();
        Assert.Equal(1, captured.Single().Updated);
    }
}

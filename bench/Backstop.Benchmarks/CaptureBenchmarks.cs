using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Backstop.Core.Capture;
using Backstop.Core.Undo;
using Backstop.Postgres.Sandbox;
using Npgsql;

namespace Backstop.Benchmarks;

/// <summary>
/// What before-images cost: the same 1M-row UPDATE unguarded and with capture (triggers, image table, count
/// check), and what undoing it costs (the undo itself captured, as every change is). Each runs in a transaction
/// that is rolled back, so every iteration starts from the same table; vacuum and a checkpoint come before each.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 8)]
public class CaptureBenchmarks
{
    private SandboxCluster _cluster = null!;
    private NpgsqlConnection _connection = null!;
    private Guid _committedChange;

    [GlobalSetup]
    public void Setup()
    {
        (_cluster, _connection) = BenchOrders.Start("bench-capture");

        // One committed, captured change for the undo benchmark to take back.
        _committedChange = Guid.CreateVersion7();
        using (var transaction = _connection.BeginTransaction())
        {
            CapturedUpdate(_committedChange);
            transaction.Commit();
        }

        Execute("VACUUM ANALYZE");
    }

    [IterationSetup]
    public void Settle() => BenchOrders.Settle(_connection);

    [Benchmark(Baseline = true, Description = "UPDATE of 1M rows, unguarded")]
    public void Plain()
    {
        using var transaction = _connection.BeginTransaction();
        Execute(BenchOrders.Update);
        transaction.Rollback();
    }

    [Benchmark(Description = "the same UPDATE with capture")]
    public void Captured()
    {
        using var transaction = _connection.BeginTransaction();
        CapturedUpdate(Guid.CreateVersion7());
        transaction.Rollback();
    }

    /// <summary>
    /// The whole undo: planning (first and last images, counts) and the undo statements, captured. Conflicts are looked
    /// for only when the preview of a statement falls short of its planned rows (none here), so there is no query for them.
    /// </summary>
    [Benchmark(Description = "undo of that UPDATE (plan and run, itself captured)")]
    public void Undo()
    {
        var script = UndoPlanner.PlanAsync(_connection, _committedChange, 1, CancellationToken.None).GetAwaiter().GetResult().Script;
        using var transaction = _connection.BeginTransaction();
        var change = Guid.CreateVersion7();
        var capture = ChangeCapture.BeginAsync(_connection, Request(change), [("public", "bench_orders")], CancellationToken.None).GetAwaiter().GetResult();
        foreach (var statement in script.Split(";\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Execute(statement);
        }

        capture.EndAsync(change, CancellationToken.None).GetAwaiter().GetResult();
        transaction.Rollback();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connection.Dispose();
        _cluster.StopAsync().GetAwaiter().GetResult();
    }

    private static CaptureRequest Request(Guid change) => new(change, 1, "bench", "bench", "0", null);

    private void CapturedUpdate(Guid change)
    {
        var capture = ChangeCapture.BeginAsync(_connection, Request(change), [("public", "bench_orders")], CancellationToken.None).GetAwaiter().GetResult();
        Execute(BenchOrders.Update);
        capture.EndAsync(change, CancellationToken.None).GetAwaiter().GetResult();
    }

    private void Execute(string sql) => BenchOrders.Execute(_connection, sql);
}

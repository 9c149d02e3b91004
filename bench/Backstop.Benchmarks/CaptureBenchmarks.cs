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
    private const string Update = "UPDATE bench_orders SET is_deleted = NOT is_deleted";

    private SandboxCluster _cluster = null!;
    private NpgsqlConnection _connection = null!;
    private Guid _committedChange;
    private string _undoScript = "";

    [GlobalSetup]
    public void Setup()
    {
        var settings = new Dictionary<string, string> { ["max_wal_size"] = "16GB", ["checkpoint_timeout"] = "1h", ["autovacuum"] = "off" };
        _cluster = SandboxCluster.StartAsync(new SandboxOptions { Name = "bench-capture-" + Environment.ProcessId, Settings = settings }).GetAwaiter().GetResult();
        try
        {
            _connection = new NpgsqlConnection(_cluster.ConnectionString());
            _connection.Open();
            Execute("""
                CREATE TABLE bench_orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric(10, 2) NOT NULL, is_deleted boolean NOT NULL DEFAULT false);
                INSERT INTO bench_orders SELECT g, 'customer ' || g, g % 500, false FROM generate_series(1, 1000000) g;
                """);

            // One committed, captured change for the undo benchmark to take back.
            _committedChange = Guid.CreateVersion7();
            using (var transaction = _connection.BeginTransaction())
            {
                CapturedUpdate(_committedChange);
                transaction.Commit();
            }

            _undoScript = UndoPlanner.PlanAsync(_connection, _committedChange, 1, CancellationToken.None).GetAwaiter().GetResult().Script;
            Execute("VACUUM ANALYZE");
        }
        catch
        {
            _cluster.StopAsync().GetAwaiter().GetResult();
            throw;
        }
    }

    [IterationSetup]
    public void Settle()
    {
        Execute("VACUUM bench_orders");
        Execute("CHECKPOINT");
    }

    [Benchmark(Baseline = true, Description = "UPDATE of 1M rows, unguarded")]
    public void Plain()
    {
        using var transaction = _connection.BeginTransaction();
        Execute(Update);
        transaction.Rollback();
    }

    [Benchmark(Description = "the same UPDATE with capture")]
    public void Captured()
    {
        using var transaction = _connection.BeginTransaction();
        CapturedUpdate(Guid.CreateVersion7());
        transaction.Rollback();
    }

    [Benchmark(Description = "undo of that UPDATE, itself captured")]
    public void Undo()
    {
        using var transaction = _connection.BeginTransaction();
        var change = Guid.CreateVersion7();
        var capture = ChangeCapture.BeginAsync(_connection, Request(change), [("public", "bench_orders")], CancellationToken.None).GetAwaiter().GetResult();
        foreach (var statement in _undoScript.Split(";\n", StringSplitOptions.RemoveEmptyEntries))
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
        Execute(Update);
        capture.EndAsync(change, CancellationToken.None).GetAwaiter().GetResult();
    }

    private void Execute(string sql)
    {
        using var command = new NpgsqlCommand(sql, _connection) { CommandTimeout = 0 };
        command.ExecuteNonQuery();
    }
}

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Backstop.Core.Changes;
using Backstop.Core.Preview;
using Backstop.Postgres.Sandbox;
using Npgsql;

namespace Backstop.Benchmarks;

/// <summary>
/// What a preview costs against plain execution of the same 1M-row UPDATE, side by side on the same sandbox.
/// Both run the UPDATE inside a transaction and roll it back (the preview always does; the baseline does so
/// to keep the table the same for every iteration), and the table is vacuumed before each iteration so
/// that neither pays for the other's dead rows.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class PreviewBenchmarks
{
    private const string Update = "UPDATE bench_orders SET is_deleted = NOT is_deleted";

    private SandboxCluster _cluster = null!;
    private NpgsqlConnection _connection = null!;
    private IReadOnlyList<AnalyzedStatement> _statements = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Checkpoints and autovacuum at random moments were most of the run-to-run noise: keep them out of the measurement.
        var settings = new Dictionary<string, string> { ["max_wal_size"] = "16GB", ["checkpoint_timeout"] = "1h", ["autovacuum"] = "off" };
        _cluster = SandboxCluster.StartAsync(new SandboxOptions { Name = "bench-preview-" + Environment.ProcessId, Settings = settings }).GetAwaiter().GetResult();
        try
        {
            _connection = new NpgsqlConnection(_cluster.ConnectionString());
            _connection.Open();
            Execute("""
                CREATE TABLE bench_orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric(10, 2) NOT NULL, is_deleted boolean NOT NULL DEFAULT false);
                INSERT INTO bench_orders SELECT g, 'customer ' || g, g % 500, false FROM generate_series(1, 1000000) g;
                """);
            Execute("VACUUM ANALYZE bench_orders");
        }
        catch
        {
            _cluster.StopAsync().GetAwaiter().GetResult();
            throw;
        }

        _statements = ScriptAnalyzer.Analyze(Update);
    }

    [IterationSetup]
    public void Vacuum()
    {
        Execute("VACUUM bench_orders");
        Execute("CHECKPOINT");
    }

    [Benchmark(Baseline = true, Description = "plain UPDATE of 1M rows (rolled back)")]
    public void PlainExecution()
    {
        using var transaction = _connection.BeginTransaction();
        using var command = new NpgsqlCommand(Update, _connection, transaction) { CommandTimeout = 0 };
        command.ExecuteNonQuery();
        transaction.Rollback();
    }

    [Benchmark(Description = "backstop preview of the same UPDATE")]
    public long Preview() =>
        ImpactPreviewer.PreviewAsync(_connection, _statements, new PreviewBounds(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5)), null, CancellationToken.None)
            .GetAwaiter().GetResult()[0].Changed;

    [GlobalCleanup]
    public void Cleanup()
    {
        _connection.Dispose();
        _cluster.StopAsync().GetAwaiter().GetResult();
    }

    private void Execute(string sql)
    {
        using var command = new NpgsqlCommand(sql, _connection) { CommandTimeout = 0 };
        command.ExecuteNonQuery();
    }
}

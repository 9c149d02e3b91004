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
    private SandboxCluster _cluster = null!;
    private NpgsqlConnection _connection = null!;
    private IReadOnlyList<AnalyzedStatement> _statements = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_cluster, _connection) = BenchOrders.Start("bench-preview");
        _statements = ScriptAnalyzer.Analyze(BenchOrders.Update);
    }

    [IterationSetup]
    public void Settle() => BenchOrders.Settle(_connection);

    [Benchmark(Baseline = true, Description = "plain UPDATE of 1M rows (rolled back)")]
    public void PlainExecution()
    {
        using var transaction = _connection.BeginTransaction();
        using var command = new NpgsqlCommand(BenchOrders.Update, _connection, transaction) { CommandTimeout = 0 };
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

}

using System.Diagnostics;
using System.Globalization;
using Backstop.Core.Capture;
using Backstop.Core.Changes;
using Backstop.Core.Preview;
using Npgsql;

namespace Backstop.Benchmarks;

/// <summary>
/// The preview and capture ratios measured in paired rounds: every round settles the table and runs the unguarded
/// UPDATE, the preview and the captured UPDATE one after the other (in an order that rotates from round to round), so
/// that what the machine does at a given moment weighs on all three alike. Per iteration it also reads what the
/// server had to write on the way (pg_stat_bgwriter's buffers written by the backend itself, pg_stat_wal's WAL
/// buffers full), which is where slow iterations were found to spend their time (docs/benchmarks.md).
/// </summary>
internal static class PairedRounds
{
    private sealed record Sample(string Method, int Round, double Seconds, long BackendWrites, long WalBuffersFull);

    public static void Run(int rounds, IReadOnlyDictionary<string, string> settings)
    {
        var (cluster, connection) = BenchOrders.Start("bench-paired", settings);
        try
        {
            var statements = ScriptAnalyzer.Analyze(BenchOrders.Update);
            var methods = new (string Name, Action Run)[]
            {
                ("unguarded", () => Plain(connection)),
                ("preview", () => ImpactPreviewer.PreviewAsync(connection, statements, new PreviewBounds(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5)), null, CancellationToken.None).GetAwaiter().GetResult()),
                ("capture", () => Captured(connection)),
            };
            foreach (var (_, run) in methods)
            {
                BenchOrders.Settle(connection);
                run(); // warm-up
            }

            var samples = new List<Sample>();
            for (var round = 0; round < rounds; round++)
            {
                for (var k = 0; k < methods.Length; k++)
                {
                    var (name, run) = methods[(round + k) % methods.Length];
                    BenchOrders.Settle(connection);
                    var (writes, full) = ServerWrites(connection);
                    var watch = Stopwatch.StartNew();
                    run();
                    watch.Stop();
                    var (writesAfter, fullAfter) = ServerWrites(connection);
                    samples.Add(new Sample(name, round, watch.Elapsed.TotalSeconds, writesAfter - writes, fullAfter - full));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"round {round + 1,2} {name,-9} {watch.Elapsed.TotalSeconds,6:0.000} s  backend buffer writes {writesAfter - writes,7}  WAL buffers full {fullAfter - full,7}"));
                }
            }

            Report(samples);
        }
        finally
        {
            connection.Dispose();
            cluster.StopAsync().GetAwaiter().GetResult();
        }
    }

    private static void Report(List<Sample> samples)
    {
        var baseline = Median(samples.Where(s => s.Method == "unguarded").Select(s => s.Seconds));
        Console.WriteLine();
        Console.WriteLine("| method | median | min | max | ratio of medians | median of per-round ratios |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var method in samples.Select(s => s.Method).Distinct())
        {
            var mine = samples.Where(s => s.Method == method).ToList();
            var perRound = mine.Select(s => s.Seconds / samples.Single(b => b.Method == "unguarded" && b.Round == s.Round).Seconds);
            var median = Median(mine.Select(s => s.Seconds));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {method} | {median:0.000} s | {mine.Min(s => s.Seconds):0.000} s | {mine.Max(s => s.Seconds):0.000} s | {median / baseline:0.00} | {Median(perRound):0.00} |"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static (long BackendWrites, long WalBuffersFull) ServerWrites(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand("SELECT buffers_backend, (SELECT wal_buffers_full FROM pg_stat_wal) FROM pg_stat_bgwriter", connection);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static void Plain(NpgsqlConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        BenchOrders.Execute(connection, BenchOrders.Update);
        transaction.Rollback();
    }

    private static void Captured(NpgsqlConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        var change = Guid.CreateVersion7();
        var capture = ChangeCapture.BeginAsync(connection, new CaptureRequest(change, 1, "bench", "bench", "0", null), [("public", "bench_orders")], CancellationToken.None).GetAwaiter().GetResult();
        BenchOrders.Execute(connection, BenchOrders.Update);
        capture.EndAsync(change, CancellationToken.None).GetAwaiter().GetResult();
        transaction.Rollback();
    }
}

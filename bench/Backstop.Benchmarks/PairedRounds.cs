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
    private sealed record Sample(string Method, int Round, double Seconds, long BackendWrites, long WalBuffersFull, double IoStall, double CpuStall);

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
                    var (io, cpu) = (Stall("io"), Stall("cpu"));
                    var watch = Stopwatch.StartNew();
                    run();
                    watch.Stop();
                    (io, cpu) = (Stall("io") - io, Stall("cpu") - cpu);
                    var (writesAfter, fullAfter) = ServerWrites(connection);
                    samples.Add(new Sample(name, round, watch.Elapsed.TotalSeconds, writesAfter - writes, fullAfter - full, io, cpu));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"round {round + 1,2} {name,-9} {watch.Elapsed.TotalSeconds,6:0.000} s  backend buffer writes {writesAfter - writes,7}  WAL buffers full {fullAfter - full,7}  stalled on I/O {io,5:0.00} s, on CPU {cpu,5:0.00} s"));
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
        Console.WriteLine("| method | median | min | max | ratio of medians | median of per-round ratios | median of calm iterations (count): ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|");

        // Calm: the machine stalled on I/O for less than a tenth of a second during the iteration.
        var calm = samples.Where(s => s.IoStall < 0.1).ToList();
        var calmBaseline = calm.Any(s => s.Method == "unguarded") ? Median(calm.Where(s => s.Method == "unguarded").Select(s => s.Seconds)) : double.NaN;
        foreach (var method in samples.Select(s => s.Method).Distinct())
        {
            var mine = samples.Where(s => s.Method == method).ToList();
            var perRound = mine.Select(s => s.Seconds / samples.Single(b => b.Method == "unguarded" && b.Round == s.Round).Seconds);
            var median = Median(mine.Select(s => s.Seconds));
            var calmMine = calm.Where(s => s.Method == method).Select(s => s.Seconds).ToList();
            var calmText = calmMine.Count == 0 ? "none" : string.Create(CultureInfo.InvariantCulture, $"{Median(calmMine):0.000} s ({calmMine.Count}): {Median(calmMine) / calmBaseline:0.00}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {method} | {median:0.000} s | {mine.Min(s => s.Seconds):0.000} s | {mine.Max(s => s.Seconds):0.000} s | {median / baseline:0.00} | {Median(perRound):0.00} | {calmText} |"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>
    /// Seconds during which some task of this machine waited for I/O or for a CPU, from the kernel's pressure stall
    /// information (/proc/pressure/io and /proc/pressure/cpu, the "some … total=" microseconds); 0 where it cannot be read.
    /// </summary>
    private static double Stall(string resource)
    {
        try
        {
            var some = File.ReadLines($"/proc/pressure/{resource}").First();
            return long.Parse(some[(some.LastIndexOf("total=", StringComparison.Ordinal) + 6)..], CultureInfo.InvariantCulture) / 1e6;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
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

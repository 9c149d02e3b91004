using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Backstop.Benchmarks;

/// <summary>
/// What Backstop's proxy adds to a person's single-row UPDATE (issue 16): the same parameterised
/// <c>UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = $1</c> (a random aid each time), autocommit, run
/// alternately on a connection straight to PostgreSQL and on a connection through the proxy as a person, where each
/// one is guarded (measured, run again with capture, kept and recorded as a change). Started by bench/proxy/run.sh,
/// which sets up the cluster, the server and the person; the two connection strings come from the environment
/// (BACKSTOP_BENCH_DIRECT, BACKSTOP_BENCH_PROXY) so that no password shows on a command line.
/// </summary>
internal static class ProxyUpdateRounds
{
    private const string Update = "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = $1";

    public static void Run(int count, int warmUp) => RunAsync(count, warmUp).GetAwaiter().GetResult();

    private static async Task RunAsync(int count, int warmUp)
    {
        var directText = Environment.GetEnvironmentVariable("BACKSTOP_BENCH_DIRECT") ?? throw new InvalidOperationException("set BACKSTOP_BENCH_DIRECT to the database's connection string");
        var proxyText = Environment.GetEnvironmentVariable("BACKSTOP_BENCH_PROXY") ?? throw new InvalidOperationException("set BACKSTOP_BENCH_PROXY to the proxy's connection string (a person's)");
        await using var direct = new NpgsqlConnection(directText);
        await using var proxy = new NpgsqlConnection(proxyText);
        await direct.OpenAsync();
        await proxy.OpenAsync();
        var kept = 0;
        proxy.Notice += (_, e) =>
        {
            if (e.Notice.MessageText.StartsWith("Backstop kept this as change", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref kept);
            }
        };

        int accounts;
        await using (var max = new NpgsqlCommand("SELECT max(aid) FROM pgbench_accounts", direct))
        {
            accounts = Convert.ToInt32(await max.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }

        var random = new Random(16);
        var directTimes = new List<double>(count);
        var proxyTimes = new List<double>(count);
        for (var i = 0; i < warmUp + count; i++)
        {
            // Alternating which goes first, so that whatever drifts on this shared machine weighs on both alike.
            foreach (var throughProxy in i % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var elapsed = await TimeUpdateAsync(throughProxy ? proxy : direct, random.Next(1, accounts + 1));
                if (i >= warmUp)
                {
                    (throughProxy ? proxyTimes : directTimes).Add(elapsed);
                }
            }
        }

        if (kept != warmUp + count)
        {
            throw new InvalidOperationException($"the proxy kept {kept} of the {warmUp + count} UPDATEs as changes; every one should have been guarded and kept");
        }

        var differences = directTimes.Zip(proxyTimes, (d, p) => p - d).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"single-row UPDATE, {count} each (after {warmUp} each to warm up), alternating; every one through the proxy kept as a change ({kept})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"direct:              median {Median(directTimes):0.000} ms  p90 {Percentile(directTimes, 0.9):0.000} ms  min {directTimes.Min():0.000} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"through the proxy:   median {Median(proxyTimes):0.000} ms  p90 {Percentile(proxyTimes, 0.9):0.000} ms  min {proxyTimes.Min():0.000} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"added by the proxy:  {Median(proxyTimes) - Median(directTimes):0.000} ms (difference of the medians); p90 {Percentile(proxyTimes, 0.9) - Percentile(directTimes, 0.9):0.000} ms; median of the pairwise differences {Median(differences):0.000} ms"));
        if (count >= 200)
        {
            // Every kept change leaves an image table behind, and the guard reads the list of tables around each
            // statement: whether that shows as a drift from the first tenth of the run to the last.
            var tenth = count / 10;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"through the proxy, first {tenth}: median {Median(proxyTimes[..tenth]):0.000} ms; last {tenth}: median {Median(proxyTimes[^tenth..]):0.000} ms (direct: {Median(directTimes[..tenth]):0.000} and {Median(directTimes[^tenth..]):0.000} ms)"));
        }
    }

    private static async Task<double> TimeUpdateAsync(NpgsqlConnection connection, int aid)
    {
        await using var command = new NpgsqlCommand(Update, connection) { Parameters = { new NpgsqlParameter<int> { TypedValue = aid } } };
        var start = Stopwatch.GetTimestamp();
        var rows = await command.ExecuteNonQueryAsync();
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (rows != 1)
        {
            throw new InvalidOperationException($"the UPDATE of aid {aid} changed {rows} rows, not 1");
        }

        return elapsed;
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * fraction))];
    }
}

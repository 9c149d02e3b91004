using System.Diagnostics;
using System.Globalization;
using Backstop.Core.Guard;
using Backstop.Core.Policies;
using Npgsql;

namespace Backstop.Benchmarks;

/// <summary>
/// The statement guard alone, without the proxy: the single-row UPDATE of <see cref="ProxyUpdateRounds"/> guarded on a
/// connection straight to PostgreSQL (in autocommit: the guard opens and ends the transaction), against the same UPDATE in autocommit. What the guard's
/// own round trips and server work cost, apart from the proxy's relay and bridge.
/// </summary>
internal static class GuardDirectRounds
{
    public static void Run(int count) => RunAsync(count).GetAwaiter().GetResult();

    private static async Task RunAsync(int count)
    {
        var text = Environment.GetEnvironmentVariable("BACKSTOP_BENCH_DIRECT") ?? throw new InvalidOperationException("set BACKSTOP_BENCH_DIRECT");
        await using var connection = new NpgsqlConnection(text);
        await connection.OpenAsync();
        await StatementGuard.PrepareDatabaseAsync(connection, null, CancellationToken.None);
        var guard = new StatementGuard(TierPolicy.DefaultFor(Backstop.Core.Configuration.Tier.Development), TimeProvider.System);
        var context = new GuardContext { EnvironmentName = "dev", Actor = "bench", TimeZone = TimeZoneInfo.Utc, Autocommit = true };
        var random = new Random(16);
        var plain = new List<double>();
        var guarded = new List<double>();
        var oneRun = 0;
        for (var i = 0; i < count + 20; i++)
        {
            var aid = random.Next(1, 1_000_000);
            var clock = Stopwatch.GetTimestamp();
            await using (var update = new NpgsqlCommand($"UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = {aid}", connection))
            {
                await update.ExecuteNonQueryAsync();
            }

            var straight = Stopwatch.GetElapsedTime(clock).TotalMilliseconds;
            clock = Stopwatch.GetTimestamp();
            var outcome = await guard.GuardAsync(connection, $"UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = {aid}", context, CancellationToken.None);

            var through = Stopwatch.GetElapsedTime(clock).TotalMilliseconds;
            if (i >= 20)
            {
                plain.Add(straight);
                guarded.Add(through);
                oneRun += outcome.OneRun ? 1 : 0;
            }
        }

        plain.Sort();
        guarded.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"guard alone, {count} each: UPDATE median {plain[count / 2]:0.000} ms; guarded UPDATE (autocommit) median {guarded[count / 2]:0.000} ms; {oneRun} kept in one run"));
    }
}

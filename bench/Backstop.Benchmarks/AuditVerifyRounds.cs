using System.Diagnostics;
using System.Globalization;
using Backstop.Core.Audit;
using Backstop.Core.State;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;

namespace Backstop.Benchmarks;

/// <summary>
/// How long <c>backstop audit verify</c>'s work takes on a large log (issue 15, point 6; target: 100,000 entries in under
/// 2 s): a log of ENTRIES entries, a checkpoint after every tenth of them, in a SQLite state file and in a PostgreSQL
/// state database of a sandbox; then ROUNDS verifications of each, alternating, timed whole (read, parse, re-encode,
/// hash, chain, roots and signatures). The first round of each is a warm-up and is not counted.
/// </summary>
internal static class AuditVerifyRounds
{
    public static void Run(int entries, int rounds) => RunAsync(entries, rounds).GetAwaiter().GetResult();

    private static async Task RunAsync(int entries, int rounds)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"backstop-bench-audit-{Environment.ProcessId}");
        var cluster = await SandboxCluster.StartAsync(new SandboxOptions { Name = $"bench-audit-{Environment.ProcessId}" });
        try
        {
            using var key = AuditSigningKey.LoadOrCreate(Path.Combine(directory, "key.pem"));
            var logs = new List<(string Name, IAuditLog Log)>
            {
                ("sqlite", await FillAsync(StateLocation.File(Path.Combine(directory, StateLocation.FileName)), entries, key)),
                ("postgresql", await FillAsync(StateLocation.Postgres(PgUrl.Parse(UrlOf(cluster.ConnectionString()))), entries, key)),
            };

            var seconds = logs.ToDictionary(l => l.Name, _ => new List<double>());
            for (var round = 0; round <= rounds; round++)
            {
                foreach (var (name, log) in round % 2 == 0 ? logs : Enumerable.Reverse(logs))
                {
                    var watch = Stopwatch.StartNew();
                    var result = await AuditVerifier.VerifyAsync(log, key.PublicKeyPem, CancellationToken.None);
                    watch.Stop();
                    if (!result.Intact || result.Entries != entries)
                    {
                        throw new InvalidOperationException($"{name}: {result}");
                    }

                    if (round > 0)
                    {
                        seconds[name].Add(watch.Elapsed.TotalSeconds);
                    }
                }
            }

            foreach (var (name, times) in seconds)
            {
                times.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"verify {entries:N0} entries, 10 checkpoints, {name,-10}: median {times[times.Count / 2]:0.000} s (min {times[0]:0.000}, max {times[^1]:0.000}, {times.Count} rounds)"));
            }
        }
        finally
        {
            await cluster.StopAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<IAuditLog> FillAsync(StateLocation location, int entries, AuditSigningKey key)
    {
        var log = await AuditLogs.OpenAsync(location, null, CancellationToken.None);
        var batch = Math.Max(1, entries / 10);
        var watch = Stopwatch.StartNew();
        for (var first = 1; first <= entries; first += batch)
        {
            var records = Enumerable.Range(first, Math.Min(batch, entries - first + 1)).Select(i => new AuditRecord
            {
                Actor = i % 7 == 0 ? "bob" : "alice",
                From = "10.0.0.7",
                Action = "execute",
                Environment = "prod",
                Object = string.Create(CultureInfo.InvariantCulture, $"change {i}"),
                Outcome = "ok",
                Detail = new Dictionary<string, string> { ["script_sha256"] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ["rows"] = "1" },
            }).ToList();
            await log.AppendAllAsync(records, CancellationToken.None);
            await log.CheckpointAsync(key, CancellationToken.None);
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"filled {log.Where} with {entries:N0} entries in {watch.Elapsed.TotalSeconds:0.0} s"));
        return log;
    }

    private static string UrlOf(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
    }
}

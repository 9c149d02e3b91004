using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Backstop.Proxy.Tests.Support;
using Backstop.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Backstop.Proxy.Tests.Listener;

/// <summary>
/// Issue 16: "10,000 malformed connections in a row: each rejected without allocating what it declared, the proxy keeps
/// serving well-formed clients throughout, and its memory stays bounded". The figures go to docs/benchmarks.md.
/// </summary>
[Collection(ListenerRunsAlone.Name)]
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class MalformedConnectionsTests(ListenerDatabase database, ITestOutputHelper output) : IClassFixture<ListenerDatabase>
{
    private const int Total = 10_000;
    private const int Concurrency = 16;
    private const int WellFormedEvery = 500;

    /// <summary>One connection in this many is a kind that must sign in first (SCRAM and an upstream connection each).</summary>
    private const int SignedInEvery = 100;

    private const long MiB = 1024 * 1024;

    private static readonly byte[] SslRequest = Wire.Concat(Wire.Int32(8), Wire.Int32(80_877_103));

    /// <summary>The kinds of malformed input that need no sign-in: the bulk of the run, in rotation.</summary>
    private static readonly Kind[] BeforeSignIn =
    [
        Refused("startup length 0", c => c.SendAsync(Wire.Int32(0)), "08P01", "invalid length of startup packet: 0 bytes declared"),
        Refused("startup length 0x80000000", c => c.SendAsync(Wire.Int32(int.MinValue)), "08P01", "invalid length of startup packet: -2147483648 bytes declared"),
        Refused("startup length -1", c => c.SendAsync(Wire.Int32(-1)), "08P01", "invalid length of startup packet: -1 bytes declared"),
        Refused("startup length 2^31-1", c => c.SendAsync(Wire.Int32(int.MaxValue)), "08P01", "invalid length of startup packet: 2147483647 bytes declared"),
        Refused("startup length 10,005", c => c.SendAsync(Wire.Int32(10_005)), "08P01", "invalid length of startup packet: 10005 bytes declared"),
        Refused("unknown protocol code", c => c.SendAsync(Wire.Int32(16), Wire.Int32(0x12345678), "garbage!"u8.ToArray()), "0A000", "unsupported frontend protocol 4660.22136"),
        Refused("startup without terminator", c => c.SendAsync(Wire.Int32(16), Wire.Int32(196_608), "user\0ali"u8.ToArray()), "08P01", "invalid startup packet"),
        Refused("bytes behind an SSLRequest", c => c.SendAsync(SslRequest, RawClient.Startup("alice")), "08P01", "received unencrypted data after SSL request"),
        Refused("SCRAM nonce of 10,000 characters", async c =>
        {
            await c.BeginScramAsync("alice");
            await c.SendAsync(RawClient.SaslInitial("n,,n=,r=" + new string('A', 10_000)));
        }, "08P01", "malformed SCRAM message: client-first-message has 10008 bytes"),
        Refused("SCRAM client-final without its proof", async c =>
        {
            await c.BeginScramAsync("alice");
            var serverFirst = await c.SendClientFirstAsync("n,,n=,r=fyko+d2lbbFgONRv9qkxdawL");
            var nonce = serverFirst.Split(',')[0];
            await c.SendAsync(RawClient.SaslResponse($"c=biws,{nonce}"));
        }, "08P01", "malformed SCRAM message: client-final-message carries no proof"),
        Refused("a Query during authentication", async c =>
        {
            await c.BeginScramAsync("mallory");
            await c.SendAsync(Wire.Message('Q', Wire.CString("SELECT 1")));
        }, "08P01", "expected a password or SASL response message"),
    ];

    /// <summary>Kinds that need a signed-in session: one connection in <see cref="SignedInEvery"/>.</summary>
    private static readonly Kind[] AfterSignIn =
    [
        Refused("unknown message type after sign-in", async c =>
        {
            await c.SignInAsync();
            await c.SendAsync([0x01]);
        }, "08P01", "invalid frontend message type 1"),
        Refused("Query of 256 MiB + 1 after sign-in", async c =>
        {
            await c.SignInAsync();
            await c.SendAsync([(byte)'Q'], Wire.Int32(256 * 1024 * 1024 + 1));
        }, "08P01", "invalid message length 268435457 for message type 'Q'"),
        Refused("Query of 2^31-1 after sign-in", async c =>
        {
            await c.SignInAsync();
            await c.SendAsync([(byte)'Q'], Wire.Int32(int.MaxValue));
        }, "08P01", "invalid message length 2147483647 for message type 'Q'"),
    ];

    [Fact]
    public async Task Ten_thousand_malformed_connections_are_each_refused_while_well_formed_clients_are_served_and_memory_stays_bounded()
    {
        await using var proxy = database.Start(tls: true);

        // Warm-up: every kind, and a well-formed client, so that what is measured is the run, not the first JIT and pools.
        for (var i = 0; i < 3; i++)
        {
            foreach (var kind in BeforeSignIn.Concat(AfterSignIn))
            {
                await kind.RunAsync(proxy);
            }
        }

        await WellFormedAsync(proxy);
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(10)));
        var before = Measure();

        var perKind = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var wellFormed = new ConcurrentBag<TimeSpan>();
        var failures = new ConcurrentQueue<string>();
        var peak = new Peak();
        using var sampling = new Timer(_ => peak.Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        var clock = Stopwatch.StartNew();

        await Parallel.ForEachAsync(Enumerable.Range(0, Total), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, _) =>
        {
            var kind = i % SignedInEvery == SignedInEvery - 1
                ? AfterSignIn[i / SignedInEvery % AfterSignIn.Length]
                : BeforeSignIn[i % BeforeSignIn.Length];
            try
            {
                await kind.RunAsync(proxy);
                perKind.AddOrUpdate(kind.Name, 1, (_, n) => n + 1);
            }
            catch (Exception e)
            {
                failures.Enqueue($"connection {i} ({kind.Name}): {e.Message}");
            }

            if (i % WellFormedEvery == 0)
            {
                try
                {
                    wellFormed.Add(await WellFormedAsync(proxy));
                }
                catch (Exception e)
                {
                    failures.Enqueue($"well-formed client at connection {i}: {e.Message}");
                }
            }
        });

        var elapsed = clock.Elapsed;
        await sampling.DisposeAsync();
        var left = await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(10));
        var after = Measure();

        var rate = Total / elapsed.TotalSeconds;
        var allocatedPerConnection = (after.Allocated - before.Allocated) / Total;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Total:N0} malformed connections, {Concurrency} at a time, in {elapsed.TotalSeconds:0.0} s: {rate:N0} connections/s"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"well-formed clients (Npgsql SELECT 1, every {WellFormedEvery}): {wellFormed.Count}, slowest {wellFormed.DefaultIfEmpty().Max().TotalMilliseconds:0} ms, median {Median(wellFormed).TotalMilliseconds:0} ms"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"managed heap after a full collection: {before.Heap / (double)MiB:0.0} MiB before, {after.Heap / (double)MiB:0.0} MiB after ({(after.Heap - before.Heap) / (double)MiB:+0.0;-0.0} MiB); highest seen during the run {peak.Heap / (double)MiB:0.0} MiB"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"working set: {before.WorkingSet / (double)MiB:0} MiB before, {after.WorkingSet / (double)MiB:0} MiB after; highest seen during the run {peak.WorkingSet / (double)MiB:0} MiB"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allocated by the whole test process (clients included): {(after.Allocated - before.Allocated) / (double)MiB:N0} MiB, {allocatedPerConnection / 1024.0:0.0} KiB per connection"));
        output.WriteLine($"connections open at the end: {left}; lines in the proxy's log: {proxy.Log.Count}");
        foreach (var (name, count) in perKind.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {count,5} × {name}");
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} failures, the first: {string.Join("\n", failures.Take(5))}");
        Assert.Equal(Total, perKind.Values.Sum());
        Assert.Equal(Total / WellFormedEvery, wellFormed.Count);
        Assert.Equal(0, left);
        Assert.Empty(proxy.Log);

        // What the connections declared: up to 2 GiB each, about 2,000 GiB in all. What the process holds after them:
        // no more than it did before, give or take 50 MB; what it allocated per connection: nowhere near one declared body.
        Assert.True(after.Heap - before.Heap < 50 * 1000 * 1000, $"the managed heap grew by {(after.Heap - before.Heap) / MiB} MiB");
        Assert.True(peak.Heap - before.Heap < 200 * MiB, $"the managed heap reached {peak.Heap / MiB} MiB during the run ({before.Heap / MiB} MiB before)");
        Assert.True(peak.WorkingSet - before.WorkingSet < 300 * MiB, $"the working set reached {peak.WorkingSet / MiB} MiB during the run ({before.WorkingSet / MiB} MiB before)");
        Assert.True(allocatedPerConnection < MiB, $"{allocatedPerConnection / 1024} KiB allocated per connection");
    }

    /// <summary>A well-formed client signs in through the same listener and runs SELECT 1; returns how long that took.</summary>
    private static async Task<TimeSpan> WellFormedAsync(RunningProxy proxy)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(proxy.NpgsqlConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await command.ExecuteScalarAsync());
        return clock.Elapsed;
    }

    private static Snapshot Measure()
    {
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        GC.WaitForPendingFinalizers();
        heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return new Snapshot(heap, process.WorkingSet64, GC.GetTotalAllocatedBytes(precise: true));
    }

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? TimeSpan.Zero : sorted[sorted.Count / 2];
    }

    private static Kind Refused(string name, Func<RawClient, Task> send, string code, string messageStart) => new(name, send, code, messageStart);

    private sealed record Snapshot(long Heap, long WorkingSet, long Allocated);

    /// <summary>The highest managed heap and working set seen while the run goes on (sampled, without collecting).</summary>
    private sealed class Peak
    {
        private long _heap;
        private long _workingSet;

        public long Heap => Interlocked.Read(ref _heap);

        public long WorkingSet => Interlocked.Read(ref _workingSet);

        public void Sample()
        {
            var heap = GC.GetTotalMemory(forceFullCollection: false);
            using var process = Process.GetCurrentProcess();
            var workingSet = process.WorkingSet64;
            InterlockedMax(ref _heap, heap);
            InterlockedMax(ref _workingSet, workingSet);
        }

        private static void InterlockedMax(ref long location, long value)
        {
            var current = Interlocked.Read(ref location);
            while (value > current && Interlocked.CompareExchange(ref location, value, current) != current)
            {
                current = Interlocked.Read(ref location);
            }
        }
    }

    /// <summary>One kind of malformed input: what the client sends, and the FATAL it must get before the connection closes.</summary>
    private sealed record Kind(string Name, Func<RawClient, Task> Send, string Code, string MessageStart)
    {
        public async Task RunAsync(RunningProxy proxy)
        {
            await using var client = await proxy.ConnectAsync();
            await Send(client);
            var error = await client.ReadErrorAsync(TimeSpan.FromSeconds(10));
            if (error.Severity != "FATAL" || error.Code != Code || error.Message?.StartsWith(MessageStart, StringComparison.Ordinal) != true)
            {
                throw new InvalidOperationException($"expected FATAL {Code} \"{MessageStart}…\", got {error}");
            }

            await client.ExpectClosedAsync(TimeSpan.FromSeconds(10));
        }
    }
}

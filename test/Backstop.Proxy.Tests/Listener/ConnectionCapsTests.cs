using System.Diagnostics;
using Backstop.Proxy.Tests.Support;
using Npgsql;

namespace Backstop.Proxy.Tests.Listener;

/// <summary>
/// What one client, or many, may hold of the listener: sessions per user, connections in all, and the time a client
/// has to sign in (docs/proxy.md: "the session must not let a client park … per connection").
/// </summary>
public sealed class ConnectionCapsTests(ListenerDatabase database) : IClassFixture<ListenerDatabase>
{
    [Fact]
    public async Task Third_session_of_alice_with_max_connections_per_user_2_gets_FATAL_53300()
    {
        await using var proxy = database.Start(s => s with { MaxConnectionsPerUser = 2 });
        await using var first = new NpgsqlConnection(proxy.NpgsqlConnectionString());
        await using var second = new NpgsqlConnection(proxy.NpgsqlConnectionString());
        await first.OpenAsync();
        await second.OpenAsync();

        // The third signs in (its password is right) and is then refused, as PostgreSQL refuses past a role's CONNECTION LIMIT.
        await using var third = await proxy.ConnectAsync();
        await third.BeginScramAsync("alice");
        var scram = new ScramTestClient(ListenerBackend.AlicePassword, "fyko+d2lbbFgONRv9qkxdawL");
        await third.SendAsync(RawClient.SaslResponse(scram.ClientFinal(await third.SendClientFirstAsync(scram.ClientFirst()))));
        var final = await third.ReadMessageAsync();
        Assert.True(final is { Type: 'R' } && final.Int32At(0) == 12, $"expected AuthenticationSASLFinal, got {final}");
        var error = await third.ReadErrorAsync();
        MalformedInputTests.AssertFatal(error, "53300", "too many connections for user \"alice\"");
        Assert.Equal("server.proxy.max_connections_per_user is 2", error.Fields['D']);
        await third.ExpectClosedAsync();

        // Through Npgsql, the same refusal.
        await using var fourth = new NpgsqlConnection(proxy.NpgsqlConnectionString());
        var refused = await Assert.ThrowsAsync<PostgresException>(() => fourth.OpenAsync());
        Assert.Equal(("53300", "too many connections for user \"alice\""), (refused.SqlState, refused.MessageText));

        // Another user is not held to alice's count; and when one of alice's sessions ends, she may open one again.
        await using (var app = new NpgsqlConnection(proxy.NpgsqlConnectionString("app", ListenerBackend.AppPassword)))
        {
            await app.OpenAsync();
        }

        await first.CloseAsync();
        await using var again = await OpenOnceReleasedAsync(proxy.NpgsqlConnectionString(), TimeSpan.FromSeconds(5));
        await using var one = new NpgsqlCommand("SELECT 1", again);
        Assert.Equal(1, await one.ExecuteScalarAsync());
    }

    /// <summary>
    /// Opens a connection once the server has released the slot of a session that just ended: the session's end is
    /// noticed asynchronously, so a refusal (53300) is tried again until the deadline.
    /// </summary>
    private static async Task<NpgsqlConnection> OpenOnceReleasedAsync(string connectionString, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var connection = new NpgsqlConnection(connectionString);
            try
            {
                await connection.OpenAsync();
                return connection;
            }
            catch (PostgresException e) when (e.SqlState == "53300" && DateTime.UtcNow < deadline)
            {
                await connection.DisposeAsync();
                await Task.Delay(50);
            }
        }
    }

    [Fact]
    public async Task Connection_past_max_connections_gets_FATAL_53300_even_before_its_startup_packet()
    {
        await using var proxy = database.Start(s => s with { MaxConnections = 2 });

        // Two sockets that never sign in hold the two places.
        await using var idle1 = await proxy.ConnectAsync();
        await using var idle2 = await proxy.ConnectAsync();
        await WaitUntilAsync(() => proxy.Server.Connections == 2, TimeSpan.FromSeconds(5));

        await using var third = await proxy.ConnectAsync();
        var error = await third.ReadErrorAsync();
        MalformedInputTests.AssertFatal(error, "53300", "too many connections to Backstop's proxy (server.proxy.max_connections is 2)");
        await third.ExpectClosedAsync();

        await using (var npgsql = new NpgsqlConnection(proxy.NpgsqlConnectionString()))
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => npgsql.OpenAsync());
            Assert.Equal("53300", refused.SqlState);
        }

        // A place given back is a place taken again.
        await idle1.DisposeAsync();
        await WaitUntilAsync(() => proxy.Server.Connections == 1, TimeSpan.FromSeconds(5));
        await MalformedInputTests.AssertServesAsync(proxy);
    }

    [Fact]
    public async Task Client_that_connects_and_sends_nothing_is_closed_after_the_authentication_timeout()
    {
        await using var proxy = database.Start(s => s with { AuthenticationTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await proxy.ConnectAsync();
        var connected = Stopwatch.StartNew();

        var error = await client.ReadErrorAsync(TimeSpan.FromSeconds(5));
        var after = connected.Elapsed;

        MalformedInputTests.AssertFatal(error, "08006", "authentication timed out");
        await client.ExpectClosedAsync();
        Assert.InRange(after, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Client_that_stops_half_way_through_its_startup_packet_is_closed_after_the_authentication_timeout()
    {
        await using var proxy = database.Start(s => s with { AuthenticationTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await proxy.ConnectAsync();
        var startup = RawClient.Startup("alice");
        var connected = Stopwatch.StartNew();

        // A length word that promises a packet, and a few of its bytes: the slow-loris way to hold a connection.
        await client.SendAsync(startup[..10]);

        var error = await client.ReadErrorAsync(TimeSpan.FromSeconds(5));
        MalformedInputTests.AssertFatal(error, "08006", "authentication timed out");
        await client.ExpectClosedAsync();
        Assert.InRange(connected.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task Client_that_stops_in_the_middle_of_SCRAM_is_closed_after_the_authentication_timeout()
    {
        await using var proxy = database.Start(s => s with { AuthenticationTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await proxy.ConnectAsync();
        var connected = Stopwatch.StartNew();
        await client.BeginScramAsync("alice");
        await client.SendClientFirstAsync(new ScramTestClient(ListenerBackend.AlicePassword, "nonce").ClientFirst());

        var error = await client.ReadErrorAsync(TimeSpan.FromSeconds(5));
        MalformedInputTests.AssertFatal(error, "08006", "authentication timed out");
        await client.ExpectClosedAsync();
        Assert.InRange(connected.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task Signed_in_session_outlives_the_authentication_timeout()
    {
        await using var proxy = database.Start(s => s with { AuthenticationTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await proxy.ConnectAsync();
        await client.SignInAsync();

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await client.SendAsync(Wire.Message('Q', Wire.CString("SELECT 1")));

        var frames = new List<char>();
        while (frames.LastOrDefault() != 'Z')
        {
            var frame = await client.ReadMessageAsync();
            Assert.True(frame is not null && frame.Type != 'E', $"the session did not go on: {frame?.ToString() ?? "closed"}");
            frames.Add(frame!.Type);
        }

        Assert.Equal(['T', 'D', 'C', 'Z'], frames);
    }

    [Theory]
    [InlineData("alice", ListenerBackend.AlicePassword)]
    [InlineData("app", ListenerBackend.AppPassword)]
    public async Task Signed_in_session_that_sends_nothing_for_the_idle_timeout_gets_FATAL_57P05(string user, string password)
    {
        // A person's session and a service account's are relayed differently (one loop, two pumps); both time out.
        await using var proxy = database.Start(s => s with { IdleTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await proxy.ConnectAsync();
        await client.SignInAsync(user, password);
        var idle = Stopwatch.StartNew();

        var error = await client.ReadErrorAsync(TimeSpan.FromSeconds(5));

        MalformedInputTests.AssertFatal(error, "57P05", "terminating connection due to idle timeout");
        await client.ExpectClosedAsync();
        Assert.InRange(idle.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5)));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not reached within {within}");
            await Task.Delay(20);
        }
    }
}

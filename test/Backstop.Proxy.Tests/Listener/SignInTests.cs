using System.Text;
using Backstop.Core.Team;
using Backstop.Proxy.Sessions;
using Backstop.Proxy.Tests.Support;
using Npgsql;

namespace Backstop.Proxy.Tests.Listener;

/// <summary>A wrong password and an unknown user get PostgreSQL's one answer, 28P01, in the same words.</summary>
public sealed class SignInTests(ListenerDatabase database) : IClassFixture<ListenerDatabase>
{
    [Theory]
    [InlineData("alice", "wrong horse battery staple", "wrong password")]
    [InlineData("mallory", ListenerBackend.AlicePassword, "unknown user")]
    [InlineData("app", ListenerBackend.AlicePassword, "wrong password")]
    public async Task Failed_sign_in_gets_FATAL_28P01_password_authentication_failed_and_is_closed(string user, string password, string reason)
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.BeginScramAsync(user);
        var scram = new ScramTestClient(password, "fyko+d2lbbFgONRv9qkxdawL");
        var serverFirst = await client.SendClientFirstAsync(scram.ClientFirst());

        await client.SendAsync(RawClient.SaslResponse(scram.ClientFinal(serverFirst)));

        var error = await client.ReadErrorAsync();
        MalformedInputTests.AssertFatal(error, "28P01", $"password authentication failed for user \"{user}\"");
        Assert.Equal(["C", "M", "S", "V"], error.Fields.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
        await client.ExpectClosedAsync();
        Assert.Equal(0, proxy.Backend.Prepared);
        await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5));
        await WaitForAuditAsync(proxy, e => e.Action == "proxy.signin.failed");
        var failed = Assert.Single(proxy.Backend.AuditEntries, e => e.Action == "proxy.signin.failed");
        Assert.Equal((user, "failed", reason), (failed.User, failed.Outcome, failed.Detail["reason"]));
    }

    [Fact]
    public async Task Disabled_user_with_the_right_password_gets_the_same_28P01()
    {
        await using var proxy = database.Start();
        proxy.Backend.Add(new ProxyUser("dora", TeamRole.Requester, Disabled: true, ScramVerifier.Create("dora's password"), []));

        await using var connection = new NpgsqlConnection(proxy.NpgsqlConnectionString("dora", "dora's password"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal(("28P01", "password authentication failed for user \"dora\""), (error.SqlState, error.MessageText));
    }

    [Fact]
    public async Task Database_that_names_no_environment_gets_PostgreSQLs_3D000_after_sign_in()
    {
        await using var proxy = database.Start();

        await using var connection = new NpgsqlConnection(proxy.NpgsqlConnectionString().Replace("Database=dev", "Database=nope", StringComparison.Ordinal));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal(("3D000", "FATAL", "database \"nope\" does not exist"), (error.SqlState, error.Severity, error.MessageText));
    }

    [Fact]
    public async Task Npgsql_with_a_wrong_password_and_with_an_unknown_user_sees_the_same_words()
    {
        await using var proxy = database.Start();

        await using var wrong = new NpgsqlConnection(proxy.NpgsqlConnectionString(password: "not it"));
        var wrongError = await Assert.ThrowsAsync<PostgresException>(() => wrong.OpenAsync());
        await using var unknown = new NpgsqlConnection(proxy.NpgsqlConnectionString(user: "mallory", password: "not it"));
        var unknownError = await Assert.ThrowsAsync<PostgresException>(() => unknown.OpenAsync());

        Assert.Equal(("28P01", "FATAL", "password authentication failed for user \"alice\""), (wrongError.SqlState, wrongError.Severity, wrongError.MessageText));
        Assert.Equal(("28P01", "FATAL", "password authentication failed for user \"mallory\""), (unknownError.SqlState, unknownError.Severity, unknownError.MessageText));
    }

    [Fact]
    public async Task Psql_with_a_wrong_password_prints_PostgreSQLs_line()
    {
        await using var proxy = database.Start();

        var (exitCode, stdout, stderr) = await WellFormedClientTests.RunPsqlAsync(proxy.Endpoint.Port, "SELECT 1", password: "wrong");

        Assert.Equal(2, exitCode);
        Assert.Contains("FATAL:  password authentication failed for user \"alice\"", stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task Unknown_user_gets_a_stable_salt_so_repeated_tries_do_not_tell_it_apart()
    {
        await using var proxy = database.Start();

        var first = await ServerFirstAsync(proxy, "mallory");
        var second = await ServerFirstAsync(proxy, "mallory");

        // PostgreSQL's scram_mock_salt: the same salt for the same unknown name, as a real user's stays the same.
        Assert.Equal(first["s"], second["s"]);
        Assert.Equal(first["i"], second["i"]);
        Assert.Equal(16, Convert.FromBase64String(first["s"]).Length);
    }

    [Fact]
    public async Task Unknown_user_is_offered_the_same_iteration_count_as_a_user_the_server_stored()
    {
        await using var proxy = database.Start();
        // A verifier as Backstop.Server stores it (UserService: ScramVerifier.Create(password, TeamUser.ScramIterations)).
        proxy.Backend.Add(new ProxyUser("carol", TeamRole.Requester, Disabled: false, StoredVerifier.Value, []));
        proxy.Backend.Add(new ProxyUser("dave", TeamRole.Requester, Disabled: true, StoredVerifier.Value, []));

        var known = await ServerFirstAsync(proxy, "carol");
        var disabled = await ServerFirstAsync(proxy, "dave");
        var unknown = await ServerFirstAsync(proxy, "mallory");

        Assert.Equal(TeamUser.ScramIterations.ToString(System.Globalization.CultureInfo.InvariantCulture), known["i"]);
        Assert.Equal(known["i"], unknown["i"]);
        Assert.Equal(known["i"], disabled["i"]);
    }

    private static readonly Lazy<ScramVerifier> StoredVerifier = new(() => ScramVerifier.Create("carol's password", TeamUser.ScramIterations));

    /// <summary>The attributes of server-first-message for this user; the exchange is then abandoned.</summary>
    private static async Task<Dictionary<string, string>> ServerFirstAsync(RunningProxy proxy, string user)
    {
        await using var client = await proxy.ConnectAsync();
        await client.BeginScramAsync(user);
        var serverFirst = await client.SendClientFirstAsync("n,,n=,r=fyko+d2lbbFgONRv9qkxdawL");
        return serverFirst.Split(',').ToDictionary(a => a[..1], a => a[2..], StringComparer.Ordinal);
    }

    private static async Task WaitForAuditAsync(RunningProxy proxy, Func<ProxyAuditEntry, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!proxy.Backend.AuditEntries.Any(match) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }
}

using System.Text.RegularExpressions;
using Backstop.Cli.Tests.Team;
using Backstop.Testing;
using Backstop.Testing.Clients;

namespace Backstop.Cli.Tests.Proxy;

/// <summary>
/// pgjdbc (the driver DBeaver uses) and node-postgres through the proxy as a person on production (issue 16): each
/// connects with SCRAM and with TLS, reads, makes a small confirmed write that undo takes back, has the DBeaver
/// incident's UPDATE refused, waits for an approval of a cascading DELETE, keeps BEGIN … ROLLBACK true, sends a DROP
/// TABLE to the recycle bin and has DROP DATABASE refused.
/// </summary>
[Trait("Speed", "Slow")]
public sealed partial class ProxyDriverTests : IAsyncLifetime
{
    private TeamSetup _team = null!;
    private int _port;

    public static TheoryData<string> Drivers => new() { "pgjdbc", "node-postgres" };

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync(
            ProxyPsqlTests.ProxySettings + "  tls: { certificate: tls.crt, key: tls.key }\n",
            before: async (workspace, database) =>
            {
                TlsTests.WriteSelfSigned(Path.Combine(workspace.Directory, "tls.crt"), Path.Combine(workspace.Directory, "tls.key"));
                await PostgresSandbox.ExecuteAsync(database, """
                    CREATE TABLE orders (id int PRIMARY KEY, total int NOT NULL, is_deleted boolean NOT NULL DEFAULT false);
                    INSERT INTO orders (id, total) SELECT g, g * 10 FROM generate_series(1, 40) g;
                    CREATE TABLE archive (id int PRIMARY KEY, body text);
                    INSERT INTO archive SELECT g, 'a' FROM generate_series(1, 12) g;
                    """);
            });
        _port = await _team.Server.ProxyPortAsync();
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    private static IClientHarness Harness(string driver) => driver == "pgjdbc" ? JdbcClient.Instance : NodeClient.Instance;

    private Task<IReadOnlyList<ClientResult>> RunAsync(IClientHarness client, bool tls, params ClientStep[] steps) =>
        client.RunAsync(new ClientConnection("127.0.0.1", _port, "prod", "alice", TeamSetup.AlicePassword) { RequireTls = tls }, steps, TimeSpan.FromSeconds(90));

    [Theory]
    [MemberData(nameof(Drivers))]
    public async Task Driver_through_the_proxy_is_guarded_like_psql(string driver)
    {
        var client = Harness(driver);
        await client.PrepareAsync();

        // Reads, over TLS and in the clear.
        foreach (var tls in new[] { true, false })
        {
            var read = await RunAsync(client, tls, ClientStep.Query("SELECT count(*) FROM orders"));
            Assert.True(read[0].Ok, read[0].ToString());
            Assert.Equal("40", read[0].Rows![0][0]);
        }

        // The DBeaver incident: the soft-delete UPDATE without its WHERE is refused, and nothing changes.
        var incident = await RunAsync(client, false, ClientStep.Update("UPDATE orders SET is_deleted = true"));
        Assert.False(incident[0].Ok);
        Assert.Equal("ZB002", incident[0].SqlState);
        Assert.Contains("UPDATE of orders has no WHERE", incident[0].Message, StringComparison.Ordinal);
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM orders WHERE is_deleted"));

        // A small confirmed write with parameters is kept as alice's change, and undo takes it back.
        var write = await RunAsync(client, false,
            ClientStep.Execute("SET backstop.confirm = 'prod'"),
            ClientStep.Update($"UPDATE orders SET total = {client.Parameter(1)} WHERE id = {client.Parameter(2)}", [12345, 3]));
        Assert.True(write[1].Ok, write[1].ToString());
        Assert.Equal(1, write[1].UpdateCount);
        var change = ChangeNumber().Match(string.Join("\n", write.SelectMany(r => r.Notices ?? [])));
        Assert.True(change.Success, string.Join("\n", write.Select(r => r.ToString())));
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM orders WHERE id = 3 AND total = 12345"));
        var undone = await _team.Alice.RunAsync("undo", change.Groups[1].Value, "--confirm", "prod");
        Assert.True(undone.ExitCode == 0, undone.ToString());
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM orders WHERE id = 3 AND total = 30"));

        // Inside BEGIN … ROLLBACK a refusal aborts the transaction like a server error; after ROLLBACK the session works.
        var transaction = await RunAsync(client, false,
            ClientStep.Begin(),
            ClientStep.Query("SELECT count(*) FROM orders"),
            ClientStep.Update("UPDATE orders SET is_deleted = true"),
            ClientStep.Query("SELECT 1"),
            ClientStep.Rollback(),
            ClientStep.Autocommit(),
            ClientStep.Query("SELECT count(*) FROM orders WHERE NOT is_deleted"));
        Assert.True(transaction[1].Ok, transaction[1].ToString());
        Assert.Equal("ZB002", transaction[2].SqlState);
        Assert.Equal("25P02", transaction[3].SqlState);
        Assert.True(transaction[4].Ok, transaction[4].ToString());
        Assert.Equal("40", transaction[6].Rows![0][0]);

        // A cascading DELETE waits for another person's approval; the same statement then passes, and undo restores it.
        var leads = await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 42");
        var asked = await RunAsync(client, false, ClientStep.Update("DELETE FROM users WHERE id = 42"));
        Assert.Equal("ZB001", asked[0].SqlState);
        var request = RequestNumber().Match(asked[0].Hint ?? "");
        Assert.True(request.Success, asked[0].ToString());
        var approved = await _team.Bob.RunAsync("approve", request.Groups[1].Value, "--reason", "asked to be forgotten");
        Assert.True(approved.ExitCode == 0, approved.ToString());
        var deleted = await RunAsync(client, false, ClientStep.Update("DELETE FROM users WHERE id = 42"));
        Assert.True(deleted[0].Ok, deleted[0].ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 42"));
        var cascade = ChangeNumber().Match(string.Join("\n", deleted[0].Notices ?? []));
        Assert.True(cascade.Success, deleted[0].ToString());
        var restored = await _team.Alice.RunAsync("undo", cascade.Groups[1].Value, "--confirm", "prod");
        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Equal(leads, await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 42"));

        // DROP TABLE, once approved, lands in the recycle bin; DROP DATABASE is refused and the database stays.
        var drop = await RunAsync(client, false, ClientStep.Execute("DROP TABLE archive"));
        var dropRequest = RequestNumber().Match(drop[0].Hint ?? "");
        Assert.True(dropRequest.Success, drop[0].ToString());
        Assert.True((await _team.Bob.RunAsync("approve", dropRequest.Groups[1].Value, "--reason", "archived elsewhere")).ExitCode == 0);
        var dropped = await RunAsync(client, false, ClientStep.Execute("DROP TABLE archive"));
        Assert.True(dropped[0].Ok, dropped[0].ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'archive'"));
        var trash = await _team.Alice.RunAsync("trash", "list", "-e", "prod");
        Assert.Contains("archive", trash.Out, StringComparison.Ordinal);

        var name = await PostgresSandbox.TextAsync(_team.Database, "SELECT current_database()");
        var dropDatabase = await RunAsync(client, false, ClientStep.Execute($"DROP DATABASE {name}"));
        Assert.False(dropDatabase[0].Ok);
        Assert.StartsWith("ZB", dropDatabase[0].SqlState, StringComparison.Ordinal);
        Assert.Equal(1, await _team.CountAsync($"SELECT count(*) FROM pg_database WHERE datname = '{name}'"));
    }

    [GeneratedRegex(@"kept this as change (\d+)")]
    private static partial Regex ChangeNumber();

    [GeneratedRegex(@"Request (\d+):")]
    private static partial Regex RequestNumber();
}

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Backstop.Core.Audit;
using Backstop.Core.Configuration;
using Backstop.Core.State;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Team;

/// <summary>
/// Two server processes on one PostgreSQL state behave as one (issue 15, point 7): a request made on one is approved on
/// the other and executed on the first; their concurrent audit appends form one valid log with nothing lost or doubled.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class TwoServerTests : IAsyncLifetime
{
    private const int Appends = 1000;
    private const int Flows = 100;

    private TeamSetup _team = null!;
    private TeamServerProcess _other = null!;

    public async Task InitializeAsync()
    {
        // Every write asks for approval; each flow updates a user of its own. Executions on one table take turns (capture
        // locks the table against other guarded changes), so they may wait longer than the default 2 s for each other.
        _team = await TeamSetup.StartAsync(
            policy: "    write: approve\n",
            postgresState: true,
            before: async (workspace, database) =>
            {
                await PostgresSandbox.ExecuteAsync(database, "INSERT INTO users SELECT g, 'before' FROM generate_series(1001, 1200) g");
                await workspace.AddSettingAsync("prod", "lock_timeout: 30s");
            });
        _other = await _team.StartAnotherServerAsync();
    }

    public async Task DisposeAsync()
    {
        await _other.DisposeAsync();
        await _team.DisposeAsync();
    }

    [Fact]
    public async Task Concurrent_appends_and_approval_flows_through_both_servers_form_one_valid_log()
    {
        using var aliceOnA = await SignInAsync(_team.Server.Url, "alice", TeamSetup.AlicePassword);
        using var aliceOnB = await SignInAsync(_other.Url, "alice", TeamSetup.AlicePassword);
        using var bobOnA = await SignInAsync(_team.Server.Url, "bob", TeamSetup.BobPassword);
        using var bobOnB = await SignInAsync(_other.Url, "bob", TeamSetup.BobPassword);

        // 2 × 1,000 audited refusals at once: alice, a requester, tries to approve bob's request through both servers.
        var bobs = await RunAsync(bobOnA, "UPDATE users SET name = 'bob' WHERE id = 1");
        var target = bobs.GetProperty("requestId").GetInt64();
        var refusals = await Task.WhenAll(
            Parallel(Appends, 16, _ => StatusOfApproveAsync(aliceOnA, target)),
            Parallel(Appends, 16, _ => StatusOfApproveAsync(aliceOnB, target)));
        Assert.All(refusals.SelectMany(r => r), status => Assert.Equal(403, status));

        // 2 × 100 flows: asked on one server, approved on the other, executed on the first.
        var outcomes = await Task.WhenAll(
            Parallel(Flows, 3, i => FlowAsync(aliceOnA, bobOnB, 1001 + i)),
            Parallel(Flows, 3, i => FlowAsync(aliceOnB, bobOnA, 1101 + i)));
        Assert.All(outcomes.SelectMany(o => o), outcome => Assert.Equal("committed", outcome));
        Assert.Equal(2 * Flows, await _team.CountAsync("SELECT count(*) FROM users WHERE id > 1000 AND name = 'flow ' || id"));

        var config = ConfigLoader.Load(_team.Workspace.ConfigPath);
        var log = await AuditLogs.OpenAsync(StateLocation.Of(config, _ => null), null, CancellationToken.None);
        // The servers sign checkpoints every minute; they are checked with the key they share.
        using var key = AuditSigningKey.Load(config.Resolve(config.Server!.SigningKey));
        var verified = await AuditVerifier.VerifyAsync(log, key.PublicKeyPem, CancellationToken.None);
        Assert.True(verified.Intact, verified.Problem);
        var seqs = new List<long>();
        var refused = 0;
        var executed = 0;
        await foreach (var entry in log.ReadAllAsync(CancellationToken.None))
        {
            seqs.Add(entry.Seq);
            using var json = JsonDocument.Parse(entry.Json);
            var (action, outcome) = (json.RootElement.GetProperty("action").GetString(), json.RootElement.GetProperty("outcome").GetString());
            refused += action == "approve" && outcome == "refused" ? 1 : 0;
            executed += action == "execute" && outcome == "ok" ? 1 : 0;
        }

        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        Assert.Equal(2 * Appends, refused);
        Assert.Equal(2 * Flows, executed);

        // Every request ran exactly once, whichever server was asked.
        var requests = await GetAsync(bobOnA, "/api/v1/approvals?all=true");
        Assert.Equal(2 * Flows, requests.EnumerateArray().Count(r => r.GetProperty("status").GetString() == "executed"));
    }

    private async Task<string> FlowAsync(HttpClient requester, HttpClient approver, int user)
    {
        var asked = await RunAsync(requester, $"UPDATE users SET name = 'flow {user}' WHERE id = {user}");
        var request = asked.GetProperty("requestId").GetInt64();
        using (var approved = await approver.PostAsJsonAsync($"/api/v1/approvals/{request}/approve", new { reason = "flow" }))
        {
            Assert.True(approved.IsSuccessStatusCode, await approved.Content.ReadAsStringAsync());
        }

        using var executed = await requester.PostAsJsonAsync($"/api/v1/approvals/{request}/execute", new { });
        var body = await executed.Content.ReadAsStringAsync();
        Assert.True(executed.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("outcome").GetString()!;
    }

    private static async Task<int> StatusOfApproveAsync(HttpClient client, long request)
    {
        using var response = await client.PostAsJsonAsync($"/api/v1/approvals/{request}/approve", new { });
        return (int)response.StatusCode;
    }

    private static async Task<JsonElement> RunAsync(HttpClient client, string script)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/environments/prod/runs", new { script });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("needsApproval", json.RootElement.GetProperty("outcome").GetString());
        return json.RootElement.Clone();
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var json = JsonDocument.Parse(await client.GetStringAsync(path));
        return json.RootElement.Clone();
    }

    private static async Task<HttpClient> SignInAsync(string url, string user, string password)
    {
        var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
        using var response = await client.PostAsJsonAsync("/api/v1/sessions", new { user, password });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", json.RootElement.GetProperty("token").GetString());
        return client;
    }

    /// <summary>Runs <paramref name="count"/> calls, at most <paramref name="width"/> at a time, and returns their results in order.</summary>
    private static async Task<T[]> Parallel<T>(int count, int width, Func<int, Task<T>> call)
    {
        var results = new T[count];
        await System.Threading.Tasks.Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = width }, async (i, _) => results[i] = await call(i));
        return results;
    }
}

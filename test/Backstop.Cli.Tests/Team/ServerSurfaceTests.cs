using System.Net.Http.Json;
using System.Text.Json;
using Backstop.Core.Audit;
using Backstop.Core.Configuration;
using Backstop.Core.State;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Team;

/// <summary>What a load balancer, an API client and an attacker see of the server (issue 15, points 1 and 2).</summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class ServerSurfaceTests : IAsyncLifetime
{
    private TeamSetup _team = null!;

    // The test itself stands in for a load balancer on 127.0.0.1.
    public async Task InitializeAsync() => _team = await TeamSetup.StartAsync("  sign_ins_per_minute: 5\n  trusted_proxies: [127.0.0.1]\n");

    public async Task DisposeAsync() => await _team.DisposeAsync();

    [Fact]
    public async Task Sign_ins_past_the_rate_limit_are_refused_with_429_and_audited()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_team.Server.Url) };
        var statuses = new List<int>();
        for (var attempt = 0; attempt < 7; attempt++)
        {
            using var response = await http.PostAsJsonAsync("/api/v1/sessions", new { user = "alice", password = "guess-number-" + attempt });
            statuses.Add((int)response.StatusCode);
            if ((int)response.StatusCode == 429)
            {
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Contains("too many sign-in attempts", problem.RootElement.GetProperty("detail").GetString());
            }
        }

        Assert.Equal([401, 401, 401, 401, 401, 429, 429], statuses);
        var config = ConfigLoader.Load(_team.Workspace.ConfigPath);
        var log = await AuditLogs.OpenAsync(StateLocation.Of(config, _ => null), null, CancellationToken.None);
        var entries = await log.ListAsync(null, null, 100, CancellationToken.None);
        Assert.Equal(2, entries.Count(e => e.Action == "signin.limited" && e.From == "127.0.0.1"));
        Assert.Equal(5, entries.Count(e => e.Action == "signin.failed" && e.Actor == "alice"));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_client_address_has_its_own_limit_and_is_the_one_audited()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_team.Server.Url) };
        async Task<int> SignInFromAsync(string address)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sessions") { Content = JsonContent.Create(new { user = "bob", password = "not-bobs-password" }) };
            request.Headers.Add("X-Forwarded-For", address);
            using var response = await http.SendAsync(request);
            return (int)response.StatusCode;
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            Assert.Equal(401, await SignInFromAsync("203.0.113.7"));
        }

        Assert.Equal(429, await SignInFromAsync("203.0.113.7"));
        Assert.Equal(401, await SignInFromAsync("203.0.113.8"));

        var config = ConfigLoader.Load(_team.Workspace.ConfigPath);
        var log = await AuditLogs.OpenAsync(StateLocation.Of(config, _ => null), null, CancellationToken.None);
        var entries = await log.ListAsync(null, "bob", 100, CancellationToken.None);
        Assert.Equal(5, entries.Count(e => e.Action == "signin.failed" && e.From == "203.0.113.7"));
        Assert.Equal(1, entries.Count(e => e.Action == "signin.failed" && e.From == "203.0.113.8"));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"script\": 42}")]
    [InlineData("[]")]
    public async Task Malformed_request_body_is_a_bad_request_and_the_server_keeps_serving(string body)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_team.Server.Url) };
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/api/v1/environments/prod/runs", content);

        Assert.Equal(400, (int)response.StatusCode);
        using var health = await http.GetAsync("/api/v1/health");
        Assert.Equal(200, (int)health.StatusCode);
    }

    [Fact]
    public async Task Health_answers_without_sign_in_and_the_api_is_described_by_its_openapi_document()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_team.Server.Url) };
        using (var health = await http.GetAsync("/api/v1/health"))
        {
            Assert.Equal(200, (int)health.StatusCode);
            Assert.Contains("\"status\":\"ok\"", await health.Content.ReadAsStringAsync());
            Assert.Equal("nosniff", health.Headers.GetValues("X-Content-Type-Options").Single());
        }

        using var openApi = JsonDocument.Parse(await http.GetStringAsync("/api/v1/openapi.json"));
        var paths = openApi.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/approvals/{id}/approve", paths);
        Assert.Contains("/api/v1/environments/{environment}/runs", paths);
        Assert.Contains("/api/v1/audit/proof/{seq}", paths);

        using var anonymous = await http.GetAsync("/api/v1/approvals");
        Assert.Equal(401, (int)anonymous.StatusCode);
        using var problem = JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync());
        Assert.Equal(2, problem.RootElement.GetProperty("exitCode").GetInt32());
    }
}

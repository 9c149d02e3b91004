using System.Text.Json;
using Backstop.Cli.Tests.Team;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Schedules;

/// <summary>
/// Notifications (issue 17, point 3) from a real `backstop server` to real HTTP listeners: an approval request reaches
/// the team's webhook with its id and a link to its page, after two failed tries; a webhook that always fails is given
/// up after its tries and listed as failed; the webhook's URL, a secret, is in no log line and no record.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class WebhookTests : IAsyncLifetime
{
    private const string PublicUrl = "https://backstop.example.test";

    private WebhookReceiver _chat = null!;
    private WebhookReceiver _pager = null!;
    private TeamSetup _team = null!;

    public async Task InitializeAsync()
    {
        _chat = WebhookReceiver.Start(failFirst: 2);
        _pager = WebhookReceiver.Start(failFirst: -1);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { ["CHAT_WEBHOOK"] = _chat.Url };
        _team = await TeamSetup.StartAsync(
            policy: "    break_glass: true\n",
            serverSettings: $"  public_url: {PublicUrl}\n",
            serverEnvironment: variables,
            before: async (workspace, _) =>
            {
                // The pager's URL comes from a file, as a mounted secret would.
                var file = Path.Combine(workspace.Directory, "pager-url");
                await File.WriteAllTextAsync(file, _pager.Url + "\n");
                await File.AppendAllTextAsync(workspace.ConfigPath, $"""
                    notifications:
                      webhooks:
                        chat:
                          url: env:CHAT_WEBHOOK
                          attempts: 3
                          backoff: 200ms
                        pager:
                          url: file:{file}
                          events: [approval.requested]
                          attempts: 2
                          backoff: 100ms

                    """);
            });
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync()
    {
        await _team.DisposeAsync();
        await _chat.DisposeAsync();
        await _pager.DisposeAsync();
    }

    [Fact]
    public async Task Approval_request_reaches_the_webhook_on_its_third_try_with_its_id_and_link()
    {
        var asked = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "-c", "DELETE FROM users WHERE id = 7");
        Assert.True(asked.ExitCode == 4, asked.ToString());
        var id = TeamSetup.RequestId(asked);

        var tries = await _chat.WaitForAsync("approval.requested", 3, TimeSpan.FromSeconds(30));
        Assert.Equal(3, tries.Count);
        var link = $"{PublicUrl}/approvals/{id}";
        Assert.All(tries, body =>
        {
            Assert.Equal(id, body.GetProperty("requestId").GetInt64());
            Assert.Equal(link, body.GetProperty("link").GetString());
            Assert.Equal("prod", body.GetProperty("environment").GetString());
            Assert.Equal("alice", body.GetProperty("requester").GetString());
            Assert.Contains($"<{link}|request {id}>", body.GetProperty("text").GetString(), StringComparison.Ordinal);
            Assert.Contains("public.leads -5", body.GetProperty("text").GetString(), StringComparison.Ordinal);
            Assert.Contains(body.GetProperty("impact").EnumerateArray(), t => t.GetProperty("table").GetString() == "public.leads" && t.GetProperty("deleted").GetInt64() == 5);
        });

        var approved = await _team.Bob.RunAsync("approve", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--reason", "user 7 left");
        Assert.True(approved.ExitCode == 0, approved.ToString());
        var told = Assert.Single(await _chat.WaitForAsync("approval.approved", 1, TimeSpan.FromSeconds(30)));
        Assert.Equal((id, link, "bob"), (told.GetProperty("requestId").GetInt64(), told.GetProperty("link").GetString(), told.GetProperty("actor").GetString()));

        // The pager only wants requests, and never answers 200: two tries, then recorded as failed.
        await WaitAsync(async () => (await NotificationsAsync("--failed")).Count == 1);
        var failed = Assert.Single(await NotificationsAsync("--failed"));
        Assert.Equal(("pager", "approval.requested", 2, "HTTP 500"),
            (failed.GetProperty("webhook").GetString(), failed.GetProperty("event").GetString(), failed.GetProperty("attempts").GetInt32(), failed.GetProperty("lastError").GetString()));
        Assert.Equal(2, _pager.Received.Count);

        var all = await NotificationsAsync();
        var requested = Assert.Single(all, n => n.GetProperty("webhook").GetString() == "chat" && n.GetProperty("event").GetString() == "approval.requested");
        Assert.Equal(("delivered", 3), (requested.GetProperty("status").GetString(), requested.GetProperty("attempts").GetInt32()));

        // The server said which tries failed, naming the webhook, never its address.
        Assert.Contains("to webhook 'chat': try 1 of 3 failed (HTTP 500)", _team.Server.Output, StringComparison.Ordinal);
        Assert.Contains("to webhook 'pager': try 2 of 2 failed (HTTP 500); giving up", _team.Server.Output, StringComparison.Ordinal);
        // The console's API lists the same deliveries, to approvers; the requester may not read them.
        using var bob = await _team.ApiAsAsync(_team.Bob);
        var served = await bob.GetStringAsync("/api/v1/notifications");
        Assert.Equal(3, JsonDocument.Parse(served).RootElement.GetArrayLength());
        using var alice = await _team.ApiAsAsync(_team.Alice);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await alice.GetAsync("/api/v1/notifications")).StatusCode);

        var audit = await _team.Workspace.RunAsync("audit", "list", "--json", "--limit", "1000");
        foreach (var text in new[] { _team.Server.Output, audit.Out, served, (await _team.Workspace.RunAsync("notify", "list", "--json")).Out })
        {
            Assert.DoesNotContain(_chat.Secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(_pager.Secret, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Break_glass_and_rejection_are_told_with_what_people_wrote_escaped_for_slack()
    {
        var ran = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "--emergency", "--reason", "checkout <!channel> down & out", "-c", "DELETE FROM users WHERE id = 30");
        Assert.True(ran.ExitCode == 0, ran.ToString());
        var review = TeamSetup.RequestId(ran);
        var glass = (await _chat.WaitForAsync("break_glass.review", 1, TimeSpan.FromSeconds(30)))[0];
        Assert.Equal(review, glass.GetProperty("requestId").GetInt64());
        Assert.Equal("checkout <!channel> down & out", glass.GetProperty("reason").GetString());
        Assert.Contains("alice broke glass on prod", glass.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("(reason: checkout &lt;!channel&gt; down &amp; out) and waits for another person's review", glass.GetProperty("text").GetString(), StringComparison.Ordinal);

        var asked = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "-c", "DELETE FROM users WHERE id = 8");
        var id = TeamSetup.RequestId(asked);
        var rejected = await _team.Bob.RunAsync("reject", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--reason", "<@U123> not on a Friday");
        Assert.True(rejected.ExitCode == 0, rejected.ToString());
        var told = (await _chat.WaitForAsync("approval.rejected", 1, TimeSpan.FromSeconds(30)))[0];
        Assert.Equal((id, "bob"), (told.GetProperty("requestId").GetInt64(), told.GetProperty("actor").GetString()));
        Assert.Equal($"Request {id} on prod was rejected by bob: &lt;@U123&gt; not on a Friday (<{PublicUrl}/approvals/{id}|request {id}>)", told.GetProperty("text").GetString());
    }

    private async Task<IReadOnlyList<JsonElement>> NotificationsAsync(params string[] more)
    {
        var listed = await _team.Workspace.RunAsync(["notify", "list", "--json", .. more]);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        using var json = JsonDocument.Parse(listed.Out);
        return json.RootElement.GetProperty("notifications").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 300 && !await condition(); i++)
        {
            await Task.Delay(100);
        }
    }
}

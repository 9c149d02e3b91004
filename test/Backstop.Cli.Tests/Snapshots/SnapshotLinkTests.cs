using System.Formats.Tar;
using System.Net;
using System.Text.Json;
using Backstop.Cli.Tests.Team;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Snapshots;

/// <summary>
/// Issue 18, point 6: a snapshot handed out through the team server by a link that works once, only for the person who
/// asked, only until it expires; issuing, each use or refusal, and expiring unused are in the audit log. A real server
/// process, a real snapshot made by `snapshot create`, downloads over HTTP.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class SnapshotLinkTests : IAsyncLifetime
{
    private const string Key = "a snapshot key of thirty-two bytes or more, for the tests";

    private TeamSetup _team = null!;

    public async Task InitializeAsync()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { ["SNAPSHOT_KEY"] = Key };
        _team = await TeamSetup.StartAsync(serverEnvironment: variables, before: async (workspace, database) =>
        {
            workspace.Variables["SNAPSHOT_KEY"] = Key;
            await workspace.AddSettingAsync("prod", TeamSetup.SnapshotRules);
        });
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    [Fact]
    public async Task A_link_works_once_for_its_user_until_it_expires_and_every_event_is_audited()
    {
        var created = await _team.Workspace.RunAsync("snapshot", "create", "-e", "prod", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var id = JsonDocument.Parse(created.Out).RootElement.GetProperty("id").GetString()!;

        var issued = await _team.Bob.RunAsync("snapshot", "link", id, "-e", "prod", "--json");
        Assert.True(issued.ExitCode == 0, issued.ToString());
        var url = JsonDocument.Parse(issued.Out).RootElement.GetProperty("url").GetString()!;
        Assert.StartsWith(_team.Server.Url.TrimEnd('/') + "/api/v1/snapshot-links/", url, StringComparison.Ordinal);

        // Without signing in: refused, and the link is not spent.
        using (var anonymous = new HttpClient())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url)).StatusCode);
        }

        // A lifetime that is not a duration, or longer than a day, is refused naming the fix.
        var badTtl = await _team.Bob.RunAsync("snapshot", "link", id, "-e", "prod", "--ttl", "forever");
        Assert.Equal(2, badTtl.ExitCode);
        Assert.Contains("ttl 'forever' is not a duration; write it as 90s, 3m or 1h", badTtl.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await _team.Bob.RunAsync("snapshot", "link", id, "-e", "prod", "--ttl", "2d")).ExitCode);
        var unknown = await _team.Bob.RunAsync("snapshot", "link", "19990101-000000", "-e", "prod");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("`backstop snapshot list -e prod` lists them", unknown.Error, StringComparison.Ordinal);

        // Alice has a token of her own, good for everything else: not for Bob's link, and her try does not spend it.
        using var alice = await _team.ApiAsAsync(_team.Alice);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync(url)).StatusCode);

        using var bob = await _team.ApiAsAsync(_team.Bob);
        using (var download = await bob.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("application/x-tar", download.Content.Headers.ContentType?.MediaType);
            var names = new List<string>();
            await using var tar = new TarReader(await download.Content.ReadAsStreamAsync());
            while (await tar.GetNextEntryAsync() is { } entry)
            {
                names.Add(entry.Name);
            }

            Assert.Contains($"snapshot-prod-{id}/manifest.json", names);
            Assert.Contains($"snapshot-prod-{id}/dump/toc.dat", names);
        }

        using (var again = await bob.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
            Assert.Contains("used already", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A link that is not used in time: refused, and noted as expired unused.
        var shortLived = JsonDocument.Parse((await _team.Bob.RunAsync("snapshot", "link", id, "-e", "prod", "--ttl", "10s", "--json")).Out).RootElement.GetProperty("url").GetString()!;
        await Task.Delay(TimeSpan.FromSeconds(11));
        using (var late = await bob.GetAsync(shortLived))
        {
            Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
            Assert.Contains("expired", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync(url[..^4] + "AAAA")).StatusCode);

        var audit = await _team.Workspace.RunAsync("audit", "list", "--json", "--limit", "1000");
        Assert.True(audit.ExitCode == 0, audit.ToString());
        var events = JsonDocument.Parse(audit.Out).RootElement.GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("action").GetString()!.StartsWith("snapshot.link.", StringComparison.Ordinal))
            .Select(e => $"{e.GetProperty("action").GetString()} {e.GetProperty("actor").GetString()} {e.GetProperty("outcome").GetString()}")
            .ToList();
        Assert.Equal(2, events.Count(e => e == "snapshot.link.issued bob ok"));
        Assert.Contains("snapshot.link.used alice refused", events);
        Assert.Equal(1, events.Count(e => e == "snapshot.link.used bob ok"));
        Assert.Equal(3, events.Count(e => e == "snapshot.link.used bob refused"));
        Assert.Contains("snapshot.link.expired bob ok", events);
        // The token is in no log line and no record.
        var token = url[(url.LastIndexOf('/') + 1)..];
        Assert.DoesNotContain(token, audit.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(token, _team.Server.Output, StringComparison.Ordinal);
    }
}

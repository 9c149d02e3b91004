using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Team;

/// <summary>
/// QA first (issue 15, point 5): on production, through the server, a write whose exact script has not committed on a
/// lower tier asks for approval; one that has runs as its own verdict says, and a request shows where it ran first.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class StagedFirstTests : IAsyncLifetime
{
    private TeamSetup _team = null!;

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync(before: async (workspace, _) => await workspace.AddEnvironmentAsync("staging", "staging", TeamSetup.Schema));
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    [Fact]
    public async Task Script_committed_on_staging_runs_on_production_and_a_changed_or_unstaged_one_asks_for_approval()
    {
        const string script = "UPDATE users SET name = 'renamed' WHERE id = 20";
        var staged = await _team.Alice.RunAsync("run", "-e", "staging", "--json", "-c", script);
        Assert.True(staged.ExitCode == 0, staged.ToString());

        var production = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "--confirm", "prod", "-c", script);
        Assert.True(production.ExitCode == 0, production.ToString());
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 20 AND name = 'renamed'"));

        var changed = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "--confirm", "prod", "-c", script + " ");
        Assert.True(changed.ExitCode == 4, changed.ToString());
        Assert.Contains("has not committed on a staging or development environment in the last 7 days", changed.Out);
        TeamSetup.RequestId(changed);

        var unstaged = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "--confirm", "prod", "-c", "UPDATE users SET name = 'never staged' WHERE id = 21");
        Assert.True(unstaged.ExitCode == 4, unstaged.ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE name = 'never staged'"));
    }

    [Fact]
    public async Task Request_for_a_staged_script_shows_where_and_when_it_ran_and_its_impact_there()
    {
        const string script = "DELETE FROM users WHERE id = 22";
        var staged = await _team.Alice.RunAsync("run", "-e", "staging", "--json", "--yes", "-c", script);
        Assert.True(staged.ExitCode == 0, staged.ToString());

        // On production a cascade needs approval whatever QA says; the request carries the staging run beside its own preview.
        var asked = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "-c", script);
        Assert.True(asked.ExitCode == 4, asked.ToString());
        Assert.DoesNotContain("has not committed on a staging", asked.Out);
        var request = TeamSetup.RequestId(asked);

        var shown = await _team.Bob.RunAsync("approvals", "--json");
        using var json = JsonDocument.Parse(shown.Out);
        var entry = json.RootElement.GetProperty("approvals").EnumerateArray().Single(a => a.GetProperty("id").GetInt64() == request);
        var run = entry.GetProperty("stagedRuns").EnumerateArray().Single();
        Assert.Equal("staging", run.GetProperty("environment").GetString());
        Assert.Equal(staged.ChangeId, run.GetProperty("changeId").GetInt64().ToString());
        Assert.Equal(6, run.GetProperty("rowsChanged").GetInt64());
        Assert.Contains(entry.GetProperty("impact").EnumerateArray(), t => t.GetProperty("table").GetString() == "public.leads" && t.GetProperty("deleted").GetInt64() == 5);

        var text = await _team.Bob.RunAsync("approvals");
        Assert.Contains("ran first on staging (staging)", text.Out);
    }
}

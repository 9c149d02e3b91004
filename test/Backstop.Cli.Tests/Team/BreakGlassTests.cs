using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Team;

/// <summary>
/// Break glass (issue 15, point 4): where the tier allows it, `run --emergency --reason` runs a change that needs
/// approval and leaves it open for another person's review; where it does not (production by default), it is refused.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class BreakGlassTests : IAsyncLifetime
{
    private TeamSetup _team = null!;

    public async Task InitializeAsync()
    {
        // Production allows break glass here; the staging environment qa keeps it off, and sends cascades for approval.
        _team = await TeamSetup.StartAsync(policy: "    break_glass: true\n", before: async (workspace, _) =>
        {
            await workspace.AddEnvironmentAsync("qa", "staging", TeamSetup.Schema);
            var text = await File.ReadAllTextAsync(workspace.ConfigPath);
            await File.WriteAllTextAsync(workspace.ConfigPath, text.Replace("\n  staging:\n", "\n  staging:\n    break_glass: false\n    cascade: approve\n", StringComparison.Ordinal));
        });
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    [Fact]
    public async Task Emergency_run_commits_and_stays_open_until_another_person_reviews_it()
    {
        var ran = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "--emergency", "--reason", "checkout is down, user 30 blocks it", "-c", "DELETE FROM users WHERE id = 30");
        Assert.True(ran.ExitCode == 0, ran.ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 30"));
        var review = TeamSetup.RequestId(ran);

        var waiting = await _team.Bob.RunAsync("approvals", "--strict", "--json");
        Assert.True(waiting.ExitCode == 1, waiting.ToString());
        using (var json = JsonDocument.Parse(waiting.Out))
        {
            var entry = json.RootElement.GetProperty("approvals").EnumerateArray().Single(a => a.GetProperty("id").GetInt64() == review);
            Assert.Equal("post-review", entry.GetProperty("kind").GetString());
            Assert.Equal("checkout is down, user 30 blocks it", entry.GetProperty("reason").GetString());
        }

        var self = await _team.Alice.RunAsync("approve", review.ToString());
        Assert.True(self.ExitCode == 3, self.ToString());

        var reviewed = await _team.Bob.RunAsync("approve", review.ToString(), "--reason", "right call");
        Assert.True(reviewed.ExitCode == 0, reviewed.ToString());
        Assert.Contains("Reviewed", reviewed.Out);
        var clear = await _team.Bob.RunAsync("approvals", "--strict");
        Assert.True(clear.ExitCode == 0, clear.ToString());
    }

    [Fact]
    public async Task Emergency_run_is_refused_where_the_tier_keeps_break_glass_off()
    {
        var refused = await _team.Alice.RunAsync("run", "-e", "qa", "--emergency", "--reason", "in a hurry", "-c", "DELETE FROM users WHERE id = 31");
        Assert.True(refused.ExitCode == 3, refused.ToString());
        Assert.Contains("break glass is off for the staging tier", refused.Error);

        var noReason = await _team.Alice.RunAsync("run", "-e", "prod", "--emergency", "-c", "DELETE FROM users WHERE id = 31");
        Assert.True(noReason.ExitCode == 2, noReason.ToString());
        Assert.Contains("--reason", noReason.Error);
    }
}

using Backstop.Testing;

namespace Backstop.Cli.Tests.Team;

/// <summary>What expires does expire: a token after token_expiry, an approval after execute_window (issue 15, points 2 and 4).</summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class ExpiryTests : IAsyncLifetime
{
    private TeamSetup _team = null!;

    public async Task InitializeAsync() => _team = await TeamSetup.StartAsync("  token_expiry: 8s\n  execute_window: 2s\n");

    public async Task DisposeAsync() => await _team.DisposeAsync();

    [Fact]
    public async Task Expired_token_then_expired_approval_are_refused()
    {
        await TeamSetup.Must(_team.Alice.LoginAsync(_team.Server.Url, TeamSetup.AlicePassword));
        var request = TeamSetup.RequestId(await _team.Alice.RunAsync("run", "-e", "prod", "--json", "-c", "DELETE FROM users WHERE id = 7"));
        await TeamSetup.Must(_team.Bob.LoginAsync(_team.Server.Url, TeamSetup.BobPassword));
        var approved = await _team.Bob.RunAsync("approve", request.ToString());
        Assert.True(approved.ExitCode == 0, approved.ToString());

        // Past alice's token's expiry (as her credentials file says it), and so past the 2 s window after the approval.
        using (var credentials = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(_team.Alice.CredentialsPath)))
        {
            var expires = credentials.RootElement.GetProperty("expires").GetDateTimeOffset();
            await Task.Delay(expires - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(0.5) is { Ticks: > 0 } wait ? wait : TimeSpan.Zero);
        }

        var stale = await _team.Alice.RunAsync("execute", request.ToString());
        Assert.True(stale.ExitCode == 2, stale.ToString());
        Assert.Contains("log in again", stale.Error);

        await TeamSetup.Must(_team.Alice.LoginAsync(_team.Server.Url, TeamSetup.AlicePassword));
        var late = await _team.Alice.RunAsync("execute", request.ToString());
        Assert.True(late.ExitCode == 4, late.ToString());
        Assert.Contains("expired", late.Error);
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 7"));
    }
}

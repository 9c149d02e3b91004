using System.Net.Http.Json;
using Backstop.Core.Audit;
using Backstop.Core.State;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Team;

/// <summary>Sign-in (issue 15, point 2): repeated failures lock the account and are audited; a revoked token is refused.</summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class SignInTests : IAsyncLifetime
{
    private TeamSetup _team = null!;

    public async Task InitializeAsync() => _team = await TeamSetup.StartAsync();

    public async Task DisposeAsync() => await _team.DisposeAsync();

    [Fact]
    public async Task Twenty_failed_sign_ins_lock_the_user_and_each_is_audited()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_team.Server.Url) };
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var failed = await http.PostAsJsonAsync("/api/v1/sessions", new { user = "bob", password = "not-bobs-password-" + attempt });
            Assert.Equal(401, (int)failed.StatusCode);
        }

        var locked = await _team.Bob.LoginAsync(_team.Server.Url, TeamSetup.BobPassword);
        Assert.True(locked.ExitCode == 2, locked.ToString());
        Assert.Contains("locked", locked.Error);

        var log = await AuditLogs.OpenAsync(StateLocation.Of(Core.Configuration.ConfigLoader.Load(_team.Workspace.ConfigPath), _ => null), null, CancellationToken.None);
        var entries = await log.ListAsync(null, "bob", 1000, CancellationToken.None);
        Assert.Equal(21, entries.Count(e => e.Action == "signin.failed"));
        Assert.Equal(20, entries.Count(e => e.Action == "signin.failed" && e.Detail?.GetValueOrDefault("reason") == "wrong password"));
        Assert.DoesNotContain(entries, e => e.Action == "signin");

        // An admin lifts the lock by giving a new password.
        await TeamSetup.Must(_team.Root.LoginAsync(_team.Server.Url, TeamSetup.RootPassword));
        await TeamSetup.Must(_team.Root.RunWithInputAsync("bob-new-password-99\n", "user", "reset-password", "bob", "--password-stdin"));
        await TeamSetup.Must(_team.Bob.LoginAsync(_team.Server.Url, "bob-new-password-99"));
    }

    [Fact]
    public async Task Revoked_token_is_refused_with_log_in_again()
    {
        await TeamSetup.Must(_team.Alice.LoginAsync(_team.Server.Url, TeamSetup.AlicePassword));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_team.Alice.CredentialsPath));
        }
        var kept = await File.ReadAllTextAsync(_team.Alice.CredentialsPath);
        Assert.DoesNotContain("password", kept, StringComparison.OrdinalIgnoreCase);

        await TeamSetup.Must(_team.Alice.RunAsync("logout"));
        Assert.False(File.Exists(_team.Alice.CredentialsPath));

        // The same token, kept by someone who copied it before the logout.
        await File.WriteAllTextAsync(_team.Alice.CredentialsPath, kept);
        var refused = await _team.Alice.RunAsync("approvals");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("log in again", refused.Error);
    }
}

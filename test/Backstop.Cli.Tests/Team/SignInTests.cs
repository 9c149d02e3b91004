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
    public async Task Disabled_user_is_signed_out_at_once_and_only_an_admin_manages_people()
    {
        await TeamSetup.Must(_team.Alice.LoginAsync(_team.Server.Url, TeamSetup.AlicePassword));
        await TeamSetup.Must(_team.Root.LoginAsync(_team.Server.Url, TeamSetup.RootPassword));
        var dave = new TeamCli("dave", _team.Workspace.Directory);
        await TeamSetup.Must(_team.Root.RunWithInputAsync("dave-long-password\n", "user", "add", "dave", "--role", "requester", "--password-stdin"));
        await TeamSetup.Must(dave.LoginAsync(_team.Server.Url, "dave-long-password"));

        var notAdmin = await _team.Alice.RunWithInputAsync("mallory-password-1\n", "user", "add", "mallory", "--role", "admin", "--password-stdin");
        Assert.True(notAdmin.ExitCode == 3, notAdmin.ToString());
        Assert.Contains("needs the admin role", notAdmin.Error);

        var weak = await _team.Root.RunWithInputAsync("short\n", "user", "add", "carol", "--role", "approver", "--password-stdin");
        Assert.True(weak.ExitCode == 2, weak.ToString());
        Assert.Contains("at least 12 characters", weak.Error);

        await TeamSetup.Must(_team.Root.RunAsync("user", "disable", "dave"));
        var refused = await dave.RunAsync("approvals");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("log in again", refused.Error);

        var listed = await _team.Root.RunAsync("user", "list", "--json");
        Assert.Contains("\"disabled\": true", listed.Out);
        Assert.DoesNotContain("argon2", listed.Out);
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

        // A script holds the token in BACKSTOP_SERVER and BACKSTOP_TOKEN instead of a credentials file.
        var script = new TeamCli("script", _team.Workspace.Directory);
        using (var credentials = System.Text.Json.JsonDocument.Parse(kept))
        {
            script.Variables["BACKSTOP_SERVER"] = _team.Server.Url;
            script.Variables["BACKSTOP_TOKEN"] = credentials.RootElement.GetProperty("token").GetString()!;
        }

        await TeamSetup.Must(script.RunAsync("approvals"));

        await TeamSetup.Must(_team.Alice.RunAsync("logout"));
        var scripted = await script.RunAsync("approvals");
        Assert.True(scripted.ExitCode == 2, scripted.ToString());
        Assert.False(File.Exists(_team.Alice.CredentialsPath));

        // The same token, kept by someone who copied it before the logout.
        await File.WriteAllTextAsync(_team.Alice.CredentialsPath, kept);
        var refused = await _team.Alice.RunAsync("approvals");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("log in again", refused.Error);
    }
}

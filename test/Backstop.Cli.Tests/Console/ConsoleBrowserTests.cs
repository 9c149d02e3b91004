using System.Text.RegularExpressions;
using Backstop.Cli.Tests.Team;
using Backstop.Testing;
using Microsoft.Playwright;

namespace Backstop.Cli.Tests.Console;

/// <summary>
/// The web console in a real browser (issue 17): Debian's Chromium driven by Playwright against a real `backstop server`
/// process, with a requester (alice), an approver (bob) and an admin (root). Screenshots of every page go to
/// artifacts/console/ at the repository's root (BACKSTOP_TEST_ARTIFACTS overrides it).
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed partial class ConsoleBrowserTests : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";

    private TeamSetup _team = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private string _downUrl = "";

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: test.sh installs Debian's chromium package (scripts/prerequisites.sh)");
        // A daily backup schedule, and a chat webhook whose receiver is down: its failures must show in the console.
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var downUrl = _downUrl = $"http://127.0.0.1:{((System.Net.IPEndPoint)closed.LocalEndpoint).Port}/hook";
        closed.Stop();
        _team = await TeamSetup.StartAsync(
            serverEnvironment: new Dictionary<string, string>(StringComparer.Ordinal) { ["CHAT_WEBHOOK"] = downUrl, ["SNAPSHOT_KEY"] = SnapshotKey },
            before: async (workspace, _) =>
            {
                await workspace.AddSettingAsync("prod", "schedule:\n      timezone: Europe/Berlin\n      backup: \"0 3 * * *\"");
                workspace.Variables["SNAPSHOT_KEY"] = SnapshotKey;
                await workspace.AddSettingAsync("prod", TeamSetup.SnapshotRules);
                await File.AppendAllTextAsync(workspace.ConfigPath, """
                    notifications:
                      webhooks:
                        chat:
                          url: env:CHAT_WEBHOOK
                          attempts: 2
                          backoff: 100ms

                    """);
            });
        await _team.LoginAllAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    private const string SnapshotKey = "a snapshot key of thirty-two bytes or more, for the console";

    [Fact]
    public async Task An_approver_gets_a_snapshot_link_on_the_console_and_the_browser_downloads_it_once()
    {
        var created = await _team.Workspace.RunAsync("snapshot", "create", "-e", "prod", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var id = System.Text.Json.JsonDocument.Parse(created.Out).RootElement.GetProperty("id").GetString()!;

        var bob = await SignInAsync("bob", TeamSetup.BobPassword);
        await bob.GotoAsync("/environments/prod");
        await bob.ClickAsync("a[href='/environments/prod/snapshots']");
        await Assertions.Expect(bob.Locator("tbody tr").First).ToContainTextAsync(id);
        await Assertions.Expect(bob.Locator("tbody tr").First).ToContainTextAsync("usable");
        await bob.ClickAsync("button:has-text('Get a download link')");

        var link = bob.Locator("a[download]");
        await Assertions.Expect(link).ToHaveTextAsync($"Download snapshot {id}");
        await Assertions.Expect(bob.Locator("[role=status]")).ToContainTextAsync("works once");
        var url = await link.GetAttributeAsync("href") ?? throw new InvalidOperationException("no link");
        await ShotAsync(bob, "snapshot-link");

        // The browser's own session follows the link: once.
        var first = await bob.Context.APIRequest.GetAsync(url);
        Assert.Equal(200, first.Status);
        Assert.Equal("application/x-tar", first.Headers["content-type"]);
        Assert.Equal(410, (await bob.Context.APIRequest.GetAsync(url)).Status);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _team.DisposeAsync();
    }

    private static string Artifacts
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("BACKSTOP_TEST_ARTIFACTS") is { Length: > 0 } set
                ? set
                : Path.Combine(RepositoryRoot(), "artifacts");
            var folder = Path.Combine(root, "console");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Backstop.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? Path.GetTempPath();
    }

    private async Task<IPage> SignInAsync(string user, string password, ViewportSize? viewport = null)
    {
        var context = await _browser.NewContextAsync(new() { BaseURL = _team.Server.Url, ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        // No page of the console may run a script: a dialog would mean one ran.
        page.Dialog += (_, dialog) => Assert.Fail($"a script ran in the console and opened a dialog: {dialog.Message}");
        await page.GotoAsync("/signin");
        await page.FillAsync("#user", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(new Regex("/environments$"));
        return page;
    }

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, name + ".png"), FullPage = true });

    private static async Task<string> FormTokenAsync(IPage page) =>
        await page.Locator("form[action='/signout'] input[name=csrf]").GetAttributeAsync("value") ?? throw new InvalidOperationException("no form token on the page");

    [Fact]
    public async Task Requester_sees_the_exact_impact_cannot_approve_her_own_request_and_an_approver_approves_it()
    {
        // alice asks to delete user 1: its 5 leads go with it by cascade, which production sends for approval. The script
        // carries a script tag, which the console must show as text.
        var asked = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "-c", "-- <script>alert(1)</script>\nDELETE FROM users WHERE id = 1");
        Assert.True(asked.ExitCode == 4, asked.ToString());
        var request = TeamSetup.RequestId(asked);

        var alice = await SignInAsync("alice", TeamSetup.AlicePassword);
        Assert.Contains("PRODUCTION", await alice.Locator("table").InnerTextAsync());
        await ShotAsync(alice, "environments");

        await alice.GotoAsync("/approvals");
        await alice.ClickAsync($"a[href='/approvals/{request}']");
        var impact = await alice.Locator("table").InnerTextAsync();
        Assert.Matches(@"public\.users\s+0\s+0\s+1\s+50\s+2 %", impact);
        Assert.Matches(@"public\.leads\s+0\s+0\s+5\s+250\s+2 %", impact);
        Assert.Contains("<script>alert(1)</script>", await alice.Locator("pre.script").InnerTextAsync());
        Assert.Equal(0, await alice.Locator("script").CountAsync());
        Assert.Contains("cascade", (await alice.Locator("ul.reasons").InnerTextAsync()).ToLowerInvariant());
        // Her own request: no approve button, only the note and the withdrawal.
        Assert.Equal(0, await alice.GetByRole(AriaRole.Button, new() { Name = "Approve" }).CountAsync());
        Assert.Contains("another person must approve it", await alice.Locator("main").InnerTextAsync());
        await ShotAsync(alice, "approval-requester");

        // A forged approval by alice herself, with a valid anti-forgery token: the server refuses it anyway.
        var forged = alice.Context.APIRequest.CreateFormData();
        forged.Set("csrf", await FormTokenAsync(alice));
        var self = await alice.Context.APIRequest.PostAsync($"/approvals/{request}/approve", new() { Form = forged, MaxRedirects = 0 });
        Assert.Equal(403, self.Status);
        Assert.Contains("nobody approves their own request", await self.TextAsync());

        // bob approves it in his own browser.
        var bob = await SignInAsync("bob", TeamSetup.BobPassword);
        await bob.GotoAsync($"/approvals/{request}");
        await bob.FillAsync("#approve-reason", "user 1 asked to be forgotten <b>now</b>");
        await bob.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await bob.WaitForURLAsync(new Regex($"/approvals/{request}$"));
        Assert.Equal("approved", await bob.Locator("dd .status").InnerTextAsync());
        Assert.Contains("bob approved", await bob.Locator("main").InnerTextAsync());
        Assert.Contains("<b>now</b>", await bob.Locator("main").InnerTextAsync());
        await ShotAsync(bob, "approval-approved");

        // alice runs it; its change page gives the undo command.
        var executed = await _team.Alice.RunAsync("execute", request.ToString(), "--json");
        Assert.True(executed.ExitCode == 0, executed.ToString());
        await alice.GotoAsync($"/changes/{executed.ChangeId}");
        Assert.Contains($"backstop undo {executed.ChangeId} -e prod", await alice.Locator("code.command").InnerTextAsync());
        await ShotAsync(alice, "change");
        await alice.GotoAsync("/changes?outcome=committed&user=alice");
        Assert.Contains(executed.ChangeId, await alice.Locator("table").InnerTextAsync());
        await ShotAsync(alice, "changes");
    }

    [Fact]
    public async Task State_changing_request_without_the_anti_forgery_token_is_refused_and_changes_nothing()
    {
        var asked = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "-c", "DELETE FROM users WHERE id = 2");
        var request = TeamSetup.RequestId(asked);
        var bob = await SignInAsync("bob", TeamSetup.BobPassword);

        var noToken = await bob.Context.APIRequest.PostAsync($"/approvals/{request}/approve", new() { Form = bob.Context.APIRequest.CreateFormData(), MaxRedirects = 0 });
        Assert.Equal(403, noToken.Status);
        Assert.Contains("anti-forgery", await noToken.TextAsync());
        var wrong = bob.Context.APIRequest.CreateFormData();
        wrong.Set("csrf", "not-the-token");
        Assert.Equal(403, (await bob.Context.APIRequest.PostAsync($"/approvals/{request}/approve", new() { Form = wrong, MaxRedirects = 0 })).Status);

        await bob.GotoAsync($"/approvals/{request}");
        Assert.Equal("open", await bob.Locator("dd .status").InnerTextAsync());

        // Without a session: pages send the browser to sign in (and back afterwards), posts are refused.
        var stranger = await (await _browser.NewContextAsync(new() { BaseURL = _team.Server.Url })).NewPageAsync();
        await stranger.GotoAsync($"/approvals/{request}");
        Assert.EndsWith($"/signin?next=%2Fapprovals%2F{request}", stranger.Url);
        var anonymous = await stranger.Context.APIRequest.PostAsync($"/approvals/{request}/approve", new() { Form = stranger.Context.APIRequest.CreateFormData(), MaxRedirects = 0 });
        Assert.Equal(401, anonymous.Status);
        var forgedCookie = await stranger.Context.APIRequest.GetAsync("/environments", new() { Headers = new Dictionary<string, string> { ["Cookie"] = "backstop_console=bs_not-a-real-token" }, MaxRedirects = 0 });
        Assert.Equal(302, forgedCookie.Status);

        // The pages forbid scripts and framing, and the session cookie is out of scripts' reach and this site's only.
        var response = await bob.Context.APIRequest.GetAsync("/environments");
        var policy = response.Headers["content-security-policy"];
        Assert.Contains("default-src 'none'", policy);
        Assert.DoesNotContain("script-src", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        var cookie = Assert.Single(await bob.Context.CookiesAsync(), c => c.Name == "backstop_console");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
    }

    [Fact]
    public async Task Environment_page_shows_the_last_proven_restore_and_admins_manage_people_on_a_phone_sized_screen()
    {
        var backup = await _team.Workspace.RunAsync("backup", "run", "-e", "prod", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var drill = await _team.Workspace.RunAsync("backup", "verify", "--latest", "-e", "prod");
        Assert.True(drill.ExitCode == 0, drill.ToString());

        var root = await SignInAsync("root", TeamSetup.RootPassword, new ViewportSize { Width = 390, Height = 844 });
        await root.ClickAsync("a[href='/environments/prod']");
        await ShotAsync(root, "environment");
        var facts = await root.Locator("dl.facts").InnerTextAsync();
        // The workspace's CLI runs on a fixed clock weeks back (CliWorkspace), the server on the real one: so the proof is
        // there, and marked as older than production's 24 hours.
        Assert.Matches(@"Last proven restore\s+\d+ days ago \(older than 24 h\) \(backup \d{8}-\d{6}\)", facts);
        Assert.Contains("older than 24 h", await root.Locator("dl.facts dd span.bad").Last.InnerTextAsync());
        Assert.Contains("passed", await root.Locator("table").InnerTextAsync());

        // The schedule with its next run, and the webhook that failed for alice's request, on the schedules page.
        var asked = await _team.Alice.RunAsync("run", "-e", "prod", "--json", "-c", "DELETE FROM users WHERE id = 3");
        Assert.True(asked.ExitCode == 4, asked.ToString());
        await root.GotoAsync("/schedules");
        Assert.Matches(@"prod\s+PRODUCTION\s+backup\s+0 3 \* \* \*\s+Europe/Berlin\s+\d{4}-\d\d-\d\d \d\d:00:00Z\s+not run yet", await root.Locator("table").First.InnerTextAsync());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await root.Locator("main").InnerTextAsync()).Contains("deliveries failed every try", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            await root.ReloadAsync();
        }

        Assert.Matches(@"approval\.requested\s+chat\s+prod\s+.*failed\s+2", await root.Locator("table").Last.InnerTextAsync());
        Assert.DoesNotContain(_downUrl, await root.ContentAsync());
        await ShotAsync(root, "schedules");

        // The schema safety review of the environment, on the live catalog: leads.user_id cascades without an index.
        await root.GotoAsync("/environments/prod");
        await root.ClickAsync("a[href='/environments/prod/review']");
        await ShotAsync(root, "review");
        var review = await root.Locator("main").InnerTextAsync();
        Assert.Contains("cascade-without-index", review);
        Assert.Contains("CREATE INDEX CONCURRENTLY", review);
        Assert.Matches(@"public\.users\s+public\.leads \(cascade, no index\)\s+about \d+", await root.Locator("table").InnerTextAsync());

        await root.GotoAsync("/audit");
        Assert.Contains("Intact", await root.Locator("section.card").InnerTextAsync());
        await ShotAsync(root, "audit");

        await root.GotoAsync("/users");
        await root.FillAsync("#new-name", "carol");
        await root.SelectOptionAsync("#new-role", "approver");
        await root.FillAsync("#new-password", "carol-long-password");
        await root.GetByRole(AriaRole.Button, new() { Name = "Add" }).ClickAsync();
        await root.WaitForURLAsync(new Regex("/users$"));
        Assert.Matches(@"carol\s+approver\s+active", await root.Locator("table").InnerTextAsync());
        await root.Locator("form[action='/users/carol/disable'] button").ClickAsync();
        await root.WaitForURLAsync(new Regex("/users$"));
        Assert.Matches(@"carol\s+approver\s+disabled", await root.Locator("table").InnerTextAsync());
        await ShotAsync(root, "users");

        // alice is no admin: the page refuses her, and so does a forged post.
        var alice = await SignInAsync("alice", TeamSetup.AlicePassword);
        var page = await alice.GotoAsync("/users");
        Assert.Equal(403, page!.Status);
        var forged = alice.Context.APIRequest.CreateFormData();
        forged.Set("csrf", await FormTokenAsync(alice));
        Assert.Equal(403, (await alice.Context.APIRequest.PostAsync("/users/bob/disable", new() { Form = forged, MaxRedirects = 0 })).Status);
    }
}

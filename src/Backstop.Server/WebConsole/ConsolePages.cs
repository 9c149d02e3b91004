using System.Globalization;
using Backstop.Core.Configuration;
using Backstop.Core.Notifications;
using Backstop.Core.Preview;
using Backstop.Core.Review;
using Backstop.Core.Schedules;
using Backstop.Core.State;
using Backstop.Core.Team;
using Backstop.Recovery.Backups;
using Backstop.Recovery.Catalog;
using Backstop.Server.Api;
using Backstop.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Backstop.Server.WebConsole;

/// <summary>
/// The web console (docs/console.md): server-rendered pages over the same services as the API, with the same sign-in.
/// No script runs in them (the Content-Security-Policy allows none); every state-changing request is a form POST with
/// the session's anti-forgery token (<see cref="ConsoleSession"/>), answered with a redirect.
/// </summary>
internal static class ConsolePages
{
    /// <summary>Pages load their own stylesheet and nothing else; forms post only here; nothing may frame them.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void Map(WebApplication app)
    {
        app.MapGet("/", (HttpContext http) => Results.Redirect(ConsoleSession.Token(http) is null ? "/signin" : "/environments"));
        app.MapGet("/console.css", (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Text(ConsoleStyle.Css, "text/css; charset=utf-8");
        });

        app.MapGet("/signin", (HttpContext http, string? next) => SignInPage(http, next, null, 200));
        app.MapPost("/signin", async (HttpContext http, SignInService signIn) =>
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            var next = LocalPath(form["next"].ToString());
            try
            {
                ConsoleSession.CheckSignIn(http, form);
                var (token, expires, _) = await signIn.SignInAsync(form["user"].ToString(), form["password"].ToString(), Caller.From(http), "console", http.RequestAborted);
                ConsoleSession.Start(http, token, expires);
                return Results.Redirect(next, permanent: false);
            }
            catch (ProblemException e)
            {
                return SignInPage(http, next, e.Message, e.Status);
            }
        }).RequireRateLimiting(Endpoints.SignInPolicy);
        app.MapPost("/signout", (HttpContext http, SignInService signIn) => PostAsync(http, signIn, async (user, _) =>
        {
            await signIn.SignOutAsync(user, http.RequestAborted);
            ConsoleSession.End(http);
            return "/signin";
        }));

        app.MapGet("/environments", (HttpContext http, SignInService signIn, ServerContext server, ApprovalService approvals) =>
            PageAsync(http, signIn, user => EnvironmentsAsync(server, approvals, http.RequestAborted)));
        app.MapGet("/environments/{name}", (string name, HttpContext http, SignInService signIn, ServerContext server, ApprovalService approvals) =>
            PageAsync(http, signIn, user => EnvironmentAsync(server, approvals, name, http.RequestAborted)));

        app.MapGet("/environments/{name}/snapshots", (string name, HttpContext http, SignInService signIn, SnapshotLinkService snapshots) =>
            PageAsync(http, signIn, user => Task.FromResult(SnapshotsPage(snapshots, name, ConsoleSession.Token(http)!, null, DateTimeOffset.UtcNow))));
        app.MapPost("/environments/{name}/snapshots/{id}/link", (string name, string id, HttpContext http, SignInService signIn, ServerContext server, SnapshotLinkService snapshots) =>
            LinkAsync(http, signIn, server, snapshots, name, id));

        app.MapGet("/environments/{name}/review", (string name, HttpContext http, SignInService signIn, ServerContext server) =>
            PageAsync(http, signIn, user => ReviewAsync(server, user, name, http.RequestAborted)));

        app.MapGet("/approvals", (string? environment, bool? all, HttpContext http, SignInService signIn, ServerContext server, ApprovalService approvals) =>
            PageAsync(http, signIn, user => ApprovalsAsync(server, approvals, environment, all ?? false, http.RequestAborted)));
        app.MapGet("/approvals/{id:long}", (long id, HttpContext http, SignInService signIn, ServerContext server, ApprovalService approvals) =>
            PageAsync(http, signIn, user => ApprovalAsync(server, approvals, user, ConsoleSession.Token(http)!, id, http.RequestAborted)));
        app.MapPost("/approvals/{id:long}/approve", (long id, HttpContext http, SignInService signIn, ApprovalService approvals) =>
            PostAsync(http, signIn, async (user, form) =>
            {
                var reason = form["reason"].ToString();
                await approvals.ApproveAsync(user, id, string.IsNullOrWhiteSpace(reason) ? null : reason, http.RequestAborted);
                return $"/approvals/{id}";
            }));
        app.MapPost("/approvals/{id:long}/reject", (long id, HttpContext http, SignInService signIn, ApprovalService approvals) =>
            PostAsync(http, signIn, async (user, form) =>
            {
                await approvals.RejectAsync(user, id, form["reason"].ToString(), http.RequestAborted);
                return $"/approvals/{id}";
            }));

        app.MapGet("/changes", (string? environment, string? user, string? outcome, HttpContext http, SignInService signIn, ServerContext server) =>
            PageAsync(http, signIn, _ => ChangesAsync(server, environment, user, outcome, http.RequestAborted)));
        app.MapGet("/changes/{id:long}", (long id, HttpContext http, SignInService signIn, ServerContext server) =>
            PageAsync(http, signIn, _ => ChangeAsync(server, id, http.RequestAborted)));

        app.MapGet("/schedules", (string? environment, HttpContext http, SignInService signIn, ServerContext server, ScheduleService schedules, NotificationStore notifications) =>
            PageAsync(http, signIn, user => SchedulesAsync(server, schedules, notifications, user, environment, http.RequestAborted)));

        app.MapGet("/audit", (string? actor, string? action, string? environment, HttpContext http, SignInService signIn, ServerContext server) =>
            PageAsync(http, signIn, user => AuditAsync(server, user, actor, action, environment, http.RequestAborted)));

        app.MapGet("/users", (HttpContext http, SignInService signIn, UserService users) =>
            PageAsync(http, signIn, user => UsersAsync(users, user, ConsoleSession.Token(http)!, http.RequestAborted)));
        app.MapPost("/users", (HttpContext http, SignInService signIn, UserService users) => PostAsync(http, signIn, async (user, form) =>
        {
            Admin(user);
            var role = Enum.TryParse<TeamRole>(form["role"].ToString(), ignoreCase: true, out var parsed)
                ? parsed
                : throw ProblemException.BadRequest($"role {form["role"]} is not one of requester, approver, admin, service");
            await users.AddAsync(user.Name, user.From, form["name"].ToString(), role, form["password"].ToString(), http.RequestAborted);
            return "/users";
        }));
        app.MapPost("/users/{name}/disable", (string name, HttpContext http, SignInService signIn, UserService users) => PostAsync(http, signIn, async (user, _) =>
        {
            Admin(user);
            await users.DisableAsync(user.Name, user.From, name, http.RequestAborted);
            return "/users";
        }));
        app.MapPost("/users/{name}/password", (string name, HttpContext http, SignInService signIn, UserService users) => PostAsync(http, signIn, async (user, form) =>
        {
            Admin(user);
            await users.ResetPasswordAsync(user.Name, user.From, name, form["password"].ToString(), http.RequestAborted);
            return "/users";
        }));
        app.MapPost("/users/{name}/revoke", (string name, HttpContext http, SignInService signIn, UserService users) => PostAsync(http, signIn, async (user, _) =>
        {
            Admin(user);
            await users.RevokeTokensAsync(user.Name, user.From, name, http.RequestAborted);
            return "/users";
        }));
    }

    // ---------------------------------------------------------------- plumbing

    private sealed record Page(string Title, Html Body, int Status = 200);

    private static async Task<IResult> PageAsync(HttpContext http, SignInService signIn, Func<SignedInUser, Task<Page>> render)
    {
        SignedInUser user;
        try
        {
            user = await signIn.AuthenticateAsync(ConsoleSession.Token(http), Caller.From(http), http.RequestAborted);
        }
        catch (ProblemException e) when (e.Status == 401)
        {
            return Results.Redirect("/signin?next=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString));
        }

        Page page;
        try
        {
            page = await render(user);
        }
        catch (ProblemException e)
        {
            page = new Page(e.Status == 404 ? "Not found" : "Refused", Html.Of($"<p class=\"error\" role=\"alert\">{e.Message}</p>"), e.Status);
        }

        return Render(http, page, user, ConsoleSession.Token(http));
    }

    private static async Task<IResult> PostAsync(HttpContext http, SignInService signIn, Func<SignedInUser, IFormCollection, Task<string>> act)
    {
        SignedInUser? user = null;
        var token = ConsoleSession.Token(http);
        try
        {
            user = await signIn.AuthenticateAsync(token, Caller.From(http), http.RequestAborted);
            var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : FormCollection.Empty;
            ConsoleSession.CheckForm(http, form, token!);
            var next = await act(user, form);
            // 303: the browser follows with a GET, so a reload does not post again.
            http.Response.Headers.Location = next;
            return Results.StatusCode(303);
        }
        catch (ProblemException e)
        {
            return Render(http, new Page(e.Status == 401 ? "Not signed in" : "Refused", Html.Of($"<p class=\"error\" role=\"alert\">{e.Message}</p><p><a href=\"/\">Back to the console</a></p>"), e.Status), user, token);
        }
    }

    private static IResult Render(HttpContext http, Page page, SignedInUser? user, string? sessionToken)
    {
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        var nav = user is null || sessionToken is null
            ? Html.Empty
            : Html.Of($"""
                <nav aria-label="Main">
                  <a class="brand" href="/environments">Backstop</a>
                  <a href="/environments">Environments</a>
                  <a href="/approvals">Approvals</a>
                  <a href="/changes">Changes</a>
                  <a href="/schedules">Schedules</a>
                  {Html.When(user.User.MayApprove, Html.Of($"<a href=\"/audit\">Audit</a>"))}
                  {Html.When(user.User.Role == TeamRole.Admin, Html.Of($"<a href=\"/users\">Users</a>"))}
                  <span class="who">{user.Name} <span class="role">({Lower(user.User.Role)})</span></span>
                  <form method="post" action="/signout" class="inline">{Csrf(sessionToken)}<button type="submit">Sign out</button></form>
                </nav>
                """);
        var html = Html.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{page.Title} · Backstop</title>
            <link rel="stylesheet" href="/console.css">
            </head>
            <body>
            <a class="skip" href="#main">Skip to the content</a>
            <header>{nav}</header>
            <main id="main">
            <h1>{page.Title}</h1>
            {page.Body}
            </main>
            <footer>Backstop {ServerHost.Version}</footer>
            </body>
            </html>
            """);
        return Results.Content(html.ToString(), "text/html; charset=utf-8", statusCode: page.Status);
    }

    private static IResult SignInPage(HttpContext http, string? next, string? error, int status)
    {
        var token = ConsoleSession.SignInToken(http);
        var body = Html.Of($"""
            {Html.When(error is not null, Html.Of($"<p class=\"error\" role=\"alert\">{error}</p>"))}
            <form method="post" action="/signin" class="card narrow">
              <input type="hidden" name="{ConsoleSession.FormField}" value="{token}">
              <input type="hidden" name="next" value="{LocalPath(next)}">
              <label for="user">User name</label>
              <input id="user" name="user" autocomplete="username" required autofocus>
              <label for="password">Password</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required>
              <button type="submit">Sign in</button>
            </form>
            """);
        return Render(http, new Page("Sign in", body, status), null, null);
    }

    private static Html Csrf(string sessionToken) =>
        Html.Of($"<input type=\"hidden\" name=\"{ConsoleSession.FormField}\" value=\"{ConsoleSession.FormToken(sessionToken)}\">");

    /// <summary>Where to go after sign-in: a path of this site only (never another host).</summary>
    private static string LocalPath(string? next) =>
        next is { Length: > 0 } path && path[0] == '/' && !path.StartsWith("//", StringComparison.Ordinal) && !path.StartsWith("/\\", StringComparison.Ordinal) ? path : "/environments";

    private static void Admin(SignedInUser user)
    {
        if (user.User.Role != TeamRole.Admin)
        {
            throw ProblemException.Refused($"managing people needs the admin role; {user.Name} is {Lower(user.User.Role)}");
        }
    }

    private static string Lower<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static Html Tier(Tier tier) =>
        Html.Of($"<span class=\"tier tier-{Lower(tier)}\">{(tier == Core.Configuration.Tier.Production ? "PRODUCTION" : Lower(tier))}</span>");

    private static string Age(TimeSpan age) => age switch
    {
        { TotalMinutes: < 1 } => "just now",
        { TotalHours: < 1 } => $"{(int)age.TotalMinutes} min ago",
        { TotalDays: < 2 } => $"{(int)age.TotalHours} h ago",
        _ => $"{(int)age.TotalDays} days ago",
    };

    private static Html When(DateTimeOffset at, DateTimeOffset now) =>
        Html.Of($"<time datetime=\"{at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}\" title=\"{at.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}\">{Age(now - at)}</time>");

    private static string Share(long changed, long? before) =>
        before is > 0 ? (100.0 * changed / before.Value).ToString(changed * 1000 < before.Value ? "0.###" : "0.#", CultureInfo.InvariantCulture) + " %" : "—";

    // ---------------------------------------------------------------- environments and backups

    private sealed record BackupSummary(BackupEntry? Last, BackupEntry? Proven, DrillEntry? ProvenBy, bool Stale);

    private static Task<IBackupCatalog> CatalogAsync(ServerContext server, CancellationToken cancellationToken) =>
        BackupCatalogs.OpenAsync(StateLocation.Of(server.Config, server.Connector.Variables), null, cancellationToken);

    private static async Task<(IReadOnlyList<BackupEntry> Backups, IReadOnlyList<DrillEntry> Drills)> BackupsAsync(IBackupCatalog catalog, string environment, CancellationToken cancellationToken) =>
        (await catalog.ListAsync(environment, cancellationToken), await catalog.ListDrillsAsync(environment, cancellationToken));

    /// <summary>
    /// The last backup and the last proven restore: the newest complete logical backup of the environment's database whose
    /// latest drill passed (as <c>backup status</c> counts, without re-reading the files, which that command does).
    /// </summary>
    private static BackupSummary Summarize(EnvironmentConfig environment, IReadOnlyList<BackupEntry> backups, IReadOnlyList<DrillEntry> drills, DateTimeOffset now)
    {
        var logical = backups.Where(b => b.Kind == "logical" && b.Status == BackupStatus.Complete
            && (environment.Identity is not { } identity || b.Database == identity.Database)).OrderByDescending(b => b.StartedAt).ToList();
        var latestDrill = drills.Where(d => d.Kind == "logical").GroupBy(d => d.BackupId).ToDictionary(g => g.Key, g => g.OrderByDescending(d => d.FinishedAt).First(), StringComparer.Ordinal);
        var proven = logical.FirstOrDefault(b => latestDrill.TryGetValue(b.Id, out var d) && d.Passed);
        var stale = proven is null || now - proven.StartedAt > environment.Backup.ProvenWithin;
        return new BackupSummary(logical.FirstOrDefault(), proven, proven is null ? null : latestDrill[proven.Id], stale);
    }

    private static Html ProvenCell(BackupSummary summary, EnvironmentConfig environment, DateTimeOffset now) => summary.Proven is { } proven
        ? Html.Of($"<span class=\"{(summary.Stale ? "bad" : "good")}\">{When(proven.StartedAt, now)}</span>{Html.When(summary.Stale, Html.Of($" <span class=\"bad\">(older than {environment.Backup.ProvenWithin.TotalHours:0.#} h)</span>"))}")
        : Html.Of($"<span class=\"bad\">never</span>");

    private static async Task<Page> EnvironmentsAsync(ServerContext server, ApprovalService approvals, CancellationToken cancellationToken)
    {
        var now = server.Clock.GetUtcNow();
        var open = await approvals.ListAsync(null, false, cancellationToken);
        var rows = new List<Html>();
        // One catalog for the page, not one per environment.
        var catalog = await CatalogAsync(server, cancellationToken);
        foreach (var environment in server.Config.Environments)
        {
            var (backups, drills) = await BackupsAsync(catalog, environment.Name, cancellationToken);
            var summary = Summarize(environment, backups, drills, now);
            var waiting = open.Count(a => a.Environment == environment.Name);
            rows.Add(Html.Of($"""
                <tr class="{(summary.Stale ? "stale" : "")}">
                  <th scope="row"><a href="/environments/{environment.Name}">{environment.Name}</a></th>
                  <td>{Tier(environment.Tier)}</td>
                  <td>{Identity(environment)}</td>
                  <td>{(summary.Last is { } last ? When(last.StartedAt, now) : Html.Of($"<span class=\"bad\">none</span>"))}</td>
                  <td>{ProvenCell(summary, environment, now)}</td>
                  <td>{(environment.Pitr is { } pitr ? $"on (stanza {pitr.Stanza ?? environment.Name})" : "off")}</td>
                  <td>{(waiting > 0 ? Html.Of($"<a href=\"/approvals?environment={environment.Name}\">{waiting} open</a>") : Html.Of($"none"))}</td>
                </tr>
                """));
        }

        return new Page("Environments", Html.Of($"""
            <div class="scroll"><table>
            <thead><tr><th scope="col">Environment</th><th scope="col">Tier</th><th scope="col">Server</th><th scope="col">Last backup</th><th scope="col">Last proven restore</th><th scope="col">PITR</th><th scope="col">Approvals</th></tr></thead>
            <tbody>{Html.Join(rows)}</tbody>
            </table></div>
            """));
    }

    private static Html Identity(EnvironmentConfig environment) => environment.Identity is { } identity
        ? Html.Of($"{identity.Host}:{identity.Port.ToString(CultureInfo.InvariantCulture)}/{identity.Database}")
        : Html.Of($"<span class=\"muted\">not recorded</span>");

    private static async Task<Page> EnvironmentAsync(ServerContext server, ApprovalService approvals, string name, CancellationToken cancellationToken)
    {
        var environment = server.Environment(name);
        var now = server.Clock.GetUtcNow();
        var (backups, drills) = await BackupsAsync(await CatalogAsync(server, cancellationToken), name, cancellationToken);
        var summary = Summarize(environment, backups, drills, now);
        var open = (await approvals.ListAsync(name, false, cancellationToken)).Count;
        var backupRows = backups.OrderByDescending(b => b.StartedAt).Take(100).Select(backup =>
        {
            var ofBackup = drills.Where(d => d.BackupId == backup.Id).OrderByDescending(d => d.FinishedAt).ToList();
            var drillCell = ofBackup.Count == 0
                ? Html.Of($"<span class=\"muted\">never drilled</span>")
                : Html.Join(ofBackup.Take(5).Select(d => d.Passed
                    ? Html.Of($"<div class=\"good\">passed {When(d.FinishedAt, now)}</div>")
                    : Html.Of($"<div class=\"bad\">failed {When(d.FinishedAt, now)}: {d.FailedCheck ?? "a check"}{(d.FailedObject is { } o ? $" on {o}" : "")}{(d.Message is { } m ? $" — {m}" : "")}</div>")));
            return Html.Of($"""
                <tr><th scope="row">{backup.Id}</th><td>{backup.Kind}</td><td>{Lower(backup.Status)}</td><td>{When(backup.StartedAt, now)}</td>
                <td>{(backup.SizeBytes is { } size ? $"{size / 1048576.0:0.0} MB" : "—")}</td><td>{(backup.Rows is { } r ? r.ToString("N0", CultureInfo.InvariantCulture) : "—")}</td><td>{drillCell}</td></tr>
                """);
        });
        return new Page($"Environment {name}", Html.Of($"""
            <dl class="facts">
              <dt>Tier</dt><dd>{Tier(environment.Tier)}</dd>
              <dt>Server</dt><dd>{Identity(environment)}</dd>
              <dt>Last backup</dt><dd>{(summary.Last is { } last ? Html.Of($"{last.Id}, {When(last.StartedAt, now)}") : Html.Of($"<span class=\"bad\">none</span>"))}</dd>
              <dt>Last proven restore</dt><dd>{ProvenCell(summary, environment, now)}{(summary.Proven is { } p ? Html.Of($" (backup {p.Id})") : Html.Empty)}</dd>
              <dt>Proof needed within</dt><dd>{environment.Backup.ProvenWithin.TotalHours:0.#} h</dd>
              <dt>Point-in-time recovery</dt><dd>{(environment.Pitr is { } pitr ? $"on, stanza {pitr.Stanza ?? name}" : "off")}</dd>
              <dt>Open approvals</dt><dd><a href="/approvals?environment={name}">{open}</a></dd>
            </dl>
            <h2>Backups and their restore drills</h2>
            {(backups.Count == 0 ? Html.Of($"<p class=\"bad\">No backup yet: <code>backstop backup create -e {name}</code>, then <code>backstop backup drill -e {name}</code>.</p>") : Html.Of($"""
                <div class="scroll"><table>
                <thead><tr><th scope="col">Backup</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Taken</th><th scope="col">Size</th><th scope="col">Rows</th><th scope="col">Drills</th></tr></thead>
                <tbody>{Html.Join(backupRows)}</tbody>
                </table></div>
                """))}
            <p><a href="/changes?environment={name}">Changes on {name}</a> · <a href="/environments/{name}/review">Schema safety review</a> · <a href="/environments/{name}/snapshots">Snapshots</a></p>
            """));
    }

    /// <summary>
    /// The environment's snapshots, newest first, each usable one with a button for a download link. The link is shown
    /// once, on the page the button's POST answers (never in a redirect, a log or the address bar of this page).
    /// </summary>
    private static Page SnapshotsPage(SnapshotLinkService snapshots, string name, string sessionToken, SnapshotLinkView? issued, DateTimeOffset now)
    {
        var list = snapshots.Snapshots(name);
        var rows = list.Take(50).Select(s => Html.Of($"""
            <tr><th scope="row">{s.Id}</th><td>{When(s.CreatedAt, now)}</td><td>{s.SizeBytes / 1048576.0:0.0} MB</td>
            <td>{(s.Usable ? Html.Of($"<span class=\"good\">usable</span>") : Html.Of($"<span class=\"bad\">failed its drill or leak scan</span>"))}</td>
            <td>{Html.When(s.Usable, Html.Of($"<form method=\"post\" action=\"/environments/{name}/snapshots/{s.Id}/link\" class=\"inline\">{Csrf(sessionToken)}<button type=\"submit\">Get a download link</button></form>"))}</td></tr>
            """));
        var link = issued is null ? Html.Empty : Html.Of($"""
            <div class="card" role="status">
              <p>Snapshot <strong>{issued.Snapshot}</strong>: this link works <strong>once</strong>, for you only, until {issued.ExpiresAt.ToString("u", CultureInfo.InvariantCulture)}.</p>
              <p><a href="{issued.Url}" download>Download snapshot {issued.Snapshot}</a></p>
              <p class="note">It is a tar of the manifest and pg_restore's directory format: unpack it and <code>pg_restore -d DATABASE dump</code>.</p>
            </div>
            """);
        return new Page($"Snapshots of {name}", Html.Of($"""
            {link}
            {(list.Count == 0 ? Html.Of($"<p>No snapshot yet: <code>backstop snapshot create -e {name}</code>, or a <code>snapshot</code> schedule.</p>") : Html.Of($"""
                <div class="scroll"><table>
                <thead><tr><th scope="col">Snapshot</th><th scope="col">Made</th><th scope="col">Size</th><th scope="col">Status</th><th scope="col">Link</th></tr></thead>
                <tbody>{Html.Join(rows)}</tbody>
                </table></div>
                """))}
            <p><a href="/environments/{name}">Back to {name}</a></p>
            """));
    }

    private static async Task<IResult> LinkAsync(HttpContext http, SignInService signIn, ServerContext server, SnapshotLinkService snapshots, string name, string id)
    {
        SignedInUser? user = null;
        var token = ConsoleSession.Token(http);
        try
        {
            user = await signIn.AuthenticateAsync(token, Caller.From(http), http.RequestAborted);
            var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : FormCollection.Empty;
            ConsoleSession.CheckForm(http, form, token!);
            var baseUrl = server.Settings.PublicUrl ?? $"{http.Request.Scheme}://{http.Request.Host}";
            var issued = await snapshots.IssueAsync(user, name, id, null, baseUrl, http.RequestAborted);
            return Render(http, SnapshotsPage(snapshots, name, token!, issued, server.Clock.GetUtcNow()), user, token);
        }
        catch (ProblemException e)
        {
            return Render(http, new Page(e.Status == 401 ? "Not signed in" : "Refused", Html.Of($"<p class=\"error\" role=\"alert\">{e.Message}</p><p><a href=\"/\">Back to the console</a></p>"), e.Status), user, token);
        }
    }

    /// <summary>
    /// `backstop review -e NAME`, run as the page loads on the environment's live catalog with the server's credentials:
    /// findings by severity, with why and the fix, and the cascades ranked by the rows a one-row delete could take.
    /// </summary>
    private static async Task<Page> ReviewAsync(ServerContext server, SignedInUser user, string name, CancellationToken cancellationToken)
    {
        if (!user.User.MayApprove)
        {
            throw ProblemException.Refused($"the schema review is for approvers and admins; {user.Name} is {Lower(user.User.Role)}");
        }

        var environment = server.Environment(name);
        var now = server.Clock.GetUtcNow();
        var health = (await new BackupService(server.Config, server.Connector, server.Clock).StatusAsync(name, cancellationToken)).Single();
        var facts = RecoverabilityFacts.Of(server.Config, environment, health.LastProvenAge, health.Limit, health.LastDrill is not null);
        ReviewReport report;
        await using (var target = await server.Connector.OpenAsync(environment, cancellationToken))
        {
            report = await SchemaReviewer.ReviewAsync(target.Connection, name, facts, environment.Review.Suppressions, now, cancellationToken, environment.Review.Roles);
        }

        var groups = report.Findings.OrderByDescending(f => f.Severity).GroupBy(f => f.Severity).Select(g => Html.Of($"""
            <h2>{Lower(g.Key)} ({g.Count(f => !f.Suppressed)}{(g.Any(f => f.Suppressed) ? $", {g.Count(f => f.Suppressed)} suppressed" : "")})</h2>
            <ul class="findings">{Html.Join(g.Select(f => Html.Of($"""
                <li class="{(f.Suppressed ? "muted" : "")}"><strong>{f.Object}</strong> <code>{f.Rule}</code>: {f.Why}
                {(f.Fix is { } fix ? Html.Of($"<pre class=\"script\"><code>{fix}</code></pre>") : Html.Empty)}
                {(f.Suppression is { } sup ? Html.Of($"<div class=\"{(f.Suppressed ? "muted" : "bad")}\">suppressed by {sup.Owner} until {sup.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}{(f.Suppressed ? "" : " (expired: it counts again)")}: {sup.Reason}</div>") : Html.Empty)}</li>
                """)))}</ul>
            """));
        var cascades = report.Cascades.OrderByDescending(c => c.RowsWorst).Take(20).Select(c => Html.Of($"""
            <tr><th scope="row">{c.Table}</th><td>{string.Join(", ", c.Steps.Select(step => $"{step.Table} ({step.Action.ToLowerInvariant()}{(step.Unindexed ? ", no index" : "")})"))}</td><td class="num">about {(long)Math.Round(c.RowsWorst)}</td><td class="num">about {(long)Math.Round(c.RowsAverage)}</td></tr>
            """));
        return new Page($"Schema safety review of {name}", Html.Of($"""
            <p>{Tier(environment.Tier)} Run on the live catalog as this page loaded; the same as <code>backstop review -e {name}</code>. Row counts are estimates from the planner's statistics.</p>
            {(report.Findings.Count == 0 ? Html.Of($"<p class=\"good\">No findings.</p>") : Html.Join(groups))}
            {Html.When(report.Cascades.Count > 0, Html.Of($"""
                <h2>Where a one-row DELETE reaches</h2>
                <div class="scroll"><table>
                <thead><tr><th scope="col">Deleting from</th><th scope="col">Reaches</th><th scope="col">Rows at worst</th><th scope="col">Rows on average</th></tr></thead>
                <tbody>{Html.Join(cascades)}</tbody>
                </table></div>
                """))}
            """));
    }

    // ---------------------------------------------------------------- approvals

    private static async Task<Page> ApprovalsAsync(ServerContext server, ApprovalService approvals, string? environment, bool all, CancellationToken cancellationToken)
    {
        var now = server.Clock.GetUtcNow();
        var list = await approvals.ListAsync(string.IsNullOrEmpty(environment) ? null : environment, all, cancellationToken);
        var rows = list.Select(a => Html.Of($"""
            <tr><th scope="row"><a href="/approvals/{a.Id}">#{a.Id}</a></th><td>{a.Environment} {Tier(TierOf(server, a.Environment))}</td><td>{a.Requester}</td>
            <td>{When(a.CreatedAt, now)}</td><td><span class="status status-{Lower(a.Status)}">{Lower(a.Status)}</span></td>
            <td>{a.Impact.Sum(t => t.Inserted + t.Updated + t.Deleted)} rows in {a.Impact.Count} table(s)</td><td><a href="/changes/{a.ChangeId}">change {a.ChangeId}</a></td></tr>
            """));
        var options = Html.Join(server.Config.Environments.Select(e => Html.Of($"<option value=\"{e.Name}\"{(e.Name == environment ? Html.Of($" selected") : Html.Empty)}>{e.Name}</option>")));
        return new Page(all ? "All approval requests" : "Open approval requests", Html.Of($"""
            <form method="get" action="/approvals" class="filters">
              <label for="environment">Environment</label>
              <select id="environment" name="environment"><option value="">all</option>{options}</select>
              <label><input type="checkbox" name="all" value="true"{(all ? Html.Of($" checked") : Html.Empty)}> closed ones too</label>
              <button type="submit">Show</button>
            </form>
            {(list.Count == 0 ? Html.Of($"<p>Nothing waiting.</p>") : Html.Of($"""
                <div class="scroll"><table>
                <thead><tr><th scope="col">Request</th><th scope="col">Environment</th><th scope="col">Requester</th><th scope="col">Asked</th><th scope="col">Status</th><th scope="col">Impact</th><th scope="col">Change</th></tr></thead>
                <tbody>{Html.Join(rows)}</tbody>
                </table></div>
                """))}
            """));
    }

    private static Tier TierOf(ServerContext server, string environment) =>
        server.Config.Environments.FirstOrDefault(e => e.Name == environment)?.Tier ?? Core.Configuration.Tier.Development;

    private static async Task<Page> ApprovalAsync(ServerContext server, ApprovalService approvals, SignedInUser user, string sessionToken, long id, CancellationToken cancellationToken)
    {
        var now = server.Clock.GetUtcNow();
        var request = await approvals.GetAsync(id, cancellationToken);
        var change = await server.Store.GetAsync(request.ChangeId, cancellationToken);
        var own = string.Equals(request.Requester, user.Name, StringComparison.Ordinal);
        var review = request.Kind == ApprovalRequest.PostReview;
        var open = request.Status == ApprovalStatus.Open;

        Html actions;
        if (!open)
        {
            actions = Html.Of($"<p>This request is {Lower(request.Status)}{(request.ClosedReason is { } why ? $": {why}" : "")}.</p>");
        }
        else if (own)
        {
            actions = Html.Of($"<p class=\"note\">You asked for this change: another person must {(review ? "review" : "approve")} it. You may withdraw it by rejecting it.</p>{RejectForm(id, sessionToken)}");
        }
        else if (user.User.MayApprove)
        {
            actions = Html.Of($"""
                <form method="post" action="/approvals/{id}/approve" class="card">
                  {Csrf(sessionToken)}
                  <label for="approve-reason">Reason (optional)</label>
                  <input id="approve-reason" name="reason" maxlength="2000">
                  <button type="submit" class="approve">{(review ? "Mark reviewed" : "Approve")}</button>
                </form>
                {Html.When(!review, RejectForm(id, sessionToken))}
                """);
        }
        else
        {
            actions = Html.Of($"<p class=\"note\">Your role ({Lower(user.User.Role)}) may not approve other people's requests.</p>");
        }

        var votes = request.Votes.Count == 0
            ? Html.Of($"<p class=\"muted\">No votes yet; {request.RequiredApprovals} approval(s) needed.</p>")
            : Html.Of($"<ul>{Html.Join(request.Votes.Select(v => Html.Of($"<li>{v.Voter} {(v.Approved ? "approved" : "rejected")} {When(v.At, now)}{(v.Reason is { } r ? $": {r}" : "")}</li>")))}</ul>");
        return new Page($"Approval request #{id}", Html.Of($"""
            <dl class="facts">
              <dt>Environment</dt><dd>{request.Environment} {Tier(TierOf(server, request.Environment))}</dd>
              <dt>Status</dt><dd><span class="status status-{Lower(request.Status)}">{Lower(request.Status)}</span></dd>
              <dt>Kind</dt><dd>{(review ? "break-glass change awaiting review" : "approval before it runs")}</dd>
              <dt>Requester</dt><dd>{request.Requester}</dd>
              <dt>Asked</dt><dd>{When(request.CreatedAt, now)}</dd>
              <dt>Expires</dt><dd>{request.ExpiresAt.UtcDateTime:u}</dd>
              <dt>Change</dt><dd><a href="/changes/{request.ChangeId}">{request.ChangeId}</a></dd>
              <dt>Script SHA-256</dt><dd><code>{request.ScriptSha256}</code></dd>
              {Html.When(request.Reason is not null, Html.Of($"<dt>Reason given</dt><dd>{request.Reason}</dd>"))}
            </dl>
            <h2>Why it needs approval</h2>
            {Reasons(request.Reasons)}
            <h2>Impact per table</h2>
            {ImpactTable(change?.Impact ?? [], request.Impact)}
            <h2>The script</h2>
            {Script(request.Script, request.ScriptTruncated)}
            <h2>Votes</h2>
            {votes}
            {actions}
            """));
    }

    private static Html RejectForm(long id, string sessionToken) => Html.Of($"""
        <form method="post" action="/approvals/{id}/reject" class="card">
          {Csrf(sessionToken)}
          <label for="reject-reason">Reason (required)</label>
          <input id="reject-reason" name="reason" required maxlength="2000">
          <button type="submit" class="reject">Reject</button>
        </form>
        """);

    private static Html Reasons(IReadOnlyList<string> reasons) => reasons.Count == 0
        ? Html.Of($"<p class=\"muted\">No rule was recorded.</p>")
        : Html.Of($"<ul class=\"reasons\">{Html.Join(reasons.Select(r => Html.Of($"<li>{r}</li>")))}</ul>");

    private static Html Script(string? script, bool truncated) => Html.Of($"""
        <pre class="script"><code>{script ?? ""}</code></pre>
        {Html.When(truncated, Html.Of($"<p class=\"muted\">Only the first 64 KiB are shown; <code>backstop show ID --script</code> prints it whole.</p>"))}
        """);

    /// <summary>Rows per table, with the share of the table's rows before the change where it is known.</summary>
    private static Html ImpactTable(IReadOnlyList<StatementImpact> statements, IReadOnlyList<TableCount> fallback)
    {
        var tables = statements.SelectMany(s => s.Tables)
            .GroupBy(t => $"{t.Schema}.{t.Name}")
            .Select(g => (Table: g.Key, Inserted: g.Sum(t => t.Inserted), Updated: g.Sum(t => t.Updated), Deleted: g.Sum(t => t.Deleted),
                Before: g.Select(t => t.RowsBefore).FirstOrDefault(b => b is not null), Estimated: g.Any(t => t.RowsBeforeEstimated)))
            .ToList();
        if (tables.Count == 0)
        {
            tables = fallback.Select(t => (t.Table, t.Inserted, t.Updated, t.Deleted, Before: (long?)null, Estimated: false)).ToList();
        }

        if (tables.Count == 0)
        {
            return Html.Of($"<p>No rows changed.</p>");
        }

        var effects = statements.SelectMany(s => s.Effects).ToList();
        var rows = tables.Select(t => Html.Of($"""
            <tr><th scope="row">{t.Table}</th><td class="num">{t.Inserted}</td><td class="num">{t.Updated}</td><td class="num">{t.Deleted}</td>
            <td class="num">{(t.Before is { } b ? Html.Of($"{(t.Estimated ? "about " : "")}{b}") : Html.Of($"—"))}</td><td class="num">{Share(t.Inserted + t.Updated + t.Deleted, t.Before)}</td></tr>
            """));
        return Html.Of($"""
            <div class="scroll"><table>
            <thead><tr><th scope="col">Table</th><th scope="col">Inserted</th><th scope="col">Updated</th><th scope="col">Deleted</th><th scope="col">Rows before</th><th scope="col">Share changed</th></tr></thead>
            <tbody>{Html.Join(rows)}</tbody>
            </table></div>
            {Html.When(effects.Count > 0, Html.Of($"<ul class=\"effects\">{Html.Join(effects.Select(e => Html.Of($"<li>{e.Describe()}</li>")))}</ul>"))}
            """);
    }

    // ---------------------------------------------------------------- changes

    private static async Task<Page> ChangesAsync(ServerContext server, string? environment, string? user, string? outcome, CancellationToken cancellationToken)
    {
        var now = server.Clock.GetUtcNow();
        var list = (await server.Store.ListAsync(string.IsNullOrEmpty(environment) ? null : environment, 500, cancellationToken))
            .Where(c => string.IsNullOrEmpty(user) || string.Equals(c.OsUser, user, StringComparison.Ordinal))
            .Where(c => string.IsNullOrEmpty(outcome) || string.Equals(Lower(c.Outcome), outcome, StringComparison.OrdinalIgnoreCase))
            .Take(200)
            .ToList();
        var rows = list.Select(c => Html.Of($"""
            <tr><th scope="row"><a href="/changes/{c.Id}">{c.Id}</a></th><td>{c.Environment}</td><td>{When(c.StartedAt, now)}</td><td>{c.OsUser}</td>
            <td>{Lower(c.Verdict)}</td><td><span class="status status-{Lower(c.Outcome)}">{Lower(c.Outcome)}</span></td>
            <td class="num">{c.Impact.Sum(i => i.Changed)}</td><td><code>{FirstLine(c.Script)}</code></td></tr>
            """));
        var environments = Html.Join(server.Config.Environments.Select(e => Html.Of($"<option value=\"{e.Name}\"{(e.Name == environment ? Html.Of($" selected") : Html.Empty)}>{e.Name}</option>")));
        var outcomes = Html.Join(Enum.GetValues<ChangeOutcome>().Select(o => Html.Of($"<option value=\"{Lower(o)}\"{(string.Equals(Lower(o), outcome, StringComparison.OrdinalIgnoreCase) ? Html.Of($" selected") : Html.Empty)}>{Lower(o)}</option>")));
        return new Page("Changes", Html.Of($"""
            <form method="get" action="/changes" class="filters">
              <label for="environment">Environment</label>
              <select id="environment" name="environment"><option value="">all</option>{environments}</select>
              <label for="user">User</label>
              <input id="user" name="user" value="{user}" size="12">
              <label for="outcome">Outcome</label>
              <select id="outcome" name="outcome"><option value="">any</option>{outcomes}</select>
              <button type="submit">Filter</button>
            </form>
            {(list.Count == 0 ? Html.Of($"<p>No change matches.</p>") : Html.Of($"""
                <div class="scroll"><table>
                <thead><tr><th scope="col">Change</th><th scope="col">Environment</th><th scope="col">Started</th><th scope="col">User</th><th scope="col">Verdict</th><th scope="col">Outcome</th><th scope="col">Rows</th><th scope="col">Script</th></tr></thead>
                <tbody>{Html.Join(rows)}</tbody>
                </table></div>
                """))}
            """));
    }

    private static string FirstLine(string script)
    {
        var line = script.TrimStart().Split('\n', 2)[0].Trim();
        return line.Length > 80 ? line[..80] + "…" : line;
    }

    private static async Task<Page> ChangeAsync(ServerContext server, long id, CancellationToken cancellationToken)
    {
        var change = await server.Store.GetAsync(id, cancellationToken) ?? throw ProblemException.NotFound($"there is no change {id}; the changes page lists them");
        var now = server.Clock.GetUtcNow();
        var undoneBy = (await server.Store.ListAsync(change.Environment, 1000, cancellationToken)).FirstOrDefault(c => c.UndoOf == id && c.Outcome == ChangeOutcome.Committed);
        var statements = change.Impact.Select(s => Html.Of($"""
            <tr><th scope="row">{s.Index + 1}</th><td><code>{s.CommandTag}</code></td><td class="num">{(s.RowCount is { } n ? Html.Of($"{n}") : Html.Of($"—"))}</td>
            <td>{Html.Join(s.Tables.Select(t => Html.Of($"<div>{t.Schema}.{t.Name}: +{t.Inserted} ~{t.Updated} −{t.Deleted}</div>")))}{Html.Join(s.Effects.Select(e => Html.Of($"<div class=\"effect\">{e.Describe()}</div>")))}</td></tr>
            """));
        var undo = change.Outcome == ChangeOutcome.Committed && change.UndoOf is null
            ? (undoneBy is { } by
                ? Html.Of($"<p>Undone by <a href=\"/changes/{by.Id}\">change {by.Id}</a>.</p>")
                : Html.Of($"<p>Take it back with <code class=\"command\">backstop undo {id} -e {change.Environment}</code></p>"))
            : change.UndoOf is { } of ? Html.Of($"<p>This change undid <a href=\"/changes/{of}\">change {of}</a>.</p>") : Html.Of($"<p class=\"muted\">Nothing was kept, so there is nothing to undo.</p>");
        return new Page($"Change {id}", Html.Of($"""
            <dl class="facts">
              <dt>Environment</dt><dd>{change.Environment} {Tier(TierOf(server, change.Environment))}</dd>
              <dt>User</dt><dd>{change.OsUser}</dd>
              <dt>Started</dt><dd>{When(change.StartedAt, now)} ({change.StartedAt.UtcDateTime:u})</dd>
              <dt>Verdict</dt><dd>{Lower(change.Verdict)}</dd>
              <dt>Outcome</dt><dd><span class="status status-{Lower(change.Outcome)}">{Lower(change.Outcome)}</span>{(change.Message is { } m ? $": {m}" : "")}</dd>
              <dt>Rows changed</dt><dd>{change.Impact.Sum(i => i.Changed)}</dd>
            </dl>
            <h2>Undo</h2>
            {undo}
            <h2>Reasons</h2>
            {Reasons(change.Reasons)}
            <h2>Statements</h2>
            <div class="scroll"><table>
            <thead><tr><th scope="col">#</th><th scope="col">Command</th><th scope="col">Rows</th><th scope="col">Tables and effects</th></tr></thead>
            <tbody>{Html.Join(statements)}</tbody>
            </table></div>
            <h2>The script</h2>
            {Script(change.Script, change.ScriptTruncated)}
            """));
    }

    // ---------------------------------------------------------------- schedules and notifications

    private static async Task<Page> SchedulesAsync(
        ServerContext server, ScheduleService schedules, NotificationStore notifications, SignedInUser user, string? environment, CancellationToken cancellationToken)
    {
        var now = server.Clock.GetUtcNow();
        var filter = string.IsNullOrEmpty(environment) ? null : environment;
        if (filter is not null)
        {
            server.Environment(filter);
        }

        var list = await schedules.ListAsync(filter, cancellationToken);
        var runs = await schedules.RunsAsync(filter, null, 50, cancellationToken);
        var rows = list.Select(s => Html.Of($"""
            <tr><th scope="row">{s.Environment} {Tier(TierOf(server, s.Environment))}</th><td>{s.Kind}</td><td><code>{s.Cron}</code> <span class="muted">{s.TimeZone}</span></td>
            <td>{(s.Next is { } next ? Html.Of($"<time datetime=\"{next.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}\">{next.UtcDateTime:u}</time>") : Html.Of($"—"))}</td>
            <td>{(s.Last is { } last ? RunOutcome(last, now) : Html.Of($"<span class=\"muted\">not run yet</span>"))}</td></tr>
            """));
        var runRows = runs.Select(r => Html.Of($"""
            <tr><th scope="row">{r.Environment}</th><td>{r.Kind}</td><td>{r.Slot.UtcDateTime:u}</td><td>{RunOutcome(r, now)}</td><td>{r.Holder}</td></tr>
            """));
        var deliveries = Html.Empty;
        if (user.User.MayApprove)
        {
            var sent = await notifications.ListAsync(null, 50, cancellationToken);
            var failed = sent.Count(n => n.Status == NotificationStatuses.Failed);
            deliveries = Html.Of($"""
                <h2>Notifications</h2>
                {(failed > 0 ? Html.Of($"<p class=\"bad\" role=\"alert\">{failed} of the latest {sent.Count} deliveries failed every try.</p>") : Html.Empty)}
                {(sent.Count == 0 ? Html.Of($"<p class=\"muted\">Nothing sent yet.</p>") : Html.Of($"""
                    <div class="scroll"><table>
                    <thead><tr><th scope="col">Event</th><th scope="col">Webhook</th><th scope="col">Environment</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col">Tries</th><th scope="col">Last error</th></tr></thead>
                    <tbody>{Html.Join(sent.Select(n => Html.Of($"<tr><th scope=\"row\">{n.Event}</th><td>{n.Webhook}</td><td>{n.Environment ?? ""}</td><td>{When(n.CreatedAt, now)}</td><td><span class=\"status status-{n.Status}\">{n.Status}</span></td><td class=\"num\">{n.Attempts}</td><td>{n.LastError ?? ""}</td></tr>")))}</tbody>
                    </table></div>
                    """))}
                """);
        }

        return new Page("Schedules", Html.Of($"""
            {(list.Count == 0 ? Html.Of($"<p>No schedule is configured: a <code>schedule:</code> section under an environment in backstop.yaml (docs/schedules.md).</p>") : Html.Of($"""
                <div class="scroll"><table>
                <thead><tr><th scope="col">Environment</th><th scope="col">What</th><th scope="col">When</th><th scope="col">Next run</th><th scope="col">Last run</th></tr></thead>
                <tbody>{Html.Join(rows)}</tbody>
                </table></div>
                """))}
            <h2>Recent runs</h2>
            {(runs.Count == 0 ? Html.Of($"<p class=\"muted\">No run yet.</p>") : Html.Of($"""
                <div class="scroll"><table>
                <thead><tr><th scope="col">Environment</th><th scope="col">What</th><th scope="col">Slot</th><th scope="col">Outcome</th><th scope="col">Server</th></tr></thead>
                <tbody>{Html.Join(runRows)}</tbody>
                </table></div>
                """))}
            {deliveries}
            """));
    }

    private static Html RunOutcome(ScheduleRun run, DateTimeOffset now) => Html.Of(
        $"<span class=\"status status-{run.Outcome}\">{run.Outcome}</span> {When(run.StartedAt, now)}{(run.Message is { } m ? $": {m}" : "")}");

    // ---------------------------------------------------------------- audit

    private static async Task<Page> AuditAsync(ServerContext server, SignedInUser user, string? actor, string? action, string? environment, CancellationToken cancellationToken)
    {
        if (!user.User.MayApprove)
        {
            throw ProblemException.Refused($"the audit log is for approvers and admins; {user.Name} is {Lower(user.User.Role)}");
        }

        var now = server.Clock.GetUtcNow();
        var entries = (await server.AuditLog.ListAsync(null, string.IsNullOrEmpty(actor) ? null : actor, 1000, cancellationToken))
            .Where(e => string.IsNullOrEmpty(action) || e.Action.StartsWith(action, StringComparison.Ordinal))
            .Where(e => string.IsNullOrEmpty(environment) || e.Environment == environment)
            .Take(200)
            .ToList();
        var verification = await Core.Audit.AuditVerifier.VerifyAsync(server.AuditLog, server.SigningKey.PublicKeyPem, cancellationToken);
        var checkpoint = await server.AuditLog.LatestCheckpointAsync(cancellationToken);
        var rows = entries.Select(e => Html.Of($"""
            <tr><th scope="row">{e.Seq}</th><td>{When(e.At, now)}</td><td>{e.Actor}</td><td>{e.From ?? ""}</td><td><code>{e.Action}</code></td><td>{e.Environment ?? ""}</td>
            <td>{e.Object ?? ""}</td><td>{e.Outcome}</td><td>{string.Join(", ", (e.Detail ?? new Dictionary<string, string>()).Select(d => $"{d.Key}={d.Value}"))}</td></tr>
            """));
        return new Page("Audit log", Html.Of($"""
            <section class="card {(verification.Problem is null ? "good" : "bad")}" aria-label="Verification">
              <h2>Verification</h2>
              {(verification.Problem is { } problem
                  ? Html.Of($"<p class=\"bad\" role=\"alert\">The log does not verify: {problem}</p>")
                  : Html.Of($"<p>Intact: {verification.Entries} entries chained, {verification.Checkpoints} signed checkpoint(s) check out (as <code>backstop audit verify</code>, checked as this page loaded).</p>"))}
              {(checkpoint is { } c
                  ? Html.Of($"<p>Latest checkpoint: {c.TreeSize} entries, signed {When(c.At, now)}, root <code>{c.RootHash}</code>.</p>")
                  : Html.Of($"<p class=\"muted\">No checkpoint yet.</p>"))}
            </section>
            <form method="get" action="/audit" class="filters">
              <label for="actor">Actor</label><input id="actor" name="actor" value="{actor}" size="12">
              <label for="action">Action</label><input id="action" name="action" value="{action}" size="14">
              <label for="environment">Environment</label><input id="environment" name="environment" value="{environment}" size="10">
              <button type="submit">Filter</button>
            </form>
            <div class="scroll"><table>
            <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Actor</th><th scope="col">From</th><th scope="col">Action</th><th scope="col">Environment</th><th scope="col">Object</th><th scope="col">Outcome</th><th scope="col">Detail</th></tr></thead>
            <tbody>{Html.Join(rows)}</tbody>
            </table></div>
            """));
    }

    // ---------------------------------------------------------------- users

    private static async Task<Page> UsersAsync(UserService users, SignedInUser user, string sessionToken, CancellationToken cancellationToken)
    {
        Admin(user);
        var list = await users.ListAsync(cancellationToken);
        var rows = list.Select(u => Html.Of($"""
            <tr><th scope="row">{u.Name}</th><td>{Lower(u.Role)}</td>
            <td>{(u.Disabled ? Html.Of($"<span class=\"bad\">disabled</span>") : u.LockedAt is not null ? Html.Of($"<span class=\"bad\">locked</span>") : Html.Of($"active"))}</td>
            <td class="actions">
              {Html.When(!u.Disabled && u.Name != user.Name, Html.Of($"<form method=\"post\" action=\"/users/{u.Name}/disable\" class=\"inline\">{Csrf(sessionToken)}<button type=\"submit\">Disable</button></form>"))}
              <form method="post" action="/users/{u.Name}/revoke" class="inline">{Csrf(sessionToken)}<button type="submit">Revoke tokens</button></form>
              <form method="post" action="/users/{u.Name}/password" class="inline">{Csrf(sessionToken)}<label class="visually-hidden" for="pw-{u.Name}">New password for {u.Name}</label><input id="pw-{u.Name}" name="password" type="password" autocomplete="new-password" minlength="12" required placeholder="new password"><button type="submit">Reset password</button></form>
            </td></tr>
            """));
        var roles = Html.Join(Enum.GetValues<TeamRole>().Select(r => Html.Of($"<option value=\"{Lower(r)}\">{Lower(r)}</option>")));
        return new Page("Users", Html.Of($"""
            <div class="scroll"><table>
            <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
            <tbody>{Html.Join(rows)}</tbody>
            </table></div>
            <h2>Add a user</h2>
            <form method="post" action="/users" class="card narrow">
              {Csrf(sessionToken)}
              <label for="new-name">User name</label><input id="new-name" name="name" required autocomplete="off">
              <label for="new-role">Role</label><select id="new-role" name="role">{roles}</select>
              <label for="new-password">Password</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="12" required>
              <button type="submit">Add</button>
            </form>
            """));
    }
}

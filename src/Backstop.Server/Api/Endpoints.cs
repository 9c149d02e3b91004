using Backstop.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Backstop.Server.Api;

/// <summary>The JSON API under <c>/api/v1</c>, grouped by concept; its OpenAPI document is served at <c>/api/v1/openapi.json</c>.</summary>
internal static class Endpoints
{
    public const string SignInPolicy = "sign-in";

    public static void Map(WebApplication app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/health", async (ServerContext server, CancellationToken ct) =>
        {
            try
            {
                await server.Team.CountUsersAsync(ct);
                return Results.Ok(new HealthView("ok", ServerHost.Version, server.Store is Core.State.PostgresStateStore ? "postgresql" : "sqlite"));
            }
            catch (Exception e) when (e is Core.Environments.ConnectionFailedException or IOException or System.Data.Common.DbException)
            {
                return Results.Json(new HealthView("unavailable", ServerHost.Version, "unreachable"), statusCode: 503);
            }
        }).WithSummary("For a load balancer: 200 when the state store answers, 503 when it does not.");

        var sessions = api.MapGroup("/sessions");
        sessions.MapPost("", async (SignInRequest body, HttpContext http, SignInService signIn) =>
        {
            var (token, expires, user) = await signIn.SignInAsync(body.User ?? "", body.Password ?? "", Caller.From(http), body.Client, http.RequestAborted);
            return Results.Ok(new SignInResponse(token, expires, user.Name, user.Role));
        }).RequireRateLimiting(SignInPolicy).WithSummary("Signs in with a user name and password; answers a token that expires.");
        sessions.MapDelete("/current", async (HttpContext http, SignInService signIn) =>
        {
            await signIn.SignOutAsync(await Caller.UserAsync(http, signIn), http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Revokes the token the call is made with (logout).");
        api.MapGet("/me", async (HttpContext http, SignInService signIn) =>
        {
            var user = await Caller.UserAsync(http, signIn);
            return Results.Ok(new MeResponse(user.Name, user.User.Role));
        });

        api.MapGet("/environments", async (HttpContext http, SignInService signIn, ServerContext server) =>
        {
            await Caller.UserAsync(http, signIn);
            return Results.Ok(server.Config.Environments.Select(e => new EnvironmentView(e.Name, e.Tier)));
        }).WithSummary("The environments the server holds credentials for (names and tiers, never URLs).");

        var environments = api.MapGroup("/environments/{environment}");
        environments.MapPost("/check", async (string environment, RunRequest body, HttpContext http, SignInService signIn, ChangeService changes) =>
            Results.Ok(await changes.CheckAsync(await Caller.UserAsync(http, signIn), environment, body, http.RequestAborted)))
            .WithSummary("Previews a script (rolled back) and gives the policy's verdict, as `backstop check`.");
        environments.MapPost("/runs", async (string environment, RunRequest body, HttpContext http, SignInService signIn, ChangeService changes) =>
            Results.Ok(await changes.RunAsync(await Caller.UserAsync(http, signIn), environment, body, http.RequestAborted)))
            .WithSummary("Prepares and, as its verdict allows, runs a script, as `backstop run`; a change that needs approval becomes a request.");
        environments.MapPost("/changes/{id:long}/confirm", async (string environment, long id, ConfirmRequest body, HttpContext http, SignInService signIn, ChangeService changes) =>
            Results.Ok(await changes.ConfirmAsync(
                await Caller.UserAsync(http, signIn), environment, id, new RunRequest { Script = "", Yes = body.Yes, Confirm = body.Confirm, AllowAllRows = body.AllowAllRows }, body.Decline, http.RequestAborted)))
            .WithSummary("Confirms (or declines) a change its requester was asked to confirm.");

        api.MapPost("/commands", async (CommandRequest body, HttpContext http, SignInService signIn, CommandService commands) =>
            Results.Ok(await commands.RunAsync(await Caller.UserAsync(http, signIn), body.Args ?? [], http.RequestAborted)))
            .WithSummary("Runs undo, repair, backup … or trash … as the signed-in person, with the server's configuration; answers what it printed and its exit code.");

        MapChanges(api);
        MapApprovals(api);
        MapUsers(api);
        MapAudit(api);
        ScheduleEndpoints.Map(api);
        SnapshotEndpoints.Map(api);
    }

    /// <summary>The audit log, for admins and approvers: entries, checkpoints, the public key, and proofs signed here.</summary>
    private static void MapAudit(RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit");
        audit.MapGet("/entries", async (DateTimeOffset? since, string? actor, int? limit, HttpContext http, SignInService signIn, ServerContext server) =>
        {
            await Caller.AuditorAsync(http, signIn);
            return Results.Ok(await server.AuditLog.ListAsync(since, actor, Math.Clamp(limit ?? 50, 1, 100_000), http.RequestAborted));
        }).WithSummary("Audit entries, newest first, as `backstop audit list`.");
        audit.MapGet("/entries/{seq:long}", async (long seq, HttpContext http, SignInService signIn, ServerContext server) =>
        {
            await Caller.AuditorAsync(http, signIn);
            return await server.AuditLog.GetAsync(seq, http.RequestAborted) is { } entry ? Results.Ok(entry) : throw ProblemException.NotFound($"there is no audit entry {seq}");
        });
        audit.MapGet("/export", async (HttpContext http, SignInService signIn, ServerContext server) =>
        {
            await Caller.AuditorAsync(http, signIn);
            http.Response.ContentType = "application/x-ndjson";
            await using var writer = new StreamWriter(http.Response.Body, new System.Text.UTF8Encoding(false));
            await foreach (var entry in server.AuditLog.ReadAllAsync(http.RequestAborted))
            {
                await writer.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(entry, Core.Reports.ReportJson.Compact));
            }
        }).WithSummary("Every stored entry in order (number, canonical JSON, leaf hash), one JSON object a line.");
        audit.MapGet("/checkpoints", async (HttpContext http, SignInService signIn, ServerContext server) =>
        {
            await Caller.AuditorAsync(http, signIn);
            return Results.Ok(await server.AuditLog.CheckpointsAsync(http.RequestAborted));
        });
        audit.MapGet("/public-key", (ServerContext server) => Results.Text(server.SigningKey.PublicKeyPem, "application/x-pem-file"))
            .WithSummary("The public key that checks the checkpoints' signatures (PEM); keep a copy off the server.");
        audit.MapGet("/proof/{seq:long}", async (long seq, HttpContext http, SignInService signIn, ServerContext server) =>
        {
            await Caller.AuditorAsync(http, signIn);
            try
            {
                var proof = await Core.Audit.AuditProver.CreateAsync(server.AuditLog, seq, server.SigningKey, http.RequestAborted);
                return Results.Text(proof.ToJson(), "application/json");
            }
            catch (ArgumentOutOfRangeException)
            {
                throw ProblemException.NotFound($"there is no audit entry {seq}; list them with `backstop audit list`");
            }
        }).WithSummary("The inclusion proof of one entry against the latest signed checkpoint, checkable offline with the public key.");
    }

    private static void MapChanges(RouteGroupBuilder api)
    {
        var changes = api.MapGroup("/changes");
        changes.MapGet("", async (string? environment, int? limit, HttpContext http, SignInService signIn, ServerContext server) =>
        {
            await Caller.UserAsync(http, signIn);
            return Results.Ok(await server.Store.ListAsync(environment, Math.Clamp(limit ?? 20, 1, 1000), http.RequestAborted));
        }).WithSummary("Recorded changes, newest first, as `backstop changes`.");
        changes.MapGet("/{id:long}", async (long id, HttpContext http, SignInService signIn, ServerContext server) =>
        {
            await Caller.UserAsync(http, signIn);
            return await server.Store.GetAsync(id, http.RequestAborted) is { } change
                ? Results.Ok(change)
                : throw ProblemException.NotFound($"there is no change {id}; `backstop changes` lists them");
        }).WithSummary("One change in full (its script's first 64 KiB), as `backstop show`.");
        changes.MapGet("/{id:long}/script", async (long id, HttpContext http, SignInService signIn, ServerContext server) =>
        {
            await Caller.UserAsync(http, signIn);
            http.Response.ContentType = "text/plain; charset=utf-8";
            await using var writer = new StreamWriter(http.Response.Body, new System.Text.UTF8Encoding(false));
            if (!await server.Store.CopyScriptAsync(id, writer, http.RequestAborted))
            {
                throw ProblemException.NotFound($"there is no change {id}; `backstop changes` lists them");
            }
        }).WithSummary("A change's whole script, exactly as recorded, as `backstop show ID --script`.");
    }

    private static void MapApprovals(RouteGroupBuilder api)
    {
        var approvals = api.MapGroup("/approvals");
        approvals.MapGet("", async (string? environment, bool? all, HttpContext http, SignInService signIn, ApprovalService service) =>
        {
            await Caller.UserAsync(http, signIn);
            return Results.Ok(await service.ListAsync(environment, all ?? false, http.RequestAborted));
        }).WithSummary("Open requests (with all=true, every request), newest first.");
        approvals.MapGet("/{id:long}", async (long id, HttpContext http, SignInService signIn, ApprovalService service) =>
        {
            await Caller.UserAsync(http, signIn);
            return Results.Ok(await service.GetAsync(id, http.RequestAborted));
        });
        approvals.MapPost("/{id:long}/approve", async (long id, VoteRequest body, HttpContext http, SignInService signIn, ApprovalService service) =>
            Results.Ok(await service.ApproveAsync(await Caller.UserAsync(http, signIn), id, body.Reason, http.RequestAborted)))
            .WithSummary("Approves a request (never one's own), or reviews a break-glass run.");
        approvals.MapPost("/{id:long}/reject", async (long id, VoteRequest body, HttpContext http, SignInService signIn, ApprovalService service) =>
            Results.Ok(await service.RejectAsync(await Caller.UserAsync(http, signIn), id, body.Reason ?? "", http.RequestAborted)));
        approvals.MapPost("/{id:long}/execute", async (long id, ExecuteRequest body, HttpContext http, SignInService signIn, ChangeService changes) =>
            Results.Ok((await changes.ExecuteRequestAsync(await Caller.UserAsync(http, signIn), id, body.ScriptSha256, http.RequestAborted)).Report))
            .WithSummary("Runs an approved request once, measured again; refused if the impact grew, the approval expired, or it ran already.");
    }

    private static void MapUsers(RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users");
        users.MapGet("", async (HttpContext http, SignInService signIn, UserService service) =>
        {
            await Caller.AdminAsync(http, signIn);
            return Results.Ok((await service.ListAsync(http.RequestAborted)).Select(UserView.Of));
        });
        users.MapPost("", async (NewUserRequest body, HttpContext http, SignInService signIn, UserService service) =>
        {
            var admin = await Caller.AdminAsync(http, signIn);
            return Results.Ok(UserView.Of(await service.AddAsync(admin.Name, admin.From, body.Name ?? "", body.Role, body.Password ?? "", http.RequestAborted)));
        });
        users.MapPost("/{name}/disable", async (string name, HttpContext http, SignInService signIn, UserService service) =>
        {
            var admin = await Caller.AdminAsync(http, signIn);
            await service.DisableAsync(admin.Name, admin.From, name, http.RequestAborted);
            return Results.NoContent();
        });
        users.MapPost("/{name}/password", async (string name, PasswordRequest body, HttpContext http, SignInService signIn, UserService service) =>
        {
            var admin = await Caller.AdminAsync(http, signIn);
            await service.ResetPasswordAsync(admin.Name, admin.From, name, body.Password ?? "", http.RequestAborted);
            return Results.NoContent();
        });
    }
}

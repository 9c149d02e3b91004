using Backstop.Core.Configuration;
using Backstop.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Backstop.Server.Api;

/// <summary>Snapshots handed out through links that work once (docs/snapshots.md "Links").</summary>
internal static class SnapshotEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/environments/{environment}/snapshots", async (string environment, HttpContext http, SignInService signIn, SnapshotLinkService snapshots) =>
        {
            await Caller.UserAsync(http, signIn);
            return Results.Ok(snapshots.Snapshots(environment).Select(s => new { s.Id, s.Environment, s.CreatedAt, s.SizeBytes, s.Usable }));
        }).WithSummary("The environment's snapshots, newest first; only usable ones (drill and leak scan passed) can be linked.");

        api.MapPost("/environments/{environment}/snapshots/{id}/links", async (string environment, string id, SnapshotLinkRequest? body, HttpContext http, SignInService signIn, ServerContext server, SnapshotLinkService snapshots) =>
        {
            var user = await Caller.UserAsync(http, signIn);
            TimeSpan? ttl = null;
            if (body?.Ttl is { Length: > 0 } text)
            {
                ttl = Durations.TryParse(text, out var parsed) ? parsed : throw ProblemException.BadRequest($"ttl '{text}' is not a duration; write it as 90s, 3m or 1h");
            }

            var baseUrl = server.Settings.PublicUrl ?? $"{http.Request.Scheme}://{http.Request.Host}";
            return Results.Ok(await snapshots.IssueAsync(user, environment, id, ttl, baseUrl, http.RequestAborted));
        }).WithSummary("Issues a link to download a usable snapshot: it works once, for the caller only, until it expires (default 3 minutes).");

        api.MapGet("/snapshot-links/{token}", async (string token, HttpContext http, SignInService signIn, SnapshotLinkService snapshots) =>
        {
            // The bearer token of the CLI or curl, or the console's session cookie when the link is followed in a browser.
            var user = http.Request.Headers.Authorization.Count > 0
                ? await Caller.UserAsync(http, signIn)
                : await signIn.AuthenticateAsync(WebConsole.ConsoleSession.Token(http), Caller.From(http), http.RequestAborted);
            var snapshot = await snapshots.UseAsync(user, token, http.RequestAborted);
            http.Response.ContentType = "application/x-tar";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"snapshot-{snapshot.Environment}-{snapshot.Id}.tar\"";
            await SnapshotLinkService.WriteTarAsync(snapshot, http.Response.Body, http.RequestAborted);
            return Results.Empty;
        }).WithSummary("Downloads the snapshot (a tar of its manifest and pg_restore's directory format) as the user the link was issued to (bearer token or console session); once.");
    }
}

using Backstop.Core.Configuration;
using Backstop.Core.Notifications;
using Backstop.Core.Schedules;
using Backstop.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Backstop.Server.Api;

/// <summary>Schedules with their last and next runs, and webhook deliveries: what the console and `schedule list` show (docs/schedules.md).</summary>
internal static class ScheduleEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var schedules = api.MapGroup("/schedules");
        schedules.MapGet("", async (string? environment, HttpContext http, SignInService signIn, ScheduleService service) =>
        {
            await Caller.UserAsync(http, signIn);
            try
            {
                return Results.Ok(await service.ListAsync(environment, http.RequestAborted));
            }
            catch (ConfigException)
            {
                throw ProblemException.NotFound($"there is no environment '{environment}' on this server; GET /api/v1/environments lists them");
            }
        }).WithSummary("Each schedule of the server's configuration: cron expression, time zone, next slot, and its latest slot's outcome, as `backstop schedule list`.");
        schedules.MapGet("/runs", async (string? environment, string? kind, int? limit, HttpContext http, SignInService signIn, ScheduleService service) =>
        {
            await Caller.UserAsync(http, signIn);
            return Results.Ok(await service.RunsAsync(environment, kind, Math.Clamp(limit ?? 50, 1, 1000), http.RequestAborted));
        }).WithSummary("Recorded slots, newest first, as `backstop schedule runs`.");

        api.MapGet("/notifications", async (bool? failed, int? limit, HttpContext http, SignInService signIn, NotificationStore store) =>
        {
            await Caller.AuditorAsync(http, signIn);
            return Results.Ok(await store.ListAsync(failed == true ? NotificationStatuses.Failed : null, Math.Clamp(limit ?? 50, 1, 1000), http.RequestAborted));
        }).WithSummary("Webhook deliveries, newest first (failed=true: those every try of which failed), for approvers and admins; webhooks are named, never their URLs.");
    }
}

using System.Globalization;
using Backstop.Core.Notifications;
using Backstop.Core.Team;
using Backstop.Server.Services;

namespace Backstop.Server.Notifications;

/// <summary>The notifications of approvals: requested, approved, rejected, and a break-glass run awaiting review.</summary>
public static class ApprovalNotices
{
    /// <summary>Tells the webhooks about request <paramref name="requestId"/>; a failure to read it is logged, never thrown.</summary>
    /// <param name="event">one of the approval events of <see cref="NotificationEvents"/>.</param>
    /// <param name="actor">who asked, approved or rejected.</param>
    public static async Task SendAsync(ServerContext server, string @event, long requestId, string actor, string? reason, CancellationToken cancellationToken)
    {
        if (server.Notifications is NoNotifications)
        {
            return;
        }

        ApprovalRequest? request;
        try
        {
            request = await server.Team.GetRequestAsync(requestId, cancellationToken);
        }
        catch (Exception e) when (e is Core.Environments.ConnectionFailedException or System.Data.Common.DbException or IOException)
        {
            Console.Error.WriteLine($"error: the notification {@event} of request {requestId} could not be prepared ({e.Message})");
            return;
        }

        if (request is not null)
        {
            await server.Notifications.NotifyAsync(Message(server.Notifications.ApprovalLink(requestId), @event, request, actor, reason), cancellationToken);
        }
    }

    internal static NotificationMessage Message(string link, string @event, ApprovalRequest request, string actor, string? reason)
    {
        var id = request.Id.ToString(CultureInfo.InvariantCulture);
        var environment = SlackText.Escape(request.Environment);
        var impact = string.Join(", ", request.Impact.Select(t => $"{SlackText.Escape(t.Table)} {Rows(t)}"));
        var text = @event switch
        {
            NotificationEvents.ApprovalRequested =>
                $"{SlackText.Escape(actor)} asks for approval of request {id} on {environment}" + (impact.Length > 0 ? $" ({impact})" : "") + $": {SlackText.Link(link, "request " + id)}",
            NotificationEvents.ApprovalApproved =>
                $"Request {id} on {environment} was approved by {SlackText.Escape(actor)}; {SlackText.Escape(request.Requester)} may execute it: {SlackText.Link(link, "request " + id)}",
            NotificationEvents.ApprovalRejected =>
                $"Request {id} on {environment} was rejected by {SlackText.Escape(actor)}" + (reason is null ? "" : $": {SlackText.Escape(reason)}") + $" ({SlackText.Link(link, "request " + id)})",
            _ =>
                $"{SlackText.Escape(actor)} broke glass on {environment}: change {request.ChangeId.ToString(CultureInfo.InvariantCulture)} ran without its approval"
                + (reason is null ? "" : $" (reason: {SlackText.Escape(reason)})") + $" and waits for another person's review: {SlackText.Link(link, "request " + id)}",
        };
        return new NotificationMessage(@event, $"{@event}:{id}", request.Environment, text, new Dictionary<string, object?>
        {
            ["requestId"] = request.Id,
            ["link"] = link,
            ["changeId"] = request.ChangeId,
            ["requester"] = request.Requester,
            ["actor"] = actor,
            ["reason"] = reason,
            ["impact"] = request.Impact,
        });
    }

    private static string Rows(TableCount table)
    {
        var parts = new List<string>();
        if (table.Inserted > 0)
        {
            parts.Add($"+{table.Inserted.ToString(CultureInfo.InvariantCulture)}");
        }

        if (table.Updated > 0)
        {
            parts.Add($"~{table.Updated.ToString(CultureInfo.InvariantCulture)}");
        }

        if (table.Deleted > 0)
        {
            parts.Add($"-{table.Deleted.ToString(CultureInfo.InvariantCulture)}");
        }

        return string.Join(' ', parts);
    }
}

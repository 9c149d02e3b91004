namespace Backstop.Server.Notifications;

/// <summary>Where the server's services hand what the team must hear about (docs/schedules.md "Notifications").</summary>
public interface INotifications
{
    /// <summary>The address of a request's page, for the text and the <c>link</c> field.</summary>
    string ApprovalLink(long requestId);

    /// <summary>Records the message for each webhook that wants its event and sends it in the background; never throws.</summary>
    Task NotifyAsync(NotificationMessage message, CancellationToken cancellationToken);
}

/// <summary>No webhooks configured: nothing is sent or recorded.</summary>
public sealed class NoNotifications : INotifications
{
    public static NoNotifications Instance { get; } = new();

    public string ApprovalLink(long requestId) => "/approvals/" + requestId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Task NotifyAsync(NotificationMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
}

namespace Backstop.Core.Notifications;

/// <summary>One message for one webhook, as recorded: what it said, its tries, how the last one ended. Never the webhook's URL.</summary>
public sealed record Notification
{
    public long Id { get; init; }

    /// <summary>The thing told about, e.g. <c>approval.requested:42</c>: with <see cref="Webhook"/>, unique.</summary>
    public required string EventKey { get; init; }

    /// <summary>The webhook's name in backstop.yaml.</summary>
    public required string Webhook { get; init; }

    /// <summary><see cref="NotificationEvents"/>.</summary>
    public required string Event { get; init; }

    public string? Environment { get; init; }

    /// <summary>The Slack-compatible text sent.</summary>
    public required string Text { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary><see cref="NotificationStatuses"/>.</summary>
    public required string Status { get; init; }

    public int Attempts { get; init; }

    public DateTimeOffset? LastAttemptAt { get; init; }

    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>Why the last try failed: the HTTP status or the network error (never the URL).</summary>
    public string? LastError { get; init; }
}

/// <summary>Where a notification is.</summary>
public static class NotificationStatuses
{
    /// <summary>Being tried (or waiting for its next try).</summary>
    public const string Sending = "sending";

    public const string Delivered = "delivered";

    /// <summary>Every try failed.</summary>
    public const string Failed = "failed";
}

namespace Backstop.Server.Notifications;

/// <summary>
/// Something to tell the team: its event, the key that makes it once (<c>approval.requested:42</c>), the Slack-compatible
/// text, and the fields a program reads from the JSON (request id, link, environment …).
/// </summary>
public sealed record NotificationMessage(string Event, string Key, string? Environment, string Text, IReadOnlyDictionary<string, object?> Fields);

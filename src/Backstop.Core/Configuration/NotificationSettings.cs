namespace Backstop.Core.Configuration;

/// <summary>The <c>notifications:</c> section of backstop.yaml: where <c>backstop server</c> posts what the team must hear about.</summary>
public sealed record NotificationSettings
{
    public IReadOnlyList<WebhookSettings> Webhooks { get; init; } = [];

    /// <summary>How often the server looks for failed drills and stale restores (default 5 minutes).</summary>
    public TimeSpan CheckEvery { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// One webhook: a JSON POST with a Slack-compatible <c>text</c>. Its URL is a secret (whoever holds it may post to the
/// channel): backstop.yaml names where it is, <c>env:VAR</c> or <c>file:PATH</c>, and the URL itself is read only by the
/// server, when it starts, and never printed, logged or stored.
/// </summary>
public sealed record WebhookSettings
{
    public required string Name { get; init; }

    /// <summary><c>env:VAR</c> or <c>file:PATH</c>.</summary>
    public required string UrlReference { get; init; }

    /// <summary>The events it is told about (<see cref="Notifications.NotificationEvents"/>); default all.</summary>
    public required IReadOnlySet<string> Events { get; init; }

    /// <summary>Tries in all, the first one included (default 5).</summary>
    public int Attempts { get; init; } = 5;

    /// <summary>The wait before the second try, doubled before each next one (default 2 s).</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one try may take (default 10 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

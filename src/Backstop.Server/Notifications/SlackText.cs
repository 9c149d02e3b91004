namespace Backstop.Server.Notifications;

/// <summary>
/// Text that people wrote (reasons, names), made safe for Slack's message format, where &amp;, &lt; and &gt; are
/// control characters (https://api.slack.com/reference/surfaces/formatting#escaping): a reason cannot ping the channel.
/// </summary>
internal static class SlackText
{
    public static string Escape(string? text) =>
        (text ?? "").Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>A link as Slack shows it: the label, pointing at the address.</summary>
    public static string Link(string url, string label) => $"<{url}|{Escape(label)}>";
}

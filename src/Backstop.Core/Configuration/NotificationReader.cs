using Backstop.Core.Environments;
using Backstop.Core.Notifications;
using YamlDotNet.RepresentationModel;

namespace Backstop.Core.Configuration;

/// <summary>The <c>notifications:</c> section (docs/schedules.md "Notifications").</summary>
internal static class NotificationReader
{
    private static readonly string[] Keys = ["webhooks", "check_every"];
    private static readonly string[] WebhookKeys = ["url", "events", "attempts", "backoff", "timeout"];

    public static NotificationSettings Read(YamlReader read, YamlNode node)
    {
        var settings = new NotificationSettings();
        foreach (var (key, value) in read.Entries(read.Mapping(node, "notifications"), "notifications", Keys))
        {
            settings = key == "check_every"
                ? settings with { CheckEvery = AtLeast(read, value, "notifications.check_every", read.Duration(value, key), TimeSpan.FromSeconds(1)) }
                : settings with { Webhooks = ReadWebhooks(read, value) };
        }

        return settings;
    }

    private static List<WebhookSettings> ReadWebhooks(YamlReader read, YamlNode node)
    {
        var webhooks = new List<WebhookSettings>();
        foreach (var (name, value) in read.Entries(read.Mapping(node, "notifications.webhooks"), "notifications.webhooks", []))
        {
            if (!EnvironmentNames.IsValid(name))
            {
                throw read.Error(node, $"the webhook name '{name}' is not valid; {EnvironmentNames.Rule}");
            }

            webhooks.Add(ReadWebhook(read, name, value));
        }

        return webhooks;
    }

    private static WebhookSettings ReadWebhook(YamlReader read, string name, YamlNode node)
    {
        var where = $"notifications.webhooks.{name}";
        string? url = null;
        var webhook = new WebhookSettings { Name = name, UrlReference = "", Events = NotificationEvents.All.ToHashSet(StringComparer.Ordinal) };
        foreach (var (key, value) in read.Entries(read.Mapping(node, where), where, WebhookKeys))
        {
            switch (key)
            {
                case "url":
                    url = ReadUrl(read, value, where);
                    break;
                case "events":
                    webhook = webhook with { Events = ReadEvents(read, value, where) };
                    break;
                case "attempts":
                    webhook = webhook with { Attempts = (int)Math.Min(read.Long(value, key, 1), 20) };
                    break;
                case "backoff":
                    webhook = webhook with { Backoff = read.Duration(value, key, TimeSpan.FromHours(1)) };
                    break;
                default:
                    webhook = webhook with { Timeout = AtLeast(read, value, $"{where}.timeout", read.Duration(value, key, TimeSpan.FromMinutes(5)), TimeSpan.FromMilliseconds(100)) };
                    break;
            }
        }

        return webhook with { UrlReference = url ?? throw read.Error(node, $"{where} has no 'url'; write url: env:VARNAME (or url: file:/PATH) and put the webhook's URL there") };
    }

    /// <summary>Only a reference: the URL is a secret, and backstop.yaml is shared and reviewed.</summary>
    private static string ReadUrl(YamlReader read, YamlNode value, string where)
    {
        var text = read.Scalar(value, "url");
        if (text.StartsWith(EnvironmentConnector.VariablePrefix, StringComparison.Ordinal) && text.Length > EnvironmentConnector.VariablePrefix.Length
            || text.StartsWith(EnvironmentConnector.FilePrefix, StringComparison.Ordinal) && text.Length > EnvironmentConnector.FilePrefix.Length)
        {
            return text;
        }

        // The message never repeats the value: it may be the secret itself.
        throw read.Error(value,
            $"{where}.url must say where the webhook's URL is kept, env:VARNAME or file:/PATH, not the URL itself: a webhook URL is a secret " +
            "(whoever has it may post to the channel) and backstop.yaml is shared; put the URL in an environment variable or a file only the server may read");
    }

    private static HashSet<string> ReadEvents(YamlReader read, YamlNode node, string where)
    {
        var items = node is YamlSequenceNode sequence ? sequence.Children.ToList() : [node];
        var events = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var name = read.Scalar(item, "events");
            if (!NotificationEvents.All.Contains(name, StringComparer.Ordinal))
            {
                throw read.Error(item, $"{where}.events has '{name}', which is not an event; expected some of: {string.Join(", ", NotificationEvents.All)}");
            }

            events.Add(name);
        }

        return events.Count > 0 ? events : throw read.Error(node, $"{where}.events is empty; leave it out to be told about every event");
    }

    private static TimeSpan AtLeast(YamlReader read, YamlNode node, string what, TimeSpan value, TimeSpan min) =>
        value >= min ? value : throw read.Error(node, $"{what} is {value}; it must be at least {min.TotalMilliseconds:0} ms");
}

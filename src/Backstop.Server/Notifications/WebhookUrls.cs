using Backstop.Core.Configuration;
using Backstop.Core.Environments;

namespace Backstop.Server.Notifications;

/// <summary>
/// Reads each webhook's URL from where backstop.yaml says it is, when the server starts: a missing variable or file, or a
/// value that is no http(s) URL, stops the server before it listens. No message ever holds the URL.
/// </summary>
internal static class WebhookUrls
{
    /// <exception cref="ConfigException">a URL cannot be read or is not an http:// or https:// URL.</exception>
    public static IReadOnlyDictionary<string, Uri> Resolve(NotificationSettings settings, Func<string, string?> variables, string configPath)
    {
        var urls = new Dictionary<string, Uri>(StringComparer.Ordinal);
        foreach (var webhook in settings.Webhooks)
        {
            var reference = webhook.UrlReference;
            string where;
            string? text;
            if (reference.StartsWith(EnvironmentConnector.VariablePrefix, StringComparison.Ordinal))
            {
                var variable = reference[EnvironmentConnector.VariablePrefix.Length..];
                where = $"the variable {variable}";
                text = variables(variable);
                if (string.IsNullOrWhiteSpace(text))
                {
                    throw new ConfigException($"the URL of webhook '{webhook.Name}' is read from the variable {variable} (notifications.webhooks.{webhook.Name}.url in {configPath}), which is not set; set it in the server's environment");
                }
            }
            else
            {
                var file = reference[EnvironmentConnector.FilePrefix.Length..];
                where = $"the file {file}";
                try
                {
                    text = File.ReadAllText(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ConfigException($"the URL of webhook '{webhook.Name}' is read from {file} (notifications.webhooks.{webhook.Name}.url in {configPath}), which cannot be read ({e.Message}); check the path and that the server's account may read it");
                }
            }

            if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new ConfigException($"the URL of webhook '{webhook.Name}', read from {where}, is not an http:// or https:// URL (it is not shown: it is a secret); put the webhook's whole URL there");
            }

            urls[webhook.Name] = uri;
        }

        return urls;
    }
}

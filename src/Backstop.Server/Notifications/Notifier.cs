using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Backstop.Core.Configuration;
using Backstop.Core.Notifications;

namespace Backstop.Server.Notifications;

/// <summary>
/// Posts notifications to the configured webhooks (docs/schedules.md "Notifications"): each message is recorded once per
/// webhook before its first try, then sent in the background, tried again after a doubling wait while it fails
/// (a non-2xx answer, a network error or a timeout), and each try's outcome recorded. The URLs stay in this object:
/// logs, records and errors name the webhook, never its address.
/// </summary>
public sealed class Notifier : INotifications, IAsyncDisposable
{
    private readonly NotificationSettings _settings;
    private readonly IReadOnlyDictionary<string, Uri> _urls;
    private readonly NotificationStore _store;
    private readonly TimeProvider _clock;
    private readonly Func<string> _baseUrl;
    private readonly Action<string> _log;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>camelCase, as the API answers.</summary>
    private static readonly JsonSerializerOptions Fields = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<Task, byte> _sending = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <param name="urls">each webhook's URL by name (<see cref="WebhookUrls"/>).</param>
    /// <param name="baseUrl">server.public_url, or where the server listens: what links start with.</param>
    /// <param name="log">the server's log (standard error).</param>
    internal Notifier(NotificationSettings settings, IReadOnlyDictionary<string, Uri> urls, NotificationStore store, TimeProvider clock, Func<string> baseUrl, Action<string> log)
    {
        _settings = settings;
        _urls = urls;
        _store = store;
        _clock = clock;
        _baseUrl = baseUrl;
        _log = log;
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Backstop", ServerHost.Version));
    }

    public string ApprovalLink(long requestId) => $"{_baseUrl().TrimEnd('/')}/approvals/{requestId.ToString(CultureInfo.InvariantCulture)}";

    public async Task NotifyAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        foreach (var webhook in _settings.Webhooks.Where(w => w.Events.Contains(message.Event) || message.Event == NotificationEvents.Test))
        {
            long? id;
            try
            {
                id = await _store.AddAsync(new Notification
                {
                    EventKey = message.Key,
                    Webhook = webhook.Name,
                    Event = message.Event,
                    Environment = message.Environment,
                    Text = message.Text,
                    CreatedAt = _clock.GetUtcNow(),
                    Status = NotificationStatuses.Sending,
                }, cancellationToken);
            }
            catch (Exception e) when (e is Core.Environments.ConnectionFailedException or System.Data.Common.DbException or IOException)
            {
                _log($"error: the notification {message.Key} for webhook '{webhook.Name}' could not be recorded ({e.Message}); it is not sent");
                continue;
            }

            if (id is { } recorded)
            {
                Track(DeliverLoggedAsync(webhook, recorded, message));
            }
        }
    }

    private async Task DeliverLoggedAsync(WebhookSettings webhook, long id, NotificationMessage message)
    {
        try
        {
            await DeliverAsync(webhook, id, message);
        }
        catch (Exception e)
        {
            _log($"error: notification {id} ({message.Event}) to webhook '{webhook.Name}' stopped on an unexpected error ({e.GetType().Name})");
        }
    }

    private void Track(Task delivery)
    {
        _sending.TryAdd(delivery, 0);
        _ = delivery.ContinueWith(t => _sending.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task DeliverAsync(WebhookSettings webhook, long id, NotificationMessage message)
    {
        var body = Payload(message);
        for (var attempt = 1; attempt <= webhook.Attempts; attempt++)
        {
            var error = await TryAsync(webhook, body);
            var last = attempt == webhook.Attempts;
            var status = error is null ? NotificationStatuses.Delivered : last ? NotificationStatuses.Failed : NotificationStatuses.Sending;
            try
            {
                await _store.RecordAttemptAsync(id, attempt, _clock.GetUtcNow(), status, error, CancellationToken.None);
            }
            catch (Exception e) when (e is Core.Environments.ConnectionFailedException or System.Data.Common.DbException or IOException)
            {
                _log($"error: the outcome of notification {id} could not be recorded ({e.Message})");
            }

            if (error is null)
            {
                return;
            }

            var wait = webhook.Backoff * Math.Pow(2, attempt - 1);
            _log($"notification {id} ({message.Event}) to webhook '{webhook.Name}': try {attempt} of {webhook.Attempts} failed ({error})"
                + (last ? "; giving up: `backstop notify list --failed` lists it" : $"; trying again in {wait.TotalSeconds:0.#} s"));
            if (last)
            {
                return;
            }

            try
            {
                await Task.Delay(wait, _clock, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                await _store.RecordAttemptAsync(id, attempt, _clock.GetUtcNow(), NotificationStatuses.Failed, error + "; the server stopped before the next try", CancellationToken.None);
                return;
            }
        }
    }

    /// <returns>null when delivered; else why not, without the URL.</returns>
    private async Task<string?> TryAsync(WebhookSettings webhook, string body)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(webhook.Timeout);
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await _http.PostAsync(_urls[webhook.Name], content, timeout.Token);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            return $"no answer within {webhook.Timeout.TotalSeconds:0.#} s";
        }
        catch (OperationCanceledException)
        {
            return "the server stopped";
        }
        catch (HttpRequestException e)
        {
            // The message of an HttpRequestException can hold the address; its kind and socket error cannot.
            return e.InnerException is System.Net.Sockets.SocketException socket ? $"network error: {socket.SocketErrorCode}" : $"network error: {e.HttpRequestError}";
        }
    }

    private string Payload(NotificationMessage message)
    {
        var json = new JsonObject
        {
            ["event"] = message.Event,
            ["text"] = message.Text,
            ["environment"] = message.Environment,
            ["at"] = _clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
        };
        foreach (var (name, value) in message.Fields)
        {
            json[name] = JsonSerializer.SerializeToNode(value, Fields);
        }

        return json.ToJsonString();
    }

    /// <summary>Stops waiting between tries (what was not delivered is recorded as failed) and waits for the tries under way.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAny(Task.WhenAll(_sending.Keys), Task.Delay(TimeSpan.FromSeconds(5)));
        _http.Dispose();
        _stopping.Dispose();
    }
}

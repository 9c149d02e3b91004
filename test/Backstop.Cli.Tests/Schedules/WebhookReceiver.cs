using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Backstop.Cli.Tests.Schedules;

/// <summary>
/// A webhook endpoint as a chat service runs one: a real HTTP listener on a free loopback port that keeps every POST it
/// gets and answers 500 to the first <c>failFirst</c> of them (all of them with -1), 200 after.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<JsonDocument> _received = [];
    private readonly int _failFirst;
    private readonly Task _loop;

    public static WebhookReceiver Start(int failFirst) => new(failFirst);

    private WebhookReceiver(int failFirst)
    {
        _failFirst = failFirst;
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}/services/T0001/{Secret}";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The part of the URL that makes it a secret: no log, record or answer may hold it.</summary>
    public string Secret { get; } = "hook-secret-" + Guid.NewGuid().ToString("N")[..12];

    public string Url { get; }

    public IReadOnlyList<JsonElement> Received
    {
        get
        {
            lock (_received)
            {
                return _received.Select(d => d.RootElement).ToList();
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> posts of <paramref name="event"/> came.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(string @event, int count, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var matching = Received.Where(r => r.GetProperty("event").GetString() == @event).ToList();
            if (matching.Count >= count || DateTime.UtcNow > until)
            {
                return matching;
            }

            await Task.Delay(100);
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            int count;
            lock (_received)
            {
                _received.Add(JsonDocument.Parse(body));
                count = _received.Count;
            }

            context.Response.StatusCode = _failFirst < 0 || count <= _failFirst ? 500 : 200;
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}

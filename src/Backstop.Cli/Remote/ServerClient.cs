using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Backstop.Core.Reports;

namespace Backstop.Cli.Remote;

/// <summary>
/// The CLI's side of the server's API (docs/server.md): JSON in and out with the same options as <c>--json</c>, and
/// every refusal turned into a <see cref="RemoteException"/> with the server's message and exit code.
/// </summary>
internal sealed class ServerClient : IDisposable
{
    private readonly HttpClient _http;

    public ServerClient(string server, string? token)
    {
        if (!Uri.TryCreate(server.TrimEnd('/') + "/", UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"'{server}' is not a server URL; give one like https://backstop.example.com:8440");
        }

        Server = server.TrimEnd('/');
        _http = new HttpClient { BaseAddress = new Uri(root, "api/v1/"), Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("backstop", Backstop.Server.ServerHost.Version));
    }

    public string Server { get; }

    public static ServerClient For(Credentials credentials) => new(credentials.Server, credentials.Token);

    public Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) => SendAsync<T>(HttpMethod.Get, path, null, cancellationToken);

    public Task<T> PostAsync<T>(string path, object body, CancellationToken cancellationToken) => SendAsync<T>(HttpMethod.Post, path, body, cancellationToken);

    public async Task SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(method, path, body, cancellationToken);
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await CallAsync(method, path, body, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(ReportJson.Options, cancellationToken)
            ?? throw new RemoteException($"the server at {Server} answered {path} with nothing", 1);
    }

    /// <summary>The body of a GET, as a stream (a whole script can be large).</summary>
    public async Task<Stream> StreamAsync(string path, CancellationToken cancellationToken)
    {
        var response = await CallAsync(HttpMethod.Get, path, null, cancellationToken);
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    private async Task<HttpResponseMessage> CallAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: ReportJson.Compact);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RemoteException($"cannot reach the Backstop server at {Server} ({e.Message}); check the URL, or use --local to work without it", 1);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var (message, exitCode) = await ProblemAsync(response, cancellationToken);
            throw new RemoteException(message, exitCode);
        }
    }

    private async Task<(string Message, int ExitCode)> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            {
                var exit = root.TryGetProperty("exitCode", out var code) && code.TryGetInt32(out var c) ? c : 1;
                return (detail.GetString()!, exit);
            }
        }
        catch (JsonException)
        {
        }

        return ($"the server at {Server} answered {(int)response.StatusCode} {response.ReasonPhrase}", (int)response.StatusCode == 401 ? 2 : 1);
    }

    public void Dispose() => _http.Dispose();
}

using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Backstop.Cli.Tests.Team;

/// <summary>
/// `backstop server` as a real process on a free loopback port, started from a workspace's backstop.yaml; everything it
/// prints is kept (for the test that no secret reaches its log).
/// </summary>
internal sealed partial class TeamServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TeamServerProcess(Process process) => _process = process;

    public string Url { get; private set; } = "";

    /// <summary>What the server printed so far, standard output and standard error.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    [GeneratedRegex(@"listening on (https?://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    public static async Task<TeamServerProcess> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment = null, string listen = "http://127.0.0.1:0")
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "backstop.dll"));
        info.ArgumentList.Add("server");
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(listen);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var server = new TeamServerProcess(Process.Start(info)!);
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data, listening);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data, listening);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var exited = server._process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(90)));
        if (first != listening.Task)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException("the server did not start:\n" + server.Output);
        }

        server.Url = await listening.Task;
        return server;
    }

    private void Append(string? line, TaskCompletionSource<string> listening)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (Listening().Match(line) is { Success: true } match)
        {
            listening.TrySetResult(match.Groups[1].Value);
        }

        if (ProxyListening().Match(line) is { Success: true } proxy)
        {
            _proxyPort.TrySetResult(int.Parse(proxy.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private readonly TaskCompletionSource<int> _proxyPort = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [GeneratedRegex(@"PostgreSQL proxy listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ProxyListening();

    /// <summary>The port of the server's PostgreSQL proxy (server.proxy with listen: 127.0.0.1:0).</summary>
    public async Task<int> ProxyPortAsync()
    {
        var first = await Task.WhenAny(_proxyPort.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        return first == _proxyPort.Task ? await _proxyPort.Task : throw new InvalidOperationException("the server's proxy did not start:\n" + Output);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

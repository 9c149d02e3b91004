using Backstop.Cli.Tests.Team;

namespace Backstop.Cli.Tests.Schedules;

/// <summary>A webhook whose URL cannot be read stops `backstop server` before it listens, naming the webhook and where the URL was to be, never a URL.</summary>
public sealed class ServerStartRefusalTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Server_with_a_webhook_variable_unset_or_not_a_url_refuses_to_start()
    {
        await File.WriteAllTextAsync(_workspace.ConfigPath, "environments:\nserver:\n  urls: [http://127.0.0.1:0]\nnotifications:\n  webhooks:\n    chat:\n      url: env:CHAT_WEBHOOK\n");
        await TeamSetup.Must(_workspace.RunWithInputAsync(new StringReader("root-long-password-3\n"), false, "server", "init", "--admin", "root", "--password-stdin"));

        var unset = await _workspace.RunAsync("server");
        Assert.True(unset.ExitCode == 2, unset.ToString());
        Assert.Contains("the URL of webhook 'chat' is read from the variable CHAT_WEBHOOK (notifications.webhooks.chat.url in", Line(unset.Error), StringComparison.Ordinal);
        Assert.Contains("which is not set; set it in the server's environment", Line(unset.Error), StringComparison.Ordinal);

        _workspace.Variables["CHAT_WEBHOOK"] = "hooks.example.com/services/T0/B0/not-a-url-secret";
        var wrong = await _workspace.RunAsync("server");
        Assert.True(wrong.ExitCode == 2, wrong.ToString());
        Assert.Contains("the URL of webhook 'chat', read from the variable CHAT_WEBHOOK, is not an http:// or https:// URL (it is not shown: it is a secret)", Line(wrong.Error), StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-url-secret", wrong.All, StringComparison.Ordinal);
    }

    /// <summary>The message as one line: the terminal output wraps it.</summary>
    private static string Line(string text) => string.Join(' ', text.Split(['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries));
}

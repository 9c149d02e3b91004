using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Backstop.Core.Audit;
using Backstop.Core.Configuration;
using Backstop.Core.State;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests.Team;

/// <summary>
/// The server holds the environments' credentials and never gives them away (issue 15, point 1): with a known password
/// in an environment's URL, no API answer (errors included), no line of the server's log, nothing in the state store
/// and nothing in the audit log holds it.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class ServerSecretsTests : IAsyncLifetime
{
    private const string Password = "Known-Secret-7f3a9c2e";

    private TeamSetup _team = null!;
    private readonly Dictionary<string, string> _serverVariables = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync(before: async (workspace, database) =>
        {
            // The environment's URL, with the password, lives in the server's variables; a second environment's URL
            // points at a port nobody listens on, so that a connection error is among the answers.
            var url = CliWorkspace.UrlOf(database).Replace("postgresql://postgres@", $"postgresql://postgres:{Password}@", StringComparison.Ordinal);
            _serverVariables["PROD_URL"] = url;
            _serverVariables["BROKEN_URL"] = $"postgresql://postgres:{Password}@127.0.0.1:1/nothing";
            workspace.Variables["PROD_URL"] = url;
            var text = await File.ReadAllTextAsync(workspace.ConfigPath);
            text = text.Replace("url: " + CliWorkspace.UrlOf(database), "url: env:PROD_URL", StringComparison.Ordinal)
                .Replace("environments:\n", "environments:\n  broken:\n    url: env:BROKEN_URL\n    tier: development\n", StringComparison.Ordinal);
            await File.WriteAllTextAsync(workspace.ConfigPath, text);
        }, serverEnvironment: _serverVariables);
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    [Fact]
    public async Task Known_password_appears_in_no_answer_log_state_or_audit_entry()
    {
        var seen = new StringBuilder();
        using var http = new HttpClient { BaseAddress = new Uri(_team.Server.Url) };
        using (var credentials = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(_team.Alice.CredentialsPath)))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credentials.RootElement.GetProperty("token").GetString());
        }

        async Task<string> Call(HttpMethod method, string path, object? body = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            seen.AppendLine(text);
            return text;
        }

        await Call(HttpMethod.Get, "/api/v1/health");
        await Call(HttpMethod.Get, "/api/v1/openapi.json");
        await Call(HttpMethod.Get, "/api/v1/environments");
        await Call(HttpMethod.Post, "/api/v1/environments/prod/check", new { script = "DELETE FROM users WHERE id = 8" });
        await Call(HttpMethod.Post, "/api/v1/environments/prod/check", new { script = "SELECT * FROM no_such_table" });
        var broken = await Call(HttpMethod.Post, "/api/v1/environments/broken/check", new { script = "SELECT 1" });
        Assert.Contains("cannot connect to environment 'broken'", broken);
        await Call(HttpMethod.Post, "/api/v1/environments/prod/runs", new { script = "DELETE FROM users WHERE id = 9" });
        await Call(HttpMethod.Post, "/api/v1/environments/prod/runs", new { script = "UPDATE users SET name = 'x' WHERE id = 10", confirm = "prod" });
        await Call(HttpMethod.Post, "/api/v1/environments/nowhere/runs", new { script = "SELECT 1" });
        await Call(HttpMethod.Get, "/api/v1/approvals?all=true");
        await Call(HttpMethod.Get, "/api/v1/changes?limit=100");
        await Call(HttpMethod.Get, "/api/v1/changes/1");
        await Call(HttpMethod.Get, "/api/v1/changes/1/script");
        await Call(HttpMethod.Post, "/api/v1/sessions", new { user = "alice", password = "wrong-password-here" });
        var cli = await _team.Alice.RunAsync("check", "-e", "broken", "-c", "SELECT 1");
        seen.AppendLine(cli.All);
        Assert.Equal(1, cli.ExitCode);

        Assert.DoesNotContain(Password, seen.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, _team.Server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, await StateTextAsync(), StringComparison.Ordinal);

        var config = ConfigLoader.Load(_team.Workspace.ConfigPath);
        var audit = await AuditLogs.OpenAsync(StateLocation.Of(config, _ => null), null, CancellationToken.None);
        var entries = new StringBuilder();
        await foreach (var entry in audit.ReadAllAsync(CancellationToken.None))
        {
            entries.AppendLine(entry.Json);
        }

        Assert.Contains("\"signin.failed\"", entries.ToString());
        Assert.Contains("\"request\"", entries.ToString());
        Assert.DoesNotContain(Password, entries.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(TeamSetup.AlicePassword, entries.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Everything the state store holds, as text: the SQLite files' bytes, or every row of the PostgreSQL state schema.</summary>
    private async Task<string> StateTextAsync()
    {
        var location = StateLocation.Of(ConfigLoader.Load(_team.Workspace.ConfigPath), _ => null);
        if (location.FilePath is { } file)
        {
            var text = new StringBuilder();
            foreach (var path in Directory.GetFiles(Path.GetDirectoryName(file)!, "state.db*"))
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream, Encoding.Latin1);
                text.Append(await reader.ReadToEndAsync());
            }

            Assert.Contains("DELETE FROM users WHERE id = 9", text.ToString());
            return text.ToString();
        }

        await using var connection = new NpgsqlConnection(location.Url!.ToConnectionString());
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'backstop_state'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var all = new StringBuilder();
        foreach (var table in tables)
        {
            await using var dump = new NpgsqlCommand($"SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM backstop_state.\"{table}\" t", connection);
            all.AppendLine((string)(await dump.ExecuteScalarAsync())!);
        }

        Assert.Contains("DELETE FROM users WHERE id = 9", all.ToString());
        return all.ToString();
    }
}

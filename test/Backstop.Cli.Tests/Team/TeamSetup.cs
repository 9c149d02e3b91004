using Backstop.Testing;

namespace Backstop.Cli.Tests.Team;

/// <summary>
/// A team as the tests need it: a workspace whose backstop.yaml holds a production environment (users, each with leads
/// that go with it by ON DELETE CASCADE; any cascade needs approval, and there is no freeze window so the tests do not
/// depend on the day), the server initialized with its admin, a requester (alice) and an approver (bob), and the
/// server running as a process of its own.
/// </summary>
internal sealed class TeamSetup : IAsyncDisposable
{
    public const string Schema = """
        CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE leads (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE CASCADE, note text);
        INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 50) g;
        INSERT INTO leads (user_id, note) SELECT 1 + g % 50, 'lead ' || g FROM generate_series(0, 249) g;
        """;

    public const string AlicePassword = "alice-long-password";
    public const string BobPassword = "bob-long-password-2";
    public const string RootPassword = "root-long-password-3";

    private TeamSetup(CliWorkspace workspace, string database, TeamServerProcess server)
    {
        Workspace = workspace;
        Database = database;
        Server = server;
        Alice = new TeamCli("alice", workspace.Directory);
        Bob = new TeamCli("bob", workspace.Directory);
        Root = new TeamCli("root", workspace.Directory);
    }

    public CliWorkspace Workspace { get; }

    /// <summary>The production database's connection string.</summary>
    public string Database { get; }

    public TeamServerProcess Server { get; }

    public IReadOnlyDictionary<string, string>? ServerEnvironment { get; private init; }

    /// <summary>Another server process on the same configuration and state (the caller disposes it).</summary>
    public Task<TeamServerProcess> StartAnotherServerAsync() => TeamServerProcess.StartAsync(Workspace.Directory, ServerEnvironment);

    public TeamCli Alice { get; }

    public TeamCli Bob { get; }

    public TeamCli Root { get; }

    /// <param name="serverSettings">lines of the server: section (indented two spaces), e.g. "  token_expiry: 3s".</param>
    /// <param name="url">the environment's URL as backstop.yaml gives it (default: the database's, recorded by env add).</param>
    /// <param name="policy">more lines of the production policy (indented four spaces).</param>
    /// <param name="postgresState">keep the state in PostgreSQL whatever the suite's setting (several servers share it).</param>
    public static async Task<TeamSetup> StartAsync(
        string serverSettings = "", Func<CliWorkspace, string, Task>? before = null, IReadOnlyDictionary<string, string>? serverEnvironment = null, string policy = "", bool postgresState = false, string listen = "http://127.0.0.1:0")
    {
        var workspace = new CliWorkspace();
        if (postgresState)
        {
            workspace.StateInPostgres = true;
        }

        var database = await workspace.AddEnvironmentAsync("prod", "production", Schema);
        if (before is not null)
        {
            await before(workspace, database);
        }

        var text = await File.ReadAllTextAsync(workspace.ConfigPath);
        text = text.Replace("\n  production:\n", "\n  production:\n    freeze_window: none\n    cascade: approve\n" + policy, StringComparison.Ordinal);
        var limit = serverSettings.Contains("sign_ins_per_minute", StringComparison.Ordinal) ? "" : "  sign_ins_per_minute: 1000\n";
        await File.WriteAllTextAsync(workspace.ConfigPath, text + $"server:\n{limit}{serverSettings}\n");
        await Must(workspace.RunWithInputAsync(new StringReader(RootPassword + "\n"), false, "server", "init", "--admin", "root", "--password-stdin"));
        await Must(workspace.RunWithInputAsync(new StringReader(AlicePassword + "\n"), false, "user", "add", "alice", "--role", "requester", "--password-stdin"));
        await Must(workspace.RunWithInputAsync(new StringReader(BobPassword + "\n"), false, "user", "add", "bob", "--role", "approver", "--password-stdin"));
        var server = await TeamServerProcess.StartAsync(workspace.Directory, serverEnvironment, listen);
        return new TeamSetup(workspace, database, server) { ServerEnvironment = serverEnvironment };
    }

    public async Task LoginAllAsync()
    {
        await Must(Alice.LoginAsync(Server.Url, AlicePassword));
        await Must(Bob.LoginAsync(Server.Url, BobPassword));
    }

    public static async Task Must(Task<CliResult> command)
    {
        var result = await command;
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>The request number of a `run --json` that asked for approval.</summary>
    public static long RequestId(CliResult result)
    {
        using var json = System.Text.Json.JsonDocument.Parse(result.Out);
        return json.RootElement.GetProperty("requestId").GetInt64();
    }

    public Task<long> CountAsync(string sql) => PostgresSandbox.ScalarAsync(Database, sql);

    /// <summary>
    /// Snapshot rules for the fixture's tables (prod's <c>snapshot:</c> section, for <c>AddSettingAsync</c>), their key
    /// in the variable SNAPSHOT_KEY of the workspace and the server.
    /// </summary>
    public const string SnapshotRules = """
        snapshot:
              key: env:SNAPSHOT_KEY
              tables:
                public.users:
                  columns: { id: keep, name: { fake: name } }
                public.leads:
                  columns: { id: keep, user_id: keep, note: { fake: text } }
        """;

    /// <summary>An HTTP client for the server's API with <paramref name="who"/>'s token from their `backstop login`.</summary>
    public async Task<HttpClient> ApiAsAsync(TeamCli who)
    {
        var http = new HttpClient { BaseAddress = new Uri(Server.Url) };
        using var credentials = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(who.CredentialsPath));
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", credentials.RootElement.GetProperty("token").GetString());
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Workspace.Dispose();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Backstop.Cli;
using Backstop.Postgres.Sandbox;
using Npgsql;

namespace Backstop.Benchmarks;

/// <summary>
/// What remote mode adds to `backstop check` of the cascade DELETE: the same command, in the same process, parsed and
/// rendered the same way, once against the database directly (local) and once through a real server process on a
/// loopback port (remote), alternating round by round so that the machine's moods weigh on both alike. The process
/// start of the CLI, the same in both modes, is left out.
/// </summary>
internal static class RemoteRounds
{
    private const string Schema = """
        CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE leads (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE CASCADE);
        CREATE TABLE conversations (id serial PRIMARY KEY, lead_id int NOT NULL REFERENCES leads ON DELETE CASCADE);
        INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 100) g;
        INSERT INTO leads (user_id) SELECT 1 + g % 100 FROM generate_series(0, 2999) g;
        INSERT INTO conversations (lead_id) SELECT 1 + g % 3000 FROM generate_series(0, 29999) g;
        """;

    public static void Run(int rounds) => RunAsync(rounds).GetAwaiter().GetResult();

    private static async Task RunAsync(int rounds)
    {
        await using var cluster = await SandboxCluster.StartAsync(new SandboxOptions { Name = $"bench-remote-{Environment.ProcessId}" });
        await using (var connection = new NpgsqlConnection(cluster.ConnectionString()))
        {
            await connection.OpenAsync();
            await using var load = new NpgsqlCommand(Schema, connection);
            await load.ExecuteNonQueryAsync();
        }

        var work = Directory.CreateTempSubdirectory("backstop-bench-remote-").FullName;
        Process? server = null;
        try
        {
            var url = new NpgsqlConnectionStringBuilder(cluster.ConnectionString()) is var b ? $"postgresql://{b.Username}@{b.Host}:{b.Port}/{b.Database}" : "";
            Must(await CliAsync(work, null, null, "init"));
            Must(await CliAsync(work, null, null, "env", "add", "prod", "--url", url, "--tier", "production"));
            Must(await CliAsync(work, null, "bench-root-password\n", "server", "init", "--admin", "root", "--password-stdin"));
            (server, var serverUrl) = await StartServerAsync(work);
            using var http = new HttpClient { BaseAddress = new Uri(serverUrl) };
            using var signIn = await http.PostAsJsonAsync("/api/v1/sessions", new { user = "root", password = "bench-root-password" });
            using var json = JsonDocument.Parse(await signIn.Content.ReadAsStringAsync());
            var remote = new Dictionary<string, string> { ["BACKSTOP_SERVER"] = serverUrl, ["BACKSTOP_TOKEN"] = json.RootElement.GetProperty("token").GetString()! };

            string[] check = ["check", "-e", "prod", "-c", "DELETE FROM users WHERE id = 1"];
            Expect(4, await CliAsync(work, null, null, check));
            Expect(4, await CliAsync(work, remote, null, check));
            var local = new List<double>();
            var through = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var viaServer in round % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var watch = Stopwatch.StartNew();
                    var (code, _) = await CliAsync(work, viaServer ? remote : null, null, check);
                    watch.Stop();
                    Expect(4, (code, ""));
                    (viaServer ? through : local).Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            var (l, r) = (Median(local), Median(through));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"check of the cascade DELETE, {rounds} rounds: local median {l:0.0} ms (p90 {P90(local):0.0}), through the server median {r:0.0} ms (p90 {P90(through):0.0}); remote mode adds {r - l:0.0} ms ({r / l:0.00}x)"));
        }
        finally
        {
            if (server is not null)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
                server.Dispose();
            }

            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> CliAsync(string directory, IReadOnlyDictionary<string, string>? variables, string? input, params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var host = new CliHost
        {
            Out = output,
            Error = error,
            In = new StringReader(input ?? ""),
            Interactive = false,
            WorkingDirectory = directory,
            Variables = name => variables?.GetValueOrDefault(name),
        };
        var code = await BackstopApp.RunAsync(args, host, CancellationToken.None);
        return (code, output.ToString() + error);
    }

    private static async Task<(Process Server, string Url)> StartServerAsync(string directory)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "backstop.dll"), "server", "--urls", "http://127.0.0.1:0" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (System.Text.RegularExpressions.Regex.Match(line, @"listening on (http://127\.0\.0\.1:\d+)") is { Success: true } match)
            {
                _ = process.StandardOutput.ReadToEndAsync();
                return (process, match.Groups[1].Value);
            }
        }

        throw new InvalidOperationException("the server did not start");
    }

    private static void Must((int ExitCode, string Output) result) => Expect(0, result);

    private static void Expect(int code, (int ExitCode, string Output) result)
    {
        if (result.ExitCode != code)
        {
            throw new InvalidOperationException($"expected exit {code}, got {result.ExitCode}: {result.Output}");
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static double P90(List<double> values) => values.Order().ElementAt((int)(values.Count * 0.9));
}

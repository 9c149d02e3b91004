using Backstop.Core.Team;
using System.Diagnostics;
using Backstop.Proxy.Authentication;
using Backstop.Proxy.Tests.Support;

namespace Backstop.Proxy.Tests.Functional;

/// <summary>Real psql (libpq 15) against the protocol pieces, over TCP on 127.0.0.1.</summary>
public sealed class PsqlTests
{
    private static readonly Dictionary<string, ScramVerifier> Users = new(StringComparer.Ordinal)
    {
        ["alice"] = ScramVerifier.Create("correct horse battery staple"),
    };

    [Fact]
    public async Task Psql_right_password_authenticates_and_prints_select_1()
    {
        await using var server = PgServerFake.Start(Users);

        var (exitCode, stdout, stderr) = await RunPsqlAsync(server.Port, "correct horse battery staple");

        Assert.True(exitCode == 0, $"psql exited {exitCode}: {stderr}");
        Assert.Equal(["?column?", "1", "(1 row)"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith('-')));
        Assert.Equal(["select 1"], server.Queries);
        Assert.Equal(["prod"], server.Databases);
        Assert.Empty(server.Faults);
    }

    [Fact]
    public async Task Psql_sslmode_prefer_is_answered_N_and_goes_on_in_the_clear()
    {
        await using var server = PgServerFake.Start(Users);

        var (exitCode, _, stderr) = await RunPsqlAsync(server.Port, "correct horse battery staple", sslMode: "prefer");

        Assert.True(exitCode == 0, $"psql exited {exitCode}: {stderr}");
        Assert.Equal(["select 1"], server.Queries);
    }

    [Fact]
    public async Task Psql_wrong_password_exits_2_with_password_authentication_failed()
    {
        await using var server = PgServerFake.Start(Users);

        var (exitCode, stdout, stderr) = await RunPsqlAsync(server.Port, "wrong horse battery staple");

        Assert.Equal(2, exitCode);
        Assert.Contains("FATAL:  password authentication failed for user \"alice\"", stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);
        Assert.Empty(server.Queries);
        Assert.Empty(server.Faults);
    }

    [Fact]
    public async Task Psql_unknown_user_gets_the_same_answer_as_a_wrong_password()
    {
        await using var server = PgServerFake.Start(Users);

        var (exitCode, _, stderr) = await RunPsqlAsync(server.Port, "correct horse battery staple", user: "mallory");

        Assert.Equal(2, exitCode);
        Assert.Contains("FATAL:  password authentication failed for user \"mallory\"", stderr, StringComparison.Ordinal);
        Assert.Empty(server.Faults);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunPsqlAsync(int port, string password, string user = "alice", string sslMode = "disable")
    {
        var start = new ProcessStartInfo("psql")
        {
            ArgumentList = { "-X", $"host=127.0.0.1 port={port} user={user} dbname=prod sslmode={sslMode} connect_timeout=10", "-c", "select 1" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PGPASSWORD"] = password;
        start.Environment.Remove("PGSERVICE");
        start.Environment.Remove("PGSSLMODE");

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

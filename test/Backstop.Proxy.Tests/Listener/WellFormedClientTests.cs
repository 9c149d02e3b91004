using System.Diagnostics;
using Npgsql;

namespace Backstop.Proxy.Tests.Listener;

/// <summary>Real clients (Npgsql, psql) through a real listener to the sandbox database: what malformed input must not break.</summary>
public sealed class WellFormedClientTests(ListenerDatabase database) : IClassFixture<ListenerDatabase>
{
    [Fact]
    public async Task Npgsql_signs_in_as_alice_and_reads_select_1_and_a_table()
    {
        await using var proxy = database.Start();
        await using var connection = new NpgsqlConnection(proxy.NpgsqlConnectionString());
        await connection.OpenAsync();

        await using (var one = new NpgsqlCommand("SELECT 1", connection))
        {
            Assert.Equal(1, await one.ExecuteScalarAsync());
        }

        var names = new List<string>();
        await using (var select = new NpgsqlCommand("SELECT name FROM fruits ORDER BY id", connection))
        await using (var reader = await select.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        Assert.Equal(ListenerDatabase.Fruits, names);

        // With a parameter, through the extended protocol.
        await using (var parameterised = new NpgsqlCommand("SELECT name FROM fruits WHERE id = $1", connection) { Parameters = { new() { Value = 2 } } })
        {
            Assert.Equal("banana", await parameterised.ExecuteScalarAsync());
        }

        await connection.CloseAsync();
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(proxy.Log);
        Assert.Contains(proxy.Backend.AuditEntries, e => e is { Action: "proxy.session", User: "alice", Environment: "dev" });
    }

    [Fact]
    public async Task Npgsql_signs_in_as_the_service_account_and_reads_the_table()
    {
        await using var proxy = database.Start();
        await using var connection = new NpgsqlConnection(proxy.NpgsqlConnectionString("app", ListenerBackend.AppPassword));
        await connection.OpenAsync();

        await using var count = new NpgsqlCommand("SELECT count(*) FROM fruits", connection);
        Assert.Equal((long)ListenerDatabase.Fruits.Length, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Npgsql_over_TLS_with_the_proxys_certificate()
    {
        await using var proxy = database.Start(tls: true);
        var builder = new NpgsqlConnectionStringBuilder(proxy.NpgsqlConnectionString(sslMode: "Require"));
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString);
        dataSource.UseSslClientAuthenticationOptionsCallback(options => options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && certificate.GetCertHashString() == ListenerDatabase.Certificate.GetCertHashString());
        await using var source = dataSource.Build();
        await using var connection = await source.OpenConnectionAsync();

        await using var one = new NpgsqlCommand("SELECT name FROM fruits WHERE id = 3", connection);
        Assert.Equal("cherry", await one.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Npgsql_cancel_reaches_the_upstream_server_through_the_proxys_key_and_the_session_goes_on()
    {
        await using var proxy = database.Start();
        await using var connection = new NpgsqlConnection(proxy.NpgsqlConnectionString());
        await connection.OpenAsync();
        var started = Stopwatch.StartNew();

        // Npgsql sends a CancelRequest on a new connection to the proxy, with the BackendKeyData the proxy gave it.
        await using (var sleep = new NpgsqlCommand("SELECT pg_sleep(30)", connection))
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var canceled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep.ExecuteScalarAsync(cancel.Token));
            Assert.Equal("57014", Assert.IsType<PostgresException>(canceled.InnerException).SqlState);
        }

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), "the sleep was not cut short");
        await using var one = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await one.ExecuteScalarAsync());
    }

    [Fact]
    public async Task CancelRequest_with_a_key_the_proxy_did_not_give_is_closed_without_an_answer_and_cancels_nothing()
    {
        await using var proxy = database.Start();
        await using var session = await proxy.ConnectAsync();
        var startup = await session.SignInAsync();
        var key = startup.Single(f => f.Type == 'K');
        await session.SendAsync(Support.Wire.Message('Q', Support.Wire.CString("SELECT pg_sleep(1.5)")));

        // The right process id with another secret: answered with nothing, and the query runs to its end.
        await using (var cancel = await proxy.ConnectAsync())
        {
            var wrongSecret = key.Body[4..].Select(b => (byte)~b).ToArray();
            await cancel.SendAsync(Support.Wire.Int32(16), Support.Wire.Int32(80_877_102), key.Body[..4], wrongSecret);
            await cancel.ExpectClosedAsync();
        }

        var types = new List<char>();
        while (types.LastOrDefault() != 'Z')
        {
            var frame = await session.ReadMessageAsync(TimeSpan.FromSeconds(10));
            Assert.True(frame is not null && frame.Type != 'E', $"the query did not run to its end: {frame?.ToString() ?? "closed"}");
            types.Add(frame!.Type);
        }

        Assert.Equal(['T', 'D', 'C', 'Z'], types);
    }

    [Fact]
    public async Task Psql_reads_select_1_and_the_table()
    {
        await using var proxy = database.Start();

        var (exitCode, stdout, stderr) = await RunPsqlAsync(proxy.Endpoint.Port, "SELECT 1 AS one; SELECT name FROM fruits ORDER BY id");

        Assert.True(exitCode == 0, $"psql exited {exitCode}: {stderr}");
        Assert.Equal(["1", .. ListenerDatabase.Fruits], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Psql_with_sslmode_require_reads_over_TLS()
    {
        await using var proxy = database.Start(tls: true);

        var (exitCode, stdout, stderr) = await RunPsqlAsync(proxy.Endpoint.Port, "SELECT name FROM fruits WHERE id = 1", sslMode: "require");

        Assert.True(exitCode == 0, $"psql exited {exitCode}: {stderr}");
        Assert.Equal("apple", stdout.Trim());
    }

    internal static async Task<(int ExitCode, string Stdout, string Stderr)> RunPsqlAsync(int port, string sql, string user = "alice",
        string password = ListenerBackend.AlicePassword, string sslMode = "disable")
    {
        var start = new ProcessStartInfo("psql")
        {
            // -A -t: values only, one per line.
            ArgumentList = { "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", $"host=127.0.0.1 port={port} user={user} dbname=dev sslmode={sslMode} connect_timeout=10", "-c", sql },
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

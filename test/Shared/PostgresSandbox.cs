using Backstop.Postgres;
using Backstop.Postgres.Sandbox;
using Npgsql;

namespace Backstop.Testing;

/// <summary>
/// One real PostgreSQL sandbox cluster per test run (DESIGN.md, D5), started on first use and stopped when the
/// test process exits. Each test class asks for a database of its own.
/// </summary>
internal static class PostgresSandbox
{
    private static readonly Lazy<Task<SandboxCluster>> Cluster = new(StartAsync);

    public static async Task<SandboxCluster> GetAsync() => await Cluster.Value;

    /// <summary>A new, empty database with a unique name; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var cluster = await GetAsync();
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(cluster.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {PgIdentifier.Quote(name)}", connection);
        await command.ExecuteNonQueryAsync();
        return cluster.ConnectionString(name);
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<string?> TextAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync() as string;
    }

    private static async Task<SandboxCluster> StartAsync()
    {
        await SweepAbandonedAsync();
        var cluster = await SandboxCluster.StartAsync(new SandboxOptions { Name = "test-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..6] });
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopAsync().GetAwaiter().GetResult();
        return cluster;
    }

    /// <summary>
    /// The test host may be ended before its exit handler finishes: remove the clusters of test runs whose process is
    /// gone (named test-PID-…), so that repeated runs do not fill the disk.
    /// </summary>
    private static async Task SweepAbandonedAsync()
    {
        foreach (var (info, _) in SandboxCluster.List())
        {
            var parts = info.Name.Split('-');
            if (parts.Length == 3 && parts[0] == "test" && int.TryParse(parts[1], out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    await SandboxCluster.Find(info.Name).StopAsync();
                }
                catch (Exception e) when (e is SandboxException or IOException or UnauthorizedAccessException)
                {
                    // Another run's leftover that cannot be removed now is no reason to fail this run.
                }
            }
        }
    }
}

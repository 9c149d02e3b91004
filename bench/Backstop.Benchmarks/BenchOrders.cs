using Backstop.Postgres.Sandbox;
using Npgsql;

namespace Backstop.Benchmarks;

/// <summary>
/// A sandbox with one analyzed 1M-row orders table, for the benchmarks that compare against a plain UPDATE of it.
/// Checkpoints and autovacuum at random moments were most of the run-to-run noise, so they are kept out.
/// </summary>
internal static class BenchOrders
{
    public const string Update = "UPDATE bench_orders SET is_deleted = NOT is_deleted";

    public static (SandboxCluster Cluster, NpgsqlConnection Connection) Start(string name, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string> { ["max_wal_size"] = "16GB", ["checkpoint_timeout"] = "1h", ["autovacuum"] = "off" };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var cluster = SandboxCluster.StartAsync(new SandboxOptions { Name = $"{name}-{Environment.ProcessId}", Settings = settings }).GetAwaiter().GetResult();
        try
        {
            var connection = new NpgsqlConnection(cluster.ConnectionString());
            connection.Open();
            Execute(connection, """
                CREATE TABLE bench_orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric(10, 2) NOT NULL, is_deleted boolean NOT NULL DEFAULT false);
                INSERT INTO bench_orders SELECT g, 'customer ' || g, g % 500, false FROM generate_series(1, 1000000) g;
                """);
            Execute(connection, "VACUUM ANALYZE bench_orders");

            // Capture needs the backstop schema at this Backstop's version before a change's transaction begins.
            Core.Capture.CaptureSchema.EnsureAsync(connection, null, CancellationToken.None).GetAwaiter().GetResult();
            return (cluster, connection);
        }
        catch
        {
            cluster.StopAsync().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Before every iteration: no dead rows from the last one, and no checkpoint pending.</summary>
    public static void Settle(NpgsqlConnection connection)
    {
        Execute(connection, "VACUUM bench_orders");
        Execute(connection, "CHECKPOINT");
    }

    public static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        command.ExecuteNonQuery();
    }
}

using System.Text.Json;
using Backstop.Postgres.Sandbox;
using Backstop.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Backstop.Cli.Tests;

/// <summary>
/// The wrong-terminal incident, reenacted as it happens: a 100,000-row database, an application writing into it until
/// the moment of the drop, a last transaction committed just before <c>DROP DATABASE … WITH (FORCE)</c> typed outside
/// Backstop (connected to <c>postgres</c>). One <c>recover-database</c> puts it back with nothing lost, which a control
/// copy that received the same committed writes shows table by table.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class RecoverDatabaseTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const string Schema = """
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, updated_at timestamptz NOT NULL);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, total numeric(12,2) NOT NULL, status text NOT NULL);
        CREATE TABLE events (id bigint PRIMARY KEY, order_id bigint NOT NULL, kind text NOT NULL, at timestamptz NOT NULL);
        CREATE TABLE txlog (seq int PRIMARY KEY);
        INSERT INTO customers SELECT g, 'customer ' || g, '2026-01-01 00:00:00+00' FROM generate_series(1, 20000) g;
        INSERT INTO orders SELECT g, (g % 20000) + 1, (g % 997) * 1.25, 'new' FROM generate_series(1, 60000) g;
        INSERT INTO events SELECT g, g, 'created', '2026-01-01 00:00:00+00' FROM generate_series(1, 20000) g;
        """;

    /// <summary>One application transaction, a function of its sequence number alone, so a control copy can replay it.</summary>
    private const string Write = """
        UPDATE customers SET name = name || '+', updated_at = '2026-02-01 00:00:00+00'::timestamptz + $1 * interval '1 second' WHERE id = ($1 % 20000) + 1;
        UPDATE orders SET status = 'seen ' || $1 WHERE id = ($1 * 7 % 60000) + 1;
        INSERT INTO events VALUES (1000000 + $1, ($1 * 7 % 60000) + 1, 'seen', '2026-02-01 00:00:00+00'::timestamptz + $1 * interval '1 second');
        INSERT INTO txlog VALUES ($1);
        """;

    /// <summary>What the database is besides its tables, which a dump of it leaves out.</summary>
    private const string Properties = """
        CREATE ROLE reporting;
        ALTER DATABASE shop SET search_path = app, public;
        ALTER ROLE reporting IN DATABASE shop SET work_mem = '64MB';
        ALTER DATABASE shop CONNECTION LIMIT 50;
        GRANT CONNECT ON DATABASE shop TO reporting;
        COMMENT ON DATABASE shop IS 'the shop''s database';
        """;

    private const string LastTransaction = "INSERT INTO orders VALUES (999999, 1, 4242.42, 'the last one before the drop'); INSERT INTO txlog VALUES (-1);";

    private readonly CliWorkspace _workspace = new();
    private readonly List<string> _sandboxes = [];
    private SandboxCluster _primary = null!;

    public async Task InitializeAsync()
    {
        _primary = await SandboxCluster.StartAsync(new SandboxOptions { Name = TestName() });
        await PostgresSandbox.ExecuteAsync(_primary.ConnectionString(), "CREATE DATABASE shop");
        await PostgresSandbox.ExecuteAsync(_primary.ConnectionString("shop"), Schema);
        await PostgresSandbox.ExecuteAsync(_primary.ConnectionString(), Properties);
        Assert.Equal(0, (await _workspace.RunAsync("init")).ExitCode);
        Assert.Equal(0, (await _workspace.RunAsync("env", "add", "prod", "--url", $"postgresql://postgres@127.0.0.1:{_primary.Info.Port}/shop", "--tier", "production")).ExitCode);
    }

    public async Task DisposeAsync()
    {
        foreach (var name in _sandboxes.Where(n => SandboxCluster.List().Any(s => s.Info.Name == n)))
        {
            await SandboxCluster.Find(name).StopAsync();
        }

        await _primary.StopAsync();
    }

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Recover_database_after_drop_database_in_the_wrong_terminal_brings_back_every_committed_write()
    {
        var notEnabled = await _workspace.RunAsync("recover-database", "-e", "prod");
        Assert.True(notEnabled.ExitCode == 2, notEnabled.ToString());
        Assert.Contains("environment 'prod' has no point-in-time recovery set up", notEnabled.Error, StringComparison.Ordinal);

        var enabled = await _workspace.RunAsync("pitr", "enable", "-e", "prod", "--pgdata", _primary.Info.DataDirectory, "--restart");
        Assert.True(enabled.ExitCode == 0, enabled.ToString());
        Assert.Contains("changed: ALTER SYSTEM SET archive_timeout = '60s'", enabled.Out, StringComparison.Ordinal);
        Assert.Equal("1min", await PostgresSandbox.TextAsync(_primary.ConnectionString("shop"), "SHOW archive_timeout"));
        var backup = await _workspace.RunAsync("pitr", "backup", "-e", "prod");
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var stillThere = await _workspace.RunAsync("recover-database", "-e", "prod");
        Assert.True(stillThere.ExitCode == 2, stillThere.ToString());
        Assert.Contains("database 'shop' of environment 'prod' still exists (OID ", stillThere.Error, StringComparison.Ordinal);

        // The application writes until the drop terminates it; the last transaction commits from another session just before it.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var application = new Application(_primary.ConnectionString("shop"));
        var writing = application.RunAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        await PostgresSandbox.ExecuteAsync(_primary.ConnectionString("shop"), LastTransaction);
        await PostgresSandbox.ExecuteAsync(_primary.ConnectionString("postgres"), "DROP DATABASE shop WITH (FORCE)");
        await writing;
        NpgsqlConnection.ClearAllPools();
        Assert.True(application.Committed.Count > 20, $"only {application.Committed.Count} application transactions committed");

        var name = TestName();
        _sandboxes.Add(name);
        var recovered = await _workspace.RunAsync("recover-database", "-e", "prod", "--name", name, "--json");

        Assert.True(recovered.ExitCode == 0, recovered.ToString());
        output.WriteLine(recovered.Error);
        output.WriteLine($"application transactions committed: {application.Committed.Count}, in doubt: {application.InDoubt}");
        using var json = JsonDocument.Parse(recovered.Out);
        var root = json.RootElement;
        output.WriteLine("durations (s): " + root.GetProperty("durations"));
        Assert.Equal("shop", root.GetProperty("database").GetString());
        Assert.NotEqual(root.GetProperty("previousOid").GetUInt32(), root.GetProperty("oid").GetUInt32());
        foreach (var step in new[] { "find", "clone", "check", "copy", "verify", "rename" })
        {
            Assert.True(root.GetProperty("durations").TryGetProperty(step, out _), step);
        }

        Assert.Contains("looking for the DROP DATABASE of 'shop'", recovered.Error, StringComparison.Ordinal);
        Assert.Contains("replaying WAL to WAL location ", recovered.Error, StringComparison.Ordinal);
        Assert.False(SandboxCluster.List().Any(s => s.Info.Name == name), "the clone was removed");

        // Nothing lost: every transaction the application saw committed, and the last one, are in; none that did not commit.
        var shop = _primary.ConnectionString("shop");
        var sequences = await ReadSequencesAsync(shop);
        Assert.Contains(-1, sequences);
        Assert.Superset(application.Committed.ToHashSet(), sequences.ToHashSet());
        Assert.Subset(application.Committed.Append(-1).Concat(application.InDoubt is { } doubt ? [doubt] : []).ToHashSet(), sequences.ToHashSet());

        // The initial 100,000 rows, an event and a txlog row per application transaction, and the last transaction's two rows.
        Assert.Equal(100_000 + (2 * (sequences.Count - 1)) + 2, root.GetProperty("rows").GetInt64());

        // Row for row: a control copy given the same initial load and the same committed transactions holds the same tables.
        var control = await PostgresSandbox.CreateDatabaseAsync("control");
        await PostgresSandbox.ExecuteAsync(control, Schema);
        await using (var connection = new NpgsqlConnection(control))
        {
            await connection.OpenAsync();
            foreach (var seq in sequences.Where(s => s >= 0).Order())
            {
                await Application.WriteAsync(connection, seq);
            }

            await using var last = new NpgsqlCommand(LastTransaction, connection);
            await last.ExecuteNonQueryAsync();
        }

        foreach (var table in new[] { "customers", "orders", "events", "txlog" })
        {
            Assert.Equal(await ContentAsync(control, table), await ContentAsync(shop, table));
        }

        // The database's own properties are back too.
        var server = _primary.ConnectionString("postgres");
        Assert.Equal(
            "50|true|the shop's database|{\"search_path=app, public\"}|{work_mem=64MB}",
            await PostgresSandbox.TextAsync(server, """
                SELECT d.datconnlimit || '|' || has_database_privilege('reporting', d.oid, 'CONNECT') || '|' || shob_description
                    || '|' || (SELECT setconfig::text FROM pg_db_role_setting WHERE setdatabase = d.oid AND setrole = 0)
                    || '|' || (SELECT setconfig::text FROM pg_db_role_setting WHERE setdatabase = d.oid AND setrole = 'reporting'::regrole)
                FROM pg_database d, shobj_description(d.oid, 'pg_database') AS shob_description WHERE d.datname = 'shop'
                """));

        // The environment's identity holds the new database: every command reaches it again.
        var verified = await _workspace.RunAsync("env", "verify", "prod");
        Assert.True(verified.ExitCode == 0, verified.ToString());
    }

    [Fact]
    public async Task Recover_database_that_the_wal_does_not_show_dropped_says_what_it_searched()
    {
        Assert.Equal(0, (await _workspace.RunAsync("pitr", "enable", "-e", "prod", "--pgdata", _primary.Info.DataDirectory, "--restart")).ExitCode);
        Assert.Equal(0, (await _workspace.RunAsync("pitr", "backup", "-e", "prod")).ExitCode);
        NpgsqlConnection.ClearAllPools();
        await PostgresSandbox.ExecuteAsync(_primary.ConnectionString("postgres"), "DROP DATABASE shop WITH (FORCE)");

        var notFound = await _workspace.RunAsync("recover-database", "-e", "prod", "--since", DateTimeOffset.UtcNow.AddHours(1).ToString("O"), "--json");

        Assert.True(notFound.ExitCode == 1, notFound.ToString());
        output.WriteLine(notFound.JsonError);
        Assert.StartsWith("no DROP DATABASE of 'shop' (OID ", notFound.JsonError, StringComparison.Ordinal);
        Assert.Matches(
            @"\) committed since .+Z was found in the WAL of environment 'prod': searched WAL from [0-9A-F]+/[0-9A-F]+ to [0-9A-F]+/[0-9A-F]+ \(\d+ segments?, [0-9A-F]{24} to [0-9A-F]{24}, commits from .+\); nothing was changed\. If it was dropped earlier than that, restore a backup instead",
            notFound.JsonError);
    }

    private static async Task<List<int>> ReadSequencesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT seq FROM txlog ORDER BY seq", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var sequences = new List<int>();
        while (await reader.ReadAsync())
        {
            sequences.Add(reader.GetInt32(0));
        }

        return sequences;
    }

    /// <summary>Rows and an MD5 of every row's text, in order, read in UTC.</summary>
    private static async Task<string> ContentAsync(string connectionString, string table)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var zone = new NpgsqlCommand("SET TimeZone = 'UTC'", connection))
        {
            await zone.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand($"SELECT count(*) || ' rows, ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\"), '')) FROM {table} t", connection);
        return $"{table}: {await command.ExecuteScalarAsync()}";
    }

    private static string TestName() => $"test-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>The application: one connection, one transaction after another, until its connection is terminated.</summary>
    private sealed class Application(string connectionString)
    {
        public List<int> Committed { get; } = [];

        /// <summary>A transaction whose COMMIT was sent when the connection died: it may or may not have committed.</summary>
        public int? InDoubt { get; private set; }

        public static async Task WriteAsync(NpgsqlConnection connection, int seq)
        {
            await using var batch = new NpgsqlBatch(connection);
            foreach (var statement in Write.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(statement) { Parameters = { new() { Value = seq } } });
            }

            await batch.ExecuteNonQueryAsync();
        }

        public async Task RunAsync()
        {
            await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
            await connection.OpenAsync();
            for (var seq = 1; ; seq++)
            {
                var committing = false;
                try
                {
                    await using var transaction = await connection.BeginTransactionAsync();
                    await WriteAsync(connection, seq);
                    committing = true;
                    await transaction.CommitAsync();
                    Committed.Add(seq);
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                    InDoubt = committing ? seq : null;
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(5));
            }
        }
    }
}

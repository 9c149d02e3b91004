using System.Diagnostics;
using System.Text.Json;
using Backstop.Postgres.Sandbox;
using Backstop.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Backstop.Cli.Tests;

/// <summary>
/// The soft-delete incident end to end: a plain UPDATE without its WHERE from another client, later writes, then
/// `backstop repair --incident-at` from point-in-time clones made for the occasion.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class RepairIncidentTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const int Orders = 1_000_000;
    private readonly CliWorkspace _workspace = new();
    private PitrIncidentPrimary _primary = null!;

    public async Task InitializeAsync() => _primary = await PitrIncidentPrimary.StartAsync("prod", "shop", "control");

    public async Task DisposeAsync() => await _primary.DisposeAsync();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task The_soft_delete_incident_is_repaired_from_clones_keeping_every_later_write_and_the_repair_can_be_undone()
    {
        var shop = _primary.ConnectionString("shop");
        await PostgresSandbox.ExecuteAsync(shop, $"""
            CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, total numeric(12, 2), note text, is_deleted boolean NOT NULL DEFAULT false);
            INSERT INTO orders SELECT g, g % 5000, g % 977, 'order ' || g, g % 1000 = 0 FROM generate_series(1, {Orders}) g;
            CREATE TABLE before_incident AS SELECT id, is_deleted FROM orders;
            """);
        await _primary.EnableAsync(_workspace, "shop", "staging");

        // At T, from another client: the UPDATE whose WHERE was never sent.
        await Task.Delay(1100);
        var incidentAt = await PostgresSandbox.TextAsync(shop, "SELECT clock_timestamp()::text");
        await PostgresSandbox.ExecuteAsync(shop, "UPDATE orders SET is_deleted = true");

        // The window after T in which the mistake committed: however long the UPDATE took on this machine, and a second.
        var window = await PostgresSandbox.ScalarAsync(shop, $"SELECT ceil(extract(epoch FROM clock_timestamp() - '{incidentAt}'::timestamptz))::bigint + 1");
        await PitrIncidentPrimary.WaitForServerTimeAsync(shop, $"'{incidentAt}'::timestamptz + interval '{window + 1} seconds'");

        // Later writes: 500 to other columns of random orders, 100 orders un-deleted by hand (those are the conflicts).
        var random = new Random(42);
        var ids = Enumerable.Range(0, 5000).Select(_ => (long)random.Next(1, Orders + 1)).Where(id => id % 1000 != 0).Distinct().Take(600).ToList();
        var noted = ids.Take(500).ToList();
        var undeleted = ids.Skip(500).ToList();
        await PostgresSandbox.ExecuteAsync(shop, $"UPDATE orders SET note = 'later ' || id, total = total + 1 WHERE id IN ({string.Join(",", noted)})");
        await PostgresSandbox.ExecuteAsync(shop, $"UPDATE orders SET is_deleted = false WHERE id IN ({string.Join(",", undeleted)})");

        var watch = Stopwatch.StartNew();
        var repair = await _workspace.RunAsync("repair", "-e", "prod", "--incident-at", incidentAt!, "--incident-window", $"{window}s", "--table", "orders", "--columns", "is_deleted", "--yes", "--json");
        output.WriteLine($"repair of {Orders:N0} orders, clones included: {watch.Elapsed.TotalSeconds:0.0} s");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        using var json = JsonDocument.Parse(repair.Out);
        var summary = json.RootElement.GetProperty("repair");
        Assert.Equal(100, summary.GetProperty("conflicts").GetInt32());
        Assert.Equal(Orders - 1000 - 100, summary.GetProperty("updates").GetInt32());
        Assert.Equal(undeleted.Order(), summary.GetProperty("conflictRows").EnumerateArray().Select(r => long.Parse(r.GetProperty("key").GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).Order());

        // Every is_deleted is as before T (the 100 un-deleted by hand were left alone, and are false, as before), and
        // all 600 later writes are intact.
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(shop, "SELECT count(*) FROM orders o JOIN before_incident b USING (id) WHERE o.is_deleted <> b.is_deleted"));
        Assert.Equal(500, await PostgresSandbox.ScalarAsync(shop, "SELECT count(*) FROM orders WHERE note LIKE 'later %'"));
        Assert.Equal(100, await PostgresSandbox.ScalarAsync(shop, $"SELECT count(*) FROM orders WHERE NOT is_deleted AND id IN ({string.Join(",", undeleted)})"));

        var changeId = json.RootElement.GetProperty("change").GetProperty("changeId").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var undo = await _workspace.RunAsync("undo", changeId, "--yes");
        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(Orders - 100, await PostgresSandbox.ScalarAsync(shop, "SELECT count(*) FROM orders WHERE is_deleted"));
    }

    [Fact]
    public async Task An_update_without_where_that_ran_longer_than_any_window_is_found_in_the_wal_and_repaired_exactly_while_the_application_writes()
    {
        var shop = _primary.ConnectionString("shop");
        var control = _primary.ConnectionString("control");
        foreach (var database in new[] { shop, control })
        {
            await PostgresSandbox.ExecuteAsync(database, $"""
                CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, total numeric(12, 2), note text, is_deleted boolean NOT NULL DEFAULT false);
                INSERT INTO orders SELECT g, g % 5000, g % 977, 'order ' || g, g % 1000 = 0 FROM generate_series(1, {Orders}) g;
                """);
        }

        await _primary.EnableAsync(_workspace, "shop", "production");

        // The application: new orders, and notes written on existing ones, in both databases alike, throughout.
        using var stop = new CancellationTokenSource();
        var application = Task.Run(async () =>
        {
            await using var a = new NpgsqlConnection(shop);
            await using var b = new NpgsqlConnection(control);
            await a.OpenAsync();
            await b.OpenAsync();
            var random = new Random(3);
            var writes = 0;
            for (var id = Orders + 1L; !stop.IsCancellationRequested; id++)
            {
                var noted = random.Next(1, Orders + 1);
                var sql = $"INSERT INTO orders VALUES ({id}, 1, 10, 'new', false); UPDATE orders SET note = 'noted {id}' WHERE id = {noted}";
                foreach (var connection in new[] { a, b })
                {
                    await using var command = new NpgsqlCommand(sql, connection);
                    await command.ExecuteNonQueryAsync();
                }

                writes++;
                await Task.Delay(25);
            }

            return writes;
        });
        await Task.Delay(1000);

        // At T, from psql's place: the UPDATE without its WHERE, in a transaction that stays open 12 s before its commit.
        var incidentAt = await PostgresSandbox.TextAsync(shop, "SELECT clock_timestamp()::text");
        long updated;
        await using (var psql = new NpgsqlConnection(shop))
        {
            await psql.OpenAsync();
            await using var transaction = await psql.BeginTransactionAsync();
            await using (var update = new NpgsqlCommand("UPDATE orders SET is_deleted = true", psql, transaction) { CommandTimeout = 0 })
            {
                updated = await update.ExecuteNonQueryAsync();
            }

            await using (var sleep = new NpgsqlCommand("SELECT pg_sleep(12)", psql, transaction))
            {
                await sleep.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
        }

        await Task.Delay(2000);
        await stop.CancelAsync();
        var written = await application;
        Assert.True(written > 20, $"the application wrote only {written} times");

        // No window option: the mistake is found in the WAL. On production the repair is a recovery, confirmed by name.
        var watch = Stopwatch.StartNew();
        var repair = await _workspace.RunAsync("repair", "-e", "prod", "--incident-at", incidentAt!, "--table", "orders", "--columns", "is_deleted", "--confirm", "prod", "--json");
        output.WriteLine($"repair of the {Orders:N0}-row UPDATE found in the WAL, clones included: {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.True(repair.ExitCode == 0, repair.ToString());
        using var json = JsonDocument.Parse(repair.Out);
        Assert.True(updated > Orders, $"the UPDATE changed {updated} rows: the application's new orders were meant to be among them");
        Assert.Equal(updated, json.RootElement.GetProperty("repair").GetProperty("incident").GetProperty("records").GetInt64());
        Assert.Contains(json.RootElement.GetProperty("change").GetProperty("reasons").EnumerateArray(), r => r.GetString()!.StartsWith("a recovery: puts back prod as of WAL location", StringComparison.Ordinal));

        var sql = "SELECT md5(string_agg(o::text, '|' ORDER BY id)) || ':' || count(*) FROM orders o";
        Assert.Equal(await PostgresSandbox.TextAsync(control, sql), await PostgresSandbox.TextAsync(shop, sql));
    }
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests;

/// <summary>Two changes on the same tables: the one that loses says which table and who held it, exit 1, and changes nothing.</summary>
public sealed class LockConflictTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Run_blocked_past_lock_timeout_by_a_backstop_change_names_the_table_and_the_change_and_exits_1()
    {
        var database = await _workspace.AddEnvironmentAsync(
            "dev", "development", "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL); INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 10) g;");
        await _workspace.AddSettingAsync("dev", "lock_timeout: 500ms");
        var other = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE accounts SET balance = 90 WHERE id = 2");
        Assert.True(other.ExitCode == 0, other.ToString());
        var otherUuid = await ChangeUuidAsync(other.ChangeId);

        // The other change's session as Backstop names it while it runs, holding a row lock in an open transaction.
        await using var holder = await OpenAsync(database, "backstop:" + otherUuid.ToString("N"));
        await using var transaction = await holder.BeginTransactionAsync();
        await ExecuteAsync(holder, "UPDATE accounts SET balance = balance WHERE id = 1");

        var result = await _workspace.RunAsync("run", "-e", "dev", "-c", "UPDATE accounts SET balance = 0 WHERE id = 1");
        var error = Flat(result.Error);
        await transaction.RollbackAsync();
        var changes = await _workspace.RunAsync("changes", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("waited 500ms (lock_timeout) for a lock on public.accounts and gave up", error, StringComparison.Ordinal);
        Assert.Contains($"Backstop change {other.ChangeId} (session {holder.ProcessID}, idle in an open transaction) held it", error, StringComparison.Ordinal);
        Assert.EndsWith("nothing was changed; retry", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Detail redacted", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain("55P03", result.All, StringComparison.Ordinal);
        Assert.Equal(100, await PostgresSandbox.ScalarAsync(database, "SELECT balance FROM accounts WHERE id = 1"));
        using var listed = JsonDocument.Parse(changes.Out);
        Assert.Equal("failed", listed.RootElement.GetProperty("changes")[0].GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Run_that_meets_a_transaction_writing_its_tables_waits_without_holding_a_lock_so_neither_deadlocks_and_runs_after_it()
    {
        var database = await _workspace.AddEnvironmentAsync(
            "dev", "development",
            "CREATE TABLE a (id int PRIMARY KEY, v int NOT NULL); CREATE TABLE b (id int PRIMARY KEY, v int NOT NULL); " +
            "INSERT INTO a SELECT g, 0 FROM generate_series(1, 5) g; INSERT INTO b SELECT g, 0 FROM generate_series(1, 5) g;");
        await _workspace.AddSettingAsync("dev", "lock_timeout: 30s");

        // A worker is writing b. The change needs a and b: taken one by one, it would hold a while waiting for b, and the
        // worker's next write to a would close the cycle (a deadlock, one of the two cancelled).
        await using var worker = await OpenAsync(database, "billing-worker");
        await using var transaction = await worker.BeginTransactionAsync();
        await ExecuteAsync(worker, "UPDATE b SET v = v WHERE id = 1");

        var run = _workspace.RunAsync("run", "-e", "dev", "-c", "UPDATE a SET v = v + 1 WHERE id = 1; UPDATE b SET v = v + 1 WHERE id = 2");
        await WaitForBackstopToRetryAsync(database);

        // The change holds neither table while it waits: the worker's write to a goes through at once.
        var watch = Stopwatch.StartNew();
        await ExecuteAsync(worker, "UPDATE a SET v = v + 10 WHERE id = 1");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"the worker waited {watch.Elapsed.TotalSeconds:0.0} s for a");
        await transaction.CommitAsync();

        var result = await run;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("deadlock", result.All, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(11, await PostgresSandbox.ScalarAsync(database, "SELECT v FROM a WHERE id = 1"));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, "SELECT v FROM b WHERE id = 2"));
    }

    /// <summary>Until Backstop's session is taking its capture locks again and again (NOWAIT, under a savepoint).</summary>
    private static async Task WaitForBackstopToRetryAsync(string database)
    {
        var watch = Stopwatch.StartNew();
        while (await PostgresSandbox.ScalarAsync(database,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'backstop:%' AND query LIKE '%backstop_capture_locks%'") == 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "the change never tried to take its locks");
            await Task.Delay(20);
        }
    }

    /// <summary>Whitespace as one space: a long message is wrapped at the console's width.</summary>
    private static string Flat(string text) => Regex.Replace(text, "\\s+", " ").Trim();

    private async Task<Guid> ChangeUuidAsync(string changeId)
    {
        var show = await _workspace.RunAsync("show", changeId, "--json");
        using var json = JsonDocument.Parse(show.Out);
        return json.RootElement.GetProperty("changeUuid").GetGuid();
    }

    private static async Task<NpgsqlConnection> OpenAsync(string database, string applicationName)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { ApplicationName = applicationName, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

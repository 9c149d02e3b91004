using System.Globalization;
using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// SIGKILL at random moments of `backstop run` and `backstop undo`: the database must be exactly before or after
/// the change, never in between, and `backstop changes` must say which.
/// </summary>
[Collection(RunsAlone.Name)]
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class CrashSafetyTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int Kills = 20;
    private const string Change = "UPDATE orders SET is_deleted = NOT is_deleted, note = 'flipped' WHERE id % 3 <> 0";

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Run_and_undo_killed_at_random_points_leave_the_database_before_or_after_and_the_record_agrees()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE orders (id int PRIMARY KEY, note text, is_deleted boolean NOT NULL DEFAULT false);
            INSERT INTO orders (id) SELECT g FROM generate_series(1, 100000) g;
            """);
        var before = await HashAsync(database);

        // How long the two commands take on this machine right now (a loaded machine can take several times as long):
        // the kills land anywhere from the start to a little past the end of the slower one.
        var run = await TimeAsync(["run", "-e", "dev", "-c", Change]);
        var undo = await TimeAsync(["undo", await LastCommittedAsync()]);
        Assert.Equal(before, await HashAsync(database));
        var window = (int)Math.Max(3000, 1.2 * Math.Max(run.TotalMilliseconds, undo.TotalMilliseconds));

        long? after = null;
        var random = new Random(20261121);
        var outcomes = new List<string>();
        var commands = new List<string>();

        for (var attempt = 0; attempt < Kills; attempt++)
        {
            // From "before" a run is killed; from "after" an undo of the committed run is.
            var inBefore = await HashAsync(database) == before;
            var (recordsBefore, _) = await ChangesAsync();
            var args = inBefore ? new[] { "run", "-e", "dev", "-c", Change } : ["undo", await LastCommittedAsync()];
            await KillDuringAsync(args, TimeSpan.FromMilliseconds(random.Next(300, window)));
            await WaitForServerSessionsToEndAsync(database);

            var now = await HashAsync(database);
            var (records, newest) = await ChangesAsync();
            var recorded = records == recordsBefore + 1;
            var committed = recorded && newest == "committed";
            if (now != before)
            {
                after ??= now;
                Assert.True(now == after, $"attempt {attempt}: the data is neither as before nor as after the change");
            }

            Assert.True(committed == (inBefore ? now != before : now == before),
                $"attempt {attempt} ({args[0]}): data {(now == before ? "before" : "after")}, newest record {(recorded ? newest : "none")}");
            outcomes.Add(recorded ? newest! : "not recorded");
            commands.Add(args[0]);
            output.WriteLine($"attempt {attempt}: {args[0]} killed; data {(now == before ? "before" : "after")}; record: {outcomes[^1]}");
        }

        // The kills must have landed at different points of both commands: some changes committed, some did not.
        Assert.Contains("committed", outcomes);
        Assert.Contains(outcomes, o => o != "committed");
        Assert.True(commands.Count(c => c == "run") >= 3 && commands.Count(c => c == "undo") >= 3, string.Join(", ", commands));
    }

    /// <summary>How many changes are recorded, and the newest one's outcome, after `backstop changes` has settled any left running.</summary>
    private async Task<(int Count, string? NewestOutcome)> ChangesAsync()
    {
        var changes = await _workspace.RunAsync("changes", "--json");
        Assert.True(changes.ExitCode == 0, changes.ToString());
        using var json = JsonDocument.Parse(changes.Out);
        var all = json.RootElement.GetProperty("changes").EnumerateArray().ToList();
        Assert.DoesNotContain(all, c => c.GetProperty("outcome").GetString() == "running");
        return (all.Count, all.Count == 0 ? null : all[0].GetProperty("outcome").GetString());
    }

    private async Task<string> LastCommittedAsync()
    {
        var changes = await _workspace.RunAsync("changes", "--json");
        using var json = JsonDocument.Parse(changes.Out);
        var all = json.RootElement.GetProperty("changes").EnumerateArray().ToList();
        var committed = all.First(c => c.GetProperty("outcome").GetString() == "committed");
        return committed.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
    }

    private async Task<TimeSpan> TimeAsync(string[] args)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await BackstopProcess.RunAsync(_workspace.Directory, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return watch.Elapsed;
    }

    private Task KillDuringAsync(string[] args, TimeSpan after) =>
        BackstopProcess.RunAndKillAsync(_workspace.Directory, args, after, entireTree: true);

    /// <summary>A killed client's server session ends on its own; wait for it so the data is final.</summary>
    private static async Task WaitForServerSessionsToEndAsync(string database)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'backstop%'") == 0)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("a killed backstop's server session did not end within 30 s");
    }

    private static Task<long> HashAsync(string database) =>
        PostgresSandbox.ScalarAsync(database, "SELECT ('x' || left(md5(string_agg(t::text, '|' ORDER BY t.id)), 15))::bit(60)::bigint FROM orders t");
}

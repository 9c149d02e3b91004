using System.Text;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Core.State;

namespace Backstop.Core.Tests.State;

/// <summary>What every state store does, proven on the SQLite file and on a PostgreSQL database alike.</summary>
[Trait("Area", "State")]
public sealed class StateStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"backstop-state-{Guid.NewGuid():N}");

    private string StateDirectory => Path.Combine(_directory, ".backstop");

    private string DatabasePath => Path.Combine(StateDirectory, "state.db");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task OpenAsync_missing_directory_creates_the_file()
    {
        await SqliteStateStore.OpenAsync(DatabasePath, CancellationToken.None);

        Assert.True(File.Exists(DatabasePath));
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task AddAsync_then_GetAsync_round_trips_every_field(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        var change = Change("production");

        var id = await store.AddAsync(change, CancellationToken.None);
        var stored = await store.GetAsync(id, CancellationToken.None);

        Assert.NotNull(stored);
        AssertSame(change with { Id = id }, stored);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task AddAsync_record_without_duration_or_message_reads_back_nulls(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        var change = Change("production") with { Duration = null, Message = null, Reasons = [], Impact = [], Outcome = ChangeOutcome.Running };

        var stored = await store.GetAsync(await store.AddAsync(change, CancellationToken.None), CancellationToken.None);

        Assert.NotNull(stored);
        Assert.Null(stored.Duration);
        Assert.Null(stored.Message);
        Assert.Empty(stored.Reasons);
        Assert.Empty(stored.Impact);
        Assert.Equal(ChangeOutcome.Running, stored.Outcome);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task AddAsync_returns_increasing_ids(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);

        var first = await store.AddAsync(Change("production"), CancellationToken.None);
        var second = await store.AddAsync(Change("production"), CancellationToken.None);

        Assert.Equal(1, first);
        Assert.Equal(2, second);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task UpdateAsync_records_the_outcome_of_the_run(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        var running = Change("production") with { Outcome = ChangeOutcome.Running, Message = null, Duration = null };
        var id = await store.AddAsync(running, CancellationToken.None);
        var runImpact = new StatementImpact
        {
            Index = 0,
            CommandTag = "DELETE 12",
            RowCount = 12,
            Executed = true,
            Tables = [new TableImpact { Schema = "public", Name = "orders", Deleted = 12, RowsBefore = 40 }],
        };
        var finished = running with
        {
            Id = id,
            Verdict = Verdict.Approve,
            Reasons = ["the verdict is now approve (was confirm)"],
            Impact = [runImpact],
            Duration = TimeSpan.FromMilliseconds(2_500),
            Outcome = ChangeOutcome.ImpactChanged,
            Message = "the impact changed between the preview and the run; rolled back, nothing was changed",
        };

        await store.UpdateAsync(finished, CancellationToken.None);
        var stored = await store.GetAsync(id, CancellationToken.None);

        Assert.NotNull(stored);
        AssertSame(finished, stored);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task UpdateAsync_keeps_what_identifies_the_change(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        var original = Change("production");
        var id = await store.AddAsync(original, CancellationToken.None);

        await store.UpdateAsync(original with { Id = id, Environment = "staging", Script = "DROP TABLE orders", Outcome = ChangeOutcome.Committed }, CancellationToken.None);
        var stored = await store.GetAsync(id, CancellationToken.None);

        Assert.NotNull(stored);
        Assert.Equal("production", stored.Environment);
        Assert.Equal(original.Script, stored.Script);
        Assert.Equal(ChangeOutcome.Committed, stored.Outcome);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task SettleRunningAsync_change_that_recorded_its_own_outcome_is_left_as_it_is(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        var running = Change("production") with { Outcome = ChangeOutcome.Running, Message = null };
        var finished = running with { Id = await store.AddAsync(running, CancellationToken.None), Outcome = ChangeOutcome.Committed };
        var stillRunning = running with { Id = await store.AddAsync(running, CancellationToken.None) };
        await store.UpdateAsync(finished, CancellationToken.None);

        var overwritten = await store.SettleRunningAsync(finished with { Outcome = ChangeOutcome.Failed, Message = "interrupted" }, CancellationToken.None);
        var settled = await store.SettleRunningAsync(stillRunning with { Outcome = ChangeOutcome.Failed, Message = "interrupted" }, CancellationToken.None);

        Assert.False(overwritten);
        Assert.True(settled);
        Assert.Equal(ChangeOutcome.Committed, (await store.GetAsync(finished.Id, CancellationToken.None))!.Outcome);
        Assert.Equal(ChangeOutcome.Failed, (await store.GetAsync(stillRunning.Id, CancellationToken.None))!.Outcome);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task DiscardRunningAsync_removes_only_a_running_record_and_keeps_a_script_another_change_has(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        var running = Change("production") with { Outcome = ChangeOutcome.Running, Message = null };
        var committed = running with { Id = await store.AddAsync(running, CancellationToken.None), Outcome = ChangeOutcome.Committed };
        await store.UpdateAsync(committed, CancellationToken.None);
        var sameScript = await store.AddAsync(running, CancellationToken.None);
        var alone = running with { Script = "DELETE FROM leads WHERE id = 7", ScriptSha256 = new string('7', 64) };
        var aloneId = await store.AddAsync(alone, CancellationToken.None);

        // A committed change stays; a running one goes, and its script with it unless another change has it.
        Assert.False(await store.DiscardRunningAsync(committed.Id, CancellationToken.None));
        Assert.True(await store.DiscardRunningAsync(sameScript, CancellationToken.None));
        Assert.True(await store.DiscardRunningAsync(aloneId, CancellationToken.None));
        Assert.False(await store.DiscardRunningAsync(aloneId, CancellationToken.None));

        Assert.Equal(ChangeOutcome.Committed, (await store.GetAsync(committed.Id, CancellationToken.None))!.Outcome);
        Assert.Null(await store.GetAsync(sameScript, CancellationToken.None));
        Assert.Null(await store.GetAsync(aloneId, CancellationToken.None));

        // The script the committed change shares with the discarded one is still there, whole.
        var text = new StringWriter();
        Assert.True(await store.CopyScriptAsync(committed.Id, text, CancellationToken.None));
        Assert.Equal(running.Script, text.ToString());
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task GetAsync_missing_id_returns_null(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        await store.AddAsync(Change("production"), CancellationToken.None);

        Assert.Null(await store.GetAsync(42, CancellationToken.None));
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task ListAsync_returns_newest_first(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        foreach (var environment in new[] { "production", "staging", "production" })
        {
            await store.AddAsync(Change(environment), CancellationToken.None);
        }

        var listed = await store.ListAsync(null, 10, CancellationToken.None);

        Assert.Equal([3L, 2L, 1L], listed.Select(c => c.Id));
        Assert.Equal(["production", "staging", "production"], listed.Select(c => c.Environment));
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task ListAsync_environment_returns_only_its_changes(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        foreach (var environment in new[] { "production", "staging", "production", "staging" })
        {
            await store.AddAsync(Change(environment), CancellationToken.None);
        }

        var listed = await store.ListAsync("staging", 10, CancellationToken.None);

        Assert.Equal([4L, 2L], listed.Select(c => c.Id));
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task ListAsync_limit_keeps_the_newest(string kind)
    {
        var store = await TestStores.OpenAsync(kind, StateDirectory);
        for (var i = 0; i < 5; i++)
        {
            await store.AddAsync(Change("production"), CancellationToken.None);
        }

        var listed = await store.ListAsync("production", 2, CancellationToken.None);

        Assert.Equal([5L, 4L], listed.Select(c => c.Id));
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task OpenAsync_existing_store_keeps_the_recorded_changes(string kind)
    {
        var location = await TestStores.CreateAsync(kind, StateDirectory);
        var first = await StateStores.OpenAsync(location, null, CancellationToken.None);
        var id = await first.AddAsync(Change("production"), CancellationToken.None);

        var reopened = await StateStores.OpenAsync(location, null, CancellationToken.None);

        Assert.NotNull(await reopened.GetAsync(id, CancellationToken.None));
        Assert.Single(await reopened.ListAsync(null, 10, CancellationToken.None));
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task GetAsync_outcome_and_verdict_of_a_newer_Backstop_read_as_Unknown_and_are_never_written_back(string kind)
    {
        var location = await TestStores.CreateAsync(kind, StateDirectory);
        var store = await StateStores.OpenAsync(location, null, CancellationToken.None);
        var id = await store.AddAsync(Change("production"), CancellationToken.None);
        await TestStores.ExecuteAsync(location, $"UPDATE changes SET outcome = 'Escalated', verdict = 'Review' WHERE id = {id}");

        var shown = await store.GetAsync(id, CancellationToken.None);
        var listed = Assert.Single(await store.ListAsync(null, 10, CancellationToken.None));
        var overwrite = await Assert.ThrowsAsync<InvalidOperationException>(() => store.UpdateAsync(shown! with { Message = "settled" }, CancellationToken.None));

        Assert.Equal((ChangeOutcome.Unknown, Verdict.Unknown), (shown!.Outcome, shown.Verdict));
        Assert.Equal((ChangeOutcome.Unknown, Verdict.Unknown), (listed.Outcome, listed.Verdict));
        Assert.Contains("never written back", overwrite.Message, StringComparison.Ordinal);
        Assert.Equal("Escalated", await TestStores.ExecuteAsync(location, $"SELECT outcome FROM changes WHERE id = {id}"));
    }

    internal static ChangeRecord Change(string environment) => new()
    {
        Environment = environment,
        SystemIdentifier = "7301234567890123456",
        Database = "shop",
        Host = "db.example.com",
        Port = 6543,
        Script = "DELETE FROM organizations WHERE id = 1;\nUPDATE customers SET name = 'Zoë ✓' WHERE id = 7",
        ScriptSha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        Verdict = Verdict.Confirm,
        Reasons = ["the DELETE cascades into 1 other table: 40 rows (public.users 40)", "a write"],
        Impact =
        [
            new StatementImpact
            {
                Index = 0,
                CommandTag = "DELETE 1",
                RowCount = 1,
                Executed = true,
                Tables =
                [
                    new TableImpact { Schema = "public", Name = "organizations", Deleted = 1, RowsBefore = 4 },
                    new TableImpact { Schema = "public", Name = "users", Deleted = 40, RowsBefore = 400, RowsBeforeEstimated = true },
                    new TableImpact { Schema = "audit", Name = "log", Inserted = 40 },
                ],
                Effects =
                [
                    new ObservedEffect { Kind = EffectKind.Truncated, RelationId = 16384, Schema = "audit", Name = "archive", Count = 5000 },
                    new ObservedEffect { Kind = EffectKind.DroppedColumn, RelationId = 16390, Schema = "public", Name = "t_ty", Column = "m", ColumnNumber = 2, ColumnType = "mood", Count = 500, Cause = "type mood" },
                ],
            },
            new StatementImpact
            {
                Index = 1,
                CommandTag = "UPDATE",
                Estimated = true,
                Note = "statement_timeout of 30s reached; counts are EXPLAIN estimates",
                Tables = [new TableImpact { Schema = "public", Name = "customers", Updated = 1, Estimated = true }],
            },
        ],
        OsUser = "alice",
        StartedAt = new DateTimeOffset(2025, 1, 15, 13, 45, 12, 345, TimeSpan.FromHours(1)),
        Duration = TimeSpan.FromMilliseconds(1_234),
        Outcome = ChangeOutcome.Committed,
        Message = "committed after confirmation",
    };

    private static void AssertSame(ChangeRecord expected, ChangeRecord actual)
    {
        Assert.Equal(Encoding.UTF8.GetByteCount(expected.Script), actual.ScriptBytes);
        Assert.False(actual.ScriptTruncated);
        Assert.Equal(expected with { Reasons = [], Impact = [], ScriptBytes = actual.ScriptBytes }, actual with { Reasons = [], Impact = [] });
        Assert.Equal(expected.StartedAt.Offset, actual.StartedAt.Offset);
        Assert.Equal(expected.Reasons, actual.Reasons);
        Assert.Equal(expected.Impact.Count, actual.Impact.Count);
        foreach (var (want, got) in expected.Impact.Zip(actual.Impact))
        {
            Assert.Equal(Bare(want), Bare(got));
            Assert.Equal(want.Tables, got.Tables);
            Assert.Equal(want.Effects, got.Effects);
            Assert.Equal(want.Locked, got.Locked);
        }
    }

    private static StatementImpact Bare(StatementImpact impact) =>
        impact with { Tables = [], Effects = [], Locked = [], Unplanned = [], ViewBaseTables = [] };
}

using Backstop.Core.Capture;
using Backstop.Core.Changes;
using Backstop.Core.Guard;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Testing;
using Npgsql;
using static Backstop.Core.Tests.Guard.GuardDatabase;

namespace Backstop.Core.Tests.Guard;

/// <summary>
/// The one-run way (capture migration 0006): on tables with Backstop's persistent row trigger, a guarded write runs
/// once and is judged and kept from what the trigger staged. It must measure and keep exactly what the measured way
/// does, undo must take it back the same, and whatever it cannot vouch for must go the measured way instead.
/// </summary>
public sealed class StatementGuardOneRunTests : IAsyncLifetime
{
    private static readonly (string, string)[] AllTables = [("public", "users"), ("public", "leads"), ("public", "conversations"), ("public", "audit")];

    private GuardDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _db = await GuardDatabase.CreateAsync("guard_one_run");
        await using var connection = await _db.OpenAsync();
        Assert.Equal(4, (await PersistentCapture.InstallAsync(connection, AllTables, CancellationToken.None)).Count);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Cascading_delete_is_kept_in_one_run_measured_exactly_and_undone_after_commit()
    {
        await using var connection = await _db.OpenAsync();
        var before = await ContentHashAsync(connection);
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await NewGuard(TierPolicy.Development).GuardAsync(connection, DeleteUser, Context, CancellationToken.None);

        Assert.True(outcome.Kept, outcome.Message);
        Assert.True(outcome.OneRun);
        AssertDeletedUserImpact(outcome.Impact);
        Assert.Equal("DELETE 1", outcome.Impact.CommandTag);
        var changeId = Assert.IsType<Guid>(outcome.ChangeId);
        await transaction.CommitAsync();

        // Committed with the change: its log row, and its images as staged rows (no DDL in the client's transaction).
        Assert.Equal(200, await PostgresSandbox.ScalarAsync(_db.ConnectionString, $"SELECT deleted FROM backstop.change_tables WHERE change_id = '{changeId}' AND table_name = 'conversations'"));
        Assert.Equal(4, await PostgresSandbox.ScalarAsync(_db.ConnectionString, $"SELECT count(*) FROM backstop.change_tables WHERE change_id = '{changeId}' AND staged"));
        Assert.Equal(302, await PostgresSandbox.ScalarAsync(_db.ConnectionString, $"SELECT count(*) FROM backstop.guard_rows WHERE change_id = '{changeId}'"));

        // Made into image tables later (the proxy does it right after the commit): each row's xmin goes with it.
        await using (var side = await _db.OpenAsync())
        {
            Assert.Equal(4, await PersistentCapture.MaterializeAsync(side, null, CancellationToken.None));
        }

        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM backstop.guard_rows"));
        var leadsImage = (await PostgresSandbox.TextAsync(_db.ConnectionString, $"SELECT image_table FROM backstop.change_tables WHERE change_id = '{changeId}' AND table_name = 'leads' AND NOT staged"))!;
        Assert.Equal(100, await PostgresSandbox.ScalarAsync(_db.ConnectionString, $"SELECT count(*) FROM backstop.\"{leadsImage}\" WHERE user_id = 1 AND backstop_row_xmin IS NOT NULL"));

        await _db.UndoAsync(changeId);
        await using var after = await _db.OpenAsync();
        Assert.Equal(before, await ContentHashAsync(after));
    }

    [Fact]
    public async Task Single_row_update_and_insert_in_one_transaction_are_two_one_run_changes_each_undone()
    {
        await using var connection = await _db.OpenAsync();
        var before = await ContentHashAsync(connection);
        await using var transaction = await connection.BeginTransactionAsync();
        var guard = NewGuard(TierPolicy.Development);

        var update = await guard.GuardAsync(connection, "UPDATE leads SET title = 'renamed' WHERE id = 7", Context, CancellationToken.None);
        var insert = await guard.GuardAsync(connection, "INSERT INTO users VALUES (4, 'new'), (5, 'newer')", Context, CancellationToken.None);

        Assert.True(update.Kept && update.OneRun, update.Message);
        Assert.True(insert.Kept && insert.OneRun, insert.Message);
        Assert.Equal("UPDATE 1", update.Impact.CommandTag);
        Assert.Equal((0L, 1L, 0L), update.Impact.Tables.Select(t => (t.Inserted, t.Updated, t.Deleted)).Single());
        Assert.Equal(300, update.Impact.Tables.Single().RowsBefore);
        Assert.Equal((2L, 0L, 0L), insert.Impact.Tables.Select(t => (t.Inserted, t.Updated, t.Deleted)).Single());
        Assert.Equal(3, insert.Impact.Tables.Single().RowsBefore);
        await transaction.CommitAsync();

        await _db.UndoAsync(insert.ChangeId!.Value);
        await _db.UndoAsync(update.ChangeId!.Value);
        await using var after = await _db.OpenAsync();
        Assert.Equal(before, await ContentHashAsync(after));
    }

    [Fact]
    public async Task Undo_while_the_proxy_is_still_making_the_images_waits_for_them_and_takes_the_change_back()
    {
        await using var connection = await _db.OpenAsync();
        var before = await ContentHashAsync(connection);
        var kept = await NewGuard(TierPolicy.Development).GuardAsync(connection, DeleteUser, Context with { Autocommit = true }, CancellationToken.None);
        Assert.True(kept.Kept && kept.OneRun, kept.Message);

        // The proxy's background materializer, caught half-way: it has made the images in a transaction not yet
        // committed. Undo needs those tables; it must wait for them, never plan without them.
        await using var background = await _db.OpenAsync();
        await using var turning = await background.BeginTransactionAsync();
        Assert.Equal(4, await ScalarAsync(background, "SELECT backstop.guard_materialize_all()"));
        var undo = _db.UndoAsync(kept.ChangeId!.Value);
        await Task.Delay(300);
        Assert.False(undo.IsCompleted, "undo went on while the images were being made");
        await turning.CommitAsync();

        await undo;
        Assert.Equal(before, await ContentHashAsync(connection));
    }

    [Fact]
    public async Task Refused_cascade_is_measured_exactly_in_one_run_and_leaves_the_transaction_as_it_was()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, "INSERT INTO users VALUES (4, 'earlier')");

        var outcome = await NewGuard(DenyLargeCascades).GuardAsync(connection, DeleteUser, Context, CancellationToken.None);

        Assert.False(outcome.Kept);
        Assert.Equal(Verdict.Deny, outcome.Verdict);
        AssertDeletedUserImpact(outcome.Impact);
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM backstop.guard_rows"));
        Assert.Equal(300, await ScalarAsync(connection, "SELECT count(*) FROM leads"));
        await transaction.CommitAsync();
        Assert.Equal(4, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM users"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM backstop.changes"));
    }

    [Fact]
    public async Task What_the_staging_cannot_vouch_for_goes_the_measured_way_and_is_kept_exactly()
    {
        await using var connection = await _db.OpenAsync();
        var before = await ContentHashAsync(connection);
        var guard = NewGuard(TierPolicy.Development);

        // A key that moves: the image needs the old and the new rows, which only the measured way keeps.
        await ExecuteAsync(connection, "CREATE TABLE tags (id int PRIMARY KEY, name text); INSERT INTO tags VALUES (1, 'one'), (2, 'two')");
        await PersistentCapture.InstallAsync(connection, [("public", "tags")], CancellationToken.None);
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var moved = await guard.GuardAsync(connection, "UPDATE tags SET id = id + 10 WHERE id = 1", Context, CancellationToken.None);
            Assert.True(moved.Kept, moved.Message);
            Assert.False(moved.OneRun);
            Assert.Equal(1, moved.Impact.Tables.Single().Updated);
            await transaction.CommitAsync();
            await _db.UndoAsync(moved.ChangeId!.Value);
            Assert.Equal("1:one,2:two", await TextAsync(connection, "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM tags"));
        }

        // A cascade into a table without the trigger.
        await ExecuteAsync(connection, "DROP TRIGGER backstop_guard_row ON conversations");
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var cascade = await guard.GuardAsync(connection, DeleteUser, Context, CancellationToken.None);
            Assert.True(cascade.Kept, cascade.Message);
            Assert.False(cascade.OneRun);
            AssertDeletedUserImpact(cascade.Impact);
            await transaction.CommitAsync();
            await _db.UndoAsync(cascade.ChangeId!.Value);
            Assert.Equal(before, await ContentHashAsync(connection));
        }

        // More rows than the staging takes (and, under the limit, one run again).
        var limited = new StatementGuard(TierPolicy.Development, TimeProvider.System) { OneRunRowLimit = 50 };
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var large = await limited.GuardAsync(connection, "UPDATE leads SET title = title || '!' WHERE user_id = 2", Context, CancellationToken.None);
            var small = await limited.GuardAsync(connection, "UPDATE leads SET title = title || '?' WHERE id BETWEEN 201 AND 240", Context, CancellationToken.None);
            Assert.True(large.Kept && small.Kept, large.Message ?? small.Message);
            Assert.False(large.OneRun);
            Assert.Equal(100, large.Impact.Tables.Single().Updated);
            Assert.True(small.OneRun);
            await transaction.CommitAsync();
            await _db.UndoAsync(small.ChangeId!.Value);
            await _db.UndoAsync(large.ChangeId!.Value);
            Assert.Equal(before, await ContentHashAsync(connection));
        }

        // Triggers that do not fire (session_replication_role = replica) stage nothing, and capture nothing either: the
        // write is measured, and not kept, since nothing could take it back.
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await ExecuteAsync(connection, "SET LOCAL session_replication_role = replica");
            var replica = await guard.GuardAsync(connection, "UPDATE users SET name = 'replica' WHERE id = 2", Context, CancellationToken.None);
            Assert.False(replica.Kept);
            Assert.False(replica.OneRun);
            Assert.Equal(1, replica.Impact.Tables.Single().Updated);
            Assert.Contains("before-images do not account", replica.Message, StringComparison.Ordinal);
            await transaction.RollbackAsync();
        }

        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM backstop.guard_rows"));
        await using var after = await _db.OpenAsync();
        Assert.Equal(before, await ContentHashAsync(after));
    }

    [Fact]
    public async Task Writes_outside_a_guard_stage_nothing_and_the_trigger_stays()
    {
        await using var connection = await _db.OpenAsync();
        await ExecuteAsync(connection, "UPDATE leads SET title = 'by the application'; DELETE FROM users WHERE id = 3");

        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM backstop.guard_rows"));
        Assert.Equal(["public.audit", "public.conversations", "public.leads", "public.users"], await PersistentCapture.ListAsync(connection, CancellationToken.None));
        Assert.Empty(await PersistentCapture.InstallAsync(connection, AllTables, CancellationToken.None));
    }

    [Fact]
    public async Task In_autocommit_the_guard_opens_and_ends_the_transaction_whichever_way_it_goes()
    {
        await using var connection = await _db.OpenAsync();
        var autocommit = Context with { Autocommit = true };

        var kept = await NewGuard(TierPolicy.Development).GuardAsync(connection, "UPDATE users SET name = 'kept' WHERE id = 2", autocommit, CancellationToken.None);
        var measured = await NewGuard(TierPolicy.Development).GuardAsync(connection, "UPDATE tags_free SET n = n + 1", autocommit, CancellationToken.None)
            .ContinueWith(t => t.Exception?.InnerException, TaskScheduler.Default);
        var refused = await NewGuard(DenyLargeCascades).GuardAsync(connection, DeleteUser, autocommit, CancellationToken.None);
        await ExecuteAsync(connection, "CREATE TABLE counters (id int PRIMARY KEY, n int); INSERT INTO counters VALUES (1, 0)");
        var slow = await NewGuard(TierPolicy.Development).GuardAsync(connection, "UPDATE counters SET n = n + 1", autocommit, CancellationToken.None);

        Assert.True(kept.Kept && kept.OneRun, kept.Message);
        Assert.IsType<StatementFailedException>(measured);
        Assert.False(refused.Kept);
        Assert.True(slow.Kept && !slow.OneRun, slow.Message);

        // Each ended: what was kept is there for everyone, the refusal left nothing, and no transaction is left open.
        Assert.Equal("kept", await PostgresSandbox.TextAsync(_db.ConnectionString, "SELECT name FROM users WHERE id = 2"));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT n FROM counters"));
        Assert.Equal(3, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM users"));
        Assert.Equal(2, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM backstop.changes"));
        await using var next = await connection.BeginTransactionAsync();
        await next.RollbackAsync();
    }

    [Theory]
    [InlineData("delete", "backstop.img_")]
    [InlineData("log", "backstop.change_tables")]
    public async Task A_write_that_reaches_Backstops_own_tables_goes_the_measured_way_which_refuses_it(string what, string named)
    {
        await PostgresSandbox.ExecuteAsync(_db.ConnectionString, """
            CREATE FUNCTION tamper(what text) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                EXECUTE CASE what
                    WHEN 'delete' THEN format('DELETE FROM backstop.%I', (SELECT image_table FROM backstop.change_tables WHERE table_name = 'users' LIMIT 1))
                    WHEN 'log' THEN 'DELETE FROM backstop.change_tables'
                END;
            END $$;
            """);
        await using var connection = await _db.OpenAsync();
        var before = await ContentHashAsync(connection);
        var autocommit = Context with { Autocommit = true };
        var kept = await NewGuard(TierPolicy.Development).GuardAsync(connection, "DELETE FROM users WHERE id = 3", autocommit, CancellationToken.None);
        Assert.True(kept.Kept && kept.OneRun, kept.Message);
        await PersistentCapture.MaterializeAsync(connection, null, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<ScriptRejectedException>(() => NewGuard(TierPolicy.Development)
            .GuardAsync(connection, $"UPDATE users SET name = name WHERE id = 2 AND tamper('{what}')::text = ''", autocommit, CancellationToken.None));

        Assert.Contains($"writes to {named}", refused.Message, StringComparison.Ordinal);
        await _db.UndoAsync(kept.ChangeId!.Value);
        Assert.Equal(before, await ContentHashAsync(connection));
    }
}

using Backstop.Core.Guard;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Testing;
using static Backstop.Core.Tests.Guard.GuardDatabase;

namespace Backstop.Core.Tests.Guard;

/// <summary>
/// Writes through the statement guard inside a transaction the client owns (issue 13): a refused statement is measured
/// exactly, cascades and triggers included, and rolled back to its savepoint while the client's earlier work commits; an
/// allowed one is kept with its before-images, and undo takes it back once the client has committed.
/// </summary>
public sealed class StatementGuardTests : IAsyncLifetime
{
    private GuardDatabase _db = null!;

    public async Task InitializeAsync() => _db = await GuardDatabase.CreateAsync("guard_writes");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task GuardAsync_denied_cascading_delete_is_measured_exactly_and_rolled_back_while_earlier_work_commits()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, "INSERT INTO users VALUES (4, 'earlier'); UPDATE leads SET title = 'earlier' WHERE id = 150");

        var outcome = await NewGuard(DenyLargeCascades).GuardAsync(connection, DeleteUser, Context, CancellationToken.None);

        Assert.False(outcome.Kept);
        Assert.Equal(Verdict.Deny, outcome.Verdict);
        Assert.Null(outcome.ChangeId);
        Assert.Contains(outcome.Reasons, r => r.Rule == "cascade" && r.Message.Contains("300 rows", StringComparison.Ordinal));
        AssertDeletedUserImpact(outcome.Impact);
        Assert.Equal(300, await ScalarAsync(connection, "SELECT count(*) FROM leads"));

        await ExecuteAsync(connection, "INSERT INTO users VALUES (5, 'after the refusal')");
        await transaction.CommitAsync();

        Assert.Equal(5, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM users"));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM leads WHERE id = 150 AND title = 'earlier'"));
        Assert.Equal(600, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM conversations"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM audit"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM backstop.changes"));
    }

    [Fact]
    public async Task GuardAsync_allowed_cascading_delete_is_kept_with_before_images_and_undone_after_commit()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, "INSERT INTO users VALUES (4, 'earlier')");
        var before = await ContentHashAsync(connection);

        var outcome = await NewGuard(TierPolicy.Development).GuardAsync(connection, DeleteUser, Context, CancellationToken.None);

        Assert.True(outcome.Kept, outcome.Message);
        Assert.Equal(Verdict.Allow, outcome.Verdict);
        AssertDeletedUserImpact(outcome.Impact);
        var changeId = Assert.IsType<Guid>(outcome.ChangeId);
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM leads WHERE user_id = 1"));
        await transaction.CommitAsync();

        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM users WHERE id = 1"));
        Assert.Equal(200, await PostgresSandbox.ScalarAsync(_db.ConnectionString, $"SELECT deleted FROM backstop.change_tables WHERE change_id = '{changeId}' AND table_name = 'conversations'"));
        Assert.Equal("alice", await PostgresSandbox.TextAsync(_db.ConnectionString, $"SELECT os_user FROM backstop.changes WHERE change_id = '{changeId}'"));

        await _db.UndoAsync(changeId);

        await using var after = await _db.OpenAsync();
        Assert.Equal(before, await ContentHashAsync(after));
    }

    [Fact]
    public async Task GuardAsync_two_kept_statements_in_one_transaction_are_two_changes_each_undone()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var before = await ContentHashAsync(connection);
        var guard = NewGuard(TierPolicy.Development);

        var renamed = await guard.GuardAsync(connection, "UPDATE leads SET title = 'renamed' WHERE id <= 10", Context, CancellationToken.None);
        var deleted = await guard.GuardAsync(connection, "DELETE FROM conversations WHERE id > 590", Context, CancellationToken.None);
        await transaction.CommitAsync();

        Assert.Equal(10, Assert.Single(renamed.Impact.Tables, t => t.Name == "leads").Updated);
        Assert.Equal(10, Assert.Single(deleted.Impact.Tables, t => t.Name == "conversations").Deleted);
        Assert.NotEqual(renamed.ChangeId, deleted.ChangeId);
        await _db.UndoAsync(deleted.ChangeId!.Value);
        await _db.UndoAsync(renamed.ChangeId!.Value);

        await using var after = await _db.OpenAsync();
        Assert.Equal(before, await ContentHashAsync(after));
    }

    [Fact]
    public async Task GuardAsync_allowed_drop_table_moves_it_into_the_recycle_bin()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, "INSERT INTO audit (what) VALUES ('kept through the drop')");

        var outcome = await NewGuard(TierPolicy.Development).GuardAsync(connection, "DROP TABLE audit", Context, CancellationToken.None);
        await transaction.CommitAsync();

        Assert.True(outcome.Kept, outcome.Message);
        await using var after = await _db.OpenAsync();
        var item = Assert.Single(await Backstop.Core.RecycleBin.TrashBin.ListAsync(after, CancellationToken.None));
        Assert.Equal((outcome.ChangeId, "public.audit"), (item.ChangeId, item.OriginalQualifiedName));
        Assert.Equal(0, await ScalarAsync(after, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'audit'"));
    }

    [Fact]
    public async Task GuardAsync_write_needing_confirmation_is_kept_only_when_the_client_confirmed()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var guard = NewGuard(Production);

        var unconfirmed = await guard.GuardAsync(connection, "DELETE FROM conversations WHERE id = 1", Context, CancellationToken.None);
        var confirmed = await guard.GuardAsync(connection, "DELETE FROM conversations WHERE id = 1", Context with { Confirmed = true }, CancellationToken.None);
        await transaction.CommitAsync();

        Assert.Equal((Verdict.Confirm, false), (unconfirmed.Verdict, unconfirmed.Kept));
        Assert.Equal((Verdict.Confirm, true), (confirmed.Verdict, confirmed.Kept));
        Assert.Equal(599, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM conversations"));
    }
}

using Backstop.Core.Guard;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Testing;
using static Backstop.Core.Tests.Guard.GuardDatabase;

namespace Backstop.Core.Tests.Guard;

/// <summary>
/// Statements whose text says they read: they run once under the savepoint, with no capture and no change, unless the
/// transaction's counters show they wrote after all (a function that truncates), when they are judged as the write they are.
/// </summary>
public sealed class StatementGuardReadTests : IAsyncLifetime
{
    private GuardDatabase _db = null!;

    public async Task InitializeAsync() => _db = await GuardDatabase.CreateAsync("guard_reads");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task GuardAsync_plain_select_is_kept_without_a_change()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await NewGuard(Production).GuardAsync(connection, "SELECT count(*) FROM leads", Context, CancellationToken.None);

        Assert.True(outcome.Kept);
        Assert.Equal(Verdict.Allow, outcome.Verdict);
        Assert.Null(outcome.ChangeId);
        Assert.Equal(1, outcome.Impact.RowCount);
        Assert.Empty(outcome.Impact.Tables);
        await transaction.CommitAsync();
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM backstop.changes"));
    }

    [Fact]
    public async Task GuardAsync_read_runs_once()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await NewGuard(Production).GuardAsync(connection, "SELECT nextval('tickets')", Context, CancellationToken.None);
        await transaction.CommitAsync();

        Assert.True(outcome.Kept);
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT last_value FROM tickets"));
    }

    [Fact]
    public async Task GuardAsync_select_calling_a_function_that_truncates_is_caught_and_rolled_back()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await NewGuard(Production).GuardAsync(connection, "SELECT purge_conversations()", Context, CancellationToken.None);

        Assert.False(outcome.Kept);
        Assert.Equal(Verdict.Approve, outcome.Verdict);
        var effect = Assert.Single(outcome.Impact.Effects);
        Assert.Equal((EffectKind.Truncated, "public.conversations", 600L), (effect.Kind, effect.QualifiedName, effect.Count));
        Assert.Contains(outcome.Reasons, r => r.Rule == "destructive_ddl");
        Assert.Equal(600, await ScalarAsync(connection, "SELECT count(*) FROM conversations"));
        await transaction.CommitAsync();

        Assert.Equal(600, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM conversations"));
    }

    [Fact]
    public async Task GuardAsync_allowed_truncating_function_keeps_the_rows_for_undo()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var before = await ContentHashAsync(connection);

        var outcome = await NewGuard(TierPolicy.Development).GuardAsync(connection, "SELECT purge_conversations()", Context, CancellationToken.None);

        Assert.True(outcome.Kept, outcome.Message);
        Assert.Equal(600, Assert.Single(outcome.Impact.Effects).Count);
        await transaction.CommitAsync();
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM conversations"));

        await _db.UndoAsync(outcome.ChangeId!.Value);

        await using var after = await _db.OpenAsync();
        Assert.Equal(before, await ContentHashAsync(after));
    }
}

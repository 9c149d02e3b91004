using Backstop.Core.Changes;
using Backstop.Core.Policies;
using Backstop.Testing;
using static Backstop.Core.Tests.Guard.GuardDatabase;

namespace Backstop.Core.Tests.Guard;

/// <summary>
/// A statement whose text names only the database's own tables, but which writes into Backstop's schema through a
/// function (issue 12), is refused by the guard, and the changes kept before it stay undoable. The guard reads the
/// counters and the tables of Backstop's schema without going through each of its image tables one by one, so these
/// tests keep an earlier change and then reach its image table from a later transaction.
/// </summary>
public sealed class StatementGuardOwnObjectsTests : IAsyncLifetime
{
    private GuardDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _db = await GuardDatabase.CreateAsync("guard_own");
        await PostgresSandbox.ExecuteAsync(_db.ConnectionString, """
            CREATE FUNCTION tamper(what text) RETURNS void LANGUAGE plpgsql AS $$
            DECLARE
                image name := (SELECT image_table FROM backstop.change_tables WHERE table_name = 'users' LIMIT 1);
            BEGIN
                EXECUTE CASE what
                    WHEN 'delete' THEN format('DELETE FROM backstop.%I', image)
                    WHEN 'truncate' THEN format('TRUNCATE backstop.%I', image)
                    WHEN 'drop' THEN format('DROP TABLE backstop.%I', image)
                    WHEN 'log' THEN 'DELETE FROM backstop.change_tables'
                END;
            END $$;
            """);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("delete", "backstop.img_")]
    [InlineData("log", "backstop.change_tables")]
    [InlineData("truncate", "a table of schema backstop")]
    [InlineData("drop", "a table of schema backstop")]
    public async Task GuardAsync_function_that_writes_into_Backstops_schema_is_refused_and_the_earlier_change_is_still_undone(string what, string named)
    {
        var before = "";
        Guid changeId;
        await using (var connection = await _db.OpenAsync())
        {
            before = await ContentHashAsync(connection);
            await using var transaction = await connection.BeginTransactionAsync();
            var kept = await NewGuard(TierPolicy.Development).GuardAsync(connection, "DELETE FROM users WHERE id = 3", Context, CancellationToken.None);
            Assert.True(kept.Kept, kept.Message);
            changeId = Assert.IsType<Guid>(kept.ChangeId);
            await transaction.CommitAsync();
        }

        await using (var connection = await _db.OpenAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            var refused = await Assert.ThrowsAsync<ScriptRejectedException>(() =>
                NewGuard(TierPolicy.Development).GuardAsync(connection, $"SELECT tamper('{what}')", Context, CancellationToken.None));
            Assert.Contains($"writes to {named}", refused.Message, StringComparison.Ordinal);
            Assert.Contains("which is Backstop's own", refused.Message, StringComparison.Ordinal);
            await transaction.CommitAsync();
        }

        Assert.Equal(1, await PostgresSandbox.ScalarAsync(_db.ConnectionString, $"SELECT count(*) FROM backstop.change_tables WHERE change_id = '{changeId}' AND table_name = 'users'"));
        await _db.UndoAsync(changeId);
        await using var after = await _db.OpenAsync();
        Assert.Equal(before, await ContentHashAsync(after));
    }
}

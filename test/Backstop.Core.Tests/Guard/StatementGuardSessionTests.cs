using Backstop.Core.Guard;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Testing;
using Npgsql;
using static Backstop.Core.Tests.Guard.GuardDatabase;

namespace Backstop.Core.Tests.Guard;

/// <summary>
/// The client's transaction and session stay the client's: the guard never commits or rolls back, a statement the server
/// refuses leaves the transaction usable, a rollback by the client takes everything of the guard with it, and the
/// session's settings are as the client left them.
/// </summary>
public sealed class StatementGuardSessionTests : IAsyncLifetime
{
    private GuardDatabase _db = null!;

    public async Task InitializeAsync() => _db = await GuardDatabase.CreateAsync("guard_session");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task GuardAsync_kept_statement_leaves_nothing_when_the_client_rolls_back()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await NewGuard(TierPolicy.Development).GuardAsync(connection, DeleteUser, Context, CancellationToken.None);
        Assert.True(outcome.Kept, outcome.Message);
        await transaction.RollbackAsync();

        Assert.Equal(300, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM leads"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM backstop.changes"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'backstop' AND c.relname LIKE 'img%'"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'backstop%'"));
    }

    [Fact]
    public async Task GuardAsync_kept_write_leaves_the_client_session_settings_as_they_were()
    {
        await using var connection = await _db.OpenAsync();
        await ExecuteAsync(connection, "SET standard_conforming_strings = off; SET lock_timeout = '7s'");
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await NewGuard(TierPolicy.Development).GuardAsync(connection, "UPDATE leads SET title = 'renamed' WHERE id = 1", Context, CancellationToken.None);

        Assert.True(outcome.Kept, outcome.Message);
        Assert.Equal("off 7s", await TextAsync(connection, "SELECT current_setting('standard_conforming_strings') || ' ' || current_setting('lock_timeout')"));
        await transaction.CommitAsync();
        Assert.Equal("off 7s", await TextAsync(connection, "SELECT current_setting('standard_conforming_strings') || ' ' || current_setting('lock_timeout')"));
    }

    [Fact]
    public async Task GuardAsync_statement_the_server_refuses_throws_and_leaves_the_transaction_usable()
    {
        await using var connection = await _db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, "INSERT INTO users VALUES (4, 'earlier')");

        var failure = await Assert.ThrowsAsync<StatementFailedException>(
            () => NewGuard(TierPolicy.Development).GuardAsync(connection, "INSERT INTO users VALUES (2, 'taken')", Context, CancellationToken.None));
        await transaction.CommitAsync();

        Assert.Equal(PostgresErrorCodes.UniqueViolation, failure.Error.SqlState);
        Assert.Equal(4, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM users"));
    }

    [Fact]
    public async Task GuardAsync_outside_a_transaction_is_refused_and_runs_nothing()
    {
        await using var connection = await _db.OpenAsync();

        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(
            () => NewGuard(TierPolicy.Development).GuardAsync(connection, DeleteUser, Context, CancellationToken.None));

        Assert.Contains("send BEGIN first", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(300, await PostgresSandbox.ScalarAsync(_db.ConnectionString, "SELECT count(*) FROM leads"));
    }
}

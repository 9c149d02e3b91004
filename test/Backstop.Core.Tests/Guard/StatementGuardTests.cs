using Backstop.Core.Guard;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Core.Undo;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Guard;

/// <summary>
/// The statement guard inside a transaction the client owns: a refused statement is rolled back to its savepoint and
/// the client's earlier work commits; an allowed one is kept with its before-images, and undo takes it back once the
/// client has committed.
/// </summary>
public sealed class StatementGuardTests : IAsyncLifetime
{
    // Each user has 100 leads, each lead 2 conversations: deleting one user cascades into 300 rows. A statement trigger
    // notes every DELETE of conversations, a write no foreign key foresees.
    private const string Schema = """
        CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE leads (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE CASCADE, title text NOT NULL);
        CREATE TABLE conversations (id int PRIMARY KEY, lead_id int NOT NULL REFERENCES leads ON DELETE CASCADE, body text NOT NULL);
        CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, what text NOT NULL);
        CREATE FUNCTION note_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO audit (what) SELECT 'deleted ' || count(*) || ' conversations' FROM gone;
            RETURN NULL;
        END $$;
        CREATE TRIGGER conversations_audit AFTER DELETE ON conversations REFERENCING OLD TABLE AS gone
            FOR EACH STATEMENT EXECUTE FUNCTION note_deleted();
        CREATE SEQUENCE tickets;
        CREATE FUNCTION purge_conversations() RETURNS void LANGUAGE sql AS 'TRUNCATE conversations';
        INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 3) g;
        INSERT INTO leads SELECT g, 1 + (g - 1) / 100, 'lead ' || g FROM generate_series(1, 300) g;
        INSERT INTO conversations SELECT g, 1 + (g - 1) / 2, 'message ' || g FROM generate_series(1, 600) g;
        """;

    private const string DeleteUser = "DELETE FROM users WHERE id = 1";

    /// <summary>Production's rules without its freeze window, so that a verdict does not depend on the hour the tests run.</summary>
    private static readonly TierPolicy Production = TierPolicy.Production with { FreezeWindow = null };

    /// <summary>Production, except that a large cascade is denied outright rather than sent for approval.</summary>
    private static readonly TierPolicy DenyLargeCascades = Production with { CascadeLarge = Verdict.Deny };

    private static readonly GuardContext Context = new() { EnvironmentName = "prod", Actor = "alice" };

    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = await PostgresSandbox.CreateDatabaseAsync("statement_guard");
        await PostgresSandbox.ExecuteAsync(_connectionString, Schema);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task GuardAsync_denied_cascading_delete_is_measured_exactly_and_rolled_back_while_earlier_work_commits()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, "INSERT INTO users VALUES (4, 'earlier'); UPDATE leads SET title = 'earlier' WHERE id = 150");

        var outcome = await Guard(DenyLargeCascades).GuardAsync(connection, DeleteUser, Context, CancellationToken.None);

        Assert.False(outcome.Kept);
        Assert.Equal(Verdict.Deny, outcome.Verdict);
        Assert.Null(outcome.ChangeId);
        Assert.Contains(outcome.Reasons, r => r.Rule == "cascade" && r.Message.Contains("300 rows", StringComparison.Ordinal));
        AssertDeletedUserImpact(outcome.Impact);
        Assert.Equal(300, await ScalarAsync(connection, "SELECT count(*) FROM leads"));

        await ExecuteAsync(connection, "INSERT INTO users VALUES (5, 'after the refusal')");
        await transaction.CommitAsync();

        Assert.Equal(5, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM users"));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM leads WHERE id = 150 AND title = 'earlier'"));
        Assert.Equal(600, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM conversations"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM audit"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM pg_namespace WHERE nspname = 'backstop'"));
    }

    [Fact]
    public async Task GuardAsync_allowed_cascading_delete_is_kept_with_before_images_and_undone_after_commit()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, "INSERT INTO users VALUES (4, 'earlier')");
        var before = await ContentHashAsync(connection);

        var outcome = await Guard(TierPolicy.Development).GuardAsync(connection, DeleteUser, Context, CancellationToken.None);

        Assert.True(outcome.Kept, outcome.Message);
        Assert.Equal(Verdict.Allow, outcome.Verdict);
        AssertDeletedUserImpact(outcome.Impact);
        var changeId = Assert.IsType<Guid>(outcome.ChangeId);
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM leads WHERE user_id = 1"));
        await transaction.CommitAsync();

        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM users WHERE id = 1"));
        Assert.Equal(200, await PostgresSandbox.ScalarAsync(_connectionString, $"SELECT deleted FROM backstop.change_tables WHERE change_id = '{changeId}' AND table_name = 'conversations'"));
        Assert.Equal("alice", await PostgresSandbox.TextAsync(_connectionString, $"SELECT os_user FROM backstop.changes WHERE change_id = '{changeId}'"));

        await UndoAsync(changeId);

        await using var after = await OpenAsync();
        Assert.Equal(before, await ContentHashAsync(after));
    }

    [Fact]
    public async Task GuardAsync_two_kept_statements_in_one_transaction_are_two_changes_each_undone()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var before = await ContentHashAsync(connection);
        var guard = Guard(TierPolicy.Development);

        var renamed = await guard.GuardAsync(connection, "UPDATE leads SET title = 'renamed' WHERE id <= 10", Context, CancellationToken.None);
        var deleted = await guard.GuardAsync(connection, "DELETE FROM conversations WHERE id > 590", Context, CancellationToken.None);
        await transaction.CommitAsync();

        Assert.Equal(10, Assert.Single(renamed.Impact.Tables, t => t.Name == "leads").Updated);
        Assert.Equal(10, Assert.Single(deleted.Impact.Tables, t => t.Name == "conversations").Deleted);
        Assert.NotEqual(renamed.ChangeId, deleted.ChangeId);
        await UndoAsync(deleted.ChangeId!.Value);
        await UndoAsync(renamed.ChangeId!.Value);

        await using var after = await OpenAsync();
        Assert.Equal(before, await ContentHashAsync(after));
    }

    [Fact]
    public async Task GuardAsync_allowed_drop_table_moves_it_into_the_recycle_bin()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, "INSERT INTO audit (what) VALUES ('kept through the drop')");

        var outcome = await Guard(TierPolicy.Development).GuardAsync(connection, "DROP TABLE audit", Context, CancellationToken.None);
        await transaction.CommitAsync();

        Assert.True(outcome.Kept, outcome.Message);
        await using var after = await OpenAsync();
        var item = Assert.Single(await RecycleBin.TrashBin.ListAsync(after, CancellationToken.None));
        Assert.Equal((outcome.ChangeId, "public.audit"), (item.ChangeId, item.OriginalQualifiedName));
        Assert.Equal(0, await ScalarAsync(after, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'audit'"));
    }

    [Fact]
    public async Task GuardAsync_kept_statement_leaves_nothing_when_the_client_rolls_back()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await Guard(TierPolicy.Development).GuardAsync(connection, DeleteUser, Context, CancellationToken.None);
        Assert.True(outcome.Kept, outcome.Message);
        await transaction.RollbackAsync();

        Assert.Equal(300, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM leads"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM pg_namespace WHERE nspname = 'backstop'"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'backstop%'"));
    }

    [Fact]
    public async Task GuardAsync_select_calling_a_function_that_truncates_is_caught_and_rolled_back()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await Guard(Production).GuardAsync(connection, "SELECT purge_conversations()", Context, CancellationToken.None);

        Assert.False(outcome.Kept);
        Assert.Equal(Verdict.Approve, outcome.Verdict);
        var effect = Assert.Single(outcome.Impact.Effects);
        Assert.Equal((EffectKind.Truncated, "public.conversations", 600L), (effect.Kind, effect.QualifiedName, effect.Count));
        Assert.Contains(outcome.Reasons, r => r.Rule == "destructive_ddl");
        Assert.Equal(600, await ScalarAsync(connection, "SELECT count(*) FROM conversations"));
        await transaction.CommitAsync();

        Assert.Equal(600, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM conversations"));
    }

    [Fact]
    public async Task GuardAsync_allowed_truncating_function_keeps_the_rows_for_undo()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var before = await ContentHashAsync(connection);

        var outcome = await Guard(TierPolicy.Development).GuardAsync(connection, "SELECT purge_conversations()", Context, CancellationToken.None);

        Assert.True(outcome.Kept, outcome.Message);
        Assert.Equal(600, Assert.Single(outcome.Impact.Effects).Count);
        await transaction.CommitAsync();
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM conversations"));

        await UndoAsync(outcome.ChangeId!.Value);

        await using var after = await OpenAsync();
        Assert.Equal(before, await ContentHashAsync(after));
    }

    [Fact]
    public async Task GuardAsync_plain_select_is_kept_without_a_change()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await Guard(Production).GuardAsync(connection, "SELECT count(*) FROM leads", Context, CancellationToken.None);

        Assert.True(outcome.Kept);
        Assert.Equal(Verdict.Allow, outcome.Verdict);
        Assert.Null(outcome.ChangeId);
        Assert.Equal(1, outcome.Impact.RowCount);
        Assert.Empty(outcome.Impact.Tables);
        await transaction.CommitAsync();
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM pg_namespace WHERE nspname = 'backstop'"));
    }

    [Fact]
    public async Task GuardAsync_read_runs_once()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await Guard(Production).GuardAsync(connection, "SELECT nextval('tickets')", Context, CancellationToken.None);
        await transaction.CommitAsync();

        Assert.True(outcome.Kept);
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT last_value FROM tickets"));
    }

    [Fact]
    public async Task GuardAsync_kept_write_leaves_the_client_session_settings_as_they_were()
    {
        await using var connection = await OpenAsync();
        await ExecuteAsync(connection, "SET standard_conforming_strings = off; SET lock_timeout = '7s'");
        await using var transaction = await connection.BeginTransactionAsync();

        var outcome = await Guard(TierPolicy.Development).GuardAsync(connection, "UPDATE leads SET title = 'renamed' WHERE id = 1", Context, CancellationToken.None);

        Assert.True(outcome.Kept, outcome.Message);
        Assert.Equal("off 7s", await TextAsync(connection, "SELECT current_setting('standard_conforming_strings') || ' ' || current_setting('lock_timeout')"));
        await transaction.CommitAsync();
        Assert.Equal("off 7s", await TextAsync(connection, "SELECT current_setting('standard_conforming_strings') || ' ' || current_setting('lock_timeout')"));
    }

    [Fact]
    public async Task GuardAsync_write_needing_confirmation_is_kept_only_when_the_client_confirmed()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var guard = Guard(Production);

        var unconfirmed = await guard.GuardAsync(connection, "DELETE FROM conversations WHERE id = 1", Context, CancellationToken.None);
        var confirmed = await guard.GuardAsync(connection, "DELETE FROM conversations WHERE id = 1", Context with { Confirmed = true }, CancellationToken.None);
        await transaction.CommitAsync();

        Assert.Equal((Verdict.Confirm, false), (unconfirmed.Verdict, unconfirmed.Kept));
        Assert.Equal((Verdict.Confirm, true), (confirmed.Verdict, confirmed.Kept));
        Assert.Equal(599, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM conversations"));
    }

    [Fact]
    public async Task GuardAsync_statement_the_server_refuses_throws_and_leaves_the_transaction_usable()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, "INSERT INTO users VALUES (4, 'earlier')");

        var failure = await Assert.ThrowsAsync<StatementFailedException>(
            () => Guard(TierPolicy.Development).GuardAsync(connection, "INSERT INTO users VALUES (2, 'taken')", Context, CancellationToken.None));
        await transaction.CommitAsync();

        Assert.Equal(PostgresErrorCodes.UniqueViolation, failure.Error.SqlState);
        Assert.Equal(4, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM users"));
    }

    [Fact]
    public async Task GuardAsync_outside_a_transaction_is_refused_and_runs_nothing()
    {
        await using var connection = await OpenAsync();

        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Guard(TierPolicy.Development).GuardAsync(connection, DeleteUser, Context, CancellationToken.None));

        Assert.Contains("send BEGIN first", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(300, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM leads"));
    }

    private static StatementGuard Guard(TierPolicy policy) => new(policy, TimeProvider.System);

    private static void AssertDeletedUserImpact(StatementImpact impact)
    {
        var tables = impact.Tables.ToDictionary(t => t.QualifiedName, t => (t.Inserted, t.Updated, t.Deleted));
        Assert.Equal((0L, 0L, 1L), tables["public.users"]);
        Assert.Equal((0L, 0L, 100L), tables["public.leads"]);
        Assert.Equal((0L, 0L, 200L), tables["public.conversations"]);
        Assert.Equal((1L, 0L, 0L), tables["public.audit"]);
        Assert.Equal(4, tables.Count);
    }

    /// <summary>Undo as `backstop undo` plans it, run in a transaction of its own after the client committed.</summary>
    private async Task UndoAsync(Guid changeId)
    {
        await using var connection = await OpenAsync();
        var plan = await UndoPlanner.PlanAsync(connection, changeId, 0, CancellationToken.None);
        Assert.Empty(plan.Conflicts);
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, plan.Script);
        await transaction.CommitAsync();
    }

    /// <summary>Every row of every table, by value: equal exactly when the tables hold the same rows.</summary>
    private static async Task<string> ContentHashAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT " + string.Join(" || ", new[] { "users", "leads", "conversations", "audit" }.Select(t => $"(SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM {t} x)")),
            connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> TextAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

using Backstop.Core.Guard;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Core.Undo;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Guard;

/// <summary>
/// A database of its own for a statement guard test, with users, their leads and the leads' conversations, and what
/// the tests look at it with: connections, exact counts, a hash of every row, and undo as `backstop undo` plans it.
/// </summary>
internal sealed class GuardDatabase
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

    public const string DeleteUser = "DELETE FROM users WHERE id = 1";

    /// <summary>Production's rules without its freeze window, so that a verdict does not depend on the hour the tests run.</summary>
    public static readonly TierPolicy Production = TierPolicy.Production with { FreezeWindow = null };

    /// <summary>Production, except that a large cascade is denied outright rather than sent for approval.</summary>
    public static readonly TierPolicy DenyLargeCascades = Production with { CascadeLarge = Verdict.Deny };

    public static readonly GuardContext Context = new() { EnvironmentName = "prod", Actor = "alice" };

    private GuardDatabase(string connectionString) => ConnectionString = connectionString;

    public string ConnectionString { get; }

    public static async Task<GuardDatabase> CreateAsync(string prefix)
    {
        var connectionString = await PostgresSandbox.CreateDatabaseAsync(prefix);
        await PostgresSandbox.ExecuteAsync(connectionString, Schema);
        return new GuardDatabase(connectionString);
    }

    public static StatementGuard NewGuard(TierPolicy policy) => new(policy, TimeProvider.System);

    public static void AssertDeletedUserImpact(StatementImpact impact)
    {
        var tables = impact.Tables.ToDictionary(t => t.QualifiedName, t => (t.Inserted, t.Updated, t.Deleted));
        Assert.Equal((0L, 0L, 1L), tables["public.users"]);
        Assert.Equal((0L, 0L, 100L), tables["public.leads"]);
        Assert.Equal((0L, 0L, 200L), tables["public.conversations"]);
        Assert.Equal((1L, 0L, 0L), tables["public.audit"]);
        Assert.Equal(4, tables.Count);
    }

    /// <summary>Undo as `backstop undo` plans it, run in a transaction of its own after the client committed.</summary>
    public async Task UndoAsync(Guid changeId)
    {
        await using var connection = await OpenAsync();
        var plan = await UndoPlanner.PlanAsync(connection, changeId, 0, CancellationToken.None);
        Assert.Empty(plan.Conflicts);
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, plan.Script);
        await transaction.CommitAsync();
    }

    /// <summary>Every row of every table, by value: equal exactly when the tables hold the same rows.</summary>
    public static async Task<string> ContentHashAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT " + string.Join(" || ", new[] { "users", "leads", "conversations", "audit" }.Select(t => $"(SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM {t} x)")),
            connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A client's session, with the backstop schema at this Backstop's version, as the proxy sees to before it guards.</summary>
    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await Backstop.Core.Capture.CaptureSchema.EnsureAsync(connection, null, CancellationToken.None);
        return connection;
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<string> TextAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

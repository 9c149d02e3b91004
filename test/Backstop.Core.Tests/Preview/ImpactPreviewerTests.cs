using Backstop.Core.Changes;
using Backstop.Core.Preview;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Preview;

public sealed class ImpactPreviewerTests : IAsyncLifetime
{
    /// <summary>
    /// organizations → users → leads → conversations, each ON DELETE CASCADE (three levels below users' parent),
    /// and a trigger that writes an audit row for every deleted user.
    /// </summary>
    private const string Schema = """
        CREATE TABLE organizations (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE users (id int PRIMARY KEY, organization_id int NOT NULL REFERENCES organizations ON DELETE CASCADE, email text);
        CREATE TABLE leads (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE CASCADE);
        CREATE TABLE conversations (id int PRIMARY KEY, lead_id int NOT NULL REFERENCES leads ON DELETE CASCADE, body text);
        CREATE TABLE audit_log (id bigserial PRIMARY KEY, what text NOT NULL);
        CREATE FUNCTION audit_user_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO audit_log (what) VALUES ('deleted user ' || OLD.id);
            RETURN OLD;
        END $$;
        CREATE TRIGGER users_audit AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION audit_user_delete();
        INSERT INTO organizations SELECT g, 'org ' || g FROM generate_series(1, 4) g;
        INSERT INTO users SELECT g, 1 + g % 4, 'u' || g || '@example.com' FROM generate_series(1, 40) g;
        INSERT INTO leads SELECT g, 1 + g % 40 FROM generate_series(1, 400) g;
        INSERT INTO conversations SELECT g, 1 + g % 400, 'hello; -- not a comment' FROM generate_series(1, 4000) g;
        CREATE TABLE orders (id int PRIMARY KEY, is_deleted boolean NOT NULL DEFAULT false);
        INSERT INTO orders SELECT g FROM generate_series(1, 2000) g;
        """;

    private static readonly string[] Tables = ["organizations", "users", "leads", "conversations", "audit_log", "orders"];

    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = await PostgresSandbox.CreateDatabaseAsync("preview");
        await PostgresSandbox.ExecuteAsync(_connectionString, Schema);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task PreviewAsync_cascade_and_trigger_counts_equal_a_real_execution()
    {
        const string script = """
            DELETE FROM organizations WHERE id = 2;
            UPDATE orders SET is_deleted = true

            WHERE id IN (1, 2, 3);
            DELETE FROM users WHERE id = 2
            """;
        var statements = ScriptAnalyzer.Analyze(script);

        var impacts = await PreviewAsync(statements);
        var previewed = Totals(impacts);

        // Run the same script for real, in a scratch copy, and measure with plain row counts.
        var scratch = await PostgresSandbox.CreateDatabaseAsync("scratch");
        await PostgresSandbox.ExecuteAsync(scratch, Schema);
        var before = await CountsAsync(scratch);
        await PostgresSandbox.ExecuteAsync(scratch, script);
        var after = await CountsAsync(scratch);

        foreach (var table in new[] { "organizations", "users", "leads", "conversations" })
        {
            Assert.Equal(before[table] - after[table], previewed.GetValueOrDefault("public." + table).Deleted);
        }

        Assert.Equal(after["audit_log"] - before["audit_log"], previewed["public.audit_log"].Inserted);
        Assert.Equal(3, previewed["public.orders"].Updated);
        Assert.Equal(11, previewed["public.users"].Deleted);
        Assert.Equal(3, impacts.Count);
        Assert.Equal("UPDATE 3", impacts[1].CommandTag);
        Assert.Equal(3, impacts[1].RowCount);
    }

    [Fact]
    public async Task PreviewAsync_always_rolls_back()
    {
        var statements = ScriptAnalyzer.Analyze("DELETE FROM conversations; INSERT INTO audit_log (what) VALUES ('x')");

        var impacts = await PreviewAsync(statements);

        Assert.Equal(4000, impacts[0].Tables.Single().Deleted);
        Assert.Equal(4000, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM conversations"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM audit_log"));
    }

    [Fact]
    public async Task PreviewAsync_small_table_share_is_exact()
    {
        var statements = ScriptAnalyzer.Analyze("UPDATE orders SET is_deleted = true WHERE id <= 500");

        var table = (await PreviewAsync(statements))[0].Tables.Single();

        Assert.Equal(2000, table.RowsBefore);
        Assert.False(table.RowsBeforeEstimated);
        Assert.Equal(0.25, table.Fraction);
    }

    [Fact]
    public async Task PreviewAsync_truncate_counts_the_rows_it_removes_including_cascade()
    {
        var statements = ScriptAnalyzer.Analyze("TRUNCATE leads CASCADE");

        var tables = (await PreviewAsync(statements))[0].Tables.ToDictionary(t => t.QualifiedName, t => t.Deleted);

        Assert.Equal(400, tables["public.leads"]);
        Assert.Equal(4000, tables["public.conversations"]);
        Assert.False(tables.ContainsKey("public.users"));
    }

    [Fact]
    public async Task PreviewAsync_statement_outside_transaction_is_not_executed()
    {
        var statements = ScriptAnalyzer.Analyze("VACUUM orders");

        var impact = (await PreviewAsync(statements))[0];

        Assert.False(impact.Executed);
        Assert.Contains("transaction block", impact.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreviewAsync_lock_timeout_falls_back_to_an_explain_estimate()
    {
        await using var holder = new NpgsqlConnection(_connectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("SELECT id FROM orders WHERE id <= 10 FOR UPDATE", holder, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var statements = ScriptAnalyzer.Analyze("UPDATE orders SET is_deleted = true WHERE id <= 1000; DELETE FROM users WHERE id = 3");
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        var impacts = await ImpactPreviewer.PreviewAsync(connection, statements, new PreviewBounds(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30)), null, default);

        Assert.True(impacts[0].Estimated);
        Assert.Contains("lock_timeout", impacts[0].Note, StringComparison.Ordinal);
        Assert.True(impacts[0].Tables.Single().Updated > 0);
        Assert.False(impacts[1].Estimated);
        Assert.Equal(1, impacts[1].Tables.Single(t => t.Name == "users").Deleted);
    }

    [Fact]
    public async Task PreviewAsync_statement_timeout_falls_back_to_an_explain_estimate()
    {
        var statements = ScriptAnalyzer.Analyze("UPDATE orders SET is_deleted = true WHERE id <= 100 AND pg_sleep(0.01) IS NOT NULL");
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();

        var impact = (await ImpactPreviewer.PreviewAsync(connection, statements, new PreviewBounds(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(300)), null, default))[0];

        Assert.True(impact.Estimated);
        Assert.False(impact.Executed);
        Assert.Contains("statement_timeout", impact.Note, StringComparison.Ordinal);
        Assert.Equal("public.orders", impact.Tables.Single().QualifiedName);
        Assert.True(impact.Tables.Single().Estimated);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_connectionString, "SELECT count(*) FROM orders WHERE is_deleted"));
    }

    [Fact]
    public async Task PreviewAsync_script_cannot_lift_the_statement_timeout()
    {
        var statements = ScriptAnalyzer.Analyze("SET statement_timeout = 0; UPDATE orders SET is_deleted = true WHERE id <= 100 AND pg_sleep(0.01) IS NOT NULL");

        var impacts = await PreviewAsync(statements, TimeSpan.FromMilliseconds(300));

        Assert.True(impacts[1].Estimated);
        Assert.Contains("statement_timeout", impacts[1].Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreviewAsync_estimate_of_a_data_modifying_cte_names_its_table_and_size()
    {
        var statements = ScriptAnalyzer.Analyze("WITH gone AS (DELETE FROM orders WHERE id <= 100 AND pg_sleep(0.01) IS NOT NULL RETURNING id) SELECT count(*) FROM gone");
        await PostgresSandbox.ExecuteAsync(_connectionString, "ANALYZE orders");

        var impact = (await PreviewAsync(statements, TimeSpan.FromMilliseconds(300)))[0];

        Assert.True(impact.Estimated);
        var table = impact.Tables.Single();
        Assert.Equal("public.orders", table.QualifiedName);
        Assert.True(table.Deleted > 0);
        Assert.Equal(2000, table.RowsBefore);
        Assert.True(table.RowsBeforeEstimated);
    }

    [Fact]
    public async Task PreviewAsync_partition_rows_count_for_the_partitioned_table()
    {
        await PostgresSandbox.ExecuteAsync(_connectionString, """
            CREATE TABLE readings (k int NOT NULL, v int) PARTITION BY RANGE (k);
            CREATE TABLE readings_1 PARTITION OF readings FOR VALUES FROM (0) TO (100);
            CREATE TABLE readings_2 PARTITION OF readings FOR VALUES FROM (100) TO (200);
            CREATE TABLE readings_3 PARTITION OF readings FOR VALUES FROM (200) TO (300);
            INSERT INTO readings SELECT g % 300, g FROM generate_series(1, 270) g;
            """);
        var statements = ScriptAnalyzer.Analyze("UPDATE readings SET v = 0 WHERE k < 300");

        var table = (await PreviewAsync(statements))[0].Tables.Single();

        Assert.Equal("public.readings", table.QualifiedName);
        Assert.Equal(270, table.Updated);
        Assert.Equal(270, table.RowsBefore);
        Assert.False(table.RowsBeforeEstimated);
        Assert.Equal(1.0, table.Fraction);
    }

    [Fact]
    public async Task PreviewAsync_a_row_moved_to_another_partition_counts_as_one_updated_row()
    {
        await PostgresSandbox.ExecuteAsync(_connectionString, """
            CREATE TABLE moves (k int NOT NULL, v int) PARTITION BY RANGE (k);
            CREATE TABLE moves_1 PARTITION OF moves FOR VALUES FROM (0) TO (100);
            CREATE TABLE moves_2 PARTITION OF moves FOR VALUES FROM (100) TO (300);
            INSERT INTO moves SELECT g, g FROM generate_series(1, 150) g;
            """);
        var statements = ScriptAnalyzer.Analyze("UPDATE moves SET k = k + 100 WHERE k < 100");

        var table = (await PreviewAsync(statements))[0].Tables.Single();

        Assert.Equal("public.moves", table.QualifiedName);
        Assert.Equal((0, 99, 0), (table.Inserted, table.Updated, table.Deleted));
    }

    [Fact]
    public async Task PreviewAsync_sql_error_names_the_statement()
    {
        var statements = ScriptAnalyzer.Analyze("SELECT 1;\nUPDATE no_such_table SET x = 1 WHERE id = 1");

        var error = await Assert.ThrowsAsync<StatementFailedException>(() => PreviewAsync(statements));

        Assert.Contains("statement 2 at line 2, column 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("42P01", error.Message, StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<StatementImpact>> PreviewAsync(IReadOnlyList<AnalyzedStatement> statements, TimeSpan? statementTimeout = null)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        return await ImpactPreviewer.PreviewAsync(connection, statements, new PreviewBounds(TimeSpan.FromSeconds(2), statementTimeout ?? TimeSpan.FromSeconds(30)), null, default);
    }

    private static Dictionary<string, (long Inserted, long Updated, long Deleted)> Totals(IReadOnlyList<StatementImpact> impacts)
    {
        var totals = new Dictionary<string, (long, long, long)>(StringComparer.Ordinal);
        foreach (var t in impacts.SelectMany(i => i.Tables))
        {
            var (i, u, d) = totals.GetValueOrDefault(t.QualifiedName);
            totals[t.QualifiedName] = (i + t.Inserted, u + t.Updated, d + t.Deleted);
        }

        return totals;
    }

    private static async Task<Dictionary<string, long>> CountsAsync(string connectionString)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in Tables)
        {
            counts[table] = await PostgresSandbox.ScalarAsync(connectionString, $"SELECT count(*) FROM {table}");
        }

        return counts;
    }
}

using Backstop.Core.Preview;
using Backstop.Sql.Classification;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Preview;

/// <summary>
/// When a caller's own count of a script's rows may stand in for the dry run: only when the catalog shows that nothing
/// but those rows can be written.
/// </summary>
public sealed class CountedImpactTests : IAsyncLifetime
{
    private const string Schema = """
        CREATE TABLE plain (id int PRIMARY KEY, v int, w int);
        INSERT INTO plain SELECT g, g, g FROM generate_series(1, 300) g;
        CREATE TABLE no_key (v int);
        INSERT INTO no_key SELECT g FROM generate_series(1, 10) g;

        CREATE TABLE audited (id int PRIMARY KEY, v int);
        CREATE TABLE audit (what text);
        CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (TG_OP); RETURN NULL; END $$;
        CREATE TRIGGER audited_audit AFTER UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION audit_row();

        CREATE TABLE ruled (id int PRIMARY KEY, v int);
        CREATE RULE ruled_log AS ON UPDATE TO ruled DO ALSO INSERT INTO audit VALUES ('rule');

        CREATE TABLE parted (id int, v int) PARTITION BY RANGE (id);
        CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100);
        CREATE TABLE parent (id int, v int);
        CREATE TABLE child () INHERITS (parent);

        CREATE TABLE secured (id int PRIMARY KEY, v int);
        ALTER TABLE secured ENABLE ROW LEVEL SECURITY;

        CREATE TABLE customers (id int PRIMARY KEY, code int UNIQUE, name text);
        CREATE TABLE invoices (id int PRIMARY KEY, amount int, note text, customer_code int REFERENCES customers (code) ON UPDATE CASCADE ON DELETE CASCADE);
        """;

    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = await PostgresSandbox.CreateDatabaseAsync("counted");
        await PostgresSandbox.ExecuteAsync(_connectionString, Schema);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_plain_table_gets_the_counted_rows_per_statement_with_its_exact_size_before_each()
    {
        var impacts = await TryAsync("plain", Update(20, "v"), new CountedStatement(StatementKind.Insert, 5, []), new CountedStatement(StatementKind.Delete, 7, []));

        Assert.NotNull(impacts);
        Assert.Equal([0, 1, 2], impacts.Select(i => i.Index));
        Assert.All(impacts, i => Assert.True(i.Counted && i.Executed && !i.Estimated && !i.ImpactUnknown));
        Assert.Equal(["UPDATE 20", "INSERT 0 5", "DELETE 7"], impacts.Select(i => i.CommandTag));
        var tables = impacts.Select(i => Assert.Single(i.Tables)).ToList();
        Assert.All(tables, t => Assert.Equal("public.plain", t.QualifiedName));
        Assert.Equal([(0L, 20L, 0L), (5L, 0L, 0L), (0L, 0L, 7L)], tables.Select(t => (t.Inserted, t.Updated, t.Deleted)));

        // A small table is counted: 300 rows, then 305 after the insert.
        Assert.Equal([300L, 300L, 305L], tables.Select(t => t.RowsBefore!.Value));
        Assert.All(tables, t => Assert.False(t.RowsBeforeEstimated));
        Assert.All(tables, t => Assert.True(t.HasPrimaryKey));
        Assert.False((await TryAsync("no_key", Update(1, "v")))!.Single().Tables.Single().HasPrimaryKey);
    }

    [Theory]
    [InlineData("audited", "a user trigger writes another table")]
    [InlineData("ruled", "a rule writes another table")]
    [InlineData("parted", "rows are counted on the partitions")]
    [InlineData("parted_1", "a partition's rows are counted for its partitioned table")]
    [InlineData("parent", "an UPDATE of a parent also writes its inheritance children")]
    [InlineData("secured", "row security may hide rows from the statement")]
    [InlineData("missing_table", "there is no such table")]
    public async Task A_table_whose_writes_may_reach_further_is_dry_run(string table, string why)
    {
        Assert.True(await TryAsync(table, Update(1, "v")) is null, why);
    }

    [Fact]
    public async Task A_foreign_key_is_dry_run_only_when_its_action_can_fire()
    {
        // invoices reference customers.code, ON UPDATE and ON DELETE CASCADE.
        Assert.NotNull(await TryAsync("customers", Update(3, "name")));
        Assert.NotNull(await TryAsync("customers", new CountedStatement(StatementKind.Insert, 3, [])));
        Assert.Null(await TryAsync("customers", Update(3, "name", "code")));
        Assert.Null(await TryAsync("customers", new CountedStatement(StatementKind.Delete, 1, [])));

        // customers.code is column 2 and invoices.customer_code column 4: the referenced column is what counts.
        Assert.NotNull(await TryAsync("customers", Update(3, "name", "id")));

        // The referencing side's own key only checks its parent (internal triggers that read): its writes are counted.
        Assert.NotNull(await TryAsync("invoices", Update(2, "customer_code"), new CountedStatement(StatementKind.Delete, 1, [])));
    }

    private static CountedStatement Update(long rows, params string[] columns) => new(StatementKind.Update, rows, columns);

    private async Task<IReadOnlyList<StatementImpact>?> TryAsync(string table, params CountedStatement[] statements)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        return await CountedImpact.TryAsync(connection, "public", table, statements, CancellationToken.None);
    }
}

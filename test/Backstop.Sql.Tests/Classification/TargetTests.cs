using Backstop.Sql.Classification;

namespace Backstop.Sql.Tests.Classification;

public sealed class TargetTests
{
    [Theory]
    [InlineData("UPDATE orders SET a = 1", null, "orders")]
    [InlineData("UPDATE App.Orders SET a = 1", "app", "orders")]
    [InlineData("UPDATE \"App\".\"Order \"\"Items\"\"\" SET a = 1", "App", "Order \"Items\"")]
    [InlineData("UPDATE U&\"d\\0061t\" SET a = 1", null, "dat")]
    [InlineData("UPDATE db.app.orders SET a = 1", "app", "orders")]
    [InlineData("DELETE FROM ONLY app.orders WHERE id = 1", "app", "orders")]
    [InlineData("INSERT INTO app.orders (id) VALUES (1)", "app", "orders")]
    [InlineData("INSERT INTO orders AS o VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 1", null, "orders")]
    [InlineData("MERGE INTO app.orders o USING staging s ON o.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id)", "app", "orders")]
    [InlineData("ALTER TABLE IF EXISTS ONLY app.orders ADD COLUMN c int", "app", "orders")]
    [InlineData("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_a ON app.orders USING btree (a)", "app", "orders")]
    [InlineData("CREATE INDEX ON orders (a)", null, "orders")]
    [InlineData("CREATE TABLE IF NOT EXISTS app.orders (id int)", "app", "orders")]
    [InlineData("COPY app.orders (id, a) FROM STDIN", "app", "orders")]
    [InlineData("COPY orders TO STDOUT", null, "orders")]
    [InlineData("DROP TRIGGER tr ON app.orders", "app", "orders")]
    [InlineData("REFRESH MATERIALIZED VIEW CONCURRENTLY app.totals", "app", "totals")]
    [InlineData("LOCK TABLE app.orders", "app", "orders")]
    [InlineData("TABLE app.orders", "app", "orders")]
    public void Classify_target_is_folded_or_unquoted_and_qualified(string sql, string? schema, string name)
    {
        var target = Assert.Single(Classifying.Single(sql).Targets);

        Assert.Equal(schema, target.Schema);
        Assert.Equal(name, target.Name);
    }

    [Theory]
    [InlineData("UPDATE t AS x SET a = 1", "x")]
    [InlineData("UPDATE t x SET a = 1", "x")]
    [InlineData("UPDATE t SET a = 1", null)]
    [InlineData("UPDATE ONLY t * AS \"X\" SET a = 1", "X")]
    [InlineData("DELETE FROM t x WHERE x.id = 1", "x")]
    [InlineData("DELETE FROM t USING u WHERE t.id = u.id", null)]
    [InlineData("DELETE FROM t WHERE id = 1", null)]
    [InlineData("INSERT INTO t AS x VALUES (1)", "x")]
    [InlineData("INSERT INTO t (a) VALUES (1)", null)]
    [InlineData("MERGE INTO t AS tt USING s ON true WHEN MATCHED THEN DELETE", "tt")]
    public void Classify_alias_is_read(string sql, string? alias)
    {
        Assert.Equal(alias, Assert.Single(Classifying.Single(sql).Targets).Alias);
    }

    [Theory]
    [InlineData("UPDATE ONLY t SET a = 1", true)]
    [InlineData("UPDATE t SET a = 1", false)]
    [InlineData("DELETE FROM ONLY t", true)]
    [InlineData("ALTER TABLE ONLY t ADD CONSTRAINT c CHECK (a > 0)", true)]
    [InlineData("TRUNCATE ONLY t", true)]
    public void Classify_only_flag_is_read(string sql, bool only)
    {
        Assert.Equal(only, Assert.Single(Classifying.Single(sql).Targets).Only);
    }

    [Fact]
    public void Classify_drop_several_tables_lists_every_target()
    {
        var info = Classifying.Single("DROP TABLE IF EXISTS a, s.b, \"C\" CASCADE");

        Assert.Equal(["a", "s.b", "C"], Classifying.TargetNames(info));
        Assert.Equal("TABLE", info.ObjectType);
        Assert.True(info.Cascade);
    }

    [Fact]
    public void Classify_truncate_several_tables_lists_every_target()
    {
        var info = Classifying.Single("TRUNCATE TABLE ONLY a, s.b * RESTART IDENTITY CASCADE");

        Assert.Equal(["a", "s.b"], Classifying.TargetNames(info));
        Assert.True(info.Targets[0].Only);
        Assert.False(info.Targets[1].Only);
        Assert.True(info.Cascade);
    }

    [Fact]
    public void Classify_drop_functions_skips_argument_lists()
    {
        var info = Classifying.Single("DROP FUNCTION IF EXISTS f(int, text), app.g()");

        Assert.Equal(["f", "app.g"], Classifying.TargetNames(info));
    }

    [Theory]
    [InlineData("SELECT * FROM orders o JOIN app.items i ON i.order_id = o.id, customers WHERE true", new[] { "orders", "app.items", "customers" })]
    [InlineData("SELECT * FROM generate_series(1, 3) g", new string[0])]
    [InlineData("SELECT * FROM (SELECT 1) s LEFT JOIN t ON true", new[] { "t" })]
    [InlineData("SELECT 1", new string[0])]
    public void Classify_select_targets_are_from_relations(string sql, string[] expected)
    {
        Assert.Equal(expected, Classifying.TargetNames(Classifying.Single(sql)));
    }
}

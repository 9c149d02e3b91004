using Backstop.Sql.Classification;

namespace Backstop.Sql.Tests.Classification;

public sealed class CommonTableExpressionTests
{
    [Fact]
    public void Classify_delete_in_cte_under_select_is_delete()
    {
        var info = Classifying.Single("WITH d AS (DELETE FROM app.t WHERE created < now() RETURNING *) SELECT count(*) FROM d");

        Assert.Equal(StatementKind.Delete, info.Kind);
        Assert.True(info.HasDataModifyingCte);
        Assert.True(info.IsWrite);
        Assert.True(info.HasWhere);
        Assert.False(info.AffectsAllRows);
        Assert.Equal(["app.t"], Classifying.TargetNames(info));
    }

    [Fact]
    public void Classify_cte_without_where_affects_all_rows()
    {
        var info = Classifying.Single("WITH d AS (DELETE FROM t RETURNING id) INSERT INTO archive SELECT * FROM d");

        Assert.Equal(StatementKind.Delete, info.Kind);
        Assert.True(info.AffectsAllRows);
        Assert.Equal(["t", "archive"], Classifying.TargetNames(info));
    }

    [Fact]
    public void Classify_read_only_cte_under_update_judges_main_where()
    {
        var info = Classifying.Single("WITH x AS (SELECT id FROM u WHERE flag) UPDATE t SET a = 1 WHERE t.id IN (SELECT id FROM x)");

        Assert.Equal(StatementKind.Update, info.Kind);
        Assert.False(info.HasDataModifyingCte);
        Assert.True(info.HasWhere);
        Assert.False(info.AffectsAllRows);
        Assert.Equal(["t"], Classifying.TargetNames(info));
    }

    [Fact]
    public void Classify_read_only_cte_under_update_without_where_affects_all_rows()
    {
        var info = Classifying.Single("WITH x AS (SELECT 1 WHERE true) UPDATE t SET a = 1");

        Assert.Equal(StatementKind.Update, info.Kind);
        Assert.False(info.HasWhere);
        Assert.True(info.AffectsAllRows);
    }

    [Theory]
    [InlineData("WITH i AS (INSERT INTO a VALUES (1) RETURNING id), u AS (UPDATE b SET x = 1 WHERE id = 1 RETURNING id) SELECT 1", StatementKind.Update)]
    [InlineData("WITH i AS (INSERT INTO a VALUES (1) RETURNING id) SELECT * FROM i", StatementKind.Insert)]
    [InlineData("WITH m AS (MERGE INTO a USING b ON true WHEN MATCHED THEN DELETE RETURNING 1) INSERT INTO c VALUES (1)", StatementKind.Merge)]
    [InlineData("WITH i AS (INSERT INTO a VALUES (1) RETURNING id) DELETE FROM b WHERE id = 1", StatementKind.Delete)]
    [InlineData("WITH RECURSIVE u (n) AS MATERIALIZED (UPDATE b SET x = 1 WHERE id = 2 RETURNING 1) SELECT 1", StatementKind.Update)]
    [InlineData("WITH u AS NOT MATERIALIZED (UPDATE b SET x = 1 WHERE id = 2 RETURNING 1) SELECT 1", StatementKind.Update)]
    public void Classify_several_writes_take_the_riskiest_kind(string sql, StatementKind expected)
    {
        var info = Classifying.Single(sql);

        Assert.Equal(expected, info.Kind);
        Assert.True(info.HasDataModifyingCte);
        Assert.True(info.IsWrite);
    }

    [Fact]
    public void Classify_any_all_rows_part_makes_statement_all_rows()
    {
        var info = Classifying.Single("WITH d AS (DELETE FROM a WHERE id = 1 RETURNING id) UPDATE b SET x = 1 WHERE 1 = 1");

        Assert.Equal(StatementKind.Delete, info.Kind);
        Assert.True(info.AffectsAllRows);
        Assert.Equal(["a", "b"], Classifying.TargetNames(info));
    }

    [Fact]
    public void Classify_recursive_search_clause_is_skipped()
    {
        var info = Classifying.Single(
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SEARCH DEPTH FIRST BY n SET ord, d AS (DELETE FROM x) SELECT 1");

        Assert.Equal(StatementKind.Delete, info.Kind);
        Assert.True(info.AffectsAllRows);
    }
}

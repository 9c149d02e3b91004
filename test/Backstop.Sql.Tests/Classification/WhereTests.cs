using Backstop.Sql.Classification;

namespace Backstop.Sql.Tests.Classification;

public sealed class WhereTests
{
    [Theory]
    [InlineData("UPDATE t SET a = 1", false, false, true)]
    [InlineData("DELETE FROM t", false, false, true)]
    [InlineData("UPDATE t SET a = 1 WHERE id = 5", true, false, false)]
    [InlineData("DELETE FROM t USING u WHERE t.id = u.id", true, false, false)]
    [InlineData("UPDATE t SET a = (SELECT 1 FROM x WHERE y)", false, false, true)]
    [InlineData("UPDATE t SET a = 1 FROM (SELECT id FROM u WHERE u.x) s", false, false, true)]
    [InlineData("DELETE FROM t WHERE id IN (SELECT id FROM u WHERE true)", true, false, false)]
    [InlineData("UPDATE t SET a = 1 WHERE CURRENT OF c", true, false, false)]
    [InlineData("DELETE FROM t WHERE CURRENT OF c", true, false, false)]
    [InlineData("UPDATE t SET a = 1 RETURNING (SELECT 1 WHERE true)", false, false, true)]
    [InlineData("UPDATE t SET a = 1 WHERE 1=1 RETURNING *", true, true, true)]
    public void Classify_where_presence_is_judged_at_top_level(string sql, bool hasWhere, bool triviallyTrue, bool allRows)
    {
        var info = Classifying.Single(sql);

        Assert.Equal(hasWhere, info.HasWhere);
        Assert.Equal(triviallyTrue, info.WhereIsTriviallyTrue);
        Assert.Equal(allRows, info.AffectsAllRows);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("TRUE")]
    [InlineData("'t'")]
    [InlineData("'yes'")]
    [InlineData("1=1")]
    [InlineData("1 = 1")]
    [InlineData("2 > 1")]
    [InlineData("1 <> 0")]
    [InlineData("x = x")]
    [InlineData("t.id = T.ID")]
    [InlineData("\"Id\" = \"Id\"")]
    [InlineData("'a' = 'a'")]
    [InlineData("NOT false")]
    [InlineData("NOT 1 = 0")]
    [InlineData("(1=1)")]
    [InlineData("((true))")]
    [InlineData("1=1 AND 1=1")]
    [InlineData("true OR id = 5")]
    [InlineData("id = 5 OR 1 = 1")]
    [InlineData("(1=1) AND (x = x)")]
    [InlineData("a::int = a::int")]
    public void Classify_trivially_true_where_affects_all_rows(string condition)
    {
        var info = Classifying.Single($"DELETE FROM t WHERE {condition}");

        Assert.True(info.HasWhere);
        Assert.True(info.WhereIsTriviallyTrue);
        Assert.True(info.AffectsAllRows);
    }

    [Theory]
    [InlineData("id = 5")]
    [InlineData("false")]
    [InlineData("1 = 0")]
    [InlineData("x = y")]
    [InlineData("'a' = 'b'")]
    [InlineData("NOT true")]
    [InlineData("1=1 AND id = 5")]
    [InlineData("true AND false")]
    [InlineData("random() = random()")]
    [InlineData("NULL = NULL")]
    [InlineData("$1 = $1")]
    [InlineData("x = x + 1")]
    [InlineData("id IN (1, 2, 3)")]
    [InlineData("t.id = t.other_id")]
    public void Classify_real_where_does_not_affect_all_rows(string condition)
    {
        var info = Classifying.Single($"UPDATE t SET a = 1 WHERE {condition}");

        Assert.True(info.HasWhere);
        Assert.False(info.WhereIsTriviallyTrue);
        Assert.False(info.AffectsAllRows);
    }

    [Fact]
    public void Classify_blank_line_before_where_keeps_where()
    {
        var info = Classifying.Single("UPDATE orders SET is_deleted = true\n\nWHERE id IN (1, 2, 3);");

        Assert.Equal(StatementKind.Update, info.Kind);
        Assert.True(info.HasWhere);
        Assert.False(info.AffectsAllRows);
    }

    [Theory]
    [InlineData("INSERT INTO t SELECT * FROM u")]
    [InlineData("MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE")]
    [InlineData("SELECT * FROM t")]
    public void Classify_other_statements_never_affect_all_rows(string sql)
    {
        Assert.False(Classifying.Single(sql).AffectsAllRows);
    }
}

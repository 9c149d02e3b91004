using Backstop.Sql.Classification;
using Backstop.Sql.Splitting;

namespace Backstop.Sql.Tests.Classification;

public sealed class DroppedColumnTests
{
    [Theory]
    [InlineData("ALTER TABLE t DROP COLUMN a", "a")]
    [InlineData("ALTER TABLE t DROP a", "a")]
    [InlineData("ALTER TABLE t DROP COLUMN IF EXISTS \"Mixed\" CASCADE", "Mixed")]
    [InlineData("ALTER TABLE ONLY s.t DROP COLUMN A, DROP COLUMN b", "a,b")]
    [InlineData("ALTER TABLE t ADD COLUMN c int, DROP COLUMN d", "d")]
    [InlineData("ALTER TABLE t DROP CONSTRAINT k, ALTER COLUMN e DROP DEFAULT", "")]
    public void Classify_alter_table_names_the_columns_it_drops(string sql, string columns)
    {
        var info = StatementClassifier.Classify(SqlSplitter.Split(sql).Statements[0]);

        Assert.Equal(columns, string.Join(',', info.DroppedColumns));
        Assert.Equal(columns.Length > 0, info.DropsColumn);
    }
}

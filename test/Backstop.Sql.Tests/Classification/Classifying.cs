using Backstop.Sql.Classification;
using Backstop.Sql.Splitting;

namespace Backstop.Sql.Tests.Classification;

internal static class Classifying
{
    public static StatementInfo Single(string sql)
    {
        var statement = Assert.Single(SqlSplitter.Split(sql).Statements);
        return StatementClassifier.Classify(statement);
    }

    public static string[] TargetNames(StatementInfo info) => info.Targets.Select(t => t.Schema is null ? t.Name : $"{t.Schema}.{t.Name}").ToArray();
}

using Backstop.Sql.Classification;
using Backstop.Sql.Splitting;

namespace Backstop.Sql.Tests.Classification;

/// <summary>Statements whose effects leave the database, which a preview must never run.</summary>
public sealed class ExternalEffectTests
{
    [Theory]
    [InlineData("COPY orders TO '/tmp/orders.csv'", "file")]
    [InlineData("COPY (SELECT * FROM orders) TO '/tmp/o.csv' WITH (FORMAT csv)", "file")]
    [InlineData("COPY orders TO PROGRAM 'gzip > /tmp/o.gz'", "PROGRAM")]
    [InlineData("COPY orders FROM PROGRAM 'curl http://x'", "PROGRAM")]
    public void Classify_copy_outside_the_database_is_a_write_with_an_external_effect(string sql, string mentions)
    {
        var info = StatementClassifier.Classify(SqlSplitter.Split(sql).Statements[0]);

        Assert.True(info.IsWrite);
        Assert.Contains(mentions, info.ExternalEffect, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("COPY orders TO STDOUT")]
    [InlineData("COPY orders FROM STDIN")]
    [InlineData("COPY orders FROM '/tmp/orders.csv'")]
    [InlineData("SELECT 1")]
    public void Classify_copy_within_the_database_or_client_has_no_external_effect(string sql)
    {
        var info = StatementClassifier.Classify(SqlSplitter.Split(sql).Statements[0]);

        Assert.Null(info.ExternalEffect);
    }
}
